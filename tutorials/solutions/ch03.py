"""Reference solutions of chapter 3's exercises."""

import numpy as np

from minisora.tokenizer import MASK_ID


def encoder_block_params(d_model, d_ff):
    """W_q|W_k|W_v (C × 3C + 3C) and W_o (C × C + C), two LayerNorms (2 × 2C: γ and β),
    W₁ (C × F + F) and W₂ (F × C + C)."""
    C, F = d_model, d_ff
    attention = (C * 3 * C + 3 * C) + (C * C + C)
    layer_norms = 2 * (2 * C)
    feed_forward = (C * F + F) + (F * C + C)
    return attention + layer_norms + feed_forward


def bert_corrupt(x, real, u_choose, u_kind, random_ids):
    """15 % of the real tokens chosen; of those 80 % -> [MASK], 10 % -> a random id, 10 % kept."""
    chosen = (u_choose < 0.15) & real.astype(bool)
    x_tilde = np.where(chosen & (u_kind < 0.8), MASK_ID, x)
    x_tilde = np.where(chosen & (u_kind >= 0.8) & (u_kind < 0.9), random_ids, x_tilde)
    return x_tilde, chosen
