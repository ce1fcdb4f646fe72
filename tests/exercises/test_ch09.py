"""Chapter 9's exercises: the solutions pass their checks, wrong answers and the stubs do not."""

import jax
import numpy as np
from course import ch09
from solutions import ch09 as solution


def test_the_solutions_pass(capsys):
    assert ch09.check_shard_shape(solution.shard_shape)
    assert ch09.check_data_parallel_grad(solution.data_parallel_grad)
    assert capsys.readouterr().out.count("[✓]") == 2


def split_by_first_axis_only(shape, spec, mesh_shape):
    """Reads a tuple of axes as its first axis alone."""
    spec = tuple(spec) + (None,) * (len(shape) - len(spec))
    return tuple(d if a is None else d // mesh_shape[a if isinstance(a, str) else a[0]] for d, a in zip(shape, spec))


def split_over_every_device(shape, spec, mesh_shape):
    """Divides each named dimension by the whole mesh's size."""
    n = int(np.prod(list(mesh_shape.values())))
    spec = tuple(spec) + (None,) * (len(shape) - len(spec))
    return tuple(d if a is None else d // n for d, a in zip(shape, spec))


def test_wrong_shard_shapes_fail(capsys):
    assert not ch09.check_shard_shape(split_by_first_axis_only)
    assert not ch09.check_shard_shape(split_over_every_device)
    assert capsys.readouterr().out.count("not yet right") == 2


def summed_gradients(grad_fn, params, x, y, n_devices):
    """The all-reduce without the ÷ n: n times too large."""
    grads = [grad_fn(params, xs, ys) for xs, ys in zip(np.split(x, n_devices), np.split(y, n_devices))]
    return jax.tree.map(lambda *g: sum(g), *grads)


def whole_batch_once(grad_fn, params, x, y, n_devices):
    """The right number, but no device split: one device does all the work."""
    return grad_fn(params, x, y)


def first_shard_only(grad_fn, params, x, y, n_devices):
    return grad_fn(params, *(np.split(a, n_devices)[0] for a in (x, y)))


def test_wrong_gradients_fail(capsys):
    for wrong in (summed_gradients, whole_batch_once, first_shard_only):
        assert not ch09.check_data_parallel_grad(wrong), wrong.__doc__
    assert capsys.readouterr().out.count("not yet right") == 3


def test_the_stubs_are_not_done(capsys):
    def stub(*args):
        raise NotImplementedError

    assert not ch09.check_shard_shape(stub)
    assert not ch09.check_data_parallel_grad(stub)
    assert capsys.readouterr().out.count("not done yet") == 2
