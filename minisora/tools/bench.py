"""``minisora bench``: how fast training and decoding run on this machine.

    training   tokens/s = B · T / (seconds per step)     MFU = model FLOPs/s ÷ peak FLOP/s (flops.py)
    decoding   tokens/s = B · N / t                       (B rows, N new tokens, t seconds, best of a few runs)

Random weights and random tokens: speed does not depend on what the model learned. Training runs
the real loop (training/loop.py) without files; what made it fast on XLA:CPU, and what did not,
measured against nanoGPT: docs/performance.md.
"""

from __future__ import annotations

import time

import jax
import numpy as np
from flax import nnx

from .. import nn, parallel
from ..config import TrainConfig, check_lengths, config_from_preset
from ..errors import UserError
from ..inference import decode
from ..tokenizer import N_SPECIAL
from ..training import batches as batching
from ..training.loop import train
from .flops import matmul_peak, model_flops_per_step, published_peak, time_best, xla_flops

BENCH_SHAPES = {"baby": (12, 64)}  # nanoGPT's CPU baby GPT: batch 12 × context 64
DEFAULT_SHAPE = (16, 128)
STATE_AT = (64, 256, 1024)  # decode lengths at which the state's size is reported


def bench_train(family: str = "gpt", preset: str = "baby", batch_size: int | None = None,
                seq_len: int | None = None, optimizer: str = "adamw", steps: int = 50, warmup_steps: int = 3,
                seed: int = 0, *, mesh=None, dtype: str | None = None, remat: bool = False,
                scan_layers: bool = False, profile=None) -> dict:
    """Speed of the real training loop on random tokens: compile time, ms/step, tokens/s, model
    FLOPs/token (and XLA's own count), MFU against the device's peak. ``mesh``: the step sharded
    over it, the peak is then that of all its devices; ``profile``: a directory for a
    jax.profiler trace of 3 more steps."""
    config = config_from_preset(family, preset, dtype=dtype, remat=remat or None, scan_layers=scan_layers or None)
    B0, T0 = BENCH_SHAPES.get(preset, DEFAULT_SHAPE)
    B, T = batch_size or B0, seq_len or min(T0, config.max_len)
    if steps < 1 or B < 1 or T < 2:
        raise UserError("--steps and --batch-size must be at least 1, and --seq-len at least 2.")
    extra = 3 if profile else 0  # traced after the timed steps, so the trace does not slow them
    cfg = TrainConfig(steps=warmup_steps + steps + extra, batch_size=B, seq_len=T, optimizer=optimizer, seed=seed)
    check_lengths(config, cfg.resolved())
    ids = np.random.default_rng(seed).integers(N_SPECIAL, config.vocab_size, size=B * (T + 1) * 64)
    batches = batching.Batches(family, "text", ids, ids, batch_size=B, seq_len=T, vocab_size=config.vocab_size)
    model = nn.create(config, seed)
    timed_to = warmup_steps + steps
    r = train(model, batches, cfg, mesh=mesh, profile=profile, profile_start=timed_to,
              eval_at=(warmup_steps, timed_to))
    seconds = r.seconds_between(warmup_steps, timed_to) / steps

    S = batches.S if family == "sora" else 0
    flops = model_flops_per_step(config, r.params, B, T - S, S)
    device = jax.devices()[0]
    peak, source = published_peak(device.device_kind, config.dtype), "published"
    measured = matmul_peak(config.dtype)
    if peak is None:
        peak, source = measured, "measured matmul"
    elif mesh is not None:  # the mesh's devices together (fake CPU devices share one host's cores: no change)
        peak *= mesh.size
    return dict(
        model=family, preset=preset, batch_size=B, seq_len=T, optimizer=optimizer, dtype=config.dtype,
        n_params=nn.count_params(r.params), backend=jax.default_backend(), device_kind=device.device_kind,
        compile_s=r.compile_s, ms_per_step=1e3 * seconds, tokens_per_s=B * T / seconds,
        flops_per_token=flops / (B * T), xla_flops_per_token=xla_flops(r.compiled) / (B * T),
        peak_flops=peak, peak_source=source, measured_matmul_flops=measured,
        mfu=flops / seconds / peak,
    )


def bench_decode(family: str = "gpt", preset: str = "baby", batch_size: int = 1, prompt_len: int = 10,
                 new_tokens: int = 200, repeats: int = 5, uncached_repeats: int = 2, seed: int = 0,
                 state_at=STATE_AT, mesh=None) -> dict:
    """Greedy decoding speed of the cached scan and of the uncached reference, compile time, state size.
    ``mesh``: the batch's rows split over its devices (``parallel.place_for_decoding``)."""
    config = config_from_preset(family, preset)
    if batch_size < 1 or prompt_len < 1 or new_tokens < 1:
        raise UserError("--batch-size, --prompt-len and --new-tokens must each be at least 1.")
    if decode.prompt_room(config, new_tokens) < prompt_len:
        raise UserError(f"A {prompt_len}-token prompt plus {new_tokens} new tokens does not fit the "
                        f"{config.max_len}-token context of the {preset!r} preset.")
    graphdef, params = nnx.split(nn.create(config, seed))
    rng = np.random.default_rng(seed)
    ids = rng.integers(N_SPECIAL, config.vocab_size, size=(batch_size, prompt_len)).astype(np.int32)
    no_stop = np.zeros(0, np.int32)  # random weights may emit </s>; every row runs all N steps anyway
    mask = np.ones_like(ids)
    if mesh is not None:
        params, ids, mask = parallel.place_for_decoding(mesh, params, ids, mask)
    args = (params, ids, mask, jax.random.key(seed), decode.sampling_params(config.vocab_size, 0.0), no_stop)
    result = dict(model=family, preset=preset, batch_size=batch_size, prompt_len=prompt_len,
                  new_tokens=new_tokens, backend=jax.default_backend(),
                  devices=1 if mesh is None else mesh.size, mesh=None if mesh is None else parallel.mesh_str(mesh))
    for name, loop, repeat in (("", decode.decode_cached, repeats), ("uncached_", decode.decode_uncached, uncached_repeats)):
        t0 = time.perf_counter()
        compiled = loop.lower(graphdef, *args, max_new_tokens=new_tokens, greedy=True).compile()
        result[f"{name}compile_s"] = time.perf_counter() - t0
        seconds = time_best(lambda: compiled(*args), repeat)
        result[f"{name}tokens_per_s"] = batch_size * new_tokens / seconds
    result["speedup"] = result["tokens_per_s"] / result["uncached_tokens_per_s"]
    result["state_bytes"] = {str(n): nn.state_bytes(config, prompt_len, n) for n in state_at}
    return result
