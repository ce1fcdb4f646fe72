"""``minisora bench``: how fast training and decoding run on this machine.

    tokens/s = B · N / t         (B rows, N new tokens, t seconds, best of a few runs)

Random weights: speed does not depend on what the model learned.
"""

from __future__ import annotations

import json
import time

import jax
import numpy as np

# --- training -------------------------------------------------------------------------------
#
#   tokens/s = B · T / (seconds per step)            MFU = (model FLOPs/token · tokens/s) / peak FLOP/s
#
# Model FLOPs count the matmuls of one forward + backward pass (PaLM, appendix B): a weight matrix
# of N entries costs 2N FLOPs per token forward and 4N backward, so 6N; attention adds 12·L·C·T
# per token (QKᵀ and AV over a T-token context, forward and backward). Rematerialisation is not
# counted (it is hardware FLOPs, not model FLOPs).
#
# What made the baby GPT's step fast on XLA:CPU (and what did not), measured against nanoGPT:
# docs/performance.md.

BENCH_SHAPES = {"baby": (12, 64)}  # nanoGPT's CPU baby GPT: batch 12 × context 64
DEFAULT_SHAPE = (16, 128)

# Published dense peak TFLOP/s: (bf16, fp32). JAX's default precision runs float32 matmuls as
# bf16 passes on TPU and as TF32 on NVIDIA tensor cores, so those are the fp32 figures here.
PEAK_TFLOPS = (
    ("TPU v4", 275.0, 275.0),
    ("TPU v5 lite", 197.0, 197.0), ("TPU v5e", 197.0, 197.0),
    ("TPU v5p", 459.0, 459.0), ("TPU v5", 459.0, 459.0),
    ("TPU v6 lite", 918.0, 918.0), ("TPU v6e", 918.0, 918.0),
    ("A100", 312.0, 156.0),
    ("H100", 989.0, 494.7),
    ("H200", 989.0, 494.7),
)


def published_peak(device_kind: str, dtype: str) -> float | None:
    """Dense peak FLOP/s of one device of this kind for matmuls in ``dtype``, if known."""
    for name, bf16, fp32 in PEAK_TFLOPS:
        if name.lower() in device_kind.lower():
            return 1e12 * (bf16 if dtype == "bfloat16" else fp32)
    return None


def matmul_peak(dtype: str = "float32", n: int = 1024, repeats: int = 10) -> float:
    """Measured FLOP/s of one jitted n×n matmul (2n³ FLOPs), best of ``repeats``: the ceiling a
    CPU (or an unknown device) actually reaches."""
    import jax.numpy as jnp

    a = jnp.ones((n, n), dtype)
    matmul = jax.jit(lambda x: x @ x)
    jax.block_until_ready(matmul(a))
    return 2 * n**3 / _time(lambda: matmul(a), repeats)


def _n(params, *prefixes: str, skip: tuple = ()) -> int:
    """Entries of the parameters whose path starts with one of ``prefixes`` (and none of ``skip``)."""
    total = 0
    for path, x in jax.tree.leaves_with_path(params):
        name = "/".join(str(getattr(k, "key", k)) for k in path)
        if name.startswith(prefixes) and not name.startswith(skip):
            total += x.size
    return total


def model_flops_per_step(config, params, B: int, T: int, S: int = 0) -> float:
    """Forward + backward matmul FLOPs of one step. ChatGPT: B·T tokens at 6N + 12·L·C·T each
    (N without the position table; the tied embedding counts once, as the output head).
    Sora: S encoder tokens at 6N_enc + 12·L·C·S (+ its keys W_a), T decoder tokens at
    6(N_cell + V·C) (cell and tied head) + 6·S·(H + C) (attention over the S encoder states)."""
    L, C, H = config.n_layers, config.d_model, config.d_lstm
    if config.model == "gpt":
        N = _n(params, "", skip=("wpe",))
        return B * T * (6 * N + 12 * L * C * T)
    N_enc = _n(params, "encoder", skip=("encoder/pos_embed", "encoder/seg_embed"))
    per_src = 6 * (N_enc + _n(params, "W_a")) + 12 * L * C * S
    per_dec = 6 * (_n(params, "cell", "b_v") + config.vocab_size * C) + 6 * S * (H + C)
    return B * (S * per_src + T * per_dec + 6 * _n(params, "W_h", "W_c"))


def bench_train(model: str = "gpt", preset: str = "baby", batch_size: int | None = None, seq_len: int | None = None,
                optimizer: str = "adamw", steps: int = 50, warmup_steps: int = 3, seed: int = 0, *,
                mesh=None, dtype: str | None = None, remat: bool = False, scan_layers: bool = False,
                profile=None) -> dict:
    """Speed of the real train step (train.make_steps) on random tokens: compile time, ms/step,
    tokens/s, model FLOPs/token (and XLA's own count), MFU against the device's peak.
    ``mesh``: the step sharded over it (parallel.py), the peak is then that of all its devices;
    ``profile``: a directory for a jax.profiler trace of 3 more steps."""
    from . import data, models, parallel, train
    from .errors import UserError

    config = models.config_from_preset(model, preset, dtype=dtype, remat=remat or None, scan_layers=scan_layers or None)
    B0, T0 = BENCH_SHAPES.get(preset, DEFAULT_SHAPE)
    B, T = batch_size or B0, seq_len or min(T0, config.max_len)
    if steps < 1 or B < 1 or T < 2:
        raise UserError("--steps and --batch-size must be at least 1, and --seq-len at least 2.")
    cfg = train.TrainConfig(steps=steps + warmup_steps, batch_size=B, seq_len=T, optimizer=optimizer, seed=seed)
    cfg = cfg.resolved()
    train._check_lengths(config, cfg)
    ids = np.random.default_rng(seed).integers(data.N_SPECIAL, config.vocab_size, size=B * (T + 1) * 64)
    batches = data.Batches(model, "text", ids, ids, batch_size=B, seq_len=T, vocab_size=config.vocab_size)
    rng = data.make_rng(seed)

    graphdef, params, rest = train.split_model(models.create(config, seed))
    opt_state = train.make_optimizer(cfg).init(params)
    shardings, sample = None, lambda: batches.sample(rng)
    if mesh is None:
        params, opt_state, rest = jax.device_put((params, opt_state, rest), jax.devices()[0])
    else:
        parallel.check_batch_size(B, mesh)
        shardings = parallel.train_shardings(mesh, params, opt_state)
        params, opt_state, rest = shardings.place(params, opt_state, rest)
        sample = lambda: parallel.place_batch(batches.sample(rng), mesh)  # noqa: E731
    train_step, _ = train.make_steps(graphdef, cfg, shardings)
    t0 = time.perf_counter()
    lowered = train_step.lower(params, opt_state, rest, sample(), np.int32(0))
    compiled = lowered.compile()
    compile_s = time.perf_counter() - t0

    def run(n: int, start: int):
        nonlocal params, opt_state
        for t in range(start, start + n):  # the training loop's work: draw a batch, one step
            params, opt_state, metrics = compiled(params, opt_state, rest, sample(), np.int32(t))
        jax.block_until_ready((params, metrics))

    run(warmup_steps, 0)
    t0 = time.perf_counter()
    run(steps, warmup_steps)
    seconds = (time.perf_counter() - t0) / steps
    if profile:
        with jax.profiler.trace(profile):
            run(3, warmup_steps + steps)

    S = batches.S if model == "sora" else 0
    flops = model_flops_per_step(config, params, B, T - S, S)
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    xla_flops = float(cost.get("flops", 0.0)) if cost else 0.0
    device = jax.devices()[0]
    peak, source = published_peak(device.device_kind, config.dtype), "published"
    measured = matmul_peak(config.dtype)
    if peak is None:
        peak, source = measured, "measured matmul"
    elif mesh is not None:  # the mesh's devices together (fake CPU devices share one host's cores: no change)
        peak *= mesh.size
    tokens_per_s = B * T / seconds
    return dict(
        model=model, preset=preset, batch_size=B, seq_len=T, optimizer=optimizer, dtype=config.dtype,
        n_params=models.count_params(params), backend=jax.default_backend(), device_kind=device.device_kind,
        compile_s=compile_s, ms_per_step=1e3 * seconds, tokens_per_s=tokens_per_s,
        flops_per_token=flops / (B * T), xla_flops_per_token=xla_flops / (B * T),
        peak_flops=peak, peak_source=source, measured_matmul_flops=measured,
        mfu=flops / seconds / peak,
    )


def bench_train_command(args) -> None:
    from .parallel import mesh_from_args

    r = bench_train(args.model, args.preset, args.batch_size, args.seq_len, args.optimizer, args.steps,
                    mesh=mesh_from_args(args), dtype=args.dtype, remat=args.remat,
                    scan_layers=args.scan_layers, profile=args.profile)
    print(f"{r['model']} / {r['preset']} ({r['n_params']:,} parameters, {r['dtype']}, {r['optimizer']}) "
          f"on {r['device_kind']}: batch {r['batch_size']} x {r['seq_len']} tokens")
    print(f"  first-step compile {r['compile_s']:>10.2f} s")
    print(f"  step               {r['ms_per_step']:>10.2f} ms")
    print(f"  throughput         {r['tokens_per_s']:>10,.0f} tokens/s")
    print(f"  model FLOPs/token  {r['flops_per_token'] / 1e6:>10.2f} M   (XLA's count: "
          f"{r['xla_flops_per_token'] / 1e6:.2f} M; it counts a scan body once)")
    measured = f"; measured matmul {r['measured_matmul_flops'] / 1e9:,.0f} GFLOP/s" if r["peak_source"] == "published" else ""
    print(f"  peak               {r['peak_flops'] / 1e9:>10,.0f} GFLOP/s ({r['peak_source']}{measured})")
    print(f"  MFU                {100 * r['mfu']:>10.1f} %")
    if args.json:
        print(json.dumps(r))


# --- decoding (owner: decode.py) --------------------------------------------------------------

STATE_AT = (64, 256, 1024)  # decode lengths at which the state's size is reported


def decode_state_bytes(config, prompt_len: int, new_tokens: int) -> int:
    """Bytes of one sequence's decoding state after a ``prompt_len`` prompt with room for
    ``new_tokens`` more (shapes only: nothing is allocated or run)."""
    from flax import nnx

    from . import models

    # the position table is a parameter, not state: widen it so long caches can be sized
    config = config.replace(max_len=max(config.max_len, prompt_len + new_tokens))
    graphdef, params = nnx.split(nnx.eval_shape(lambda: models.create(config)))
    ids = jax.ShapeDtypeStruct((1, prompt_len), np.int32)
    _, state = jax.eval_shape(
        lambda p, i: models.prefill(graphdef, p, i, i, prompt_len + new_tokens), params, ids)
    return sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(state))


def _time(run, repeats: int) -> float:
    """Best wall time of ``repeats`` calls of ``run`` (blocking on its result)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(run())
        best = min(best, time.perf_counter() - t0)
    return best


def bench_decode(model: str = "gpt", preset: str = "baby", batch_size: int = 1, prompt_len: int = 10,
                 new_tokens: int = 200, repeats: int = 5, uncached_repeats: int = 2, seed: int = 0,
                 state_at=STATE_AT, mesh=None) -> dict:
    """Greedy decoding speed of the cached scan and of the uncached reference, compile time, state size.
    ``mesh``: the batch's rows split over its devices (``parallel.place_for_decoding``)."""
    from flax import nnx

    from . import decode, models, parallel
    from .errors import UserError

    config = models.config_from_preset(model, preset)
    if batch_size < 1 or prompt_len < 1 or new_tokens < 1:
        raise UserError("--batch-size, --prompt-len and --new-tokens must each be at least 1.")
    if decode.prompt_room(config, new_tokens) < prompt_len:
        raise UserError(f"A {prompt_len}-token prompt plus {new_tokens} new tokens does not fit the "
                        f"{config.max_len}-token context of the {preset!r} preset.")
    graphdef, params = nnx.split(models.create(config, seed))
    rng = np.random.default_rng(seed)
    ids = rng.integers(9, config.vocab_size, size=(batch_size, prompt_len)).astype(np.int32)
    no_stop = np.zeros(0, np.int32)  # random weights may emit </s>; every row runs all N steps anyway
    mask = np.ones_like(ids)
    if mesh is not None:
        params, ids, mask = parallel.place_for_decoding(mesh, params, ids, mask)
    args = (params, ids, mask, jax.random.key(seed), decode.sampling_params(config.vocab_size, 0.0), no_stop)
    result = dict(model=model, preset=preset, batch_size=batch_size, prompt_len=prompt_len,
                  new_tokens=new_tokens, backend=jax.default_backend(),
                  devices=1 if mesh is None else mesh.size, mesh=None if mesh is None else parallel.mesh_str(mesh))
    for name, loop, repeat in (("", decode.decode_cached, repeats), ("uncached_", decode.decode_uncached, uncached_repeats)):
        t0 = time.perf_counter()
        compiled = loop.lower(graphdef, *args, max_new_tokens=new_tokens, greedy=True).compile()
        result[f"{name}compile_s"] = time.perf_counter() - t0
        seconds = _time(lambda: compiled(*args), repeat)
        result[f"{name}tokens_per_s"] = batch_size * new_tokens / seconds
    result["speedup"] = result["tokens_per_s"] / result["uncached_tokens_per_s"]
    result["state_bytes"] = {str(n): decode_state_bytes(config, prompt_len, n) for n in state_at}
    return result


def bench_decode_command(args) -> None:
    from .parallel import mesh_from_args

    r = bench_decode(args.model, args.preset, args.batch_size, args.prompt_len, args.new_tokens, mesh=mesh_from_args(args))
    on = r["backend"] if r["mesh"] is None else f"{r['devices']} {r['backend']} devices, mesh {r['mesh']}"
    print(f"{r['model']} / {r['preset']} on {on}: batch {r['batch_size']}, "
          f"{r['prompt_len']}-token prompt, {r['new_tokens']} new tokens, greedy")
    print(f"  cached scan    {r['tokens_per_s']:>12,.0f} tokens/s   compile {r['compile_s']:.2f} s")
    print(f"  uncached       {r['uncached_tokens_per_s']:>12,.0f} tokens/s   compile {r['uncached_compile_s']:.2f} s")
    print(f"  cache speed-up {r['speedup']:>12.1f} x")
    print("  decode state per sequence: " + ", ".join(
        f"{n} tokens {b / 1024:,.1f} KiB" for n, b in r["state_bytes"].items()))
    if args.json:
        print(json.dumps(r))
