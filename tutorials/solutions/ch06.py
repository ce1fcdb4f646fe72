"""Reference solutions of chapter 6's exercises."""

import math

import numpy as np


def sequence_loss(p_right):
    """L = −Σ_t ln p_t (nats): the autoregressive loss summed over the sequence."""
    return -sum(math.log(p) for p in p_right)


def masked_cross_entropy(logits, targets, weights):
    """−Σ_t w_t log softmax(z_t)[y_t] / Σ_t w_t, in float64 numpy; 0 when no token counts."""
    z = np.asarray(logits, np.float64)
    m = z.max(axis=-1, keepdims=True)  # subtract the max: every exponent ≤ 0, nothing overflows
    log_p = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))  # (…, V)
    nll = -np.take_along_axis(log_p, np.asarray(targets)[..., None], axis=-1)[..., 0]  # (…)
    w = np.asarray(weights, np.float64)
    return float((w * nll).sum() / max(w.sum(), 1.0))


def bits_per_byte_of(token_nats, text):
    """Σ_t nats / (ln 2 · UTF-8 bytes of the text)."""
    n_bytes = len(text.encode("utf-8"))
    if n_bytes == 0:
        raise ValueError("a text with no bytes has no bits per byte")
    return math.fsum(token_nats) / (math.log(2) * n_bytes)
