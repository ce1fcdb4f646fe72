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
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from minisora.config import ModelConfig, config_from_preset
from minisora.nn import count_params, create
from minisora.nn.attention import positions_from_mask
from minisora.nn.encoder import Encoder
from minisora.nn.lstm import LSTMCell, unroll
from minisora.tokenizer import BOS_ID, N_SPECIAL, PAD_ID
from minisora.training.losses import next_token_loss

QUICK = os.environ.get("MINISORA_QUICK") == "1"
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

    for t in range(steps):
        params, opt_state, loss = train_step(params, opt_state, jax.random.key(100 + t))
    return float(loss)


steps = 800 if QUICK else 1500
floor = float(np.log(config.vocab_size - N_SPECIAL))  # log V of the random tokens
leaky = train(ArticleSora(config, nnx.Rngs(0)), lambda m, x: next_token_loss(m(x), x), steps)
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


honest = train(create(config), sora_loss, steps)
print(f"Sora (encoder reads the prompt, LSTM decodes left to right): {honest:.2f} nats/token")
assert honest > 0.9 * floor

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
