r"""The bidirectional Transformer encoder, in BERT's layout.

Embeddings of a (B, T) batch of ids with a padding mask m (1 = real token):

    p_t = cumsum(m)_t − 1                          each row counts its own real tokens
    x⁰  = Dropout(LN(E_tok[id_t] + E_pos[p_t] + E_seg[s_t]))

then N post-LN blocks (the residual is added *before* LayerNorm, as BERT does):

    x = LN(x + Dropout(Attn(x, m)))                 every real token attends to every real token
    x = LN(x + Dropout(W₂ GELU(W₁ x + b₁) + b₂))    GELU with the exact erf, as BERT

Bidirectional means no causal mask: position t reads positions after t too. That
is right for a *prompt* (it is all given) and wrong for a model asked to predict
token t+1 from position t — tutorial 03 shows the leak. The padding mask removes
padded keys, and positions from the mask make left padding harmless: a padded
row gives the same hidden states on its real tokens as the row alone.

Heads on top (BERT's):

    pooler:  tanh(W_p h_[CLS] + b_p)                           (optional, only to match BertModel)
    MLM:     logits = LN(GELU(W_t h + b_t)) E_tokᵀ + b_vocab   decoder tied to the token embedding

Weights start at N(0, 0.02²), biases at 0, LayerNorm at (1, 0): BERT's initialisation.
Parameter names: ``tok_embed``, ``pos_embed``, ``seg_embed``, ``ln_embed``,
``blocks/l/{attn, ln1, fc1, fc2, ln2}``, ``pooler``, ``mlm/{transform, ln, vocab_bias}`` —
the scheme the decoder and Sora share (tools/hf.py maps it to BERT's names).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from ..config import ModelConfig
from ..errors import UserError
from .attention import MultiHeadAttention, padding_mask, positions_from_mask
from .layers import embed, layer_norm, linear, run_blocks, stack_blocks


class EncoderBlock(nnx.Module):
    """x = LN(x + Attn(x)); x = LN(x + FFN(x))  (post-LN, BERT)."""

    def __init__(self, config: ModelConfig, rngs: nnx.Rngs):
        self.attn = MultiHeadAttention(
            config.d_model, config.n_heads, dropout=config.dropout, rngs=rngs, dtype=jnp.dtype(config.dtype),
        )
        self.ln1 = layer_norm(config, rngs)
        self.fc1 = linear(config.d_model, config.d_ff, config, rngs)  # W₁
        self.fc2 = linear(config.d_ff, config.d_model, config, rngs)  # W₂
        self.ln2 = layer_norm(config, rngs)
        self.dropout = nnx.Dropout(config.dropout, rngs=rngs)

    def __call__(self, x, attn_mask, *, deterministic: bool = True):
        x = self.ln1(x + self.attn(x, attn_mask, deterministic=deterministic))  # (B, T, C)
        f = self.fc2(jax.nn.gelu(self.fc1(x), approximate=False))  # (B, T, d_ff) -> (B, T, C)
        return self.ln2(x + self.dropout(f, deterministic=deterministic))


class MLMHead(nnx.Module):
    """BERT's masked-LM head: dense -> GELU -> LN -> (tied) E_tokᵀ + b_vocab."""

    def __init__(self, config: ModelConfig, rngs: nnx.Rngs):
        self.transform = linear(config.d_model, config.d_model, config, rngs)  # W_t
        self.ln = layer_norm(config, rngs)
        self.vocab_bias = nnx.Param(jnp.zeros((config.vocab_size,), jnp.float32))  # b_vocab

    def __call__(self, h, tok_embed: nnx.Embed):
        z = self.ln(jax.nn.gelu(self.transform(h), approximate=False))  # (B, T, C)
        return tok_embed.attend(z) + self.vocab_bias[...].astype(z.dtype)  # (B, T, V)


class Encoder(nnx.Module):
    """BERT-style encoder: ``encoder(ids, mask) -> hidden (B, T, C)``; ``.pool``, ``.mlm_logits`` on top.

    ``mlm_head=False`` builds the bare BertModel shape (what the parameter count
    and a ``BertModel`` import use); the pooler is built only when ``config.pooler``.

    Options (ModelConfig): ``dtype`` is the compute dtype (parameters stay float32,
    MLM logits come back float32), ``remat`` recomputes each block in the backward
    pass, ``scan_layers`` stacks the blocks' weights and runs them with one scan.
    """

    def __init__(self, config: ModelConfig, rngs: nnx.Rngs, *, mlm_head: bool = True):
        self.config = config
        self.tok_embed = embed(config.vocab_size, config, rngs)  # E_tok (V, C)
        self.pos_embed = embed(config.max_len, config, rngs)  # E_pos (max_len, C)
        self.seg_embed = embed(config.type_vocab_size, config, rngs)  # E_seg (segments, C)
        self.ln_embed = layer_norm(config, rngs)
        self.dropout = nnx.Dropout(config.dropout, rngs=rngs)
        self.blocks = stack_blocks(lambda rngs: EncoderBlock(config, rngs), config, rngs)
        self.pooler = linear(config.d_model, config.d_model, config, rngs) if config.pooler else None
        self.mlm = MLMHead(config, rngs) if mlm_head else None

    def __call__(self, ids, mask=None, segment_ids=None, *, deterministic: bool = True):
        """ids (B, T) int, mask (B, T) 1 = real token, segment_ids (B, T) -> hidden states (B, T, C)."""
        B, T = ids.shape
        if T > self.config.max_len:
            raise UserError(f"The input has {T} tokens but this model reads at most {self.config.max_len}.")
        if mask is None:
            mask = jnp.ones((B, T), jnp.int32)
        if segment_ids is None:
            segment_ids = jnp.zeros((B, T), jnp.int32)
        p = positions_from_mask(mask)  # (B, T)
        x = self.tok_embed(ids) + self.pos_embed(p) + self.seg_embed(segment_ids)  # (B, T, C)
        x = self.dropout(self.ln_embed(x), deterministic=deterministic)
        attn_mask = padding_mask(mask)  # (B, 1, 1, T): every query sees every real key

        layer = lambda block, x: block(x, attn_mask, deterministic=deterministic)  # noqa: E731
        return run_blocks(layer, self.blocks, x, self.config)

    def pool(self, hidden, mask=None):
        """tanh(W_p h_[CLS] + b_p) -> (B, C). [CLS] is each row's first real token (left padding safe)."""
        if self.pooler is None:
            raise ValueError("this encoder was built without a pooler (config.pooler=False)")
        first = jnp.zeros(hidden.shape[0], jnp.int32) if mask is None else jnp.argmax(mask, axis=1)
        h_cls = jnp.take_along_axis(hidden, first[:, None, None], axis=1)[:, 0]  # (B, C)
        return jnp.tanh(self.pooler(h_cls))

    def mlm_logits(self, hidden):
        """hidden (B, T, C) -> masked-LM logits (B, T, V), decoder tied to E_tok."""
        return self.mlm(hidden, self.tok_embed).astype(jnp.float32)
