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
import tempfile

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from course import QUICK, show
from flax import nnx
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

import minisora
from minisora.datasets import ARTICLE_QUESTION, SHIPPED_DIALOGUES, load_dialogues
from minisora.nn import attention_weights, create
from minisora.nn.attention import attention_probs
from minisora.nn.lstm import LSTMCell, unroll
from minisora.tokenizer import BOS_ID, EOS_ID, chat_prompt, train_tokenizer
from minisora.training import batches

print(inspect.getsource(LSTMCell.gates))
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

# %% [markdown]
# ## Sora's decoder at work: the article's question
#
# Time to watch this cell inside a model that has learnt something. Fine-tune a small Sora on
# the shipped customer-service dialogues — the question goes to the encoder, the answer to
# the attention-LSTM decoder (chapter 7 explains the batches) — with the article's question
# 「我的账户为什么不能登录？」 ("why can't I log in to my account?") among them. The package's
# own batches and training loop do it: `batches.Batches("sora", "dialogue", …)` and
# `minisora.train`, with a tokenizer trained on the dialogues.

# %%
work = tempfile.mkdtemp(prefix="minisora-ch4-")
tok = train_tokenizer([SHIPPED_DIALOGUES["train"]], f"{work}/tok", vocab_size=800)
dialogues = load_dialogues(SHIPPED_DIALOGUES["train"])
chosen = [d for d in dialogues if d[0] == ARTICLE_QUESTION][:1] + dialogues[: 3 if QUICK else 150]
pairs = [(tok.encode(q), tok.encode(a)) for q, a in chosen]
d_model = 32 if QUICK else 64
shape = minisora.ModelConfig(family="sora", vocab_size=tok.vocab_size, d_model=d_model, n_heads=4, n_layers=2,
                             d_ff=2 * d_model, max_len=64, d_lstm=d_model)
prompt_len, answer_len = batches.dialogue_lengths(pairs, shape.max_len)
tcfg = minisora.TrainConfig(steps=80 if QUICK else 600, batch_size=8, seq_len=prompt_len + answer_len,
                            prefix_len=prompt_len, lr=1e-2 if QUICK else 3e-3, kind="dialogue")
data = batches.Batches("sora", "dialogue", pairs, pairs[-1:], batch_size=tcfg.batch_size, seq_len=tcfg.seq_len,
                       prefix_len=prompt_len, vocab_size=tok.vocab_size)
sora = create(shape)
minisora.train(sora, data, tcfg, quiet=True)  # no run directory: train only
print(f"fine-tuned on {len(pairs)} dialogues for {tcfg.steps} steps")

# %% [markdown]
# Now let it answer, one token at a time — the decoding of chapter 8, greedy — and at every
# step also read the four gates of its LSTM with `LSTMCell.gates`, from the cell's own input:
# $x_t = [\mathrm{LN_{in}}(E\,y_{t-1});\ \tilde h_{t-1}]$ and $h_{t-1}$ (Sora's docstring). The state
# after each step holds $c_t$, which must be $f_t \odot c_{t-1} + i_t \odot g_t$ exactly.

# %%
@nnx.jit
def step_with_gates(model, state, token):
    """One decoding step, and the gates (i_t, f_t, g_t, o_t) the LSTM used in it."""
    x_t = jnp.concatenate([model.ln_in(model.encoder.tok_embed(token)), state["h_tilde"]], axis=-1)  # (B, 2C)
    gates = model.cell.lstm.gates(state["h"], x_t)  # four (B, H)
    logits, new = model.step(state, token)
    return logits, new, gates


prompt = jnp.asarray([chat_prompt(tok.encode(ARTICLE_QUESTION))])  # (1, S): <user> question <assistant>
prompt_mask = jnp.ones_like(prompt)
state = sora.start(sora.encoder(prompt, prompt_mask), prompt_mask)  # h_0, c_0 from the encoder; prefill = this + BOS
token, written, gate_rows, hs = jnp.array([BOS_ID]), [], [], []
for t in range(40):
    c_prev = state["c"]
    logits, state, (i_t, f_t, g_t, o_t) = step_with_gates(sora, state, token)
    assert jnp.allclose(state["c"], f_t * c_prev + i_t * g_t, atol=1e-5)  # the cell's own memory update
    gate_rows.append(np.stack([i_t[0], f_t[0], g_t[0], o_t[0]]))  # (4, H)
    hs.append(state["h"])
    token = jnp.argmax(logits, axis=-1)  # greedy
    written.append(int(token[0]))
    if written[-1] == EOS_ID:
        break
answer = tok.decode([i for i in written if i != EOS_ID])
print(f"{ARTICLE_QUESTION} -> {answer}")
gates = np.stack(gate_rows)  # (steps, 4, H)

# %% [markdown]
# The font question first: Matplotlib draws Chinese only with a font that has Chinese
# characters (chapter 1). Where there is none, the Chinese pieces on the axes are numbered
# and printed below the cell.

# %%
def font_with(char):
    """The name of an installed font that can draw ``char``, or None."""
    for entry in font_manager.fontManager.ttflist:
        if entry.name.startswith("Last Resort"):
            continue
        try:
            if FT2Font(entry.fname).get_char_index(ord(char)):
                return entry.name
        except (OSError, RuntimeError):
            continue
    return None


cjk_font = font_with("我")
if cjk_font:
    plt.rcParams["font.sans-serif"] = [cjk_font, *plt.rcParams["font.sans-serif"]]
prompt_pieces = [tok.id_to_piece(int(i)) for i in prompt[0]]
written_pieces = [tok.id_to_piece(i) for i in written]


def ticks(pieces):
    """The pieces as axis labels: themselves where a font can draw them, else their index."""
    return [p if cjk_font or p.isascii() else str(k) for k, p in enumerate(pieces)]


if not cjk_font:
    print("no font for Chinese here: the axes number the pieces")
    print("prompt: ", "  ".join(f"{k}:{p}" for k, p in enumerate(prompt_pieces)))
    print("written:", "  ".join(f"{k}:{p}" for k, p in enumerate(written_pieces)))

# %% [markdown]
# **The four gates** while Sora writes its answer, for the first 16 of the LSTM's units (one
# row each), one column per written token. $i$, $f$ and $o$ are fractions between 0 and 1, the
# candidate $g$ is signed. Look for horizontal stripes: a unit whose forget gate stays high
# (yellow) carries its memory $c$ along for many tokens, one whose $f$ drops is rewritten
# there ($i$ high at the same step lets the new content $g$ in); $o$ decides, unit by unit,
# how much of that memory the rest of the decoder sees.

# %%
units = min(16, shape.d_lstm)
fig, axes = plt.subplots(1, 4, figsize=(8.5, 3.4), sharey=True, layout="constrained")
for k, (ax, name) in enumerate(zip(axes, ("input gate i", "forget gate f", "candidate g", "output gate o"))):
    signed = name.startswith("candidate")
    im = ax.imshow(gates[:, k, :units].T, aspect="auto", cmap="RdBu_r" if signed else "viridis",
                   vmin=-1 if signed else 0, vmax=1)
    ax.set_title(name, fontsize=10)
    ax.set_xlabel("written token (step)", fontsize=9)
    ax.set_xticks(range(0, len(written), 4))
    ax.tick_params(labelsize=9)
    fig.colorbar(im, ax=ax, orientation="horizontal", fraction=0.05, pad=0.02)
axes[0].set_ylabel("LSTM unit", fontsize=9)
fig.suptitle(f"Sora's decoder LSTM writing 「{answer}」" if cjk_font else
             f"Sora's decoder LSTM writing its {len(written)}-token answer: the gates at every step", fontsize=10)
show(fig, "04_gates.png")

# %% [markdown]
# **Where the decoder looks.** Each step's attention $\alpha_t$ over the encoder's outputs
# (Sora's docstring: $\alpha_t = \mathrm{softmax}_s(h_t \cdot k_s/\sqrt H)$) is returned by
# `attention_weights(sora, prompt, mask, dec_in)` under `"cell"`: one row per decoder input,
# here $[\mathrm{BOS}, y_1, \dots]$ — the tokens it just wrote, fed back — so row $t$ is the
# step that wrote $y_{t+1}$. Teacher-forced on its own answer, the decoder computes exactly
# what it computed while decoding; check it against $h_t$ of each step:

# %%
dec_in = jnp.asarray([[BOS_ID] + written[:-1]])  # (1, T): what each step read
alpha = np.asarray(attention_weights(sora, prompt, prompt_mask, dec_in)["cell"][0, 0])  # (T, S)
by_hand = np.concatenate([attention_probs(h[:, None], state["keys"], prompt_mask[:, None].astype(bool))[0]
                          for h in hs])  # softmax(h_t · k_s / √H), from each step's h_t
print("α", alpha.shape, " max |attention_weights − by hand| =", float(np.abs(alpha - by_hand).max()))
assert np.allclose(alpha, by_hand, atol=1e-5)

fig, ax = plt.subplots(figsize=(8, 4.5))
im = ax.imshow(alpha, cmap="Blues", vmin=0, vmax=alpha.max(), aspect="auto")  # the colours span the weights there are
ax.set_xticks(range(len(prompt_pieces)), ticks(prompt_pieces), rotation=90, fontsize=9)
ax.set_yticks(range(len(written_pieces)), ticks(written_pieces), fontsize=9)
ax.set_xlabel("prompt token s (the encoder's output e_s)")
ax.set_ylabel("token written at that step")
ax.set_title("Sora's decoder attending over the article's question while it answers", fontsize=10)
fig.colorbar(im, ax=ax, label=r"attention weight $\alpha_{t,s}$")
show(fig, "04_decoder_attention.png")
print(f"{ARTICLE_QUESTION} -> {answer}")

# %% [markdown]
# Each row is a distribution over the prompt: the decoder sees only its own previous token,
# and attention is how it keeps reading the question. Do not expect the neat word-for-word
# diagonal of a translation model: nothing here asks for an alignment, and a small model
# trained briefly learns whatever lookup lowers its loss. In the full run the first steps
# spread their weight over the question's characters, and the last ones — the full stop and
# `</s>` — look mostly at the `<user>` marker, a place with no content that says "the
# question starts here". (Quick mode's tiny model has memorised its four answers and
# attends almost uniformly.)
#
# ## Exercises
#
# 1. **One LSTM step by hand.** Write `lstm_step(W, U, b, h_prev, c_prev, x_t)` in numpy:
#    the gate equations at the top of this chapter, with the stacked weights of the package's
#    cell — `W` $(D, 4H)$ (`x_gates.kernel`), `U` $(H, 4H)$ and `b` $(4H)$ (`h_gates`), gates in
#    the order $i, f, g, o$ — returning `(h_t, c_t)`. The check compares it with `LSTMCell`
#    holding the same weights, over several steps and shapes.
# 2. **Attention over the prompt.** Write `attend(h_t, keys, enc, enc_mask)`: Sora's read of
#    the prompt, $\alpha_{t,s} = \mathrm{softmax}_s(h_t \cdot k_s/\sqrt H)$ over the real
#    tokens ($m_s = 1$) and $\mathrm{ctx}_t = \sum_s \alpha_{t,s} e_s$, for a batch: `h_t` (B, H),
#    `keys` (B, S, H), `enc` (B, S, C), `enc_mask` (B, S); return `(alpha, ctx)`. The check
#    compares it with the package's `attention_probs` and a left-padded prompt.
#
# The solutions are in `tutorials/solutions/ch04.py` — try first.

# %%
from course import ch04  # noqa: E402


def lstm_step(W, U, b, h_prev, c_prev, x_t):
    raise NotImplementedError  # your code here


def attend(h_t, keys, enc, enc_mask):
    raise NotImplementedError  # your code here


ch04.check_lstm_step(lstm_step)
ch04.check_attend(attend)
