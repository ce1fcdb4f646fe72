"""Fixtures several test folders share."""

import json

import pytest

from minisora import config

TEXT = "the cat sat on the mat. the dog sat on the log. " * 40


@pytest.fixture
def micro(monkeypatch, request):
    """Register the test module's ``MICRO`` shape as the preset "micro": small enough to compile in seconds."""
    monkeypatch.setitem(config.PRESETS, "micro", request.module.MICRO)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """corpus.txt, dialogues.jsonl and a character tokenizer (tok/) trained on the corpus."""
    from minisora.tokenizer import train_tokenizer

    d = tmp_path_factory.mktemp("inputs")
    (d / "corpus.txt").write_text(TEXT)
    qa = [{"question": f"who sat on the {w}?", "answer": f"the {a} sat on the {w}."}
          for w, a in [("mat", "cat"), ("log", "dog")] * 6]
    (d / "dialogues.jsonl").write_text("".join(json.dumps(x) + "\n" for x in qa))
    train_tokenizer([d / "corpus.txt"], d / "tok", vocab_size=300, model_type="char")
    return d


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """Small runs that have learned something, shared by the export, engine and server tests.

    The tokenizer learns the whole shipped corpus; the models learn a few paragraphs of it and a
    dozen dialogues (the article's question among them) well — a tiny model trained briefly on
    all of it would answer every prompt with the same few tokens, and a comparison of such
    outputs could not tell two decoders apart. Folders: tok, corpus.txt, dialogues.jsonl,
    gpt (pre-trained ChatGPT), chat (fine-tuned ChatGPT), sora (pre-trained), sora-chat."""
    import minisora
    from minisora.datasets import ARTICLE_QUESTION, SHIPPED_CORPUS, SHIPPED_DIALOGUES
    from minisora.tokenizer import train_tokenizer

    d = tmp_path_factory.mktemp("trained")
    train_tokenizer([SHIPPED_CORPUS], d / "tok", vocab_size=3000)
    (d / "corpus.txt").write_text(SHIPPED_CORPUS.read_text(encoding="utf-8")[:4000], encoding="utf-8")
    rows = SHIPPED_DIALOGUES["train"].read_text(encoding="utf-8").splitlines()
    (d / "dialogues.jsonl").write_text("\n".join([r for r in rows if ARTICLE_QUESTION in r] + rows[:11]) + "\n",
                                       encoding="utf-8")
    shape = dict(d_model=48, n_heads=4, n_layers=2, d_ff=128, max_len=96, d_lstm=48)
    cfg = minisora.TrainConfig(steps=200, batch_size=8, seq_len=64, lr=3e-3, eval_every=1000, checkpoint_every=200)
    tune = cfg.replace(steps=150, batch_size=4)
    for family, name in (("gpt", "gpt"), ("sora", "sora")):
        minisora.pretrain(d / "corpus.txt", d / name, minisora.ModelConfig(family=family, **shape), cfg,
                          tokenizer=d / "tok", quiet=True)
        minisora.finetune(d / name, d / "dialogues.jsonl", d / ("chat" if family == "gpt" else "sora-chat"), tune,
                          quiet=True)
    return d


@pytest.fixture(scope="session")
def chapter_env(tmp_path_factory):
    """Environment variables for running a tutorial chapter (script or notebook kernel) in quick
    mode, with a JAX compilation cache kept on disk for this test process: a chapter run loads the
    XLA programs an earlier chapter run of the same process compiled (its script or notebook twin,
    when both land on this worker; chapter 7's second run took 17 s instead of 43 s) instead of
    compiling them again. The chapter computes exactly what it computes without it."""
    cache = tmp_path_factory.mktemp("jax-cache")
    return {"MINISORA_QUICK": "1", "JAX_COMPILATION_CACHE_DIR": str(cache),
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0.2"}
