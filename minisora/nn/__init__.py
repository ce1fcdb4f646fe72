"""The models, read these first: Sora and ChatGPT behind one interface.

    attention.py   multi-head attention by hand: masks, positions, the key/value cache
    encoder.py     the bidirectional encoder (BERT's layout) and its masked-LM head
    lstm.py        the LSTM cell, gate by gate, and ``unroll`` (one ``lax.scan``)
    gpt.py         ChatGPT: the causal decoder (GPT-2's layout)
    sora.py        Sora: encoder -> attention-LSTM decoder -> vocabulary head
    layers.py      linear / layer_norm / embed / stacked blocks, built one way
    fast.py        the performance helpers the model files call by name

Both models are Flax NNX modules with the same three entry points:

    model(…)                                  teacher-forced forward, for training
    model.prefill(prompt_ids, prompt_mask, cache_len) -> (logits, state)
    model.step(state, token)                  -> (logits, state)
    model.insert(state, one, row)             -> state with a prefilled one-row state in ``row``

and ``attention_weights(model, *inputs)`` reads every layer's attention weights (for figures
and tests; nothing is kept otherwise).

``prefill`` runs the prompt once and returns the logits of the first new token
(shape (B, V)) with the decoding state; ``step`` feeds one token per row and
returns the logits of the next one. Prompts are LEFT-padded: ``prompt_mask`` is
1 on real tokens, and each row's positions count its real tokens only
(``positions = cumsum(mask) - 1``), so a padded row decodes exactly as it would
alone. For ChatGPT the state is a preallocated key/value cache of ``cache_len``
slots plus a write index; for Sora it is the LSTM's (h, c) plus the encoder
outputs it attends over (constant size, whatever the number of new tokens).

The functional forms ``prefill(graphdef, params, …)`` and ``step(graphdef,
params, …)`` below are what ``inference/decode.py`` jit-compiles and scans: parameters
are passed in explicitly, never captured by a closure.
"""

from __future__ import annotations

import functools

import jax
from flax import nnx

from ..config import ModelConfig
from .attention import attention_weights as attention_weights  # re-exported: the one way to read attention
from .fast import blocks_in_use as blocks_in_use  # re-exported: the engine recomputes a cut cache's blocks in use
from .gpt import ChatGPT
from .sora import Sora

FAMILY_CLASSES = {"gpt": ChatGPT, "sora": Sora}


def create(config: ModelConfig, seed: int = 0) -> nnx.Module:
    """Build a freshly initialised model of ``config`` (its ``family`` picks the class)."""
    if config.family not in FAMILY_CLASSES:
        raise ValueError(f"unknown model family {config.family!r}")
    return FAMILY_CLASSES[config.family](config, rngs=nnx.Rngs(params=seed, dropout=seed + 1))


def count_params(model_or_state) -> int:
    """Number of trainable parameters, counted from the built arrays."""
    state = nnx.state(model_or_state, nnx.Param) if isinstance(model_or_state, nnx.Module) else model_or_state
    return sum(x.size for x in jax.tree.leaves(state))


def prefill(graphdef, params, prompt_ids, prompt_mask, cache_len: int):
    """(B, P) left-padded prompt -> (logits (B, V) of the first new token, state)."""
    return nnx.merge(graphdef, params).prefill(prompt_ids, prompt_mask, cache_len)


def step(graphdef, params, state, token):
    """One token per row (B,) -> (logits (B, V) of the next token, new state)."""
    return nnx.merge(graphdef, params).step(state, token)


def insert(graphdef, params, state, one, row):
    """A prefilled one-row state ``one`` -> row ``row`` of the batch state ``state`` (a decode slot)."""
    return nnx.merge(graphdef, params).insert(state, one, row)


def empty_slots(graphdef, params, slots: int, length: int, blocks: int = 1):
    """A decoding state of ``slots`` rows that hold nothing yet, each with room for ``length``
    tokens: ChatGPT's cache slots, Sora's encoder outputs of a prompt up to ``length`` tokens.
    ``blocks`` > 1 cuts ChatGPT's cache into that many blocks of slots (``ChatGPT.cut_cache``)."""
    ids = jax.ShapeDtypeStruct((slots, length), "int32")
    _, shapes = jax.eval_shape(lambda p, i: prefill(graphdef, p, i, i, length), params, ids)
    state = jax.tree.map(lambda s: jax.numpy.zeros(s.shape, s.dtype), shapes)
    return nnx.merge(graphdef, params).cut_cache(state, blocks) if blocks > 1 else state


@functools.lru_cache(maxsize=32)
def abstract_split(config: ModelConfig):
    """``nnx.split`` of a model of ``config`` built with shapes only (nothing allocated or run).
    Cached per config: tracing a model's initialisation takes ~0.5 s, and a comparison asks for
    the same few shapes dozens of times (docs/performance.md, "The test suite"). Every caller gets
    the same objects: read them, never change them."""
    return nnx.split(nnx.eval_shape(lambda: create(config)))


def state_bytes(config: ModelConfig, prompt_len: int, new_tokens: int) -> int:
    """Bytes of one sequence's decoding state after a ``prompt_len`` prompt with room for
    ``new_tokens`` more (shapes only: nothing is allocated or run)."""
    # the position table is a parameter, not state: widen it so long caches can be sized
    config = config.replace(max_len=max(config.max_len, prompt_len + new_tokens))
    graphdef, params = abstract_split(config)
    ids = jax.ShapeDtypeStruct((1, prompt_len), "int32")
    _, state = jax.eval_shape(lambda p, i: prefill(graphdef, p, i, i, prompt_len + new_tokens), params, ids)
    return sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(state))
