"""Chapter 5's exercise checks (tutorials/course/ch05.py): the reference solutions pass, wrong answers
and the unanswered stubs do not."""

import pytest
from course import ch05
from solutions import ch05 as solution


def stub(*args):
    raise NotImplementedError  # your code here


def test_the_solutions_pass(capsys):
    assert ch05.check_gpt_params(solution.gpt_params)
    assert ch05.check_kv_cache_bytes(solution.kv_cache_bytes)
    assert capsys.readouterr().out.count("right.") == 2


def test_gpt2_small_is_124m_like_the_chapter():
    assert solution.gpt_params(50257, 768, 12, 3072, 1024) == 124_439_808  # GPT-2 small, tied head


def test_the_stubs_are_not_done(capsys):
    assert not ch05.check_gpt_params(stub)
    assert not ch05.check_kv_cache_bytes(stub)
    assert capsys.readouterr().out.count("not done yet") == 2


@pytest.mark.parametrize("wrong", [
    lambda V, C, N, F, T: solution.gpt_params(V, C, N, F, T) + V * C,  # an untied head counted
    lambda V, C, N, F, T: solution.gpt_params(V, C, N, F, T) - T * C,  # positions forgotten
    lambda V, C, N, F, T: solution.gpt_params(V, C, N, F, T) - 2 * C,  # the final LayerNorm forgotten
])
def test_a_wrong_parameter_count_fails(wrong, capsys):
    assert not ch05.check_gpt_params(wrong)
    assert "not yet right" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [
    lambda N, C, S, b: N * S * C * b,  # keys only
    lambda N, C, S, b: 2 * N * S * C * 4,  # always float32
    lambda N, C, S, b: 2 * N * (S - 1) * C * b,  # one slot short
    lambda N, C, S, b: 2.0 * N * S * C * b,  # a float, not a byte count
])
def test_a_wrong_cache_size_fails(wrong, capsys):
    assert not ch05.check_kv_cache_bytes(wrong)
    assert "not yet right" in capsys.readouterr().out
