# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Chapter 5 — The causal decoder
#
# The article's "ChatGPT" is a GPT-2-style Transformer *decoder*: a stack of the
# attention layers of chapter 2 *with* the causal mask, trained to predict each next
# token. `minisora/nn/gpt.py` follows GPT-2's layout exactly:
#
# $$
# \begin{aligned}
# h^0_t &= E[x_t] + P[t] &&\text{token + learned position embeddings}\\
# a &= h^{l-1} + \mathrm{Attn}\big(\mathrm{LN}_1(h^{l-1}),\ \text{causal}\big) &&\text{pre-LN: normalise, then add}\\
# h^l &= a + W_2\,\mathrm{GELU}\big(W_1\,\mathrm{LN}_2(a) + b_1\big) + b_2 &&\text{MLP of width } 4C\\
# \mathrm{logits}_t &= \mathrm{LN}_f(h^N_t)\, E^\top &&\text{the head is the token embedding, transposed}
# \end{aligned}
# $$
#
# `logits[t]` scores every vocabulary entry as the token at $t+1$. Compare the encoder of
# chapter 3: there LayerNorm comes *after* each residual add (post-LN, BERT); here it
# comes *before* each sub-layer (pre-LN, GPT-2), which leaves a clean residual
# "highway" from the embeddings to the head and trains deep stacks more stably.

# %%
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from minisora.config import ModelConfig, config_from_preset
from minisora.nn import count_params
from minisora.nn.attention import causal_mask
from minisora.nn.gpt import ChatGPT
from minisora.tokenizer import N_SPECIAL

QUICK = os.environ.get("MINISORA_QUICK") == "1"
config = ModelConfig(family="gpt", vocab_size=40, d_model=32, n_heads=4, n_layers=2, d_ff=128, max_len=32)
model = ChatGPT(config, rngs=nnx.Rngs(0))
ids = jax.random.randint(jax.random.key(1), (2, 10), N_SPECIAL, config.vocab_size)  # (B, T); ids 0..8 are special
logits = model(ids)
print("ids", ids.shape, "-> logits", logits.shape, "  (B, T) -> (B, T, V)")

# %% [markdown]
# ## Through the stack, by hand
#
# The model's `__call__` is these few lines. Running them ourselves shows every shape,
# and shows that the head really is $E^\top$: there is no separate output matrix.

# %%
B, T = ids.shape
h = model.tok_embed(ids) + model.pos_embed(jnp.arange(T))  # (B, T, C): E[x_t] + P[t]
print("embeddings     ", h.shape)
mask = causal_mask(T)  # (1, 1, T, T), built once for all blocks
for l, block in enumerate(model.blocks):
    h = block(h, mask)  # (B, T, C) -> (B, T, C)
    print(f"after block {l}  ", h.shape)
E = model.tok_embed.embedding[...]  # (V, C)
logits_by_hand = model.ln_f(h) @ E.T  # (B, T, V)
print("logits = LN(h) Eᵀ", logits_by_hand.shape, "  E is", E.shape)
assert jnp.allclose(logits_by_hand, logits, atol=1e-5)

# %% [markdown]
# Tying the head to the embedding (Press & Wolf, 2017) saves $V \cdot C$ parameters —
# 38.6 M of GPT-2 small's 124 M — and makes sense: a token's input vector and the
# direction that predicts it can be the same vector.
#
# ## GPT-2 small, counted from the arrays
#
# The `gpt2-small` preset has GPT-2 small's shapes. `nnx.eval_shape` builds the model
# without allocating a weight, so we can count the parameters it would have:

# %%
gpt2 = nnx.eval_shape(lambda: ChatGPT(config_from_preset("gpt", "gpt2-small"), rngs=nnx.Rngs(0)))
parts = {"tok_embed (tokens, also the head)": gpt2.tok_embed, "pos_embed (positions)": gpt2.pos_embed,
         "12 blocks": gpt2.blocks, "ln_f": gpt2.ln_f}
for name, part in parts.items():
    print(f"{name:34s} {count_params(nnx.state(part, nnx.Param)):>12,d}")
print(f"{'total':34s} {count_params(gpt2):>12,d}")
assert count_params(gpt2) == 124_439_808  # GPT-2 small as published (tied head)

# %% [markdown]
# ## GPT-2's initialisation
#
# Every weight starts as $\mathcal N(0, 0.02^2)$, biases at 0, LayerNorm at (1, 0) —
# except the two projections that *write into* the residual stream in each block
# (the attention output $W_o$ and the MLP's $W_2$). Those start at
# $\mathcal N\big(0, (0.02/\sqrt{2N})^2\big)$: the stream is a sum of $2N$ such
# contributions, and shrinking each by $\sqrt{2N}$ keeps the sum's variance at
# initialisation roughly independent of depth.

# %%
deep = ChatGPT(ModelConfig(vocab_size=64, d_model=64, n_heads=4, n_layers=12, d_ff=256, max_len=32),
               rngs=nnx.Rngs(0))
blk = deep.blocks[0]
for name, w in [("tok_embed", deep.tok_embed.embedding), ("attn W_q|W_k|W_v", blk.attn.qkv.kernel),
                ("mlp W_1 (fc1)", blk.fc1.kernel), ("attn W_o  (residual)", blk.attn.out.kernel),
                ("mlp W_2 (fc2, residual)", blk.fc2.kernel)]:
    print(f"{name:24s} std {float(jnp.std(w[...])):.4f}")
print(f"{'0.02 / sqrt(2N)':24s}     {0.02 / math.sqrt(2 * 12):.4f}")


def stream_growth(model, ids):
    """Std of the residual stream added by the blocks, relative to the embeddings' std."""
    T = ids.shape[1]
    h0 = model.tok_embed(ids) + model.pos_embed(jnp.arange(T))
    h = h0
    for block in model.blocks:
        h = block(h, causal_mask(T))
    return float(jnp.std(h - h0) / jnp.std(h0))


unscaled = ChatGPT(deep.config, rngs=nnx.Rngs(0))
for block in unscaled.blocks:  # undo the 1/sqrt(2N): plain N(0, 0.02²) everywhere
    block.attn.out.kernel[...] *= math.sqrt(2 * 12)
    block.fc2.kernel[...] *= math.sqrt(2 * 12)
x12 = jax.random.randint(jax.random.key(2), (4, 16), 0, 64)
print(f"what 12 blocks add to the stream, relative to the embeddings: "
      f"{stream_growth(deep, x12):.3f} (GPT-2 init) vs {stream_growth(unscaled, x12):.3f} (unscaled)")

# %% [markdown]
# ## Causal: token $t$ changes nothing before $t$
#
# The causal mask is the whole difference between this decoder and chapter 3's encoder.
# Change one token and compare the logits: positions before it must not move at all
# (exactly, not approximately), positions from it on do.

# %%
t = 6
changed = ids.at[:, t].set((ids[:, t] + 1) % config.vocab_size)
moved = jnp.abs(model(changed) - logits).max(axis=(0, 2))  # (T,): largest change per position
print("largest logit change per position:", np.asarray(moved).round(4))
assert (moved[:t] == 0).all() and (moved[t:] > 0).all()

# %% [markdown]
# That is what lets training use *one* forward pass for all $T$ positions: position
# $t$'s prediction of token $t+1$ cannot have peeked at it.
#
# ## Generating: prefill, then one token at a time
#
# To *generate*, the model must be run again after each new token, feeding that token
# back in. With chapter 2's key/value cache the cost of each step is one token's worth
# of work, not a whole forward pass. The decoder exposes two functions:
#
# - `prefill(prompt_ids, prompt_mask, cache_len) -> (logits, state)` runs the prompt once,
#   fills the cache, and returns the logits of the first new token;
# - `step(state, token) -> (logits, state)` feeds one token per row.
#
# The state is a pytree of arrays with fixed shapes — the per-layer caches
# (one (B·H, S, D) buffer per layer), the write index, each row's next position, and which slots are
# padding — so chapter 8 can run `step` inside a compiled `lax.scan`. `prefill` starts
# from `init_state(batch, cache_len)`, the all-zero state chapter 2 borrowed its cache from.
#
# Our reference: prefilling a prompt and stepping through the rest of a sequence must
# give the logits of the plain forward pass over the whole sequence.

# %%
P = 4
prefill, step = nnx.jit(ChatGPT.prefill, static_argnums=3), nnx.jit(ChatGPT.step)
first, state = prefill(model, ids[:, :P], jnp.ones((B, P), jnp.int32), 16)
# k and v hold one (B·H, S, D) buffer per layer; index, pos and valid are the bookkeeping
print({name: [a.shape for a in x] if isinstance(x, tuple) else x.shape for name, x in state.items()})
stepped = [first]
for t in range(P, T - 1):
    z, state = step(model, state, ids[:, t])
    stepped.append(z)
stepped = jnp.stack(stepped, axis=1)  # (B, T - P, V)
print("max |prefill + steps - forward| =", float(jnp.abs(stepped - logits[:, P - 1 : -1]).max()))
assert jnp.allclose(stepped, logits[:, P - 1 : -1], atol=1e-5)

# %% [markdown]
# **Batches of different prompt lengths** are *left*-padded, so every row's next token
# goes into the same slot. Each row's positions count only its real tokens,
# $p = \mathrm{cumsum}(\text{mask}) - 1$, and pad slots are masked out of attention,
# so a padded row decodes exactly as it would alone:

# %%
short = ids[1:, :2]  # a 2-token prompt...
padded = jnp.concatenate([jnp.zeros((1, P - 2), jnp.int32), short], axis=1)  # ...left-padded to P
mask = jnp.array([[0] * (P - 2) + [1, 1]])
z_padded, _ = prefill(model, padded, mask, 16)
z_alone, _ = prefill(model, short, jnp.ones((1, 2), jnp.int32), 16)
print("padded prompt", np.asarray(padded), "mask", np.asarray(mask), "-> same first logits as alone:",
      bool(jnp.allclose(z_padded, z_alone, atol=1e-5)))
assert jnp.allclose(z_padded, z_alone, atol=1e-5)

# %% [markdown]
# ## What generation is — and what the article's `generate_text` is not
#
# The article's `generate_text` runs the model *once* on the input and takes the argmax
# at every position. That returns, for each prefix of the *given* text, the model's
# guess of its next token: a score of the input (useful for measuring the loss), not
# new text. Only its last entry is a new token. Generating means: pick a token, append
# it, run again.

# %%
prompt = ids[:1, :P]
article_style = jnp.argmax(model(prompt), axis=-1)[0]  # one forward pass, argmax per position
z, state = prefill(model, prompt, jnp.ones((1, P), jnp.int32), 16)
generated = []
for _ in range(6):  # greedy decoding: feed each choice back in
    token = jnp.argmax(z, axis=-1)
    generated.append(int(token[0]))
    z, state = step(model, state, token)
print("prompt                        ", np.asarray(prompt[0]).tolist())
print("article: argmax of one pass   ", np.asarray(article_style).tolist(), " (one guess per prompt position)")
print("greedy generation, 6 new ids  ", generated)
assert generated[0] == int(article_style[-1])  # they agree only on the first new token

# %% [markdown]
# (This model is untrained, so its ids are noise; chapter 7 trains it and chapter 8
# builds the real sampling loop — temperature, top-k, top-p — on `prefill`/`step`.)
#
# ## Three switches for bigger models
#
# - `dtype="bfloat16"` computes in bfloat16 while keeping float32 parameters (and
#   float32 logits for the loss).
# - `remat=True` wraps each block in `nnx.remat`: the backward pass recomputes the
#   block's activations instead of storing them — memory for compute.
# - `scan_layers=True` builds the N blocks with `nnx.vmap`, so each weight gains a
#   leading axis of size N, and runs them with one `nnx.scan`: the compiler sees one
#   block instead of N, so compile time stays flat as depth grows. The tests check
#   that both give the same logits and gradients as the plain model.

# %%
stacked = nnx.eval_shape(lambda: ChatGPT(config.replace(scan_layers=True), rngs=nnx.Rngs(0)))
print("scan_layers: MLP W_1 of all blocks", stacked.blocks.fc1.kernel.shape, "  (N, C, 4C)")
print("plain:       MLP W_1 of block 0   ", model.blocks[0].fc1.kernel.shape)

# %% [markdown]
# ## What a trained decoder looks at
#
# The causal mask is a rule; what each head does inside it is learned. Let us train this
# decoder's shape for a few hundred steps on a few paragraphs of the shipped corpus
# (`minisora.pretrain`, the function `minisora pretrain` calls) and read its attention weights
# with `minisora.nn.attention_weights`, the one supported way to see them: a sentence of the
# corpus, every head of the last layer. Each row is a query (the token that predicts the next
# one), each column a key it may look at; the upper triangle is exactly zero.

# %%
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402

import minisora  # noqa: E402
from course import show  # noqa: E402
from minisora.datasets import SHIPPED_CORPUS  # noqa: E402
from minisora.nn import attention_weights  # noqa: E402
from minisora.tokenizer import train_tokenizer  # noqa: E402

work = Path(tempfile.mkdtemp(prefix="minisora-ch5-"))
text = SHIPPED_CORPUS.read_text(encoding="utf-8")
english = "\n\n".join(p for p in text.split("\n\n") if p.isascii())[:6000]
(work / "corpus.txt").write_text(english, encoding="utf-8")
train_tokenizer([work / "corpus.txt"], work / "tok", vocab_size=600)
shape = minisora.ModelConfig(family="gpt", d_model=32, n_heads=4, n_layers=2, d_ff=128, max_len=64)
steps = 60 if QUICK else 400
minisora.pretrain(work / "corpus.txt", work / "gpt", shape,
                  minisora.TrainConfig(steps=steps, batch_size=8, seq_len=48, lr=3e-3, eval_every=10_000,
                                       checkpoint_every=steps), tokenizer=work / "tok", quiet=True)
trained = minisora.load(work / "gpt")
sentence = next(s for s in english.replace("\n", " ").split(". ") if len(s.split()) >= 10) + "."
ids_s = jnp.array([trained.tokenizer.encode(sentence)[:24]])  # (1, T)
pieces = [trained.tokenizer.id_to_piece(int(i)) for i in ids_s[0]]
weights = attention_weights(trained.model, ids_s)  # {"blocks/l/attn": (B, H, T, T)}
last = np.asarray(weights[f"blocks/{shape.n_layers - 1}/attn"][0])  # (H, T, T)
assert np.allclose(np.triu(last, k=1), 0) and np.allclose(last.sum(-1), 1, atol=1e-5)
print("sentence:", sentence)

fig, axes = plt.subplots(1, shape.n_heads, figsize=(12, 3.6))
for h, ax in enumerate(axes):
    im = ax.imshow(last[h], cmap="viridis", vmin=0, vmax=float(last[:, 2:].max()))  # row 0 is always 1
    ax.set_title(f"head {h}", fontsize=9)
    ax.set_xticks(range(len(pieces)), pieces, rotation=90, fontsize=7)
    ax.set_yticks(range(len(pieces)), pieces if h == 0 else [], fontsize=7)
    ax.set_xlabel("key (token looked at)", fontsize=8)
axes[0].set_ylabel("query (token predicting the next)", fontsize=8)
fig.colorbar(im, ax=axes, fraction=0.02, label="attention weight")
fig.suptitle(f"ChatGPT's causal attention, last layer, after {steps} steps: nothing above the diagonal")
show(fig, "05_attention.png")

# %% [markdown]
# ## Exercises
#
# 1. **Count a ChatGPT.** Write `gpt_params(vocab_size, d_model, n_layers, d_ff, max_len)`: the
#    trainable parameters of the whole model — token and position embeddings (the head is the
#    token embedding, tied), per block the fused $W_q|W_k|W_v$, $W_o$, the two feed-forward
#    layers (all with biases) and two LayerNorms, and the final LayerNorm. The check counts the
#    arrays of real models, GPT-2 small's shape included.
# 2. **The cache's size.** Write `kv_cache_bytes(n_layers, d_model, slots, bytes_per_number)`:
#    the bytes of the keys and values one sequence keeps. The check compares with
#    `minisora.nn.state_bytes`, which also counts a few bytes of bookkeeping per slot.
#
# The solutions are in `tutorials/solutions/ch05.py` — try first.

# %%
from course import ch05  # noqa: E402


def gpt_params(vocab_size, d_model, n_layers, d_ff, max_len):
    raise NotImplementedError  # your code here


def kv_cache_bytes(n_layers, d_model, slots, bytes_per_number):
    raise NotImplementedError  # your code here


ch05.check_gpt_params(gpt_params)
ch05.check_kv_cache_bytes(kv_cache_bytes)
