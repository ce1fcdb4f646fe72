"""The device mesh: N devices in a (data, fsdp, model) grid, and how a batch's rows split over it."""

from __future__ import annotations

import re

import jax
import numpy as np
from jax.sharding import AxisType, Mesh
from jax.sharding import PartitionSpec as P

from ..errors import UserError

AXES = ("data", "fsdp", "model")



def parse_mesh(spec: str, n_devices: int) -> dict[str, int]:
    """``"data=4,fsdp=2"`` -> {"data": 4, "fsdp": 2, "model": 1}. One axis may be ``-1``: all the
    devices the others leave (``fsdp=-1`` on a pod). The sizes must multiply to ``n_devices``."""
    sizes = dict.fromkeys(AXES, 1)
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in AXES or not re.fullmatch(r"-1|[1-9][0-9]*", value.strip()):
            raise UserError(f"Bad mesh entry {part!r}: write axis=size with axis one of {', '.join(AXES)}, e.g. data=4,fsdp=2.")
        sizes[name] = int(value)
    free = [a for a, n in sizes.items() if n == -1]
    if len(free) > 1:
        raise UserError("Only one mesh axis may be -1 (it takes the devices the others leave).")
    if free:
        rest = int(np.prod([n for n in sizes.values() if n != -1]))
        if n_devices % rest:
            raise UserError(f"{n_devices} devices do not split into the fixed mesh axes ({rest} devices).")
        sizes[free[0]] = n_devices // rest
    if int(np.prod(list(sizes.values()))) != n_devices:
        raise UserError(f"The mesh {spec!r} has {int(np.prod(list(sizes.values())))} devices but there are {n_devices}; "
                        "the axis sizes must multiply to the number of devices.")
    return sizes


def make_mesh(spec: str = "data=-1", devices=None) -> Mesh:
    """A (data, fsdp, model) mesh over ``devices`` (default: every device of every host).

    Axis type: ``AxisType.Auto``, on purpose. In Auto mode the shardings below are the only place
    that mentions devices: the models are written as for one device, and the compiler propagates
    the input/output shardings through them and picks the collectives. ``Explicit`` mode (the
    default of ``jax.make_mesh`` since JAX 0.7) makes each array's sharding part of its type, so
    every ambiguous operation in the model code — the reshape of the fused W_qkv into heads, the
    tied-embedding head ``h Eᵀ`` — would have to state its output sharding; that is the right tool
    for hand-placing every collective, but it would spread sharding through model files that each
    teach one idea.
    """
    devices = jax.devices() if devices is None else list(devices)
    sizes = parse_mesh(spec, len(devices))
    shape = tuple(sizes[a] for a in AXES)
    return jax.make_mesh(shape, AXES, axis_types=(AxisType.Auto,) * len(AXES), devices=devices)


def batch_spec(mesh: Mesh) -> P:
    """Batch rows split over data × fsdp; every other dimension whole.

    Which device holds which rows does not change the result, but the order of the two axes
    matters to the compiler (jax 0.10.2, measured here on 8 CPU devices):
    - ("data", "fsdp") is what it partitions well: for the baby GPT on data=4,fsdp=2, XLA's FLOP
      count summed over the devices is 1.0× the one-device step's, against 2.4× with ("fsdp", "data");
    - but when all three axes are > 1 it computes WRONG gradients for Sora with ("data", "fsdp")
      (the loss is right; the MLM head's grads are not) — a partitioner bug, perhaps
      openxla/xla#40034. There we take ("fsdp", "data"): right, at ~1.5× the FLOPs.
    tests/test_parallel.py runs both models on such a mesh against the one-device step."""
    if all(mesh.shape[a] > 1 for a in AXES):
        return P(("fsdp", "data"))
    return P(("data", "fsdp"))


def mesh_str(mesh: Mesh) -> str:
    return ",".join(f"{a}={n}" for a, n in mesh.shape.items())



def set_cpu_devices(n: int | None) -> None:
    """``--cpu-devices N``: present this host's CPU as N JAX devices, so that a ``--mesh`` can put
    work on every core (XLA runs most of a program's operations on one thread per device). JAX
    fixes the count when it starts, so this must come before any computation."""
    if n is None:
        return
    if n < 1:
        raise UserError(f"--cpu-devices must be at least 1, not {n}.")
    try:
        jax.config.update("jax_num_cpu_devices", n)
    except RuntimeError:
        if len(jax.devices("cpu")) != n:
            raise UserError(f"--cpu-devices {n} came after JAX had started with {len(jax.devices('cpu'))} CPU "
                            "device(s); run the command in a fresh process.") from None
