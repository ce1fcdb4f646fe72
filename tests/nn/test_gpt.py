"""The causal decoder (ChatGPT): causality, KV-cache decoding, size, init, variants."""

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from minisora import nn
from minisora.config import ModelConfig, config_from_preset
from minisora.errors import UserError
from minisora.nn import count_params
from minisora.nn.gpt import ChatGPT

CFG = ModelConfig(vocab_size=61, d_model=32, n_heads=4, n_layers=2, d_ff=128, max_len=24)
B, T = 3, 12


def _model(cfg=CFG, seed=0):
    m = ChatGPT(cfg, rngs=nnx.Rngs(params=seed, dropout=seed + 1))
    # move every parameter away from its init (zero biases, unit LayerNorm scales)
    # so a bias or LayerNorm that is dropped somewhere shows in the logits
    rng = np.random.default_rng(seed)
    for _, p in nnx.iter_graph(m):
        if isinstance(p, nnx.Param):  # numpy on the host: nothing to compile
            p[...] = jnp.asarray(np.asarray(p[...]) + 0.05 * rng.standard_normal(p.shape, np.float32))
    return m


@partial(nnx.jit, static_argnames="deterministic")
def fwd(m, ids, mask=None, deterministic=True):
    return m(ids, mask=mask, deterministic=deterministic)


_prefill = nnx.jit(ChatGPT.prefill, static_argnums=3)
_step = nnx.jit(ChatGPT.step)


def _ids(seed=1, shape=(B, T)):
    return jax.random.randint(jax.random.key(seed), shape, 0, CFG.vocab_size)


def test_changing_token_t_changes_no_logit_before_t():
    m, ids = _model(), _ids()
    base = fwd(m, ids)
    for t in (0, 5, T - 1):
        changed = fwd(m, ids.at[:, t].set((ids[:, t] + 1) % CFG.vocab_size))
        np.testing.assert_array_equal(changed[:, :t], base[:, :t])
        # ...and does change the logits from t on (the check above is not vacuous)
        assert np.abs(np.asarray(changed[:, t:] - base[:, t:])).min(axis=-1).max() > 0


def _decode(m, prompt, mask, rest, cache_len):
    """Prefill, then feed the given tokens one at a time: logits (B, 1 + len(rest), V)."""
    logits, state = _prefill(m, prompt, mask, cache_len)
    out = [logits]
    for t in range(rest.shape[1]):
        logits, state = _step(m, state, rest[:, t])
        out.append(logits)
    return jnp.stack(out, axis=1), state


def test_prefill_and_steps_equal_teacher_forced_forward():
    m, ids = _model(), _ids()
    P = 5
    full = fwd(m, ids)  # (B, T, V)
    got, state = _decode(m, ids[:, :P], jnp.ones((B, P), jnp.int32), ids[:, P:-1], cache_len=16)
    np.testing.assert_allclose(got, full[:, P - 1 : -1], atol=1e-5, rtol=1e-5)
    assert int(state["index"]) == T - 1 and len(state["k"]) == 2 and state["k"][0].shape == (B * 4, 16, 8)


def test_left_padded_rows_decode_like_the_rows_alone():
    m = _model(seed=2)
    lengths, n_new, P = [6, 3, 1], 4, 6
    rows = [_ids(10 + i, (1, L + n_new)) for i, L in enumerate(lengths)]
    prompt = jnp.zeros((3, P), jnp.int32)
    mask = jnp.zeros((3, P), jnp.int32)
    for i, (r, L) in enumerate(zip(rows, lengths)):  # left padding with junk ids, not just 0
        prompt = prompt.at[i, : P - L].set(7).at[i, P - L :].set(r[0, :L])
        mask = mask.at[i, P - L :].set(1)
    rest = jnp.concatenate([r[:, L : L + n_new - 1] for r, L in zip(rows, lengths)])
    batched, _ = _decode(m, prompt, mask, rest, cache_len=P + n_new)
    # the teacher-forced forward with the padding mask agrees too
    padded_full = fwd(m, jnp.concatenate([prompt, rest], axis=1), jnp.concatenate([mask, jnp.ones_like(rest)], 1))
    for i, (r, L) in enumerate(zip(rows, lengths)):
        alone = fwd(m, r)[0, L - 1 : L + n_new - 1]  # (n_new, V)
        np.testing.assert_allclose(batched[i], alone, atol=1e-5, rtol=1e-5)
        np.testing.assert_allclose(padded_full[i, P - 1 :], alone, atol=1e-5, rtol=1e-5)


def test_jitted_decode_loop_in_lax_scan_equals_forward():
    """What inference/decode.py does: jit(prefill), then lax.scan over step with the state as carry."""
    m, ids = _model(seed=3), _ids(4)
    graphdef, params = nnx.split(m)  # all state: parameters and the dropout streams
    P = 4

    @jax.jit
    def run(params, ids):
        logits0, state = nn.prefill(graphdef, params, ids[:, :P], jnp.ones((B, P), jnp.int32), T)

        def body(state, token):
            logits, state = nn.step(graphdef, params, state, token)
            return state, logits

        _, logits = jax.lax.scan(body, state, ids[:, P:-1].T)
        return jnp.concatenate([logits0[:, None], logits.transpose(1, 0, 2)], axis=1)

    np.testing.assert_allclose(run(params, ids), fwd(m, ids)[:, P - 1 : -1], atol=1e-5, rtol=1e-5)


def test_gpt2_small_preset_has_124_439_808_parameters():
    cfg = config_from_preset("gpt", "gpt2-small")
    abstract = nnx.eval_shape(lambda: ChatGPT(cfg, rngs=nnx.Rngs(0)))  # shapes only, nothing allocated
    assert count_params(abstract) == 124_439_808


def test_baby_preset_builds_and_runs():
    cfg = config_from_preset("gpt", "baby")
    m = nn.create(cfg)
    logits = fwd(m, jnp.zeros((2, cfg.max_len), jnp.int32))
    assert logits.shape == (2, cfg.max_len, 65) and np.isfinite(np.asarray(logits)).all()


def test_gpt2_initialisation():
    cfg = ModelConfig(vocab_size=512, d_model=256, n_heads=4, n_layers=6, d_ff=1024, max_len=512)
    m = ChatGPT(cfg, rngs=nnx.Rngs(0))
    resid = 0.02 / math.sqrt(2 * cfg.n_layers)
    blk = m.blocks[2]
    for w, std in [(m.tok_embed.embedding, 0.02), (m.pos_embed.embedding, 0.02), (blk.attn.qkv.kernel, 0.02),
                   (blk.fc1.kernel, 0.02), (blk.attn.out.kernel, resid), (blk.fc2.kernel, resid)]:
        w = np.asarray(w[...])
        assert abs(w.mean()) < 0.1 * std and abs(w.std() / std - 1) < 0.03
    assert not np.asarray(blk.attn.qkv.bias[...]).any() and not np.asarray(blk.fc2.bias[...]).any()
    assert (np.asarray(blk.ln1.scale[...]) == 1).all() and not np.asarray(blk.ln1.bias[...]).any()
    # the head is tied: there is no separate output matrix
    assert set(nnx.to_pure_dict(nnx.state(m, nnx.Param))) == {"tok_embed", "pos_embed", "blocks", "ln_f"}


def _stack_blocks_into(plain: ChatGPT, stacked: ChatGPT):
    """Copy plain's weights into a scan_layers model (block weights stacked on a new axis 0)."""
    pure = nnx.to_pure_dict(nnx.state(plain, nnx.Param))
    blocks = pure.pop("blocks")
    pure["blocks"] = jax.tree.map(lambda *xs: jnp.stack(xs), *[blocks[i] for i in range(len(blocks))])
    target = nnx.state(stacked, nnx.Param)
    nnx.replace_by_pure_dict(target, pure)
    nnx.update(stacked, target)


def _loss(m, ids):
    return jnp.mean(jax.nn.log_softmax(m(ids))[..., 0])


@pytest.fixture(scope="module")
def plain():
    """The plain model, its logits and its gradients, computed once for the variants below."""
    m, ids = _model(seed=5), _ids(6)
    return m, ids, fwd(m, ids), nnx.jit(nnx.grad(_loss))(m, ids)


@pytest.mark.parametrize("variant", [dict(remat=True), dict(scan_layers=True), dict(scan_layers=True, remat=True)])
def test_remat_and_scan_layers_match_the_plain_model(plain, variant):
    plain, ids, logits, g_plain = plain
    other = ChatGPT(CFG.replace(**variant), rngs=nnx.Rngs(123))
    scan = variant.get("scan_layers", False)
    if scan:
        assert other.blocks.fc1.kernel.shape == (CFG.n_layers, CFG.d_model, CFG.d_ff)
        _stack_blocks_into(plain, other)
    else:
        nnx.update(other, nnx.state(plain, nnx.Param))
    assert count_params(other) == count_params(plain)
    np.testing.assert_allclose(fwd(other, ids), logits, atol=1e-5, rtol=1e-5)
    # remat changes only the backward pass, so compare gradients too
    g_other = nnx.jit(nnx.grad(_loss))(other, ids)
    for name in ("fc1", "fc2"):
        g = g_other["blocks"][name]["kernel"][...][1] if scan else g_other["blocks"][1][name]["kernel"][...]
        np.testing.assert_allclose(g, g_plain["blocks"][1][name]["kernel"][...], atol=1e-6)
    np.testing.assert_allclose(g_other["tok_embed"]["embedding"][...], g_plain["tok_embed"]["embedding"][...], atol=1e-6)
    if scan:  # and decoding with the cache through the scanned layers
        got, _ = _decode(other, ids[:, :4], jnp.ones((B, 4), jnp.int32), ids[:, 4:-1], cache_len=T)
        np.testing.assert_allclose(got, logits[:, 3:-1], atol=1e-5, rtol=1e-5)


def test_dropout_is_active_only_when_not_deterministic():
    m = ChatGPT(CFG.replace(dropout=0.5), rngs=nnx.Rngs(params=0, dropout=1))
    no_dropout = ChatGPT(CFG, rngs=nnx.Rngs(params=0, dropout=1))  # the same weights
    ids = _ids()
    np.testing.assert_allclose(fwd(m, ids), fwd(no_dropout, ids), atol=1e-6)  # deterministic by default
    a, b = fwd(m, ids, deterministic=False), fwd(m, ids, deterministic=False)
    assert not np.allclose(a, b)  # a fresh mask each call


def test_bfloat16_compute_keeps_float32_params_and_logits():
    m32 = _model()
    m16 = ChatGPT(CFG.replace(dtype="bfloat16"), rngs=nnx.Rngs(0))
    nnx.update(m16, nnx.state(m32, nnx.Param))
    assert m16.blocks[0].fc1.kernel[...].dtype == jnp.float32
    ids = _ids()
    l16 = fwd(m16, ids)
    assert l16.dtype == jnp.float32
    p16, p32 = jax.nn.softmax(l16), jax.nn.softmax(fwd(m32, ids))
    assert float(jnp.abs(p16 - p32).max()) < 0.05


def test_too_long_inputs_are_user_errors():
    m = _model()
    with pytest.raises(UserError):
        m(jnp.zeros((1, CFG.max_len + 1), jnp.int32))
    with pytest.raises(UserError):
        m.prefill(jnp.zeros((1, 4), jnp.int32), jnp.ones((1, 4), jnp.int32), CFG.max_len + 1)
    with pytest.raises(UserError):
        m.prefill(jnp.zeros((1, 8), jnp.int32), jnp.ones((1, 8), jnp.int32), 6)

