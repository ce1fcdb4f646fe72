r"""Scale out: the same train step on many devices and many hosts (SPMD with ``jax.sharding``).

A *mesh* arranges the N devices in a grid with named axes; we always use three,

    N = |data| · |fsdp| · |model|          e.g. ``--mesh data=4,fsdp=2``  (absent axes have size 1)

and every array of the train step gets a ``PartitionSpec`` naming, for each of its dimensions,
the mesh axes it is split over (``None`` = every device holds all of it). We write down only the
shardings of the step's inputs and outputs; XLA's SPMD partitioner (Shardy, in JAX 0.10) derives
the rest and inserts the communication itself — there is no hand-written all-reduce anywhere:

    data parallel (DP)     batch rows split over ``data``, parameters replicated.  Each device
                           computes ∇L on its rows; the mean over the global batch,
                           ∇L = (1/B) Σ_b ∇ℓ_b,  becomes an all-reduce of the gradients.
    fully sharded (FSDP)   batch rows split over ``fsdp`` too, and every matrix split over
                           ``fsdp`` (ZeRO-3): weights are all-gathered just before use,
                           gradients reduce-scattered, and each device stores 1/|fsdp| of
                           θ, m and v.
    tensor parallel (TP)   matrices split over ``model`` as Megatron-LM does: W_qkv, W_fc column-
                           wise (output features), W_o, W_proj row-wise (input features); the
                           partial sums of a row-parallel matmul are all-reduced over ``model``.

The loss is a mean over the *global* batch, so a sharded step computes the same numbers as the
one-device step (up to the order of floating-point sums): tests/test_parallel.py checks it.

Multi-host: every host runs this same program (``--distributed`` → ``jax.distributed.initialize``);
``jax.devices()`` then lists the devices of all hosts, the mesh spans them, and each host feeds only
the batch rows its own devices hold (``jax.make_array_from_process_local_data``).

Also here, for the flags of ``pretrain`` and ``bench train``: ``--dtype`` / ``--remat`` /
``--scan-layers`` (``compute_flags``) and ``--profile`` (``StepProfiler``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import jax
import numpy as np
from flax import nnx
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from .errors import UserError

AXES = ("data", "fsdp", "model")


# --- the mesh ------------------------------------------------------------------------------------


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


# --- the sharding rules ----------------------------------------------------------------------------

# (parameter path pattern, PartitionSpec of the parameter's own dimensions, why).
# The first pattern that matches the end of a parameter's path wins. A stacked parameter (the
# layers of ``scan_layers``) has one more leading dimension, the layer, which is never split:
# every device runs every layer. Optimizer moments kept per parameter have the parameter's path
# inside theirs (``mu/blocks/attn/qkv/kernel``) and so get its sharding; moments kept as one flat
# vector (``mu``) are split over fsdp, so FSDP still stores 1/|fsdp| of them per device.
RULES = (
    (r"(wte|tok_embed)/embedding", P("model", "fsdp"), "token table (V, C): vocab rows over model, width over fsdp"),
    (r"(wpe|pos_embed|seg_embed)/embedding", P(None, "fsdp"), "position/segment table (L, C): width over fsdp"),
    (r"(b_v|mlm/bias)", P("model"), "vocabulary bias (V,): follows the token table's rows"),
    (r"(qkv|fc|fc1|transform|pooler|W_h|W_c|W_a)/kernel", P("fsdp", "model"),
     "column-parallel (C_in, C_out): outputs over model"),
    (r"(out|proj|fc2|W_o)/kernel", P("model", "fsdp"), "row-parallel (C_in, C_out): inputs over model"),
    (r"(qkv|fc|fc1|transform|pooler|W_h|W_c)/bias", P("model"), "bias of a column-parallel matrix: follows its outputs"),
    (r"lstm/(W|U)/kernel", P("fsdp", "model"), "LSTM gates (D, 4H): the four gates' outputs over model"),
    (r"lstm/U/bias", P("model"), "LSTM gate bias (4H,): follows the gates"),
    (r"(mu|nu)", P("fsdp"), "Adam's m, v flattened into one (N,) vector (train.make_optimizer): split over fsdp"),
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


@dataclass(frozen=True, eq=False)  # hashed by identity: train.make_steps caches on it
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
    like a batch. ``decode.decode_cached`` then runs unchanged: the compiler propagates these
    shardings through the scan, so each device decodes its own rows with its own cache."""
    check_batch_size(prompt_ids.shape[0], mesh)
    put = jax.jit(lambda p: p, out_shardings=shardings(params, mesh, strict=True))
    rows = place_batch({"ids": prompt_ids, "mask": prompt_mask}, mesh)
    return put(params), rows["ids"], rows["mask"]


# --- several hosts ----------------------------------------------------------------------------------


def initialize_distributed(coordinator: str | None = None, num_processes: int | None = None,
                           process_id: int | None = None) -> None:
    """Join the other processes of this run: ``jax.distributed.initialize``. Call it before anything
    else touches JAX. Each argument comes from its flag, else the environment (JAX_COORDINATOR_ADDRESS,
    JAX_NUM_PROCESSES, JAX_PROCESS_ID); on a TPU pod, Slurm or Open MPI JAX finds all three itself."""
    # CPU devices of different processes talk through gloo (TCP); harmless on TPU/GPU hosts.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    env = lambda name: int(os.environ[name]) if os.environ.get(name) else None  # noqa: E731
    num_processes = num_processes if num_processes is not None else env("JAX_NUM_PROCESSES")
    process_id = process_id if process_id is not None else env("JAX_PROCESS_ID")
    try:
        jax.distributed.initialize(coordinator, num_processes, process_id)
    except (RuntimeError, ValueError) as err:
        raise UserError(f"Could not join the distributed run ({err}).") from None


def barrier(name: str) -> None:
    """Wait until every process gets here (e.g. process 0 has written a file the others read)."""
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


def is_main_process() -> bool:
    """Process 0 writes logs, plots and the run's config; every process writes its checkpoint shards."""
    return jax.process_index() == 0


# --- profiling ----------------------------------------------------------------------------------------


class StepProfiler:
    """``--profile DIR``: a ``jax.profiler`` trace of a few train steps, for TensorBoard's profile
    plugin (``tensorboard --logdir DIR``) or Perfetto (open ``DIR/plugins/profile/*/*.trace.json.gz``
    at ui.perfetto.dev). The trace starts after the first step (that one is mostly compilation)
    and stops ``n_steps`` later; with no DIR every call does nothing.

    Call ``step(t, outputs)`` at the top of each iteration with the previous step's outputs, and
    ``close()`` when the loop ends."""

    def __init__(self, log_dir=None, first_step: int = 0, n_steps: int = 3):
        self.log_dir, self.start, self.stop = log_dir, first_step + 1, first_step + 1 + n_steps
        self.running = False

    def step(self, t: int, outputs=None) -> None:
        if self.log_dir is None:
            return
        if t == self.start and not self.running:
            jax.block_until_ready(outputs)  # the trace shows whole steps, not the tail of the one before
            os.makedirs(self.log_dir, exist_ok=True)
            jax.profiler.start_trace(str(self.log_dir))
            self.running = True
        elif t == self.stop:
            self.close(outputs)

    def close(self, outputs=None) -> None:
        if self.running:
            jax.block_until_ready(outputs)
            jax.profiler.stop_trace()
            self.running = False
            if is_main_process():
                print(f"profile of steps {self.start}..{self.stop - 1} -> {self.log_dir} (tensorboard --logdir {self.log_dir})")


# --- the command-line flags -----------------------------------------------------------------------------


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


def mesh_from_args(args) -> Mesh | None:
    """``--distributed`` joins the other processes (first: before anything touches a device), and
    ``--mesh`` lays out the devices; a distributed run without ``--mesh`` is data parallel over all.
    No flags: None, the one-device path."""
    set_cpu_devices(getattr(args, "cpu_devices", None))
    distributed = getattr(args, "distributed", False)
    if distributed:
        initialize_distributed(args.coordinator, args.num_processes, args.process_id)
    spec = getattr(args, "mesh", None)
    return make_mesh(spec or "data=-1") if spec or distributed else None


def compute_flags(config, args, *, resume: bool = False):
    """``--dtype``, ``--remat``, ``--scan-layers`` applied to a ModelConfig. Parameters, optimizer
    state and the loss stay float32 whatever ``--dtype`` says: bfloat16 is for the matmuls only."""
    changes = {}
    if getattr(args, "dtype", None):
        changes["dtype"] = args.dtype
    if getattr(args, "remat", False):
        changes["remat"] = True
    if getattr(args, "scan_layers", False) and not config.scan_layers:
        if resume:
            raise UserError("This run was trained without --scan-layers (one set of weights per layer); "
                            "resume it without the flag.")
        changes["scan_layers"] = True
    return config.replace(**changes)
