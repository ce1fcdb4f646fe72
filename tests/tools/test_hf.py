"""GPT-2 parity: a Hugging Face GPT2LMHeadModel saved with save_pretrained, read by
``gpt2_from_hf`` into minisora's ChatGPT, gives the same logits.

The reference is built here from a small random config (no download), and every
weight is moved away from its initial value first, so a missed bias or a LayerNorm
left at (1, 0) would show.
"""

import json

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from minisora.decoder import ChatGPT
from minisora.errors import UserError
from minisora.hf_import import gpt2_from_hf, read_hf_folder

V, C, T = 67, 24, 10


def _gpt2(tmp_path, model_class="GPT2LMHeadModel"):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    cfg = transformers.GPT2Config(
        vocab_size=V, n_embd=C, n_layer=2, n_head=3, n_positions=16,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0,
    )
    ref = getattr(transformers, model_class)(cfg)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in ref.parameters():  # the tied head appears once, as wte
            p.add_(0.2 * torch.randn_like(p))
    ref.eval().save_pretrained(tmp_path, safe_serialization=True)
    return torch, ref


def _ours(tmp_path):
    config, params = gpt2_from_hf(tmp_path)
    model = ChatGPT(config, rngs=nnx.Rngs(0))
    nnx.update(model, params)
    return config, model


def test_gpt2_lm_head_model_logits_match(tmp_path):
    torch, ref = _gpt2(tmp_path)
    config, model = _ours(tmp_path)
    assert (config.n_layers, config.n_heads, config.d_model, config.d_ff, config.max_len) == (2, 3, C, 4 * C, 16)
    ids = np.random.default_rng(0).integers(0, V, size=(2, T))
    with torch.no_grad():
        expected = ref(torch.tensor(ids)).logits.numpy()
    np.testing.assert_allclose(model(jnp.asarray(ids)), expected, atol=1e-4, rtol=0)


def test_gpt2_model_without_head_imports_the_same_body(tmp_path):
    torch, ref = _gpt2(tmp_path, "GPT2Model")
    _, model = _ours(tmp_path)
    ids = np.random.default_rng(1).integers(0, V, size=(2, T))
    with torch.no_grad():
        h = ref(torch.tensor(ids)).last_hidden_state  # after ln_f
        expected = (h @ ref.wte.weight.T).numpy()  # GPT-2's head is the tied embedding
    np.testing.assert_allclose(model(jnp.asarray(ids)), expected, atol=1e-4, rtol=0)


def test_missing_weights_file_is_a_user_error(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(UserError, match="model.safetensors"):
        gpt2_from_hf(tmp_path)


def test_missing_folder_config_or_unknown_architecture_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="not a directory"):
        read_hf_folder(tmp_path / "nope")
    with pytest.raises(UserError, match="config.json"):
        read_hf_folder(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(UserError, match="llama"):
        read_hf_folder(tmp_path)


def test_wrong_shapes_are_user_errors(tmp_path):
    _gpt2(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["n_embd"] = 2 * C  # the config no longer describes the tensors
    cfg["n_head"] = 6
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(UserError, match="shape"):
        gpt2_from_hf(tmp_path)
