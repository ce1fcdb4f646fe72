"""What a run writes as it trains: the metrics file, the loss plot, the progress bar.

    RUN_DIR/metrics.jsonl   one JSON object per line: {"step", "loss", "next_loss", "lr", "tokens_per_s", …}
                            every ``log_every`` steps, and at evaluations {"step", "val_next_loss",
                            "val_ppl", "val_bpb", "val_bytes", "val_loss", …} (loop.evaluate says what each is;
                            Sora's pre-training adds "mlm_loss", "val_mlm_loss", "val_mlm_ppl")
    RUN_DIR/loss.png        the losses against the step, next-token and masked-token apart, and the
                            held-out bits per byte

Held-out losses are printed with their own names: ChatGPT's one loss is "held-out loss"; Sora's
pre-training has two, "next-token loss" (its decoder) and "masked-token loss" (its encoder), each
with its perplexity, never their sum.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..parallel import is_main_process

METRICS_FILE = "metrics.jsonl"


def read_metrics(run_dir) -> list[dict]:
    """Every record of RUN_DIR/metrics.jsonl, in order ([] when there is none)."""
    path = Path(run_dir) / METRICS_FILE
    return [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()] if path.exists() else []


def append_metrics(run_dir, record: dict) -> None:
    """Add one record (process 0 writes; the others have the same numbers)."""
    if is_main_process():
        with open(Path(run_dir) / METRICS_FILE, "a") as f:
            f.write(json.dumps(record) + "\n")


def truncate_metrics(run_dir, step: int) -> None:
    """On resume, drop records written after the checkpoint (they will be written again)."""
    if (Path(run_dir) / METRICS_FILE).exists() and is_main_process():
        kept = [m for m in read_metrics(run_dir) if m["step"] <= step]
        (Path(run_dir) / METRICS_FILE).write_text("".join(json.dumps(m) + "\n" for m in kept))


def series(records: list[dict], key: str) -> list[tuple[int, float]]:
    """(step, value) of every record that has ``key`` ("next_loss", "val_bpb", …)."""
    return [(m["step"], m[key]) for m in records if key in m]


def loss_curves(records: list[dict]) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(step, training loss) and (step, held-out loss) pairs of the training objective, in nats per
    token (for Sora's pre-training the sum of its two losses; ``series`` gives each apart)."""
    return series(records, "loss"), series(records, "val_loss")


def describe_eval(e: dict, split: str | None = None) -> str:
    """An evaluation record in words: each loss with its name and perplexity, and the bits per byte
    (``split``: what was held out)."""
    on = f" on {split}" if split else ""
    next_loss = e.get("val_next_loss", e["val_loss"])  # runs written before the losses were logged apart
    bpb = f", {e['val_bpb']:.3f} bits/byte" if "val_bpb" in e else ""
    if "val_mlm_loss" not in e:
        return f"held-out loss {next_loss:.3f} nats/token{on} (perplexity {e['val_ppl']:.1f}){bpb}"
    mlm_ppl = e.get("val_mlm_ppl", math.exp(min(e["val_mlm_loss"], 700.0)))
    return (f"held-out next-token loss {next_loss:.3f} nats/token{on} (perplexity {e['val_ppl']:.1f}){bpb}; "
            f"masked-token loss {e['val_mlm_loss']:.3f} nats/token (perplexity {mlm_ppl:.1f})")


def eval_line(record: dict) -> str:
    """One evaluation, as training prints it when it is computed."""
    return f"step {record['step']}: {describe_eval(record)}"


def newest_eval(run_dir) -> dict | None:
    """The newest held-out evaluation record of a run, or None if it has none."""
    evals = [m for m in read_metrics(run_dir) if "val_loss" in m]
    return evals[-1] if evals else None


def held_out_summary(run_dir, split: str | None = None) -> str | None:
    """One line on the newest held-out evaluation of a run (``split``: what was held out), or None
    if it has none."""
    e = newest_eval(run_dir)
    return None if e is None else f"saved -> {run_dir}: step {e['step']}, {describe_eval(e, split)}"


def plot_loss(run_dir) -> Path:
    """Write RUN_DIR/loss.png: the losses (nats/token) on the left, next-token and masked-token
    apart, training as lines and held-out as dots; the held-out bits per byte on the right."""
    from matplotlib.figure import Figure  # not pyplot: the caller's backend (a notebook's) stays as it was

    records = read_metrics(run_dir)
    bpb = series(records, "val_bpb")
    fig = Figure(figsize=(9, 3.6) if bpb else (6, 3.6))
    axes = fig.subplots(1, 2 if bpb else 1, squeeze=False)
    ax = axes[0, 0]
    two = any("mlm_loss" in m or "val_mlm_loss" in m for m in records)  # Sora's pre-training
    next_name = "next-token" if two else "loss"
    curves = ((series(records, "next_loss") or series(records, "loss"), f"{next_name}, training", "tab:blue", None),
              (series(records, "val_next_loss") or series(records, "val_loss"), f"{next_name}, held-out", "tab:blue", "o"),
              (series(records, "mlm_loss"), "masked-token, training", "tab:orange", None),
              (series(records, "val_mlm_loss"), "masked-token, held-out", "tab:orange", "o"))
    for points, label, color, marker in curves:
        if points:
            ax.plot(*zip(*points), label=label, color=color, marker=marker, alpha=1.0 if marker else 0.6)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats / token)")
    ax.set_title(f"{Path(run_dir).name}: loss" + (" (Sora's two objectives)" if two else ""))
    if ax.get_legend_handles_labels()[0]:  # a run stopped before its first log line has no curve yet
        ax.legend(fontsize=9)
    ax.grid(alpha=0.3)
    if bpb:
        ax = axes[0, 1]
        ax.plot(*zip(*bpb), color="tab:green", marker="o", label="held-out")
        ax.set_xlabel("step")
        ax.set_ylabel("bits per UTF-8 byte")
        ax.set_title("held-out bits per byte" + (" (next-token)" if two else ""))
        ax.legend(fontsize=9)
        ax.grid(alpha=0.3)
    out = Path(run_dir) / "loss.png"
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    return out


def bar_losses(m: dict) -> str:
    """The training losses of a log interval as the progress bar shows them: Sora's two apart."""
    if "mlm_loss" in m:
        return f"next-token {m['next_loss']:.3f}, masked-token {m['mlm_loss']:.3f}"
    return f"loss {m['loss']:.3f}"


def progress_bar(quiet: bool = False, *, training: bool = True):
    """A rich progress bar: ``training`` shows the losses and tokens/s of the task's fields
    ``loss`` (``bar_losses``) and ``tps``; otherwise the elapsed time and the task's description."""
    from rich.progress import (
        BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
    )

    if training:
        extra = (TextColumn("{task.fields[loss]}"), TextColumn("{task.fields[tps]:,.0f} tok/s"))
    else:
        extra = (TimeElapsedColumn(), TextColumn("eta"))
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), *extra,
                    TimeRemainingColumn(), disable=quiet)
