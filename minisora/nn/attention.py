"""Multi-head scaled dot-product attention, written out by hand.

For each head h (of H heads, each of width D = C / H):

    Q_h = X W_q,h    K_h = X W_k,h    V_h = X W_v,h
    A_h = softmax( Q_h K_hᵀ / √D  +  M )          (B, Tq, Tk)
    head_h = A_h V_h
    Y = concat_h(head_h) W_o

M is 0 where a query may look at a key and "minus infinity" where it may not.
We never add a small constant like -1e9 (it overflows to -inf in float16 and is
not small enough for large logits); masked scores are *replaced* by the most
negative finite value of the dtype, ``jnp.finfo(dtype).min``. After softmax's
max-subtraction they become exp(very negative) = 0 exactly, and a row whose keys
are all masked gives a finite uniform row instead of NaN.

Masks here are booleans, True = "may attend", broadcastable to (B, H, Tq, Tk):
``causal_mask(T)`` for a decoder, ``padding_mask(mask)`` for padded batches; combine
them with ``&``.

Key/value cache (decoding): keys and values of past tokens never change, so a
decoder keeps them in a preallocated buffer of S slots per layer, {"k": (B·H, S, D),
"v": (B·H, S, D)} (row b's head h is entry b·H + h), and writes the new tokens'
keys/values at a write index with ``lax.dynamic_update_slice``. Shapes stay static, so
one compiled step serves every position, and under ``jit`` / ``lax.scan`` the update
happens in place. The same call serves prefill (T new tokens at index 0) and one-token
steps (T = 1). The heads are folded into the batch axis so that attention reads the
buffer exactly as it is stored (no copy per step; see docs/performance.md, "Decoding").

The projections W_q, W_k, W_v are one fused ``nnx.Linear(C, 3C)`` (one matmul
instead of three; columns ordered [q | k | v], each head-major), exactly GPT-2's
``c_attn``; BERT's separate query/key/value weights concatenate into it.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import nnx
from jax import lax

from .fast import attend_blocks, dense_rows, write_blocks

GPT2_INIT_STD = 0.02  # GPT-2 and BERT both draw weights from N(0, 0.02²)


def positions_from_mask(mask):
    """(B, T) padding mask -> (B, T) positions: 0, 1, 2, … over each row's real tokens (pads get 0).

    p_t = cumsum(m)_t − 1: a LEFT-padded row then has the positions it would have alone.
    """
    return jnp.maximum(jnp.cumsum(mask, axis=1) - 1, 0).astype(jnp.int32)


def causal_mask(T: int) -> jax.Array:
    """(1, 1, T, T) bool: query t may attend to keys 0..t (lower triangle)."""
    return jnp.tril(jnp.ones((T, T), dtype=bool))[None, None]


def padding_mask(mask: jax.Array) -> jax.Array:
    """Key mask (B, Tk) of 1 = real token, 0 = padding  ->  (B, 1, 1, Tk) bool."""
    return mask.astype(bool)[:, None, None, :]


def attention_probs(q, k, mask=None):
    """A = softmax(q kᵀ / √D, masked) for q (B, H, Tq, D), k (B, H, Tk, D) -> (B, H, Tq, Tk).

    Any leading axes work the same way. ``mask`` (bool, True = attend) broadcasts to
    (B, H, Tq, Tk); masked keys get weight 0. Computed in at least float32 whatever the
    input dtype; each row sums to 1.
    """
    D = q.shape[-1]
    q = q * jnp.asarray(1.0 / math.sqrt(D), q.dtype)  # scale the (smaller) query, not the scores
    s = jnp.einsum("...qd,...kd->...qk", q, k)  # (B, H, Tq, Tk)
    s = s.astype(jnp.promote_types(s.dtype, jnp.float32))
    if mask is not None:
        s = jnp.where(mask, s, jnp.finfo(s.dtype).min)
    return jax.nn.softmax(s, axis=-1)  # (B, H, Tq, Tk), rows sum to 1


def attention(q, k, v, mask=None, *, dropout=None, deterministic: bool = True):
    """softmax(q kᵀ / √D, masked) v for q (B, H, Tq, D), k and v (B, H, Tk, D) -> (B, H, Tq, D).

    Any leading axes work the same way (the cache passes (B·H, T, D)). ``mask`` (bool,
    True = attend) broadcasts to (B, H, Tq, Tk). ``dropout`` is an
    optional ``nnx.Dropout`` applied to the attention weights (as GPT-2 and BERT do).
    Scores and softmax are computed in at least float32 whatever the input dtype.
    """
    a = attention_probs(q, k, mask).astype(v.dtype)  # (B, H, Tq, Tk)
    if dropout is not None:
        a = dropout(a, deterministic=deterministic)
    return jnp.einsum("...qk,...kd->...qd", a, v)  # (B, H, Tq, D)


def write_cache(cache: dict, k, v, index, layer=None) -> dict:
    """Write new keys/values k, v (B·H, T, D) into slots index..index+T-1 of the cache.

    With ``layer`` the cache is the stack of all layers, (N, B·H, S, D), and the write
    goes straight into layer ``layer``'s slots: one in-place update of the stacked
    buffer, where reading out slice l and writing it back would copy it every step.
    """
    at = (0, index, 0) if layer is None else (layer, 0, index, 0)
    if layer is not None:
        k, v = k[None], v[None]  # (1, B·H, T, D)
    return {
        "k": lax.dynamic_update_slice(cache["k"], k.astype(cache["k"].dtype), at),
        "v": lax.dynamic_update_slice(cache["v"], v.astype(cache["v"].dtype), at),
    }


class MultiHeadAttention(nnx.Module):
    """Self-attention with H heads over a width-C stream.

    ``qkv`` is the fused (C, 3C) projection [W_q | W_k | W_v], ``out`` is W_o (C, C).
    Weights start at N(0, 0.02²) and biases at 0; ``out_init_std`` lets GPT-2 shrink
    the residual projection to 0.02 / √(2N). Parameters are float32; ``dtype`` is the
    compute dtype. Dropout (rate ``dropout``) is applied to the attention weights and
    to the output, as in GPT-2 and BERT.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        *,
        dropout: float = 0.0,
        rngs: nnx.Rngs,
        dtype=jnp.float32,
        init_std: float = GPT2_INIT_STD,
        out_init_std: float | None = None,
    ):
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        out_std = init_std if out_init_std is None else out_init_std
        self.qkv = nnx.Linear(
            d_model, 3 * d_model, kernel_init=nnx.initializers.normal(init_std),
            dtype=dtype, param_dtype=jnp.float32, rngs=rngs,
        )
        self.out = nnx.Linear(
            d_model, d_model, kernel_init=nnx.initializers.normal(out_std),
            dtype=dtype, param_dtype=jnp.float32, rngs=rngs,
        )
        self.attn_dropout = nnx.Dropout(dropout, rngs=rngs)
        self.out_dropout = nnx.Dropout(dropout, rngs=rngs)
        self.keep_weights = False  # True only inside attention_weights(): A is not kept otherwise

    def heads(self, x):
        """x (B, T, C) -> q, k, v, each (B, H, T, D): one matmul, then heads to the front."""
        B, T, C = x.shape
        qkv = dense_rows(self.qkv, x).reshape(B, T, 3, self.n_heads, self.head_dim)  # (B, T, 3, H, D)
        q, k, v = (t[:, :, 0].transpose(0, 2, 1, 3) for t in jnp.split(qkv, 3, axis=2))  # (B, H, T, D) each
        return q, k, v

    def merge(self, y, *, deterministic: bool = True):
        """Concatenate heads and project: y (B, H, T, D) -> (B, T, C)."""
        B, H, T, D = y.shape
        y = y.transpose(0, 2, 1, 3).reshape(B, T, H * D)  # (B, T, C)
        return self.out_dropout(dense_rows(self.out, y), deterministic=deterministic)  # (B, T, C)

    def __call__(self, x, mask=None, *, deterministic: bool = True):
        """Self-attention over x (B, T, C) with a boolean mask broadcastable to (B, H, T, T)."""
        q, k, v = self.heads(x)
        a = attention_probs(q, k, mask).astype(v.dtype)  # A_h (B, H, T, T)
        if self.keep_weights:
            self.sow(nnx.Intermediate, "weights", a)
        y = jnp.einsum("...qk,...kd->...qd", self.attn_dropout(a, deterministic=deterministic), v)  # (B, H, T, D)
        return self.merge(y, deterministic=deterministic)

    def cached(self, x, cache: dict, index, mask=None, layer=None):
        """Attend from T new tokens x (B, T, C) written at slots index..index+T-1.

        ``cache`` is {"k", "v"} of (B·H, S, D), or the (N, B·H, S, D) stack of all
        layers when ``layer`` says which one is ours, or (for one token, T = 1) tuples of
        blocks of slots with ``used`` saying which blocks any row reads (``fast.attend_blocks``);
        ``mask`` (bool) broadcasts to (B, H, T, S) and must exclude unwritten slots (the
        caller's causal mask over slots does). Returns (y (B, T, C), updated cache). No dropout: this is inference.
        """
        q, k, v = self.heads(x)  # (B, H, T, D)
        B, H, T, D = q.shape
        fold = lambda t: t.reshape(B * H, *t.shape[2:])  # (B, H, ...) -> (B·H, ...)
        if isinstance(cache["k"], tuple):  # a server's cache cut into blocks of slots, one new token
            ks, vs = write_blocks(cache["k"], fold(k), index), write_blocks(cache["v"], fold(v), index)
            S = sum(b.shape[-2] for b in ks)
            mask = fold(jnp.broadcast_to(mask, (B, H, T, S)))  # (B·H, T, S)
            y = attend_blocks(fold(q), ks, vs, mask, cache["used"])  # (B·H, T, D)
            return self.merge(y.reshape(B, H, T, D)), dict(cache, k=ks, v=vs)
        S = cache["k"].shape[-2]
        cache = write_cache(cache, fold(k), fold(v), index, layer)
        K, V = (cache["k"], cache["v"]) if layer is None else (cache["k"][layer], cache["v"][layer])  # (B·H, S, D)
        mask = None if mask is None else fold(jnp.broadcast_to(mask, (B, H, T, S)))  # (B·H, T, S)
        y = attention(fold(q), K.astype(q.dtype), V.astype(q.dtype), mask)  # (B·H, T, D)
        return self.merge(y.reshape(B, H, T, D)), cache


def attention_weights(model: nnx.Module, *inputs, **options) -> dict:
    """Run ``model(*inputs, **options)`` once and return the attention weights of every layer.

        ChatGPT:  attention_weights(gpt, ids, mask=mask)          causal self-attention
        Sora:     attention_weights(sora, src, src_mask, dec_in)  the encoder's, and the decoder's over the prompt

    -> {path of the attention module: A (B, H, Tq, Tk)}, float32: ``"blocks/l/attn"`` for ChatGPT's
    layers, ``"encoder/blocks/l/attn"`` for Sora's encoder and ``"cell"`` for its decoder, whose one
    head has a row per decoder input (row t: the step that writes y_{t+1} from dec_in[t]) and a
    column per prompt token. Each row sums to 1 over the keys it may see; masked keys get 0.

    Only this call keeps the weights (each module's ``keep_weights`` is on for it alone, and the
    values are collected with Flax's ``nnx.capture``): training and decoding never store a (T × T)
    array per head. The model runs in eval mode (no dropout) and its outputs are unchanged.
    """
    keepers = [m for _, m in nnx.iter_modules(model) if hasattr(m, "keep_weights")]
    for m in keepers:
        m.keep_weights = True
    try:
        _, kept = nnx.capture(model, nnx.Intermediate)(*inputs, **options)
    finally:
        for m in keepers:
            m.keep_weights = False
    weights = {}
    for path, value in nnx.to_flat_state(kept):
        (a,) = value.get_value()  # sow keeps a tuple, one entry per call; each module runs once
        module = path[:-1]  # the path ends with the name "weights"
        if a.ndim == 5:  # scan_layers: one (N, B, H, Tq, Tk) stack for the N blocks -> one entry per block
            at = module.index("blocks") + 1
            weights.update({"/".join(map(str, module[:at] + (l,) + module[at:])): a[l] for l in range(len(a))})
        else:
            weights["/".join(map(str, module))] = a
    return {name: a.astype(jnp.float32) for name, a in weights.items()}
