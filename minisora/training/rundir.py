"""A run directory, on disk:

    RUN_DIR/config.json     {"model": ModelConfig, "train": TrainConfig or null, "data": {...}}
    RUN_DIR/tokenizer/      the tokenizer the run was trained with (absent in imported runs)
    RUN_DIR/checkpoints/    orbax checkpoints (checkpoint.py); the newest good one is the model
    RUN_DIR/metrics.jsonl   training log; RUN_DIR/loss.png its plot (log.py)
"""

from __future__ import annotations

import json
from pathlib import Path

from flax import nnx

from ..config import ModelConfig, TrainConfig
from ..errors import UserError
from ..nn import create
from ..tokenizer import Tokenizer
from . import checkpoint

CONFIG_FILE, TOKENIZER_DIR = "config.json", "tokenizer"


def read_config(run_dir) -> dict:
    """RUN_DIR/config.json as a dict, checked to describe a model."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"There is no run directory at {run_dir}.")
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise UserError(f"{run_dir} is not a minisora run (no config.json).")
    try:
        saved = json.loads(path.read_text())
        ModelConfig.from_dict(saved["model"])
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        raise UserError(f"{path} is corrupt; it does not describe a model.") from None
    return saved


def write_config(run_dir, model_config: ModelConfig, train_config: TrainConfig | None, data: dict) -> None:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    record = {"model": model_config.to_dict(), "train": None if train_config is None else train_config.to_dict(),
              "data": data}
    (run_dir / CONFIG_FILE).write_text(json.dumps(record, indent=2) + "\n")


def holds_run(run_dir) -> bool:
    return (Path(run_dir) / checkpoint.CHECKPOINT_DIR).exists() or (Path(run_dir) / CONFIG_FILE).exists()


def load_tokenizer(run_dir) -> Tokenizer | None:
    d = Path(run_dir) / TOKENIZER_DIR
    return Tokenizer.load(d) if d.is_dir() else None


def load_model(run_dir) -> tuple[dict, ModelConfig, nnx.Module, int]:
    """(saved config dict, ModelConfig, model with the newest good checkpoint's parameters, its step)."""
    saved = read_config(run_dir)
    config = ModelConfig.from_dict(saved["model"])
    model = create(config)
    step, params = checkpoint.restore_params(run_dir, nnx.state(model, nnx.Param))
    nnx.update(model, params)
    return saved, config, model, step


def write_run(out, model, config: ModelConfig, data: dict, tokenizer=None) -> None:
    """A run directory at step 0 holding ``model``'s parameters (no optimizer state)."""
    if holds_run(out):
        raise UserError(f"{out} already holds a run; choose another --out.")
    write_config(out, config, None, data)
    if tokenizer is not None:
        tokenizer.save(Path(out) / TOKENIZER_DIR)
    mgr = checkpoint.manager(out)
    checkpoint.save(mgr, 0, nnx.state(model, nnx.Param))
    mgr.close()
