"""The causal Transformer decoder ("ChatGPT"), in GPT-2's layout.

    h⁰ = E[x_t] + P[t]                                  token + learned position embeddings
    a  = hˡ⁻¹ + Attn(LN₁(hˡ⁻¹), causal mask)            pre-LN blocks, l = 1..N
    hˡ = a + W₂ GELU(W₁ LN₂(a) + b₁) + b₂               MLP of width 4C
    logits_t = LN_f(hᴺ_t) Eᵀ                            head tied to the token embedding

logits[t] is the model's guess of x_{t+1}; the causal mask lets position t see
positions ≤ t only, so one forward pass trains every position at once.
(The article's ``generate_text`` takes the argmax of every position of one such
pass: that scores the given text, it does not *generate* — generation feeds each
new token back in; see ``inference/decode.py``.)

GPT-2's initialisation: every weight ~ N(0, 0.02²), biases 0, LayerNorm (1, 0), and
the two projections that write into the residual stream (attention output, MLP
W₂) ~ N(0, (0.02/√(2N))²), because 2N of them add up along the stream.

Decoding uses a key/value cache: ``prefill`` runs a LEFT-padded prompt once and
``step`` feeds one token per row (the interface of ``nn/__init__.py``). A row's
positions count its real tokens only and pad slots are masked out of attention, so a
padded row decodes exactly as the same prompt alone.

Parameter names: ``tok_embed`` (E), ``pos_embed`` (P), ``blocks/l/{ln1, attn, ln2, fc1, fc2}``,
``ln_f`` — the scheme the encoder and Sora share (tools/hf.py maps it to GPT-2's names).
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

from ..config import ModelConfig
from ..errors import UserError
from .attention import GPT2_INIT_STD, MultiHeadAttention, causal_mask, padding_mask, positions_from_mask
from .fast import block_mask, block_starts, blocks_in_use, cut_slots, dense_rows, down_project
from .layers import embed, layer_norm, linear, run_blocks, stack_blocks


class Block(nnx.Module):
    """One pre-LN block: x + Attn(LN₁ x), then + MLP(LN₂ ·)."""

    def __init__(self, config: ModelConfig, *, rngs: nnx.Rngs):
        C = config.d_model
        std, resid_std = GPT2_INIT_STD, GPT2_INIT_STD / math.sqrt(2 * config.n_layers)
        self.ln1 = layer_norm(config, rngs)
        self.attn = MultiHeadAttention(C, config.n_heads, dropout=config.dropout, rngs=rngs,
                                       dtype=jnp.dtype(config.dtype), init_std=std, out_init_std=resid_std)
        self.ln2 = layer_norm(config, rngs)
        self.fc1 = linear(C, config.d_ff, config, rngs, std=std)  # W₁
        self.fc2 = linear(config.d_ff, C, config, rngs, std=resid_std)  # W₂
        self.dropout = nnx.Dropout(config.dropout, rngs=rngs)

    def mlp(self, x, deterministic: bool = True):
        """W₂ GELU(W₁ x + b₁) + b₂, GPT-2's tanh GELU: (B, T, C) -> (B, T, 4C) -> (B, T, C)."""
        h = jax.nn.gelu(dense_rows(self.fc1, x), approximate=True)  # (B, T, 4C)
        W2, b2 = self.fc2.kernel[...].astype(h.dtype), self.fc2.bias[...].astype(h.dtype)
        y = down_project(h.reshape(-1, h.shape[-1]), W2).reshape(x.shape) + b2  # (B, T, C)
        return self.dropout(y, deterministic=deterministic)

    def __call__(self, x, mask, *, deterministic: bool = True):
        x = x + self.attn(self.ln1(x), mask, deterministic=deterministic)
        return x + self.mlp(self.ln2(x), deterministic)

    def cached(self, x, cache: dict, index, mask, layer=None):
        """The same block over new tokens, reading and extending the key/value cache."""
        a, cache = self.attn.cached(self.ln1(x), cache, index, mask, layer)
        x = x + a
        return x + self.mlp(self.ln2(x)), cache


class ChatGPT(nnx.Module):
    """GPT-2-style language model: ``model(ids) -> logits``, plus ``prefill`` / ``step``."""

    def __init__(self, config: ModelConfig, *, rngs: nnx.Rngs):
        self.config = config
        self.tok_embed = embed(config.vocab_size, config, rngs)  # E (V, C)
        self.pos_embed = embed(config.max_len, config, rngs)  # P (max_len, C)
        self.dropout = nnx.Dropout(config.dropout, rngs=rngs)
        self.blocks = stack_blocks(lambda rngs: Block(config, rngs=rngs), config, rngs)
        self.ln_f = layer_norm(config, rngs)

    # --- pieces ---------------------------------------------------------------------

    def embed(self, ids, positions, deterministic: bool = True):
        """h⁰ = E[x_t] + P[p_t]: ids and positions (B, T) -> (B, T, C)."""
        if ids.shape[1] > self.config.max_len:
            raise UserError(
                f"A sequence of {ids.shape[1]} tokens is longer than this model's context of {self.config.max_len}."
            )
        x = self.tok_embed(ids) + self.pos_embed(positions)  # (B, T, C)
        return self.dropout(x, deterministic=deterministic)

    def head(self, h):
        """logits = LN_f(h) Eᵀ: (B, T, C) -> (B, T, V), float32."""
        E = self.tok_embed.embedding[...].astype(h.dtype)  # (V, C)
        h = self.ln_f(h)
        return (h.reshape(-1, h.shape[-1]) @ E.T).reshape(*h.shape[:-1], -1).astype(jnp.float32)

    def blocks_cached(self, x, mask, cache: dict, index):
        """Run the blocks over new tokens x, extending the key/value cache in place.

        Plain layers keep one (B·H, S, D) buffer per layer, so each layer's attention
        reads its own buffer directly. Scanned layers need one stacked (N, B·H, S, D)
        buffer; each layer writes its slots into it in place and reads its slice.
        """
        if self.config.scan_layers:
            def layer(block, carry, l):
                x, kv = carry
                return block.cached(x, kv, index, mask, layer=l)

            layers = jnp.arange(self.config.n_layers)
            carry = (x, {"k": cache["k"], "v": cache["v"]})
            return nnx.scan(layer, in_axes=(0, nnx.Carry, 0), out_axes=nnx.Carry)(self.blocks, carry, layers)
        ks, vs = [], []
        used = {"used": cache["used"]} if "used" in cache else {}  # a cache cut into blocks (cut_cache)
        for block, k, v in zip(self.blocks, cache["k"], cache["v"]):
            x, kv = block.cached(x, {"k": k, "v": v, **used}, index, mask)
            ks.append(kv["k"])
            vs.append(kv["v"])
        return x, {"k": tuple(ks), "v": tuple(vs)}

    # --- the model interface (nn/__init__.py) -----------------------------------------

    def __call__(self, ids, *, mask=None, deterministic: bool = True):
        """Teacher-forced logits: ids (B, T) -> (B, T, V), logits[:, t] predicts ids[:, t+1].

        ``mask`` (B, T), 1 on real tokens, is only needed for LEFT-padded rows: it
        shifts their positions and hides the pads (right padding needs no mask).
        """
        T = ids.shape[1]
        if mask is None:
            positions, attn_mask = jnp.arange(T)[None, :], causal_mask(T)  # one (1, 1, T, T) mask for all layers
        else:
            positions, attn_mask = positions_from_mask(mask), causal_mask(T) & padding_mask(mask)  # (B, 1, T, T)
        x = self.embed(ids, positions, deterministic)
        layer = lambda block, x: block(x, attn_mask, deterministic=deterministic)  # noqa: E731
        return self.head(run_blocks(layer, self.blocks, x, self.config))

    def init_state(self, batch: int, cache_len: int) -> dict:
        """An empty decoding state: per-layer key/value slots plus bookkeeping."""
        c = self.config
        shape = (batch * c.n_heads, cache_len, c.head_dim)  # (B·H, S, D) per layer: see attention.py
        dtype = jnp.dtype(c.dtype)
        if c.scan_layers:  # one stacked (N, B·H, S, D) buffer for the scanned layers
            empty = lambda: jnp.zeros((c.n_layers, *shape), dtype)  # noqa: E731
        else:  # a tuple of N buffers
            empty = lambda: tuple(jnp.zeros(shape, dtype) for _ in range(c.n_layers))  # noqa: E731
        return {
            "k": empty(),
            "v": empty(),
            "index": jnp.zeros((), jnp.int32),  # next slot to write (the same for every row)
            "pos": jnp.zeros((batch,), jnp.int32),  # next position of each row
            "valid": jnp.zeros((batch, cache_len), bool),  # True on the slots a row may attend to
        }

    def prefill(self, prompt_ids, prompt_mask, cache_len: int):
        """Left-padded prompt (B, P) -> (logits (B, V) of the first new token, state)."""
        B, P = prompt_ids.shape
        if cache_len > self.config.max_len:
            raise UserError(f"cache_len={cache_len} exceeds the model's context of {self.config.max_len} tokens.")
        if P > cache_len:
            raise UserError(f"The prompt has {P} tokens but the cache holds only {cache_len}.")
        state = self.init_state(B, cache_len)
        valid = state["valid"].at[:, :P].set(prompt_mask.astype(bool))  # (B, S): the prompt's real tokens
        positions = positions_from_mask(prompt_mask)  # (B, P)
        slots = jnp.arange(cache_len)
        # query p (slot p) sees the real slots 0..p
        mask = valid[:, None, None, :] & (slots[None, :] <= jnp.arange(P)[:, None])[None, None]  # (B, 1, P, S)
        h, cache = self.blocks_cached(self.embed(prompt_ids, positions), mask, state, 0)
        logits = self.head(h[:, -1:])[:, 0]  # (B, V): the last slot is real in a left-padded row
        state = dict(cache, index=jnp.asarray(P, jnp.int32), pos=positions[:, -1] + 1, valid=valid)
        return logits, state

    def insert(self, state: dict, one: dict, row):
        """Put a prefilled one-row state ``one`` (prompt of P slots) into row ``row`` of ``state``
        (a server's decode slots): its keys/values go into the P slots just before the write index,
        taken as a ring, and the row forgets the slots of whatever it held before."""
        H, S, P = self.config.n_heads, state["valid"].shape[1], one["valid"].shape[1]
        if P > S:
            raise UserError(f"A prompt of {P} tokens does not fit a cache of {S}.")
        cols = (state["index"] - P + jnp.arange(P)) % S  # (P,)
        heads = row * H + jnp.arange(H)  # (H,): the row's entries b·H + h

        def put(buf, new, start=0):  # (…, B·H, S, D) <- (…, H, P, D); "…" is the layer axis when stacked
            at = cols - start  # slots past the buffer (another block's) are dropped
            at = jnp.where((at >= 0) & (at < buf.shape[-2]), at, buf.shape[-2])
            return buf.at[..., heads[:, None], at[None, :], :].set(new.astype(buf.dtype), mode="drop")

        def put_layer(buf, new):  # one layer's buffer, or its blocks of slots (cut_cache)
            if isinstance(buf, tuple):
                return tuple(put(b, new, start) for start, b in zip(block_starts(buf), buf))
            return put(buf, new)

        def put_all(name):  # a tuple of layers, or the stack of scanned layers
            if isinstance(state[name], tuple):
                return tuple(map(put_layer, state[name], one[name]))
            return put(state[name], one[name])

        valid = state["valid"].at[row].set(False).at[row, cols].set(one["valid"][0, :P])
        new = dict(state, k=put_all("k"), v=put_all("v"), valid=valid, pos=state["pos"].at[row].set(one["pos"][0]))
        if "used" in state:  # the new row's blocks are read from now on
            new["used"] = state["used"] | blocks_in_use(valid[row][None], state["k"][0])
        return new

    def step(self, state: dict, token):
        """One token per row (B,) -> (logits (B, V) of the next token, state).

        The token goes into slot ``index mod S`` and each row attends to its ``valid`` slots. The
        order of the slots does not matter (positions are in the embeddings, not in the slots), so
        the cache may be used as a ring: a server's decode slots start at different times
        (inference/engine.py), and each request keeps its own last S slots.
        """
        index, pos = state["index"], state["pos"]
        at = index % state["valid"].shape[1]
        valid = state["valid"].at[:, at].set(True)  # (B, S): the new token sees itself
        if "used" in state:  # a cache cut into blocks (cut_cache): the block written now is read
            state = dict(state, used=state["used"] | block_mask(at, state["k"][0]))
        h, cache = self.blocks_cached(self.embed(token[:, None], pos[:, None]), valid[:, None, None, :], state, at)
        logits = self.head(h)[:, 0]  # (B, V)
        return logits, dict(state, **cache, index=index + 1, pos=pos + 1, valid=valid)

    def cut_cache(self, state: dict, n: int) -> dict:
        """``state`` with each layer's cache cut into n blocks of slots, and ``used`` (n,) saying which
        blocks any row reads: a server's step then skips the others (``fast.attend_blocks``). For one
        token per step, unstacked layers; ``step`` marks the block it writes as used, and whoever
        frees rows may recompute ``used`` from ``valid`` (``fast.blocks_in_use``)."""
        if self.config.scan_layers:
            raise ValueError("cut_cache takes the per-layer cache, not the stacked one of scan_layers")
        k, v = (tuple(cut_slots(b, n) for b in state[name]) for name in ("k", "v"))
        return dict(state, k=k, v=v, used=blocks_in_use(state["valid"], k[0]))
