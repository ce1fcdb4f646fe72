r"""The LSTM cell, written gate by gate, and its unrolling over time.

At step t, with input x_t, previous output h_{t−1} and previous memory c_{t−1}:

    i_t = σ(W_i x_t + U_i h_{t−1} + b_i)        input gate: how much new content to write
    f_t = σ(W_f x_t + U_f h_{t−1} + b_f)        forget gate: how much old memory to keep
    g_t = tanh(W_g x_t + U_g h_{t−1} + b_g)     candidate content
    o_t = σ(W_o x_t + U_o h_{t−1} + b_o)        output gate: how much memory to show
    c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

The four W's are stacked into one matrix W = [W_i W_f W_g W_o] (and the same for
U, b), so one matmul computes all four pre-activations; the slices are then
named i_t, f_t, g_t, o_t exactly as above. In the parameters, W is ``x_gates``
(no bias) and U, b are ``h_gates``. The gate order (i, f, g, o) is the
one Flax's ``nnx.OptimizedLSTMCell`` uses, which the tests compare against.

b_f starts at 1 (Gers et al. 2000; Jozefowicz et al. 2015): σ(1) ≈ 0.73, so an
untrained cell keeps most of its memory and gradients flow back through c_t
from the first update, instead of the memory being halved at every step.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx


def _forget_bias_one(key, shape, dtype=jnp.float32):
    """b = [b_i b_f b_g b_o] with b_f = 1 and the rest 0."""
    d_hidden = shape[-1] // 4
    return jnp.zeros(shape, dtype).at[d_hidden : 2 * d_hidden].set(1.0)


class LSTMCell(nnx.Module):
    """One LSTM step: ``(h_t, c_t), h_t = cell((h_{t−1}, c_{t−1}), x_t)``."""

    def __init__(self, d_in: int, d_hidden: int, *, rngs: nnx.Rngs, dtype=None):
        self.d_hidden = d_hidden
        # W x_t for the four gates at once (no bias: b lives with U below).
        self.x_gates = nnx.Linear(d_in, 4 * d_hidden, use_bias=False, dtype=dtype, rngs=rngs)
        # U h_{t−1} + b. An orthogonal U keeps the recurrent map norm-preserving at init.
        self.h_gates = nnx.Linear(
            d_hidden, 4 * d_hidden, kernel_init=nnx.initializers.orthogonal(),
            bias_init=_forget_bias_one, dtype=dtype, rngs=rngs,
        )

    def initial_carry(self, batch: int, dtype=jnp.float32):
        """(h_0, c_0) = (0, 0), each (B, H), in ``dtype`` (at least float32, as the cell returns)."""
        dtype = jnp.promote_types(dtype, jnp.float32)
        zeros = jnp.zeros((batch, self.d_hidden), dtype)
        return zeros, zeros

    def gates(self, h_prev, x_t):
        """The four gates of one step, i_t, f_t, g_t, o_t, each (B, H)."""
        z = self.x_gates(x_t) + self.h_gates(h_prev)  # (B, 4H): W x_t + U h_{t−1} + b, all four gates
        # gates and memory in (at least) float32: c_t accumulates over many steps, and a
        # bfloat16 memory (8 bits of mantissa) would round away small updates
        z = z.astype(jnp.promote_types(z.dtype, jnp.float32))
        z_i, z_f, z_g, z_o = jnp.split(z, 4, axis=-1)  # (B, H) each
        i_t = jax.nn.sigmoid(z_i)
        f_t = jax.nn.sigmoid(z_f)
        g_t = jnp.tanh(z_g)
        o_t = jax.nn.sigmoid(z_o)
        return i_t, f_t, g_t, o_t

    def __call__(self, carry, x_t):
        h_prev, c_prev = carry  # (B, H) each
        i_t, f_t, g_t, o_t = self.gates(h_prev, x_t)
        c_t = f_t * c_prev + i_t * g_t
        h_t = o_t * jnp.tanh(c_t)
        return (h_t, c_t), h_t


def unroll(cell, xs, carry=None):
    """Run ``cell`` over a sequence: xs (B, T, D) -> (ys (B, T, H), final carry).

    ``cell(carry, x_t) -> (carry, y_t)`` is any recurrent cell (this LSTM, Sora's attention
    LSTM, whose y_t is a pair); ``carry`` defaults to the LSTM's (h_0, c_0) = (0, 0).

    Why ``lax.scan`` and not a Python ``for`` loop: under ``jit`` a Python loop is
    unrolled while tracing, so the compiled program holds T copies of the cell and
    compile time grows with T (and every new T recompiles). ``lax.scan`` traces the
    step once and compiles one loop body, so compile time is flat in T; the
    backward pass is a scan too, storing only each step's activations.

    The cell's parameters go into the scan as explicit loop state (split once,
    merged inside the body), never captured from the enclosing Python scope.
    """
    if carry is None:
        carry = cell.initial_carry(xs.shape[0], xs.dtype)
    graphdef, params = nnx.split(cell)

    def body(state, x_t):
        params, carry = state
        carry, y_t = nnx.merge(graphdef, params)(carry, x_t)
        return (params, carry), y_t

    xs_tm = jnp.swapaxes(xs, 0, 1)  # (T, B, D): scan walks the leading axis
    (_, carry), ys = jax.lax.scan(body, (params, carry), xs_tm)
    return jax.tree.map(lambda y: jnp.swapaxes(y, 0, 1), ys), carry  # (B, T, H); each array if y_t is a tuple
