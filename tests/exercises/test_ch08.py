"""Chapter 8's exercises: the solutions pass their checks, wrong answers and the stubs do not."""

import numpy as np
from course import ch08
from solutions import ch08 as solution


def test_the_solutions_pass(capsys):
    assert ch08.check_top_k_filter(solution.top_k_filter)
    assert ch08.check_nucleus(solution.nucleus)
    assert ch08.check_temperature(solution.with_temperature)
    assert capsys.readouterr().out.count("[✓]") == 3


def top_k_by_argsort(z, k):
    """Exactly k tokens: a tie at the threshold loses one of the two."""
    out = np.full_like(z, -np.inf)
    keep = np.argsort(-z, kind="stable")[:k]
    out[keep] = z[keep]
    return out


def top_k_off_by_one(z, k):
    return solution.top_k_filter(z, max(k - 1, 1)) if k > 1 else solution.top_k_filter(z, 1)


def top_k_zeroes(z, k):
    """Drops to 0 instead of -inf: a logit of 0 is not a probability of 0."""
    return np.where(np.isfinite(solution.top_k_filter(z, k)), z, 0.0)


def test_wrong_top_k_fails(capsys):
    for wrong in (top_k_by_argsort, top_k_off_by_one, top_k_zeroes):
        assert not ch08.check_top_k_filter(wrong), wrong.__name__
    assert capsys.readouterr().out.count("not yet right") == 3


def nucleus_within_p(p, top_p):
    """Keeps tokens while the mass *including* them is ≤ top_p: one too few, none for a small top_p."""
    order = np.argsort(-p)
    return order[np.cumsum(p[order]) <= top_p].tolist()


def nucleus_without_ties(p, top_p):
    order = np.argsort(-p, kind="stable")
    n = max(int(np.sum(np.cumsum(p[order]) - p[order] < top_p)), 1)
    return order[:n].tolist()


def test_wrong_nucleus_fails(capsys):
    assert not ch08.check_nucleus(nucleus_within_p)
    assert not ch08.check_nucleus(nucleus_without_ties)
    assert capsys.readouterr().out.count("not yet right") == 2


def times_temperature(z, T):
    return solution.with_temperature(z * T, 1.0) if T > 0 else solution.with_temperature(z, 0)


def unstable_softmax(z, T):
    if T == 0:
        return solution.with_temperature(z, 0)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z / T)
        return e / e.sum()


def test_wrong_temperature_fails(capsys):
    assert not ch08.check_temperature(times_temperature)
    assert not ch08.check_temperature(unstable_softmax)
    assert capsys.readouterr().out.count("not yet right") == 2


def test_the_stubs_are_not_done(capsys):
    def stub(*args):
        raise NotImplementedError

    assert not ch08.check_top_k_filter(stub)
    assert not ch08.check_nucleus(stub)
    assert not ch08.check_temperature(stub)
    assert capsys.readouterr().out.count("not done yet") == 3
