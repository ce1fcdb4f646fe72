r"""Counting FLOPs, and the peaks they are measured against.

    model FLOPs of a train step    a weight matrix of N entries costs 2N FLOPs per token forward and
                                   4N backward, so 6N; attention adds 12·L·C·T per token (QKᵀ and AV
                                   over a T-token context, forward and backward) — PaLM, appendix B.
                                   Rematerialisation is not counted (hardware FLOPs, not model FLOPs).
    counted from the program       Σ 2·m·n·k over every ``dot_general`` of a jaxpr, a ``scan`` body
                                   once per step; XLA's own cost analysis counts a loop body once.
    MFU                            model FLOPs/s ÷ the device's peak (published, or a measured matmul)
"""

from __future__ import annotations

import math
import time

import jax
import jax.numpy as jnp

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
    a = jnp.ones((n, n), dtype)
    matmul = jax.jit(lambda x: x @ x)
    jax.block_until_ready(matmul(a))
    return 2 * n**3 / time_best(lambda: matmul(a), repeats)


def time_best(run, repeats: int) -> float:
    """Best wall time of ``repeats`` calls of ``run`` (blocking on its result)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(run())
        best = min(best, time.perf_counter() - t0)
    return best


def params_under(params, *prefixes: str, skip: tuple = ()) -> int:
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
    Sora: S encoder tokens at 6N_enc + 12·L·C·S (+ its keys W_k), T decoder tokens at
    6(N_cell + V·C) (cell and tied head) + 6·S·(H + C) (attention over the S encoder states)."""
    L, C, H = config.n_layers, config.d_model, config.d_lstm
    if config.family == "gpt":
        N = params_under(params, "", skip=("pos_embed",))
        return B * T * (6 * N + 12 * L * C * T)
    N_enc = params_under(params, "encoder", skip=("encoder/pos_embed", "encoder/seg_embed"))
    per_src = 6 * (N_enc + params_under(params, "key")) + 12 * L * C * S
    per_dec = 6 * (params_under(params, "cell", "vocab_bias") + config.vocab_size * C) + 6 * S * (H + C)
    return B * (S * per_src + T * per_dec + 6 * params_under(params, "init_h", "init_c"))


def matmul_flops(fn, *args) -> int:
    """FLOPs of the matrix products ``fn(*args)`` runs: Σ 2·m·n·k over every ``dot_general`` of
    its program (forward and, for a train step, backward), a ``scan`` body counted once per step."""
    return jaxpr_flops(jax.make_jaxpr(fn)(*args).jaxpr)


def jaxpr_flops(jaxpr) -> int:
    from jax.extend.core import ClosedJaxpr, Jaxpr

    total = 0
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "dot_general":
            (contract, _), _ = eqn.params["dimension_numbers"]
            k = math.prod(eqn.invars[0].aval.shape[d] for d in contract)
            total += 2 * math.prod(eqn.outvars[0].aval.shape) * k  # one multiply + one add per term
        times = eqn.params.get("length", 1) if eqn.primitive.name == "scan" else 1
        for value in eqn.params.values():
            subs = value if isinstance(value, (tuple, list)) else [value]
            subs = [s.jaxpr if isinstance(s, ClosedJaxpr) else s for s in subs]
            subs = [s for s in subs if isinstance(s, Jaxpr)]
            if subs:  # cond branches: the most expensive one; otherwise there is just one
                total += times * max(jaxpr_flops(s) for s in subs)
    return total


def xla_flops(compiled) -> float:
    """XLA's own FLOP count of a compiled program (it counts a loop body once, whatever its length)."""
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    return float(cost.get("flops", float("nan")))


