"""What a run writes as it trains: the metrics file, the loss plot, the progress bar.

    RUN_DIR/metrics.jsonl   one JSON object per line: {"step", "loss", "lr", "tokens_per_s", …}
                            every ``log_every`` steps, {"step", "val_loss", "val_ppl", …} at evaluations
    RUN_DIR/loss.png        training and held-out loss against the step (matplotlib, optional)
"""

from __future__ import annotations

import json
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


def loss_curves(records: list[dict]) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(step, training loss) and (step, held-out loss) pairs, in nats per token."""
    train = [(m["step"], m["loss"]) for m in records if "loss" in m]
    val = [(m["step"], m["val_loss"]) for m in records if "val_loss" in m]
    return train, val


def eval_line(record: dict) -> str:
    """One evaluation, as training prints it when it is computed."""
    return (f"step {record['step']}: held-out loss {record['val_loss']:.3f} nats/token "
            f"(next-token perplexity {record['val_ppl']:.1f})")


def held_out_summary(run_dir, split: str | None = None) -> str | None:
    """One line on the newest held-out evaluation of a run (``split``: what was held out), or None
    if it has none."""
    evals = [m for m in read_metrics(run_dir) if "val_loss" in m]
    if not evals:
        return None
    e = evals[-1]
    return (f"saved -> {run_dir}: step {e['step']}, held-out loss {e['val_loss']:.3f} nats/token"
            f"{f' on {split}' if split else ''} (next-token perplexity {e['val_ppl']:.1f})")


_said_no_matplotlib = False


def plot_loss(run_dir, quiet: bool = False) -> Path | None:
    """Write RUN_DIR/loss.png; without matplotlib, say so once per process and return None."""
    global _said_no_matplotlib
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no window
        import matplotlib.pyplot as plt
    except ImportError:
        if not quiet and not _said_no_matplotlib:
            print("matplotlib is not installed: skipping loss.png (pip install 'minisora[plot]').")
            _said_no_matplotlib = True
        return None
    train, val = loss_curves(read_metrics(run_dir))
    fig, ax = plt.subplots(figsize=(6, 4))
    for points, label in ((train, "training"), (val, "held-out")):
        if points:
            ax.plot(*zip(*points), label=label, marker="o" if label == "held-out" else None)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats / token)")
    ax.set_title(Path(run_dir).name)
    ax.legend()
    ax.grid(alpha=0.3)
    out = Path(run_dir) / "loss.png"
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def progress_bar(quiet: bool = False, *, training: bool = True):
    """A rich progress bar: ``training`` shows the loss and tokens/s of the task's fields
    ``loss`` and ``tps``; otherwise the elapsed time and the task's description."""
    from rich.progress import (
        BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
    )

    if training:
        extra = (TextColumn("loss {task.fields[loss]:.3f}"), TextColumn("{task.fields[tps]:,.0f} tok/s"))
    else:
        extra = (TimeElapsedColumn(), TextColumn("eta"))
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), *extra,
                    TimeRemainingColumn(), disable=quiet)
