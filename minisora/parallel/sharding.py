r"""The sharding rules, and placing the train state, a batch and decoding's prompts on a mesh.

A parameter's PartitionSpec comes from the first rule whose pattern matches the end of its path;
the train state, the batch and decoding's prompts are placed with them (see ``parallel/__init__``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jax
import numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from .. import nn
from ..errors import UserError
from .mesh import batch_spec, mesh_str


# (parameter path pattern, PartitionSpec of the parameter's own dimensions, why).
# The first pattern that matches the end of a parameter's path wins. A stacked parameter (the
# layers of ``scan_layers``) has one more leading dimension, the layer, which is never split:
# every device runs every layer. Optimizer moments kept per parameter have the parameter's path
# inside theirs (``mu/blocks/attn/qkv/kernel``) and so get its sharding; moments kept as one flat
# vector (``mu``) are split over fsdp, so FSDP still stores 1/|fsdp| of them per device.
RULES = (
    (r"tok_embed/embedding", P("model", "fsdp"), "token table (V, C): vocab rows over model, width over fsdp"),
    (r"\w+_embed/embedding", P(None, "fsdp"), "position/segment table (L, C): width over fsdp"),
    (r"vocab_bias", P("model"), "vocabulary bias (V,): follows the token table's rows"),
    (r"(qkv|fc1|transform|pooler|init_h|init_c|key|x_gates|h_gates)/kernel", P("fsdp", "model"),
     "column-parallel (C_in, C_out): outputs over model (LSTM: the four gates' outputs)"),
    (r"(out|fc2)/kernel", P("model", "fsdp"), "row-parallel (C_in, C_out): inputs over model"),
    (r"(qkv|fc1|transform|pooler|init_h|init_c|h_gates)/bias", P("model"),
     "bias of a column-parallel matrix: follows its outputs"),
    (r"(mu|nu)", P("fsdp"), "Adam's m, v flattened into one (N,) vector (training/optim.py): split over fsdp"),
    (r"(scale|bias)", P(), "LayerNorm, row-parallel biases (C,): replicated (too small to split)"),
)


def _path_str(path) -> str:
    """A pytree key path -> ``blocks/0/attn/qkv/kernel`` (without the Variable's ``value``)."""
    s = jax.tree_util.keystr(path, simple=True, separator="/")
    return re.sub(r"/(value|raw_value)$", "", s)


def rule_for(path: str):
    """The (pattern, spec, why) rule a parameter path matches, or None."""
    for pattern, spec, why in RULES:
        if re.search(rf"(^|/){pattern}$", path):
            return pattern, spec, why
    return None


def spec_for(path: str, shape, mesh: Mesh, *, strict: bool = True) -> P:
    """The PartitionSpec of one array: its rule, a leading ``None`` per stacked (layer) dimension,
    and any mesh axis that does not divide its dimension dropped (that dimension stays whole).

    ``strict``: a parameter without a rule is an error (a new layer must get a rule); non-strict
    callers (optimizer state, RNG state, step counters) get ``P()`` = replicated for such leaves."""
    rule = rule_for(path)
    if rule is None:
        if strict and len(shape) > 0:
            raise ValueError(f"no sharding rule for parameter {path!r} {tuple(shape)}; add one to parallel.RULES")
        return P()
    spec = tuple(rule[1])
    if len(spec) > len(shape):
        return P()
    spec = (None,) * (len(shape) - len(spec)) + spec  # (layer, ...) for stacked blocks
    return P(*(ax if ax is None or dim % mesh.shape[ax] == 0 else None for ax, dim in zip(spec, shape)))


def shardings(tree, mesh: Mesh, *, strict: bool = False):
    """A pytree of NamedSharding, one per leaf of ``tree`` (params, optimizer state, …)."""
    return jax.tree_util.tree_map_with_path(
        lambda path, x: NamedSharding(mesh, spec_for(_path_str(path), np.shape(x), mesh, strict=strict)), tree
    )


def sharding_table(params, mesh: Mesh) -> str:
    """A readable table: parameter, global shape, PartitionSpec, shape held by one device, rule.
    The blocks' indices are folded (``blocks/*/…``) since every block is sharded alike.
    ``params``: an nnx.State of parameters, or a model."""
    if isinstance(params, nnx.Module):
        params = nnx.state(params, nnx.Param)
    rows, seen = [], set()
    for path, x in jax.tree_util.tree_flatten_with_path(params)[0]:
        name = _path_str(path)
        spec = spec_for(name, x.shape, mesh)
        folded = re.sub(r"/\d+/", "/*/", name)
        if folded in seen:
            continue
        seen.add(folded)
        local = NamedSharding(mesh, spec).shard_shape(x.shape)
        rows.append((folded, str(tuple(x.shape)), _spec_str(spec), str(tuple(local)), rule_for(name)[2]))
    head = ("parameter", "shape", "PartitionSpec", "per device", "rule")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4]  # noqa: E731
    return "\n".join([f"mesh {mesh_str(mesh)} ({mesh.size} devices)", fmt(head), *map(fmt, rows)])


def _spec_str(spec: P) -> str:
    return "P(" + ", ".join("None" if a is None else repr(a) if isinstance(a, str) else str(a) for a in spec) + ")"


# --- placing the train state and the batch ---------------------------------------------------------


@dataclass(frozen=True, eq=False)  # hashed by identity: training.step.make_steps caches on it
class TrainShardings:
    """Where every input and output of ``train_step(params, opt_state, rest, batch, t)`` lives."""

    mesh: Mesh
    params: object  # pytree of NamedSharding, like params
    opt_state: object  # like opt_state: moments follow their parameter, counters replicated
    replicated: NamedSharding  # scalars, step counter, metrics, the dropout stream

    @property
    def batch(self) -> NamedSharding:
        return NamedSharding(self.mesh, batch_spec(self.mesh))

    def place(self, params, opt_state, rest):
        """Put the train state onto the mesh (from one device, host memory or another mesh). A jitted
        identity rather than ``device_put``, which refuses to send a random key to other hosts' devices."""
        put = jax.jit(lambda *state: state, out_shardings=(self.params, self.opt_state, self.replicated))
        return put(params, opt_state, rest)

    def jit_steps(self, train_step, eval_step):
        """The train and eval steps compiled with every input and output sharding pinned; XLA
        inserts the collectives (gradient all-reduce for DP, all-gather / reduce-scatter for
        FSDP, partial-sum all-reduce for TP). The old state's buffers are donated, as unsharded."""
        r = self.replicated
        train = jax.jit(train_step, in_shardings=(self.params, self.opt_state, r, self.batch, r),
                        out_shardings=(self.params, self.opt_state, r), donate_argnums=(0, 1))
        evaluate = jax.jit(eval_step, in_shardings=(self.params, r, self.batch), out_shardings=r)
        return train, evaluate


def train_shardings(mesh: Mesh, params, opt_state) -> TrainShardings:
    return TrainShardings(mesh, shardings(params, mesh, strict=True), shardings(opt_state, mesh),
                          NamedSharding(mesh, P()))


def check_batch_size(batch_size: int, mesh: Mesh) -> None:
    n = mesh.shape["data"] * mesh.shape["fsdp"]
    if batch_size % n or batch_size % jax.process_count():
        raise UserError(f"--batch-size {batch_size} must be a multiple of data × fsdp = {n} "
                        f"(and of the {jax.process_count()} processes) to split over the mesh {mesh_str(mesh)}.")


def local_rows(sharding: NamedSharding, global_shape) -> np.ndarray:
    """Indices of the batch rows held by this process's devices (all rows on one host)."""
    rows = set()
    for index in sharding.addressable_devices_indices_map(tuple(global_shape)).values():
        rows.update(range(*index[0].indices(global_shape[0])))
    return np.array(sorted(rows))


def place_batch(batch: dict, mesh: Mesh) -> dict:
    """A host batch (dict of numpy arrays, the GLOBAL batch as drawn by every process from the
    same seeded generator) -> global jax.Arrays, rows split as ``batch_spec`` says. Each process hands JAX only
    the rows its own devices hold, so no host ever sends another host's data."""
    sharding = NamedSharding(mesh, batch_spec(mesh))
    out = {}
    for k, x in batch.items():
        x = np.asarray(x)
        local = x if jax.process_count() == 1 else x[local_rows(sharding, x.shape)]
        out[k] = jax.make_array_from_process_local_data(sharding, local, x.shape)
    return out


def place_for_decoding(mesh: Mesh, params, prompt_ids, prompt_mask):
    """Decoding on a mesh: parameters by their rules (replicated over ``data``), prompt rows split
    like a batch. ``inference.decode.decode_cached`` then runs unchanged: the compiler propagates these
    shardings through the scan, so each device decodes its own rows with its own cache."""
    check_batch_size(prompt_ids.shape[0], mesh)
    put = jax.jit(lambda p: p, out_shardings=shardings(params, mesh, strict=True))
    rows = place_batch({"ids": prompt_ids, "mask": prompt_mask}, mesh)
    return put(params), rows["ids"], rows["mask"]


def slot_shardings(graphdef, params, slots: int, length: int, mesh: Mesh, blocks: int = 1):
    """Decode slots split over the mesh's ``data`` axis (a server's engine, inference/engine.py):
    every leaf of the slots' state is cut on its slot axis — the one whose size follows the number
    of slots (rows of Sora's LSTM state and encoder outputs; rows × heads of ChatGPT's key/value
    cache) — and anything without one (the ring's write index) is replicated. Each device then
    decodes its own slots: attention over a slot's cache is that slot's alone, so no step talks
    across devices but for the tokens coming back."""
    if slots % mesh.shape["data"]:
        raise UserError(f"{slots} slots do not split evenly over {mesh.shape['data']} devices; "
                        f"use a multiple of {mesh.shape['data']}.")
    shapes = [jax.eval_shape(lambda n=n: nn.empty_slots(graphdef, params, n, length, blocks)) for n in (slots, 2 * slots)]

    def spec(a, b):
        axes = [i for i, (m, n) in enumerate(zip(a.shape, b.shape)) if m != n]
        return NamedSharding(mesh, P(*[None] * axes[0], "data") if axes else P())

    return jax.tree.map(spec, *shapes)
