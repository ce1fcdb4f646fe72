"""Checkpoints: save a run's state every K steps, restore the newest good one.

A checkpoint of step k holds everything the next step depends on, so training from it is
the same computation as never having stopped:

    params θ_k,  optimizer state (moments, step count),  k,  the data generator's state

It is an orbax ``CheckpointManager`` directory ``RUN_DIR/checkpoints/<k>/`` with three
items: ``params``, ``opt_state`` (absent in imported runs) and ``meta`` (JSON: step and
generator state). Orbax writes each checkpoint into a temporary directory and renames it
when complete, so a process killed mid-write (``kill -9``) leaves the previous checkpoints
intact; a step directory that still fails to load (cut off, edited, disk trouble) is set
aside as ``<k>.corrupt`` and the next older one is used. A checkpoint that reads fine but holds
another model's parameters (another minisora version, another config) is not corrupt: it is
left as it is, and the load stops with a sentence saying what differs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import jax
import orbax.checkpoint as ocp

from ..errors import UserError

CHECKPOINT_DIR = "checkpoints"

# Parameter names before the one naming scheme (runs written before that change): old path
# component -> new one. ``mlm/bias`` became ``mlm/vocab_bias`` (a lone "bias" elsewhere is kept).
OLD_NAMES = {
    "wte": "tok_embed", "wpe": "pos_embed", "ln_1": "ln1", "ln_2": "ln2", "fc": "fc1", "proj": "fc2",
    "embed_ln": "ln_embed", "W_h": "init_h", "W_c": "init_c", "W_a": "key", "W_o": "out", "b_v": "vocab_bias",
    "ln_e": "ln_in", "W": "x_gates", "U": "h_gates",
}

logging.getLogger("absl").setLevel(logging.ERROR)  # orbax reports every save at INFO/WARNING


def manager(run_dir, keep: int = 3, create: bool = True) -> ocp.CheckpointManager:
    """The run's checkpoint manager; keeps the newest ``keep`` checkpoints."""
    path = Path(run_dir).absolute() / CHECKPOINT_DIR
    if not create and not path.is_dir():
        raise UserError(f"{run_dir} has no checkpoints; train it first, or check the path.")
    # Synchronous saves: the train step donates its parameter buffers, so the next step may
    # reuse their memory; a background writer would race it.
    options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=create, enable_async_checkpointing=False)
    handlers = dict(params=ocp.StandardCheckpointHandler(), opt_state=ocp.StandardCheckpointHandler(),
                    meta=ocp.JsonCheckpointHandler())  # named, so that a checkpoint's tree can be read first
    return ocp.CheckpointManager(path, options=options, item_handlers=handlers)


def save(mgr: ocp.CheckpointManager, step: int, params, opt_state=None, data_state=None) -> None:
    items = dict(params=ocp.args.StandardSave(params), meta=ocp.args.JsonSave({"step": step, "data_state": data_state}))
    if opt_state is not None:
        items["opt_state"] = ocp.args.StandardSave(opt_state)
    mgr.save(step, args=ocp.args.Composite(**items), force=True)
    mgr.wait_until_finished()


def _abstract(tree):
    return jax.tree.map(ocp.utils.to_shape_dtype_struct, tree)


def restore(mgr: ocp.CheckpointManager, params_like, opt_state_like=None):
    """Newest good checkpoint -> (step, params, opt_state or None, data_state or None).

    ``params_like`` / ``opt_state_like`` give the structure, shapes and dtypes to restore into
    (e.g. a freshly initialised model's). Bad step directories newer than the one used are
    renamed ``<k>.corrupt`` so that later saves do not collide with them.
    """
    steps = sorted(mgr.all_steps(), reverse=True)
    if not steps:
        raise UserError(f"{mgr.directory.parent} has no complete checkpoint to resume from.")
    for step in steps:
        why = _mismatch(mgr, step, params_like)
        if why is not None:  # a readable checkpoint of another model: not corrupt, so left as it is
            raise UserError(f"Checkpoint {step} in {mgr.directory} holds parameters that do not fit the model "
                            f"its run's config.json describes ({why}): it was written by another version of "
                            "minisora or for another config. Nothing was changed.")
        try:
            old = _old_names(mgr, step, params_like)
            target = params_like if old is None else _renamed(params_like, old, to_old=True)
            items = dict(params=ocp.args.StandardRestore(_abstract(target)), meta=ocp.args.JsonRestore())
            if opt_state_like is not None and old is None:  # an old run's optimizer state is not read
                items["opt_state"] = ocp.args.StandardRestore(_abstract(opt_state_like))
            r = mgr.restore(step, args=ocp.args.Composite(**items))
        except Exception as err:  # orbax raises many kinds (KeyError, ValueError, OSError, …)
            print(f"minisora: checkpoint {step} is unreadable ({type(err).__name__}); trying an older one.")
            _set_aside(mgr, step)
            continue
        params = r.params if old is None else _renamed(params_like, old, to_old=False, values=r.params)
        return step, params, r.get("opt_state"), r.meta.get("data_state")
    raise UserError(f"Every checkpoint in {mgr.directory} is corrupt; the run cannot be resumed.")


def _keys(path) -> tuple[str, ...]:
    return tuple(str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in path)


def _new_name(keys: tuple[str, ...]) -> tuple[str, ...]:
    if keys[-3:-1] == ("mlm", "bias"):
        return (*keys[:-2], "vocab_bias", keys[-1])
    return tuple(OLD_NAMES.get(k, k) for k in keys)


def _mismatch(mgr, step: int, params_like) -> str | None:
    """What differs between checkpoint ``step``'s parameter tree and ``params_like`` (under either
    naming scheme), in a few words; None if they fit, or if the checkpoint's tree cannot be read
    (then it is corrupt, which ``restore`` handles)."""
    try:
        saved = _shapes(mgr.item_metadata(step)["params"])
    except Exception:  # noqa: BLE001 - unreadable metadata: the restore below says corrupt
        return None
    if not saved:
        return None
    wanted = _shapes(params_like)
    if set(saved) != set(wanted):  # perhaps the old names
        saved = {_new_name(k): shape for k, shape in saved.items()}
    missing = sorted(set(wanted) - set(saved))
    extra = sorted(set(saved) - set(wanted))
    shapes = sorted(k for k in set(saved) & set(wanted) if saved[k] != wanted[k])

    def name(k):  # a parameter's path as the model names it, without the array's own "value"
        return "/".join(k[:-1] if k[-1] == "value" else k)

    parts = []
    if missing:
        parts.append(f"{len(missing)} missing, e.g. {name(missing[0])}")
    if extra:
        parts.append(f"{len(extra)} the model lacks, e.g. {name(extra[0])}")
    if shapes:
        k = shapes[0]
        parts.append(f"{len(shapes)} of another shape, e.g. {name(k)} {saved[k]} instead of {wanted[k]}")
    return "; ".join(parts) or None


def _shapes(tree) -> dict:
    """{parameter path (tuple of names): shape} of a parameter tree or of a checkpoint's metadata."""
    return {_keys(p): tuple(x.shape) for p, x in jax.tree_util.tree_flatten_with_path(tree)[0]}


def _old_names(mgr, step: int, params_like) -> dict | None:
    """{new path: old path} if checkpoint ``step`` stores the parameters under the old names, else None."""
    saved_paths = list(_shapes(mgr.item_metadata(step)["params"]))
    wanted = set(_shapes(params_like))
    if set(saved_paths) == wanted or not saved_paths:
        return None
    old = {_new_name(p): p for p in saved_paths}
    return old if set(old) == wanted else None  # neither scheme: the restore reports the mismatch


def _renamed(params_like, old: dict, *, to_old: bool, values=None):
    """``params_like`` as a nested dict under the old names (``to_old``), or ``params_like``'s
    structure filled with ``values``, a nested dict under the old names."""
    leaves, treedef = jax.tree_util.tree_flatten_with_path(params_like)
    if to_old:
        nested: dict = {}
        for path, x in leaves:
            *parents, last = old[_keys(path)]
            node = nested
            for k in parents:
                node = node.setdefault(k, {})
            node[last] = x
        return nested

    def get(keys):
        node = values
        for k in keys:
            node = node[k]
        return node

    return jax.tree_util.tree_unflatten(treedef, [get(old[_keys(path)]) for path, _ in leaves])


def _set_aside(mgr: ocp.CheckpointManager, step: int) -> None:
    path = Path(mgr.directory) / str(step)
    if path.exists():
        target = path.with_name(f"{step}.corrupt")
        n = 1
        while target.exists():
            target, n = path.with_name(f"{step}.corrupt{n}"), n + 1
        path.rename(target)
    mgr.reload()


def restore_params(run_dir, params_like):
    """Only the parameters of a run's newest good checkpoint -> (step, params)."""
    mgr = manager(run_dir, create=False)
    try:
        step, params, _, _ = restore(mgr, params_like)
    finally:
        mgr.close()
    return step, params
