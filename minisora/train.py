"""Training: one jit-compiled step, the optimisers the article names, and the loop.

The article's update rule is plain stochastic gradient descent,

    θ_{t+1} = θ_t − α_t ∇_θ L(θ_t)                                   (sgd)

"or its variants": Nesterov momentum (v ← μ v + ∇L;  θ ← θ − α (μ v + ∇L))  and AdamW
(Adam's per-parameter step m̂/(√v̂ + ε) plus decoupled weight decay α λ θ on matrices).
The step size follows a linear warm-up and a cosine decay,

    α_t = α (t + 1) / W                                              t < W
    α_t = α_min + ½ (α − α_min) (1 + cos(π (t − W) / (N − W)))        W ≤ t < N

and gradients are clipped to a global norm ‖g‖ = √(Σ g²) ≤ c before the update.
L is the objective of data.py (nats per token): next-token for ChatGPT, MLM + next-token
for Sora's pre-training.

One ``train_step`` does loss, gradients, update and metrics in a single compiled XLA
program; it compiles once (batches have one shape per run) and donates the old
parameters and optimizer state so their memory is reused in place. Dropout draws from
the key fold_in(key(seed), t), so step t's noise does not depend on how the run got there.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from . import checkpoint, data, parallel
from .errors import UserError
from .losses import cross_entropy, mlm_loss

OPTIMIZERS = ("sgd", "momentum", "adamw")
DEFAULT_LR = {"sgd": 0.5, "momentum": 0.1, "adamw": 1e-3}  # best of a short sweep on the baby GPT


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a run's numbers (saved in RUN_DIR/config.json)."""

    kind: str = "text"  # "text" (pre-training) or "dialogue" (fine-tuning)
    steps: int = 1000
    batch_size: int = 16
    seq_len: int = 128  # tokens per row (Sora: encoder prefix + decoder continuation)
    prefix_len: int | None = None  # Sora's encoder length (default: half of seq_len)
    optimizer: str = "adamw"
    lr: float | None = None  # peak α (default per optimizer: DEFAULT_LR)
    min_lr: float | None = None  # α_min at the end of the cosine (default α / 10)
    warmup: int | None = None  # W (default: 10 % of the steps, at most 100)
    weight_decay: float = 0.1  # AdamW's λ, on matrices only
    momentum: float = 0.9  # μ for "momentum"
    clip: float = 1.0  # global-norm clip c (0 = off)
    seed: int = 0
    eval_every: int = 100
    eval_batches: int = 8
    checkpoint_every: int = 200
    keep: int = 3  # checkpoints kept
    log_every: int = 10

    def resolved(self) -> "TrainConfig":
        """Fill the defaults that depend on other fields, and check the values."""
        if self.optimizer not in OPTIMIZERS:
            raise UserError(f"Unknown optimizer {self.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}.")
        for name in ("steps", "batch_size", "seq_len", "eval_every", "checkpoint_every", "log_every", "keep"):
            if getattr(self, name) < 1:
                raise UserError(f"--{name.replace('_', '-')} must be at least 1 (got {getattr(self, name)}).")
        lr = DEFAULT_LR[self.optimizer] if self.lr is None else self.lr
        if not lr > 0:
            raise UserError(f"--lr must be positive (got {lr}).")
        warmup = min(100, self.steps // 10) if self.warmup is None else self.warmup
        return dataclasses.replace(self, lr=lr, min_lr=lr / 10 if self.min_lr is None else self.min_lr,
                                   warmup=min(warmup, self.steps - 1))


# --- the optimiser ---------------------------------------------------------------------------


def lr_schedule(cfg: TrainConfig):
    """α_t: linear warm-up over W steps, then cosine from α to α_min at step N."""
    α, α_min, W, N = cfg.lr, cfg.min_lr, cfg.warmup, cfg.steps

    def α_t(t):
        t = jnp.asarray(t, jnp.float32)
        warm = α * (t + 1) / max(W, 1)
        progress = jnp.clip((t - W) / max(N - W, 1), 0.0, 1.0)
        cosine = α_min + 0.5 * (α - α_min) * (1 + jnp.cos(jnp.pi * progress))
        return jnp.where(t < W, warm, cosine)

    return α_t


def _is_matrix(params):
    return jax.tree.map(lambda p: p.ndim >= 2, params)  # decay weights and embeddings, not biases/norms


def make_optimizer(cfg: TrainConfig) -> optax.GradientTransformation:
    schedule = lr_schedule(cfg)
    clip = [optax.clip_by_global_norm(cfg.clip)] if cfg.clip > 0 else []
    if cfg.optimizer == "sgd":
        return optax.chain(*clip, optax.sgd(schedule))
    if cfg.optimizer == "momentum":
        return optax.chain(*clip, optax.sgd(schedule, momentum=cfg.momentum, nesterov=True))
    # optax.adamw's steps (Adam, + λθ on matrices, × −α_t), with clipping and Adam's moments on one
    # flat vector: a few big elementwise ops instead of ~10 small ones per tensor (~5 % of a small
    # model's CPU step). The weight-decay mask needs the parameter tree, so it runs after unflattening.
    return optax.chain(
        optax.flatten(optax.chain(*clip, optax.scale_by_adam(b1=0.9, b2=0.99))),
        optax.add_decayed_weights(cfg.weight_decay, _is_matrix),
        optax.scale_by_learning_rate(schedule),
    )


# --- the objective and the compiled steps ------------------------------------------------------


def objective(model, batch: dict, *, deterministic: bool):
    """L for one batch (nats/token) and its parts. ChatGPT: L_next. Sora: L_MLM + L_next
    (pre-training) or L_next (fine-tuning: the batch has no MLM targets)."""
    if "src" in batch:  # Sora: encoder reads src, decoder is teacher-forced on dec_in
        mlm_logits, logits = model(batch["src"], batch["src_mask"], batch["dec_in"], deterministic=deterministic)
    else:  # ChatGPT
        logits = model(batch["x"], deterministic=deterministic)  # (B, T, V)
    parts = {"next_loss": cross_entropy(logits, batch["y"], batch["w"]), "next_n": jnp.sum(batch["w"])}
    loss = parts["next_loss"]
    if "mlm_y" in batch:
        parts["mlm_loss"] = mlm_loss(mlm_logits, batch["mlm_y"], batch["mlm_w"])
        parts["mlm_n"] = jnp.sum(batch["mlm_w"])
        loss = loss + parts["mlm_loss"]
    return loss, parts


def _keep_freed_memory() -> None:
    """Let glibc keep freed memory for reuse instead of handing it back to the OS.

    XLA:CPU allocates a step's scratch space on every call (47 MB for the baby GPT). Blocks over
    32 MB get a fresh mmap from glibc each time, so every step page-faults and zeroes them anew:
    about 30 % of the CPU time of a small model's step. Without mmap and trimming, the pages stay.
    (Scratch over 64 MB, e.g. 8 layers of the baby GPT, still gets an mmap per step: a worker
    thread's arena cannot grow past that. One arena for all threads would fix it, but costs
    ~15 % of a two-thread step in lock contention; see docs/performance.md.)
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(-4, 0)  # M_MMAP_MAX = 0: large blocks come from the heap too
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD = 1 GiB: keep the top of the heap
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, musl): nothing to tune
        pass


@functools.lru_cache(maxsize=8)
def make_steps(graphdef, cfg: TrainConfig, shardings: parallel.TrainShardings | None = None):
    """The jitted ``train_step(params, opt_state, rest, batch, t)`` and ``eval_step(params, rest, batch)``.

    ``rest`` is the model's non-parameter state (its dropout stream), passed in explicitly.
    Cached: a second run of the same model and settings in one process reuses the compiled steps.
    """
    tx, schedule, base_key = make_optimizer(cfg), lr_schedule(cfg), jax.random.key(cfg.seed)
    if jax.default_backend() == "cpu":
        _keep_freed_memory()

    def loss_fn(params, rest, batch):
        return objective(nnx.merge(graphdef, params, rest, copy=True), batch, deterministic=False)

    def train_step(params, opt_state, rest, batch, t):
        rest = _reseed(graphdef, params, rest, jax.random.fold_in(base_key, t))  # dropout noise of step t
        (loss, parts), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, rest, batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)  # θ ← θ + Δθ  (Δθ = −α_t ∇L for sgd)
        # ‖g‖ of the concatenated gradient: the same expression as AdamW's clipping, so XLA computes it once
        g = jnp.concatenate([leaf.reshape(-1) for leaf in jax.tree.leaves(grads)])
        metrics = {"loss": loss, "grad_norm": optax.tree.norm(g), "lr": schedule(t), **parts}
        return params, opt_state, metrics

    def eval_step(params, rest, batch):
        _, parts = objective(nnx.merge(graphdef, params, rest), batch, deterministic=True)
        return parts

    if shardings is not None:  # on a device mesh: every input and output sharding pinned (parallel.py)
        return shardings.jit_steps(train_step, eval_step)
    return jax.jit(train_step, donate_argnums=(0, 1)), jax.jit(eval_step)


def _reseed(graphdef, params, rest, key):
    """``rest`` with its dropout stream restarted from ``key`` (stacked layers get split keys)."""
    model = nnx.merge(graphdef, params, rest)
    nnx.reseed(model, dropout=key, policy="match_shape")
    return nnx.split(model, nnx.Param, ...)[2]


def split_model(model):
    """model -> (graphdef, params, rest): trainable parameters apart from everything else."""
    return nnx.split(model, nnx.Param, ...)


# --- the loop --------------------------------------------------------------------------------


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


def _mean_metrics(pending: list[dict]) -> dict:
    """Host-side means of the metrics of the steps since the last log line."""
    host = jax.device_get(pending)
    out = {k: float(np.mean([m[k] for m in host])) for k in host[0] if not k.endswith("_n")}
    out["lr"] = float(host[-1]["lr"])
    return out


def _evaluate(eval_step, params, rest, batches: list[dict]) -> dict:
    """Held-out losses, each weighted by its number of target tokens."""
    parts = jax.device_get([eval_step(params, rest, b) for b in batches])
    out = {}
    for name in ("next", "mlm"):
        if f"{name}_loss" in parts[0]:
            n = np.array([p[f"{name}_n"] for p in parts], np.float64)
            out[f"val_{name}_loss"] = float(np.sum(n * [p[f"{name}_loss"] for p in parts]) / max(n.sum(), 1))
    out["val_loss"] = out["val_next_loss"] + out.get("val_mlm_loss", 0.0)
    out["val_ppl"] = math.exp(min(out["val_next_loss"], 700.0))
    return out


@jax.jit
def _finite(tree):
    return jnp.all(jnp.stack([jnp.isfinite(x).all() for x in jax.tree.leaves(tree)]))


def _all_finite(tree) -> bool:
    return bool(_finite(tree))  # checked on the devices: a state sharded over several hosts cannot be fetched whole


def _append_jsonl(path: Path, record: dict) -> None:
    if not parallel.is_main_process():  # one writer per run
        return
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


def _truncate_metrics(path: Path, step: int) -> None:
    """On resume, drop log lines written after the checkpoint (they will be written again)."""
    if path.exists() and parallel.is_main_process():
        lines = [ln for ln in path.read_text().splitlines() if ln.strip() and json.loads(ln)["step"] <= step]
        path.write_text("".join(ln + "\n" for ln in lines))


def train(model, batches: data.Batches, cfg: TrainConfig, run_dir, *, resume: bool = False, quiet: bool = False,
          mesh=None, profile=None):
    """Run ``cfg.steps`` steps of ``cfg`` on ``batches`` from ``model``'s parameters (or the run's
    newest checkpoint with ``resume``), writing metrics, checkpoints and the loss plot to ``run_dir``.
    Returns the final parameters (nnx.State); ``model`` is updated to them as well.
    ``mesh``: run sharded over a device mesh (parallel.py); ``profile``: trace a few steps into that directory."""
    cfg = cfg.resolved()
    run_dir = Path(run_dir)
    graphdef, params, rest = split_model(model)
    tx = make_optimizer(cfg)
    opt_state = tx.init(params)
    rng = data.make_rng(cfg.seed)
    mgr = checkpoint.manager(run_dir, keep=cfg.keep)
    metrics_path = run_dir / "metrics.jsonl"
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
        data.set_rng_state(rng, data_state)
        _truncate_metrics(metrics_path, start)
        if start >= cfg.steps:
            print(f"{run_dir} already has {start} steps; pass a larger --steps to train on.")
    if mesh is None:  # committed to a device like restored and updated arrays, so a resumed run reuses the same program
        params, opt_state, rest = jax.device_put((params, opt_state, rest), jax.devices()[0])
    train_step, eval_step = make_steps(graphdef, cfg, shardings)
    eval_set = [place(b) for b in batches.eval_batches(cfg.eval_batches, cfg.seed)]
    profiler = parallel.StepProfiler(profile, start)

    def save(step):
        if not _all_finite(params):
            raise UserError(f"The parameters became NaN or infinite by step {step}; stopped without saving them. "
                            "Try a smaller --lr.")
        checkpoint.save(mgr, step, params, opt_state, data.rng_state(rng))

    pending, t_log = [], time.perf_counter()

    def flush(step):
        """Sync with the device, stop on a non-finite loss, log the interval's means."""
        nonlocal pending, t_log
        if not pending:
            return
        m = _mean_metrics(pending)
        if not all(math.isfinite(v) for v in m.values()):
            raise UserError(
                f"The training loss became NaN or infinite between steps {step - len(pending) + 1} and {step}; "
                f"stopped without saving that state (the newest checkpoint is older). Try a smaller --lr."
            )
        m["tokens_per_s"] = len(pending) * batches.tokens_per_batch() / (time.perf_counter() - t_log)
        _append_jsonl(metrics_path, {"step": step, **m})
        bar.update(task, loss=m["loss"], tps=m["tokens_per_s"])
        pending = []

    try:
        with _StopRequest() as stop, _progress_bar(quiet or not parallel.is_main_process()) as bar:
            task = bar.add_task(cfg.kind, total=cfg.steps, completed=start, loss=float("nan"), tps=0.0)
            for t in range(start, cfg.steps):
                profiler.step(t, params)
                batch = place(batches.sample(rng))
                params, opt_state, metrics = train_step(params, opt_state, rest, batch, np.int32(t))
                pending.append(metrics)  # device arrays: no wait for the step to finish
                bar.advance(task)
                done, last = t + 1, t + 1 == cfg.steps
                saving = done % cfg.checkpoint_every == 0 or last or stop.requested
                if done % cfg.log_every == 0 or saving:
                    flush(done)
                if done % cfg.eval_every == 0 or last:
                    _append_jsonl(metrics_path, {"step": done, **_evaluate(eval_step, params, rest, eval_set)})
                if saving:
                    save(done)
                if stop.requested:
                    print(f"stopped at step {done}; checkpoint saved. Continue with --resume.")
                    raise KeyboardInterrupt
                t_log = time.perf_counter() if not pending else t_log  # tokens/s counts training only
    finally:
        profiler.close(params)
        mgr.close()
        if parallel.is_main_process():
            _plot(run_dir, quiet)
    nnx.update(model, params)
    return params


def _progress_bar(quiet: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("loss {task.fields[loss]:.3f}"), TextColumn("{task.fields[tps]:,.0f} tok/s"),
                    TimeRemainingColumn(), disable=quiet)


def _plot(run_dir: Path, quiet: bool) -> None:
    from .plot import plot_loss

    if (run_dir / "metrics.jsonl").exists():
        plot_loss(run_dir, quiet=quiet)


# --- the commands ------------------------------------------------------------------------------


def _sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _write_config(run_dir: Path, model_config, cfg: TrainConfig, source: dict) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    record = {"model": model_config.to_dict(), "train": dataclasses.asdict(cfg), "data": source}
    (run_dir / "config.json").write_text(json.dumps(record, indent=2) + "\n")


def _check_fresh(out: Path) -> None:
    if (out / checkpoint.CHECKPOINT_DIR).exists() or (out / "config.json").exists():
        raise UserError(f"{out} already holds a run; pass --resume to continue it, or choose another --out.")


def _train_config(args, kind: str, saved: dict | None, default_steps: int) -> TrainConfig:
    """Flags -> TrainConfig; on --resume the run's saved values win, except --steps."""
    if saved is not None:
        cfg = TrainConfig(**saved)
        return dataclasses.replace(cfg, steps=args.steps or cfg.steps).resolved()
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    given.setdefault("steps", default_steps)
    return TrainConfig(kind=kind, **given).resolved()


def _run_config(out: Path) -> dict:
    from .run import read_config

    saved = read_config(out)
    if not saved.get("train"):
        raise UserError(f"{out} was not made by training (it has no training settings); it cannot be resumed.")
    return saved


def pretrain_command(args) -> None:
    """``minisora pretrain``: corpus -> tokenizer -> windows -> a trained run in --out."""
    from .datasets import read_text
    from .models import ModelConfig, config_from_preset, count_params, create
    from .tokenizer import Tokenizer, copy_tokenizer, train_tokenizer

    out = Path(args.out)
    mesh = parallel.mesh_from_args(args)  # --distributed joins the other hosts first; --mesh lays out the devices
    if args.resume:
        saved = _run_config(out)
        model_config = ModelConfig.from_dict(saved["model"])
        cfg = _train_config(args, "text", saved["train"], 0)
    else:
        model_config = config_from_preset(args.model, args.preset, dropout=args.dropout)  # checks the names
        cfg = _train_config(args, "text", None, 1000)
        _check_lengths(model_config, cfg)
        _check_fresh(out)
    model_config = parallel.compute_flags(model_config, args, resume=args.resume)  # --dtype, --remat, --scan-layers
    parallel.barrier("run directory checked")  # before any process writes into it
    corpus = read_text(args.corpus)
    if args.resume:
        if (saved.get("data") or {}).get("sha256") not in (None, _sha256(args.corpus)):
            raise UserError(f"{args.corpus} is not the corpus this run was trained on; resume with the same file.")
    elif parallel.is_main_process():  # one writer; the other processes read what it wrote
        if args.tokenizer:
            copy_tokenizer(args.tokenizer, out / "tokenizer")
        else:
            train_tokenizer([args.corpus], out / "tokenizer", vocab_size=args.vocab_size)
    parallel.barrier("tokenizer written")
    tok = Tokenizer.load(out / "tokenizer")
    model_config = model_config.replace(vocab_size=tok.vocab_size)
    ids = np.asarray(tok.encode(corpus), np.int32)
    train_ids, val_ids = data.split_held_out(ids)
    for split, part in (("training", train_ids), ("held-out", val_ids)):
        if len(part) < cfg.seq_len + 1:
            raise UserError(
                f"The corpus's {split} split has {len(part)} tokens, fewer than one window of {cfg.seq_len + 1}; "
                "use a longer corpus or a smaller --seq-len."
            )
    batches = data.Batches(model_config.model, "text", train_ids, val_ids, batch_size=cfg.batch_size,
                           seq_len=cfg.seq_len, vocab_size=model_config.vocab_size, prefix_len=cfg.prefix_len)
    if not args.resume and parallel.is_main_process():
        _write_config(out, model_config, cfg, {"corpus": str(args.corpus), "sha256": _sha256(args.corpus)})
    model = create(model_config, seed=cfg.seed)
    print(f"pre-training {model_config.model} ({count_params(model):,} parameters) "
          f"on {len(train_ids):,} tokens -> {out}")
    if mesh is not None and parallel.is_main_process():
        print(parallel.sharding_table(model, mesh))
    train(model, batches, cfg, out, resume=args.resume, mesh=mesh, profile=args.profile)
    if parallel.is_main_process():
        _report(out)


def finetune_command(args) -> None:
    """``minisora finetune``: a pre-trained run + question/answer dialogues -> a new run in --out."""
    from .datasets import load_dialogues
    from .run import load
    from .tokenizer import copy_tokenizer

    out = Path(args.out)
    mesh = parallel.mesh_from_args(args)  # one host's devices (--mesh): pretrain has the multi-host flags
    saved = _run_config(out)["train"] if args.resume else None
    if not args.resume:
        _check_fresh(out)
    source = load(args.source)
    tok, config = source.tokenizer, source.config
    if tok is None:
        raise UserError(f"{args.source} has no tokenizer (an imported run); fine-tune a run minisora trained.")
    pairs = [(tok.encode(q), tok.encode(a)) for q, a in load_dialogues(args.dialogues)]
    if len(pairs) < 2:
        raise UserError(f"{args.dialogues} has {len(pairs)} dialogue(s); fine-tuning needs at least 2 (10 % are held out).")
    train_pairs, val_pairs = data.split_held_out(pairs)
    cfg = _train_config(args, "dialogue", saved, 500)
    if saved is None:  # fixed lengths
        prompt_len, answer_len = data.dialogue_lengths(pairs, config.max_len)
        if config.model == "gpt":  # rows of packed dialogues as long as the context, which chat fills with history
            cfg = dataclasses.replace(cfg, seq_len=args.seq_len or config.max_len)
        else:  # Sora: the longest question and the longest answer
            cfg = dataclasses.replace(cfg, prefix_len=prompt_len, seq_len=prompt_len + answer_len)
        _check_lengths(config, cfg)
        copy_tokenizer(Path(args.source) / "tokenizer", out / "tokenizer")
        _write_config(out, config, cfg, {"dialogues": str(args.dialogues), "sha256": _sha256(args.dialogues),
                                         "from": str(args.source), "from_step": source.step})
    batches = data.Batches(config.model, "dialogue", train_pairs, val_pairs, batch_size=cfg.batch_size,
                           seq_len=cfg.seq_len, vocab_size=config.vocab_size, prefix_len=cfg.prefix_len)
    print(f"fine-tuning {args.source} (step {source.step}) on {len(train_pairs)} dialogues -> {out}")
    train(source.model, batches, cfg, out, resume=args.resume, mesh=mesh)
    _report(out)


def _check_lengths(config, cfg: TrainConfig) -> None:
    S = cfg.prefix_len or cfg.seq_len // 2
    longest = cfg.seq_len if config.model == "gpt" else max(S, cfg.seq_len - S)
    if longest > config.max_len:
        raise UserError(f"--seq-len {cfg.seq_len} is longer than the model's position table ({config.max_len}).")
    if config.model == "sora" and not 0 < S < cfg.seq_len:
        raise UserError(f"--prefix-len must be between 1 and --seq-len − 1 (got {S} of {cfg.seq_len}).")


def _report(out: Path) -> None:
    lines = [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines() if ln.strip()]
    evals = [m for m in lines if "val_loss" in m]
    if evals:
        e = evals[-1]
        print(f"step {e['step']}: held-out loss {e['val_loss']:.3f} nats/token "
              f"(next-token perplexity {e['val_ppl']:.1f}) -> {out}")
