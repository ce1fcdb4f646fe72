"""The causal Transformer decoder ("ChatGPT"), in GPT-2's layout.

    h⁰ = E[x_t] + P[t]                                  token + learned position embeddings
    a  = hˡ⁻¹ + Attn(LN₁(hˡ⁻¹), causal mask)            pre-LN blocks, l = 1..N
    hˡ = a + W₂ GELU(W₁ LN₂(a) + b₁) + b₂               MLP of width 4C
    logits_t = LN_f(hᴺ_t) Eᵀ                            head tied to the token embedding

logits[t] is the model's guess of x_{t+1}; the causal mask lets position t see
positions ≤ t only, so one forward pass trains every position at once.
(The article's ``generate_text`` takes the argmax of every position of one such
pass: that scores the given text, it does not *generate* — generation feeds each
new token back in; see ``decode.py``.)

GPT-2's initialisation: every weight ~ N(0, 0.02²), biases 0, LayerNorm (1, 0), and
the two projections that write into the residual stream (attention output, MLP
W₂) ~ N(0, (0.02/√(2N))²), because 2N of them add up along the stream.

Decoding uses a key/value cache: ``prefill`` runs a LEFT-padded prompt once and
``step`` feeds one token per row (see models.py). A row's positions count its real
tokens only (cumsum(mask) − 1) and pad slots are masked out of attention, so a
padded row decodes exactly as the same prompt alone.

Options (ModelConfig): ``dtype`` is the compute dtype (parameters stay float32;
logits come back float32), ``remat`` recomputes each block in the backward pass
instead of storing its activations, ``scan_layers`` stacks the N blocks' weights
and runs them with one ``scan`` so compile time does not grow with depth.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import nnx
from jax import lax

from .attention import GPT2_INIT_STD, MultiHeadAttention, causal_mask, padding_mask
from .errors import UserError
from .models import ModelConfig


@jax.custom_vjp
def down_project(h, W):
    """y = h W for the MLP's projection back to the stream: h (N, 4C), W (4C, C) -> (N, C).

    The gradient is the usual one, ∂L/∂h = ∂L/∂y Wᵀ and ∂L/∂W = hᵀ ∂L/∂y, but the tall (4C, C)
    product is computed as the transpose of the wide (C, 4C) one, (∂L/∂yᵀ h)ᵀ: XLA:CPU's matmul
    makes the wide one ~1.5× faster, and a barrier keeps XLA from folding the transpose back in
    (~4 % of a baby-GPT train step). Same numbers as autodiff of ``h @ W``.
    """
    return h @ W


def _down_project_fwd(h, W):
    return h @ W, (h, W)


def _down_project_bwd(saved, dy):
    h, W = saved
    return dy @ W.T, lax.optimization_barrier(dy.T @ h).T


down_project.defvjp(_down_project_fwd, _down_project_bwd)


class Block(nnx.Module):
    """One pre-LN block: x + Attn(LN₁ x), then + MLP(LN₂ ·)."""

    def __init__(self, config: ModelConfig, *, rngs: nnx.Rngs):
        C, dtype = config.d_model, jnp.dtype(config.dtype)
        std, resid_std = GPT2_INIT_STD, GPT2_INIT_STD / math.sqrt(2 * config.n_layers)
        ln = lambda: nnx.LayerNorm(C, epsilon=config.layer_norm_eps, dtype=dtype, param_dtype=jnp.float32, rngs=rngs)
        self.ln_1 = ln()
        self.attn = MultiHeadAttention(
            C, config.n_heads, dropout=config.dropout, rngs=rngs, dtype=dtype, init_std=std, out_init_std=resid_std,
        )
        self.ln_2 = ln()
        self.fc = nnx.Linear(C, config.d_ff, kernel_init=nnx.initializers.normal(std),
                             dtype=dtype, param_dtype=jnp.float32, rngs=rngs)
        self.proj = nnx.Linear(config.d_ff, C, kernel_init=nnx.initializers.normal(resid_std),
                               dtype=dtype, param_dtype=jnp.float32, rngs=rngs)
        self.dropout = nnx.Dropout(config.dropout, rngs=rngs)

    def mlp(self, x, deterministic: bool):
        B, T, C = x.shape  # 2-D matmuls on (B·T, C) rows: their gradients are plain GEMMs (see attention.heads)
        h = jax.nn.gelu(self.fc(x.reshape(B * T, C)), approximate=True)  # (B·T, 4C); GPT-2's tanh GELU
        y = down_project(h, self.proj.kernel[...].astype(h.dtype)) + self.proj.bias[...].astype(h.dtype)  # W₂ h + b₂
        return self.dropout(y.reshape(B, T, C), deterministic=deterministic)  # (B, T, C)

    def __call__(self, x, mask, *, deterministic: bool = True):
        x = x + self.attn(self.ln_1(x), mask, deterministic=deterministic)
        return x + self.mlp(self.ln_2(x), deterministic)

    def cached(self, x, cache: dict, index, mask, layer=None):
        a, cache = self.attn.cached(self.ln_1(x), cache, index, mask, layer)
        x = x + a
        return x + self.mlp(self.ln_2(x), True), cache


class ChatGPT(nnx.Module):
    """GPT-2-style language model: ``model(ids) -> logits``, plus ``prefill`` / ``step``."""

    def __init__(self, config: ModelConfig, *, rngs: nnx.Rngs):
        self.config = config
        C, dtype = config.d_model, jnp.dtype(config.dtype)
        init = nnx.initializers.normal(GPT2_INIT_STD)
        self.wte = nnx.Embed(config.vocab_size, C, embedding_init=init, dtype=dtype, rngs=rngs)  # E (V, C)
        self.wpe = nnx.Embed(config.max_len, C, embedding_init=init, dtype=dtype, rngs=rngs)  # P (max_len, C)
        self.dropout = nnx.Dropout(config.dropout, rngs=rngs)
        if config.scan_layers:
            # N blocks built at once by vmap: every weight gets a leading axis of size N
            @nnx.split_rngs(splits=config.n_layers)
            @nnx.vmap(in_axes=0, out_axes=0)
            def stacked(rngs):
                return Block(config, rngs=rngs)

            self.blocks = stacked(rngs)
        else:
            self.blocks = nnx.List([Block(config, rngs=rngs) for _ in range(config.n_layers)])
        self.ln_f = nnx.LayerNorm(C, epsilon=config.layer_norm_eps, dtype=dtype, param_dtype=jnp.float32, rngs=rngs)

    # --- pieces ---------------------------------------------------------------------

    def _embed(self, ids, positions, deterministic: bool = True):
        if ids.shape[1] > self.config.max_len:
            raise UserError(
                f"A sequence of {ids.shape[1]} tokens is longer than this model's context of {self.config.max_len}."
            )
        x = self.wte(ids) + self.wpe(positions)  # (B, T, C)
        return self.dropout(x, deterministic=deterministic)

    def _head(self, h):
        h = self.ln_f(h)
        E = self.wte.embedding[...].astype(h.dtype)  # (V, C)
        B, T, C = h.shape
        return (h.reshape(B * T, C) @ E.T).reshape(B, T, -1).astype(jnp.float32)  # (B, T, V) logits = h Eᵀ

    def _blocks(self, x, mask, deterministic: bool):
        def layer(block, x):
            return block(x, mask, deterministic=deterministic)

        if self.config.remat:
            layer = nnx.remat(layer)
        if self.config.scan_layers:
            return nnx.scan(layer, in_axes=(0, nnx.Carry), out_axes=nnx.Carry)(self.blocks, x)
        for block in self.blocks:
            x = layer(block, x)
        return x

    def _blocks_cached(self, x, mask, cache: dict, index):
        """Run the blocks over new tokens x, extending the key/value cache in place.

        Plain layers keep one (B·H, S, D) buffer per layer, so each layer's attention
        reads its own buffer directly (a slice of a stacked array would be copied out
        every step). Scanned layers need one stacked (N, B·H, S, D) buffer; each layer
        writes its slots into it in place and reads its slice.
        """
        if self.config.scan_layers:
            def layer(block, carry, l):
                x, kv = carry
                return block.cached(x, kv, index, mask, layer=l)

            layers = jnp.arange(self.config.n_layers)
            carry = (x, {"k": cache["k"], "v": cache["v"]})
            return nnx.scan(layer, in_axes=(0, nnx.Carry, 0), out_axes=nnx.Carry)(self.blocks, carry, layers)
        ks, vs = [], []
        for block, k, v in zip(self.blocks, cache["k"], cache["v"]):
            x, kv = block.cached(x, {"k": k, "v": v}, index, mask)
            ks.append(kv["k"])
            vs.append(kv["v"])
        return x, {"k": tuple(ks), "v": tuple(vs)}

    # --- the model interface (see models.py) -----------------------------------------

    def __call__(self, ids, *, mask=None, deterministic: bool = True):
        """Teacher-forced logits: ids (B, T) -> (B, T, V), logits[:, t] predicts ids[:, t+1].

        ``mask`` (B, T), 1 on real tokens, is only needed for LEFT-padded rows: it
        shifts their positions and hides the pads (right padding needs no mask).
        """
        B, T = ids.shape
        if mask is None:
            positions, attn_mask = jnp.arange(T)[None, :], causal_mask(T)  # one (1, 1, T, T) mask for all layers
        else:
            positions = jnp.maximum(jnp.cumsum(mask, axis=1) - 1, 0)  # (B, T)
            attn_mask = causal_mask(T) & padding_mask(mask)  # (B, 1, T, T)
        x = self._embed(ids, positions, deterministic)
        return self._head(self._blocks(x, attn_mask, deterministic))

    def init_state(self, batch: int, cache_len: int) -> dict:
        """An empty decoding state: per-layer key/value slots plus bookkeeping."""
        c = self.config
        shape = (batch * c.n_heads, cache_len, c.head_dim)  # (B·H, S, D) per layer: see attention.py
        dtype = jnp.dtype(c.dtype)
        if c.scan_layers:  # one stacked (N, B·H, S, D) buffer for the scanned layers
            empty = lambda: jnp.zeros((c.n_layers, *shape), dtype)
        else:  # a tuple of N buffers
            empty = lambda: tuple(jnp.zeros(shape, dtype) for _ in range(c.n_layers))
        return {
            "k": empty(),
            "v": empty(),
            "index": jnp.zeros((), jnp.int32),  # next slot to write (the same for every row)
            "pos": jnp.zeros((batch,), jnp.int32),  # next position of each row
            "valid": jnp.ones((batch, cache_len), bool),  # False on the prompt's pad slots
        }

    def prefill(self, prompt_ids, prompt_mask, cache_len: int):
        """Left-padded prompt (B, P) -> (logits (B, V) of the first new token, state)."""
        B, P = prompt_ids.shape
        if cache_len > self.config.max_len:
            raise UserError(f"cache_len={cache_len} exceeds the model's context of {self.config.max_len} tokens.")
        if P > cache_len:
            raise UserError(f"The prompt has {P} tokens but the cache holds only {cache_len}.")
        state = self.init_state(B, cache_len)
        valid = state["valid"].at[:, :P].set(prompt_mask.astype(bool))  # (B, S)
        positions = jnp.maximum(jnp.cumsum(prompt_mask, axis=1) - 1, 0).astype(jnp.int32)  # (B, P)
        slots = jnp.arange(cache_len)
        # query p (slot p) sees the real slots 0..p
        mask = valid[:, None, None, :] & (slots[None, :] <= jnp.arange(P)[:, None])[None, None]  # (B, 1, P, S)
        x = self._embed(prompt_ids, positions)
        h, cache = self._blocks_cached(x, mask, state, 0)
        logits = self._head(h[:, -1:])[:, 0]  # (B, V): the last slot is real in a left-padded row
        state = dict(cache, index=jnp.asarray(P, jnp.int32), pos=positions[:, -1] + 1, valid=valid)
        return logits, state

    def step(self, state: dict, token):
        """One token per row (B,) -> (logits (B, V) of the next token, state)."""
        index, pos, valid = state["index"], state["pos"], state["valid"]
        S = valid.shape[1]
        mask = (valid & (jnp.arange(S) <= index)[None, :])[:, None, None, :]  # (B, 1, 1, S)
        x = self._embed(token[:, None], pos[:, None])  # (B, 1, C)
        h, cache = self._blocks_cached(x, mask, state, index)
        logits = self._head(h)[:, 0]  # (B, V)
        return logits, dict(cache, index=index + 1, pos=pos + 1, valid=valid)
