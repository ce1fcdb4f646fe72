"""Reference solutions of chapter 1's exercises."""

import re

from minisora.tokenizer import N_SPECIAL

BYTE_PIECE = re.compile(r"<0x([0-9A-F]{2})>")  # byte fallback's 256 pieces <0x00> … <0xFF>


def decode_pieces(tok, ids):
    """The text of ``ids`` from their pieces: ▁ is a space, byte pieces are bytes, special ids are no text."""
    data = bytearray()
    for i in ids:
        if i < N_SPECIAL:
            continue
        piece = tok.id_to_piece(i)
        byte = BYTE_PIECE.fullmatch(piece)
        data += bytes([int(byte[1], 16)]) if byte else piece.replace("\u2581", " ").encode()
    return data.decode("utf-8")  # the bytes of one character may come from several pieces: decode once, at the end


def byte_fallback_chars(tok, text):
    """The distinct characters of ``text`` that, alone, come out as byte pieces."""
    return {c for c in set(text) if all(BYTE_PIECE.fullmatch(tok.id_to_piece(i)) for i in tok.encode(c))}
