"""Chapter 12's exercises: the solutions pass their checks, wrong answers and the stubs do not."""

import math

from course import ch12
from solutions import ch12 as solution


def test_the_solutions_pass(capsys):
    assert ch12.check_slot_bytes(solution.slot_bytes)
    assert ch12.check_admission_steps(solution.admission_steps)
    assert capsys.readouterr().out.count("[✓]") == 2


def keys_only(config):
    """Forgets the values: half the cache."""
    return solution.slot_bytes(config) - config.n_layers * config.max_len * config.d_model * 4


def always_float32(config):
    return 2 * config.n_layers * config.max_len * config.d_model * 4 + config.max_len + 4


def test_wrong_slot_bytes_fail(capsys):
    assert not ch12.check_slot_bytes(keys_only)
    assert not ch12.check_slot_bytes(always_float32)
    assert capsys.readouterr().out.count("not yet right") == 2


def reused_in_the_same_step(lengths, slots, chunk):
    """A freed slot taken in the step it was freed: the engine admits before it generates."""
    free_at, steps = [0] * slots, []
    for n in lengths:
        i = min(range(slots), key=lambda s: free_at[s])
        start = max(free_at[i], steps[-1] if steps else 0)
        free_at[i] = start + max(1, math.ceil((n - 1) / chunk)) - 1
        steps.append(start)
    return steps


def ignores_chunk(lengths, slots, chunk):
    return solution.admission_steps(lengths, slots, 1)


def test_wrong_schedulers_fail(capsys):
    assert not ch12.check_admission_steps(reused_in_the_same_step)
    assert not ch12.check_admission_steps(ignores_chunk)
    assert capsys.readouterr().out.count("not yet right") == 2


def test_the_stubs_are_not_done(capsys):
    def stub(*args):
        raise NotImplementedError

    assert not ch12.check_slot_bytes(stub)
    assert not ch12.check_admission_steps(stub)
    assert capsys.readouterr().out.count("not done yet") == 2
