"""Performance helpers the model files call by name.

Each computes exactly what its one-line equation says; the reason it is written this way,
and what it bought, is measured in docs/performance.md ("What each change bought").
Nothing here changes a number: tests/nn/test_fast.py checks each against the plain expression.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax


def dense_rows(linear, x):
    """linear(x) for x (…, C_in) -> (…, C_out), computed on the 2-D rows (N, C_in).

    Why: a 3-D x @ W differentiates into a two-axis contraction that XLA:CPU feeds through
    transposed copies; on rows the forward and both gradients are plain GEMMs.
    """
    lead = x.shape[:-1]
    return linear(x.reshape(-1, x.shape[-1])).reshape(*lead, -1)


@jax.custom_vjp
def down_project(h, W):
    """y = h W for a tall W (the MLP's 4C -> C projection): h (N, 4C), W (4C, C) -> (N, C).

    Why: the gradient ∂L/∂W = hᵀ ∂L/∂y is computed as (∂L/∂yᵀ h)ᵀ, the wide product, which
    XLA:CPU's matmul runs faster; a barrier keeps XLA from folding the transpose back in.
    Same numbers as autodiff of ``h @ W``.
    """
    return h @ W


def _down_project_fwd(h, W):
    return h @ W, (h, W)


def _down_project_bwd(saved, dy):
    h, W = saved
    return dy @ W.T, lax.optimization_barrier(dy.T @ h).T  # ∂L/∂h = ∂L/∂y Wᵀ, ∂L/∂W = hᵀ ∂L/∂y


down_project.defvjp(_down_project_fwd, _down_project_bwd)


def cut_slots(buf, n: int) -> tuple:
    """A cache buffer (…, S, D) cut into n blocks of consecutive slots (sizes differ by at most 1)."""
    return tuple(jnp.array_split(buf, n, axis=-2))


def block_starts(blocks) -> list[int]:
    """The first slot of each block (static: from the blocks' shapes)."""
    sizes = [b.shape[-2] for b in blocks]
    return [sum(sizes[:j]) for j in range(len(sizes))]


def blocks_in_use(valid, blocks) -> jax.Array:
    """Which of one layer's ``blocks`` any row may attend to: valid (B, S) bool -> (n,) bool."""
    return jnp.stack([valid[:, a:a + b.shape[-2]].any() for a, b in zip(block_starts(blocks), blocks)])


def block_mask(index, blocks) -> jax.Array:
    """(n,) bool: True on the one of ``blocks`` that holds slot ``index``."""
    starts = jnp.asarray(block_starts(blocks))
    return (index >= starts) & (index < starts + jnp.asarray([b.shape[-2] for b in blocks]))


def write_blocks(blocks: tuple, new, index) -> tuple:
    """The cache cut into blocks, with one new slot ``new`` (…, 1, D) written at slot ``index``.

    Every block gets an in-place write of one slot: the new value where ``index`` falls in it,
    its own old value elsewhere, so no block is copied (``cut_slots``'s order of slots).
    """
    out = []
    for start, b in zip(block_starts(blocks), blocks):
        size = b.shape[-2]
        at = jnp.clip(index - start, 0, size - 1)
        old = lax.dynamic_slice_in_dim(b, at, 1, axis=-2)
        inside = (index >= start) & (index < start + size)
        out.append(lax.dynamic_update_slice_in_dim(b, jnp.where(inside, new.astype(b.dtype), old), at, axis=-2))
    return tuple(out)


def attend_blocks(q, ks: tuple, vs: tuple, mask, used):
    """softmax(q kᵀ / √D, masked) v over a cache cut into blocks of slots, skipping unused blocks.

    q (…, T, D); ks, vs blocks (…, S_j, D); ``mask`` (…, T, S) bool over all slots; ``used`` (n,)
    bool says which blocks any row attends to (a skipped block must be masked for every row).
    Why: a server's decode step reads every slot of every row's cache, most of them empty while
    its requests are short; a skipped block is never read. The softmax is taken block by block
    (a running maximum and sum), the same value as ``attention`` (docs/performance.md, "Serving").
    """
    D = q.shape[-1]
    q = q * jnp.asarray(1.0 / math.sqrt(D), q.dtype)
    f32 = jnp.promote_types(q.dtype, jnp.float32)
    m = jnp.full((*q.shape[:-1], 1), jnp.finfo(f32).min, f32)  # running max of the scores
    s_sum = jnp.zeros_like(m)  # running Σ exp(s − m)
    acc = jnp.zeros(q.shape, f32)  # running Σ exp(s − m) v
    for j, (start, k, v) in enumerate(zip(block_starts(ks), ks, vs)):
        def read(carry, k=k, v=v, keep=mask[..., start:start + k.shape[-2]]):
            m, s_sum, acc = carry
            s = jnp.einsum("...qd,...kd->...qk", q, k.astype(q.dtype)).astype(f32)
            s = jnp.where(keep, s, -jnp.inf)
            m_new = jnp.maximum(m, s.max(-1, keepdims=True))
            p, scale = jnp.exp(s - m_new), jnp.exp(m - m_new)
            pv = jnp.einsum("...qk,...kd->...qd", p.astype(v.dtype), v.astype(q.dtype)).astype(f32)
            return m_new, s_sum * scale + p.sum(-1, keepdims=True), acc * scale + pv

        m, s_sum, acc = lax.cond(used[j], read, lambda carry: carry, (m, s_sum, acc))
    return (acc / s_sum).astype(q.dtype)
