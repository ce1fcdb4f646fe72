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


# --- a server's cache cut into blocks of slots: attend_blocks against attention --------------------

def _cache(seed=0, BH=6, T=1, S=13, D=8):
    r = np.random.default_rng(seed)
    q, k, v = (jnp.asarray(r.normal(size=s), jnp.float32) for s in ((BH, T, D), (BH, S, D), (BH, S, D)))
    return q, k, v


@pytest.mark.parametrize("n", [1, 3, 4])
def test_attend_blocks_equals_attention_over_the_whole_cache(n):
    from minisora.nn.attention import attention
    from minisora.nn.fast import attend_blocks, blocks_in_use, cut_slots

    q, k, v = _cache()
    valid = jnp.asarray(np.random.default_rng(1).random((6, 13)) < 0.5).at[:, 5].set(True)
    mask = valid[:, None, :]  # (B·H, 1, S)
    used = blocks_in_use(valid, cut_slots(k, n))
    got = attend_blocks(q, cut_slots(k, n), cut_slots(v, n), mask, used)
    np.testing.assert_allclose(got, attention(q, k, v, mask), rtol=1e-5, atol=1e-6)


def test_attend_blocks_never_reads_an_unused_block():
    """NaN keys and values in the blocks no row uses: ``attention`` of the same cache turns NaN (a
    zero weight times NaN), the blocked form stays equal to the clean cache's attention."""
    from minisora.nn.attention import attention
    from minisora.nn.fast import attend_blocks, blocks_in_use, cut_slots

    q, k, v = _cache(S=16)
    valid = jnp.zeros((6, 16), bool).at[:, 4:9].set(True)  # slots 4..8: blocks 1 and 2 of 4
    used = blocks_in_use(valid, cut_slots(k, 4))
    assert used.tolist() == [False, True, True, False]
    dirty = lambda x: x.at[:, :4].set(jnp.nan).at[:, 12:].set(jnp.nan)  # noqa: E731
    mask = valid[:, None, :]
    assert np.isnan(attention(q, dirty(k), dirty(v), mask)).any()
    got = attend_blocks(q, cut_slots(dirty(k), 4), cut_slots(dirty(v), 4), mask, used)
    np.testing.assert_allclose(got, attention(q, k, v, mask), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("index", [0, 3, 4, 12, 15])
def test_write_blocks_writes_one_slot_of_the_right_block(index):
    from minisora.nn.fast import block_mask, cut_slots, write_blocks

    _, k, _ = _cache(S=16)
    new = jnp.full((6, 1, 8), 7.0)
    got = jnp.concatenate(write_blocks(cut_slots(k, 3), new, jnp.asarray(index)), axis=-2)  # blocks of 6, 5, 5
    np.testing.assert_array_equal(got, k.at[:, index].set(7.0))
    starts, sizes = np.array([0, 6, 11]), np.array([6, 5, 5])
    assert block_mask(jnp.asarray(index), cut_slots(k, 3)).tolist() == list((index >= starts) & (index < starts + sizes))
