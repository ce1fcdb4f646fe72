# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Chapter 6 — Losses: the article's formulas, checked
#
# Sections 3 and 4 of the article train both models with the cross-entropy loss
#
# $$L = -\sum_i y_i \log p_i$$
#
# and the stochastic-gradient update $\theta_{t+1} = \theta_t - \alpha \nabla_\theta L$.
# It also works a few numbers by hand. This chapter recomputes every one of them with
# `minisora.training.losses` — the code the training loop runs — and checks it three ways: against
# the formula written out in numpy, against `optax`, and against the article.
#
# All logarithms are natural: losses are in **nats** (divide by $\ln 2$ for bits).

# %%
import math

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from course import QUICK, show

from minisora.training import losses

# %% [markdown]
# ## One token: $-\log 0.6 \approx 0.51$ — right
#
# With a one-hot target $y$ (the true token is $k$), the sum has one term:
# $L = -\log p_k$. The article's example gives the right token probability 0.6.
# A model outputs logits $z$, not probabilities; $\log p_i = z_i - \log\sum_j e^{z_j}$,
# so logits $z = \log p$ reproduce $p$ exactly.

# %%
p = jnp.array([0.6, 0.3, 0.1])
L1 = float(losses.cross_entropy(jnp.log(p)[None], jnp.array([0])))
print(f"-log 0.6 = {L1:.4f} nats")
assert abs(L1 - 0.51) < 0.005 and abs(L1 + math.log(0.6)) < 1e-6

# %% [markdown]
# ## The "autoregressive" example: $-\log 0.6 - \log 0.4 \approx 1.427$, not 0.51
#
# For a sequence, the autoregressive loss adds one such term per generated token,
# $L = -\sum_t \log p(x_t \mid x_{<t})$ (or its mean, $-(1/T)\sum_t \dots$, which is what we
# train on). The article's two-token example has probabilities 0.6 and 0.4 for the right
# tokens, and it writes the sum as 0.51. The sum is
# $-\ln 0.6 - \ln 0.4 = 0.511 + 0.916 = 1.427$ nats; 0.51 is only its first term.

# %%
logits = jnp.log(jnp.array([[[0.6, 0.4], [0.6, 0.4]]]))  # two positions, two-token vocabulary
targets = jnp.array([[0, 1]])  # right tokens: p = 0.6, then p = 0.4
mean = float(losses.cross_entropy(logits, targets))
total = 2 * mean
print(f"sum = {total:.4f} nats   (mean per token {mean:.4f})")
assert abs(total - 1.427) < 1e-3 and abs(total - 0.51) > 0.9
print(f"in bits: {total / math.log(2):.3f}")

# %% [markdown]
# The figure shows both numbers. Left: the loss of one token, $-\ln p$, against the probability
# $p$ the model gave the right token (computed by `losses.token_nll`): it is 0 for a sure and
# right model and grows without bound as $p \to 0$, so a confident mistake is what costs. The
# example's two tokens are marked. Right: the example's sum, the two terms stacked, next to the
# 0.51 the article writes — which is the first term alone.

# %%
ps = np.linspace(0.01, 1.0, 200)
two_way = jnp.log(jnp.stack([ps, 1 - ps + 1e-12], axis=-1))  # (200, 2): logits log p, log (1 − p)
curve = np.asarray(losses.token_nll(two_way, jnp.zeros(len(ps), jnp.int32)))  # (200,) = −ln p
terms = np.asarray(losses.token_nll(logits[0], targets[0]))  # (2,): −ln 0.6, −ln 0.4

fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.3), gridspec_kw={"width_ratios": [3, 2]})
left.plot(ps, curve, label="−ln p")
for p_k, L_k, name in zip((0.6, 0.4), terms, ("token 1", "token 2")):
    left.plot([p_k], [L_k], "o", markersize=7, label=f"{name}: p = {p_k}, loss {L_k:.3f}")
left.set_xlabel("p, the probability of the right token")
left.set_ylabel("loss (nats)")
left.set_ylim(0, 4.7)
left.set_title("One token's loss, −ln p", fontsize=10)
left.legend(fontsize=9)
left.grid(alpha=0.3)
right.bar(["the sum", "the article's"], [terms[0], 0.51], color=["C1", "C7"], label="−ln 0.6")
right.bar(["the sum"], [terms[1]], bottom=[terms[0]], color="C2", label="−ln 0.4")
for x, height in [(0, total), (1, 0.51)]:
    right.text(x, height + 0.03, f"{height:.3f}" if x == 0 else "0.51", ha="center", fontsize=9)
right.set_ylabel("loss of the sequence (nats)")
right.set_ylim(0, 1.65)
right.set_title("The two-token example, summed", fontsize=10)
right.legend(fontsize=9, loc="upper right")
fig.tight_layout()
show(fig, "06_loss_curve.png")

# %% [markdown]
# The same example's sentence, "I love programming", is described as having two words.
# It has three; that changes nothing above, but we count them anyway.

# %%
assert len("I love programming".split()) == 3

# %% [markdown]
# ## `training/losses.py` = the formula = `optax`
#
# On random logits, the per-token loss from `minisora.training.losses.token_nll` (which uses a
# numerically stable `log_softmax`) equals the formula written out in float64 numpy and
# optax's `softmax_cross_entropy_with_integer_labels`.

# %%
rng = np.random.default_rng(0)
z = rng.normal(size=(4, 7, 50)).astype(np.float32) * 4
y = rng.integers(0, 50, size=(4, 7))

ours = np.asarray(losses.token_nll(jnp.asarray(z), jnp.asarray(y)))
z64 = z.astype(np.float64)
by_hand = np.log(np.exp(z64).sum(-1)) - np.take_along_axis(z64, y[..., None], -1)[..., 0]  # −log softmax(z)_y
by_optax = np.asarray(optax.softmax_cross_entropy_with_integer_labels(z, y))
print("max |ours − hand| =", np.abs(ours - by_hand).max(), "  max |ours − optax| =", np.abs(ours - by_optax).max())
assert np.allclose(ours, by_hand, atol=1e-5) and np.allclose(ours, by_optax, atol=1e-5)

# %% [markdown]
# Why `log_softmax` and not `log(softmax(z))`? With large logits, `exp` overflows and the
# naive form returns `inf`/`nan`; subtracting the max first keeps every exponent ≤ 0.

# %%
big = jnp.array([[1000.0, 0.0]])
naive = -jnp.log(jnp.exp(big) / jnp.exp(big).sum())[0, 1]
stable = losses.token_nll(big, jnp.array([1]))[0]
print(f"naive: {float(naive)}   stable: {float(stable)}")
assert not np.isfinite(float(naive)) and float(stable) == 1000.0

# %% [markdown]
# ## Masks: what the loss ignores, the gradient ignores
#
# Padding, prompt tokens in fine-tuning, and unmasked positions in BERT's MLM get weight
# $w_t = 0$: $L = -\sum_t w_t \log p_t / \sum_t w_t$. Their gradient is exactly zero.

# %%
w = jnp.array([[1, 1, 1, 0, 0, 0, 0]] * 4)  # only the first three tokens of each row count
g = jax.grad(lambda z: losses.cross_entropy(z, jnp.asarray(y), w))(jnp.asarray(z))
print("gradient on ignored positions:", float(jnp.abs(g[:, 3:]).max()))
assert float(jnp.abs(g[:, 3:]).max()) == 0.0 and float(jnp.abs(g[:, :3]).max()) > 0

# %% [markdown]
# A model that knows nothing (uniform $p = 1/V$) pays $\ln V$ nats per token, and its
# **perplexity** $e^L$ is exactly $V$: it is as unsure as a fair $V$-sided die.

# %%
V = 50
L_uniform = losses.cross_entropy(jnp.zeros((3, V)), jnp.array([1, 2, 3]))
print(f"uniform: L = {float(L_uniform):.3f} = ln {V};  perplexity = {float(losses.perplexity(L_uniform)):.1f}")
assert abs(float(losses.perplexity(L_uniform)) - V) < 1e-3

# %% [markdown]
# ## Bits per byte: the loss that compares tokenizers
#
# Nats per token are a price *per prediction*, and the number of predictions depends on the
# tokenizer. A character model cuts a text into many easy steps (after "th", "e" is likely);
# a unigram model cuts it into fewer, harder ones (which word comes next?). Its loss per
# token is higher even when it predicts the text better, so a lower loss per token says
# nothing about which model is better — nor does perplexity, $e^L$, which is per token too.
#
# What both models do give is a probability of the *same text*: by the chain rule
# $p(\text{text}) = \prod_t p(x_t \mid x_{<t})$, so the summed loss
# $\sum_t -\log p(x_t \mid x_{<t}) = -\log p(\text{text})$ is comparable. Divide it by
# something that does not depend on the tokenizer either — the text's UTF-8 bytes — and
# convert nats to bits:
#
# $$\text{bpb} = \frac{\sum_t -\ln p(x_t \mid x_{<t})}{\ln 2 \cdot \text{bytes}}$$
#
# That is `minisora.training.losses.bits_per_byte(total_nats, n_bytes)`: note it takes the
# **sum** of the losses, not their mean, and the bytes of the predicted text. It is also a
# compression rate: an arithmetic coder driven by the model stores the text in about that many
# bits per byte. Storing the raw bytes costs 8; a model that knows nothing about them — each of
# the 256 byte values equally likely, $\ln 256$ nats a byte — pays exactly that:

# %%
n = 1000
assert losses.bits_per_byte(n * math.log(256), n) == 8.0
print(f"uniform over bytes: {losses.bits_per_byte(n * math.log(256), n):.1f} bits/byte")

# %% [markdown]
# A worked example: the same held-out text, the end of the shipped corpus, read by two models
# that differ only in their tokenizer. Each is the simplest language model there is, a
# **bigram** model trained by counting on the rest of the corpus:
# $p(b \mid a) = (n_{ab} + k) / (n_a + kV)$, where $n_{ab}$ counts how often piece $b$
# follows piece $a$ and a small $k = 0.01$ keeps unseen pairs possible. Its logits after
# piece $a$ are the row $\log p(\cdot \mid a)$, and `losses.token_nll` scores them as it
# scores a Transformer's. One model uses a char tokenizer, the other a unigram tokenizer
# (chapter 1).

# %%
from minisora.datasets import SHIPPED_CORPUS  # noqa: E402
from minisora.tokenizer import NEWLINE_PIECE, train_tokenizer  # noqa: E402

corpus = SHIPPED_CORPUS.read_text(encoding="utf-8")
held_out = corpus[-6000:]
held_out = held_out[held_out.index("\n\n") + 2:]  # from the start of a paragraph
train_text = corpus[:150_000] if QUICK else corpus[:-6000]
n_bytes = len(held_out.encode("utf-8"))
print(f"held-out text: {len(held_out):,} characters, {n_bytes:,} bytes of UTF-8 (English and Chinese)")


def bigram_logits(tok, text, k=0.01):
    """log p(b | a) = log (n_ab + k) − log (n_a + kV), counted on ``text``: row a is the logits after a."""
    ids = np.asarray(tok.encode(text))
    n_ab = np.zeros((tok.vocab_size, tok.vocab_size), np.float32)  # (V, V)
    np.add.at(n_ab, (ids[:-1], ids[1:]), 1)
    return np.log(n_ab + k) - np.log((n_ab + k).sum(axis=1, keepdims=True))


scores = {}
for kind, size in [("char", 4000), ("unigram", 3000 if QUICK else 4000)]:
    tok = train_tokenizer([train_text], vocab_size=size, model_type=kind, from_text=True)
    log_p = bigram_logits(tok, train_text)
    ids = tok.encode(NEWLINE_PIECE + held_out)  # the paragraph break before the text is the first context
    nll = losses.token_nll(jnp.asarray(log_p[ids[:-1]]), jnp.asarray(ids[1:]))  # (T, V) logits -> (T,) nats
    assert tok.decode(ids[1:]) == held_out  # what is predicted is exactly the held-out text
    total_nats = float(nll.sum())
    scores[kind] = {"pieces": tok.vocab_size, "tokens": len(ids) - 1, "nats_per_token": total_nats / (len(ids) - 1),
                    "bits_per_byte": losses.bits_per_byte(total_nats, n_bytes)}

print(f"{'tokenizer':10s} {'pieces':>6s} {'tokens':>7s} {'nats/token':>11s} {'bits/byte':>10s}")
for kind, r in scores.items():
    print(f"{kind:10s} {r['pieces']:6,d} {r['tokens']:7,d} {r['nats_per_token']:11.3f} {r['bits_per_byte']:10.3f}")
char_model, unigram_model = scores["char"], scores["unigram"]
assert char_model["tokens"] > unigram_model["tokens"]  # same text, more predictions
for r in scores.values():  # bits per byte = nats per token × tokens per byte / ln 2
    assert math.isclose(r["bits_per_byte"], r["nats_per_token"] * r["tokens"] / n_bytes / math.log(2), rel_tol=1e-9)
assert char_model["nats_per_token"] < unigram_model["nats_per_token"]  # per token the char model looks better ...
assert char_model["bits_per_byte"] > unigram_model["bits_per_byte"]  # ... per byte of the same text it is worse

# %% [markdown]
# Per token, the char model "wins"; per byte of the same text it loses, because it pays its
# smaller price on many more tokens. The figure puts the two measures side by side, with the
# 8 bits/byte of the raw text for scale. Bits per byte is the number to quote when two runs
# have different tokenizers (a `--tokenizer-type char` run and a unigram one, say); nats per
# token is fine for comparing steps of one run, whose tokenizer never changes.

# %%
fig, (per_token, per_byte) = plt.subplots(1, 2, figsize=(8, 3.2))
names = list(scores)
per_token.bar(names, [scores[k]["nats_per_token"] for k in names], color=["C0", "C1"])
per_token.set_ylabel("held-out loss (nats/token)")
per_token.set_title("Per token: not comparable", fontsize=10)
per_byte.bar(names, [scores[k]["bits_per_byte"] for k in names], color=["C0", "C1"])
per_byte.axhline(8, color="k", linestyle="--", linewidth=1, label="raw UTF-8: 8 bits/byte")
per_byte.set_ylabel("held-out loss (bits/byte)")
per_byte.set_ylim(0, 9)
per_byte.set_title("Per byte of the same text: comparable", fontsize=10)
per_byte.legend(fontsize=9, loc="center right")
for ax, key, fmt in [(per_token, "nats_per_token", "{:.2f}"), (per_byte, "bits_per_byte", "{:.2f}")]:
    for x, k in enumerate(names):
        note = f"\n{scores[k]['tokens']:,} tokens" if ax is per_token else ""
        ax.text(x, scores[k][key] * 0.5, fmt.format(scores[k][key]) + note, ha="center", va="center", fontsize=9,
                color="white")
    ax.set_xlabel("tokenizer of the bigram model")
fig.suptitle(f"Two bigram models scored on the same {n_bytes:,}-byte held-out text", fontsize=11)
fig.tight_layout()
show(fig, "06_bits_per_byte.png")

# %% [markdown]
# ## One SGD step, by hand
#
# The training loop builds its optimiser with `minisora.training.optim.make_optimizer`. With `sgd`, no clipping and
# no warm-up, one step must be exactly the article's $\theta - \alpha \nabla_\theta L$.
# We take a tiny softmax-regression "model" $z = x W$, compute $\nabla_W L$ with `jax.grad`,
# and compare.

# %%
from minisora.config import TrainConfig  # noqa: E402
from minisora.training.optim import make_optimizer  # noqa: E402

α = 0.5
x = jnp.asarray(rng.normal(size=(8, 5)), jnp.float32)
labels = jnp.asarray(rng.integers(0, 3, size=8))
θ = {"W": jnp.asarray(rng.normal(size=(5, 3)), jnp.float32)}


def L(θ):
    return losses.cross_entropy(x @ θ["W"], labels)


cfg = TrainConfig(optimizer="sgd", lr=α, clip=0, warmup=0, steps=10).resolved()
tx = make_optimizer(cfg)
updates, _ = tx.update(jax.grad(L)(θ), tx.init(θ), θ)
θ_optax = optax.apply_updates(θ, updates)
θ_hand = {"W": θ["W"] - α * jax.grad(L)(θ)["W"]}
print("max |optimiser step − hand step| =", float(jnp.abs(θ_optax["W"] - θ_hand["W"]).max()))
assert jnp.allclose(θ_optax["W"], θ_hand["W"], atol=1e-7)
print(f"loss before {float(L(θ)):.4f} -> after {float(L(θ_hand)):.4f}")
assert L(θ_hand) < L(θ)

# %% [markdown]
# A few more steps of the same rule drive the loss down — the whole of "training", in a loop.
# (The real loop, `minisora.train` — `minisora/training/loop.py` — does the same inside one
# compiled `jax.jit` step, with mini-batches, a learning-rate schedule and checkpoints: chapter 7.)

# %%
steps = 20 if QUICK else 100
history = [float(L(θ))]
for _ in range(steps):
    θ = {"W": θ["W"] - α * jax.grad(L)(θ)["W"]}
    history.append(float(L(θ)))
print(" ".join(f"{v:.3f}" for v in history[:: max(1, steps // 10)]))
assert history[-1] < history[0]

# %% [markdown]
# ## Exercises
#
# 1. **The article's example, by hand.** Write `sequence_loss(p_right)`: the autoregressive
#    loss $-\sum_t \ln p_t$ (nats, summed) of a sequence whose right tokens got the
#    probabilities `p_right`. The check tries the article's `[0.6, 0.4]` (1.427, not 0.51),
#    a sure model, the empty sequence and longer ones.
# 2. **Cross-entropy with a mask.** Write `masked_cross_entropy(logits, targets, weights)` in
#    numpy: $-\sum_t w_t \log \mathrm{softmax}(z_t)_{y_t} / \sum_t w_t$, and 0 when no
#    token counts. The check compares it with `losses.cross_entropy` on random batches,
#    masks with nothing counted, and logits of 1000.
# 3. **Bits per byte.** Write `bits_per_byte_of(token_nats, text)`: the bits per UTF-8 byte
#    of `text`, given the per-token losses (nats) of the tokens that spell it; raise
#    `ValueError` for a text with no bytes. The check compares it with
#    `losses.bits_per_byte` on English and Chinese text.
#
# The solutions are in `tutorials/solutions/ch06.py` — try first.

# %%
from course import ch06  # noqa: E402


def sequence_loss(p_right):
    raise NotImplementedError  # your code here


def masked_cross_entropy(logits, targets, weights):
    raise NotImplementedError  # your code here


def bits_per_byte_of(token_nats, text):
    raise NotImplementedError  # your code here


ch06.check_sequence_loss(sequence_loss)
ch06.check_masked_cross_entropy(masked_cross_entropy)
ch06.check_bits_per_byte(bits_per_byte_of)
