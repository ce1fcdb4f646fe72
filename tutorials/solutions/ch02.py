"""Reference solutions of chapter 2's exercises."""

import numpy as np


def causal(T):
    """Query t sees keys 0 … t: the lower triangle, diagonal included."""
    return np.tril(np.ones((T, T), bool))


def decoder_mask(token_mask):
    """(B, T) 1 = real -> (B, T, T): causal, and no query reads a padded key (a column of pads)."""
    m = np.asarray(token_mask).astype(bool)
    return causal(m.shape[1])[None] & m[:, None, :]


def masked_softmax(scores, mask):
    """softmax over the allowed keys; masked scores are replaced by the dtype's most negative number
    (not -inf: a row with nothing allowed then comes out uniform, not 0/0)."""
    s = np.where(mask, np.asarray(scores, np.float64), np.finfo(np.float64).min)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
