"""The loss curve of a run: RUN_DIR/metrics.jsonl -> RUN_DIR/loss.png (matplotlib optional)."""

from __future__ import annotations

import json
from pathlib import Path


def read_metrics(run_dir) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(step, training loss) and (step, held-out loss) pairs, in nats per token."""
    train, val = [], []
    path = Path(run_dir) / "metrics.jsonl"
    for line in path.read_text().splitlines() if path.exists() else []:
        m = json.loads(line)
        if "loss" in m:
            train.append((m["step"], m["loss"]))
        if "val_loss" in m:
            val.append((m["step"], m["val_loss"]))
    return train, val


def plot_loss(run_dir, quiet: bool = False) -> Path | None:
    """Write RUN_DIR/loss.png; without matplotlib, say so in one line and return None."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no window
        import matplotlib.pyplot as plt
    except ImportError:
        if not quiet:
            print("matplotlib is not installed: skipping loss.png (pip install 'minisora[plot]').")
        return None
    train, val = read_metrics(run_dir)
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
