"""Choosing the next token from the logits z (B, V): greedy, temperature, top-k, top-p.

    greedy        y = argmax_v z_v
    temperature   p_v = softmax(z / T)_v                 T → 0 is greedy, T = 1 the model, T > 1 flatter
    top-k         keep the k largest z_v, renormalise    (k = V keeps all)
    top-p         sort p descending, p_(1) ≥ p_(2) ≥ …; keep the nucleus
                  N = {(1), …, (n)} with n the smallest count such that Σ_{i≤n} p_(i) ≥ top_p
                  (top_p = 1 keeps all), renormalise
    sample        y ~ Categorical(softmax of the kept z / T)

The filters are applied in that order (temperature, then top-k, then top-p on what top-k left),
as Hugging Face's ``generate`` does. Each one is a threshold on the sorted logits, so one sort
serves both, and k, p and T are ordinary traced numbers: changing them between calls does not
recompile. Ties at the threshold are all kept (two tokens with the same logit are equally likely).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

# The defaults every entry point shares: `minisora generate`, `minisora chat`, ``Run.generate``
# (``minisora.load(...).generate``), ``chat.generate_text``, ``decode.generate`` / ``stream``, and a
# server built on them. Greedy (temperature 0): one prompt gives one text wherever it is asked, and a
# fine-tuned run answers as it was trained. Sampling is opt-in: a temperature > 0, then top-k / top-p.
DEFAULT_TEMPERATURE = 0.0  # 0 = greedy
DEFAULT_TOP_K = None  # off: every token
DEFAULT_TOP_P = None  # off: the whole distribution
DEFAULT_SEED = 0  # the random draws when temperature > 0
DEFAULT_MAX_NEW_TOKENS = 100


def greedy(z):
    """(B, V) -> (B,) the most likely token."""
    return jnp.argmax(z, axis=-1).astype(jnp.int32)


def filter_logits(z, top_k, top_p):
    """Set every logit outside the top-k, then outside the top-p nucleus, to -inf. (B, V) -> (B, V)."""
    V = z.shape[-1]
    k = jnp.clip(top_k, 1, V)
    z_sorted = jnp.sort(z, axis=-1)[..., ::-1]  # (B, V) descending
    rank = jnp.arange(V)
    z_sorted = jnp.where(rank < k, z_sorted, -jnp.inf)  # top-k on the sorted row
    p_sorted = jax.nn.softmax(z_sorted, axis=-1)
    mass_before = jnp.cumsum(p_sorted, axis=-1) - p_sorted  # Σ_{j<i} p_(j)
    # the nucleus keeps rank i while the mass before it is still short of top_p; rank 0 always.
    n = jnp.maximum(jnp.sum((mass_before < top_p) & (rank < k), axis=-1), 1)  # (B,)
    threshold = jnp.take_along_axis(z_sorted, (n - 1)[:, None], axis=-1)  # (B, 1) smallest kept logit
    return jnp.where(z >= threshold, z, -jnp.inf)


def sample(key, z, temperature, top_k, top_p):
    """Draw y ~ softmax(filter(z / T)); T = 0 gives argmax. (B, V) -> (B,) int32.

    ``temperature``, ``top_k`` (V = off) and ``top_p`` (1.0 = off) are scalars, traced under jit.
    """
    V = z.shape[-1]
    T = jnp.asarray(temperature, z.dtype)
    z_T = z / jnp.where(T > 0, T, 1.0)  # guard the division; T = 0 is handled by the argmax below
    filtering = (top_k < V) | (top_p < 1.0)
    # the sort costs O(V log V) per row: skip it when neither filter is on.
    z_T = jax.lax.cond(filtering, lambda z: filter_logits(z, top_k, top_p), lambda z: z, z_T)
    y = jax.random.categorical(key, z_T, axis=-1).astype(jnp.int32)
    return jnp.where(T > 0, y, greedy(z))


def sample_rows(keys, z, temperature, top_k, top_p):
    """``sample`` with settings of its own for every row: keys (B,), temperature / top_k / top_p (B,).

    Row b draws exactly what ``sample(keys[b], z[b:b+1], …)`` draws alone, so a server's mixed
    batch (inference/engine.py) gives each request the tokens it would get by itself.
    """
    V = z.shape[-1]
    T = jnp.asarray(temperature, z.dtype)[:, None]  # (B, 1)
    z_T = z / jnp.where(T > 0, T, 1.0)
    filtering = (top_k < V) | (top_p < 1.0)  # (B,)
    filtered = jax.lax.cond(jnp.any(filtering), lambda z: filter_logits(z, top_k[:, None], top_p[:, None]),
                            lambda z: z, z_T)
    z_T = jnp.where(filtering[:, None], filtered, z_T)  # rows without a filter keep every logit
    # the draw costs V random numbers per row (on a 2-core CPU, 4.3 of 4.8 ms for 32 rows of 4,000
    # logits): skip it when every row is greedy (docs/performance.md, "Serving")
    draw = lambda z: jax.vmap(lambda key, row: jax.random.categorical(key, row[None], axis=-1)[0])(keys, z)  # noqa: E731
    y = jax.lax.cond(jnp.any(temperature > 0), draw, lambda z: jnp.zeros(z.shape[0], jnp.int32), z_T)
    return jnp.where(temperature > 0, y.astype(jnp.int32), greedy(z))
