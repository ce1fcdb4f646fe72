"""nn/fast.py: each performance helper computes exactly its plain expression.

References: ``linear(x)`` itself for ``dense_rows``; ``h @ W`` and ``jax.grad`` of it for
``down_project`` (which hand-writes its backward pass), and central finite differences in float64.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from jax.flatten_util import ravel_pytree

from minisora.nn.fast import dense_rows, down_project

N, K, C = 20, 16, 4  # h (N, 4C) -> y (N, C): a tall W, as in the MLP's 4C -> C projection


def _linear(d_in, d_out, seed=0):
    lin = nnx.Linear(d_in, d_out, rngs=nnx.Rngs(seed))
    lin.bias[...] = jax.random.normal(jax.random.key(seed + 1), (d_out,))  # a bias in the wrong place shows
    return lin


def test_dense_rows_equals_the_linear_layer_on_a_3d_input():
    lin = _linear(7, 5)
    x = jax.random.normal(jax.random.key(2), (3, 6, 7))  # (B, T, C_in)
    y = dense_rows(lin, x)
    assert y.shape == (3, 6, 5)
    np.testing.assert_allclose(y, lin(x), rtol=1e-6, atol=1e-6)


def test_dense_rows_gradients_equal_the_linear_layers():
    lin = _linear(7, 5, seed=3)
    x = jax.random.normal(jax.random.key(4), (3, 6, 7))
    r = jax.random.normal(jax.random.key(5), (3, 6, 5))  # a generic cotangent, not all ones

    def loss(f):
        return lambda m, x: jnp.sum(jnp.tanh(f(m, x)) * r)

    g_mine = nnx.grad(loss(dense_rows), argnums=(0, 1))(lin, x)
    g_ref = nnx.grad(loss(lambda m, x: m(x)), argnums=(0, 1))(lin, x)
    for a, b in zip(jax.tree.leaves(g_mine), jax.tree.leaves(g_ref)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def _operands(seed=0):
    kh, kw, kr = jax.random.split(jax.random.key(seed), 3)
    h = jax.random.normal(kh, (N, K))
    W = jax.random.normal(kw, (K, C))
    r = jax.random.normal(kr, (N, C))  # a generic cotangent, not all ones
    return h, W, r


def _loss(matmul, r):
    return lambda h, W: jnp.sum(jnp.tanh(matmul(h, W)) * r)


@pytest.mark.parametrize("jit", [False, True])
def test_down_project_value_and_gradients_equal_the_plain_matmul(jit):
    h, W, r = _operands()
    plain = lambda h, W: h @ W  # noqa: E731
    wrap = jax.jit if jit else (lambda f: f)
    # float32 sums in another order (one jitted program against eager ops) differ by ~1e-6
    np.testing.assert_allclose(wrap(down_project)(h, W), h @ W, rtol=1e-5, atol=1e-5)
    mine = wrap(jax.grad(_loss(down_project, r), argnums=(0, 1)))(h, W)
    ref = jax.grad(_loss(plain, r), argnums=(0, 1))(h, W)
    for a, b in zip(mine, ref):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_down_project_gradients_match_central_finite_differences():
    """d(loss)/d(h, W) by the hand-written backward pass == central differences, in float64.

    x64 is switched on only inside this block (``jax.enable_x64`` is a context manager), so no
    other test sees 64-bit defaults.
    """
    with jax.enable_x64(True):
        kh, kw, kr = jax.random.split(jax.random.key(1), 3)
        h = jax.random.normal(kh, (5, 6), jnp.float64)  # a tiny case: 48 entries, each perturbed
        W = jax.random.normal(kw, (6, 3), jnp.float64)
        r = jax.random.normal(kr, (5, 3), jnp.float64)
        loss = _loss(down_project, r)
        g_h, g_W = jax.grad(loss, argnums=(0, 1))(h, W)
        assert g_h.dtype == g_W.dtype == jnp.float64

        flat, unravel = ravel_pytree((h, W))
        g_flat, _ = ravel_pytree((g_h, g_W))
        f = jax.jit(lambda v: loss(*unravel(v)))
        eps = 1e-6
        for k in range(flat.size):  # every entry of h and W
            e = jnp.zeros_like(flat).at[k].set(eps)
            fd = (f(flat + e) - f(flat - e)) / (2 * eps)
            np.testing.assert_allclose(g_flat[k], fd, rtol=1e-6, atol=1e-8)
    assert jnp.ones(1).dtype == jnp.float32  # x64 did not leak out of the block
