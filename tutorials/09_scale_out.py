# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Chapter 9 — From one CPU to a TPU pod
#
# Everything so far ran on one device. This chapter runs the *same* train step on many:
# first on 8 devices that JAX fakes on this CPU, then — with the exact commands — on a TPU
# VM, a TPU pod and several GPU hosts. Nothing in the models changes. We only say where
# each array lives, and the compiler writes the per-device program and its communication.
# The code is `minisora/parallel/` (`mesh.py`, `sharding.py`, `hosts.py`); in Python a mesh is
# the `mesh=` argument of `minisora.pretrain`, `minisora.train` and
# `minisora.tools.bench.bench_train`, and on the command line the flags are `--mesh`,
# `--distributed`, `--dtype`, `--remat`, `--scan-layers` and `--profile` of `minisora pretrain`
# and `minisora bench train`.
#
# JAX decides how many CPU devices there are when it starts, so we ask for 8 with
# `parallel.set_cpu_devices(8)` before anything touches a device (importing minisora does
# not). (From the command line, `--cpu-devices N` does the same:
# `minisora bench decode --batch-size 64 --cpu-devices 2 --mesh data=2` decodes half the rows
# on each of two cores.)

# %%
import re
import time

import jax
from course import QUICK, show

from minisora import parallel

parallel.set_cpu_devices(8)  # 8 fake devices on this CPU; must come before any computation

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from flax import nnx
from jax.sharding import NamedSharding

from minisora.config import ModelConfig, TrainConfig, config_from_preset
from minisora.nn import create
from minisora.tokenizer import N_SPECIAL
from minisora.tools import flops
from minisora.training import batches
from minisora.training.optim import make_optimizer
from minisora.training.step import make_steps, objective, split_model

print(jax.device_count(), "devices:", jax.devices())

# %% [markdown]
# ## A mesh: the devices in a named grid
#
# A **mesh** arranges the N devices in a grid whose axes have names. minisora always uses
# three axes, `data`, `fsdp` and `model`, so that one set of rules serves every layout:
#
# $$N = |\text{data}| \cdot |\text{fsdp}| \cdot |\text{model}|$$
#
# `--mesh data=4,fsdp=2` is 4 × 2 × 1. An axis of size 1 costs nothing. One axis may be `-1`
# ("the rest"), handy on a pod whose size you do not want to type: `--mesh fsdp=-1`.

# %%
mesh = parallel.make_mesh("data=4,fsdp=2")
print(mesh.shape)
print(mesh.devices[:, :, 0])  # rows: data, columns: fsdp
print(mesh.axis_types)

# %% [markdown]
# The axis type is `Auto`, chosen on purpose (the docstring of `parallel.make_mesh` says
# why): we pin the shardings of the train step's inputs and outputs, and the compiler
# propagates them through a model written for one device. JAX's other mode, `Explicit`,
# makes the sharding part of each array's type; it gives exact control over every
# collective but would put sharding annotations into the model files.
#
# ## A sharding: which device holds which piece
#
# A `PartitionSpec` names, for each dimension of an array, the mesh axes it is split over.
# The batch (B, T) is split by rows over `data` × `fsdp`: each of the 8 devices holds 2
# rows of a 16-row batch, all T tokens of each.

# %%
batch = np.arange(16 * 4).reshape(16, 4)
x = jax.device_put(batch, NamedSharding(mesh, parallel.batch_spec(mesh)))
print(parallel.batch_spec(mesh), "->", x.addressable_shards[0].data.shape, "per device")
jax.debug.visualize_array_sharding(x)
assert x.addressable_shards[0].data.shape == (2, 4)

# %% [markdown]
# ## Three ways to split the work
#
# * **Data parallel (DP)**, `--mesh data=8`: every device holds all the parameters and
#   a slice of the batch. The loss is a mean over the *global* batch,
#   $L = \frac1B\sum_b \ell_b$, so its gradient is the mean of the devices' gradients:
#   one all-reduce of the gradients per step.
# * **Fully sharded data parallel (FSDP, ZeRO-3)**, `--mesh fsdp=8`: also a slice of the
#   batch per device, but each device *stores* only 1/8 of every matrix (and of Adam's
#   $m$ and $v$). Before a layer runs, its weights are all-gathered; the gradients are
#   reduce-scattered back to their owners. Memory per device drops by ~8×; communication
#   grows to about 1.5× DP's.
# * **Tensor parallel (TP)**, `--mesh model=…`: matrices split the way Megatron-LM splits
#   them. $W_{qkv}$ (`attn/qkv`) and $W_1$ (`fc1`) are split by output columns (each device
#   computes some heads, some hidden units); $W_o$ (`attn/out`) and $W_2$ (`fc2`) by input
#   rows, so each device's partial
#   product is summed by one all-reduce per pair. It splits the *compute* of one example,
#   not the batch: the tool for models whose layers do not fit one device.
#
# They combine: `--mesh data=2,fsdp=2,model=2`. The rules are one table in
# `parallel.RULES`; here they are, applied to ChatGPT on that mesh:

# %%
gpt_config = config_from_preset("gpt", "tiny", vocab_size=4000)
gpt = create(gpt_config)
print(parallel.sharding_table(gpt, parallel.make_mesh("data=2,fsdp=2,model=2")))

# %% [markdown]
# Sora adds its LSTM decoder: the four gates of $W$ (`x_gates`) and $U$ (`h_gates`) split by
# output over `model`, like a column-parallel matrix, and the vocabulary biases (`vocab_bias`)
# follow the token table's rows.
# (A recurrent layer is the worst case for TP: every time step would need its all-reduce.)

# %%
sora = create(config_from_preset("sora", "tiny", vocab_size=4000))
rows = parallel.sharding_table(sora, parallel.make_mesh("data=2,fsdp=2,model=2")).splitlines()
print("\n".join(rows[:2] + [r for r in rows[2:] if not r.startswith("encoder/")]))  # the encoder is laid out like ChatGPT

# %% [markdown]
# The same rules as a picture: three of ChatGPT's matrices on the `data=2,fsdp=2,model=2` mesh,
# each drawn as its (rows × columns) rectangle cut into the blocks the devices hold — the numbers
# in a block are the ids of the devices that hold it (`NamedSharding.devices_indices_map`). Every
# block is held twice: the two `data` replicas of a device keep the same piece. The token table
# and $W_2$ split their rows over `model`, $W_{qkv}$ its columns; `fsdp` takes the other dimension.
# %%
mesh3 = parallel.make_mesh("data=2,fsdp=2,model=2")
gpt_params = dict(jax.tree_util.tree_flatten_with_path(nnx.state(gpt, nnx.Param))[0])
names = {"tok_embed/embedding": "token table E", "blocks/0/attn/qkv/kernel": "W_qkv (block 0)",
         "blocks/0/fc2/kernel": "W_2 (block 0)"}
fig, axes = plt.subplots(1, 3, figsize=(8, 3.2))
for ax, (name, label) in zip(axes, names.items()):
    x = next(v for p, v in gpt_params.items() if jax.tree_util.keystr(p, simple=True, separator="/").startswith(name))
    spec = parallel.spec_for(name, x.shape, mesh3)
    blocks = {}  # (row slice, column slice) -> the devices that hold that block
    for device, (rows_, cols) in NamedSharding(mesh3, spec).devices_indices_map(x.shape).items():
        key = (rows_.indices(x.shape[0])[:2], cols.indices(x.shape[1])[:2])
        blocks.setdefault(key, []).append(device.id)
    for k, ((r0, r1), (c0, c1)) in enumerate(sorted(blocks)):
        ax.add_patch(plt.Rectangle((c0, r0), c1 - c0, r1 - r0, facecolor=f"C{k}", alpha=0.35, edgecolor="black"))
        holders = " ".join(f"d{d}" for d in sorted(blocks[(r0, r1), (c0, c1)]))
        ax.text((c0 + c1) / 2, (r0 + r1) / 2, holders, ha="center", va="center", fontsize=9)
    ax.set_xlim(0, x.shape[1])
    ax.set_ylim(x.shape[0], 0)  # row 0 at the top, as a matrix is written
    ax.set_xlabel(f"columns ({x.shape[1]})")
    ax.set_ylabel(f"rows ({x.shape[0]})")
    ax.set_title(f"{label}\n{spec}", fontsize=10)
fig.suptitle("Which devices hold which block (mesh data=2, fsdp=2, model=2)", fontsize=11)
fig.tight_layout()
show(fig, "09_shards.png")

# %% [markdown]
# ## What it buys: memory per device
#
# Training with AdamW keeps, per parameter, the float32 value θ and two moments m, v:
# 12 bytes. For GPT-2 small (124 M parameters) that is 1.5 GB before any activation. We can
# count what each device would hold without allocating anything: `nnx.eval_shape` builds the
# model as shapes only, and `NamedSharding.shard_shape` says how big one device's piece is.


# %%
def bytes_per_device(config, spec: str) -> float:
    """float32 θ, m, v of ``config`` held by ONE device of the mesh ``spec`` (8 devices)."""
    m = parallel.make_mesh(spec)
    _, params, _ = split_model(nnx.eval_shape(lambda: create(config)))
    shards = parallel.shardings(params, m, strict=True)
    per_device = sum(np.prod(s.shard_shape(x.shape)) for x, s in zip(jax.tree.leaves(params), jax.tree.leaves(shards)))
    return 3 * 4 * per_device


gpt2 = config_from_preset("gpt", "gpt2-small")
_, abstract, _ = split_model(nnx.eval_shape(lambda: create(gpt2)))
total = 3 * 4 * sum(x.size for x in jax.tree.leaves(abstract))
print(f"GPT-2 small: {total / 2**30:.2f} GiB of θ, m, v in all")
per = {spec: bytes_per_device(gpt2, spec) for spec in ("data=8", "fsdp=8", "model=8", "data=2,fsdp=4")}
for spec, b in per.items():
    print(f"  --mesh {spec:<14} {b / 2**30:6.3f} GiB per device ({b / total:5.1%})")
assert per["data=8"] == total  # DP: every device holds everything
assert abs(per["fsdp=8"] / total - 1 / 8) < 0.01  # FSDP: an eighth (LayerNorms and biases stay whole)

# %% [markdown]
# Split by kind of parameter, per device: under `model=8` the token table — GPT-2's largest
# matrix — stays whole, while FSDP cuts every matrix by 8.

# %%
def group(path: str) -> str:
    """The kind of parameter a path names (``blocks/3/attn/qkv/kernel`` -> attention)."""
    for word, kind in (("embed", "embeddings"), ("attn", "attention"), ("fc", "MLP")):
        if word in path:
            return kind
    return "LayerNorms"


def bytes_by_group(config_params, spec: str) -> dict:
    """float32 θ, m, v per device of the mesh ``spec``, by kind of parameter."""
    out = dict.fromkeys(("embeddings", "attention", "MLP", "LayerNorms"), 0.0)
    shards = parallel.shardings(config_params, parallel.make_mesh(spec), strict=True)
    for (path, x), s in zip(jax.tree_util.tree_flatten_with_path(config_params)[0], jax.tree.leaves(shards)):
        out[group(jax.tree_util.keystr(path, simple=True, separator="/"))] += 12 * np.prod(s.shard_shape(x.shape))
    return out


by_group = {spec: bytes_by_group(abstract, spec) for spec in per}
assert all(abs(sum(g.values()) - per[spec]) < 1 for spec, g in by_group.items())  # the same totals as above
fig, ax = plt.subplots(figsize=(6.5, 3.4))
bottom = np.zeros(len(by_group))
for kind in ("embeddings", "attention", "MLP", "LayerNorms"):
    heights = np.array([g[kind] for g in by_group.values()]) / 2**30
    ax.bar(list(by_group), heights, bottom=bottom, label=kind)
    bottom += heights
ax.set_xlabel("--mesh (8 devices)")
ax.set_ylabel("θ, m, v per device (GiB)")
ax.set_title("GPT-2 small under AdamW: memory of one device")
ax.legend(fontsize=9)
fig.tight_layout()
show(fig, "09_memory.png")

# %% [markdown]
# (GPT-2's 50257-token vocabulary is not divisible by 8, so under `model=8` the token table
# keeps its rows whole — `spec_for` drops an axis that does not divide a dimension rather
# than pad — and TP saves less than FSDP here.)
#
# ## The sharded step computes the same numbers
#
# `minisora.training.step.make_steps(graphdef, cfg, shardings)` compiles the real train step with every input
# and output sharding pinned (`TrainShardings.jit_steps`), and `parallel.place_batch` hands
# each process the rows its devices hold. Let us run one step of a small ChatGPT on one
# device and on `data=4,fsdp=2`:

# %%
small = ModelConfig(family="gpt", vocab_size=256, d_model=64, n_heads=4, n_layers=2, d_ff=256, max_len=64)
cfg = TrainConfig(steps=10, batch_size=16, seq_len=32, warmup=0).resolved()
ids = np.random.default_rng(0).integers(N_SPECIAL, 256, size=20_000).astype(np.int32)
step_batch = batches.Batches("gpt", "text", ids, ids, batch_size=16, seq_len=32, vocab_size=256).sample(np.random.default_rng(0))

def one_step(mesh=None):
    graphdef, params, rest = split_model(create(small, seed=0))
    opt_state = make_optimizer(cfg).init(params)
    shardings, b = None, step_batch
    if mesh is not None:
        shardings = parallel.train_shardings(mesh, params, opt_state)
        params, opt_state, rest = shardings.place(params, opt_state, rest)
        b = parallel.place_batch(step_batch, mesh)
    step, _ = make_steps(graphdef, cfg, shardings)
    compiled = step.lower(params, opt_state, rest, b, np.int32(0)).compile()
    params, opt_state, metrics = compiled(params, opt_state, rest, b, np.int32(0))
    return float(metrics["loss"]), params, compiled


loss_1, params_1, _ = one_step()
loss_8, params_8, compiled_8 = one_step(mesh)
diff = max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(jax.tree.leaves(params_1), jax.tree.leaves(params_8)))
print(f"loss on 1 device {loss_1:.6f}, on data=4,fsdp=2 {loss_8:.6f}; largest parameter difference {diff:.1e}")
assert abs(loss_1 - loss_8) < 1e-5 and diff < 1e-5
print(params_8["blocks"][0]["fc1"]["kernel"].sharding)

# %% [markdown]
# Only the order of floating-point sums differs. `tests/parallel/test_parallel.py` checks the same
# over two steps with dropout on — ChatGPT on `data=8`, `fsdp=8` and `data=2,fsdp=4`, Sora on
# `data=2,fsdp=2,model=2` — and that every parameter and Adam moment has the sharding its
# rule says.
#
# ## What the compiler inserted
#
# We wrote no communication. The compiled program has it; count the collectives in its text:


# %%
def collectives(compiled) -> dict:
    hlo = compiled.as_text()
    return {op: len(re.findall(rf"\b{op}(-start)?\(", hlo)) for op in ("all-reduce", "all-gather", "reduce-scatter")}


print("data=4,fsdp=2:", collectives(compiled_8))
dp = collectives(one_step(parallel.make_mesh("data=8"))[2])
print("data=8       :", dp)
assert dp["all-reduce"] > 0 and dp["all-gather"] == 0  # DP: gradients all-reduced, weights never gathered
if not QUICK:
    fsdp = collectives(one_step(parallel.make_mesh("fsdp=8"))[2])
    print("fsdp=8       :", fsdp)
    assert fsdp["all-gather"] > 0  # FSDP: each layer's weights gathered before use

# %% [markdown]
# Two things in the FSDP program are worth reading in `compiled.as_text()`. There is no
# `reduce-scatter`: here on CPU the gradients reach their owners by an all-reduce of the full
# gradient and a slice. And some all-reduces carry *activations*, (B·T, 3C) partial sums of
# x W_qkv: for a model this small the compiler found it cheaper to keep W_qkv split and move
# activations than to gather the weights, at the price of every device working on the whole
# batch for that matmul. That is `AxisType.Auto`: we fix where arrays live at the step's
# boundary, the compiler picks how to get there, with its own cost model. (On the baby GPT it
# gathers weights, as FSDP intends.) Explicit mode is the tool for forbidding such choices.

# %% [markdown]
# ## Precision and memory: `--dtype`, `--remat`, `--scan-layers`
#
# * `--dtype bfloat16` runs the matmuls in bfloat16 (8 exponent bits like float32, 8 bits of
#   mantissa instead of 24). The **parameters, Adam's moments and the loss stay float32**:
#   the models keep `param_dtype=float32` and cast per layer, logits are cast to float32
#   before the log-softmax, the LSTM keeps its gates and memory in float32. Tiny updates
#   $\alpha\,\hat m/\sqrt{\hat v}$ would vanish if added to bfloat16 weights (1 + 2⁻⁹ rounds
#   to 1); added to float32 master weights they do not. On TPUs and recent GPUs bfloat16
#   matmuls run 2–16× faster than float32; on a CPU they are *slower* (emulated).
# * `--remat` recomputes each block's activations in the backward pass instead of storing
#   them: activation memory per block drops to its input, for ~⅓ more compute. It is "model
#   FLOPs" vs "hardware FLOPs": MFU counts only the former.
# * `--scan-layers` stacks the N blocks' weights (a leading axis of size N, never sharded)
#   and runs them with one `lax.scan`: the compiler sees one block instead of N, so compile
#   time stays flat as depth grows.
#
# The same batch through the same weights, float32 vs bfloat16 compute:

# %%
graphdef32, params32, rest32 = split_model(create(small, seed=0))
graphdef16, _, rest16 = split_model(create(small.replace(dtype="bfloat16"), seed=0))
b = {k: jnp.asarray(v) for k, v in step_batch.items()}
loss32 = objective(nnx.merge(graphdef32, params32, rest32), b, deterministic=True)[0]
loss16 = objective(nnx.merge(graphdef16, params32, rest16), b, deterministic=True)[0]  # same float32 θ
logits_gap = float(jnp.max(jnp.abs(nnx.merge(graphdef16, params32, rest16)(b["x"]) - nnx.merge(graphdef32, params32, rest32)(b["x"]))))
print(f"loss float32 {float(loss32):.6f}, bfloat16 compute {float(loss16):.6f}; largest logit difference {logits_gap:.1e}")
assert 0 < abs(float(loss16) - float(loss32)) / float(loss32) < 0.01
assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(params32))


# %%
def compile_seconds(n_layers: int, scan: bool) -> float:
    config = small.replace(n_layers=n_layers, scan_layers=scan)
    graphdef, params, rest = split_model(create(config))
    opt_state = make_optimizer(cfg).init(params)
    step, _ = make_steps(graphdef, cfg)
    t0 = time.perf_counter()
    step.lower(params, opt_state, rest, step_batch, np.int32(0)).compile()
    return time.perf_counter() - t0


for n in () if QUICK else (2, 8, 24):  # a few minutes of compiling: skipped in quick mode
    print(f"{n:>3} layers: compile {compile_seconds(n, False):5.1f} s unrolled, {compile_seconds(n, True):5.1f} s scanned")

# %% [markdown]
# Measured on this 2-core machine (shared with other jobs, so ±30 %) for the real train step
# of the `tiny` preset (vocabulary 8000, batch 16 × 128), trace + compile, in seconds:
#
# | layers | ChatGPT unrolled | ChatGPT scanned | Sora unrolled | Sora scanned |
# |---|---|---|---|---|
# | 2 | 10.4 | 11.4 | 19.0 | 24.5 |
# | 8 | 15.3 | 15.3 | 32.2 | 34.6 |
# | 24 | 30.9 | 15.0 | 57.2 | 28.0 |
#
# Unrolled, compile time grows with depth (the compiler optimises N copies of the block);
# scanned, it stays where it was at 2 layers. At 2 layers the scan costs a little
# (the loop machinery); past ~8 layers it wins. Sora's LSTM decoder is already a scan
# over time, so only its encoder's depth changes here.
#
# ## Reading MFU
#
# **Model FLOPs utilisation** = the FLOPs the model needs per second ÷ the device's peak:
#
# $$\text{MFU} = \frac{F_{\text{token}} \cdot \text{tokens/s}}{\text{peak FLOP/s}}, \qquad
# F_{\text{token}} \approx 6N + 12\,L\,C\,T$$
#
# $6N$: each weight does a multiply-add (2 FLOPs) forward and twice that backward; $12LCT$: the
# attention scores and their weighted sum over a T-token context (PaLM, appendix B). It counts
# the model's arithmetic, not what the hardware redid (remat) or wasted (padding), so it
# compares implementations and hardware fairly. `minisora.tools.bench.bench_train` (the
# `minisora bench train` command) reports it, with XLA's
# own FLOP count of the compiled step as a cross-check, and the peak from a table of
# published figures (TPU v4/v5e/v5p/v6e, A100, H100, H200) — for a CPU, from a matmul probe
# it runs at start-up. Rough guide: 40–60 % is excellent for a large model on TPU/GPU; a
# small model is bound by memory traffic and per-op overheads, not by the matmul units.

# %%
per_token = flops.model_flops_per_step(gpt2, abstract, 1, 1024) / 1024  # one row of T = 1024
print(f"GPT-2 small at T = 1024: {per_token / 1e9:.3f} GFLOP per token")
for kind in ("TPU v5e", "TPU v6e", "H100"):
    peak = flops.published_peak(kind, "bfloat16")
    print(f"  {kind}: 50 % MFU = {0.5 * peak / per_token:,.0f} tokens/s per chip")

# %% [markdown]
# ## Several hosts: `--distributed`
#
# A TPU pod slice or a GPU cluster is several machines ("hosts"), each with a few devices.
# JAX's model is *multi-controller*: every host runs the same Python program; `--distributed`
# calls `jax.distributed.initialize`, after which `jax.devices()` lists the devices of all
# hosts and the mesh spans them. Each host then
#
# * draws the same global batch from the same seeded generator and hands JAX only the rows of
#   its own devices (`jax.make_array_from_process_local_data` in `parallel.place_batch`);
# * writes its own shards of every checkpoint (orbax coordinates them);
# * stays quiet: only process 0 writes `metrics.jsonl`, the loss plot, the config and the
#   tokenizer (the others wait for it at a barrier).
#
# The run directory must be on storage every host sees (NFS, or a `gs://` bucket mounted with
# gcsfuse). `tests/parallel/test_distributed.py` runs two processes on localhost (CPU devices talk over
# gloo) and checks they train exactly like one process.
#
# **One TPU VM** (e.g. v5e-8 or v6e-8, one host, 8 chips) — no `--distributed`:
#
# ```bash
# pip install -U "jax[tpu]" && pip install -e .
# minisora pretrain --corpus data/corpus.txt --out runs/v5e --preset gpt2-small \
#     --mesh fsdp=8 --dtype bfloat16 --batch-size 64 --seq-len 1024 --profile runs/v5e/profile
# minisora bench train --preset gpt2-small --mesh fsdp=8 --dtype bfloat16 --batch-size 64 --seq-len 1024
# ```
#
# **A TPU pod slice** (e.g. v5p-32: 4 hosts × 4 chips). The same command on every host; on TPU
# `jax.distributed.initialize` finds the coordinator, the process count and its id itself:
#
# ```bash
# gcloud compute tpus tpu-vm ssh my-pod --zone=us-east5-a --worker=all --command='
#   cd minisora && minisora pretrain --distributed --corpus data/corpus.txt --out /mnt/shared/run \
#     --preset gpt2-small --mesh data=4,fsdp=-1 --dtype bfloat16 --batch-size 256 --seq-len 1024'
# ```
#
# (`data` across hosts, `fsdp` within: FSDP's per-layer all-gathers want the fastest links.)
#
# **GPU hosts** (here 2 hosts × 8 GPUs): name the coordinator and the ids yourself, or let
# Slurm / Open MPI supply them:
#
# ```bash
# # host 0 (10.0.0.1)                                   # host 1
# minisora pretrain --distributed \                     minisora pretrain --distributed \
#   --coordinator 10.0.0.1:1234 --num-processes 2 \       --coordinator 10.0.0.1:1234 --num-processes 2 \
#   --process-id 0 --mesh data=2,fsdp=8 ...               --process-id 1 --mesh data=2,fsdp=8 ...
# ```
#
# **Two processes on this laptop** (CPU, to try the mechanics; `JAX_NUM_CPU_DEVICES` gives
# each process 2 devices):
#
# ```bash
# for i in 0 1; do JAX_NUM_CPU_DEVICES=2 minisora pretrain --distributed --coordinator localhost:12345 \
#   --num-processes 2 --process-id $i --mesh data=2,fsdp=2 --corpus data/corpus.txt \
#   --tokenizer runs/demo/gpt/tokenizer --out /tmp/two-hosts --steps 50 --batch-size 8 & done; wait
# ```
#
# ## Profiling: `--profile DIR`
#
# `--profile DIR` records a `jax.profiler` trace of three steps (after the first, which is
# mostly compilation). Open it with `tensorboard --logdir DIR` (profile plugin) or drop
# `DIR/plugins/profile/*/*.trace.json.gz` onto ui.perfetto.dev: one row per device, each
# fusion and each collective as a box. Look for gaps between steps (the host feeding data
# too slowly), all-gathers that do not overlap compute (FSDP on slow links), and how much of
# a step the matmuls (`dot`/`convolution` fusions) fill.
#
# ## What was measured here
#
# On this machine (2 CPU cores, shared with other jobs while measuring):
#
# * bfloat16 vs float32 compute (`minisora pretrain --dtype bfloat16`), ChatGPT `tiny`
#   (632 k parameters, 4000-piece vocabulary), 300 AdamW steps of batch 16 × 128 on the shipped
#   corpus, same seed: held-out loss 4.6365 vs 4.6363 nats/token — 0.005 % apart (5.5147 vs
#   5.5150 at step 100, 4.8213 vs 4.8210 at step 200). Sora `tiny`, 200 steps: 12.2600 vs
#   12.2587 (next-token 5.8317 vs 5.8299, MLM 6.4283 vs 6.4288) — 0.01 % apart.
# * `minisora bench train --preset baby` (batch 12 × 64, one device, float32): 57 ms/step,
#   13,400 tokens/s, 5.20 M model FLOPs/token (XLA's count of the compiled step: 5.29 M),
#   MFU 47 % of the 148 GFLOP/s that a 1024 × 1024 float32 matmul reaches on this CPU. With
#   `--dtype bfloat16`: 9,500 tokens/s (a CPU emulates bfloat16 matmuls).
# * The same baby GPT, batch 16, on 8 *fake* devices (they share the same 2 cores, so sharding
#   can only add work here): one device 13,400 tokens/s; `data=8` 7,400; `data=4,fsdp=2`
#   6,200; `fsdp=8` 5,000 (measured while Adam's moments were still kept per tensor; since
#   `training.optim.make_optimizer` keeps them as one flat vector, FSDP also reshuffles the gradient into
#   that vector's shards each step). The order is the lesson — DP communicates least, FSDP most —
#   and XLA's FLOP count per device is 1/8 of the one-device step's in all three: the
#   devices split the work, they do not repeat it.
# * compile times: the table above.
# * the sharded steps on 8 fake devices match the one-device step to ~1e-6 (tests), and two
#   processes over gloo match one process (test).
# * a compiler bug: on a mesh with all three axes > 1, jax 0.10.2 computes wrong gradients for
#   Sora when batch rows are split ("data", "fsdp") (the loss is right, the MLM head's gradients
#   are not); `parallel.batch_spec` splits them ("fsdp", "data") there, which is right and costs
#   ~1.5× FLOPs. The tests would catch a regression.

# %% [markdown]
# ## Exercises
#
# 1. **One device's piece.** Write `shard_shape(shape, spec, mesh_shape)`: the shape of the block
#    one device holds of an array of `shape` with the PartitionSpec `spec` (a tuple, one entry per
#    dimension: `None`, an axis name, or a tuple of axis names split over together) on a mesh of
#    axis sizes `mesh_shape` (a dict like `mesh.shape`). Assume the axes divide the dimensions.
#    Then the bytes per device of a float32 parameter are `4 * prod(shard_shape(...))`. Checked
#    against JAX's own `NamedSharding(mesh, P(*spec)).shard_shape(shape)`.
# 2. **The data-parallel gradient.** Write `data_parallel_grad(grad_fn, params, x, y, n_devices)`:
#    split the batch `(x, y)` into `n_devices` equal shards of consecutive rows, compute
#    `grad_fn(params, x_shard, y_shard)` on each (what each device does), and combine them into the
#    gradient of the loss on the whole batch — what the all-reduce gives every device. The check's
#    loss is a mean over the rows, as minisora's losses are, and it compares your answer with
#    `jax.grad` of the loss on the whole batch.
#
# Solutions: `tutorials/solutions/ch09.py`.

# %%
from course import ch09


def shard_shape(shape, spec, mesh_shape):
    """The shape one device holds of an array ``shape`` split as ``spec`` over a mesh ``mesh_shape``."""
    raise NotImplementedError  # your code here


def data_parallel_grad(grad_fn, params, x, y, n_devices):
    """The whole batch's gradient from ``n_devices`` shards' gradients (equal shards of consecutive rows)."""
    raise NotImplementedError  # your code here


ch09.check_shard_shape(shard_shape)
ch09.check_data_parallel_grad(data_parallel_grad)
