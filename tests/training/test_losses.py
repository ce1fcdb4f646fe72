"""Losses against hand formulas, optax, and the article's worked numbers."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from minisora.training.losses import cross_entropy, mlm_loss, next_token_loss, perplexity, token_nll


def _hand_nll(logits, targets):
    """−log p_k = −z_k + log Σ_j exp z_j, in float64 numpy."""
    z = np.asarray(logits, np.float64)
    lse = np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1)) + z.max(-1)
    return lse - np.take_along_axis(z, np.asarray(targets)[..., None], -1)[..., 0]


def test_one_hot_cross_entropy_is_minus_log_p():
    # L = −Σ_i y_i log p_i with one-hot y: the article's −ln 0.6 ≈ 0.51 nats.
    p = np.array([0.6, 0.3, 0.1])
    loss = cross_entropy(jnp.log(p)[None], jnp.array([0]))
    assert float(loss) == pytest.approx(-math.log(0.6), rel=1e-6)
    assert float(loss) == pytest.approx(0.5108, abs=1e-4)


def test_matches_hand_formula_and_optax():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 5, 11)).astype(np.float32) * 3
    targets = rng.integers(0, 11, size=(3, 5))
    ours = token_nll(jnp.asarray(logits), jnp.asarray(targets))
    np.testing.assert_allclose(ours, _hand_nll(logits, targets), rtol=1e-5)
    ref = optax.softmax_cross_entropy_with_integer_labels(logits, targets)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)
    assert float(cross_entropy(jnp.asarray(logits), jnp.asarray(targets))) == pytest.approx(float(ref.mean()), rel=1e-5)


def test_stable_for_huge_logits():
    logits = jnp.array([[1000.0, 0.0, -1000.0]])
    nll = token_nll(logits, jnp.array([1]))
    assert np.isfinite(nll).all() and float(nll[0]) == pytest.approx(1000.0)


def test_weights_average_only_counted_tokens():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2, 4, 7)).astype(np.float32)
    targets = rng.integers(0, 7, size=(2, 4))
    w = np.array([[1, 1, 0, 0], [0, 1, 1, 1]])
    nll = _hand_nll(logits, targets)
    expected = nll[w == 1].mean()
    assert float(cross_entropy(jnp.asarray(logits), jnp.asarray(targets), jnp.asarray(w))) == pytest.approx(expected, rel=1e-5)
    assert float(cross_entropy(jnp.asarray(logits), jnp.asarray(targets), jnp.zeros((2, 4)))) == 0.0


def test_masked_positions_get_zero_gradient():
    # padding/prompt tokens (weight 0) must not move the model: ∂L/∂z is exactly zero there.
    rng = np.random.default_rng(2)
    logits = jnp.asarray(rng.normal(size=(2, 5, 6)).astype(np.float32))
    targets = jnp.asarray(rng.integers(0, 6, size=(2, 5)))
    w = jnp.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1]])
    g = jax.grad(lambda z: cross_entropy(z, targets, w))(logits)
    assert np.all(np.asarray(g)[np.asarray(w) == 0] == 0)
    assert np.all(np.abs(np.asarray(g)[np.asarray(w) == 1]).sum(-1) > 0)
    # on a counted token the gradient is (softmax − one_hot) / Σw  (closed form)
    p = jax.nn.softmax(logits, -1)
    expected = (p - jax.nn.one_hot(targets, 6)) * w[..., None] / w.sum()
    np.testing.assert_allclose(g, expected, atol=1e-6)


def test_next_token_loss_is_mean_of_conditional_log_probs():
    # −(1/T) Σ_t log p(x_t | x_<t), built by hand from a table of conditionals.
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 9, size=(1, 6))
    logits = rng.normal(size=(1, 6, 9)).astype(np.float32)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    hand = -np.mean([log_p[0, t - 1, ids[0, t]] for t in range(1, 6)])
    assert float(next_token_loss(jnp.asarray(logits), jnp.asarray(ids))) == pytest.approx(hand, rel=1e-5)
    mask = np.array([[1, 1, 1, 1, 0, 0]])  # targets at padded positions do not count
    hand_masked = -np.mean([log_p[0, t - 1, ids[0, t]] for t in range(1, 4)])
    got = next_token_loss(jnp.asarray(logits), jnp.asarray(ids), jnp.asarray(mask))
    assert float(got) == pytest.approx(hand_masked, rel=1e-5)


def test_article_autoregressive_example_is_1_427_not_0_51():
    # two tokens with p = 0.6 and 0.4: the summed loss is −ln 0.6 − ln 0.4 ≈ 1.427 nats
    logits = jnp.log(jnp.array([[[0.6, 0.4], [0.6, 0.4]]]))
    targets = jnp.array([[0, 1]])
    mean = float(cross_entropy(logits, targets))
    assert 2 * mean == pytest.approx(-math.log(0.6) - math.log(0.4), rel=1e-6)
    assert 2 * mean == pytest.approx(1.427, abs=1e-3)
    assert abs(2 * mean - 0.51) > 0.9


def test_mlm_loss_scores_only_masked_positions():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(2, 6, 8)).astype(np.float32)
    targets = rng.integers(0, 8, size=(2, 6))
    masked = np.zeros((2, 6), int)
    masked[0, 2] = masked[1, 0] = masked[1, 5] = 1
    nll = _hand_nll(logits, targets)
    expected = (nll[0, 2] + nll[1, 0] + nll[1, 5]) / 3
    assert float(mlm_loss(jnp.asarray(logits), jnp.asarray(targets), jnp.asarray(masked))) == pytest.approx(expected, rel=1e-5)
    # changing logits at unmasked positions leaves the loss unchanged
    logits2 = logits.copy()
    logits2[0, 0] += 5.0
    assert float(mlm_loss(jnp.asarray(logits2), jnp.asarray(targets), jnp.asarray(masked))) == pytest.approx(expected, rel=1e-5)


def test_perplexity_of_uniform_model_is_vocab_size():
    V = 37
    loss = cross_entropy(jnp.zeros((4, V)), jnp.arange(4))  # uniform p = 1/V: L = ln V
    assert float(loss) == pytest.approx(math.log(V), rel=1e-6)
    assert float(perplexity(loss)) == pytest.approx(V, rel=1e-5)
