"""Sora and ChatGPT assembled behind one interface.

Both models are Flax NNX modules with the same three entry points:

    model(…)                                  teacher-forced forward, for training
    model.prefill(prompt_ids, prompt_mask, cache_len) -> (logits, state)
    model.step(state, token)                  -> (logits, state)

``prefill`` runs the prompt once and returns the logits of the first new token
(shape (B, V)) with the decoding state; ``step`` feeds one token per row and
returns the logits of the next one. Prompts are LEFT-padded: ``prompt_mask`` is
1 on real tokens, and each row's positions count its real tokens only
(``positions = cumsum(mask) - 1``), so a padded row decodes exactly as it would
alone. For ChatGPT the state is a preallocated key/value cache of ``cache_len``
slots plus a write index; for Sora it is the LSTM's (h, c) plus the encoder
outputs it attends over (constant size, whatever the number of new tokens).

The functional forms ``prefill(graphdef, params, …)`` and ``step(graphdef,
params, …)`` below are what ``decode.py`` jit-compiles and scans: parameters are
passed in explicitly, never captured by a closure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import jax
from flax import nnx

MODEL_NAMES = ("gpt", "sora")


@dataclass(frozen=True)
class ModelConfig:
    """Shape of a model. One dataclass serves both families.

    For ``gpt`` (ChatGPT) ``n_layers`` counts decoder blocks; for ``sora`` it
    counts encoder blocks, and the decoder is one LSTM of width ``d_lstm``.
    """

    model: str = "gpt"  # "gpt" (ChatGPT, causal decoder) or "sora" (encoder -> LSTM)
    vocab_size: int = 8000
    d_model: int = 128  # width C of the Transformer
    n_heads: int = 4
    n_layers: int = 4
    d_ff: int = 512  # feed-forward width (4 C in GPT-2 and BERT)
    max_len: int = 256  # size of the learned position table = longest context
    dropout: float = 0.0
    layer_norm_eps: float = 1e-5  # GPT-2: 1e-5; BERT: 1e-12
    # Sora only
    d_lstm: int = 128  # LSTM hidden size
    type_vocab_size: int = 2  # BERT segment embeddings
    pooler: bool = False  # BERT's tanh pooler on [CLS] (only to match BertModel)
    # compute
    dtype: str = "float32"  # compute dtype; parameters stay float32
    remat: bool = False  # rematerialise each block in the backward pass
    scan_layers: bool = False  # lax.scan over stacked blocks (flat compile time in depth)

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def replace(self, **changes) -> "ModelConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# Shapes by name. ``vocab_size`` is replaced by the tokenizer's when a run is made.
PRESETS: dict[str, dict] = {
    # ~1 M parameters with an 8k vocabulary: CPU tutorials, tests, the demo.
    "tiny": dict(d_model=96, n_heads=4, n_layers=2, d_ff=384, max_len=256, d_lstm=96),
    # nanoGPT's CPU "baby GPT" (shakespeare_char on a laptop).
    "baby": dict(vocab_size=65, d_model=128, n_heads=4, n_layers=4, d_ff=512, max_len=256, d_lstm=128),
    # GPT-2 small: 124,439,808 parameters with the tied head.
    "gpt2-small": dict(vocab_size=50257, d_model=768, n_heads=12, n_layers=12, d_ff=3072, max_len=1024, dropout=0.1),
    # BERT-base: 109,482,240 parameters in the encoder with its pooler.
    "bert-base": dict(
        vocab_size=30522, d_model=768, n_heads=12, n_layers=12, d_ff=3072, max_len=512,
        dropout=0.1, layer_norm_eps=1e-12, type_vocab_size=2, pooler=True, d_lstm=768,
    ),
}


def config_from_preset(model: str, preset: str, **overrides) -> ModelConfig:
    from .errors import UserError

    if model not in MODEL_NAMES:
        raise UserError(f"Unknown model {model!r}; choose one of: {', '.join(MODEL_NAMES)}.")
    if preset not in PRESETS:
        raise UserError(f"Unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}.")
    fields = dict(PRESETS[preset], model=model)
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return ModelConfig(**fields)


def create(config: ModelConfig, seed: int = 0) -> nnx.Module:
    """Build a freshly initialised model of ``config``."""
    rngs = nnx.Rngs(params=seed, dropout=seed + 1)
    if config.model == "gpt":
        from .decoder import ChatGPT

        return ChatGPT(config, rngs=rngs)
    if config.model == "sora":
        from .sora import Sora

        return Sora(config, rngs=rngs)
    raise ValueError(f"unknown model {config.model!r}")


def count_params(model_or_state) -> int:
    """Number of trainable parameters, counted from the built arrays."""
    state = nnx.state(model_or_state, nnx.Param) if isinstance(model_or_state, nnx.Module) else model_or_state
    return sum(x.size for x in jax.tree.leaves(state))


# --- the functional interface decode.py compiles -------------------------------------


def prefill(graphdef, params, prompt_ids, prompt_mask, cache_len: int):
    """(B, P) left-padded prompt -> (logits (B, V) of the first new token, state)."""
    model = nnx.merge(graphdef, params)
    return model.prefill(prompt_ids, prompt_mask, cache_len)


def step(graphdef, params, state, token):
    """One token per row (B,) -> (logits (B, V) of the next token, new state)."""
    model = nnx.merge(graphdef, params)
    return model.step(state, token)
