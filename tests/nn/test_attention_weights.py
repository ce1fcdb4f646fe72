"""attention_weights: every layer's A, checked against the model's own q/k/v and by hand.

Independent of the readout: A is recomputed as softmax(q kᵀ/√D) in numpy from the module's
projections (ChatGPT, Sora's encoder) and from the decoding state h_t, k_s (Sora's decoder);
A V must give the module's output; the logits must not change while A is kept.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from minisora.config import ModelConfig
from minisora.nn import attention_weights, create
from minisora.nn.attention import causal_mask, padding_mask
from minisora.tokenizer import BOS_ID

GPT = ModelConfig(family="gpt", vocab_size=40, d_model=32, n_heads=4, n_layers=3, d_ff=64, max_len=16)
SORA = ModelConfig(family="sora", vocab_size=40, d_model=32, n_heads=4, n_layers=2, d_ff=64, max_len=16, d_lstm=24)
IDS = jax.random.randint(jax.random.key(1), (2, 9), 9, 40)
MASK = jnp.array([[0, 0, 0, 1, 1, 1, 1, 1, 1], [1] * 9])  # row 0 is left-padded by three
DEC_IN = jnp.concatenate([jnp.full((2, 1), BOS_ID), jax.random.randint(jax.random.key(2), (2, 5), 9, 40)], axis=1)


def softmax_by_hand(q, k, allowed):
    """numpy: softmax over the allowed keys of q kᵀ / √D, 0 elsewhere; a query that may see no key
    gets the uniform row attention.py promises. q (…, Tq, D), k (…, Tk, D)."""
    q, k = np.asarray(q, np.float64), np.asarray(k, np.float64)
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    allowed = np.broadcast_to(allowed, s.shape)
    e = np.where(allowed, np.exp(s - np.where(allowed, s, -np.inf).max(-1, keepdims=True, initial=-np.inf)), 0.0)
    blind = ~allowed.any(-1, keepdims=True)
    e = np.where(blind, 1.0, e)
    return e / e.sum(-1, keepdims=True)


@pytest.fixture(scope="module")
def gpt():
    return create(GPT, seed=0)


@pytest.fixture(scope="module")
def sora():
    return create(SORA, seed=0)


@pytest.mark.parametrize("mask", [None, MASK], ids=["no mask", "left padding"])
def test_chatgpt_weights_are_softmax_of_its_own_q_k_and_give_its_output(gpt, mask):
    A = attention_weights(gpt, IDS, mask=mask)
    assert list(A) == [f"blocks/{l}/attn" for l in range(GPT.n_layers)]
    T = IDS.shape[1]
    m = jnp.ones_like(IDS) if mask is None else mask
    positions = jnp.maximum(jnp.cumsum(m, axis=1) - 1, 0)
    allowed = np.asarray(causal_mask(T) & padding_mask(m))  # (B, 1, T, T)
    h = gpt.embed(IDS, positions)
    for l, block in enumerate(gpt.blocks):
        a = np.asarray(A[f"blocks/{l}/attn"])
        assert a.shape == (2, GPT.n_heads, T, T)
        x = block.ln1(h)
        q, k, v = block.attn.heads(x)
        np.testing.assert_allclose(a, softmax_by_hand(q, k, allowed), atol=1e-5)
        real = np.asarray(m, bool)[:, None, :, None]  # the pads' own rows see nothing: uniform, and unused
        assert (np.where(real, np.triu(a, k=1), 0) == 0).all()  # causal: exactly 0 above the diagonal
        np.testing.assert_allclose(a.sum(-1), 1, atol=1e-5)  # rows sum to 1 …
        if mask is not None:  # … and the real queries give the three pads of row 0 exactly 0
            assert (a[0, :, 3:, :3] == 0).all()
        y = block.attn.merge(jnp.einsum("bhqk,bhkd->bhqd", a, v))  # A V, heads merged, W_o
        np.testing.assert_allclose(y, block.attn(x, jnp.asarray(allowed)), atol=1e-5)
        h = block(h, jnp.asarray(allowed))


def test_sora_encoder_weights_are_bidirectional_and_skip_pads(sora):
    A = attention_weights(sora, IDS, MASK, DEC_IN)
    assert list(A) == ["cell"] + [f"encoder/blocks/{l}/attn" for l in range(SORA.n_layers)]
    enc = sora.encoder
    positions = jnp.maximum(jnp.cumsum(MASK, axis=1) - 1, 0)
    x = enc.ln_embed(enc.tok_embed(IDS) + enc.pos_embed(positions) + enc.seg_embed(jnp.zeros_like(IDS)))
    allowed = np.broadcast_to(np.asarray(padding_mask(MASK)), (2, 1, 9, 9))
    for l, block in enumerate(enc.blocks):
        a = np.asarray(A[f"encoder/blocks/{l}/attn"])
        q, k, v = block.attn.heads(x)
        np.testing.assert_allclose(a, softmax_by_hand(q, k, allowed), atol=1e-5)
        assert (a[0, :, :, :3] == 0).all()  # nobody reads a pad
        assert (a[1] > 0).all()  # bidirectional: every query sees every real key, after it too
        np.testing.assert_allclose(a.sum(-1), 1, atol=1e-5)
        y = block.attn.merge(jnp.einsum("bhqk,bhkd->bhqd", a, v))
        np.testing.assert_allclose(y, block.attn(x, padding_mask(MASK)), atol=1e-5)
        x = block(x, padding_mask(MASK))


def test_sora_decoder_weights_are_the_steps_attention_over_the_prompt(sora):
    """Row t of A["cell"] is α_t of the decoding step that reads dec_in[t]: recomputed from that
    step's state, softmax_s(h_t · k_s / √H) over the real prompt, and Σ_s α_{t,s} e_s is its ctx_t."""
    alpha = np.asarray(attention_weights(sora, IDS, MASK, DEC_IN)["cell"])
    T = DEC_IN.shape[1]
    assert alpha.shape == (2, 1, T, 9)
    np.testing.assert_allclose(alpha.sum(-1), 1, atol=1e-5)
    assert (alpha[0, 0, :, :3] == 0).all()
    _, state = sora.prefill(IDS, MASK, 16)  # feeds BOS = dec_in[0]
    allowed = np.asarray(MASK, bool)[:, None, :]
    for t in range(T):
        if t:
            _, state = sora.step(state, DEC_IN[:, t])
        by_hand = softmax_by_hand(state["h"][:, None, :], state["keys"], allowed)[:, 0]  # (B, S)
        np.testing.assert_allclose(alpha[:, 0, t], by_hand, atol=1e-5)
        ctx = jnp.einsum("bs,bsc->bc", alpha[:, 0, t], state["enc"])  # α V
        h_tilde = jnp.tanh(sora.cell.out(jnp.concatenate([state["h"], ctx], axis=-1)))
        np.testing.assert_allclose(h_tilde, state["h_tilde"], atol=1e-5)


def _outputs_while_kept(model, *inputs, **options):
    """The model's outputs with every keep_weights on (the readout enabled), collected as attention_weights does."""
    keepers = [m for _, m in nnx.iter_modules(model) if hasattr(m, "keep_weights")]
    for m in keepers:
        m.keep_weights = True
    try:
        out, kept = nnx.capture(model, nnx.Intermediate)(*inputs, **options)
    finally:
        for m in keepers:
            m.keep_weights = False
    assert len(nnx.to_flat_state(kept)) == len(keepers)  # the readout was really on
    return out


def test_the_readout_changes_no_output_and_leaves_nothing_behind(gpt, sora):
    for model, inputs, options in ((gpt, (IDS,), {"mask": MASK}), (sora, (IDS, MASK, DEC_IN), {})):
        plain = model(*inputs, **options)
        kept = _outputs_while_kept(model, *inputs, **options)
        for a, b in zip(jax.tree.leaves(plain), jax.tree.leaves(kept)):
            assert jnp.array_equal(a, b)  # bit for bit
        attention_weights(model, *inputs, **options)
        assert not jax.tree.leaves(nnx.state(model, nnx.Intermediate))  # nothing kept on the model
        assert not any(m.keep_weights for _, m in nnx.iter_modules(model) if hasattr(m, "keep_weights"))
        model(*inputs, **options)  # a normal call keeps nothing either
        assert not jax.tree.leaves(nnx.state(model, nnx.Intermediate))


@pytest.mark.parametrize("variant", [dict(scan_layers=True), dict(remat=True)])
def test_scanned_and_rematerialised_layers_give_the_same_weights(gpt, variant):
    other = create(GPT.replace(**variant), seed=5)
    if variant.get("scan_layers"):  # the plain model's blocks, stacked on a new axis 0
        pure = nnx.to_pure_dict(nnx.state(gpt, nnx.Param))
        blocks = pure.pop("blocks")
        pure["blocks"] = jax.tree.map(lambda *xs: jnp.stack(xs), *[blocks[i] for i in range(len(blocks))])
        target = nnx.state(other, nnx.Param)
        nnx.replace_by_pure_dict(target, pure)
        nnx.update(other, target)
    else:
        nnx.update(other, nnx.state(gpt, nnx.Param))
    ours, theirs = attention_weights(gpt, IDS, mask=MASK), attention_weights(other, IDS, mask=MASK)
    assert list(theirs) == list(ours)
    for name in ours:
        np.testing.assert_allclose(theirs[name], ours[name], atol=1e-6)
