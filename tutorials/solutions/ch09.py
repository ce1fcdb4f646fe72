"""Reference solutions of chapter 9's exercises."""

import math

import jax
import numpy as np


def shard_shape(shape, spec, mesh_shape):
    """The shape one device holds of an array ``shape`` split as ``spec`` over a mesh ``mesh_shape``."""
    spec = tuple(spec) + (None,) * (len(shape) - len(spec))  # dimensions the spec leaves out stay whole
    out = []
    for dim, axes in zip(shape, spec):
        axes = () if axes is None else (axes,) if isinstance(axes, str) else axes
        out.append(dim // math.prod(mesh_shape[a] for a in axes))
    return tuple(out)


def data_parallel_grad(grad_fn, params, x, y, n_devices):
    """The whole batch's gradient from ``n_devices`` shards' gradients (equal shards of consecutive rows).

    The loss is a mean over rows, L = (1/B) Σ_b ℓ_b = (1/n) Σ_d L_d with L_d the mean over shard d's
    B/n rows: so the gradient is the mean of the shards' gradients (the all-reduce, then ÷ n)."""
    grads = [grad_fn(params, xs, ys) for xs, ys in zip(np.split(x, n_devices), np.split(y, n_devices))]
    return jax.tree.map(lambda *g: sum(g) / n_devices, *grads)
