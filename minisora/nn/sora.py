r"""Sora: a bidirectional encoder reads the prompt, an attention-LSTM writes the answer.

The article's chain BERT → LSTM → Linear, made sound as an encoder–decoder
(Luong, Pham & Manning 2015, "global attention" with input feeding):

    e_1..e_S  = Encoder(x_1..x_S)                     bidirectional: the prompt is all given
    m̄         = Σ_s m_s e_s / Σ_s m_s                 masked mean of the encoder outputs
    h_0 = tanh(W_h m̄ + b_h),  c_0 = W_c m̄ + b_c,  h̃_0 = 0

    for t = 1..T (input y_{t−1}; y_0 = BOS):
      (h_t, c_t) = LSTM([LN_in(E y_{t−1}) ; h̃_{t−1}], (h_{t−1}, c_{t−1}))  input feeding
      α_t        = softmax_s(h_t · k_s / √H  over real s),  k_s = W_k e_s   attention over the prompt
      ctx_t      = Σ_s α_{t,s} e_s                                         (B, C)
      h̃_t        = tanh(W_o [h_t ; ctx_t] + b_o)                           (B, C)
      logits_t   = LN_f(h̃_t) Eᵀ + b_v                                       predicts y_t

Parameter names, in the scheme the encoder and the decoder share: ``encoder`` (with E as
``encoder/tok_embed``), ``init_h`` (W_h, b_h), ``init_c`` (W_c, b_c), ``key`` (W_k),
``cell/lstm`` and ``cell/out`` (W_o, b_o), ``vocab_bias`` (b_v), ``ln_in``, ``ln_f``.

The decoder never sees y_t or later when it predicts y_t: the future leak of the
article's "bidirectional encoder outputs into an LSTM trained on next tokens"
cannot happen, because the bidirectional part only reads the prompt.

Choices, and why:
- input feeding: h̃_{t−1} (which carries ctx_{t−1}) is part of the next input, so
  the decoder knows what it attended to last — Luong's §3.3.
- k_s = W_k e_s is computed once per prompt, outside the time loop (the only
  prompt-sized matmul); each step then costs one (S × H) dot per row.
- one token embedding E shared by the encoder, the decoder's input and its output
  head (tied, as BERT's MLM head and GPT-2's LM head are). Untied, the head alone
  would be V·C weights — most of a tiny model — learnt from the decoder's tokens only.
- two LayerNorms around the shared E, because E has BERT's small scale (std 0.02):
  LN_in gives the LSTM unit-scale inputs, and LN_f (GPT-2's final LayerNorm) lets the
  logits sharpen — h̃ = tanh(·) is bounded by 1, so h̃ Eᵀ alone stays near uniform
  until E has grown (measured in docs/performance.md, "Sora's two LayerNorms").

The decoding state is constant-size: {h, c, h̃} of the LSTM plus the encoder
outputs, their keys and the prompt mask; ``cache_len`` is accepted (the shared
interface) and unused. The cell returns α_t beside h̃_t; only ``attention_weights(sora, src,
src_mask, dec_in)`` (attention.py) keeps them: ``["cell"]`` is (B, 1, T, S), row t the step
that reads dec_in[t], column s the prompt token e_s.
"""

from __future__ import annotations

import jax.numpy as jnp
from flax import nnx

from ..config import ModelConfig
from ..errors import UserError
from ..tokenizer import BOS_ID
from .attention import attention_probs, padding_mask
from .encoder import Encoder
from .layers import layer_norm
from .lstm import LSTMCell, unroll


class AttentionLSTMCell(nnx.Module):
    """One decoder step: (h, c, h̃) and E y_{t−1}  ->  (h_t, c_t, h̃_t), attending over the prompt."""

    def __init__(self, config: ModelConfig, rngs: nnx.Rngs):
        C, H, dtype = config.d_model, config.d_lstm, jnp.dtype(config.dtype)
        self.lstm = LSTMCell(2 * C, H, rngs=rngs, dtype=dtype)  # input [E y_{t−1} ; h̃_{t−1}]
        self.out = nnx.Linear(H + C, C, dtype=dtype, rngs=rngs)  # h̃_t = tanh(W_o [h_t ; ctx_t] + b_o)
        self.keep_weights = False  # True only inside attention_weights(): Sora then keeps α (B, 1, T, S)

    def __call__(self, carry, e_t):
        """-> (new carry, (h̃_t (B, C), α_t (B, S))): what the step writes and where on the prompt it looked."""
        h, c, h_tilde, enc, keys, enc_mask = carry  # the last three are the prompt: read, never changed
        (h_t, c_t), _ = self.lstm((h, c), jnp.concatenate([e_t, h_tilde], axis=-1))  # (B, H)
        # one-head attention: query h_t (B, 1, 1, H), keys (B, 1, S, H), values e_s (B, 1, S, C)
        alpha_t = attention_probs(h_t[:, None, None], keys[:, None], padding_mask(enc_mask)).astype(enc.dtype)
        ctx_t = jnp.einsum("...qk,...kd->...qd", alpha_t, enc[:, None])[:, 0, 0]  # (B, C): Σ_s α_{t,s} e_s
        h_tilde_t = jnp.tanh(self.out(jnp.concatenate([h_t, ctx_t], axis=-1)))  # (B, C)
        return (h_t, c_t, h_tilde_t, enc, keys, enc_mask), (h_tilde_t, alpha_t[:, 0, 0])


class Sora(nnx.Module):
    """Encoder (BERT layout, with MLM head) -> attention-LSTM decoder -> tied vocabulary head."""

    def __init__(self, config: ModelConfig, rngs: nnx.Rngs):
        self.config = config
        C, H, dtype = config.d_model, config.d_lstm, jnp.dtype(config.dtype)
        self.encoder = Encoder(config, rngs)  # owns E, shared with the decoder
        self.init_h = nnx.Linear(C, H, dtype=dtype, rngs=rngs)  # h_0 = tanh(W_h m̄ + b_h)
        self.init_c = nnx.Linear(C, H, dtype=dtype, rngs=rngs)  # c_0 = W_c m̄ + b_c
        self.key = nnx.Linear(C, H, use_bias=False, dtype=dtype, rngs=rngs)  # k_s = W_k e_s
        self.cell = AttentionLSTMCell(config, rngs)
        self.vocab_bias = nnx.Param(jnp.zeros((config.vocab_size,), jnp.float32))  # b_v
        # LN_in on the decoder's input embedding, LN_f before the tied head (see the module docstring)
        self.ln_in = layer_norm(config, rngs)
        self.ln_f = layer_norm(config, rngs)
        self.dropout = nnx.Dropout(config.dropout, rngs=rngs)

    # --- pieces ---------------------------------------------------------------------

    def start(self, enc, enc_mask) -> dict:
        """Encoder outputs (B, S, C) -> the decoder's state before its first input."""
        m = enc_mask.astype(enc.dtype)[..., None]  # (B, S, 1)
        m_bar = (enc * m).sum(axis=1) / jnp.maximum(m.sum(axis=1), 1)  # (B, C)
        f32 = jnp.promote_types(m_bar.dtype, jnp.float32)  # the LSTM keeps h, c in ≥ float32
        h_0 = jnp.tanh(self.init_h(m_bar)).astype(f32)  # (B, H)
        c_0 = self.init_c(m_bar).astype(f32)  # (B, H)
        h_tilde_0 = jnp.zeros_like(m_bar)  # (B, C): nothing attended yet
        keys = self.key(enc)  # (B, S, H): once per prompt, not once per step
        return {"h": h_0, "c": c_0, "h_tilde": h_tilde_0, "enc": enc, "keys": keys, "enc_mask": enc_mask}

    def head(self, h_tilde):
        """h̃ (…, C) -> logits (…, V) = LN_f(h̃) Eᵀ + b_v, in float32."""
        return (self.encoder.tok_embed.attend(self.ln_f(h_tilde)) + self.vocab_bias[...]).astype(jnp.float32)

    @staticmethod
    def _carry(state: dict):
        return state["h"], state["c"], state["h_tilde"], state["enc"], state["keys"], state["enc_mask"]

    @staticmethod
    def _state(carry) -> dict:
        return dict(zip(("h", "c", "h_tilde", "enc", "keys", "enc_mask"), carry))

    # --- the model interface (nn/__init__.py) -----------------------------------------

    def __call__(self, src_ids, src_mask, dec_in, *, deterministic: bool = True):
        """Teacher-forced: prompt (B, S) + decoder input [BOS, y_1 … y_{T−1}] (B, T)
        -> (mlm_logits (B, S, V), dec_logits (B, T, V)); dec_logits[:, t] predicts y_{t+1}."""
        enc = self.encoder(src_ids, src_mask, deterministic=deterministic)  # (B, S, C)
        mlm_logits = self.encoder.mlm_logits(enc)  # (B, S, V)
        e = self.dropout(self.ln_in(self.encoder.tok_embed(dec_in)), deterministic=deterministic)  # (B, T, C)

        (h_tilde, alpha), _ = unroll(self.cell, e, self._carry(self.start(enc, src_mask)))  # (B, T, C), (B, T, S)
        if self.cell.keep_weights:
            self.cell.sow(nnx.Intermediate, "weights", alpha[:, None])  # (B, 1, T, S): one head over the prompt
        h_tilde = self.dropout(h_tilde, deterministic=deterministic)
        return mlm_logits, self.head(h_tilde)  # the (B, T, V) head runs once, outside the loop

    def prefill(self, prompt_ids, prompt_mask, cache_len: int):
        """Encode a left-padded prompt (B, P) and feed BOS -> (logits (B, V) of the first token, state)."""
        del cache_len  # the LSTM's state does not grow with the output
        enc = self.encoder(prompt_ids, prompt_mask)  # (B, P, C)
        bos = jnp.full((prompt_ids.shape[0],), BOS_ID, jnp.int32)
        return self.step(self.start(enc, prompt_mask), bos)

    def insert(self, state: dict, one: dict, row):
        """Put a prefilled one-row state ``one`` into row ``row`` of ``state`` (a server's decode
        slots). The slots hold the encoder outputs of prompts up to their length L; a shorter
        prompt's are padded with masked zeros, so every slot has the same, constant size."""
        L = state["enc"].shape[1]

        def put(buf, new):  # buf (B, …), new (1, …); the prompt axis (axis 1 of enc, keys, enc_mask) padded to L
            new = new[0]
            if new.ndim >= 1 and buf.ndim >= 2 and new.shape[0] != buf.shape[1]:
                new = jnp.zeros(buf.shape[1:], new.dtype).at[: new.shape[0]].set(new)
            return buf.at[row].set(new.astype(buf.dtype))

        if one["enc"].shape[1] > L:
            raise UserError(f"A prompt of {one['enc'].shape[1]} tokens does not fit slots of {L}.")
        return {name: put(state[name], one[name]) for name in state}

    def step(self, state: dict, token):
        """One token per row (B,) -> (logits (B, V) of the next token, new state)."""
        carry, (h_tilde_t, _) = self.cell(self._carry(state), self.ln_in(self.encoder.tok_embed(token)))  # (B, C)
        return self.head(h_tilde_t), self._state(carry)
