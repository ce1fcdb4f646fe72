"""The losses the article names, each as its equation. All values are in nats (natural log).

Cross-entropy of a target distribution y against the model's p (article, section 3):

    L = −Σ_i y_i log p_i

With a one-hot y (the true token is k) this is just L = −log p_k: a model that gives the
right token probability 0.6 pays −ln 0.6 ≈ 0.51 nats. The model outputs logits z, and

    log p_i = z_i − logsumexp(z) = z_i − (m + log Σ_j exp(z_j − m)),   m = max_j z_j

which never overflows (every exponent is ≤ 0); that is ``jax.nn.log_softmax``.

Over a sequence, the autoregressive (next-token) loss averages the per-token losses:

    L = −(1/T) Σ_t log p(x_t | x_<t)

and a weight w_t ∈ {0, 1} per token (padding, prompt tokens, unmasked MLM positions get 0)
turns the mean into  L = −Σ_t w_t log p_t / Σ_t w_t.  Perplexity = exp(L) (L in nats).

Nats per token depend on the tokenizer (a char model predicts many easy tokens, a unigram
model fewer, harder ones). Bits per UTF-8 byte of the predicted text do not:

    bpb = (Σ_t −log p_t) / (ln 2 · bytes),   bytes = len(text of the predicted tokens in UTF-8)

The bytes are counted piece by piece (``piece_bytes``) rather than by decoding the targets: the
two agree on whole text, but a window cut from the corpus may start or end inside a character
spelled by byte fallback, whose lone bytes a decoder turns into "�" (3 bytes), and the special
tokens a target row holds (</s>, padding) are no text at all.
"""

from __future__ import annotations

import math
import re

import jax
import jax.numpy as jnp
import numpy as np


def token_nll(logits, targets):
    """Per-token −log p(target), in nats.  (…, V) logits, (…) int targets -> (…) float32."""
    log_p = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)  # (…, V), stable
    return -jnp.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]  # (…)


def cross_entropy(logits, targets, weights=None):
    """L = −Σ_t w_t log p(y_t) / Σ_t w_t  (nats/token): the weighted mean of ``token_nll``.

    ``weights`` is 1 where a token counts and 0 where it does not (padding, prompt).
    A batch with no counted token has loss 0 (not 0/0).
    """
    nll = token_nll(logits, targets)
    w = jnp.ones_like(nll) if weights is None else weights.astype(jnp.float32)
    return jnp.sum(w * nll) / jnp.maximum(jnp.sum(w), 1.0)


def next_token_loss(logits, ids, mask=None):
    """L = −(1/T) Σ_t log p(x_t | x_<t) for one teacher-forced pass over ``ids`` (B, T).

    ``logits[:, t]`` predicts ``ids[:, t + 1]``, so the T − 1 pairs are (logits[:, :-1], ids[:, 1:]);
    ``mask`` (B, T) marks real tokens, and a target counts only where it is real.
    """
    w = None if mask is None else mask[:, 1:]
    return cross_entropy(logits[:, :-1], ids[:, 1:], w)


def mlm_loss(logits, targets, masked):
    """BERT's masked-language-model loss: cross-entropy over the masked positions only.

    L = −Σ_{t∈M} log p(x_t | x̃) / |M|, where x̃ is the corrupted input and M the chosen positions
    (``masked`` = 1 there). Unchosen positions carry zero weight, hence zero gradient.
    """
    return cross_entropy(logits, targets, masked)


def perplexity(loss):
    """exp(L) for L in nats per token: the effective number of equally likely choices."""
    return jnp.exp(loss)


def bits_per_byte(total_nats: float, n_bytes: int) -> float:
    """Σ_t −log p_t (nats, summed, not averaged) over a text -> bits per UTF-8 byte of that text."""
    if n_bytes <= 0:
        raise ValueError("bits per byte needs the text's byte count (> 0)")
    return float(total_nats) / (math.log(2.0) * n_bytes)


_BYTE_PIECE = re.compile(r"<0x[0-9A-F]{2}>")  # SentencePiece's byte fallback: one raw byte each


def piece_bytes(tok) -> np.ndarray:
    """The UTF-8 bytes each id of a SentencePiece tokenizer spells -> (V,) int64, the denominator of bpb.

    A piece's bytes are those of its text, with SentencePiece's "▁" counted as the one space byte
    it stands for ("▁the" = 4); a byte-fallback piece <0xE4> is 1 byte; the special ids (<pad>,
    <unk>, <s>, </s>, [MASK], …, <user>, <assistant>) are 0: they are no text. So for any text s,
    Σ_t bytes[encode(s)_t] = len(s.encode("utf-8")), whatever the tokenizer (char, unigram, bpe).
    """
    if getattr(tok, "kind", None) != "SentencePiece":
        raise ValueError("piece_bytes counts SentencePiece pieces (minisora's own tokenizers)")
    special = {i for i in tok.special_ids().values() if i is not None}
    out = np.zeros(tok.vocab_size, np.int64)
    for i in range(tok.vocab_size):
        piece = tok.id_to_piece(i)
        if i not in special:
            out[i] = 1 if _BYTE_PIECE.fullmatch(piece) else len(piece.replace("\u2581", " ").encode("utf-8"))
    return out
