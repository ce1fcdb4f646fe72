# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Chapter 3 — The bidirectional encoder
#
# The article's "Sora" starts with a BERT-style encoder. It is a stack of the attention
# layers of chapter 2 *without* the causal mask: every token reads every other token,
# those before it and those after it. `minisora/nn/encoder.py` follows BERT's layout:
#
# $$
# \begin{aligned}
# p_t &= \textstyle\sum_{s \le t} m_s - 1 &&\text{positions count each row's real tokens}\\
# x^0_t &= \mathrm{Dropout}\big(\mathrm{LN}(E_{tok}[x_t] + E_{pos}[p_t] + E_{seg}[s_t])\big)\\
# x &\leftarrow \mathrm{LN}\big(x + \mathrm{Attn}(x, m)\big) &&\text{post-LN: add, then normalise}\\
# x &\leftarrow \mathrm{LN}\big(x + W_2\,\mathrm{GELU}(W_1 x + b_1) + b_2\big) &&\text{GELU with the exact erf}
# \end{aligned}
# $$
#
# with a padding mask $m$ (1 on real tokens). On top sit BERT's two heads: a *pooler*
# $\tanh(W_p h_{[CLS]} + b_p)$ and the *masked-LM head*, which predicts the tokens
# hidden behind `[MASK]`.

# %%
import tempfile

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from course import QUICK, show
from flax import nnx

import minisora
from minisora.config import ModelConfig, config_from_preset
from minisora.datasets import SHIPPED_CORPUS
from minisora.nn import attention_weights, count_params, create
from minisora.nn.attention import positions_from_mask
from minisora.nn.encoder import Encoder
from minisora.nn.lstm import LSTMCell, unroll
from minisora.tokenizer import BOS_ID, N_SPECIAL, PAD_ID, train_tokenizer
from minisora.training import batches
from minisora.training.losses import next_token_loss

config = ModelConfig(family="sora", vocab_size=32, d_model=32, n_heads=4, n_layers=2, d_ff=64, max_len=32, d_lstm=32)
enc = Encoder(config, nnx.Rngs(0))
ids = jax.random.randint(jax.random.key(1), (2, 8), N_SPECIAL, config.vocab_size)  # (B, T); ids 0..8 are special
hidden = enc(ids)
print("ids", ids.shape, "-> hidden", hidden.shape, "-> MLM logits", enc.mlm_logits(hidden).shape)

# %% [markdown]
# ## Shapes at full size — and a first check
#
# BERT-base is this module with $C = 768$, 12 heads, 12 blocks, a 3072-wide
# feed-forward layer, 512 positions and a 30,522-piece vocabulary. `nnx.eval_shape`
# builds it without allocating a single weight, so we can count its parameters from
# the arrays it *would* have. Hugging Face's `BertModel` (with its pooler) has
# 109,482,240:

# %%
bert_base = config_from_preset("sora", "bert-base")
shapes = nnx.eval_shape(lambda: Encoder(bert_base, nnx.Rngs(0), mlm_head=False))
for name in ("tok_embed", "pos_embed", "seg_embed", "ln_embed", "blocks", "pooler"):
    print(f"{name:10s} {count_params(nnx.state(getattr(shapes, name), nnx.Param)):>12,d}")
print(f"{'total':10s} {count_params(shapes):>12,d}")
assert count_params(shapes) == 109_482_240

# %% [markdown]
# ## Bidirectional: every position reads every token
#
# Change one token and watch which positions' hidden states move. In a causal decoder
# (chapter 5) only the positions *at or after* the change could move; here all do:

# %%
def moved_by(model, ids, mask=None):
    """(T, T) table: row j = which positions move when token j changes."""
    base = model(ids, mask)
    rows = []
    for j in range(ids.shape[1]):
        other = ids.at[0, j].set(N_SPECIAL + (ids[0, j] - N_SPECIAL + 1) % (config.vocab_size - N_SPECIAL))
        rows.append(np.asarray(jnp.abs(model(other, mask) - base).max(axis=-1)[0] > 1e-6))
    return np.array(rows)


table = moved_by(enc, ids[:1])
print("token changed (row) -> positions that move (columns)")
print("\n".join(" ".join("x" if m else "." for m in row) for row in table))
assert table.all()

# %% [markdown]
# ## The article's leak: a bidirectional encoder feeding a next-token LSTM
#
# The article's Sora is BERT → LSTM → Linear, trained on "target = next words". Build
# that chain literally from the package's own pieces and train it to predict token
# $t+1$ at position $t$. Position $t$'s encoder output has *read* token $t+1$ — the
# answer is in the input.
#
# Make the leak impossible to miss: train on **uniformly random tokens**, fresh every
# step. Nothing about token $t+1$ can be predicted from the past, so an honest model
# cannot get below $\log V$ nats per token. The leaky chain does:

# %%
class ArticleSora(nnx.Module):
    """The article's chain, as written: BERT outputs -> LSTM -> vocabulary. (Wrong; see below.)"""

    def __init__(self, config, rngs):
        self.encoder = Encoder(config, rngs, mlm_head=False)
        self.lstm = LSTMCell(config.d_model, config.d_lstm, rngs=rngs)
        self.head = nnx.Linear(config.d_lstm, config.vocab_size, rngs=rngs)

    def __call__(self, ids):
        hs, _ = unroll(self.lstm, self.encoder(ids))  # (B, T, H)
        return self.head(hs)  # (B, T, V); logits[t] is meant to predict ids[t + 1]


def random_batch(key, T=16):
    return jax.random.randint(key, (32, T), N_SPECIAL, config.vocab_size)  # uniform over the 23 real ids


def train(model, loss_fn, steps):
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)  # rest: the dropout streams
    tx = optax.adam(3e-3)
    opt_state = tx.init(params)

    @jax.jit
    def train_step(params, opt_state, key):
        loss, g = jax.value_and_grad(lambda p: loss_fn(nnx.merge(graphdef, p, rest), random_batch(key)))(params)
        updates, opt_state = tx.update(g, opt_state)
        return optax.apply_updates(params, updates), opt_state, loss

    losses = []
    for t in range(steps):
        params, opt_state, loss = train_step(params, opt_state, jax.random.key(100 + t))
        losses.append(loss)
    return np.asarray(jnp.stack(losses))  # the loss of every step


steps = 500 if QUICK else 1500
floor = float(np.log(config.vocab_size - N_SPECIAL))  # log V of the random tokens
leaky_curve = train(ArticleSora(config, nnx.Rngs(0)), lambda m, x: next_token_loss(m(x), x), steps)
leaky = float(leaky_curve[-1])
print(f"random tokens: no honest model beats log V = {floor:.2f} nats/token")
print(f"the article's BERT -> LSTM chain after {steps} steps: {leaky:.2f} nats/token  <- it reads the answer")
assert leaky < 0.5 * floor

# %% [markdown]
# A loss below what the data allows is the signature of a leak. At generation time the
# future token is not there to read, so such a model produces garbage.
#
# **The fix** (`minisora/nn/sora.py`): let the bidirectional encoder read only the *prompt* —
# all of it is given, so seeing "the future" of the prompt is fine — and make the LSTM a
# *decoder* that reads the previous output token plus an attention read over the
# encoder's outputs. The same random data cannot be predicted by it: split each row
# into an 8-token prompt and an 8-token continuation and train Sora's decoder on it.

# %%
def sora_loss(model, x):
    src, y = x[:, :8], x[:, 8:]  # prompt -> encoder, continuation -> decoder
    dec_in = jnp.concatenate([jnp.full((x.shape[0], 1), BOS_ID), y[:, :-1]], axis=1)  # [BOS, y_1 … y_7]
    _, dec_logits = model(src, jnp.ones_like(src), dec_in)
    return optax.softmax_cross_entropy_with_integer_labels(dec_logits, y).mean()


honest_curve = train(create(config), sora_loss, steps)
honest = float(honest_curve[-1])
print(f"Sora (encoder reads the prompt, LSTM decodes left to right): {honest:.2f} nats/token")
assert honest > 0.9 * floor

# %% [markdown]
# The two training curves side by side, with the floor no honest model can go below. The
# leaky chain's loss dives under $\log V$ — it is reading the answers — while Sora's stays on
# the floor: on random tokens there is nothing to learn, and it learns nothing.

# %%
fig, ax = plt.subplots(figsize=(8, 3.4))
ax.plot(leaky_curve, label="the article's BERT → LSTM chain (leaks the next token)", color="tab:red")
ax.plot(honest_curve, label="Sora: encoder reads the prompt, LSTM decodes", color="tab:blue")
ax.axhline(floor, color="black", linestyle="--", linewidth=1, label=f"log V = {floor:.2f}: the best an honest model can do")
ax.set_xlabel("training step")
ax.set_ylabel("next-token loss (nats/token)")
ax.set_ylim(0, 1.25 * max(floor, float(honest_curve.max())))
ax.set_title("Uniformly random tokens: a loss below log V is a leak")
ax.legend(fontsize=9, loc="center right")
show(fig, "03_leak.png")

# %% [markdown]
# ## Padding: masked keys and positions from the mask
#
# Batches hold rows of different lengths, padded with `PAD_ID`. Two things make padding
# harmless. The attention mask removes padded *keys*, so no real token reads a pad; and
# positions are $p_t = \mathrm{cumsum}(m)_t - 1$, so a row padded on the left numbers
# its real tokens $0, 1, 2, \dots$ exactly as it would alone. Left padding is what
# generation uses (every row's last token sits in the same column).

# %%
alone = ids[:1, :5]  # (1, 5)
padded = jnp.concatenate([jnp.full((1, 3), PAD_ID), alone], axis=1)  # (1, 8): 3 pads on the left
mask = jnp.array([[0, 0, 0, 1, 1, 1, 1, 1]])
h_alone, h_padded = enc(alone), enc(padded, mask)
print("positions:", np.asarray(positions_from_mask(mask))[0])  # cumsum(mask) − 1, pads at 0
err = float(jnp.abs(h_padded[:, 3:] - h_alone).max())
print(f"max |padded − alone| on the real tokens: {err:.1e}")
assert err < 1e-5

junk = padded.at[:, :3].set(jnp.array([17, 23, 11]))  # different tokens in the padded slots
print("pads replaced by other tokens changes the real positions by",
      f"{float(jnp.abs(enc(junk, mask)[:, 3:] - h_padded[:, 3:]).max()):.1e}")

# %% [markdown]
# ## The masked-LM head, tied to the embedding
#
# BERT's pre-training hides ~15% of the tokens behind `[MASK]` and asks the encoder to
# restore them ("target = input", in the article's words). The head is
#
# $$ \text{logits} = \mathrm{LN}\big(\mathrm{GELU}(W_t h + b_t)\big)\, E_{tok}^\top + b_{vocab} $$
#
# — its output matrix *is* the token embedding $E_{tok}$, transposed (weight tying):
# the same vector that says "this is token $k$" on the way in scores token $k$ on the
# way out. Compute it by hand from the module's weights:

# %%
mlm = enc.mlm
z = jax.nn.gelu(hidden @ mlm.transform.kernel[...] + mlm.transform.bias[...], approximate=False)
mu, var = z.mean(-1, keepdims=True), z.var(-1, keepdims=True)
z = (z - mu) / jnp.sqrt(var + config.layer_norm_eps) * mlm.ln.scale[...] + mlm.ln.bias[...]
by_hand = z @ enc.tok_embed.embedding[...].T + mlm.vocab_bias[...]
err = float(jnp.abs(by_hand - enc.mlm_logits(hidden)).max())
print(f"MLM logits {by_hand.shape}; max |by hand − module| = {err:.1e}")
assert err < 1e-4

# %% [markdown]
# `tests/tools/test_hf_bert.py` goes further: it builds a randomly initialised
# Hugging Face `BertModel` and `BertForMaskedLM`, loads their weights into this encoder
# and checks hidden states, pooler output and MLM logits agree to 1e-4.

# %% [markdown]
# ## What a trained encoder looks at
#
# So far the encoders were untrained or trained on noise. Pre-train a small Sora on the
# English paragraphs of the shipped corpus with its real objective (chapter 7 explains it:
# BERT's masked-token loss on the encoder, next-token loss on the decoder) — the package's
# batches and training loop, `minisora.train`, a few hundred steps — and read its encoder's
# attention weights on a sentence of the corpus with `minisora.nn.attention_weights`, which
# returns one (B, H, T, T) array per layer (chapter 2).

# %%
work = tempfile.mkdtemp(prefix="minisora-ch3-")
english = "\n".join(line for line in SHIPPED_CORPUS.read_text(encoding="utf-8").splitlines() if line.isascii())
tok = train_tokenizer([english], f"{work}/tok", vocab_size=2000, from_text=True)
train_ids, val_ids = batches.split_held_out(np.asarray(tok.encode(english), np.int32))
shape = ModelConfig(family="sora", vocab_size=tok.vocab_size, d_model=64, n_heads=4, n_layers=2, d_ff=128,
                    max_len=64, d_lstm=64)
tcfg = minisora.TrainConfig(steps=100 if QUICK else 1000, batch_size=16, seq_len=48, lr=3e-3)
data = batches.Batches("sora", "text", train_ids, val_ids, batch_size=tcfg.batch_size, seq_len=tcfg.seq_len,
                       vocab_size=tok.vocab_size)
sora = create(shape)
minisora.train(sora, data, tcfg, quiet=True)  # no run directory: train only

sentence = "Every Saturday, he patches something new."
assert sentence in english  # a sentence of the shipped corpus
x = jnp.asarray([tok.encode(sentence)])  # (1, T)
pieces = [tok.id_to_piece(int(i)) for i in x[0]]
A = attention_weights(sora, x, jnp.ones_like(x), jnp.full((1, 1), BOS_ID))  # the decoder reads only BOS here
print({name: a.shape for name, a in A.items()})
print(pieces)

# %% [markdown]
# Every head of the first layer. Row $t$ is the token that reads, each column a token it reads;
# a row sums to 1. Bidirectional attention reads the tokens after $t$ as freely as those
# before: there is weight on both sides of the diagonal, where chapter 5's decoder has none
# above it. Look for dark *columns* — tokens that many queries read (the full stop, a
# sentence's first pieces) — and for heads that differ: each head has its own $W_q, W_k$ and
# learns to look for something else. (Quick mode trains 100 steps; the full run's 1000 give
# sharper patterns.)

# %%
a = np.asarray(A["encoder/blocks/0/attn"][0])  # (H, T, T)
assert np.allclose(a.sum(-1), 1, atol=1e-5)
assert np.triu(a, k=1).sum(axis=(1, 2)).min() > 0.5  # bidirectional: every head reads tokens after t too
labels = [p.replace("▁", "_") for p in pieces]
fig, axes = plt.subplots(1, shape.n_heads, figsize=(8.5, 3.6), sharey=True, layout="constrained")
for h, ax in enumerate(axes):
    im = ax.imshow(a[h], cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_title(f"head {h}", fontsize=10)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=9)
    ax.set_yticks(range(len(labels)), labels, fontsize=9)
    ax.set_xlabel("key (the token read)", fontsize=9)
axes[0].set_ylabel("query (the token reading)", fontsize=9)
fig.colorbar(im, ax=axes, shrink=0.8, label="attention weight")
fig.suptitle(f"Sora's encoder, layer 0, every head, after {tcfg.steps} training steps on the corpus (_ = a space)",
             fontsize=10)
show(fig, "03_encoder_attention.png")

# %% [markdown]
# ## Exercises
#
# 1. **Count an encoder block.** Write `encoder_block_params(d_model, d_ff)`: the number of
#    trainable parameters of one `EncoderBlock` (attention with its fused $W_q|W_k|W_v$ and
#    $W_o$, two LayerNorms, the two feed-forward layers; every linear layer has a bias). The
#    check counts the arrays of real blocks with `count_params(nnx.state(block, nnx.Param))`,
#    BERT-base's included.
# 2. **BERT's masking rule.** Write `bert_corrupt(x, real, u_choose, u_kind, random_ids)`:
#    given the token ids `x` (B, S), which of them are real (not padding), and three random
#    draws of the same shape — `u_choose` and `u_kind` uniform in [0, 1), `random_ids` random
#    token ids — return `(x_tilde, chosen)`: a token is *chosen* when it is real and
#    `u_choose < 0.15`; a chosen token becomes `MASK_ID` when `u_kind < 0.8`, the random id
#    when `0.8 ≤ u_kind < 0.9`, and stays itself otherwise. The check feeds the same draws to
#    the package's `batches.bert_mask`.
#
# The solutions are in `tutorials/solutions/ch03.py` — try first.

# %%
from course import ch03  # noqa: E402


def encoder_block_params(d_model, d_ff):
    raise NotImplementedError  # your code here


def bert_corrupt(x, real, u_choose, u_kind, random_ids):
    raise NotImplementedError  # your code here


ch03.check_encoder_block_params(encoder_block_params)
ch03.check_bert_corrupt(bert_corrupt)
