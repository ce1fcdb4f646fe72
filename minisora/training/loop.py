"""The training loop: the one every command runs (pretrain, finetune, compare, bench).

    for t in start .. N−1:
        batch_t = batches.sample(rng)                       numpy, on the host
        θ, opt_state, metrics_t = train_step(θ, opt_state, batch_t, t)     one compiled program

With a run directory the loop also logs (metrics.jsonl every ``log_every`` steps, held-out
losses and bits per byte every ``eval_every``, each also printed), checkpoints every
``checkpoint_every`` steps (θ, optimizer state, the generator's state: a resumed run is the same
computation as an uninterrupted one), plots the loss curves, and stops cleanly on Ctrl-C. Without one (``run_dir=None``) it only trains:
what ``compare`` and ``bench`` need, with a per-step hook, evaluation points and timings.
"""

from __future__ import annotations

import math
import signal
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from .. import parallel
from ..config import TrainConfig
from ..errors import UserError
from . import batches as batching
from . import checkpoint, log
from .losses import bits_per_byte
from .optim import make_optimizer
from .profile import StepProfiler
from .step import make_steps, split_model


@dataclass
class TrainResult:
    """What a call of ``train`` did. ``timeline`` holds (step, seconds of training so far) at every
    point the loop waited for the device (evaluations, log lines, the end): compile and
    evaluation time are not in it."""

    params: object
    steps: int  # steps done in this call
    tokens_per_step: int
    compile_s: float
    compiled: object  # the compiled train step (XLA's cost analysis)
    traced: object  # the traced train step (its jaxpr)
    timeline: list = field(default_factory=list)
    evals: list = field(default_factory=list)  # (step, evaluate(model)) at ``eval_at``

    @property
    def train_s(self) -> float:
        return self.timeline[-1][1] if self.timeline else 0.0

    def seconds_between(self, a: int, b: int) -> float:
        """Training seconds from step a to step b (both must be points of the timeline)."""
        at = dict(self.timeline)
        return at[b] - at.get(a, 0.0)


class _StopRequest:
    """First Ctrl-C: finish the current step, save a checkpoint, stop. Second: stop at once."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: leave Ctrl-C alone
            self._previous = None
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def mean_metrics(pending: list[dict]) -> dict:
    """Host-side means of the metrics of the steps since the last log line."""
    host = jax.device_get(pending)
    out = {k: float(np.mean([m[k] for m in host])) for k in host[0] if not k.endswith("_n")}
    out["lr"] = float(host[-1]["lr"])
    return out


def evaluate(eval_step, params, rest, eval_set: list[dict], n_bytes: int | None = None) -> dict:
    """Held-out losses, each weighted by its number of target tokens.

    -> ``val_next_loss`` (nats/token) and ``val_ppl`` = exp of it; Sora's pre-training also
    ``val_mlm_loss`` and ``val_mlm_ppl`` (its masked tokens); ``val_loss`` = the training objective
    (their sum for Sora, the next-token loss otherwise). With ``n_bytes`` (the UTF-8 bytes the
    next-token targets spell, Batches.target_bytes), ``val_bpb`` = Σ_t −log p_t / (ln 2 · n_bytes).
    """
    parts = jax.device_get([eval_step(params, rest, b) for b in eval_set])
    out, nats = {}, {}
    for name in ("next", "mlm"):
        if f"{name}_loss" in parts[0]:
            n = np.array([p[f"{name}_n"] for p in parts], np.float64)
            nats[name] = float(np.sum(n * [p[f"{name}_loss"] for p in parts]))  # Σ_t −log p_t over the targets
            out[f"val_{name}_loss"] = nats[name] / max(n.sum(), 1)
    out["val_loss"] = out["val_next_loss"] + out.get("val_mlm_loss", 0.0)
    out["val_ppl"] = math.exp(min(out["val_next_loss"], 700.0))
    if "val_mlm_loss" in out:
        out["val_mlm_ppl"] = math.exp(min(out["val_mlm_loss"], 700.0))
    if n_bytes:
        out["val_bpb"], out["val_bytes"] = bits_per_byte(nats["next"], n_bytes), int(n_bytes)
    return out


@jax.jit
def _finite(tree):
    return jnp.all(jnp.stack([jnp.isfinite(x).all() for x in jax.tree.leaves(tree)]))


def all_finite(tree) -> bool:
    return bool(_finite(tree))  # checked on the devices: a state sharded over several hosts cannot be fetched whole


_COMPILED: OrderedDict = OrderedDict()  # (step, argument shapes and placements) -> (traced, compiled), newest last


def compiled_step(train_step, params, opt_state, rest, batch):
    """``train_step`` traced and compiled ahead of time for these arguments: the one compile of a
    run. Kept for the process, as jit keeps its own: resuming or re-running the same model and
    settings (``make_steps`` returns the same step) reuses the program."""
    args = (params, opt_state, rest, batch, np.int32(0))
    leaves, tree = jax.tree.flatten(args)
    key = (train_step, tree, tuple((np.shape(x), str(x.dtype), getattr(x, "sharding", None)) for x in leaves))
    if key not in _COMPILED:
        traced = train_step.trace(*args)
        _COMPILED[key] = traced, traced.lower().compile()
        while len(_COMPILED) > 8:  # as many as make_steps keeps
            _COMPILED.popitem(last=False)
    _COMPILED.move_to_end(key)
    return _COMPILED[key]


def compile_step(model, batches: batching.Batches, cfg: TrainConfig):
    """The train step of ``cfg`` for ``model``, traced and compiled on one batch, without training:
    -> (traced, compiled), for counting its FLOPs."""
    cfg = cfg.resolved()
    graphdef, params, rest = split_model(model)
    opt_state = make_optimizer(cfg).init(params)
    traced = make_steps(graphdef, cfg)[0].trace(params, opt_state, rest, batches.sample(batching.make_rng(0)),
                                                np.int32(0))
    return traced, traced.lower().compile()


def train(model, batches: batching.Batches, cfg: TrainConfig, run_dir=None, *, resume: bool = False,
          quiet: bool = False, mesh=None, profile=None, profile_start: int | None = None, on_step=None,
          eval_at=(), evaluate_fn=None, stop_hint: str | None = "Continue with --resume.") -> TrainResult:
    """Train ``model`` for ``cfg.steps`` steps of ``cfg`` on ``batches``; ``model`` ends with the
    trained parameters (also ``result.params``).

    ``run_dir``: log, evaluate, checkpoint and plot there (``resume``: from its newest good
    checkpoint); None: train only. ``mesh``: the step sharded over a device mesh (parallel/).
    ``profile``: a jax.profiler trace of 3 steps from ``profile_start`` (default: the second) into
    that directory. ``on_step(t)`` runs after each step is queued; ``evaluate_fn(model)`` runs
    after the steps in ``eval_at`` (the model holds the parameters of that step), untimed.
    ``stop_hint``: what Ctrl-C's line tells the user to do next (None: the caller says it).
    """
    cfg = cfg.resolved()
    files = run_dir is not None
    run_dir = Path(run_dir) if files else None
    graphdef, params, rest = split_model(model)
    opt_state = make_optimizer(cfg).init(params)
    rng = batching.make_rng(cfg.seed)
    mgr = checkpoint.manager(run_dir, keep=cfg.keep) if files else None
    start, shardings, place = 0, None, lambda batch: batch
    if mesh is not None:  # the state goes onto the mesh before a restore, which then reads only its own shards
        parallel.check_batch_size(cfg.batch_size, mesh)
        shardings = parallel.train_shardings(mesh, params, opt_state)
        params, opt_state, rest = shardings.place(params, opt_state, rest)
        place = lambda batch: parallel.place_batch(batch, mesh)  # noqa: E731
    if resume:
        start, params, opt_state, data_state = checkpoint.restore(mgr, params, opt_state)
        if opt_state is None or data_state is None:
            raise UserError(f"The newest checkpoint in {run_dir} holds no optimizer or data state; it cannot be resumed.")
        batching.set_rng_state(rng, data_state)
        log.truncate_metrics(run_dir, start)
        if start >= cfg.steps:
            print(f"{run_dir} already has {start} steps; pass a larger --steps to train on.")
    if mesh is None:  # committed to a device like restored and updated arrays, so a resumed run reuses the same program
        params, opt_state, rest = jax.device_put((params, opt_state, rest), jax.devices()[0])
    train_step, eval_step = make_steps(graphdef, cfg, shardings)
    held_out = batches.eval_batches(cfg.eval_batches, cfg.seed) if files else []
    eval_bytes = sum(batches.target_bytes(b) for b in held_out) if batches.token_bytes is not None else None
    eval_set = [place(b) for b in held_out]
    sync_at = set(eval_at) | {cfg.steps}

    batch = place(batches.sample(rng)) if start < cfg.steps else None
    t0 = time.perf_counter()
    traced, compiled = (None, None) if batch is None else compiled_step(train_step, params, opt_state, rest, batch)
    result = TrainResult(params, 0, batches.tokens_per_batch(), time.perf_counter() - t0, compiled, traced)
    profiler = StepProfiler(profile, start if profile_start is None else profile_start - 1)
    pending, train_s, t_mark, t_log = [], 0.0, time.perf_counter(), time.perf_counter()

    def clock() -> float:
        """Training seconds so far (the device has been waited for)."""
        nonlocal train_s, t_mark
        now = time.perf_counter()
        train_s, t_mark = train_s + now - t_mark, now
        return train_s

    def check_finite(loss_values, first, last):
        if not all(math.isfinite(v) for v in loss_values):
            where = f"between steps {first} and {last}" if first < last else f"by step {last}"
            raise UserError(f"The training loss became NaN or infinite {where}; stopped without saving that state"
                            f"{' (the newest checkpoint is older)' if files else ''}. Try a smaller --lr.")

    def flush(step):
        """Sync with the device, stop on a non-finite loss, log the interval's means."""
        nonlocal pending, t_log
        if not pending:
            return
        m = mean_metrics(pending)
        check_finite(m.values(), step - len(pending) + 1, step)
        m["tokens_per_s"] = len(pending) * result.tokens_per_step / (time.perf_counter() - t_log)
        log.append_metrics(run_dir, {"step": step, **m})
        bar.update(task, loss=log.bar_losses(m), tps=m["tokens_per_s"])
        pending = []

    def save(step):
        if not all_finite(params):
            raise UserError(f"The parameters became NaN or infinite by step {step}; stopped without saving them. "
                            "Try a smaller --lr.")
        checkpoint.save(mgr, step, params, opt_state, batching.rng_state(rng))

    try:
        with _StopRequest() as stop, log.progress_bar(quiet or not files or not parallel.is_main_process()) as bar:
            task = bar.add_task(cfg.kind, total=cfg.steps, completed=start, loss="loss …", tps=0.0)
            for t in range(start, cfg.steps):
                profiler.step(t, params)
                if t > start:
                    batch = place(batches.sample(rng))
                params, opt_state, metrics = compiled(params, opt_state, rest, batch, np.int32(t))
                pending.append(metrics)  # device arrays: no wait for the step to finish
                bar.advance(task)
                if on_step is not None:
                    on_step(t)
                done, last = t + 1, t + 1 == cfg.steps
                if files:
                    saving = done % cfg.checkpoint_every == 0 or last or stop.requested
                    if done % cfg.log_every == 0 or saving:
                        flush(done)
                        result.timeline.append((done, clock()))
                    if done % cfg.eval_every == 0 or last:
                        record = {"step": done, **evaluate(eval_step, params, rest, eval_set, eval_bytes)}
                        log.append_metrics(run_dir, record)
                        if not quiet and parallel.is_main_process():
                            print(log.eval_line(record))  # as it comes, not only the last
                    if saving:
                        save(done)
                    if stop.requested:
                        print(f"stopped at step {done}; checkpoint saved." + (f" {stop_hint}" if stop_hint else ""))
                        raise KeyboardInterrupt
                elif done in sync_at:
                    check_finite([float(pending[-1]["loss"])], done, done)  # waits for the step
                    pending = []
                    result.timeline.append((done, clock()))
                if done in eval_at and evaluate_fn is not None:
                    nnx.update(model, params)
                    result.evals.append((done, evaluate_fn(model)))
                t_mark = time.perf_counter() if done in sync_at or not pending else t_mark
                t_log = time.perf_counter() if not pending else t_log  # tokens/s counts training only
            result.steps = max(0, cfg.steps - start)
    finally:
        profiler.close(params)
        if mgr is not None:
            mgr.close()
        if files and parallel.is_main_process():
            log.plot_loss(run_dir)
    nnx.update(model, params)
    result.params = params
    return result
