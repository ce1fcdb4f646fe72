"""GPT-2 parity: a Hugging Face GPT2LMHeadModel saved with save_pretrained, read by
``gpt2_from_hf`` (minisora/tools/hf.py) into minisora's ChatGPT, gives the same logits.

The reference is built here from a small random config (no download), and every
weight is moved away from its initial value first, so a missed bias or a LayerNorm
left at (1, 0) would show. Also: ``minisora import-hf`` refuses folders that are not
a model with one sentence (tests/inference/test_run.py imports this GPT-2 through it).
"""

import json

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from minisora.cli import main
from minisora.errors import UserError
from minisora.nn.gpt import ChatGPT
from minisora.tools.hf import gpt2_from_hf, gpt2_table, read_hf_config, read_hf_folder
from minisora.training.checkpoint import OLD_NAMES

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


def test_gpt2_table_names_every_parameter_once_in_the_new_scheme():
    """The converter's table is exactly ChatGPT's parameter paths (tok_embed, ln1, fc1, …), none
    of the names from before the renaming (wte, ln_1, fc, proj, …)."""
    from minisora.config import ModelConfig

    config = ModelConfig(family="gpt", vocab_size=V, d_model=C, n_heads=3, n_layers=2, d_ff=4 * C, max_len=16)
    abstract = nnx.eval_shape(lambda: ChatGPT(config, rngs=nnx.Rngs(0)))
    ours = set(dict(nnx.to_flat_state(nnx.state(abstract, nnx.Param))))
    table = gpt2_table(config.n_layers)
    assert set(table) == ours and len(set(table.values())) == len(table)
    assert not {part for path in table for part in path if isinstance(part, str)} & set(OLD_NAMES)


# --- minisora import-hf on folders that are not a model ---------------------------------------


def _cli(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("text, says", [
    ('{"model_type": "gpt2", "n_embd": 24,', "not valid JSON"),  # cut off
    ("model_type = gpt2", "not valid JSON"),
    ("[]", "not an object"),  # valid JSON, but not the object of settings a config is
    ('["gpt2"]', "not an object"),
    ('"gpt2"', "not an object"),
])
def test_import_hf_with_a_bad_config_json_is_one_sentence(tmp_path, capsys, text, says):
    folder, out = tmp_path / "hf", tmp_path / "run"
    folder.mkdir()
    (folder / "config.json").write_text(text)
    (folder / "model.safetensors").write_bytes(b"")  # present: what fails is reading config.json
    code, stdout, err = _cli(["import-hf", "--from", str(folder), "--out", str(out)], capsys)
    assert code == 2 and stdout == ""
    assert err.startswith("minisora: error: ") and err.count("\n") == 1 and err.endswith(".\n")
    assert "Traceback" not in err and "config.json" in err and says in err
    assert not out.exists()  # nothing written
    with pytest.raises(UserError, match=says):  # the library function says the same
        read_hf_config(folder)


def test_import_hf_with_config_json_not_utf8_is_one_sentence(tmp_path, capsys):
    folder = tmp_path / "hf"
    folder.mkdir()
    (folder / "config.json").write_bytes(b'{"model_type": "gpt2\xff"}')
    (folder / "model.safetensors").write_bytes(b"")
    code, _, err = _cli(["import-hf", "--from", str(folder), "--out", str(tmp_path / "run")], capsys)
    assert code == 2 and err.startswith("minisora: error: ") and err.count("\n") == 1 and "not valid JSON" in err


def test_import_hf_refuses_folders_that_are_not_models(tmp_path, capsys):
    out = str(tmp_path / "run")
    code, _, err = _cli(["import-hf", "--from", str(tmp_path / "nope"), "--out", out], capsys)
    assert code == 2 and "not a directory" in err and err.count("\n") == 1
    code, _, err = _cli(["import-hf", "--from", str(tmp_path), "--out", out], capsys)
    assert code == 2 and "config.json" in err and err.count("\n") == 1
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    code, _, err = _cli(["import-hf", "--from", str(tmp_path), "--out", out], capsys)
    assert code == 2 and "model.safetensors" in err and err.count("\n") == 1
    (tmp_path / "model.safetensors").write_bytes(b"")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    code, _, err = _cli(["import-hf", "--from", str(tmp_path), "--out", out], capsys)
    assert code == 2 and "llama" in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()
