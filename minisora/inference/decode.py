"""Autoregressive decoding: one ``lax.scan`` for both models.

A language model gives p(y_t | x, y_<t). Generation draws one token at a time and feeds it back:

    z_0, s_0 = prefill(x)                      run the prompt x once
    y_t ~ sample(z_t / T, top-k, top-p)        with key_t = fold_in(key, t)
    z_{t+1}, s_{t+1} = step(s_t, y_t)          one new token per row

The state s is ChatGPT's key/value cache (it grows with t) or Sora's LSTM (h, c) plus the
encoder outputs (it does not). The loop is a ``lax.scan`` over a fixed number of steps
carrying (s, y, done): no Python loop, one compile per (batch, prompt bucket, new tokens).
A row stops at a stop token (``</s>``); after it the scan keeps running (shapes are static)
but emits PAD, and ``generate`` cuts the row there. Prompts are LEFT-padded to a length
bucket (a power of two), so prompts of one bucket share a compiled loop, and every row of a
padded batch decodes as it would alone (positions count real tokens only).

The uncached reference re-runs the teacher-forced forward over the whole sequence every step
(as nanoGPT's ``generate`` does) in a buffer of fixed size: O(T) work per token instead of
O(1) for the LSTM or one row of attention for the cache. Tests check both give the same tokens.
"""

from __future__ import annotations

import math
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from .. import nn
from ..errors import UserError
from ..tokenizer import BOS_ID, EOS_ID, PAD_ID, pad_rows
from .sampling import (
    DEFAULT_MAX_NEW_TOKENS,
    DEFAULT_SEED,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    DEFAULT_TOP_P,
    sample,
)
from .sampling import greedy as argmax_token

MIN_BUCKET = 8  # shortest prompt bucket


class Sampling(NamedTuple):
    """Per-call sampling numbers, traced under jit (changing them does not recompile)."""

    temperature: jax.Array  # () float32; 0 = greedy
    top_k: jax.Array  # () int32; vocabulary size = off
    top_p: jax.Array  # () float32; 1.0 = off


def sampling_params(vocab_size: int, temperature: float = DEFAULT_TEMPERATURE, top_k: int | None = DEFAULT_TOP_K,
                    top_p: float | None = DEFAULT_TOP_P) -> Sampling:
    """Check the user's sampling flags and pack them as traced scalars."""
    if temperature is None or not temperature >= 0:  # also catches NaN
        raise UserError(f"Temperature must be 0 (greedy) or positive, not {temperature}.")
    if top_k is not None and top_k < 1:
        raise UserError(f"top-k must be at least 1, not {top_k}.")
    if top_p is not None and not 0 < top_p <= 1:
        raise UserError(f"top-p must be in (0, 1], not {top_p}.")
    k = vocab_size if top_k is None else min(top_k, vocab_size)
    return Sampling(np.float32(temperature), np.int32(k), np.float32(1.0 if top_p is None else top_p))


# --- the loop ------------------------------------------------------------------------------


def emit_token(z, t, done, key, sampling: Sampling, stop_ids, greedy: bool):
    """Token y_t (B,) from logits z_t (B, V); rows already done emit PAD. Returns (y_t, done)."""
    if greedy:  # a static choice: no sort, no random numbers
        y = argmax_token(z)
    else:
        y = sample(jax.random.fold_in(key, t), z, *sampling)
    y = jnp.where(done, PAD_ID, y)
    done = done | jnp.isin(y, stop_ids)
    return y, done


@partial(jax.jit, static_argnames=("graphdef", "cache_len", "greedy"))
def first_token(graphdef, params, prompt_ids, prompt_mask, key, sampling, stop_ids, *, cache_len, greedy):
    """Prefill and the first token: -> carry (state, y_0 (B,), done (B,))."""
    z, state = nn.prefill(graphdef, params, prompt_ids, prompt_mask, cache_len)  # z (B, V)
    done = jnp.zeros(prompt_ids.shape[0], bool)
    y, done = emit_token(z, 0, done, key, sampling, stop_ids, greedy)
    return state, y, done


@partial(jax.jit, static_argnames=("graphdef", "n", "greedy"), donate_argnames=("carry",))
def scan_steps(graphdef, params, carry, t0, key, sampling, stop_ids, *, n, greedy):
    """n steps of the scan from token index t0: carry -> (carry, tokens (B, n)).

    The carry is donated: its cache buffers are reused, so a streamed chunk updates them in place.
    """

    def body(carry, t):
        state, y, done = carry
        z, state = nn.step(graphdef, params, state, y)  # z (B, V)
        y, done = emit_token(z, t, done, key, sampling, stop_ids, greedy)
        return (state, y, done), y

    carry, ys = jax.lax.scan(body, carry, t0 + jnp.arange(n))  # ys (n, B)
    return carry, ys.T


@partial(jax.jit, static_argnames=("graphdef", "max_new_tokens", "greedy"))
def decode_cached(graphdef, params, prompt_ids, prompt_mask, key, sampling, stop_ids, *, max_new_tokens, greedy):
    """(B, P) left-padded prompts -> (B, N) new tokens, PAD after each row's stop token.

    Prefill, then N − 1 steps in one scan; the state (cache) lives in the scan's carry, so XLA
    updates it in place instead of stacking a copy per step.
    """
    N = max_new_tokens
    carry = first_token(graphdef, params, prompt_ids, prompt_mask, key, sampling, stop_ids,
                   cache_len=prompt_ids.shape[1] + N, greedy=greedy)
    y_0 = carry[1]
    _, ys = scan_steps(graphdef, params, carry, 1, key, sampling, stop_ids, n=N - 1, greedy=greedy)
    return jnp.concatenate([y_0[:, None], ys], axis=1)  # (B, N)


@partial(jax.jit, static_argnames=("graphdef", "max_new_tokens", "greedy"))
def decode_uncached(graphdef, params, prompt_ids, prompt_mask, key, sampling, stop_ids, *, max_new_tokens, greedy):
    """The reference: the full teacher-forced forward over a fixed-size buffer at every step."""
    model = nnx.merge(graphdef, params)
    B, P = prompt_ids.shape
    N = max_new_tokens
    rows = jnp.arange(B)
    if model.config.family == "gpt":
        # Left-align each prompt in a (B, P + N) buffer; causal attention never looks right,
        # so the unwritten tail does not change the logits we read.
        n_real = prompt_mask.sum(axis=1)  # (B,)
        shift = (jnp.arange(P)[None, :] + (P - n_real)[:, None]) % P  # rotate pads to the end
        buf = jnp.concatenate([jnp.take_along_axis(prompt_ids * prompt_mask, shift, axis=1),
                               jnp.zeros((B, N), prompt_ids.dtype)], axis=1)  # (B, P + N)

        def next_logits(buf, t):
            return model(buf, deterministic=True)[rows, n_real + t - 1]  # (B, V)

        def write(buf, y, t):
            return buf.at[rows, n_real + t].set(y)
    else:
        # Sora: the encoder reads the prompt, the decoder reads [BOS] y_0 … y_{N-2}.
        buf = jnp.zeros((B, N + 1), prompt_ids.dtype).at[:, 0].set(BOS_ID)  # (B, N + 1)

        def next_logits(buf, t):
            _, dec_logits = model(prompt_ids, prompt_mask, buf[:, :N], deterministic=True)  # (B, N, V)
            return dec_logits[:, t]

        def write(buf, y, t):
            return buf.at[:, t + 1].set(y)

    def body(carry, t):
        buf, done = carry
        y, done = emit_token(next_logits(buf, t), t, done, key, sampling, stop_ids, greedy)
        return (write(buf, y, t), done), y

    _, ys = jax.lax.scan(body, (buf, jnp.zeros(B, bool)), jnp.arange(N))  # ys (N, B)
    return ys.T


# --- prompts: fit, bucket, pad ----------------------------------------------------------------


def prompt_room(config, max_new_tokens: int) -> int:
    """Longest prompt that fits: ChatGPT's cache holds prompt + new tokens in ``max_len``
    positions; Sora's encoder holds ``max_len`` prompt tokens (its LSTM has no length limit)."""
    if config.family == "gpt":
        room = config.max_len - max_new_tokens
        if room < 1:
            raise UserError(
                f"max_new_tokens={max_new_tokens} leaves no room for a prompt in this model's context of "
                f"{config.max_len} tokens; use at most {config.max_len - 1} (or pretrain with a longer --context).")
        return room
    return config.max_len


def bucket(length: int, room: int) -> int:
    """The prompt bucket: the next power of two ≥ length (at least MIN_BUCKET), capped at ``room``."""
    return min(room, max(MIN_BUCKET, 1 << math.ceil(math.log2(max(length, 1)))))


def fit_prompts(prompts, room: int, start_id: int | None = BOS_ID):
    """Empty prompts become [start_id] (<s>); long ones keep their last ``room`` tokens. -> (prompts, truncated)."""
    out, truncated = [], False
    for p in prompts:
        p = [int(i) for i in p]
        if not p:
            if start_id is None:
                raise UserError("The prompt is empty, and this tokenizer has no <s> token to start from.")
            p = [start_id]
        if len(p) > room:
            p, truncated = p[-room:], True
        out.append(p)
    return out, truncated


def cut_at_stop(row, stop_ids) -> list[int]:
    """A row of new tokens up to (not including) its first stop token."""
    row = [int(y) for y in row]
    for i, y in enumerate(row):
        if y in stop_ids:
            return row[:i]
    return row


def prepare(prompts, config, max_new_tokens, temperature, top_k, top_p, warn, start_id=BOS_ID):
    """Check the flags, fit and pad the prompts: -> (ids (B, P), mask (B, P), Sampling)."""
    if max_new_tokens is None or max_new_tokens < 1:
        raise UserError(f"max_new_tokens must be at least 1, not {max_new_tokens}.")
    sampling = sampling_params(config.vocab_size, temperature, top_k, top_p)
    if float(temperature) == 0.0 and (top_k is not None or top_p is not None) and warn is not None:
        warn("Temperature 0 is greedy, so --top-k and --top-p change nothing; add --temperature 0.8 (or 1) to sample.")
    room = prompt_room(config, max_new_tokens)
    prompts, truncated = fit_prompts(prompts, room, start_id)
    if truncated and warn is not None:
        warn(f"The prompt is longer than the {room} tokens that fit; keeping its last {room}.")
    ids, mask = pad_rows(prompts, bucket(max(map(len, prompts)), room), left=True)
    return ids, mask, sampling


def generate(graphdef, params, prompts, config, *, max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
             temperature: float = DEFAULT_TEMPERATURE, top_k: int | None = DEFAULT_TOP_K,
             top_p: float | None = DEFAULT_TOP_P, seed: int = DEFAULT_SEED, stop_ids=(EOS_ID,),
             start_id: int | None = BOS_ID, cached: bool = True, warn=None) -> list[list[int]]:
    """Decode a batch of prompts (lists of ids, any lengths) -> the new ids of each, stop token cut.

    ``config`` is the model's ModelConfig (for ``max_len`` and ``vocab_size``); the sampling
    defaults (greedy) are sampling.py's, which every entry point shares. ``warn`` is called with a
    sentence if a prompt had to be cut to fit the context, or if top-k / top-p come with greedy
    decoding. ``stop_ids`` and ``start_id``
    (what an empty prompt becomes) are the tokenizer's </s> and <s>: ``chat.special_args(tok)``.
    """
    ids, mask, sampling = prepare(prompts, config, max_new_tokens, temperature, top_k, top_p, warn, start_id)
    run = decode_cached if cached else decode_uncached
    ys = run(graphdef, params, ids, mask, jax.random.key(seed), sampling, np.asarray(stop_ids, np.int32),
             max_new_tokens=max_new_tokens, greedy=float(temperature) == 0.0)
    return [cut_at_stop(row, set(stop_ids)) for row in np.asarray(ys)]


def stream(graphdef, params, prompts, config, *, max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
           temperature: float = DEFAULT_TEMPERATURE, top_k: int | None = DEFAULT_TOP_K,
           top_p: float | None = DEFAULT_TOP_P, seed: int = DEFAULT_SEED, stop_ids=(EOS_ID,),
           start_id: int | None = BOS_ID, chunk: int = 16, warn=None):
    """Like ``generate`` but yields the new tokens as they come: arrays (B, n) of a few steps each.

    The same scan body as ``decode_cached``, run ``chunk`` steps per jitted call from Python, with
    the state donated between calls. Stops early once every row has hit a stop token. Rows that
    are done yield PAD; the caller cuts them at their stop token.
    """
    ids, mask, sampling = prepare(prompts, config, max_new_tokens, temperature, top_k, top_p, warn, start_id)
    key, stops, greedy = jax.random.key(seed), np.asarray(stop_ids, np.int32), float(temperature) == 0.0
    carry = first_token(graphdef, params, ids, mask, key, sampling, stops,
                   cache_len=ids.shape[1] + max_new_tokens, greedy=greedy)
    return _chunks(graphdef, params, carry, key, sampling, stops, max_new_tokens, chunk, greedy)


def _chunks(graphdef, params, carry, key, sampling, stops, max_new_tokens, chunk, greedy):
    """The generator behind ``stream`` (so that ``stream`` checks its input before the first yield)."""
    yield np.asarray(carry[1])[:, None]
    t = 1
    while t < max_new_tokens and not bool(np.all(carry[2])):
        n = min(chunk, max_new_tokens - t)
        carry, ys = scan_steps(graphdef, params, carry, t, key, sampling, stops, n=n, greedy=greedy)
        yield np.asarray(ys)
        t += n
