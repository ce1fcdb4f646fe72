"""Chapter 7's exercises: the solutions pass their checks, wrong answers and the stubs do not."""

import math

import numpy as np
from course import ch07
from solutions import ch07 as solution


def test_the_solutions_pass(capsys):
    assert ch07.check_learning_rate(solution.learning_rate)
    assert ch07.check_adam_update(solution.adam_update)
    assert capsys.readouterr().out.count("[✓]") == 2


def warm_up_from_zero(t, lr, min_lr, warmup, steps):
    """Off by one: α t / W starts the warm-up at 0, a step that would not move the weights."""
    return lr * t / warmup if t < warmup else solution.learning_rate(t, lr, min_lr, warmup, steps)


def cosine_to_zero(t, lr, min_lr, warmup, steps):
    """Forgets α_min: the cosine ends at 0."""
    return solution.learning_rate(t, lr, 0.0, warmup, steps)


def cosine_never_stops(t, lr, min_lr, warmup, steps):
    """No clipping: past N the cosine comes back up."""
    if t < warmup:
        return lr * (t + 1) / warmup
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * (t - warmup) / (steps - warmup)))


def test_wrong_schedules_fail(capsys):
    for wrong in (warm_up_from_zero, cosine_to_zero, cosine_never_stops):
        assert not ch07.check_learning_rate(wrong), wrong.__doc__
    assert capsys.readouterr().out.count("not yet right") == 3


def no_bias_correction(grads, b1=0.9, b2=0.99, eps=1e-8):
    m = v = np.zeros_like(grads[0])
    for g in grads:
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
    return m / (np.sqrt(v) + eps)


def plain_gradient(grads, b1=0.9, b2=0.99, eps=1e-8):
    return grads[-1]


def test_wrong_adam_updates_fail(capsys):
    assert not ch07.check_adam_update(no_bias_correction)
    assert not ch07.check_adam_update(plain_gradient)
    assert capsys.readouterr().out.count("not yet right") == 2


def test_the_stubs_are_not_done(capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError

    assert not ch07.check_learning_rate(stub)
    assert not ch07.check_adam_update(stub)
    assert capsys.readouterr().out.count("not done yet") == 2
