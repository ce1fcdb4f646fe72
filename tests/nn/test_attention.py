"""Hand-written attention against JAX's and Flax's built-in attention."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from minisora.nn.attention import (
    MultiHeadAttention,
    attention,
    causal_mask,
    padding_mask,
)

B, T, H, D = 2, 7, 3, 8
C = H * D


def empty_cache(batch, n_heads, cache_len, head_dim, dtype=jnp.float32):
    """A per-layer key/value cache of zeros, {"k", "v"} of (B·H, S, D), the layout attention.py documents."""
    shape = (batch * n_heads, cache_len, head_dim)
    return {"k": jnp.zeros(shape, dtype), "v": jnp.zeros(shape, dtype)}


def _qkv(seed=0, Tk=T):
    kq, kk, kv = jax.random.split(jax.random.key(seed), 3)
    q = jax.random.normal(kq, (B, H, T, D))
    k = jax.random.normal(kk, (B, H, Tk, D))
    v = jax.random.normal(kv, (B, H, Tk, D))
    return q, k, v


def _reference(q, k, v, **kw):
    """jax.nn.dot_product_attention works in (B, T, H, D); ours in (B, H, T, D)."""
    t = lambda x: x.transpose(0, 2, 1, 3)
    return t(jax.nn.dot_product_attention(t(q), t(k), t(v), implementation="xla", **kw))


# a batch with left padding in row 0 and none in row 1
KEY_MASK = jnp.array([[0, 0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1]], dtype=jnp.int32)


@pytest.mark.parametrize("kind", ["none", "padding", "causal", "causal+padding"])
def test_attention_equals_jax_dot_product_attention(kind):
    q, k, v = _qkv()
    if kind == "none":
        ours, ref = attention(q, k, v), _reference(q, k, v)
    elif kind == "padding":
        m = padding_mask(KEY_MASK)
        ours, ref = attention(q, k, v, m), _reference(q, k, v, mask=m)
    elif kind == "causal":
        ours, ref = attention(q, k, v, causal_mask(T)), _reference(q, k, v, is_causal=True)
    else:
        m = padding_mask(KEY_MASK) & causal_mask(T)
        ours, ref = attention(q, k, v, m), _reference(q, k, v, mask=m)
        # query rows with no visible key (left pads before the first real token) are
        # undefined in both implementations; compare only rows that see something
        ours, ref = ours[:, :, 2:], ref[:, :, 2:]
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=1e-5)


def test_masked_keys_have_no_influence_even_with_huge_scores():
    q, k, v = _qkv(1)
    m = padding_mask(KEY_MASK)
    # make the padded keys score astronomically high and their values absurd:
    # a -1e9 additive mask would let these through; replacing by finfo.min does not
    k2 = k.at[0, :, :2].set(1e12 * q[0].mean(axis=1, keepdims=True))
    v2 = v.at[0, :, :2].set(1e6)
    np.testing.assert_allclose(attention(q, k2, v2, m), attention(q, k, v, m), atol=1e-5)


def test_fully_masked_row_is_finite():
    q, k, v = _qkv(2)
    y = attention(q, k, v, jnp.zeros((1, 1, T, T), bool))
    assert np.isfinite(np.asarray(y)).all()


def _copy_into_flax(ours: MultiHeadAttention):
    """The same weights in Flax's nnx.MultiHeadAttention (kernels (C, H, D) and (H, D, C))."""
    ref = nnx.MultiHeadAttention(H, C, rngs=nnx.Rngs(0), deterministic=True, decode=False)
    W = ours.qkv.kernel[...].reshape(C, 3, H, D)
    b = ours.qkv.bias[...].reshape(3, H, D)
    for i, name in enumerate(["query", "key", "value"]):
        getattr(ref, name).kernel[...] = W[:, i]
        getattr(ref, name).bias[...] = b[i]
    ref.out.kernel[...] = ours.out.kernel[...].reshape(H, D, C)
    ref.out.bias[...] = ours.out.bias[...]
    return ref


def _module(seed=0, **kw):
    m = MultiHeadAttention(C, H, rngs=nnx.Rngs(seed), **kw)
    # non-zero biases so that a bias in the wrong place shows
    m.qkv.bias[...] = jax.random.normal(jax.random.key(seed + 10), m.qkv.bias.shape)
    m.out.bias[...] = jax.random.normal(jax.random.key(seed + 11), m.out.bias.shape)
    return m


@pytest.mark.parametrize("causal", [False, True])
def test_module_equals_flax_multi_head_attention(causal):
    ours = _module()
    ref = _copy_into_flax(ours)
    x = jax.random.normal(jax.random.key(3), (B, T, C))
    mask = padding_mask(KEY_MASK) & (causal_mask(T) if causal else True)
    y, y_ref = ours(x, mask), ref(x, mask=mask)
    rows = slice(2, None) if causal else slice(None)  # see the causal+padding note above
    np.testing.assert_allclose(y[:, rows], y_ref[:, rows], atol=1e-5, rtol=1e-5)


def test_cache_prefill_then_steps_equals_full_causal_attention():
    m = _module(4)
    x = jax.random.normal(jax.random.key(5), (B, T, C))
    full = m(x, causal_mask(T))  # (B, T, C)

    S, P = T + 3, 4  # more slots than tokens: unwritten slots must stay invisible
    slots = jnp.arange(S)
    cache = empty_cache(B, H, S, D)
    # prefill P tokens at index 0: query p sees slots <= p
    y, cache = m.cached(x[:, :P], cache, 0, (slots[None, :] <= jnp.arange(P)[:, None])[None, None])
    outs = [y]
    for t in range(P, T):  # then one token at a time at index t
        y, cache = m.cached(x[:, t : t + 1], cache, t, (slots <= t)[None, None, None, :])
        outs.append(y)
    np.testing.assert_allclose(jnp.concatenate(outs, axis=1), full, atol=1e-5, rtol=1e-5)
    # the cache holds exactly the keys of the T tokens, zeros after
    _, k, _ = m.heads(x)
    assert cache["k"].shape == (B * H, S, D)  # row b's head h is entry b·H + h
    np.testing.assert_allclose(cache["k"].reshape(B, H, S, D)[:, :, :T], k, atol=1e-6)
    assert not np.asarray(cache["k"][:, T:]).any()


def test_cache_step_inside_jit_scan():
    """The one-token step compiles once and runs in lax.scan with the cache in the carry."""
    m = _module(6)
    graphdef, params = nnx.split(m)
    x = jax.random.normal(jax.random.key(7), (B, T, C))
    full = m(x, causal_mask(T))

    @jax.jit
    def run(params, x):
        def body(cache, inp):
            t, x_t = inp
            mod = nnx.merge(graphdef, params)
            y, cache = mod.cached(x_t[:, None], cache, t, (jnp.arange(T) <= t)[None, None, None, :])
            return cache, y[:, 0]

        _, ys = jax.lax.scan(body, empty_cache(B, H, T, D), (jnp.arange(T), x.transpose(1, 0, 2)))
        return ys.transpose(1, 0, 2)

    np.testing.assert_allclose(run(params, x), full, atol=1e-5, rtol=1e-5)


def test_bfloat16_compute_stays_close_and_params_stay_float32():
    m32 = _module(8)
    m16 = _module(8, dtype=jnp.bfloat16)
    assert m16.qkv.kernel[...].dtype == jnp.float32
    x = jax.random.normal(jax.random.key(9), (B, T, C))
    y16 = m16(x, causal_mask(T))
    assert y16.dtype == jnp.bfloat16
    np.testing.assert_allclose(y16.astype(jnp.float32), m32(x, causal_mask(T)), atol=0.1, rtol=0.05)


def test_gradients_match_reference():
    q, k, v = _qkv(10)
    m = causal_mask(T)
    f = lambda fn: (lambda q, k, v: jnp.sum(jnp.sin(fn(q, k, v))))
    g = jax.grad(f(lambda q, k, v: attention(q, k, v, m)), argnums=(0, 1, 2))(q, k, v)
    g_ref = jax.grad(f(lambda q, k, v: _reference(q, k, v, is_causal=True)), argnums=(0, 1, 2))(q, k, v)
    for a, b in zip(g, g_ref):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
