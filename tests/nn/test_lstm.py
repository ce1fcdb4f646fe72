"""The hand-written LSTM against Flax's OptimizedLSTMCell and against finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from minisora.nn.lstm import LSTMCell, unroll

D_IN, H, B, T = 5, 7, 3, 50


def _flax_reference(cell: LSTMCell) -> nnx.OptimizedLSTMCell:
    """Flax's cell holding our weights: its dense_i / dense_h are our x_gates / h_gates (W / U) (same i, f, g, o order)."""
    ref = nnx.OptimizedLSTMCell(D_IN, H, rngs=nnx.Rngs(123))
    ref.dense_i.kernel[...] = cell.x_gates.kernel[...]
    ref.dense_h.kernel[...] = cell.h_gates.kernel[...]
    ref.dense_h.bias[...] = cell.h_gates.bias[...]
    return ref


def test_forget_bias_starts_at_one():
    cell = LSTMCell(D_IN, H, rngs=nnx.Rngs(0))
    b = np.asarray(cell.h_gates.bias[...]).reshape(4, H)  # rows: i, f, g, o
    np.testing.assert_array_equal(b, np.stack([np.zeros(H), np.ones(H), np.zeros(H), np.zeros(H)]))


def test_matches_flax_optimized_lstm_over_50_steps():
    cell = LSTMCell(D_IN, H, rngs=nnx.Rngs(0))
    # move every weight away from its init so a swapped gate or a lost bias shows
    cell.h_gates.bias[...] = jax.random.normal(jax.random.key(1), (4 * H,))
    ref = _flax_reference(cell)

    xs = jax.random.normal(jax.random.key(2), (B, T, D_IN))
    h0 = jax.random.normal(jax.random.key(3), (B, H))
    c0 = jax.random.normal(jax.random.key(4), (B, H))

    hs, (h_T, c_T) = unroll(cell, xs, (h0, c0))

    carry = (c0, h0)  # Flax keeps (c, h); we keep (h, c)
    ref_hs = []
    for t in range(T):
        carry, y = ref(carry, xs[:, t])
        ref_hs.append(y)
    ref_hs = jnp.stack(ref_hs, axis=1)

    assert hs.shape == (B, T, H)
    np.testing.assert_allclose(hs, ref_hs, atol=1e-6, rtol=0)
    np.testing.assert_allclose(c_T, carry[0], atol=1e-6, rtol=0)
    np.testing.assert_allclose(h_T, carry[1], atol=1e-6, rtol=0)


def test_one_step_is_the_gate_equations():
    """One step against the equations evaluated in numpy from the weight slices."""
    cell = LSTMCell(D_IN, H, rngs=nnx.Rngs(5))
    x = np.random.default_rng(0).normal(size=(B, D_IN))
    h = np.random.default_rng(1).normal(size=(B, H))
    c = np.random.default_rng(2).normal(size=(B, H))
    W = np.asarray(cell.x_gates.kernel[...], np.float64)
    U = np.asarray(cell.h_gates.kernel[...], np.float64)
    b = np.asarray(cell.h_gates.bias[...], np.float64)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    gate = lambda k: x @ W[:, k * H : (k + 1) * H] + h @ U[:, k * H : (k + 1) * H] + b[k * H : (k + 1) * H]  # noqa: E731
    i, f, g, o = sig(gate(0)), sig(gate(1)), np.tanh(gate(2)), sig(gate(3))
    c_t = f * c + i * g
    h_t = o * np.tanh(c_t)

    (h_new, c_new), out = cell((jnp.asarray(h, jnp.float32), jnp.asarray(c, jnp.float32)), jnp.asarray(x, jnp.float32))
    np.testing.assert_allclose(c_new, c_t, atol=1e-5)
    np.testing.assert_allclose(h_new, h_t, atol=1e-5)
    np.testing.assert_array_equal(out, h_new)


def test_gradients_match_central_finite_differences():
    """d(loss)/d(params, xs) by autodiff == central differences, in float64.

    x64 is switched on only inside this block (``jax.enable_x64`` is a context
    manager), so no other test sees 64-bit defaults.
    """
    t_short = 6
    with jax.enable_x64(True):
        cell = LSTMCell(3, 4, rngs=nnx.Rngs(0))
        graphdef, params = nnx.split(cell)
        params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), params)
        xs = jax.random.normal(jax.random.key(1), (2, t_short, 3), jnp.float64)
        w = jax.random.normal(jax.random.key(2), (2, t_short, 4), jnp.float64)  # random readout

        def loss(params, xs):
            hs, (h_T, c_T) = unroll(nnx.merge(graphdef, params), xs)
            return jnp.sum(w * hs) + jnp.sum(c_T**2)

        g_params, g_xs = jax.grad(loss, argnums=(0, 1))(params, xs)

        flat, unravel = jax.flatten_util.ravel_pytree((params, xs))
        g_flat, _ = jax.flatten_util.ravel_pytree((g_params, g_xs))
        f = jax.jit(lambda v: loss(*unravel(v)))
        eps = 1e-6
        idx = np.random.default_rng(0).choice(flat.size, size=40, replace=False)
        for k in idx:
            e = jnp.zeros_like(flat).at[k].set(eps)
            fd = (f(flat + e) - f(flat - e)) / (2 * eps)
            np.testing.assert_allclose(g_flat[k], fd, rtol=1e-6, atol=1e-8)
    assert jnp.ones(1).dtype == jnp.float32  # x64 did not leak out of the block
