"""Tokenizer: lossless round trip, fixed special ids, padding, save/load, bad input."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minisora.errors import UserError
from minisora.tokenizer import (
    ASSISTANT_ID, BOS_ID, CLS_ID, EOS_ID, MASK_ID, PAD_ID, SEP_ID, UNK_ID, USER_ID,
    Tokenizer, train_tokenizer,
)

# A small bilingual corpus made here, so these tests need nothing else.
CORPUS = "\n".join(
    [f"The {a} {b} walks to the {c} on day {n}." for n, (a, b, c) in enumerate(
        [("quick", "fox", "river"), ("old", "man", "market"), ("young", "girl", "school"),
         ("tired", "dog", "garden"), ("small", "cat", "house")] * 40)]
    + [f"今天{w}，我们去{p}买{t}。第{n}天。" for n, (w, p, t) in enumerate(
        [("天气很好", "商店", "苹果"), ("下雨了", "超市", "牛奶"), ("很冷", "市场", "面包"),
         ("有风", "书店", "书")] * 40)]
)


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    out = tmp_path_factory.mktemp("tok")
    return train_tokenizer([CORPUS], out, vocab_size=340, model_type="unigram", from_text=True)


def test_special_ids_are_fixed(tok):
    pieces = {i: tok.id_to_piece(i) for i in range(10)}
    assert pieces == {PAD_ID: "<pad>", UNK_ID: "<unk>", BOS_ID: "<s>", EOS_ID: "</s>", MASK_ID: "[MASK]",
                      CLS_ID: "[CLS]", SEP_ID: "[SEP]", USER_ID: "<user>", ASSISTANT_ID: "<assistant>", 9: "\n"}
    assert (PAD_ID, UNK_ID, BOS_ID, EOS_ID, MASK_ID, CLS_ID, SEP_ID, USER_ID, ASSISTANT_ID) == tuple(range(9))


def test_control_symbols_never_come_from_text(tok):
    ids = tok.encode("[MASK] <user> [CLS]")
    assert not set(ids) & {MASK_ID, CLS_ID, SEP_ID, USER_ID, ASSISTANT_ID}
    assert tok.decode(ids) == "[MASK] <user> [CLS]"


def test_unseen_characters_fall_back_to_bytes_not_unk(tok):
    text = "Ωmega 😀 ελληνικά 日本語"
    ids = tok.encode(text)
    assert UNK_ID not in ids
    assert tok.decode(ids) == text
    # The emoji is spelled as its four UTF-8 bytes.
    emoji = [tok.id_to_piece(i) for i in tok.encode("😀")]
    assert emoji == [f"<0x{b:02X}>" for b in "😀".encode()]


@pytest.mark.parametrize("text", [
    "", " ", "   leading and trailing   ", "a\tb\t\tc", "line one\nline two\n\n\nend\n",
    "我的账户为什么不能登录？", "mixed 中文 and English，标点！", "emoji 👍🏽 family 👨‍👩‍👧", "\r\n\u3000\u00a0",
    "ｆｕｌｌｗｉｄｔｈ", "a\u2581b", "\u2581\u2581", "\x00\x01", "ﬁ ligature", "é vs e\u0301",
])
def test_round_trip_examples(tok, text):
    assert tok.decode(tok.encode(text)) == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_round_trip_any_unicode(tok, text):
    assert tok.decode(tok.encode(text)) == text


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=" \t\n\r　abc我你😀", max_size=40))
def test_round_trip_whitespace_runs(tok, text):
    assert tok.decode(tok.encode(text)) == text


def test_bos_eos_and_decode_skips_specials(tok):
    ids = tok.encode("the fox", add_bos=True, add_eos=True)
    assert ids[0] == BOS_ID and ids[-1] == EOS_ID
    assert tok.decode([PAD_ID, *ids, PAD_ID]) == "the fox"


def test_encode_batch_padding_and_masks(tok):
    texts = ["the fox", "the old man walks to the market", ""]
    lengths = [len(tok.encode(t)) for t in texts]
    ids, mask = tok.encode_batch(texts)
    assert ids.shape == mask.shape == (3, max(lengths)) and ids.dtype == np.int32
    assert mask.sum(1).tolist() == lengths
    for b, t in enumerate(texts):
        assert ids[b, : lengths[b]].tolist() == tok.encode(t)  # right padding: real tokens first
        assert (ids[b, lengths[b]:] == PAD_ID).all()
    left, lmask = tok.encode_batch(texts, pad_left=True)
    for b, t in enumerate(texts):
        assert left[b, left.shape[1] - lengths[b]:].tolist() == tok.encode(t)
        assert lmask[b].tolist() == [0] * (left.shape[1] - lengths[b]) + [1] * lengths[b]
    # truncation keeps the first tokens (right padding) or the most recent ones (left padding)
    full = tok.encode(texts[1])
    assert tok.encode_batch([texts[1]], max_len=3)[0][0].tolist() == full[:3]
    assert tok.encode_batch([texts[1]], max_len=3, pad_left=True)[0][0].tolist() == full[-3:]


def test_save_load_gives_identical_ids(tok, tmp_path):
    tok.save(tmp_path / "t")
    again = Tokenizer.load(tmp_path / "t")
    text = "今天天气很好 and the quick fox"
    assert again.encode(text) == tok.encode(text) and again.vocab_size == tok.vocab_size


def test_training_is_deterministic(tmp_path):
    a = train_tokenizer([CORPUS], tmp_path / "a", vocab_size=340, from_text=True)
    b = train_tokenizer([CORPUS], tmp_path / "b", vocab_size=340, from_text=True)
    assert (tmp_path / "a" / "tokenizer.model").read_bytes() == (tmp_path / "b" / "tokenizer.model").read_bytes()
    assert a.encode(CORPUS[:500]) == b.encode(CORPUS[:500])


@pytest.mark.parametrize("model_type", ["bpe", "char"])
def test_other_model_types_round_trip(model_type, tmp_path):
    tok = train_tokenizer([CORPUS], tmp_path, vocab_size=340, model_type=model_type, from_text=True)
    text = "The quick fox\n\n今天下雨了。  😀"
    assert tok.decode(tok.encode(text)) == text
    if model_type == "char":  # every seen character is one piece, line breaks included
        assert len(tok.encode("The fox\n")) == len("The fox\n")


def test_unigram_and_bpe_segment_differently(tmp_path):
    uni = train_tokenizer([CORPUS], tmp_path / "u", vocab_size=340, model_type="unigram", from_text=True)
    bpe = train_tokenizer([CORPUS], tmp_path / "b", vocab_size=340, model_type="bpe", from_text=True)
    pieces = lambda t: {t.id_to_piece(i) for i in range(10, t.vocab_size)}
    assert pieces(uni) != pieces(bpe)


# --- bad input ------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        train_tokenizer([tmp_path / "nope.txt"], tmp_path / "out")


def test_empty_file(tmp_path):
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(UserError, match="empty"):
        train_tokenizer([tmp_path / "empty.txt"], tmp_path / "out")


def test_non_utf8_file(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    with pytest.raises(UserError, match="not UTF-8.*offset 3"):
        train_tokenizer([tmp_path / "latin1.txt"], tmp_path / "out")


def test_vocab_larger_than_corpus_supports(tmp_path):
    (tmp_path / "small.txt").write_text("a tiny corpus with few words\n" * 20)
    with pytest.raises(UserError, match="larger than this corpus supports"):
        train_tokenizer([tmp_path / "small.txt"], tmp_path / "out", vocab_size=8000)


def test_bad_model_type_and_tiny_vocab(tmp_path):
    with pytest.raises(UserError, match="Unknown model type"):
        train_tokenizer([CORPUS], tmp_path, model_type="wordpiece", from_text=True)
    with pytest.raises(UserError, match="too small"):
        train_tokenizer([CORPUS], tmp_path, vocab_size=100, from_text=True)


def test_load_missing_and_corrupt(tmp_path):
    with pytest.raises(UserError, match="No tokenizer"):
        Tokenizer.load(tmp_path)
    (tmp_path / "tokenizer.model").write_bytes(b"not a model")
    with pytest.raises(UserError, match="corrupt"):
        Tokenizer.load(tmp_path)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "minisora.cli", *args], capture_output=True, text=True)


def test_cli_train_encode_decode(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(CORPUS)
    r = _cli("tokenizer", "train", "--input", str(corpus), "--vocab-size", "340", "--out", str(tmp_path / "tk"))
    assert r.returncode == 0, r.stderr
    tok = Tokenizer.load(tmp_path / "tk")  # loads what --out wrote
    r = _cli("tokenizer", "encode", "--tokenizer", str(tmp_path / "tk"), "--text", "今天天气很好")
    assert r.returncode == 0 and [int(x) for x in r.stdout.split()] == tok.encode("今天天气很好")
    r = _cli("tokenizer", "decode", "--tokenizer", str(tmp_path / "tk"), *r.stdout.split())
    assert r.returncode == 0 and r.stdout == "今天天气很好\n"


@pytest.mark.parametrize("args, message", [
    (["tokenizer", "train", "--input", "/no/such/file.txt", "--out", "X"], "does not exist"),
    (["tokenizer", "decode", "--tokenizer", "/no/such/dir", "1"], "No tokenizer"),
])
def test_cli_errors_are_one_sentence(args, message):
    r = _cli(*args)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_cli_wrong_flag_exits_nonzero():
    r = _cli("tokenizer", "train", "--vocab", "x")
    assert r.returncode != 0 and "Traceback" not in r.stderr


def test_describe_pieces_says_where_the_pieces_come_from():
    from minisora.tokenizer import describe_pieces

    text = "ab ba\n" * 2000 + "z"  # 'z' is 1 character in 12,001: rarer than the 0.9995 coverage keeps
    tok = train_tokenizer([text], vocab_size=400, model_type="char", from_text=True)
    said = describe_pieces(tok, text)
    # 9 special + "\n" + 256 bytes + 'a', 'b', ' ' = 269; 'z' has no piece and is spelled as its byte
    assert tok.vocab_size == 269 and said.startswith("269 pieces: 9 special")
    assert "the newline, 256 bytes" in said and "3 more characters of the text" in said
    assert "1 rare character (z) got no piece" in said
    assert tok.decode(tok.encode("z")) == "z" and tok.id_to_piece(tok.encode("z")[0]) == "<0x7A>"
