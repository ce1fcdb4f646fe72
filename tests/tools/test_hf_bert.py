"""BERT parity: a Hugging Face BertModel / BertForMaskedLM saved with save_pretrained,
read by ``bert_from_hf`` (minisora/tools/hf.py) into minisora's Encoder, gives the same numbers.

The reference models are built here from a small random config (no download), and
every weight is moved away from its initial value first, so a missed bias or a
LayerNorm left at (1, 0) would show.
"""

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from minisora.errors import UserError  # noqa: E402
from minisora.nn.encoder import Encoder  # noqa: E402
from minisora.tools.hf import bert_from_hf, bert_table  # noqa: E402
from minisora.training.checkpoint import OLD_NAMES  # noqa: E402

V, C, T = 61, 24, 9


def _hf_config(**changes):
    fields = dict(
        vocab_size=V, hidden_size=C, num_hidden_layers=2, num_attention_heads=3, intermediate_size=40,
        max_position_embeddings=16, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12,
    )
    fields.update(changes)
    return transformers.BertConfig(**fields)


def _perturbed(model):
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():  # tied weights appear once
            p.add_(0.2 * torch.randn_like(p))
    return model.eval()


def _inputs():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, V, size=(2, T))
    mask = np.ones((2, T), np.int64)
    mask[1, 6:] = 0  # right padding: HF counts positions 0..T-1, the same as cumsum(mask)-1 on real tokens
    seg = rng.integers(0, 2, size=(2, T))
    return ids, mask, seg


def _load(folder, mlm_head: bool):
    config, params = bert_from_hf(folder)
    enc = Encoder(config, nnx.Rngs(0), mlm_head=mlm_head)
    nnx.update(enc, params["encoder"])
    return config, enc


def _ours(enc, ids, mask, seg):
    return enc(jnp.asarray(ids), jnp.asarray(mask), jnp.asarray(seg))


def test_bert_model_hidden_states_and_pooler(tmp_path):
    ref = _perturbed(transformers.BertModel(_hf_config()))
    ref.save_pretrained(tmp_path)
    config, enc = _load(tmp_path, mlm_head=False)
    assert config.family == "sora" and config.pooler and config.n_layers == 2 and config.d_ff == 40

    ids, mask, seg = _inputs()
    with torch.no_grad():
        out = ref(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), token_type_ids=torch.tensor(seg))
    h = _ours(enc, ids, mask, seg)
    real = mask.astype(bool)
    np.testing.assert_allclose(np.asarray(h)[real], out.last_hidden_state.numpy()[real], atol=1e-4, rtol=0)
    np.testing.assert_allclose(enc.pool(h, jnp.asarray(mask)), out.pooler_output.numpy(), atol=1e-4, rtol=0)


def test_bert_for_masked_lm_logits(tmp_path):
    ref = _perturbed(transformers.BertForMaskedLM(_hf_config()))
    ref.save_pretrained(tmp_path)
    config, enc = _load(tmp_path, mlm_head=True)
    assert not config.pooler  # BertForMaskedLM has no pooler

    ids, mask, seg = _inputs()
    with torch.no_grad():
        out = ref(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), token_type_ids=torch.tensor(seg),
                  output_hidden_states=True)
    h = _ours(enc, ids, mask, seg)
    real = mask.astype(bool)
    np.testing.assert_allclose(np.asarray(h)[real], out.hidden_states[-1].numpy()[real], atol=1e-4, rtol=0)
    np.testing.assert_allclose(np.asarray(enc.mlm_logits(h))[real], out.logits.numpy()[real], atol=1e-4, rtol=0)


def test_a_bert_folder_fills_soras_encoder(tmp_path):
    """The same dict updates a whole Sora model (what ``minisora import-hf`` does); the
    decoder's token embedding is the imported one."""
    from minisora.nn import create

    ref = _perturbed(transformers.BertForMaskedLM(_hf_config()))
    ref.save_pretrained(tmp_path)
    config, params = bert_from_hf(tmp_path)
    sora = create(config)
    nnx.update(sora, params)
    ids, mask, seg = _inputs()
    with torch.no_grad():
        out = ref(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask))
    mlm, dec = sora(jnp.asarray(ids), jnp.asarray(mask), jnp.asarray(ids[:, :3]))
    real = mask.astype(bool)
    np.testing.assert_allclose(np.asarray(mlm)[real], out.logits.numpy()[real], atol=1e-4, rtol=0)
    np.testing.assert_array_equal(
        sora.encoder.tok_embed.embedding[...], ref.bert.embeddings.word_embeddings.weight.detach().numpy()
    )
    assert dec.shape == (2, 3, V)


def test_other_activations_are_refused(tmp_path):
    transformers.BertModel(_hf_config(hidden_act="relu")).save_pretrained(tmp_path)
    with pytest.raises(UserError):
        bert_from_hf(tmp_path)


@pytest.mark.parametrize("pooler, mlm", [(True, False), (False, True)])
def test_bert_table_names_every_encoder_parameter_in_the_new_scheme(pooler, mlm):
    """The converter's table is exactly the Encoder's parameter paths (ln_embed, mlm/vocab_bias, …),
    none of the names from before the renaming (embed_ln, mlm/bias, …)."""
    from minisora.config import ModelConfig

    config = ModelConfig(family="sora", vocab_size=V, d_model=C, n_heads=3, n_layers=2, d_ff=40, max_len=16,
                         pooler=pooler, d_lstm=C)
    abstract = nnx.eval_shape(lambda: Encoder(config, nnx.Rngs(0), mlm_head=mlm))
    ours = set(dict(nnx.to_flat_state(nnx.state(abstract, nnx.Param))))
    table = bert_table(config.n_layers, pooler=pooler, mlm=mlm)
    assert set(table) == ours and len(set(table.values())) == len(table)
    assert not {part for path in table for part in path if isinstance(part, str)} & set(OLD_NAMES)
    assert (("mlm", "vocab_bias") in table) == mlm and ("ln_embed", "scale") in table


def test_import_hf_of_a_bert_folder_makes_a_loadable_sora_run(tmp_path):
    """``minisora import-hf`` of a BertForMaskedLM folder, then ``minisora.load``: the run's
    logits (Sora's encoder MLM head) are the reference's, and the run's config says Sora."""
    import json

    import minisora
    from minisora.cli import main

    ref = _perturbed(transformers.BertForMaskedLM(_hf_config()))
    ref.save_pretrained(tmp_path / "hf")
    assert main(["import-hf", "--from", str(tmp_path / "hf"), "--out", str(tmp_path / "run")]) == 0
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["model"]["family"] == "sora" and saved["data"]["hf_model_type"] == "bert"
    handle = minisora.load(tmp_path / "run")
    assert handle.step == 0 and handle.tokenizer is None and handle.config.vocab_size == V
    ids, mask, _ = _inputs()
    with torch.no_grad():
        expected = ref(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits.numpy()
    real = mask.astype(bool)
    np.testing.assert_allclose(np.asarray(handle.logits(ids, mask))[real], expected[real], atol=1e-4, rtol=0)
