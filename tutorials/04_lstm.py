# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Chapter 4 — The LSTM cell
#
# The article's "Sora" puts an LSTM after its BERT encoder. An LSTM reads a sequence
# one step at a time and carries two vectors from step to step: an output $h_t$ and a
# memory $c_t$. At step $t$, from the input $x_t$ and the previous $(h_{t-1}, c_{t-1})$:
#
# $$
# \begin{aligned}
# i_t &= \sigma(W_i x_t + U_i h_{t-1} + b_i) &&\text{input gate: how much new content to write}\\
# f_t &= \sigma(W_f x_t + U_f h_{t-1} + b_f) &&\text{forget gate: how much old memory to keep}\\
# g_t &= \tanh(W_g x_t + U_g h_{t-1} + b_g) &&\text{candidate content}\\
# o_t &= \sigma(W_o x_t + U_o h_{t-1} + b_o) &&\text{output gate: how much memory to show}\\
# c_t &= f_t \odot c_{t-1} + i_t \odot g_t\\
# h_t &= o_t \odot \tanh(c_t)
# \end{aligned}
# $$
#
# The memory update is *additive*: $c_t$ is $c_{t-1}$ scaled by a gate plus new content,
# so $\partial c_t / \partial c_{t-1} = f_t$ — a gradient that a plain RNN's repeated
# matrix product would shrink or blow up passes back through the $f$'s instead.
#
# `minisora/nn/lstm.py` is this, line for line. The four $W$'s are stacked into one matrix
# (likewise $U$ and $b$) so one matmul gives all four pre-activations, which are then
# split and named `i_t, f_t, g_t, o_t`. In the parameters, $W$ is `x_gates` (no bias) and
# $U$ with $b$ is `h_gates`:

# %%
import inspect
import os

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from minisora.nn.lstm import LSTMCell, unroll

QUICK = os.environ.get("MINISORA_QUICK") == "1"
print(inspect.getsource(LSTMCell.__call__))

# %% [markdown]
# ## Shapes
#
# A batch of $B$ sequences of $T$ inputs of width $D$; a hidden width $H$.
# `x_gates` ($W$) is $(D, 4H)$, `h_gates` ($U$) is $(H, 4H)$, the bias $4H$ — its second quarter is $b_f$.

# %%
B, T, D, H = 2, 50, 8, 16
cell = LSTMCell(D, H, rngs=nnx.Rngs(0))
print("W:", cell.x_gates.kernel.shape, " U:", cell.h_gates.kernel.shape, " b:", cell.h_gates.bias.shape)
b_i, b_f, b_g, b_o = np.split(np.asarray(cell.h_gates.bias[...]), 4)
print("b_f starts at", b_f[:4], "…   b_i, b_g, b_o start at", b_i[0], b_g[0], b_o[0])

xs = jax.random.normal(jax.random.key(1), (B, T, D))
hs, (h_T, c_T) = unroll(cell, xs)
print("xs", xs.shape, "-> hs", hs.shape, " h_T", h_T.shape, " c_T", c_T.shape)

# %% [markdown]
# ## Why the forget bias starts at 1
#
# With $b_f = 0$ an untrained cell has $f_t \approx \sigma(0) = 0.5$: the memory is
# halved at every step, and so is the gradient that flows back along it. With
# $b_f = 1$, $f_t \approx \sigma(1) \approx 0.73$. Over 20 steps the difference in how
# much of $c_0$ still reaches $c_{20}$ is large — measure it with `jax.jacobian`
# (the direct path along $c$ alone gives $\prod_t f_t \approx \sigma(b_f)^{20}$ per unit;
# paths through $h$ add to it):

# %%
def memory_reach(cell, steps=20):
    """‖∂c_T/∂c_0‖ (Frobenius norm of the Jacobian): how much of the first memory survives."""
    x = 0.1 * jax.random.normal(jax.random.key(2), (1, steps, D))

    def c_T(c0):
        _, (_, c_T) = unroll(cell, x, (jnp.zeros((1, H)), c0[None]))
        return c_T[0]

    return float(jnp.linalg.norm(jax.jacobian(c_T)(jnp.zeros(H))))


zero_bias = LSTMCell(D, H, rngs=nnx.Rngs(0))
zero_bias.h_gates.bias[...] = jnp.zeros_like(zero_bias.h_gates.bias[...])
print(f"b_f = 1: ‖∂c_20/∂c_0‖ ≈ {memory_reach(cell):.2e}   (σ(1)^20 = {jax.nn.sigmoid(1.0) ** 20:.2e})")
print(f"b_f = 0: ‖∂c_20/∂c_0‖ ≈ {memory_reach(zero_bias):.2e}   (σ(0)^20 = {0.5 ** 20:.2e})")
assert memory_reach(cell) > 100 * memory_reach(zero_bias)

# %% [markdown]
# ## Why `lax.scan` and not a Python loop
#
# Under `jax.jit`, Python code runs once to *trace* a program. A `for t in range(T)`
# loop is unrolled while tracing: the compiled program holds $T$ copies of the cell,
# so compile time grows with $T$ and every new length compiles again. `lax.scan`
# traces the step once and compiles a loop around it: the program's size — and so its
# compile time — is flat in $T$. Count the operations in each traced program
# (a deterministic measure, no stopwatch needed):

# %%
def python_loop(cell, xs):
    carry = cell.initial_carry(xs.shape[0])
    hs = []
    for t in range(xs.shape[1]):
        carry, h_t = cell(carry, xs[:, t])
        hs.append(h_t)
    return jnp.stack(hs, axis=1)


def n_ops(f, xs):
    return len(jax.make_jaxpr(f)(xs).jaxpr.eqns)


for steps in (10, 50) if QUICK else (10, 50, 200):
    x = jnp.zeros((B, steps, D))
    loop = n_ops(lambda x: python_loop(cell, x), x)
    scan = n_ops(lambda x: unroll(cell, x)[0], x)
    print(f"T = {steps:4d}: Python loop traces {loop:5d} operations, lax.scan {scan:3d}")
scan_eqn = next(e for e in jax.make_jaxpr(lambda x: unroll(cell, x)[0])(xs).jaxpr.eqns if e.primitive.name == "scan")
print(f"(the scan holds one step, traced once: {len(scan_eqn.params['jaxpr'].jaxpr.eqns)} operations in its body)")
assert n_ops(lambda x: unroll(cell, x)[0], jnp.zeros((B, 10, D))) == n_ops(
    lambda x: unroll(cell, x)[0], jnp.zeros((B, 50, D)))

# %% [markdown]
# The weights go into the scan as explicit loop state: `unroll` splits the cell into
# a graph definition and its parameter arrays once, and the loop body merges them back.
# Nothing is captured from the enclosing Python scope, which is the style Flax's
# performance guide recommends for `jit` and `scan`.
#
# ## Check: the same numbers as Flax's own LSTM
#
# Flax ships `nnx.OptimizedLSTMCell`, with the same gate order (i, f, g, o) in its
# stacked kernels. Copy our weights into it and run both over the same 50 steps. (Flax
# keeps its carry as $(c, h)$; ours is $(h, c)$.) The outputs agree to float32 rounding:

# %%
ref = nnx.OptimizedLSTMCell(D, H, rngs=nnx.Rngs(3))
ref.dense_i.kernel[...] = cell.x_gates.kernel[...]
ref.dense_h.kernel[...] = cell.h_gates.kernel[...]
ref.dense_h.bias[...] = cell.h_gates.bias[...]

carry = (jnp.zeros((B, H)), jnp.zeros((B, H)))
ref_hs = []
for t in range(T):
    carry, y = ref(carry, xs[:, t])
    ref_hs.append(y)
err = float(jnp.abs(jnp.stack(ref_hs, axis=1) - hs).max())
print(f"max |ours − Flax| over {T} steps: {err:.1e}")
assert err < 1e-6

# %% [markdown]
# ## Where the LSTM goes in Sora
#
# In `minisora/nn/sora.py` this cell is the decoder. Its input at step $t$ is the
# previous token's embedding next to an attention read over the encoder's outputs,
# and its first $(h_0, c_0)$ comes from the encoder (`init_h`, `init_c`) — the next
# chapters build it. `unroll(cell, xs, carry)` takes any `cell(carry, x_t) -> (carry, y_t)`,
# so Sora's attention-LSTM cell runs through the very same scan.
# `tests/nn/test_lstm.py` also checks the gradients of `unroll` against central finite
# differences in float64.
