"""``minisora bench``: how fast training and decoding run on this machine.

    tokens/s = B · N / t         (B rows, N new tokens, t seconds, best of a few runs)

Random weights: speed does not depend on what the model learned.
"""

from __future__ import annotations

import json
import time

import jax
import numpy as np

# --- training (owner: the training helper) ---------------------------------------------------
# bench_train_command(args) goes here.


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
                 state_at=STATE_AT) -> dict:
    """Greedy decoding speed of the cached scan and of the uncached reference, compile time, state size."""
    from flax import nnx

    from . import decode, models
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
    args = (params, ids, np.ones_like(ids), jax.random.key(seed), decode.sampling_params(config.vocab_size, 0.0), no_stop)
    result = dict(model=model, preset=preset, batch_size=batch_size, prompt_len=prompt_len,
                  new_tokens=new_tokens, backend=jax.default_backend())
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
    r = bench_decode(args.model, args.preset, args.batch_size, args.prompt_len, args.new_tokens)
    print(f"{r['model']} / {r['preset']} on {r['backend']}: batch {r['batch_size']}, "
          f"{r['prompt_len']}-token prompt, {r['new_tokens']} new tokens, greedy")
    print(f"  cached scan    {r['tokens_per_s']:>12,.0f} tokens/s   compile {r['compile_s']:.2f} s")
    print(f"  uncached       {r['uncached_tokens_per_s']:>12,.0f} tokens/s   compile {r['uncached_compile_s']:.2f} s")
    print(f"  cache speed-up {r['speedup']:>12.1f} x")
    print("  decode state per sequence: " + ", ".join(
        f"{n} tokens {b / 1024:,.1f} KiB" for n, b in r["state_bytes"].items()))
    if args.json:
        print(json.dumps(r))
