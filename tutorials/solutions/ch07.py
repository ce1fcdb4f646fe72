"""Reference solutions of chapter 7's exercises."""

import math

import numpy as np


def learning_rate(t, lr, min_lr, warmup, steps):
    """α_t: linear warm-up over ``warmup`` steps, then a cosine from ``lr`` down to ``min_lr`` at ``steps``."""
    if t < warmup:
        return lr * (t + 1) / warmup
    progress = min(max((t - warmup) / max(steps - warmup, 1), 0.0), 1.0)  # 0 at W, 1 from N on
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * progress))


def adam_update(grads, b1=0.9, b2=0.99, eps=1e-8):
    """Adam's m̂_t / (√v̂_t + ε) after the gradients ``grads`` = [g_1, …, g_t] (numpy arrays of one shape)."""
    m = v = np.zeros_like(np.asarray(grads[0], np.float64))
    for g in grads:
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * np.square(g)
    t = len(grads)
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return m_hat / (np.sqrt(v_hat) + eps)
