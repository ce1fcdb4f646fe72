"""A run directory as one object: ``minisora.load(RUN_DIR)``.

    RUN_DIR/config.json     {"model": ModelConfig, "train": TrainConfig or null, "data": {...}}
    RUN_DIR/tokenizer/      the tokenizer the run was trained with (absent in imported runs)
    RUN_DIR/checkpoints/    orbax checkpoints; ``load`` takes the newest good one
    RUN_DIR/metrics.jsonl   training log; RUN_DIR/loss.png its plot

``import-hf`` turns a Hugging Face GPT-2 or BERT folder into such a run (step 0).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
from flax import nnx

from . import checkpoint
from .errors import UserError
from .models import ModelConfig, create
from .tokenizer import BOS_ID


@dataclass
class Run:
    """A loaded run: the model with its trained parameters, its tokenizer and configs."""

    run_dir: Path
    config: ModelConfig
    train_config: dict | None
    tokenizer: object | None  # minisora.tokenizer.Tokenizer; None for imported runs
    model: nnx.Module
    step: int

    def split(self):
        """(graphdef, params, rest) for the functional, jit-compiled interface."""
        return nnx.split(self.model, nnx.Param, ...)

    def logits(self, ids, mask=None):
        """Teacher-forced logits (B, T, V) of token ids (B, T) or (T,).

        ChatGPT: logits[t] scores the token after ids[t]. Sora: the encoder's masked-LM logits
        (logits[t] reconstructs ids[t] from both sides), the output BERT itself has.
        """
        ids = jnp.atleast_2d(jnp.asarray(ids, jnp.int32))  # (B, T)
        mask = jnp.ones_like(ids) if mask is None else jnp.atleast_2d(jnp.asarray(mask, jnp.int32))
        graphdef, state = nnx.split(self.model)
        return _logits(graphdef, state, ids, mask, self.config.model)

    def generate(self, prompt="", **kwargs):
        """Sample a continuation of ``prompt`` (text): ``minisora.decode.generate_text(self, …)``."""
        from .decode import generate_text

        return generate_text(self, prompt, **kwargs)


@functools.partial(jax.jit, static_argnums=(0, 4))
def _logits(graphdef, state, ids, mask, kind: str):
    model = nnx.merge(graphdef, state)
    if kind == "gpt":
        return model(ids, deterministic=True)
    bos = jnp.full((ids.shape[0], 1), BOS_ID, jnp.int32)  # the decoder's output is not used here
    mlm_logits, _ = model(ids, mask, bos, deterministic=True)
    return mlm_logits


def read_config(run_dir) -> dict:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"There is no run directory at {run_dir}.")
    path = run_dir / "config.json"
    if not path.is_file():
        raise UserError(f"{run_dir} is not a minisora run (no config.json).")
    try:
        saved = json.loads(path.read_text())
        ModelConfig.from_dict(saved["model"])
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
        raise UserError(f"{path} is corrupt; it does not describe a model.") from None
    return saved


def load(run_dir) -> Run:
    """Config, tokenizer and the newest good checkpoint's parameters of ``run_dir``."""
    from .tokenizer import Tokenizer

    run_dir = Path(run_dir)
    saved = read_config(run_dir)
    config = ModelConfig.from_dict(saved["model"])
    tokenizer = Tokenizer.load(run_dir / "tokenizer") if (run_dir / "tokenizer").is_dir() else None
    model = create(config)
    step, params = checkpoint.restore_params(run_dir, nnx.state(model, nnx.Param))
    nnx.update(model, params)
    return Run(run_dir, config, saved.get("train"), tokenizer, model, step)


def write_run(out, model, config: ModelConfig, data: dict, tokenizer=None) -> None:
    """A run directory at step 0 holding ``model``'s parameters (no optimizer state)."""
    out = Path(out)
    if (out / "config.json").exists() or (out / checkpoint.CHECKPOINT_DIR).exists():
        raise UserError(f"{out} already holds a run; choose another --out.")
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps({"model": config.to_dict(), "train": None, "data": data}, indent=2) + "\n")
    if tokenizer is not None:
        tokenizer.save(out / "tokenizer")
    mgr = checkpoint.manager(out)
    checkpoint.save(mgr, 0, nnx.state(model, nnx.Param))
    mgr.close()


def import_hf_command(args) -> None:
    """``minisora import-hf``: a Hugging Face GPT-2 / BERT folder -> a run at step 0."""
    from . import hf_import

    source = Path(args.source)
    hf_config = source / "config.json"
    if not hf_config.is_file():
        raise UserError(f"{source} is not a Hugging Face model folder (no config.json).")
    kind = json.loads(hf_config.read_text()).get("model_type")
    readers = {"gpt2": hf_import.gpt2_from_hf, "bert": hf_import.bert_from_hf}
    if kind not in readers:
        raise UserError(f"{source} holds a {kind!r} model; import-hf reads gpt2 and bert.")
    config, params = readers[kind](source)
    model = create(config)
    state = nnx.state(model, nnx.Param)
    if isinstance(params, nnx.State):
        state = params
    else:  # a nested dict of arrays
        nnx.replace_by_pure_dict(state, params)
    nnx.update(model, state)
    write_run(args.out, model, config, {"imported_from": str(source), "hf_model_type": kind})
    print(f"imported {kind} from {source} -> {args.out} (its tokenizer is not a minisora tokenizer: pass ids)")
