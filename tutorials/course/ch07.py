"""Chapter 7's exercises: the step size at step t, and Adam's bias-corrected update.

Each check compares the learner's function with the package's own code (``lr_schedule``) or the
optimiser library it chains (``optax.scale_by_adam``) on several inputs, edge cases included.
"""

from __future__ import annotations

import numpy as np

from course import NotYet, check

# (α, α_min, W, N): a usual schedule, no warm-up and no floor, the shortest, warm-up to the last step
SCHEDULES = ((1e-3, 1e-4, 10, 100), (3e-3, 0.0, 0, 50), (0.5, 0.05, 1, 2), (1e-3, 1e-4, 99, 100))


def check_learning_rate(learning_rate) -> bool:
    """``learning_rate(t, lr, min_lr, warmup, steps)`` against ``minisora.training.optim.lr_schedule``."""
    from minisora.config import TrainConfig
    from minisora.training.optim import lr_schedule

    def test():
        for lr, min_lr, warmup, steps in SCHEDULES:
            α_t = lr_schedule(TrainConfig(lr=lr, min_lr=min_lr, warmup=warmup, steps=steps))
            for t in sorted({0, max(warmup - 1, 0), warmup, (warmup + steps) // 2, steps - 1, steps, steps + 10}):
                got = float(learning_rate(t, lr=lr, min_lr=min_lr, warmup=warmup, steps=steps))
                want = float(α_t(t))
                if not np.isclose(got, want, rtol=1e-5, atol=1e-10):
                    raise NotYet(
                        f"with α={lr}, α_min={min_lr}, W={warmup}, N={steps} the step size at t={t} "
                        f"is {want:.6g}, yours is {got:.6g}."
                    )

    return check("the learning rate at step t", test)


def check_adam_update(adam_update) -> bool:
    """``adam_update(grads, b1, b2, eps)`` against ``optax.scale_by_adam`` fed the same gradients."""
    import jax.numpy as jnp
    import optax

    def test():
        rng = np.random.default_rng(7)
        histories = {
            "one gradient": rng.normal(size=(1, 3)),
            "five gradients": rng.normal(size=(5, 4)),
            "zero gradients": np.zeros((3, 2)),
            "thirty small gradients": 1e-3 * rng.normal(size=(30, 2)),
        }
        for b1, b2, eps in ((0.9, 0.99, 1e-8), (0.9, 0.999, 1e-8), (0.5, 0.9, 1e-3)):
            for name, grads in histories.items():
                tx = optax.scale_by_adam(b1=b1, b2=b2, eps=eps)
                state = tx.init(jnp.zeros(grads.shape[1:], jnp.float32))
                for g in grads:
                    want, state = tx.update(jnp.asarray(g, jnp.float32), state)
                got = np.asarray(adam_update([g.copy() for g in grads], b1=b1, b2=b2, eps=eps), np.float64)
                if got.shape != grads.shape[1:]:
                    raise NotYet(f"the update must have the gradient's shape {grads.shape[1:]}, yours has {got.shape}.")
                if not np.allclose(got, np.asarray(want), rtol=1e-4, atol=1e-6):
                    raise NotYet(
                        f"after {name} (β₁={b1}, β₂={b2}, ε={eps}) Adam's step is "
                        f"{np.round(np.asarray(want), 4).tolist()}, yours is {np.round(got, 4).tolist()}."
                    )

    return check("Adam's bias-corrected update", test)
