"""Import with the tokenizer: a GPT-2 folder with a tokenizer.json -> a run that reads and writes text.

The folder is made here the way a user's would be: a byte-level BPE trained with the
``tokenizers`` library on the shipped corpus, saved by ``transformers`` beside a random GPT-2
(every weight moved off its initial value). The reference for the text is ``transformers``'
own ``generate(do_sample=False)`` decoded by its own tokenizer.
"""

import json

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import minisora  # noqa: E402
from minisora import cli  # noqa: E402
from minisora.datasets import SHIPPED_CORPUS, SHIPPED_DIALOGUES  # noqa: E402
from minisora.errors import UserError  # noqa: E402
from minisora.tokenizer import HFTokenizer, Tokenizer  # noqa: E402

EOT = "<|endoftext|>"
PROMPTS = ["The doctor told him", "我的账户", "If you have a stomach ache,"]


def byte_level_bpe(vocab_size=600):
    from tokenizers import Tokenizer as HFTok
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tok = HFTok(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOT],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train([str(SHIPPED_CORPUS)], trainer)
    return tok


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("gpt2")
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=byte_level_bpe(), bos_token=EOT, eos_token=EOT)
    eot = fast.convert_tokens_to_ids(EOT)
    cfg = transformers.GPT2Config(vocab_size=len(fast), n_embd=32, n_layer=2, n_head=4, n_positions=64,
                                  resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=eot, eos_token_id=eot)
    ref = transformers.GPT2LMHeadModel(cfg)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(0.3 * torch.randn_like(p))
    ref.eval().save_pretrained(d, safe_serialization=True)
    fast.save_pretrained(d)
    return d


@pytest.fixture(scope="module")
def run_dir(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "gpt2"
    assert cli.main(["import-hf", "--from", str(folder), "--out", str(out)]) == 0
    return out


def test_imported_gpt2_writes_the_text_transformers_writes(folder, run_dir):
    run = minisora.load(run_dir)
    assert run.tokenizer.kind == "Hugging Face" and run.tokenizer.eos_id == run.tokenizer.bos_id
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    ref = transformers.GPT2LMHeadModel.from_pretrained(folder).eval()
    texts = []
    for prompt in PROMPTS:
        ids = tok.encode(prompt)
        assert run.tokenizer.encode(prompt) == ids
        with torch.no_grad():
            out = ref.generate(torch.tensor([ids]), max_new_tokens=30, do_sample=False,
                               pad_token_id=tok.eos_token_id)
        expected = tok.decode(out[0, len(ids):], skip_special_tokens=True)
        got = run.generate(prompt, temperature=0.0, max_new_tokens=30)
        assert got == expected
        texts.append(got)
    assert len(set(texts)) == len(PROMPTS) and all(texts)  # three different, non-empty continuations


def test_generate_command_prints_text(run_dir, capsys):
    assert cli.main(["generate", "--run", str(run_dir), "--prompt", PROMPTS[0], "--temperature", "0",
                     "--max-new-tokens", "20"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(PROMPTS[0]) and printed.strip() != PROMPTS[0]
    assert printed.rstrip("\n") == PROMPTS[0] + minisora.load(run_dir).generate(PROMPTS[0], temperature=0.0,
                                                                               max_new_tokens=20)


def test_hf_tokenizer_behind_the_interface(folder, run_dir, tmp_path):
    tok = Tokenizer.load(run_dir / "tokenizer")
    assert isinstance(tok, HFTokenizer) and tok.vocab_size == len(transformers.AutoTokenizer.from_pretrained(folder))
    eot = tok.eos_id
    typed = tok.encode(f"a{EOT}b")
    assert eot not in typed and tok.decode(typed) == f"a{EOT}b"  # a special token is never made from text
    assert tok.encode("hi", add_bos=True, add_eos=True) == [eot, *tok.encode("hi"), eot]
    assert tok.decode([eot, *tok.encode("你好 😀"), eot]) == "你好 😀"
    assert tok.pad_id is None and tok.user_id is None and tok.mask_id is None
    tok.save(tmp_path / "again")
    again = Tokenizer.load(tmp_path / "again")
    assert again.special_ids() == tok.special_ids() and again.encode("The doctor 我") == tok.encode("The doctor 我")


def test_eos_found_in_config_json_when_the_tokenizer_config_has_none(folder, tmp_path):
    """GPT-2's own folder names <|endoftext|> only in config.json (bos_token_id / eos_token_id)."""
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(folder, bare)
    (bare / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 64}))
    (bare / "special_tokens_map.json").unlink(missing_ok=True)
    from minisora.tools.hf import import_hf

    _, _, tok = import_hf(bare, tmp_path / "run")
    assert tok.eos_id == tok.bos_id == json.loads((folder / "config.json").read_text())["eos_token_id"]


def test_what_an_imported_tokenizer_cannot_do_is_one_sentence(run_dir, folder, tmp_path, capsys):
    assert cli.main(["finetune", "--from", str(run_dir), "--dialogues", str(SHIPPED_DIALOGUES["train"]),
                     "--out", str(tmp_path / "ft"), "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert "special ids" in err and len(err.strip().splitlines()) == 1
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "tokenizer.json").write_text("{not json")
    with pytest.raises(UserError, match="corrupt or not a Hugging Face tokenizer"):
        Tokenizer.load(bad)
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "tokenizer.json").write_text('{"version": "1.0"}')
    assert cli.main(["import-hf", "--from", str(broken), "--out", str(tmp_path / "r")]) == 2
    assert "tokenizers" in capsys.readouterr().err and not (tmp_path / "r").exists()


def test_import_without_tokenizer_json_says_ids(folder, tmp_path, capsys):
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(folder, bare)
    (bare / "tokenizer.json").unlink()
    assert cli.main(["import-hf", "--from", str(bare), "--out", str(tmp_path / "r")]) == 0
    assert "token ids" in capsys.readouterr().out
    assert minisora.load(tmp_path / "r").tokenizer is None
    V = json.loads((folder / "config.json").read_text())["vocab_size"]
    assert minisora.load(tmp_path / "r").logits([1, 2, 3]).shape == (1, 3, V)


def test_an_imported_run_exports_its_tokenizer_unchanged(folder, run_dir, tmp_path):
    assert cli.main(["export-hf", "--run", str(run_dir), "--out", str(tmp_path / "out")]) == 0
    before = transformers.AutoTokenizer.from_pretrained(folder)
    after = transformers.AutoTokenizer.from_pretrained(tmp_path / "out")
    for text in PROMPTS + ["  two spaces\n\nnewlines 😀"]:
        assert after.encode(text) == before.encode(text)
    assert after.eos_token_id == before.eos_token_id
    a = transformers.GPT2LMHeadModel.from_pretrained(folder).state_dict()
    b = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "out").state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
