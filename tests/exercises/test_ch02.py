"""Chapter 2's exercise checks (tutorials/course/ch02.py): the reference solutions pass, wrong answers
and the unanswered stubs do not."""

import numpy as np
import pytest
from course import ch02
from solutions import ch02 as solution


def stub(*args):
    raise NotImplementedError  # your code here


def test_the_solutions_pass(capsys):
    assert ch02.check_causal(solution.causal)
    assert ch02.check_decoder_mask(solution.decoder_mask)
    assert ch02.check_masked_softmax(solution.masked_softmax)
    assert capsys.readouterr().out.count("right.") == 3


def test_the_stubs_are_not_done(capsys):
    assert not ch02.check_causal(stub)
    assert not ch02.check_decoder_mask(stub)
    assert not ch02.check_masked_softmax(stub)
    assert capsys.readouterr().out.count("not done yet") == 3


@pytest.mark.parametrize("wrong", [
    lambda T: np.tril(np.ones((T, T), bool), k=-1),  # off by one: a query does not see itself
    lambda T: np.triu(np.ones((T, T), bool)),  # the upper triangle: the future, not the past
    lambda T: np.ones((T, T), bool),  # no mask: the encoder's bidirectional attention
    lambda T: np.tril(np.ones((T, T)))[None, None],  # the package's (1, 1, T, T), not (T, T)
])
def test_a_wrong_causal_mask_fails(wrong, capsys):
    assert not ch02.check_causal(wrong)
    assert "not yet right" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [
    lambda m: np.broadcast_to(solution.causal(m.shape[1]), (m.shape[0], m.shape[1], m.shape[1])),  # pads read
    lambda m: solution.causal(m.shape[1])[None] & m.astype(bool)[:, :, None],  # pads masked as queries, not keys
    lambda m: m.astype(bool)[:, None, :] & m.astype(bool)[:, :, None],  # padding only, no causality
])
def test_a_wrong_decoder_mask_fails(wrong, capsys):
    assert not ch02.check_decoder_mask(wrong)
    assert "not yet right" in capsys.readouterr().out


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("wrong", [
    lambda s, m: _softmax(s),  # the mask ignored
    lambda s, m: _softmax(s + np.where(m, 0.0, -1e9)),  # -1e9 added: the masked 1e10 key still wins
    lambda s, m: _softmax(np.where(m, s, -np.inf)),  # -inf: a row with nothing to see is 0/0 = NaN
    lambda s, m: np.where(m, _softmax(np.where(m, s, -1e30)), 0.0),  # a blind row set to 0, not uniform
    lambda s, m: _softmax(np.where(m, s / np.sqrt(s.shape[-1]), -1e30)),  # scaled twice by 1/√D
])
def test_a_wrong_masked_softmax_fails(wrong, capsys):
    with np.errstate(all="ignore"):
        assert not ch02.check_masked_softmax(wrong)
    assert "not yet right" in capsys.readouterr().out
