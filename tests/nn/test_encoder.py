"""The bidirectional encoder: bidirectionality, padding, left padding, BERT-base size.

Exactness against a published implementation (Hugging Face BertModel /
BertForMaskedLM with copied weights) is in tests/tools/test_hf_bert.py.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from minisora.config import ModelConfig, config_from_preset
from minisora.errors import UserError
from minisora.nn import count_params
from minisora.nn.attention import positions_from_mask
from minisora.nn.encoder import Encoder

CFG = ModelConfig(family="sora", vocab_size=40, d_model=16, n_heads=2, n_layers=2, d_ff=32, max_len=12, pooler=True)


@pytest.fixture(scope="module")
def enc():
    return Encoder(CFG, nnx.Rngs(0))


def _ids(key, shape):
    return jax.random.randint(jax.random.key(key), shape, 9, CFG.vocab_size)  # real (non-special) ids


def test_bert_base_parameter_count():
    """BertModel (bert-base-uncased, with pooler) has 109,482,240 parameters; counted from the built arrays."""
    config = config_from_preset("sora", "bert-base")
    shapes = nnx.eval_shape(lambda: Encoder(config, nnx.Rngs(0), mlm_head=False))
    assert count_params(shapes) == 109_482_240


def test_positions_count_real_tokens_only():
    mask = jnp.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(positions_from_mask(mask), [[0, 0, 0, 1, 2], [0, 1, 2, 3, 4]])


def test_every_position_sees_every_token(enc):
    """Bidirectional: changing token j moves the hidden state at every position, before and after j."""
    ids = _ids(1, (1, 8))
    h = enc(ids)
    for j in (0, 4, 7):
        h2 = enc(ids.at[0, j].set((ids[0, j] + 1 - 9) % (CFG.vocab_size - 9) + 9))
        moved = jnp.abs(h2 - h).max(axis=-1)[0]  # (T,)
        assert bool(jnp.all(moved > 1e-4)), (j, moved)


def test_padding_tokens_change_nothing(enc):
    ids = _ids(2, (2, 9))
    mask = jnp.array([[1] * 6 + [0] * 3, [0] * 4 + [1] * 5])
    h = enc(ids, mask)
    other = jnp.where(mask == 1, ids, _ids(3, ids.shape))  # different tokens in every padded slot
    h2 = enc(other, mask)
    real = mask.astype(bool)
    assert not np.array_equal(ids, other)
    np.testing.assert_allclose(h2[real], h[real], atol=1e-6, rtol=0)


def test_left_padded_row_equals_row_alone(enc):
    alone = _ids(4, (1, 5))
    padded = jnp.concatenate([jnp.zeros((1, 3), jnp.int32), alone], axis=1)
    mask = jnp.array([[0, 0, 0, 1, 1, 1, 1, 1]])
    h_alone = enc(alone)
    h_pad = enc(padded, mask)
    np.testing.assert_allclose(h_pad[:, 3:], h_alone, atol=1e-5, rtol=0)
    np.testing.assert_allclose(enc.pool(h_pad, mask), enc.pool(h_alone), atol=1e-5, rtol=0)
    np.testing.assert_allclose(enc.mlm_logits(h_pad)[:, 3:], enc.mlm_logits(h_alone), atol=1e-5, rtol=0)


def test_remat_and_scanned_layers_change_nothing_but_cost():
    """Rematerialised and scanned blocks give the same outputs and gradients as plain ones."""
    ids = _ids(5, (2, 6))
    plain = Encoder(CFG, nnx.Rngs(0))
    other = Encoder(CFG.replace(remat=True, scan_layers=True), nnx.Rngs(0))
    # copy the weights: block l of the plain encoder is slice l of the stacked one
    stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *[nnx.state(b) for b in plain.blocks])
    nnx.update(other.blocks, stacked)
    rest = {k: v for k, v in nnx.state(plain).items() if k != "blocks"}
    nnx.update(other, nnx.State(rest))

    def loss(model):
        return jnp.sum(model.mlm_logits(model(ids)) ** 2)

    grad = nnx.jit(nnx.value_and_grad(loss))
    l1, g1 = grad(plain)
    l2, g2 = grad(other)
    np.testing.assert_allclose(l2, l1, rtol=1e-6)
    g1_blocks = jax.tree.map(lambda *xs: jnp.stack(xs), *[g1["blocks"][i] for i in range(CFG.n_layers)])
    for a, b in zip(jax.tree.leaves(g1_blocks), jax.tree.leaves(g2["blocks"])):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g1["tok_embed"]["embedding"][...], g2["tok_embed"]["embedding"][...], rtol=1e-5, atol=1e-6)


def test_dropout_only_in_training():
    model = Encoder(CFG.replace(dropout=0.5), nnx.Rngs(params=0, dropout=1))
    ids = _ids(6, (2, 6))
    np.testing.assert_array_equal(model(ids), model(ids))
    assert not np.allclose(model(ids, deterministic=False), model(ids))


def test_too_long_input_is_a_user_error(enc):
    with pytest.raises(UserError):
        enc(_ids(7, (1, CFG.max_len + 1)))
