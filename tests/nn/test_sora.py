"""Sora: the decoder is causal, cached decoding equals the teacher-forced forward,
padding is harmless, one step equals the equations built from Flax/JAX reference layers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from minisora.config import ModelConfig
from minisora.nn import create
from minisora.nn.sora import Sora
from minisora.tokenizer import BOS_ID

CFG = ModelConfig(family="sora", vocab_size=48, d_model=16, n_heads=2, n_layers=2, d_ff=32, max_len=16, d_lstm=12)
B, S, T = 2, 6, 7


@pytest.fixture(scope="module")
def model():
    m = create(CFG, seed=0)
    # move every parameter away from its init (zero biases, unit LayerNorms) so a lost term shows
    state = nnx.state(m, nnx.Param)
    leaves, treedef = jax.tree.flatten(state)
    keys = jax.random.split(jax.random.key(42), len(leaves))
    leaves = [x + 0.1 * jax.random.normal(k, x.shape, x.dtype) for x, k in zip(leaves, keys)]
    nnx.update(m, jax.tree.unflatten(treedef, leaves))
    return m


forward = nnx.jit(lambda m, src, mask, dec: m(src, mask, dec))
prefill = nnx.jit(lambda m, src, mask: m.prefill(src, mask, 0))
step = nnx.jit(lambda m, state, tok: m.step(state, tok))


def _ids(key, shape):
    return jax.random.randint(jax.random.key(key), shape, 9, CFG.vocab_size)


def _dec_in(key):
    y = _ids(key, (B, T))
    return jnp.concatenate([jnp.full((B, 1), BOS_ID), y[:, :-1]], axis=1), y


def test_create_builds_sora_with_one_shared_embedding():
    m = nnx.eval_shape(lambda: create(CFG))
    assert isinstance(m, Sora)
    tables = [x for x in jax.tree.leaves(nnx.state(m, nnx.Param)) if x.shape == (CFG.vocab_size, CFG.d_model)]
    assert len(tables) == 1  # the decoder's input and output use the encoder's E


def test_shapes_and_every_parameter_gets_a_gradient(model):
    src, mask = _ids(1, (B, S)), jnp.ones((B, S), jnp.int32)
    dec_in, y = _dec_in(2)
    mlm, dec = forward(model, src, mask, dec_in)
    assert mlm.shape == (B, S, CFG.vocab_size) and dec.shape == (B, T, CFG.vocab_size)
    assert dec.dtype == jnp.float32

    def loss(m):
        mlm, dec = m(src, mask, dec_in)
        lp = jax.nn.log_softmax(dec)
        return -jnp.take_along_axis(lp, y[..., None], -1).mean() + jnp.mean(mlm**2)

    grads = nnx.jit(nnx.grad(loss))(model)
    names = [(jax.tree_util.keystr(p), g) for p, g in jax.tree_util.tree_leaves_with_path(grads)]
    dead = [n for n, g in names if not np.any(np.asarray(g))]
    # the pooler is absent (config.pooler=False); nothing else may be disconnected
    assert not dead, dead


def test_decoder_is_causal(model):
    """Changing decoder input t changes no logit before t, and does change t."""
    src, mask = _ids(3, (B, S)), jnp.ones((B, S), jnp.int32)
    dec_in, _ = _dec_in(4)
    _, base = forward(model, src, mask, dec_in)
    for t in (1, 3, T - 1):
        changed = dec_in.at[:, t].set((dec_in[:, t] - 9 + 5) % (CFG.vocab_size - 9) + 9)
        _, dec = forward(model, src, mask, changed)
        np.testing.assert_array_equal(dec[:, :t], base[:, :t])
        assert np.abs(dec[:, t] - base[:, t]).max() > 1e-4


def test_decoder_reads_the_prompt(model):
    """Every decoder position depends on the prompt (through h_0, c_0 and attention)."""
    src, mask = _ids(5, (B, S)), jnp.ones((B, S), jnp.int32)
    dec_in, _ = _dec_in(6)
    _, base = forward(model, src, mask, dec_in)
    _, dec = forward(model, src.at[:, -1].set(src[:, -1] % 30 + 10), mask, dec_in)
    assert bool(jnp.all(jnp.abs(dec - base).max(axis=-1) > 1e-5))


def test_prefill_and_steps_equal_teacher_forcing(model):
    src, mask = _ids(7, (B, S)), jnp.ones((B, S), jnp.int32)
    dec_in, y = _dec_in(8)
    _, tf = forward(model, src, mask, dec_in)
    logits, state = prefill(model, src, mask)
    got = [logits]
    for t in range(T - 1):
        logits, state = step(model, state, y[:, t])
        got.append(logits)
    np.testing.assert_allclose(jnp.stack(got, axis=1), tf, atol=1e-5, rtol=0)
    # constant-size state: nothing in it grew with the number of steps
    _, first = prefill(model, src, mask)
    assert jax.tree.map(jnp.shape, first) == jax.tree.map(jnp.shape, state)


def test_left_padded_rows_decode_like_rows_alone(model):
    """A batch of prompts of different lengths, left-padded, decodes each row as if alone."""
    rows = [_ids(9, (1, 3)), _ids(10, (1, S))]
    padded = jnp.concatenate([jnp.pad(r, ((0, 0), (S - r.shape[1], 0))) for r in rows])
    mask = jnp.concatenate([jnp.pad(jnp.ones_like(r), ((0, 0), (S - r.shape[1], 0))) for r in rows])
    dec_in, y = _dec_in(11)

    logits, state = prefill(model, padded, mask)
    batch = [logits]
    for t in range(T - 1):
        logits, state = step(model, state, y[:, t])
        batch.append(logits)
    batch = jnp.stack(batch, axis=1)  # (B, T, V)

    _, tf_padded = forward(model, padded, mask, dec_in)
    np.testing.assert_allclose(batch, tf_padded, atol=1e-5, rtol=0)
    for b, r in enumerate(rows):
        _, alone = forward(model, r, jnp.ones_like(r), dec_in[b : b + 1])
        np.testing.assert_allclose(batch[b : b + 1], alone, atol=1e-5, rtol=0)


def test_one_decoder_step_equals_reference_layers(model):
    """h_t from Flax's OptimizedLSTMCell, ctx_t a masked softmax in numpy, h̃_t and the
    logits from the equations: the same as ``step``."""
    src = _ids(12, (B, S))
    mask = jnp.array([[0, 0, 1, 1, 1, 1], [1] * S])
    _, state = prefill(model, src, mask)
    token = _ids(13, (B,))
    logits, new = step(model, state, token)

    C, H = CFG.d_model, CFG.d_lstm
    ref_lstm = nnx.OptimizedLSTMCell(2 * C, H, rngs=nnx.Rngs(0))
    ref_lstm.dense_i.kernel[...] = model.cell.lstm.x_gates.kernel[...]
    ref_lstm.dense_h.kernel[...] = model.cell.lstm.h_gates.kernel[...]
    ref_lstm.dense_h.bias[...] = model.cell.lstm.h_gates.bias[...]
    E = model.encoder.tok_embed.embedding[...]

    def layer_norm(x, ln):  # (x − mean) / √(var + ε) · γ + β, by hand
        x = np.asarray(x, np.float64)
        z = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + CFG.layer_norm_eps)
        return z * np.asarray(ln.scale[...]) + np.asarray(ln.bias[...])

    x = jnp.concatenate([layer_norm(E[token], model.ln_in), state["h_tilde"]], axis=-1).astype(jnp.float32)
    (c_t, h_t), _ = ref_lstm((state["c"], state["h"]), x)

    keys = state["enc"] @ model.key.kernel[...]  # (B, S, H)
    scores = np.einsum("bh,bsh->bs", h_t, keys) / np.sqrt(H)
    scores = np.where(mask == 1, scores, -np.inf)  # pads get exactly zero weight
    alpha = np.exp(scores - scores.max(-1, keepdims=True))
    alpha /= alpha.sum(-1, keepdims=True)
    ctx = np.einsum("bs,bsc->bc", alpha, state["enc"])
    W_o, b_o = model.cell.out.kernel[...], model.cell.out.bias[...]
    h_tilde = jnp.tanh(jnp.concatenate([h_t, ctx], -1) @ W_o + b_o)
    ref_logits = layer_norm(h_tilde, model.ln_f) @ np.asarray(E, np.float64).T + model.vocab_bias[...]

    np.testing.assert_allclose(new["h"], h_t, atol=1e-5)
    np.testing.assert_allclose(new["c"], c_t, atol=1e-5)
    np.testing.assert_allclose(new["h_tilde"], h_tilde, atol=1e-5)
    np.testing.assert_allclose(logits, ref_logits, atol=1e-4)


def test_initial_state_is_the_masked_mean(model):
    """h_0 = tanh(W_h m̄ + b_h) with m̄ the mean over real prompt positions only."""
    m = model
    src = _ids(14, (1, S))
    mask = jnp.array([[0, 0, 1, 1, 1, 1]])
    enc = m.encoder(src, mask)
    state = m.start(enc, mask)
    m_bar = enc[0, 2:].mean(axis=0)
    np.testing.assert_allclose(state["h"][0], jnp.tanh(m_bar @ m.init_h.kernel[...] + m.init_h.bias[...]), atol=1e-6)
    np.testing.assert_allclose(state["c"][0], m_bar @ m.init_c.kernel[...] + m.init_c.bias[...], atol=1e-6)


def test_bfloat16_compute_keeps_the_lstm_memory_in_float32(model):
    """dtype="bfloat16" (with remat and scanned layers) gives the float32 model's logits to
    bfloat16 rounding, and the LSTM's h, c stay float32."""
    low = create(CFG.replace(dtype="bfloat16", remat=True, scan_layers=True))
    params = nnx.state(model, nnx.Param)
    stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *[params["encoder"]["blocks"][i] for i in range(CFG.n_layers)])
    rest = {k: v for k, v in params.items() if k != "encoder"}
    rest["encoder"] = {k: v for k, v in params["encoder"].items() if k != "blocks"} | {"blocks": stacked}
    nnx.update(low, nnx.State(rest))

    src, mask = _ids(15, (B, S)), jnp.ones((B, S), jnp.int32)
    dec_in, _ = _dec_in(16)
    _, ref = forward(model, src, mask, dec_in)
    _, got = forward(low, src, mask, dec_in)
    assert got.dtype == jnp.float32
    np.testing.assert_allclose(got, ref, atol=0.1 * float(jnp.abs(ref).max()))
    _, state = prefill(low, src, mask)
    assert state["h"].dtype == state["c"].dtype == jnp.float32
