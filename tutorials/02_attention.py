# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Chapter 2 — Attention by hand
#
# Both of the article's models are built on one operation. "Sora" reads its prompt with
# a BERT-style encoder; "ChatGPT" is a GPT-2-style decoder. Inside both, every token
# builds its next representation as a weighted average of all the tokens it may see,
# with weights it computes itself. That is *attention*:
#
# $$
# \mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\Big(\frac{Q K^\top}{\sqrt{D}} + M\Big)\, V
# $$
#
# Each token $t$ asks a question (its *query* $q_t$), every token $s$ offers a label
# (its *key* $k_s$) and a content (its *value* $v_s$). The score $q_t \cdot k_s/\sqrt D$
# says how well they match; softmax turns a row of scores into weights that sum to 1;
# the output is the weighted sum of values. $M$ is the *mask*: 0 where $t$ may look at
# $s$, $-\infty$ where it may not.
#
# *Multi-head* attention runs $H$ of these side by side on slices of width
# $D = C/H$ of the stream, so different heads can look for different things, then
# concatenates the heads and mixes them with an output matrix:
#
# $$
# Q_h = X W_{q,h},\quad K_h = X W_{k,h},\quad V_h = X W_{v,h},\qquad
# Y = \big[\mathrm{head}_1, \dots, \mathrm{head}_H\big]\, W_o .
# $$
#
# `minisora/nn/attention.py` is this and nothing else. Let us take it apart.

# %%
import math

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from course import show
from flax import nnx
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from minisora.config import ModelConfig
from minisora.nn import attention_weights
from minisora.nn.attention import MultiHeadAttention, attention, causal_mask, padding_mask, write_cache
from minisora.nn.gpt import ChatGPT

np.set_printoptions(precision=3, suppress=True, linewidth=110)

B, T, C, H = 2, 6, 16, 4  # batch, tokens, width, heads
D = C // H
mha = MultiHeadAttention(C, H, rngs=nnx.Rngs(0))
x = jax.random.normal(jax.random.key(1), (B, T, C))  # stand-in for token embeddings
print("x          ", x.shape, "  (B, T, C)")
print("W_q|W_k|W_v", mha.qkv.kernel.shape, "  one fused (C, 3C) matrix: one matmul instead of three")
print("W_o        ", mha.out.kernel.shape)

# %% [markdown]
# ## Step by step
#
# One matmul gives $[Q\,|\,K\,|\,V]$ for all heads at once. Reshaping the last axis
# into (3, H, D) and moving the head axis forward gives each head its own (T, D)
# matrices — `mha.heads(x)` does exactly this:

# %%
qkv = x @ mha.qkv.kernel[...] + mha.qkv.bias[...]  # (B, T, 3C)
qkv = qkv.reshape(B, T, 3, H, D).transpose(2, 0, 3, 1, 4)  # (3, B, H, T, D)
q, k, v = qkv
print("q, k, v    ", q.shape, "  (B, H, T, D)")

scores = jnp.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(D)  # (B, H, T, T): every query against every key
weights = jax.nn.softmax(scores, axis=-1)
print("scores     ", scores.shape, "  (B, H, Tq, Tk); each row of weights sums to", float(weights[0, 0, 0].sum()))
heads = jnp.einsum("bhqk,bhkd->bhqd", weights, v)  # (B, H, T, D)
y_by_hand = heads.transpose(0, 2, 1, 3).reshape(B, T, C) @ mha.out.kernel[...] + mha.out.bias[...]  # (B, T, C)
print("output     ", y_by_hand.shape, "  (B, T, C): same shape as x, so blocks can stack")
np.testing.assert_allclose(mha(x), y_by_hand, atol=1e-6)

# %% [markdown]
# Why divide by $\sqrt D$? If the entries of $q$ and $k$ have variance 1, their dot
# product over $D$ coordinates has variance $D$. Without the scale, wide heads would
# push softmax into saturation (one weight ≈ 1, the rest ≈ 0) and its gradients
# would vanish. (The module multiplies $q$ by $1/\sqrt D$ before the product: the same
# number, on a (T, D) matrix instead of a (T, T) one.)
#
# ## The reference check
#
# A hand-written kernel is only as good as its check. JAX ships its own
# `jax.nn.dot_product_attention`; ours must agree with it (it wants the layout
# (B, T, H, D), hence the transposes):

# %%
to_bthd = lambda a: a.transpose(0, 2, 1, 3)
ours = attention(q, k, v, causal_mask(T))
reference = to_bthd(jax.nn.dot_product_attention(to_bthd(q), to_bthd(k), to_bthd(v), is_causal=True))
print("max |ours - jax.nn.dot_product_attention| =", float(jnp.abs(ours - reference).max()))
assert jnp.allclose(ours, reference, atol=1e-5)

# %% [markdown]
# `tests/nn/test_attention.py` repeats this with no mask, a padding mask, and causal +
# padding, checks the whole module against Flax's `nnx.MultiHeadAttention` with the
# same weights, and checks the gradients too.
#
# ## Masks
#
# Masks here are booleans, `True` = "may attend", shaped to broadcast against the
# (B, H, Tq, Tk) scores.
#
# **Causal mask** — a decoder predicting token $t+1$ must not peek at it, so query
# $t$ sees keys $0..t$ only: a lower triangle.

# %%
print(causal_mask(T)[0, 0].astype(int))
w = jax.nn.softmax(jnp.where(causal_mask(T), scores, jnp.finfo(scores.dtype).min), axis=-1)
print("causal attention weights, sequence 0, head 0 (nearly uniform over what each query may see:\n"
      "the weights are freshly initialised, so all scores are close to 0):\n", np.asarray(w[0, 0]))

# %% [markdown]
# **Padding mask** — a batch holds sentences of different lengths, padded to one
# length with `PAD` tokens. Nobody should read a pad. `padding_mask` turns the
# (B, T) 0/1 token mask into a (B, 1, 1, Tk) key mask; combine masks with `&`.
# Here row 0 is left-padded by two tokens:

# %%
token_mask = jnp.array([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]])
both = causal_mask(T) & padding_mask(token_mask)  # (B, 1, T, T)
print(both[0, 0].astype(int))

# %% [markdown]
# The three masks as pictures: row $t$ is a query, column $s$ a key, a filled cell means "$t$
# may attend to $s$". The causal mask is the lower triangle; the padding mask (of row 0,
# broadcast over its queries) blanks the first two *columns*, the pads; `&` keeps what both allow.

# %%
panels = [("causal_mask(T)", causal_mask(T)[0, 0]),
          ("padding_mask (row 0)", jnp.broadcast_to(padding_mask(token_mask)[0, 0], (T, T))),
          ("causal & padding", both[0, 0])]
fig, axes = plt.subplots(1, 3, figsize=(8, 3.8))
for ax, (title, m) in zip(axes, panels):
    ax.imshow(np.asarray(m), cmap=ListedColormap(["#eeeeee", "tab:blue"]), vmin=0, vmax=1)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("key position s", fontsize=9)
    ax.set_xticks(range(T))
    ax.set_yticks(range(T))
    ax.tick_params(labelsize=9)
axes[0].set_ylabel("query position t", fontsize=9)
fig.legend(handles=[Patch(color="tab:blue", label="True: may attend"), Patch(color="#eeeeee", label="False: masked")],
           loc="lower center", ncol=2, fontsize=9, frameon=False)
fig.suptitle("Boolean attention masks for T = 6 (row 0 of the batch has two pads on the left)", fontsize=11)
fig.tight_layout(rect=(0, 0.1, 1, 1))
show(fig, "02_masks.png")

# %% [markdown]
# The first two rows of that picture see nothing at all: they are the pads themselves,
# whose outputs nobody uses. What matters is that such a row does not turn into NaN
# and poison the batch — which brings us to the value we mask with.
#
# ## Why `jnp.finfo(dtype).min`, not `-1e9`
#
# Many codebases *add* a large negative constant to masked scores. Two things go wrong:
#
# 1. in float16, $-10^9$ does not exist — it rounds to $-\infty$; a row that is all
#    masked becomes $\mathrm{softmax}(-\infty, \dots) = 0/0 =$ NaN;
# 2. a constant is only "small" relative to the scores: a score of $10^{10}$ plus
#    $-10^9$ still wins.
#
# We *replace* masked scores by the most negative finite number of the dtype. After
# softmax subtracts the row maximum, they become $e^{\text{very negative}} = 0$
# exactly, and an all-masked row is uniform and finite:

# %%
with np.errstate(over="ignore"):  # numpy would warn about the overflow: that is the point
    minus_1e9_in_fp16 = jnp.asarray(np.float16(-1e9))
print("float16(-1e9) =", minus_1e9_in_fp16, "  finfo(float16).min =", jnp.finfo(jnp.float16).min)
row = jnp.zeros(4, jnp.float16)
print("all masked, -1e9 added (float16):", jax.nn.softmax(row + minus_1e9_in_fp16))
print("all masked, finfo.min (float16): ", jax.nn.softmax(jnp.full(4, jnp.finfo(jnp.float16).min)))
huge = jnp.array([1e10, 0.0, 0.0])  # the first key is masked but scores enormously
print("additive -1e9 lets the masked key win:", jax.nn.softmax(huge + jnp.array([-1e9, 0, 0])))
print("replacing by finfo.min does not:      ", jax.nn.softmax(jnp.where(jnp.array([False, True, True]), huge, jnp.finfo(jnp.float32).min)))

# %% [markdown]
# ## The key/value cache
#
# A decoder generates one token at a time. At step $t$ the new token's query needs the
# keys and values of *all* earlier tokens — but those never change (causal attention:
# earlier tokens cannot see later ones). Recomputing them every step costs $O(t)$
# projections per step, $O(T^2)$ over a generation. So we keep them.
#
# The cache is preallocated, {"k": (B·H, S, D), "v": (B·H, S, D)} with $S$ slots per
# layer (the heads folded into the batch axis: attention then reads the buffer exactly
# as it is stored, which keeps XLA from copying it; see `minisora/nn/attention.py`), and
# the new tokens' keys and values are written at a *write index* with
# `lax.dynamic_update_slice` — that is `write_cache(cache, k, v, index)`. Its shapes never
# change, so one compiled step serves every position, and inside `jit`/`lax.scan` the
# write happens in place (this is how Hugging Face's Flax GPT-2 does it too). The
# unwritten slots hold zeros and must be masked: query at slot $i$ sees slots $\le i$.
#
# We do not invent the buffers here: the decoder of chapter 5 makes them.
# `ChatGPT.init_state(batch, cache_len)` is its empty decoding state — one (B·H, S, D)
# key buffer and one value buffer per layer, plus the write index. A one-layer ChatGPT of
# our width and heads gives exactly the cache our `mha` needs:

# %%
S, P = 8, 4  # slots in the cache, prompt length
slots = jnp.arange(S)
gpt = ChatGPT(ModelConfig(family="gpt", vocab_size=32, d_model=C, n_heads=H, n_layers=1, d_ff=4 * C, max_len=S),
              rngs=nnx.Rngs(0))
state = gpt.init_state(B, S)
print("decoding state", {name: [b.shape for b in buf] if isinstance(buf, tuple) else buf.shape
                         for name, buf in state.items()})
cache = {"k": state["k"][0], "v": state["v"][0]}  # layer 0's buffers: (B·H, S, D) zeros
print("empty cache   ", {name: c.shape for name, c in cache.items()}, "  (B·H, S, D)")

# %% [markdown]
# `write_cache` is the whole update. Row $b$'s head $h$ lives at entry $b \cdot H + h$:
# fold the (B, H, T, D) keys and values of the prompt into (B·H, T, D) and write them
# at index 0 — slots 0..P−1 fill, the rest stay zero:

# %%
fold = lambda a: a.reshape(B * H, *a.shape[2:])  # (B, H, T, D) -> (B·H, T, D)
_, k_prompt, v_prompt = mha.heads(x[:, :P])
written = write_cache(cache, fold(k_prompt), fold(v_prompt), 0)
print("slots holding a key, entry 0:", np.asarray(jnp.abs(written["k"][0]).sum(-1) > 0).astype(int))
assert jnp.array_equal(written["k"][:, :P], fold(k_prompt)) and not written["k"][:, P:].any()

# %% [markdown]
# `mha.cached(x, cache, index, mask)` calls `write_cache` and then attends over all $S$
# slots. It serves both phases of decoding: *prefill* (the whole prompt at index 0) and
# *step* (one token at index $t$).

# %%
y_prefill, cache = mha.cached(x[:, :P], cache, 0, (slots[None, :] <= jnp.arange(P)[:, None])[None, None])
outputs = [y_prefill]
for t in range(P, T):  # one token at a time
    y_t, cache = mha.cached(x[:, t : t + 1], cache, t, (slots <= t)[None, None, None, :])
    outputs.append(y_t)
    print(f"step at index {t}: new token {x[:, t:t+1].shape} -> output {y_t.shape}; slots written: {t + 1}/{S}")
cached = jnp.concatenate(outputs, axis=1)
full = mha(x, causal_mask(T))  # all T tokens at once, no cache
print("max |cached - full causal attention| =", float(jnp.abs(cached - full).max()))
assert jnp.allclose(cached, full, atol=1e-5)

# %% [markdown]
# How big does it get? Per sequence, a model with $N$ layers keeps
# $2 \cdot N \cdot S \cdot C$ numbers. For GPT-2 small (N = 12, C = 768) at its full
# context S = 1024, in float32:

# %%
N_gpt2, C_gpt2, S_gpt2 = 12, 768, 1024
kv_bytes = 2 * N_gpt2 * S_gpt2 * C_gpt2 * 4
print(f"{kv_bytes / 2**20:.0f} MiB per sequence")

# %% [markdown]
# `minisora.nn.state_bytes(config, prompt_len, new_tokens)` measures the real decoding
# state from its shapes alone (nothing is allocated): the same key/value buffers, plus a
# few bytes of bookkeeping per slot (the write index, each row's position, the pad mask).

# %%
from minisora.config import config_from_preset  # noqa: E402
from minisora.nn import state_bytes  # noqa: E402

measured = state_bytes(config_from_preset("gpt", "gpt2-small"), prompt_len=1, new_tokens=S_gpt2 - 1)
print(f"state_bytes: {measured / 2**20:.2f} MiB, of which key/value buffers {kv_bytes / 2**20:.2f} MiB")
assert kv_bytes <= measured < kv_bytes + 64 * S_gpt2

# %% [markdown]
# ## Seeing the weights: `attention_weights`
#
# The matrix $A = \mathrm{softmax}(QK^\top/\sqrt D + M)$ is what a head *looks at*, so it is
# worth drawing. The models never keep it (a (T × T) array per head and layer would cost memory
# and time in every training step). `minisora.nn.attention_weights(model, *inputs)` runs the
# model once with its attention modules told to keep $A$ — Flax's `sow`, collected by
# `nnx.capture` — and returns one (B, H, Tq, Tk) array per layer, keyed by the module's path
# (`"blocks/0/attn"`). The model's outputs do not change, and nothing stays behind.
#
# The one-layer ChatGPT above, on the same two rows (row 0 left-padded by two):

# %%
ids = jax.random.randint(jax.random.key(2), (B, T), 9, 32)  # ids 0..8 are the special tokens
A = attention_weights(gpt, ids, mask=token_mask)
print({name: a.shape for name, a in A.items()}, "  (B, H, Tq, Tk)")
a = np.asarray(A["blocks/0/attn"])
np.testing.assert_allclose(a.sum(-1), 1, atol=1e-5)  # every row is a distribution …
assert (np.triu(a[1], k=1) == 0).all() and (a[0, :, 2:, :2] == 0).all()  # … with 0 on the future and on pads

fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
for ax, row in zip(axes, (0, 1)):
    im = ax.imshow(a[row, 0], cmap="Blues", vmin=0, vmax=1)
    for t in range(T):
        for s_ in range(T):
            ax.text(s_, t, f"{a[row, 0, t, s_]:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if a[row, 0, t, s_] > 0.6 else "black")
    ax.set_title(f"row {row}" + (" (two pads on the left)" if row == 0 else " (no padding)"), fontsize=10)
    ax.set_xlabel("key position s", fontsize=9)
    ax.set_ylabel("query position t", fontsize=9)
    ax.tick_params(labelsize=9)
fig.colorbar(im, ax=axes, shrink=0.8, label="attention weight $A_{t,s}$")
fig.suptitle("Head 0 of an untrained one-layer ChatGPT: attention_weights(gpt, ids, mask=token_mask)", fontsize=10)
show(fig, "02_weights.png")

# %% [markdown]
# Freshly initialised, every score is close to 0, so each query spreads its weight almost
# evenly over what it may see: $1/(t+1)$ on row 1, $1/(t-1)$ on the real queries of row 0,
# exactly 0 on the future and on the pads. (The pads' own rows, 0 and 1 of row 0, may see
# nothing and get the uniform row $1/T$ — finite, and never used.) Training sharpens these
# rows: chapters 3, 4 and 5 draw the weights of models trained on real text.
#
# Chapter 5 builds the causal decoder from these blocks, with `prefill` and `step`
# on top of this cache; chapter 8 turns them into a sampling loop.
#
# ## Exercises
#
# 1. **The causal mask.** Write `causal(T)`: a (T, T) boolean numpy array, True where query
#    $t$ may attend to key $s$ in a decoder. The check compares it with `causal_mask(T)` for
#    T = 1 … 7.
# 2. **A decoder's mask for a padded batch.** Write `decoder_mask(token_mask)`: from a (B, T)
#    0/1 array (1 = real token) the (B, T, T) boolean mask of causal attention that never
#    reads a pad. The check compares it with `causal_mask(T) & padding_mask(token_mask)` on
#    left-padded, right-padded and unpadded rows.
# 3. **Masked softmax.** Write `masked_softmax(scores, mask)` in numpy: softmax over the last
#    axis of the scores where `mask` is True, exactly 0 where it is False, and — like the
#    package — a finite uniform row where a query may see nothing. The check compares it
#    with the package's `attention_probs` on random scores, a row with every key masked, and
#    a masked key scoring $10^{10}$.
#
# The solutions are in `tutorials/solutions/ch02.py` — try first.

# %%
from course import ch02  # noqa: E402


def causal(T):
    raise NotImplementedError  # your code here


def decoder_mask(token_mask):
    raise NotImplementedError  # your code here


def masked_softmax(scores, mask):
    raise NotImplementedError  # your code here


ch02.check_causal(causal)
ch02.check_decoder_mask(decoder_mask)
ch02.check_masked_softmax(masked_softmax)
