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
