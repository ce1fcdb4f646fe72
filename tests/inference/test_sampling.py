"""Sampling filters against plain-numpy definitions (sorting by hand, summing probabilities)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minisora.inference import sampling


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _top_k_set(z, k):
    return set(np.argsort(-z)[:k].tolist())


def _nucleus(z, p):
    """The smallest set of most likely tokens whose probability reaches p, by a plain loop."""
    probs = _softmax(z)
    kept, mass = set(), 0.0
    for v in np.argsort(-probs):
        if probs[v] == 0:  # tokens already filtered out (logit -inf) never join
            break
        kept.add(int(v))
        mass += probs[v]
        if mass >= p:
            break
    return kept


def _kept(z_filtered):
    return set(np.flatnonzero(np.isfinite(np.asarray(z_filtered))).tolist())


def test_greedy_is_argmax():
    z = np.random.default_rng(0).normal(size=(5, 37)).astype(np.float32)
    np.testing.assert_array_equal(sampling.greedy(z), z.argmax(-1))


@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 40), p=st.floats(0.01, 1.0))
@settings(max_examples=40, deadline=None)
def test_filter_keeps_top_k_then_nucleus(seed, k, p):
    V = 40
    z = np.random.default_rng(seed).normal(scale=3.0, size=(1, V)).astype(np.float32)
    kept = _kept(sampling.filter_logits(jnp.asarray(z), k, p)[0])
    # reference: top-k first, then the nucleus of the renormalised top-k distribution
    top = sorted(_top_k_set(z[0], k))
    z_k = np.full(V, -np.inf, np.float32)
    z_k[top] = z[0, top]
    expected = _nucleus(z_k, p)
    probs = np.sort(_softmax(z_k))[::-1]
    if np.min(np.abs(np.cumsum(probs) - p)) > 1e-5:  # float32 rounding decides exact ties with p
        assert kept == expected
    else:
        assert abs(len(kept) - len(expected)) <= 1
    assert kept <= _top_k_set(z[0], k)
    if min(k, V) == V and p == 1.0:
        assert kept == set(range(V))


def test_filter_exact_sets():
    z = np.log(np.array([[0.5, 0.2, 0.15, 0.1, 0.05]], np.float32))
    assert _kept(sampling.filter_logits(z, 2, 1.0)[0]) == {0, 1}
    assert _kept(sampling.filter_logits(z, 5, 0.6)[0]) == {0, 1}  # 0.5 < 0.6 ≤ 0.7
    assert _kept(sampling.filter_logits(z, 5, 0.5)[0]) == {0}  # the top token alone reaches 0.5
    assert _kept(sampling.filter_logits(z, 5, 0.86)[0]) == {0, 1, 2, 3}  # 0.85 < 0.86
    assert _kept(sampling.filter_logits(z, 1, 0.99)[0]) == {0}


def _draw(z, n, temperature, top_k, top_p, seed=0):
    """n samples from the same logits row, as one batch."""
    Z = jnp.broadcast_to(jnp.asarray(z, jnp.float32), (n, z.shape[-1]))
    return np.asarray(sampling.sample(jax.random.key(seed), Z, temperature, top_k, top_p))


def test_top_k_never_leaves_the_k_most_likely():
    z = np.random.default_rng(1).normal(scale=2.0, size=50)
    y = _draw(z, 4000, 1.0, 5, 1.0)
    assert set(y.tolist()) == _top_k_set(z, 5)  # inside, and every one of the five is reachable


def test_top_p_never_leaves_the_nucleus():
    z = np.random.default_rng(2).normal(scale=2.0, size=50)
    nucleus = _nucleus(z, 0.7)
    y = _draw(z, 4000, 1.0, 50, 0.7)
    assert set(y.tolist()) <= nucleus
    assert len(set(y.tolist())) >= len(nucleus) - 1  # the rarest member may go unseen


def test_temperature_matches_softmax_over_t():
    z = np.array([2.0, 1.0, 0.0, -1.0])
    n, T = 20000, 2.0
    freq = np.bincount(_draw(z, n, T, 4, 1.0), minlength=4) / n
    p = _softmax(z / T)
    # 4 standard errors of a binomial proportion
    assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / n))


def test_top_k_renormalises():
    z = np.array([1.0, 0.5, 0.0, -3.0, -3.0])
    n = 20000
    freq = np.bincount(_draw(z, n, 1.0, 3, 1.0, seed=3), minlength=5) / n
    p = _softmax(z[:3])
    assert freq[3:].sum() == 0
    assert np.all(np.abs(freq[:3] - p) < 4 * np.sqrt(p * (1 - p) / n))


@pytest.mark.parametrize("temperature", [0.0, 1e-4])
def test_temperature_to_zero_is_greedy(temperature):
    z = np.random.default_rng(4).normal(size=(64, 30)).astype(np.float32)
    keys = jax.random.split(jax.random.key(0), 3)
    for key in keys:
        y = sampling.sample(key, jnp.asarray(z), temperature, 30, 1.0)
        np.testing.assert_array_equal(y, z.argmax(-1))


def test_changing_parameters_does_not_recompile():
    f = jax.jit(sampling.sample)
    z = jnp.zeros((2, 16))
    for T, k, p in [(1.0, 16, 1.0), (0.5, 3, 0.9), (0.0, 1, 0.2), (2.0, 16, 0.5)]:
        f(jax.random.key(0), z, T, k, p)
    assert f._cache_size() == 1
