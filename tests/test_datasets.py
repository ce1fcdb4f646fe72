"""minisora/datasets.py: the shipped files' paths and loaders, and the Tiny Shakespeare download.

Independent references: files written here by hand, the article's own sentences, hashlib, and a
fake server (monkeypatched ``urlopen``) for the download. What data/generate.py writes (the
corpus and the dialogues themselves) is tested in tests/test_data_generate.py.
"""

import hashlib
import io
import json
from pathlib import Path
from urllib.error import URLError

import pytest

from minisora import datasets
from minisora.cli import main as cli_main
from minisora.errors import UserError

SPLITS = ("train", "validation", "test")
# where a copy of Tiny Shakespeare may be: the shared/ folder beside the repository, or data/ (where
# `minisora data shakespeare` writes it by default)
SHAKESPEARE_COPIES = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "tinyshakespeare.txt",
    Path(__file__).resolve().parent.parent / "data" / "tinyshakespeare.txt",
)


def _rows(split):
    lines = datasets.SHIPPED_DIALOGUES[split].read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_article_question_and_answer_are_the_articles_and_shipped():
    # the article's customer-service example, copied from its text
    assert datasets.ARTICLE_QUESTION == "我的账户为什么不能登录？"
    assert datasets.ARTICLE_ANSWER == "请确认您的账户信息是否输入正确，或者尝试重置密码。"
    train = datasets.load_dialogues(datasets.SHIPPED_DIALOGUES["train"])
    assert (datasets.ARTICLE_QUESTION, datasets.ARTICLE_ANSWER) in train  # "the answer the shipped dialogues teach"


# --- loaders and their errors ---------------------------------------------------------


def test_read_text_round_trip(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("hello 你好\n", encoding="utf-8")
    assert datasets.read_text(p) == "hello 你好\n"


@pytest.mark.parametrize("content, words", [
    (None, "not found"),
    (b"", "empty"),
    (b"ok \xe4\xbd\xa0 \xff tail", "offset 7"),  # 0xff can never start a UTF-8 character
])
def test_read_text_errors(tmp_path, content, words):
    p = tmp_path / "f.txt"
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(UserError, match=words):
        datasets.read_text(p)


def test_read_text_directory(tmp_path):
    with pytest.raises(UserError, match="directory"):
        datasets.read_text(tmp_path)


def test_load_dialogues(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text('{"question": "q1", "answer": "a1", "lang": "en"}\n\n{"question": "问", "answer": "答"}\n',
                 encoding="utf-8")
    assert datasets.load_dialogues(p) == [("q1", "a1"), ("问", "答")]


@pytest.mark.parametrize("text, words", [
    ('{"question": "q", "answer": "a"}\n{"question": "q2", "answer": \n', "line 2"),
    ('{"question": "q", "answer": "a"}\n["q", "a"]\n', "line 2"),
    ('{"question": "q"}\n', "line 1"),
    ('{"question": "q", "answer": ""}\n', "line 1"),
    ("\n\n", "empty"),
])
def test_load_dialogues_errors(tmp_path, text, words):
    p = tmp_path / "d.jsonl"
    p.write_text(text)
    with pytest.raises(UserError, match=words):
        datasets.load_dialogues(p)


def test_load_dialogues_missing(tmp_path):
    with pytest.raises(UserError, match="not found"):
        datasets.load_dialogues(tmp_path / "nope.jsonl")


def test_describe_counts_the_files():
    text = datasets.describe_shipped_data()
    for s in SPLITS:
        assert f"{len(_rows(s)):,} {s} pairs" in text
    assert f"{datasets.SHIPPED_CORPUS.stat().st_size:,}" in text


# --- Tiny Shakespeare ---------------------------------------------------------------


def _serve(monkeypatch, payload=None, error=None):
    """Replace urlopen with a fake server that returns `payload` or raises `error`."""
    calls = []

    def fake_urlopen(url, timeout=None):
        calls.append(url)
        if error is not None:
            raise error
        return io.BytesIO(payload)

    monkeypatch.setattr(datasets, "urlopen", fake_urlopen)
    return calls


def _pretend_published(monkeypatch, payload):
    monkeypatch.setattr(datasets, "SHAKESPEARE_BYTES", len(payload))
    monkeypatch.setattr(datasets, "SHAKESPEARE_SHA256", hashlib.sha256(payload).hexdigest())


def test_download_rejects_wrong_bytes(tmp_path, monkeypatch):
    good = b"First Citizen:\nBefore we proceed any further, hear me speak.\n"
    _pretend_published(monkeypatch, good)
    out = tmp_path / "sub" / "shakespeare.txt"
    for bad in (good.replace(b"me", b"us"), good[:-1], good + b"x"):  # same size, shorter, longer
        _serve(monkeypatch, bad)
        with pytest.raises(UserError, match="not the expected file"):
            datasets.download_shakespeare(out)
        assert not out.exists()
        assert not out.parent.exists() or not list(out.parent.iterdir())  # no temporary file left


def test_download_keeps_verified_bytes(tmp_path, monkeypatch):
    good = b"First Citizen:\nBefore we proceed any further, hear me speak.\n"
    _pretend_published(monkeypatch, good)
    calls = _serve(monkeypatch, good)
    out = tmp_path / "sub" / "shakespeare.txt"
    assert datasets.download_shakespeare(out) == out
    assert out.read_bytes() == good and [p.name for p in out.parent.iterdir()] == ["shakespeare.txt"]
    assert calls == [datasets.SHAKESPEARE_URL]
    _serve(monkeypatch, error=URLError("offline"))  # a verified copy is reused without going online
    assert datasets.download_shakespeare(out) == out


def test_download_offline_is_a_user_error(tmp_path, monkeypatch, capsys):
    _serve(monkeypatch, error=URLError("Temporary failure in name resolution"))
    out = tmp_path / "shakespeare.txt"
    with pytest.raises(UserError, match=r"name resolution.*are you online\?"):
        datasets.download_shakespeare(out)
    assert not out.exists()
    assert cli_main(["data", "shakespeare", "--out", str(out)]) == 2
    assert "are you online?" in capsys.readouterr().err


def test_shared_shakespeare_checksum():
    path = next((p for p in SHAKESPEARE_COPIES if p.is_file()), None)
    if path is None:
        pytest.skip(f"no Tiny Shakespeare at {SHAKESPEARE_COPIES[0]} (shared/ beside the repository) "
                    f"or {SHAKESPEARE_COPIES[1]}; nothing to verify offline")
    data = path.read_bytes()
    assert len(data) == datasets.SHAKESPEARE_BYTES
    assert hashlib.sha256(data).hexdigest() == datasets.SHAKESPEARE_SHA256


def test_split_beside_finds_the_validation_file_of_a_train_jsonl(tmp_path):
    assert datasets.split_beside(datasets.SHIPPED_DIALOGUES["train"], "validation") == datasets.SHIPPED_DIALOGUES[
        "validation"]
    (tmp_path / "train.jsonl").write_text("")
    assert datasets.split_beside(tmp_path / "train.jsonl", "validation") is None  # none there
    (tmp_path / "validation.jsonl").write_text("")
    (tmp_path / "mine.jsonl").write_text("")
    assert datasets.split_beside(tmp_path / "train.jsonl", "validation") == tmp_path / "validation.jsonl"
    assert datasets.split_beside(tmp_path / "mine.jsonl", "validation") is None  # only a train.jsonl has splits beside it


def test_read_twice_lists_write_each_list_down_and_read_it_again():
    from minisora.datasets import SHIPPED_CORPUS, read_twice_lists

    text = SHIPPED_CORPUS.read_text(encoding="utf-8")
    lists = read_twice_lists(text, 20_000, seed=3)
    assert len(lists.encode("utf-8")) >= 20_000 and lists == read_twice_lists(text, 20_000, seed=3)
    assert lists != read_twice_lists(text, 20_000, seed=4)
    langs = []
    for p in lists.split("\n\n"):
        if p.startswith("Remember: "):
            first, second = p[len("Remember: "):-1].split(". Again: ")
            words, langs = first.split(", "), langs + ["en"]
        else:
            assert p.startswith("记住：") and p.endswith("。")
            first, second = p[len("记住："):-1].split("。再说一遍：")
            words, langs = first.split("、"), langs + ["zh"]
        assert first == second and 4 <= len(words) <= 8 and len(set(words)) == len(words)
        assert all(w in text for w in words)  # the corpus's own words
    assert 0.25 < langs.count("en") / len(langs) < 0.55  # 40 % English, as the corpus
    assert "Remember: " not in read_twice_lists("只有中文的句子，没有英文单词，但是汉字足够多来写清单。" * 3, 200)
    with pytest.raises(UserError, match="too few distinct words"):
        read_twice_lists("a b c", 100)
