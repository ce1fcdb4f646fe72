"""Export: a trained minisora run -> a Hugging Face folder that ``transformers`` loads, and back.

References, all independent of minisora's code: ``transformers.AutoTokenizer`` (the ids of the
exported tokenizer.json, and its chat template), ``GPT2LMHeadModel`` / ``BertForMaskedLM`` (the
logits of the exported weights, and ``generate(do_sample=False)``). The runs are trained here on
the shipped corpus and dialogues, long enough that greedy decoding writes varied text.
"""

import json
import random

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import minisora  # noqa: E402
from minisora import cli  # noqa: E402
from minisora.datasets import ARTICLE_QUESTION, SHIPPED_CORPUS, SHIPPED_DIALOGUES  # noqa: E402
from minisora.errors import UserError  # noqa: E402
from minisora.inference.chat import dialogue_ids, encode_prompt  # noqa: E402
from minisora.inference.decode import generate  # noqa: E402
from minisora.tokenizer import train_tokenizer  # noqa: E402
from minisora.tools.hf import export_hf, flat_params, import_hf  # noqa: E402

SPECIAL_STRINGS = ("<pad>", "<unk>", "<s>", "</s>", "[MASK]", "[CLS]", "[SEP]", "<user>", "<assistant>")


@pytest.fixture(scope="module")
def runs(trained):
    """The shared trained runs (tests/conftest.py), each exported through the CLI."""
    for name in ("gpt", "chat", "sora"):
        if not (trained / f"{name}-hf").exists():
            assert cli.main(["export-hf", "--run", str(trained / name), "--out", str(trained / f"{name}-hf")]) == 0
    return trained


@pytest.fixture(scope="module")
def tokenizers(runs):
    """(minisora's tokenizer, AutoTokenizer of the export, the same with split_special_tokens=True)."""
    return (minisora.load(runs / "gpt").tokenizer, hf_tokenizer(runs / "gpt-hf"),
            hf_tokenizer(runs / "gpt-hf", split_special_tokens=True))


def hf_tokenizer(folder, **kw):
    return transformers.AutoTokenizer.from_pretrained(folder, **kw)


def texts():
    """A few hundred strings: corpus and dialogue snippets, and random mixtures of what breaks
    tokenizers — Chinese, emoji (with modifiers), runs of spaces, newlines, tabs, "▁", byte-piece spellings."""
    rng = random.Random(0)
    corpus = SHIPPED_CORPUS.read_text(encoding="utf-8")
    lines = [json.loads(x) for x in SHIPPED_DIALOGUES["test"].read_text(encoding="utf-8").splitlines()]
    alphabet = list("aZ09 .,?!，。？我的账户为什么不能登录密码😀👍🏽é\u0301ﬁ\n\t\u2581<>x") + ["    ", "\n\n\n", "<0x41>"]
    out = [ARTICLE_QUESTION, "", " ", "\n", "  leading and trailing  ", "a\n\nb", "\u2581\u2581"]
    for i in range(300):
        if i % 3 == 0:
            a = rng.randrange(len(corpus) - 300)
            out.append(corpus[a:a + rng.randrange(1, 300)])
        elif i % 3 == 1:
            out.append(rng.choice(lines)[rng.choice(["question", "answer"])])
        else:
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40))))
    return out


def test_autotokenizer_gives_minisora_ids_on_a_wide_sample(tokenizers):
    ours, theirs, _ = tokenizers
    sample = texts()
    assert [theirs.encode(t, add_special_tokens=False) for t in sample] == [ours.encode(t) for t in sample]
    ids = [ours.encode(t) for t in sample]
    assert [theirs.decode(i, skip_special_tokens=True) for i in ids] == [ours.decode(i) for i in ids] == sample
    assert (theirs.pad_token_id, theirs.unk_token_id, theirs.bos_token_id, theirs.eos_token_id,
            theirs.mask_token_id, theirs.cls_token_id, theirs.sep_token_id) == (0, 1, 2, 3, 4, 5, 6)
    assert theirs.convert_tokens_to_ids(["<user>", "<assistant>"]) == [7, 8]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(list("ab 我的😀\n\t\u2581<0x>A") + ["  ", "</s>", "<user>", "[MASK]"]),
                max_size=30).map("".join))
def test_special_strings_typed_as_text(tokenizers, text):
    """minisora never makes a special id from text; transformers does (that is how a chat template
    works) unless asked not to, with split_special_tokens=True — then the ids are minisora's."""
    ours, theirs, split = tokenizers
    assert split.encode(text, add_special_tokens=False) == ours.encode(text)
    if not any(s in text for s in SPECIAL_STRINGS):
        assert theirs.encode(text, add_special_tokens=False) == ours.encode(text)


def test_gpt2_logits_match(runs):
    run = minisora.load(runs / "gpt")
    ref = transformers.GPT2LMHeadModel.from_pretrained(runs / "gpt-hf").eval()
    corpus = SHIPPED_CORPUS.read_text(encoding="utf-8")
    ids = np.asarray([run.tokenizer.encode(corpus[a:a + 400])[:40] for a in (0, 5000, 20000, 90000)])  # (4, 40)
    with torch.no_grad():
        expected = ref(torch.tensor(ids)).logits.numpy()
    got = np.asarray(run.logits(ids))
    assert np.abs(got - expected).max() < 1e-4


def greedy_hf(folder, ids, n, stop=True):
    ref = transformers.GPT2LMHeadModel.from_pretrained(folder).eval()
    extra = {} if stop else dict(eos_token_id=None, min_new_tokens=n)
    with torch.no_grad():
        out = ref.generate(torch.tensor([ids]), max_new_tokens=n, do_sample=False, **extra)
    new = out[0, len(ids):].tolist()
    return new[:-1] if stop and new and new[-1] == 3 else new  # minisora cuts the stop token


def greedy_ours(run, ids, n, stop=True):
    graphdef, params = nnx.split(run.model)
    return generate(graphdef, params, [ids], run.config, max_new_tokens=n, temperature=0.0,
                    stop_ids=(3,) if stop else ())[0]


def test_pretrained_greedy_generation_matches_transformers(runs):
    run = minisora.load(runs / "gpt")
    corpus = (runs / "corpus.txt").read_text(encoding="utf-8")
    seen = set()
    for a in (0, 900, 2000, 3100):  # prompts cut from the text it learned, mid-sentence
        ids = run.tokenizer.encode(corpus[a:a + 200])[:12]
        ours = greedy_ours(run, ids, 50, stop=False)
        assert ours == greedy_hf(runs / "gpt-hf", ids, 50, stop=False)
        assert greedy_ours(run, ids, 50) == greedy_hf(runs / "gpt-hf", ids, 50)
        seen |= set(ours)
    assert len(seen) > 5  # not one token over and over: the comparison can tell decoders apart


def test_finetuned_chat_template_and_answer_match(runs):
    run = minisora.load(runs / "chat")
    tok = hf_tokenizer(runs / "chat-hf")
    messages = [{"role": "system", "content": "ignored"}, {"role": "user", "content": "你好"},
                {"role": "assistant", "content": "您好，请问有什么可以帮您？"},
                {"role": "user", "content": ARTICLE_QUESTION}]
    ids = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
    assert list(ids) == dialogue_ids(run.tokenizer, messages)
    one = tok.apply_chat_template([{"role": "user", "content": ARTICLE_QUESTION}], add_generation_prompt=True)
    one = one["input_ids"] if hasattr(one, "keys") else one
    assert list(one) == encode_prompt(run, ARTICLE_QUESTION)

    answer = greedy_ours(run, list(one), 50)
    assert answer == greedy_hf(runs / "chat-hf", list(one), 50) and len(set(answer)) > 5
    assert run.generate(ARTICLE_QUESTION, temperature=0.0, max_new_tokens=50) == tok.decode(answer, skip_special_tokens=True)
    assert greedy_ours(run, list(ids), 50, stop=False) == greedy_hf(runs / "chat-hf", list(ids), 50, stop=False)


def test_round_trip_gives_identical_parameters_and_generation(runs, tmp_path):
    for name in ("gpt", "chat"):
        assert cli.main(["import-hf", "--from", str(runs / f"{name}-hf"), "--out", str(tmp_path / name)]) == 0
        a, b = minisora.load(runs / name), minisora.load(tmp_path / name)
        assert a.config.replace(dropout=0.0) == b.config.replace(dropout=0.0)
        pa, pb = flat_params(a.model, a.config.n_layers), flat_params(b.model, b.config.n_layers)
        assert pa.keys() == pb.keys() and all(np.array_equal(pa[k], pb[k]) for k in pa)
        assert b.tokenizer.kind == "Hugging Face"
        prompt = ARTICLE_QUESTION if name == "chat" else "我的账户"
        for kw in (dict(temperature=0.0), dict(temperature=0.9, top_p=0.9, seed=5)):
            assert b.generate(prompt, max_new_tokens=40, **kw) == a.generate(prompt, max_new_tokens=40, **kw)
        assert [b.tokenizer.encode(t) for t in texts()[:60]] == [a.tokenizer.encode(t) for t in texts()[:60]]
    assert minisora.load(tmp_path / "chat").data["dialogue"] and not minisora.load(tmp_path / "gpt").data.get("dialogue")


def test_sora_encoder_exports_as_bert_for_masked_lm(runs, tmp_path, capsys):
    run = minisora.load(runs / "sora")
    ref = transformers.BertForMaskedLM.from_pretrained(runs / "sora-hf").eval()
    rng = np.random.default_rng(0)
    ids = rng.integers(9, run.config.vocab_size, size=(2, 20))
    with torch.no_grad():
        out = ref(input_ids=torch.tensor(ids), output_hidden_states=True)
    np.testing.assert_allclose(np.asarray(run.logits(ids)), out.logits.numpy(), atol=1e-4, rtol=0)
    h = run.model.encoder(jnp.asarray(ids), jnp.ones_like(jnp.asarray(ids)))
    np.testing.assert_allclose(np.asarray(h), out.hidden_states[-1].numpy(), atol=1e-4, rtol=0)
    assert hf_tokenizer(runs / "sora-hf").mask_token_id == 4

    _, said = export_hf(runs / "sora", tmp_path / "again")
    assert "LSTM decoder has no Hugging Face class" in said[0]
    import_hf(tmp_path / "again", tmp_path / "back")  # the encoder round-trips; the decoder cannot
    back = minisora.load(tmp_path / "back")
    pa, pb = flat_params(run.model, run.config.n_layers), flat_params(back.model, back.config.n_layers)
    enc = [k for k in pa if k[0] == "encoder"]
    assert enc and all(np.array_equal(pa[k], pb[k]) for k in enc)


def test_export_refuses_bad_input_in_one_sentence(runs, tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    assert cli.main(["export-hf", "--run", str(runs / "gpt"), "--out", str(tmp_path / "full")]) == 2
    assert "not empty" in capsys.readouterr().err and (tmp_path / "full" / "keep.txt").read_text() == "mine"
    assert cli.main(["export-hf", "--run", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")]) == 2
    assert "no run directory" in capsys.readouterr().err
    (tmp_path / "notrun").mkdir()
    assert cli.main(["export-hf", "--run", str(tmp_path / "notrun"), "--out", str(tmp_path / "o")]) == 2
    assert "not a minisora run" in capsys.readouterr().err
    odd = tmp_path / "odd"
    odd.mkdir()
    saved = json.loads((runs / "gpt" / "config.json").read_text())
    saved["model"]["family"] = "llama"
    (odd / "config.json").write_text(json.dumps(saved))
    with pytest.raises(UserError, match="family"):
        export_hf(odd, tmp_path / "o")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("model_type", ["bpe", "char"])
def test_bpe_and_char_tokenizers_export_with_the_same_ids(model_type, tmp_path):
    from minisora.tools.hf import tokenizer_files

    ours = train_tokenizer([SHIPPED_CORPUS], vocab_size=3000 if model_type == "bpe" else 8000, model_type=model_type)
    tmp_path.mkdir(exist_ok=True)
    for name, text in tokenizer_files(ours, max_len=64, dialogue=False).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    theirs = hf_tokenizer(tmp_path)
    sample = texts()
    assert [theirs.encode(t, add_special_tokens=False) for t in sample] == [ours.encode(t) for t in sample]


def test_scan_layers_run_exports_one_tensor_per_layer(tmp_path):
    """A run trained with --scan-layers stores each weight once for all layers (a leading axis N);
    the export writes GPT-2's h.0, h.1, … and gives the same logits."""
    from minisora.training.rundir import write_run

    config = minisora.ModelConfig(family="gpt", vocab_size=50, d_model=16, n_heads=2, n_layers=3, d_ff=32,
                                  max_len=16, scan_layers=True)
    model = minisora.create(config, seed=1)
    write_run(tmp_path / "run", model, config, {})
    export_hf(tmp_path / "run", tmp_path / "hf")
    ref = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "hf").eval()
    ids = np.random.default_rng(0).integers(0, 50, size=(2, 12))
    with torch.no_grad():
        expected = ref(torch.tensor(ids)).logits.numpy()
    np.testing.assert_allclose(np.asarray(minisora.load(tmp_path / "run").logits(ids)), expected, atol=1e-4, rtol=0)
