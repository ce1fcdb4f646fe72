# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Chapter 12 — Serving many users with one compiled step
#
# The article's use cases — a customer-service bot, a virtual assistant — answer many people at
# once. Chapter 8's decoder answers a *batch* that starts together and waits for its longest
# answer. A server cannot work like that: requests arrive at any moment, and their answers end at
# different lengths. `minisora/inference/engine.py` keeps **S decode slots** — the rows of one
# decoding state — and loops:
#
# | step | what happens | compiled once per |
# |---|---|---|
# | admit | a waiting request is prefilled *alone*, draws its first token, and is `insert`ed into a free slot | prompt bucket |
# | generate | `nn.step` feeds every slot its last token; each slot draws its next one with its own temperature / top-k / top-p / seed | — (one program) |
# | deliver | each live request gets its token; a slot frees the step its request ends | — |
#
# Shapes never change — S slots of `max_len` positions — so nothing recompiles while serving.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from course import QUICK, show
from flax import nnx

from minisora.config import ModelConfig
from minisora.inference.decode import generate
from minisora.inference.engine import Engine, Request
from minisora.nn import create, state_bytes

# %% [markdown]
# ## 1. A slot per request: what it holds
#
# The two families keep different things per request. ChatGPT keeps every past token's keys and
# values (the cache grows with the answer); Sora keeps its LSTM state plus the encoder outputs of
# the prompt (constant, whatever the answer's length). `nn.state_bytes` measures both from the
# shapes the models really build:

# %%
shape = {"vocab_size": 500, "d_model": 64, "n_heads": 4, "n_layers": 2, "d_ff": 256, "max_len": 128, "d_lstm": 64}
for family in ("gpt", "sora"):
    config = ModelConfig(family=family, **shape)
    sizes = {n: state_bytes(config, 16, n) for n in (16, 48, 96)}
    print(f"{family:5}", "   ".join(f"answer of {n:3} tokens: {b / 1024:6.1f} KiB" for n, b in sizes.items()))

# %% [markdown]
# ## 2. Requests that come and go
#
# A random model is enough to see the mechanics (speed does not depend on what a model learned).
# We give the engine 3 slots and 8 requests of different prompt lengths and answer lengths: the
# first three are admitted at once, the rest wait and take the slot of whichever request ends first.

# %%
config = ModelConfig(family="gpt", **shape)
model = create(config, seed=0)
graphdef, params = nnx.split(model)
engine = Engine(graphdef, params, config, slots=3, stop_ids=())
rng = np.random.default_rng(0)
prompts = [list(rng.integers(9, 500, size=int(n))) for n in rng.integers(3, 20, size=8)]
lengths = [int(n) for n in rng.integers(5, 30, size=8)]
outs = {k: [] for k in range(8)}
timeline = []  # (step, slot -> request)
for k, (p, n) in enumerate(zip(prompts, lengths)):
    engine.submit(Request(p, n, lambda y, f, k=k: outs[k].append(y) if f is None else None))
while engine.waiting or engine.busy():
    engine.step()
    timeline.append([None if r is None else next(k for k, q in enumerate(prompts) if q is r.prompt)
                     for r in engine.active])
print("steps:", engine.steps, " tokens:", sum(map(len, outs.values())), " answer lengths:", lengths)

# %% [markdown]
# Each request gets exactly what chapter 8's `generate` gives its prompt alone — greedy here; a
# seeded sample too, because each slot draws with `fold_in(key(seed), t)` of its own request:

# %%
# greedy: the first n tokens of a longer answer are the n-token answer (one decoder compile, not eight)
alone = [generate(graphdef, params, [p], config, max_new_tokens=max(lengths), stop_ids=())[0][:n]
         for p, n in zip(prompts, lengths)]
print("same tokens as alone:", all(outs[k] == alone[k] for k in range(8)))
assert all(outs[k] == alone[k] for k in range(8))

# %% [markdown]
# Which request sat in which slot, step by step (recorded after each engine step; every step gives
# each live request `chunk = 4` tokens). Each coloured run is one request, `r0` … `r7` in the order
# they arrived, from the step it was admitted. The white step after a run is the one in which that
# request got its last tokens and left; the next waiting request takes the slot in the step after,
# so no slot stays idle for longer than that while someone waits.

# %%
grid = np.array([[-1 if k is None else k for k in row] for row in timeline]).T  # (slots, steps)
fig, ax = plt.subplots(figsize=(8, 2.2))
ax.imshow(np.ma.masked_less(grid, 0), aspect="auto", cmap="tab10", interpolation="nearest")
for s in range(grid.shape[0]):
    for t in range(grid.shape[1]):
        if grid[s, t] >= 0 and (t == 0 or grid[s, t - 1] != grid[s, t]):
            ax.text(t, s, f"r{grid[s, t]}", va="center", fontsize=9)
ax.set_xlabel("engine step")
ax.set_ylabel("slot")
ax.set_yticks(range(grid.shape[0]))
ax.set_title("8 requests through 3 slots: a freed slot is taken at the next step")
fig.tight_layout()
show(fig, "12_slots.png")

# %% [markdown]
# **ChatGPT's slots are a ring.** Every slot writes its new token at the *same* cache index, so
# one step serves them all. A request that arrives later puts its prompt's keys and values into
# the positions just before that index (`ChatGPT.insert`), and attends only to its own positions
# (`valid`). The order of positions in the cache does not matter — position information is in
# the embeddings — so the index wraps around `max_len`, and a slot can serve request after request.
# Every slot has room for `max_len` tokens, but while the live requests are short most of it is
# empty: the engine cuts the cache into blocks of 64 positions and its step reads only the blocks
# some live request has written (`ChatGPT.cut_cache`; the softmax is then taken block by block,
# `minisora.nn.fast.attend_blocks`, the same value as one softmax over all positions).
#
# ## 3. Why a server batches
#
# One step costs about the same for one live slot as for many, until the arithmetic fills the
# machine. Requests per second grow with the number of slots in use:

# %%
def throughput(eng, n_requests, new_tokens=32):
    done = []
    for k in range(n_requests):
        eng.submit(Request(prompts[k % 8][:6], new_tokens, lambda y, f: done.append(y) if f is None else None))
    start = time.perf_counter()
    while eng.waiting or eng.busy():
        eng.step()
    return len(done) / (time.perf_counter() - start)


clients = (1, 2, 4, 8) if QUICK else (1, 2, 4, 8, 16, 32)
eng = Engine(graphdef, params, config, slots=max(clients), stop_ids=())  # one engine, compiled once, for every load
eng.warm_up([8])
rates = [throughput(eng, n) for n in clients]
for n, r in zip(clients, rates):
    print(f"{n:3} requests at once: {r:8,.0f} tokens/s")
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(clients, rates, "o-")
ax.set_xscale("log", base=2)
ax.set_xticks(clients, [str(n) for n in clients])
ax.set_xlabel("requests decoded together")
ax.set_ylabel("generated tokens / s")
ax.set_title(f"one engine, {max(clients)} slots, this machine")
ax.grid(alpha=0.3)
fig.tight_layout()
show(fig, "12_throughput.png")

# %% [markdown]
# ## 4. The path of a request
#
# `minisora serve --run RUN [--run RUN2]` (the `serve` extra) puts this engine behind an
# OpenAI-compatible HTTP API (`minisora/tools/serve.py`, FastAPI + uvicorn):
#
# 1. `POST /v1/chat/completions` — the JSON body is checked field by field; a mistake is a 4xx
#    with OpenAI's `{"error": {"message", "type", "param", "code"}}`, and the server keeps serving;
# 2. the messages become the run's dialogue layout `<user> q <assistant> a </s> … <user> q <assistant>`
#    (the oldest turns dropped if the context is full, and the response says so);
# 3. `Engine.submit` — a full waiting line is a 429;
# 4. the engine's thread puts each token in the request's buffer, and after each call wakes the
#    server's event loop once for all of them (`Served.wake`);
# 5. the token ids so far are decoded, and only whole characters are sent (a Chinese character
#    is three UTF-8 bytes, and may arrive as byte pieces);
# 6. server-sent events: `data: {"choices": [{"delta": {"content": "…"}}]}`, …, `data: [DONE]`.
#
# A client that goes away cancels its request; its slot is free at the next step. The chat page at
# `/` streams every served model's answer side by side. Any OpenAI client talks to it:
#
# ```python
# from openai import OpenAI
# client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="none")
# reply = client.chat.completions.create(model="gpt-chat", messages=[{"role": "user", "content": "我的账户为什么不能登录？"}])
# ```
#
# `minisora bench serve --run RUN --clients 1 8 32` measures the whole path over real HTTP:
# aggregate tokens/s, time to first token, time between tokens.
#
# Two settings of the server's engine differ from this chapter's. It runs `chunk=32` tokens per
# call while the same requests decode (fewer calls, fewer server-sent events) and
# `arrival_chunk=1` while requests arrive, since a request that comes during a call waits for its
# end; and a burst of waiting requests is prefilled in one call padded to a compiled count of
# prompts. With several devices (`minisora serve --cpu-devices 2`, or a GPU/TPU host's chips) the
# slots are split over them, each device decoding its own (`parallel.slot_shardings`). What each of
# these bought is measured in `docs/performance.md`, "Serving".

# %% [markdown]
# ## Exercises
#
# 1. **What one slot costs.** Write `slot_bytes(config)`: the bytes one ChatGPT slot adds to the
#    engine's decoding state. A slot holds, for each of the $L$ layers, the keys and the values of
#    `max_len` positions ($C$ numbers each, in the compute dtype: 4 bytes for `"float32"`, 2 for
#    `"bfloat16"`), one `valid` flag per position (a bool, 1 byte) and its next position (`pos`,
#    an int32); the write index is shared by all the slots. Checked against the arrays
#    `minisora.nn.empty_slots` builds for 1, 2 and 3 slots.
# 2. **The scheduler.** Write `admission_steps(lengths, slots, chunk)`: the engine step (0, 1, …) at
#    which each request is admitted, for requests of `lengths[k]` tokens all submitted before step 0.
#    At each step the engine first gives every free slot the next waiting request (first come,
#    first served), which gets its first token right away; then one compiled call gives every live
#    request `chunk` more tokens. A request leaves its slot in the step it gets its last token, and
#    that slot takes a new request in the next step (a one-token answer too: it still holds its slot
#    for the step it was admitted). Checked against the real `Engine` with a small random model.
#
# Solutions: `tutorials/solutions/ch12.py`.

# %%
from course import ch12


def slot_bytes(config):
    """Bytes of one ChatGPT decode slot of ``config``: keys, values, valid flags and its position."""
    raise NotImplementedError  # your code here


def admission_steps(lengths, slots, chunk):
    """The engine step at which each request (all waiting at step 0, first come first served) gets a slot."""
    raise NotImplementedError  # your code here


ch12.check_slot_bytes(slot_bytes)
ch12.check_admission_steps(admission_steps)
