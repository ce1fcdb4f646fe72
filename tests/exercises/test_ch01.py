"""Chapter 1's exercise checks (tutorials/course/ch01.py): the reference solutions pass, wrong answers
and the unanswered stub do not."""

import pytest
from course import ch01
from solutions import ch01 as solution

from minisora.datasets import SHIPPED_CORPUS
from minisora.tokenizer import UNK_ID, train_tokenizer


@pytest.fixture(scope="module")
def tok():
    """The chapter's quick-mode tokenizer: unigram, 3000 pieces, the corpus's first 150,000 characters."""
    text = SHIPPED_CORPUS.read_text(encoding="utf-8")[:150_000]
    return train_tokenizer([text], vocab_size=3000, model_type="unigram", from_text=True)


def stub(*args):
    raise NotImplementedError  # your code here


def test_the_solutions_pass(tok, capsys):
    assert ch01.check_decode_pieces(solution.decode_pieces, tok)
    assert ch01.check_byte_fallback_chars(solution.byte_fallback_chars, tok)
    assert capsys.readouterr().out.count("right.") == 2


def test_the_texts_exercise_byte_fallback_and_specials(tok):
    """The check's texts hold characters spelled as bytes, so a decoder that ignores byte pieces is caught."""
    fallback = set().union(*(ch01.fallback_reference(tok, t) for t in ch01.TEXTS))
    assert {"龘", "😀", "\u2581", "\t"} <= fallback  # 3, 4, 3 and 1 bytes
    assert " " not in fallback and "\n" not in fallback and "如" not in fallback


def test_the_stubs_are_not_done(tok, capsys):
    assert not ch01.check_decode_pieces(stub, tok)
    assert not ch01.check_byte_fallback_chars(stub, tok)
    assert capsys.readouterr().out.count("not done yet") == 2


@pytest.mark.parametrize("wrong", [
    lambda tok, ids: "".join(tok.id_to_piece(i) for i in ids),  # pieces as they are: ▁, <0xE9>, <s>
    lambda tok, ids: "".join(tok.id_to_piece(i).replace("\u2581", " ") for i in ids if i > 8),  # byte pieces kept
    lambda tok, ids: "".join(  # each byte piece decoded alone: a character's bytes never meet
        bytes([int(p[3:5], 16)]).decode("utf-8", errors="replace") if p.startswith("<0x") else p.replace("\u2581", " ")
        for p in (tok.id_to_piece(i) for i in ids if i > 8)),
    lambda tok, ids: solution.decode_pieces(tok, [i for i in ids if i > 3]) + "</s>" * (3 in ids),  # </s> as text
    lambda tok, ids: solution.decode_pieces(tok, ids).strip(),  # leading and trailing spaces lost
    lambda tok, ids: solution.decode_pieces(tok, ids).encode(),  # bytes, not text
])
def test_a_wrong_decoder_fails(tok, wrong, capsys):
    assert not ch01.check_decode_pieces(wrong, tok)
    assert "not yet right" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [
    lambda tok, text: {c for c in text if not c.isascii()},  # every non-ASCII character
    lambda tok, text: {c for c in text if UNK_ID in tok.encode(c)},  # <unk> is never produced: always empty
    lambda tok, text: {c for c in text if len(tok.encode(c)) > 1},  # misses a tab: its byte is one piece too
    lambda tok, text: [c for c in text if c in solution.byte_fallback_chars(tok, text)],  # a list, with repeats
    lambda tok, text: solution.byte_fallback_chars(tok, text) - {"\u2581"},  # forgets that a literal ▁ is bytes
])
def test_a_wrong_fallback_set_fails(tok, wrong, capsys):
    assert not ch01.check_byte_fallback_chars(wrong, tok)
    assert "not yet right" in capsys.readouterr().out
