"""A run directory as one object: ``minisora.load(RUN_DIR)``.

The files (config.json, tokenizer/, checkpoints/, metrics.jsonl) are described in
``training/rundir.py``; ``load`` takes the newest good checkpoint.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
from flax import nnx

from ..config import ModelConfig
from ..tokenizer import BOS_ID, Tokenizer
from ..training import rundir
from .chat import generate_text


@dataclass
class Run:
    """A loaded run: the model with its trained parameters, its tokenizer and configs."""

    run_dir: Path
    config: ModelConfig
    train_config: dict | None
    tokenizer: Tokenizer | None  # None for a run imported without a tokenizer.json
    model: nnx.Module
    step: int
    data: dict = field(default_factory=dict)  # config.json's "data": what the run was made from

    def logits(self, ids, mask=None):
        """Teacher-forced logits (B, T, V) of token ids (B, T) or (T,).

        ChatGPT: logits[t] scores the token after ids[t]. Sora: the encoder's masked-LM logits
        (logits[t] reconstructs ids[t] from both sides), the output BERT itself has.
        """
        ids = jnp.atleast_2d(jnp.asarray(ids, jnp.int32))  # (B, T)
        mask = jnp.ones_like(ids) if mask is None else jnp.atleast_2d(jnp.asarray(mask, jnp.int32))
        graphdef, state = nnx.split(self.model)
        return _logits(graphdef, state, ids, mask, self.config.family)

    def generate(self, prompt="", **kwargs):
        """The continuation of ``prompt`` (text; for a fine-tuned run, the answer), greedy unless a
        ``temperature`` > 0 is given, as `minisora chat` answers: ``inference.chat.generate_text(self, …)``."""
        return generate_text(self, prompt, **kwargs)


@functools.partial(jax.jit, static_argnums=(0, 4))
def _logits(graphdef, state, ids, mask, family: str):
    model = nnx.merge(graphdef, state)
    if family == "gpt":
        return model(ids, deterministic=True)
    bos = jnp.full((ids.shape[0], 1), BOS_ID, jnp.int32)  # the decoder's output is not used here
    mlm_logits, _ = model(ids, mask, bos, deterministic=True)
    return mlm_logits


def load(run_dir) -> Run:
    """Config, tokenizer and the newest good checkpoint's parameters of ``run_dir``."""
    run_dir = Path(run_dir)
    saved, config, model, step = rundir.load_model(run_dir)
    return Run(run_dir, config, saved.get("train"), rundir.load_tokenizer(run_dir), model, step, saved.get("data") or {})
