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
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax

from minisora.training import losses

QUICK = os.environ.get("MINISORA_QUICK") == "1"

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
