"""Reference solutions of chapter 4's exercises."""

import numpy as np


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step(W, U, b, h_prev, c_prev, x_t):
    """z = x W + h U + b, split into i, f, g, o; c_t = f c + i g; h_t = o tanh(c_t)."""
    z = x_t @ W + h_prev @ U + b  # (B, 4H)
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)
    i_t, f_t, g_t, o_t = _sigmoid(z_i), _sigmoid(z_f), np.tanh(z_g), _sigmoid(z_o)
    c_t = f_t * c_prev + i_t * g_t
    return o_t * np.tanh(c_t), c_t


def attend(h_t, keys, enc, enc_mask):
    """α_s = softmax_s(h_t · k_s / √H) over the real prompt tokens; ctx = Σ_s α_s e_s."""
    scores = np.einsum("bh,bsh->bs", h_t, keys) / np.sqrt(h_t.shape[-1])  # (B, S)
    scores = np.where(enc_mask.astype(bool), scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    alpha = e / e.sum(axis=-1, keepdims=True)
    return alpha, np.einsum("bs,bsc->bc", alpha, enc)
