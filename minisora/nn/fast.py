"""Performance helpers the model files call by name.

Each computes exactly what its one-line equation says; the reason it is written this way,
and what it bought, is measured in docs/performance.md ("What each change bought").
Nothing here changes a number: tests/nn/test_fast.py checks each against the plain expression.
"""

from __future__ import annotations

import jax
from jax import lax


def dense_rows(linear, x):
    """linear(x) for x (…, C_in) -> (…, C_out), computed on the 2-D rows (N, C_in).

    Why: a 3-D x @ W differentiates into a two-axis contraction that XLA:CPU feeds through
    transposed copies; on rows the forward and both gradients are plain GEMMs.
    """
    lead = x.shape[:-1]
    return linear(x.reshape(-1, x.shape[-1])).reshape(*lead, -1)


@jax.custom_vjp
def down_project(h, W):
    """y = h W for a tall W (the MLP's 4C -> C projection): h (N, 4C), W (4C, C) -> (N, C).

    Why: the gradient ∂L/∂W = hᵀ ∂L/∂y is computed as (∂L/∂yᵀ h)ᵀ, the wide product, which
    XLA:CPU's matmul runs faster; a barrier keeps XLA from folding the transpose back in.
    Same numbers as autodiff of ``h @ W``.
    """
    return h @ W


def _down_project_fwd(h, W):
    return h @ W, (h, W)


def _down_project_bwd(saved, dy):
    h, W = saved
    return dy @ W.T, lax.optimization_barrier(dy.T @ h).T  # ∂L/∂h = ∂L/∂y Wᵀ, ∂L/∂W = hᵀ ∂L/∂y


down_project.defvjp(_down_project_fwd, _down_project_bwd)
