"""SentencePiece tokenizer: training, and a ``Tokenizer`` with fixed special ids.

A tokenizer maps text to a sequence of ids x = (x_1, …, x_T), x_t ∈ {0, …, V−1},
and back, losslessly:  decode(encode(s)) = s  for every Unicode string s.

Three SentencePiece defaults would break that equation, so we turn them off:
- NFKC normalisation (folds "ｆｕｌｌ" to "full")   -> ``normalization_rule_name="identity"``
- folding runs of spaces, dropping leading ones  -> ``remove_extra_whitespaces=False``,
  ``add_dummy_prefix=False``
- characters outside the vocabulary become <unk> -> ``byte_fallback=True``: they are
  spelled as their UTF-8 bytes <0x00>…<0xFF>, which are always in the vocabulary.
Newlines never reach the trainer (it reads text line by line), so "\\n" is added
as a piece of its own; a character-level model of a play keeps its line breaks.

Special ids are the same for every tokenizer minisora trains (gemma fixes its
ids the same way), so model code may use the constants below directly.
The five symbols after </s> are *control* symbols: they are never produced from
text (typing "[MASK]" gives the letters, not the mask id) and decode to "".

``Tokenizer`` is the interface every run's tokenizer has (encode / decode / the special
ids / save / load); it has two implementations:

    SentencePieceTokenizer   trained by minisora (``train_tokenizer``), the fixed ids above
    HFTokenizer              a Hugging Face ``tokenizer.json`` (the ``tokenizers`` library),
                             brought in with an imported model; its special ids are its own
                             (GPT-2 has only <|endoftext|>), None where it has none

Decoding, chat and the tools read the special ids from the tokenizer, never assume them;
training on dialogues needs the fixed ones (``require_minisora_ids``).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import sentencepiece as spm
import tokenizers

from .errors import UserError

# Fixed special ids, the same for every tokenizer minisora trains.
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
MASK_ID, CLS_ID, SEP_ID, USER_ID, ASSISTANT_ID = 4, 5, 6, 7, 8
CONTROL_SYMBOLS = ("[MASK]", "[CLS]", "[SEP]", "<user>", "<assistant>")  # ids 4..8
N_SPECIAL = 4 + len(CONTROL_SYMBOLS)  # ids 0..8 are special: never text (random replacements avoid them)
NEWLINE_PIECE = "\n"  # id 9
MODEL_TYPES = ("unigram", "bpe", "char")

MODEL_FILE, META_FILE = "tokenizer.model", "tokenizer.json"  # SentencePiece: the model, and minisora's notes
HF_FILE, HF_SPECIALS_FILE = "tokenizer.json", "special_ids.json"  # Hugging Face: the tokenizer, its special ids
SPECIAL_NAMES = ("pad", "unk", "bos", "eos", "mask", "cls", "sep", "user", "assistant")
MINISORA_IDS = dict(zip(SPECIAL_NAMES, range(N_SPECIAL)))  # {"pad": 0, …, "assistant": 8}
# SentencePiece writes a space as "▁" (U+2581) inside pieces, so a literal "▁"
# in the input would come back as a space. We spell it as its three UTF-8 bytes.
_META_SPACE = "\u2581"


def _trainer_options(vocab_size: int, model_type: str, character_coverage: float) -> dict:
    return dict(
        vocab_size=vocab_size,
        model_type=model_type,
        pad_id=PAD_ID, unk_id=UNK_ID, bos_id=BOS_ID, eos_id=EOS_ID,
        control_symbols=list(CONTROL_SYMBOLS),
        user_defined_symbols=[NEWLINE_PIECE],
        byte_fallback=True,
        # 0.9995 keeps the rare tail of Chinese characters as bytes instead of
        # spending thousands of pieces on them (SentencePiece's advice for CJK).
        character_coverage=character_coverage,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=False,
        allow_whitespace_only_pieces=True,
        split_digits=True,
        # A char model's vocabulary is the characters the corpus has: vocab_size is an upper bound.
        hard_vocab_limit=model_type != "char",
        # One thread: the same corpus gives the same pieces, whatever the machine.
        num_threads=1,
        minloglevel=2,
    )


def _lines_from_files(paths: Iterable[str | os.PathLike]) -> list[str]:
    lines: list[str] = []
    for path in map(Path, paths):
        if not path.exists():
            raise UserError(f"Input file {path} does not exist.")
        if path.is_dir():
            raise UserError(f"Input {path} is a directory; give text files.")
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise UserError(f"Input file {path} is not UTF-8 text (bad byte at offset {err.start}).") from None
        lines.extend(text.split("\n"))
    return lines


def train_tokenizer(
    inputs: Iterable[str | os.PathLike] | Iterable[str],
    out_dir: str | os.PathLike | None = None,
    *,
    vocab_size: int = 8000,
    model_type: str = "unigram",
    character_coverage: float = 0.9995,
    from_text: bool = False,
) -> "SentencePieceTokenizer":
    """Train a SentencePiece model.

    ``inputs`` are paths to UTF-8 files, or (with ``from_text=True``) an iterable
    of strings, e.g. a generator over documents. Writes to ``out_dir`` if given.
    """
    if model_type not in MODEL_TYPES:
        raise UserError(f"Unknown model type {model_type!r}; choose one of: {', '.join(MODEL_TYPES)}.")
    min_vocab = N_SPECIAL + 1 + 256  # specials + "\n" + the 256 byte pieces
    if model_type != "char" and vocab_size <= min_vocab:
        raise UserError(f"Vocabulary size {vocab_size} is too small: the specials and 256 byte pieces alone take {min_vocab}.")
    if from_text:
        lines = [line for doc in inputs for line in str(doc).split("\n")]
    else:
        lines = _lines_from_files(inputs)
    if not any(line.strip() for line in lines):
        raise UserError("The training text is empty.")

    model = io.BytesIO()
    options = _trainer_options(vocab_size if model_type != "char" else max(vocab_size, 2 * min_vocab),
                               model_type, character_coverage)
    try:
        spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=model, **options)
    except RuntimeError as err:
        msg = str(err)
        if "smaller than required_chars" in msg:
            need = msg.split(" vs ")[-1].split(".")[0]
            raise UserError(f"Vocabulary size {vocab_size} is too small for this corpus's characters; use at least {need}.") from None
        if "Vocabulary size too high" in msg:
            limit = msg.split("<=")[-1].strip(" .)") if "<=" in msg else "smaller"
            raise UserError(f"Vocabulary size {vocab_size} is larger than this corpus supports; use {limit} or fewer.") from None
        raise UserError(f"SentencePiece could not train on this input: {msg.splitlines()[-1]}") from None
    tok = SentencePieceTokenizer(model.getvalue(), model_type=model_type)
    if out_dir is not None:
        tok.save(out_dir)
    return tok


class Tokenizer:
    """Text <-> ids: the interface both implementations have (see the module docstring).

    ``Tokenizer.load(dir)`` reads either kind from a folder. A special id the tokenizer does
    not have is None (an imported GPT-2 has no <pad>, no <user>).
    """

    kind = "interface"
    pad_id = unk_id = bos_id = eos_id = mask_id = cls_id = sep_id = user_id = assistant_id = None

    @property
    def vocab_size(self) -> int:
        raise NotImplementedError

    def id_to_piece(self, i: int) -> str:
        raise NotImplementedError

    def encode(self, text: str, *, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        raise NotImplementedError

    def decode(self, ids: Iterable[int]) -> str:
        """Ids -> text. Padding and special ids decode to nothing."""
        raise NotImplementedError

    def save(self, out_dir: str | os.PathLike) -> None:
        raise NotImplementedError

    def special_ids(self) -> dict[str, int | None]:
        return {name: getattr(self, f"{name}_id") for name in SPECIAL_NAMES}

    def encode_batch(
        self, texts: list[str], *, max_len: int | None = None, pad_left: bool = False,
        add_bos: bool = False, add_eos: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Encode and pad to one (B, T) array; returns (ids, mask), mask 1 on real tokens.

        Right padding suits training batches; left padding suits prompts, whose
        last token then sits in the last column. Over-long rows keep their first
        ``max_len`` tokens (right padding) or their last ``max_len`` (left padding).
        """
        rows = [self.encode(t, add_bos=add_bos, add_eos=add_eos) for t in texts]
        T = max_len if max_len is not None else max((len(r) for r in rows), default=0)
        return pad_rows(rows, T, left=pad_left)

    @staticmethod
    def load(directory: str | os.PathLike) -> "Tokenizer":
        """A saved tokenizer folder of either kind: tokenizer.model (SentencePiece) or a Hugging Face tokenizer.json."""
        d = Path(directory)
        if d.is_dir() and not (d / MODEL_FILE).is_file() and (d / HF_FILE).is_file():
            return HFTokenizer.load(d)
        return SentencePieceTokenizer.load(d)


def require_minisora_ids(tok: Tokenizer, what: str) -> None:
    """Refuse, in one sentence, a tokenizer whose special ids are not minisora's fixed ones
    (the batches and the dialogue layout of training use those ids)."""
    differ = [f"<{name}> is {i}" for name, i in tok.special_ids().items() if i != MINISORA_IDS[name]]
    if differ:
        raise UserError(f"{what} needs minisora's special ids (<pad>=0 … <assistant>=8), but in this "
                        f"{tok.kind} tokenizer {', '.join(differ[:3])}.")


class SentencePieceTokenizer(Tokenizer):
    """Text <-> ids with minisora's fixed special ids (see module docstring)."""

    kind = "SentencePiece"
    pad_id, unk_id, bos_id, eos_id = PAD_ID, UNK_ID, BOS_ID, EOS_ID
    mask_id, cls_id, sep_id, user_id, assistant_id = MASK_ID, CLS_ID, SEP_ID, USER_ID, ASSISTANT_ID

    def __init__(self, model_proto: bytes, model_type: str = "unigram"):
        self.model_proto = model_proto
        self.model_type = model_type
        self.sp = spm.SentencePieceProcessor(model_proto=model_proto)
        self._meta_space_ids = [self.sp.piece_to_id(f"<0x{b:02X}>") for b in _META_SPACE.encode()]

    # -- basic maps -------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self.sp.get_piece_size()

    def id_to_piece(self, i: int) -> str:
        return self.sp.id_to_piece(int(i))

    def encode(self, text: str, *, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        ids: list[int] = [BOS_ID] if add_bos else []
        for k, part in enumerate(text.split(_META_SPACE)):
            if k:
                ids += self._meta_space_ids
            if part:
                ids += self.sp.encode(part)
        if add_eos:
            ids.append(EOS_ID)
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Ids -> text. Padding and control ids decode to nothing."""
        return self.sp.decode([int(i) for i in ids if int(i) != PAD_ID])

    # -- files ------------------------------------------------------------------------
    def save(self, out_dir: str | os.PathLike) -> None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / MODEL_FILE).write_bytes(self.model_proto)
        meta = {
            "model_type": self.model_type, "vocab_size": self.vocab_size,
            "special_ids": {"pad": PAD_ID, "unk": UNK_ID, "bos": BOS_ID, "eos": EOS_ID, "mask": MASK_ID,
                            "cls": CLS_ID, "sep": SEP_ID, "user": USER_ID, "assistant": ASSISTANT_ID},
        }
        (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "SentencePieceTokenizer":
        d = Path(directory)
        path = d / MODEL_FILE if d.is_dir() else d
        if not path.is_file():
            raise UserError(f"No tokenizer at {directory} (expected {MODEL_FILE}; train one with `minisora tokenizer train`).")
        meta_path = path.parent / META_FILE
        model_type = json.loads(meta_path.read_text()).get("model_type", "unigram") if meta_path.is_file() else "unigram"
        try:
            tok = cls(path.read_bytes(), model_type=model_type)
        except (RuntimeError, OSError):
            raise UserError(f"The tokenizer file {path} is corrupt; train it again.") from None
        if tok.sp.piece_to_id("[MASK]") != MASK_ID or tok.sp.pad_id() != PAD_ID:
            raise UserError(f"The tokenizer at {directory} was not made by minisora (its special ids differ).")
        return tok


class HFTokenizer(Tokenizer):
    """A Hugging Face ``tokenizer.json`` (the ``tokenizers`` library) behind minisora's interface.

    ``special_ids`` names its special tokens ({"eos": 50256, "pad": None, …}); the folder reader
    in tools/hf.py finds them in a model folder's tokenizer_config.json and config.json. As with
    minisora's own tokenizer, special tokens are never produced from text: typing
    "<|endoftext|>" gives its characters (the ``tokenizers`` option ``encode_special_tokens``).
    """

    kind = "Hugging Face"

    def __init__(self, hf: tokenizers.Tokenizer, special_ids: dict[str, int | None], extra_files: dict | None = None):
        self.hf = hf
        self.hf.encode_special_tokens = True
        unknown = set(special_ids) - set(SPECIAL_NAMES)
        if unknown:
            raise ValueError(f"unknown special names {sorted(unknown)}")
        for name in SPECIAL_NAMES:
            setattr(self, f"{name}_id", special_ids.get(name))
        self.extra_files = dict(extra_files or {})  # {file name: text}, e.g. the folder's tokenizer_config.json

    @property
    def vocab_size(self) -> int:
        return self.hf.get_vocab_size(with_added_tokens=True)

    def id_to_piece(self, i: int) -> str:
        return self.hf.id_to_token(int(i))

    def encode(self, text: str, *, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        for flag, name in ((add_bos, "bos"), (add_eos, "eos")):
            if flag and getattr(self, f"{name}_id") is None:
                raise UserError(f"This tokenizer has no <{name}> token.")
        ids = self.hf.encode(text, add_special_tokens=False).ids
        return ([self.bos_id] if add_bos else []) + ids + ([self.eos_id] if add_eos else [])

    def decode(self, ids: Iterable[int]) -> str:
        return self.hf.decode([int(i) for i in ids if int(i) != self.pad_id], skip_special_tokens=True)

    def save(self, out_dir: str | os.PathLike) -> None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / HF_FILE).write_text(self.hf.to_str(pretty=True), encoding="utf-8")
        (out / HF_SPECIALS_FILE).write_text(json.dumps(self.special_ids(), indent=2) + "\n")
        for name, text in self.extra_files.items():
            (out / name).write_text(text, encoding="utf-8")

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "HFTokenizer":
        d = Path(directory)
        try:
            hf = tokenizers.Tokenizer.from_file(str(d / HF_FILE))
            special = json.loads((d / HF_SPECIALS_FILE).read_text()) if (d / HF_SPECIALS_FILE).is_file() else {}
        except Exception as err:  # the tokenizers library raises plain Exceptions for a bad file
            raise UserError(f"The tokenizer file {d / HF_FILE} is corrupt or not a Hugging Face tokenizer ({err}).") from None
        extra = {p.name: p.read_text(encoding="utf-8") for p in sorted(d.glob("*.json"))
                 if p.name not in (HF_FILE, HF_SPECIALS_FILE)}
        return cls(hf, {k: v for k, v in special.items() if k in SPECIAL_NAMES}, extra)


def copy_tokenizer(src_dir: str | os.PathLike, dst_dir: str | os.PathLike) -> None:
    """Copy a saved tokenizer directory (used to put one beside a run): checked by loading it."""
    Tokenizer.load(src_dir).save(dst_dir)


# --- rows of ids ---------------------------------------------------------------------


def pad_rows(rows, length: int, *, left: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Lists of ids -> (ids (B, length), mask (B, length)) int32, mask 1 on real tokens.

    Right padding (real tokens first) suits training rows; LEFT padding suits prompts, whose
    last token then sits in the last column. A row longer than ``length`` keeps its first
    ``length`` tokens (right padding) or its last ``length`` (left padding).
    """
    ids = np.full((len(rows), length), PAD_ID, np.int32)
    mask = np.zeros((len(rows), length), np.int32)
    for b, row in enumerate(rows):
        row = [int(i) for i in row]
        row = (row[-length:] if left else row[:length]) if length else []
        cols = slice(length - len(row), length) if left else slice(0, len(row))
        ids[b, cols], mask[b, cols] = row, 1
    return ids, mask


def chat_prompt(question_ids, room: int | None = None) -> list[int]:
    """The prompt both models see for a question: ``<user> question <assistant>``.

    With ``room``, the prompt fits in ``room`` tokens: a longer question keeps its last tokens.
    """
    q = list(question_ids)
    if room is not None:
        q = q[max(0, len(q) - (room - 2)):] if room > 2 else []
    return [USER_ID, *q, ASSISTANT_ID]


def describe_pieces(tok, text: str | None = None) -> str:
    """Where a trained tokenizer's pieces come from, in one sentence: the special ids, the 256 byte
    pieces of byte fallback, and what it learned from the text (a char tokenizer: its characters).
    With the training ``text``, also the characters that got no piece (rarer than the character
    coverage), which are spelled as bytes."""
    pieces = [tok.id_to_piece(i) for i in range(tok.vocab_size)]
    n_bytes = sum(len(p) == 6 and p.startswith("<0x") and p.endswith(">") for p in pieces)
    newline = NEWLINE_PIECE in pieces  # always added (the trainer never sees a newline)
    learned = tok.vocab_size - N_SPECIAL - newline - n_bytes
    what = "characters" if getattr(tok, "model_type", None) == "char" else "pieces"
    said = (f"{tok.vocab_size} pieces: {N_SPECIAL} special (<pad> <unk> <s> </s> {' '.join(CONTROL_SYMBOLS)}), "
            f"{'the newline, ' if newline else ''}{n_bytes} bytes <0x00>…<0xFF> (byte fallback: a character "
            f"without a piece is spelled as its UTF-8 bytes) and {learned} more {what} of the text")
    if text is not None:
        singles = {p.replace(_META_SPACE, " ") for p in pieces if len(p) == 1}
        rare = sorted(set(text) - singles)
        if rare:
            shown = " ".join(repr(c)[1:-1] for c in rare[:10]) + (" …" if len(rare) > 10 else "")
            said += f"; {len(rare)} rare character{'s' * (len(rare) > 1)} ({shown}) got no piece and are spelled as bytes"
    return said
