"""Chapter 1's exercises: decode ids by hand from their pieces, and find the characters that fall
back to bytes.

Each check takes the chapter's tokenizer (any SentencePiece tokenizer minisora trained) and compares
the learner's function with the tokenizer itself: ``tok.decode`` for the first, the vocabulary's
single-character pieces for the second, on several texts, edge cases included.
"""

from __future__ import annotations

from course import NotYet, check

# English with spaces, Chinese, tabs and blank lines, a rare character and an emoji (byte fallback,
# 3 and 4 bytes), a literal ▁ (spelled as its bytes), text that looks like a byte piece, the empty text
TEXTS = (
    "If your eyes are tired, look at something far away.",
    "如果眼睛累了，应该看一会儿远处的东西。",
    "  two leading spaces,\ttabs\nand\n\nblank lines",
    "龘 😀 and 😀😀",
    "a▁b",
    "<0x41> is not A",
    "",
)


def check_decode_pieces(decode_pieces, tok) -> bool:
    """``decode_pieces(tok, ids)`` against ``tok.decode(ids)``, with and without <s>, </s> and padding."""
    from minisora.tokenizer import N_SPECIAL

    def test():
        for text in TEXTS:
            ids = tok.encode(text)
            for with_specials in (ids, [tok.bos_id, *ids, tok.eos_id, tok.pad_id, tok.pad_id]):
                got, want = decode_pieces(tok, list(with_specials)), tok.decode(with_specials)
                if not isinstance(got, str):
                    raise NotYet(f"decode_pieces must return a str, yours returned {type(got).__name__}.")
                if got != want:
                    pieces = [tok.id_to_piece(i) for i in with_specials]
                    raise NotYet(f"the pieces {pieces} are the text {want!r}, yours gives {got!r}.")
        if decode_pieces(tok, list(range(N_SPECIAL))) != "":
            raise NotYet(f"the special ids 0…{N_SPECIAL - 1} are no text: they decode to ''.")

    return check("decode ids from their pieces", test)


def fallback_reference(tok, text: str) -> set[str]:
    """The characters of ``text`` with no single-character piece of their own (▁ stands for a space)."""
    from minisora.tokenizer import N_SPECIAL

    singles = {tok.id_to_piece(i).replace("\u2581", " ") for i in range(N_SPECIAL, tok.vocab_size)}
    return {c for c in text if c not in singles}


def check_byte_fallback_chars(byte_fallback_chars, tok) -> bool:
    """``byte_fallback_chars(tok, text)`` against the tokenizer's vocabulary."""

    def test():
        texts = TEXTS + ("我的账户为什么不能登录？龘龘",)
        for text in texts:
            got, want = byte_fallback_chars(tok, text), fallback_reference(tok, text)
            if not isinstance(got, (set, frozenset)):
                raise NotYet(f"byte_fallback_chars must return a set of characters, not a {type(got).__name__}.")
            if got != want:
                extra, missing = sorted(got - want), sorted(want - got)
                raise NotYet(f"in {text!r} the characters spelled as bytes are {sorted(want)}; yours "
                             + (f"adds {extra}" if extra else "") + (" and " if extra and missing else "")
                             + (f"misses {missing}" if missing else "") + ".")

    return check("the characters that fall back to bytes", test)
