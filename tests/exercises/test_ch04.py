"""Chapter 4's exercise checks (tutorials/course/ch04.py): the reference solutions pass, wrong answers
and the unanswered stubs do not."""

import numpy as np
import pytest
from course import ch04
from solutions import ch04 as solution


def stub(*args):
    raise NotImplementedError  # your code here


def test_the_solutions_pass(capsys):
    assert ch04.check_lstm_step(solution.lstm_step)
    assert ch04.check_attend(solution.attend)
    assert capsys.readouterr().out.count("right.") == 2


def test_the_stubs_are_not_done(capsys):
    assert not ch04.check_lstm_step(stub)
    assert not ch04.check_attend(stub)
    assert capsys.readouterr().out.count("not done yet") == 2


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _lstm(order="ifgo", tanh_h=True, forget=True):
    def step(W, U, b, h, c, x):
        parts = dict(zip(order, np.split(x @ W + h @ U + b, 4, axis=-1)))
        i, f, g, o = _sig(parts["i"]), _sig(parts["f"]), np.tanh(parts["g"]), _sig(parts["o"])
        c_t = (f * c if forget else 0) + i * g
        return o * (np.tanh(c_t) if tanh_h else c_t), c_t
    return step


@pytest.mark.parametrize("wrong", [
    _lstm(order="ifog"),  # the gates in another order (i, f, o, g)
    _lstm(order="figo"),  # forget and input swapped
    _lstm(tanh_h=False),  # h_t = o ⊙ c_t, no tanh
    _lstm(forget=False),  # the memory forgotten at every step
    lambda W, U, b, h, c, x: _lstm()(W, U, 0 * b, h, c, x),  # the bias left out
])
def test_a_wrong_lstm_step_fails(wrong, capsys):
    assert not ch04.check_lstm_step(wrong)
    assert "not yet right" in capsys.readouterr().out


def _attend(scale=True, masked=True):
    def attend(h, keys, enc, m):
        s = np.einsum("bh,bsh->bs", h, keys) / (np.sqrt(h.shape[-1]) if scale else 1)
        if masked:
            s = np.where(m.astype(bool), s, -np.inf)
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        return a, np.einsum("bs,bsc->bc", a, enc)
    return attend


@pytest.mark.parametrize("wrong", [
    _attend(scale=False),  # no 1/√H
    _attend(masked=False),  # the pads read
    lambda h, k, e, m: (_attend()(h, k, e, m)[0], e.mean(1)),  # ctx the plain mean, not the weighted sum
])
def test_a_wrong_attention_fails(wrong, capsys):
    assert not ch04.check_attend(wrong)
    assert "not yet right" in capsys.readouterr().out
