"""The optimisers the article names, and the step-size schedule.

The article's update rule is plain stochastic gradient descent,

    θ_{t+1} = θ_t − α_t ∇_θ L(θ_t)                                   (sgd)

"or its variants": Nesterov momentum (v ← μ v + ∇L;  θ ← θ − α (μ v + ∇L))  and AdamW
(Adam's per-parameter step m̂/(√v̂ + ε) plus decoupled weight decay α λ θ on matrices).
The step size follows a linear warm-up, an optional stable phase and a cosine decay,

    α_t = α (t + 1) / W                                              t < W
    α_t = α                                                          W ≤ t < D
    α_t = α_min + ½ (α − α_min) (1 + cos(π (t − D) / (N − D)))        D ≤ t < N

with D = W unless ``decay_from`` sets it (warm-up, stable, decay: ``minisora compare`` trains at
α until the held-out loss flattens, then cools down), and α_min = α gives a constant step size.

and gradients are clipped to a global norm ‖g‖ = √(Σ g²) ≤ c before the update.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from ..config import TrainConfig


def lr_schedule(cfg: TrainConfig):
    """α_t: linear warm-up over W steps, α until step D, then cosine from α to α_min at step N."""
    α, α_min, W, N = cfg.lr, cfg.min_lr, cfg.warmup, cfg.steps
    D = W if cfg.decay_from is None else max(W, cfg.decay_from)

    def α_t(t):
        t = jnp.asarray(t, jnp.float32)
        warm = α * (t + 1) / max(W, 1)
        progress = jnp.clip((t - D) / max(N - D, 1), 0.0, 1.0)
        cosine = α_min + 0.5 * (α - α_min) * (1 + jnp.cos(jnp.pi * progress))
        return jnp.where(t < W, warm, cosine)

    return α_t


def is_matrix(params):
    """True on weights and embeddings (decayed), False on biases and norms (not decayed)."""
    return jax.tree.map(lambda p: p.ndim >= 2, params)


def on_one_vector(tx: optax.GradientTransformation) -> optax.GradientTransformation:
    """``tx`` applied to all parameters flattened into one vector: the same numbers.

    Why: a few big elementwise ops instead of ~10 small ones per tensor, which is cheaper for
    small models on CPU (docs/performance.md, "What each change bought").
    """
    return optax.flatten(tx)


def make_optimizer(cfg: TrainConfig) -> optax.GradientTransformation:
    """clip ‖g‖ ≤ c, then sgd / Nesterov momentum / AdamW, with the schedule α_t."""
    schedule = lr_schedule(cfg)
    clip = [optax.clip_by_global_norm(cfg.clip)] if cfg.clip > 0 else []
    if cfg.optimizer == "sgd":
        return optax.chain(*clip, optax.sgd(schedule))
    if cfg.optimizer == "momentum":
        return optax.chain(*clip, optax.sgd(schedule, momentum=cfg.momentum, nesterov=True))
    # optax.adamw's steps: Adam's m̂/(√v̂ + ε), + λθ on matrices, × −α_t (the decay mask needs the tree)
    return optax.chain(
        on_one_vector(optax.chain(*clip, optax.scale_by_adam(b1=0.9, b2=0.99))),
        optax.add_decayed_weights(cfg.weight_decay, is_matrix),
        optax.scale_by_learning_rate(schedule),
    )
