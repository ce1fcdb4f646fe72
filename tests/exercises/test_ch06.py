"""Chapter 6's exercise checks (tutorials/course/ch06.py): the reference solutions pass, wrong answers
and the unanswered stubs do not."""

import math

import numpy as np
import pytest
from course import ch06
from solutions import ch06 as solution


def stub(*args):
    raise NotImplementedError  # your code here


def test_the_solutions_pass(capsys):
    assert ch06.check_sequence_loss(solution.sequence_loss)
    assert ch06.check_masked_cross_entropy(solution.masked_cross_entropy)
    assert ch06.check_bits_per_byte(solution.bits_per_byte_of)
    assert capsys.readouterr().out.count("right.") == 3


def test_the_solution_gives_the_articles_example_its_right_value():
    assert abs(solution.sequence_loss([0.6, 0.4]) - 1.427) < 1e-3  # −ln 0.6 − ln 0.4, worked out in the chapter


def test_the_stubs_are_not_done(capsys):
    assert not ch06.check_sequence_loss(stub)
    assert not ch06.check_masked_cross_entropy(stub)
    assert not ch06.check_bits_per_byte(stub)
    assert capsys.readouterr().out.count("not done yet") == 3


@pytest.mark.parametrize("wrong", [
    lambda p: -math.log(p[0]) if p else 0.0,  # the article's 0.51: the first term only
    lambda p: -sum(map(math.log, p)) / max(len(p), 1),  # the mean, not the sum
    lambda p: -sum(map(math.log10, p)),  # log base 10
    lambda p: -sum(map(math.log2, p)),  # bits, not nats
    lambda p: -math.log(math.prod(p)) if p else float("nan"),  # the empty sequence is not 0
])
def test_a_wrong_sequence_loss_fails(wrong, capsys):
    assert not ch06.check_sequence_loss(wrong)
    assert "not yet right" in capsys.readouterr().out


def _nll(z, y):
    return -np.take_along_axis(z - np.log(np.exp(z).sum(-1, keepdims=True)), y[..., None], -1)[..., 0]


@pytest.mark.parametrize("wrong", [
    lambda z, y, w: float(_nll(z - z.max(-1, keepdims=True), y).mean()),  # the mask ignored
    lambda z, y, w: float((w * _nll(z - z.max(-1, keepdims=True), y)).sum() / w.size),  # divided by all tokens
    lambda z, y, w: float((w * _nll(z - z.max(-1, keepdims=True), y)).sum() / w.sum()),  # 0/0 with no token
    lambda z, y, w: float((w * _nll(z.astype(np.float64), y)).sum() / max(w.sum(), 1)),  # exp(1000) overflows
    lambda z, y, w: solution.masked_cross_entropy(z, y, w) / math.log(2),  # bits, not nats
])
def test_a_wrong_masked_cross_entropy_fails(wrong, capsys):
    with np.errstate(all="ignore"):
        assert not ch06.check_masked_cross_entropy(wrong)
    assert "not yet right" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [
    lambda nats, text: sum(nats) / (math.log(2) * len(text)),  # characters, not bytes (Chinese: 3 bytes each)
    lambda nats, text: sum(nats) / len(nats) / math.log(2),  # bits per token
    lambda nats, text: sum(nats) / len(text.encode()),  # nats per byte
    lambda nats, text: sum(nats) / (math.log(2) * max(len(text.encode()), 1)),  # no ValueError for ""
])
def test_a_wrong_bits_per_byte_fails(wrong, capsys):
    assert not ch06.check_bits_per_byte(wrong)
    assert "not yet right" in capsys.readouterr().out


def test_a_crash_on_the_empty_text_is_reported_not_raised(capsys):
    """Dividing by zero bytes is a ZeroDivisionError, not the ValueError asked for: reported as a crash."""
    assert not ch06.check_bits_per_byte(lambda nats, text: sum(nats) / (math.log(2) * len(text.encode())))
    assert "your code raised ZeroDivisionError" in capsys.readouterr().out
