"""The building blocks every model here is made of, built one way.

    linear(d_in, d_out)    y = x W + b,  W ~ N(0, std²), b = 0
    layer_norm             LN(x) = γ ⊙ (x − μ) / √(σ² + ε) + β,  γ = 1, β = 0
    embed(n)               a table E (n, C), E ~ N(0, 0.02²)
    stack_blocks / run_blocks   N blocks one after another, optionally rematerialised
                                (``remat``) or stacked and scanned (``scan_layers``)

Parameters are float32; ``config.dtype`` is the compute dtype.
"""

from __future__ import annotations

import jax.numpy as jnp
from flax import nnx

from ..config import ModelConfig
from .attention import GPT2_INIT_STD


def linear(d_in: int, d_out: int, config: ModelConfig, rngs: nnx.Rngs, *, std: float = GPT2_INIT_STD) -> nnx.Linear:
    return nnx.Linear(d_in, d_out, kernel_init=nnx.initializers.normal(std), dtype=jnp.dtype(config.dtype),
                      param_dtype=jnp.float32, rngs=rngs)


def layer_norm(config: ModelConfig, rngs: nnx.Rngs, width: int | None = None) -> nnx.LayerNorm:
    return nnx.LayerNorm(width or config.d_model, epsilon=config.layer_norm_eps, dtype=jnp.dtype(config.dtype),
                         param_dtype=jnp.float32, rngs=rngs)


def embed(n: int, config: ModelConfig, rngs: nnx.Rngs) -> nnx.Embed:
    return nnx.Embed(n, config.d_model, embedding_init=nnx.initializers.normal(GPT2_INIT_STD),
                     dtype=jnp.dtype(config.dtype), param_dtype=jnp.float32, rngs=rngs)


def stack_blocks(make, config: ModelConfig, rngs: nnx.Rngs):
    """``config.n_layers`` blocks ``make(rngs)``: a list, or (``scan_layers``) one block whose
    every weight has a leading axis of size N, built at once by ``nnx.vmap``."""
    if not config.scan_layers:
        return nnx.List([make(rngs) for _ in range(config.n_layers)])

    @nnx.split_rngs(splits=config.n_layers)
    @nnx.vmap(in_axes=0, out_axes=0)
    def stacked(rngs):
        return make(rngs)

    return stacked(rngs)


def run_blocks(layer, blocks, x, config: ModelConfig):
    """x = layer(block, x) for each block in turn."""
    if config.remat:  # recompute each block in the backward pass instead of storing it
        layer = nnx.remat(layer)
    if config.scan_layers:  # one compiled block for all N: compile time flat in depth
        return nnx.scan(layer, in_axes=(0, nnx.Carry), out_axes=nnx.Carry)(blocks, x)
    for block in blocks:
        x = layer(block, x)
    return x
