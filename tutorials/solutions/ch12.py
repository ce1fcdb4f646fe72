"""Reference solutions of chapter 12's exercises."""

import math

import jax.numpy as jnp


def slot_bytes(config):
    """Bytes of one ChatGPT decode slot of ``config``: keys, values, valid flags and its position."""
    itemsize = jnp.dtype(config.dtype).itemsize  # the cache is kept in the compute dtype
    keys_values = 2 * config.n_layers * config.max_len * config.d_model * itemsize  # k and v, (H·D = C) per position
    return keys_values + config.max_len * 1 + 4  # + valid (bool per position) + pos (int32)


def admission_steps(lengths, slots, chunk):
    """The engine step at which each request (all waiting at step 0, first come first served) gets a slot."""
    free_at = [0] * slots  # the step at which each slot can take a request
    steps, last = [], 0
    for n in lengths:
        i = min(range(slots), key=lambda s: free_at[s])
        start = max(free_at[i], last)  # first come, first served: never before the request ahead
        # the first token at admission, then `chunk` per step: the slot is busy for this many steps
        held = max(1, math.ceil((n - 1) / chunk))
        free_at[i] = start + held
        steps.append(start)
        last = start
    return steps
