# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Chapter 8 — Decoding with `lax.scan`
#
# A language model gives the probability of the next token given everything before it,
# $p(y_t \mid x, y_{<t})$. *Generation* draws one token, appends it, and asks again:
#
# $$
# y_0 \sim p(\cdot \mid x), \quad y_1 \sim p(\cdot \mid x, y_0), \quad y_2 \sim p(\cdot \mid x, y_0, y_1), \;\dots
# $$
#
# This chapter shows what the article's `generate_text` gets wrong, how the next token is
# chosen (greedy, temperature, top-k, top-p), why ChatGPT keeps a key/value cache while
# Sora keeps a constant-size LSTM state, and how `minisora/inference/decode.py` runs the whole loop as
# one compiled `lax.scan`.

# %%
import inspect

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from course import QUICK, show
from flax import nnx

from minisora.config import ModelConfig, TrainConfig, config_from_preset
from minisora.inference import decode, sampling
from minisora.nn import create, state_bytes
from minisora.tokenizer import N_SPECIAL
from minisora.tools.bench import bench_decode
from minisora.training.optim import make_optimizer
from minisora.training.step import make_steps, split_model

# %% [markdown]
# ## 1. A model that knows one thing
#
# To see generation work we need a model that has learned *something*. A tiny ChatGPT
# (one block, width 32) learns in a few dozen steps that the letters `a … l` follow each
# other in a circle: after `l` comes `a` again. Tokens `N_SPECIAL` … `N_SPECIAL + 11`
# (9 … 20) stand for the letters: ids 0 … 8 are the special tokens every minisora tokenizer
# reserves. We train it with the real train step of chapter 7.

# %%
M = 12  # letters a..l
LETTERS = "abcdefghijkl"
letters = lambda ids: "".join(LETTERS[i - N_SPECIAL] if N_SPECIAL <= i < N_SPECIAL + M else "·" for i in ids)

config = ModelConfig(family="gpt", vocab_size=N_SPECIAL + M, d_model=32, n_heads=2, n_layers=1, d_ff=64, max_len=64)
model = create(config, seed=0)
tcfg = TrainConfig(steps=60 if QUICK else 150, batch_size=16, seq_len=32, lr=1e-2, warmup=10).resolved()
graphdef, params, rest = split_model(model)
opt_state = make_optimizer(tcfg).init(params)
train_step, _ = make_steps(graphdef, tcfg)
rng = np.random.default_rng(0)
for t in range(tcfg.steps):
    start = rng.integers(0, M, size=(tcfg.batch_size, 1))
    seq = (N_SPECIAL + (start + np.arange(tcfg.seq_len + 1)) % M).astype(np.int32)  # rows like "fghijklabc…"
    batch = {"x": seq[:, :-1], "y": seq[:, 1:], "w": np.ones_like(seq[:, 1:])}
    params, opt_state, metrics = train_step(params, opt_state, rest, batch, t)
nnx.update(model, params)
print(f"after {tcfg.steps} steps the loss is {float(metrics['loss']):.4f} nats/token")

# %% [markdown]
# ## 2. The article's `generate_text` is not generation
#
# The article runs the model once over the input and takes the `argmax` at every position:
#
# ```python
# outputs = model(input_ids)
# predicted = torch.argmax(outputs, dim=-1)
# ```
#
# Position $t$'s logits predict token $t+1$ *given the true tokens* $0 … t$. So the result
# is the input shifted left by one — the model's guess for tokens we already have — plus
# exactly one new token at the end. It can never produce more than one new token.

# %%
prompt = [N_SPECIAL + i for i in range(3, 8)]  # "defgh"
article = np.asarray(jnp.argmax(model(jnp.asarray([prompt])), axis=-1))[0].tolist()
print("prompt            ", letters(prompt))
print("one pass + argmax ", letters(article), "  <- the prompt shifted by one; one new letter")

# %% [markdown]
# Autoregressive decoding feeds every chosen token back. With greedy choice
# ($y_t = \arg\max_v z_{t,v}$) the first new token is the article's last one, and the loop
# goes on for as many tokens as we ask:

# %%
graphdef, state = nnx.split(model)
generated = decode.generate(graphdef, state, [prompt], config, max_new_tokens=20, temperature=0.0)[0]
print("generated         ", letters(prompt) + "|" + letters(generated))
assert article[:-1] == prompt[1:]  # the one-pass output only echoes the prompt …
assert generated[0] == article[-1]  # … and its single new token is generation's first
assert generated == [N_SPECIAL + (8 + i) % M for i in range(20)]  # generation continues "ijklabcd…"

# %% [markdown]
# ## 3. Choosing the next token
#
# From logits $z$ (one row of the vocabulary), `minisora/inference/sampling.py` offers:
#
# - **greedy**: $y = \arg\max_v z_v$ — deterministic, and prone to loops in real text;
# - **temperature** $T$: sample from $p_v = \mathrm{softmax}(z / T)_v$. $T < 1$ sharpens,
#   $T > 1$ flattens, $T \to 0$ is greedy;
# - **top-k**: keep the $k$ largest logits, renormalise, sample;
# - **top-p (nucleus)**: sort $p_{(1)} \ge p_{(2)} \ge \dots$ and keep the smallest prefix whose
#   mass reaches $p$: $n = \min\{ n : \sum_{i \le n} p_{(i)} \ge p \}$.
#
# Both filters are thresholds on the sorted logits, so one sort serves both, and $T$, $k$
# and $p$ are ordinary traced numbers: changing them does not recompile anything.
# Here are the kept sets for a five-token distribution:

# %%
p = np.array([0.5, 0.2, 0.15, 0.1, 0.05])
z = jnp.log(jnp.asarray(p))[None]
for k, top_p in [(5, 1.0), (2, 1.0), (5, 0.6), (5, 0.86), (3, 0.9)]:
    kept = np.flatnonzero(np.isfinite(np.asarray(sampling.filter_logits(z, k, top_p)[0])))
    renorm = p[kept] / p[kept].sum()
    print(f"top-k {k}  top-p {top_p:<4}  keeps {kept.tolist()}  -> p = {np.round(renorm, 3).tolist()}")
# top-p 0.6: 0.5 alone is short of 0.6, 0.5 + 0.2 = 0.7 reaches it: the nucleus is {0, 1}
assert np.flatnonzero(np.isfinite(np.asarray(sampling.filter_logits(z, 5, 0.6)[0]))).tolist() == [0, 1]

# %% [markdown]
# Sampling at different temperatures from our letter model, same prompt and seed. Greedy
# follows the circle; at $T = 1$ the model is so sure of the circle that it still follows it;
# at high $T$ the distribution flattens and letters start to jump (`·` marks one of the
# special tokens, which the model learned never to expect):

# %%
for T in (0.0, 1.0, 3.0, 10.0):
    y = decode.generate(graphdef, state, [prompt], config, max_new_tokens=24, temperature=T, seed=0)[0]
    print(f"T = {T:<4}  {letters(y)}")

# %% [markdown]
# The same thing as numbers: the model's next-token distribution after `defgh`, $\mathrm{softmax}(z/T)$,
# at four temperatures (left, log scale). At $T = 1$ nearly all the mass is on `i`; as $T$ grows the
# other letters rise towards the uniform $1/V$. On the right, one of those distributions sorted, with
# what the filters keep: top-k keeps the $k$ most likely tokens, top-p the smallest set whose mass
# (the black line) reaches $p$ — both counted by `sampling.filter_logits`, as `decode` applies them;
# together (top-k first, then top-p on what it left, renormalised) they keep the green bars.

# %%
z = model(jnp.asarray([prompt]))[0, -1]  # (V,) logits of the token after "defgh"
names = [letters([i]) if N_SPECIAL <= i else str(i) for i in range(config.vocab_size)]  # special ids by number
fig, (ax, ax_cut) = plt.subplots(1, 2, figsize=(8, 3.4))
for T in (1.0, 2.0, 3.0, 10.0):
    ax.plot(range(config.vocab_size), np.asarray(jax.nn.softmax(z / T)), "o-", ms=3, label=f"T = {T:g}")
ax.axhline(1 / config.vocab_size, color="gray", ls=":", label="uniform 1/V")
ax.set_yscale("log")
ax.set_ylim(1e-6, 2)
ax.set_xticks(range(config.vocab_size), names, fontsize=9)
ax.set_xlabel("next token (0–8: special ids)")
ax.set_ylabel("probability")
ax.set_title("p(next | defgh) = softmax(z / T)")
ax.legend(fontsize=9, loc="lower left", ncol=2)
T_cut, k_cut, p_cut = 3.0, 5, 0.7
z_T = z / T_cut
order = np.argsort(-np.asarray(z_T))  # token ids, most likely first
p_sorted = np.asarray(jax.nn.softmax(z_T))[order]
kept_k = int(np.isfinite(sampling.filter_logits(z_T[None], k_cut, 1.0)).sum())  # top-k alone
kept_p = int(np.isfinite(sampling.filter_logits(z_T[None], config.vocab_size, p_cut)).sum())  # top-p alone
kept = int(np.isfinite(sampling.filter_logits(z_T[None], k_cut, p_cut)).sum())  # both: top-k, then top-p
ranks = np.arange(1, config.vocab_size + 1)
ax_cut.bar(ranks[:kept], p_sorted[:kept], color="tab:green", label=f"kept by both: {kept}")
ax_cut.bar(ranks[kept:], p_sorted[kept:], color="tab:gray")
ax_cut.step(ranks, np.cumsum(p_sorted), where="mid", color="black", label="cumulative mass")
ax_cut.axvline(kept_k + 0.5, color="tab:red", ls="--", label=f"top-k = {k_cut} keeps {kept_k}")
ax_cut.axvline(kept_p + 0.5, color="tab:purple", ls=":", label=f"top-p = {p_cut} keeps {kept_p}")
ax_cut.axhline(p_cut, color="tab:purple", lw=0.8, alpha=0.5)
ax_cut.set_xticks(ranks, [names[i] for i in order], fontsize=9)
ax_cut.set_xlabel("tokens, most likely first")
ax_cut.set_ylabel("probability")
ax_cut.set_title(f"T = {T_cut:g}: what top-k and top-p keep")
ax_cut.legend(fontsize=9, loc="center right")
fig.tight_layout()
show(fig, "08_next_token.png")
assert kept_k == k_cut and 1 <= kept_p < config.vocab_size

# %% [markdown]
# ## 4. The loop: `prefill`, then `step` inside `lax.scan`
#
# Both models expose the same two functions (chapter 5 and the Sora chapters built them):
#
# ```
# prefill(prompt_ids, prompt_mask, cache_len) -> (z_0, s_0)    run the prompt once
# step(s_t, y_t)                              -> (z_{t+1}, s_{t+1})
# ```
#
# so one loop serves both. Its body picks $y_t$ with the key `fold_in(key, t)` (one seed,
# a different draw every step, the same draws however the loop is split), marks rows that
# produced a stop token as done (they emit padding from then on), and steps the model:

# %%
print(inspect.getsource(decode.emit_token))
print(inspect.getsource(decode.scan_steps))

# %% [markdown]
# `lax.scan` compiles the body once and runs it $N$ times inside XLA: no Python per token,
# and the state (the cache) stays in the scan's *carry*, so XLA overwrites it in place each
# step instead of copying it. Prompts are left-padded to a power-of-two bucket, so every
# prompt of up to 16 tokens, say, reuses one compiled loop, and the positions of a padded
# row count its real tokens only, so it decodes exactly as it would alone.
#
# The reference without a cache reruns the full forward over the whole sequence every step
# (nanoGPT's `generate`). It must choose the same tokens, greedy or sampled with a seed:

# %%
prompts = [prompt, [N_SPECIAL, N_SPECIAL + 1], [N_SPECIAL + i % M for i in range(11)]]
for kw in ({"temperature": 0.0}, {"temperature": 3.0, "top_k": 6, "top_p": 0.9, "seed": 1}):
    cached = decode.generate(graphdef, state, prompts, config, max_new_tokens=16, **kw)
    uncached = decode.generate(graphdef, state, prompts, config, max_new_tokens=16, cached=False, **kw)
    assert cached == uncached
    print(kw, "cached == uncached:", [letters(r) for r in cached])

# %% [markdown]
# ## 5. The key/value cache grows; the LSTM state does not
#
# ChatGPT's state after $S$ tokens holds every layer's keys and values:
# $2 \cdot L \cdot S \cdot C$ numbers ($L$ layers, width $C$), plus one "is this slot real"
# flag per slot — it grows by $8LC + 1$ bytes per token in float32. Sora's state is the
# LSTM's $(h, c)$ plus the encoder outputs it attends over: fixed by the prompt, the same
# after 64 new tokens as after 1024. (The price: Sora's decoder sees the past only through
# $(h, c)$ and the prompt, while ChatGPT attends to every earlier token directly.)
# `minisora.nn.state_bytes(config, prompt_len, new_tokens)` sizes the state from its shapes
# alone, without allocating it:

# %%
sizes = {}
for kind in ("gpt", "sora"):
    cfg = config_from_preset(kind, "baby")
    sizes[kind] = {n: state_bytes(cfg, 10, n) for n in (64, 256, 1024)}
    print(f"{kind:5}", "   ".join(f"{n:5} tokens: {b / 1024:8.1f} KiB" for n, b in sizes[kind].items()))
baby = config_from_preset("gpt", "baby")
per_token = 8 * baby.n_layers * baby.d_model + 1
assert sizes["gpt"][1024] - sizes["gpt"][256] == (1024 - 256) * per_token
assert sizes["sora"][64] == sizes["sora"][1024]

# %% [markdown]
# Drawn against the length (the prompt is 10 tokens; ChatGPT's cache is sized for prompt and
# answer): a straight line of slope $8LC + 1$ bytes per token for ChatGPT, a flat one for Sora,
# whose state — $(h, c)$ and the encoded 10-token prompt it attends over — is smaller than the
# cache of a few tokens already.

# %%
lengths = [16, 128, 256, 512, 768, 1024]
fig, ax = plt.subplots(figsize=(6, 3.4))
for kind, label in (("gpt", "ChatGPT: key/value cache"), ("sora", "Sora: LSTM (h, c) + encoded prompt")):
    cfg = config_from_preset(kind, "baby")
    ax.plot(lengths, [state_bytes(cfg, 10, n) / 1024 for n in lengths], "o-", label=label)
ax.set_xlabel("new tokens (after a 10-token prompt)")
ax.set_ylabel("decoding state per sequence (KiB)")
ax.set_title("Decoding state of the baby presets (float32)")
ax.grid(alpha=0.3)
ax.legend(fontsize=9)
fig.tight_layout()
show(fig, "08_state_bytes.png")

# %% [markdown]
# ## 6. Measured
#
# `minisora.tools.bench.bench_decode` (the `minisora bench decode` command) times the compiled
# scan and the uncached reference on random weights of the `baby` preset (nanoGPT's CPU "baby GPT": 4 layers, width 128). The numbers
# depend on the machine and on what else runs on it; here they are small runs (the real
# benchmark uses 200 new tokens: `minisora bench decode --model gpt --preset baby`).

# %%
n_new = 24 if QUICK else 200
rows = []
for kind in ("gpt", "sora"):
    for batch in (1,) if QUICK else (1, 8, 64):
        r = bench_decode(kind, "baby", batch_size=batch, prompt_len=10, new_tokens=n_new,
                         repeats=2, uncached_repeats=1, state_at=())
        rows.append(r)
print(f"{'model':5} {'batch':>5} {'cached tok/s':>13} {'uncached tok/s':>15} {'speed-up':>9} {'compile s':>10}")
for r in rows:
    print(f"{r['model']:5} {r['batch_size']:>5} {r['tokens_per_s']:>13,.0f} {r['uncached_tokens_per_s']:>15,.0f} "
          f"{r['speedup']:>8.1f}x {r['compile_s']:>10.2f}")

# %% [markdown]
# The cached loop does one token's worth of work per step; the uncached one reruns the whole
# sequence, so its cost per token grows with the length, and the gap widens the longer we
# generate. Batching fills the matrix multiplies: several rows cost little more than one —
# until the cache itself is the cost. At batch 64 every step reads each layer's keys and
# values of all 64 rows (56 MB for the baby GPT), and on a CPU that read is most of the step.
# XLA runs it on one thread per device; `--cpu-devices 2 --mesh data=2` presents the two
# cores as two JAX devices and splits the rows between them (the same SPMD code that shards
# over a TPU pod): `minisora bench decode --batch-size 64 --mesh data=2 --cpu-devices 2`.
#
# To try a trained run: `minisora generate --run RUN --prompt "..." --temperature 0.8
# --top-k 40` streams text as it is decoded; `minisora chat --run RUN` talks to a
# fine-tuned one (`/reset` forgets the conversation, `/quit` ends it).

# %% [markdown]
# ## Exercises
#
# Each function takes one row of the vocabulary as a numpy array.
#
# 1. **Top-k.** Write `top_k_filter(z, k)`: the logits `z` with every entry below the $k$-th
#    largest set to $-\infty$ (so its probability is 0), the others unchanged. Tokens tied with the
#    $k$-th largest stay: two equal logits are equally likely. Checked against
#    `sampling.filter_logits(z, k, 1.0)`.
# 2. **Top-p.** Write `nucleus(p, top_p)`: the ids of the tokens the nucleus keeps, for
#    probabilities `p` — sort them most likely first and keep the smallest prefix whose mass reaches
#    `top_p` (at least one token), plus any token tied with the last one kept. Checked against
#    `sampling.filter_logits(log p, V, top_p)`, on the five-token example above and random ones.
# 3. **Temperature.** Write `with_temperature(z, T)`: the probabilities $\mathrm{softmax}(z / T)$, and
#    for $T = 0$ all the mass on the largest logit (greedy). It must work for logits like
#    $[1000, 999, 990]$, where $e^{1000}$ overflows. Checked against `jax.nn.softmax` and
#    `sampling.greedy`.
#
# Solutions: `tutorials/solutions/ch08.py`.

# %%
from course import ch08


def top_k_filter(z, k):
    """z with every logit below the k-th largest at -inf (ties with the k-th kept)."""
    raise NotImplementedError  # your code here


def nucleus(p, top_p):
    """The ids of the tokens the top-p nucleus of the probabilities ``p`` keeps."""
    raise NotImplementedError  # your code here


def with_temperature(z, T):
    """softmax(z / T); for T = 0 all the mass on the argmax."""
    raise NotImplementedError  # your code here


ch08.check_top_k_filter(top_k_filter)
ch08.check_nucleus(nucleus)
ch08.check_temperature(with_temperature)
