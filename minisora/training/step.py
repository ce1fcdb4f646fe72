"""The compiled steps: loss, gradients and update in one XLA program.

L is the objective of batches.py (nats per token): next-token for ChatGPT, MLM + next-token
for Sora's pre-training, next-token on the answers for fine-tuning. One ``train_step`` does

    (L, g) = value_and_grad(L)(θ);   θ ← θ + optimizer(g)          (optim.py)

and the metrics in a single compiled program; it compiles once (batches have one shape per
run) and donates the old parameters and optimizer state so their memory is reused in place.
Dropout draws from the key fold_in(key(seed), t), so step t's noise does not depend on how
the run got there.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from ..config import TrainConfig
from .losses import cross_entropy, mlm_loss
from .optim import lr_schedule, make_optimizer


def objective(model, batch: dict, *, deterministic: bool):
    """L for one batch (nats/token) and its parts. ChatGPT: L_next. Sora: L_MLM + L_next
    (pre-training) or L_next (fine-tuning: the batch has no MLM targets)."""
    if "src" in batch:  # Sora: encoder reads src, decoder is teacher-forced on dec_in
        mlm_logits, logits = model(batch["src"], batch["src_mask"], batch["dec_in"], deterministic=deterministic)
    else:  # ChatGPT
        logits = model(batch["x"], deterministic=deterministic)  # (B, T, V)
    parts = {"next_loss": cross_entropy(logits, batch["y"], batch["w"]), "next_n": jnp.sum(batch["w"])}
    loss = parts["next_loss"]
    if "mlm_y" in batch:
        parts["mlm_loss"] = mlm_loss(mlm_logits, batch["mlm_y"], batch["mlm_w"])
        parts["mlm_n"] = jnp.sum(batch["mlm_w"])
        loss = loss + parts["mlm_loss"]
    return loss, parts


def split_model(model):
    """model -> (graphdef, params, rest): trainable parameters apart from everything else."""
    return nnx.split(model, nnx.Param, ...)


def keep_freed_memory() -> None:
    """Let glibc keep freed memory for reuse instead of handing it back to the OS.

    Why: XLA:CPU allocates a step's scratch space on every call, and blocks over 32 MB would
    get a fresh mmap each time, page-faulted and zeroed anew (docs/performance.md, "What each change bought", item 2).
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(-4, 0)  # M_MMAP_MAX = 0: large blocks come from the heap too
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD = 1 GiB: keep the top of the heap
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, musl): nothing to tune
        pass


@functools.lru_cache(maxsize=8)
def make_steps(graphdef, cfg: TrainConfig, shardings=None):
    """The jitted ``train_step(params, opt_state, rest, batch, t)`` and ``eval_step(params, rest, batch)``.

    ``rest`` is the model's non-parameter state (its dropout stream), passed in explicitly.
    ``shardings`` (a ``parallel.TrainShardings``) pins every input and output to a device mesh.
    Cached: a second run of the same model and settings in one process reuses the compiled steps.
    """
    tx, schedule, base_key = make_optimizer(cfg), lr_schedule(cfg), jax.random.key(cfg.seed)
    if jax.default_backend() == "cpu":
        keep_freed_memory()

    def loss_fn(params, rest, batch):
        return objective(nnx.merge(graphdef, params, rest, copy=True), batch, deterministic=False)

    def train_step(params, opt_state, rest, batch, t):
        rest = reseed(graphdef, params, rest, jax.random.fold_in(base_key, t))  # dropout noise of step t
        (loss, parts), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, rest, batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)  # θ ← θ + Δθ  (Δθ = −α_t ∇L for sgd)
        # ‖g‖ of the concatenated gradient: the same expression as AdamW's clipping, so XLA computes it once
        g = jnp.concatenate([leaf.reshape(-1) for leaf in jax.tree.leaves(grads)])
        metrics = {"loss": loss, "grad_norm": optax.tree.norm(g), "lr": schedule(t), **parts}
        return params, opt_state, metrics

    def eval_step(params, rest, batch):
        _, parts = objective(nnx.merge(graphdef, params, rest), batch, deterministic=True)
        return parts

    if shardings is not None:  # on a device mesh: every input and output sharding pinned (parallel/)
        return shardings.jit_steps(train_step, eval_step)
    return jax.jit(train_step, donate_argnums=(0, 1)), jax.jit(eval_step)


def reseed(graphdef, params, rest, key):
    """``rest`` with its dropout stream restarted from ``key`` (stacked layers get split keys)."""
    model = nnx.merge(graphdef, params, rest)
    nnx.reseed(model, dropout=key, policy="match_shape")
    return nnx.split(model, nnx.Param, ...)[2]
