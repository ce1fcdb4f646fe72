# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Chapter 1 — Tokenisation with SentencePiece
#
# The article's pipeline starts with 数据准备 … 分词 (data preparation, tokenisation).
# A language model never sees text: it sees a sequence of integer ids
# $x = (x_1, \dots, x_T)$, $x_t \in \{0, \dots, V-1\}$, and predicts a distribution over
# the next one. This chapter trains the tokenizer every later chapter uses, with
# `minisora.tokenizer` — the same code `minisora tokenizer train` runs.
#
# Run it as a script (`python tutorials/01_tokenization.py`) or open it as a notebook
# with jupytext. Set `MINISORA_QUICK=1` for a faster, smaller run.

# %%
import re
import tempfile
from collections import Counter

import matplotlib.pyplot as plt
from course import QUICK, show
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from minisora.datasets import SHIPPED_CORPUS
from minisora.tokenizer import (
    ASSISTANT_ID,
    BOS_ID,
    EOS_ID,
    MASK_ID,
    N_SPECIAL,
    PAD_ID,
    UNK_ID,
    USER_ID,
    Tokenizer,
    train_tokenizer,
)

text = SHIPPED_CORPUS.read_text(encoding="utf-8")
if QUICK:
    text = text[:150_000]
print(f"corpus: {len(text):,} characters, {len(text.encode()):,} bytes of UTF-8")
print(text[:300])

# %% [markdown]
# ## Two ways to learn a vocabulary
#
# **BPE** (byte-pair encoding) starts from characters and greedily *merges* the most
# frequent adjacent pair, again and again, until the vocabulary has $V$ pieces. To
# encode, it replays the merges.
#
# **Unigram** starts from a large set of candidate pieces and *prunes*. It models a
# segmentation $s = (s_1, \dots, s_n)$ of a sentence as independent draws,
# $p(s) = \prod_i p(s_i)$, fits the piece probabilities with EM, and drops the pieces
# whose removal costs the least likelihood. To encode, Viterbi picks
# $\arg\max_s \prod_i p(s_i)$.
#
# Both are one function call here; let us train both on the shipped corpus.

# %%
workdir = tempfile.mkdtemp(prefix="minisora-ch1-")
vocab = 3000 if QUICK else 8000
uni = train_tokenizer([text], f"{workdir}/unigram", vocab_size=vocab, model_type="unigram", from_text=True)
bpe = train_tokenizer([text], f"{workdir}/bpe", vocab_size=vocab, model_type="bpe", from_text=True)

sample = "The customer asked why the account cannot log in. 我的账户为什么不能登录？"
for name, tok in [("unigram", uni), ("bpe", bpe)]:
    pieces = [tok.id_to_piece(i) for i in tok.encode(sample)]
    print(f"{name:8s} {len(pieces):3d} pieces: {pieces}")

# %% [markdown]
# The two segmentations differ in places but have similar lengths: on a corpus this
# size the choice matters less than the vocabulary size. Fewer pieces per sentence
# means shorter sequences (cheaper attention) but a bigger embedding table and
# softmax.
#
# ## Seeing the pieces
#
# The figure draws one Chinese and one English sentence (the same advice in both
# languages) as the two tokenizers cut them: each box is one piece, as wide as the UTF-8
# bytes it stands for, so the axis is the same text for both tokenizers. SentencePiece
# writes a space as `▁` inside a piece; a Chinese character is 3 bytes. Look for where
# unigram and BPE cut the same words differently, and for how many more bytes a Chinese
# piece carries than an English one.
#
# Matplotlib draws Chinese only with a font that has Chinese characters. The cell looks
# for one; where there is none (as on the machine that ran this chapter), each Chinese
# piece is labelled with its index and the pieces are printed below the cell instead
# (install a CJK font, such as Noto Sans CJK SC, to see them drawn).

# %%
def font_with(char):
    """The name of an installed font that can draw ``char``, or None."""
    for entry in font_manager.fontManager.ttflist:
        if entry.name.startswith("Last Resort"):  # matplotlib's fallback: a box for every character
            continue
        try:
            if FT2Font(entry.fname).get_char_index(ord(char)):  # glyph 0 is "missing"
                return entry.name
        except (OSError, RuntimeError):  # a font file FreeType cannot read
            continue
    return None


def piece_bytes(piece):
    """The UTF-8 bytes a piece stands for: a byte piece <0xE6> is one byte, ▁ (U+2581) a space."""
    return 1 if re.fullmatch(r"<0x[0-9A-F]{2}>", piece) else len(piece.replace("▁", " ").encode())


zh_sentence = "如果眼睛累了，应该看一会儿远处的东西。"
en_sentence = "If your eyes are tired, look at something far away."
cjk_font = font_with("中")
print("font for Chinese:", cjk_font or "none: Chinese pieces are labelled with their index")

rows = [(f"{lang}, {name}", sentence, tok) for lang, sentence in [("Chinese", zh_sentence), ("English", en_sentence)]
        for name, tok in [("unigram", uni), ("bpe", bpe)]]
fig, ax = plt.subplots(figsize=(8, 3.4))
colours = plt.get_cmap("Set3").colors
for row, (label, sentence, tok) in enumerate(rows):
    pieces = [tok.id_to_piece(i) for i in tok.encode(sentence)]
    assert sum(map(piece_bytes, pieces)) == len(sentence.encode())  # the boxes tile the sentence's bytes
    x = 0
    for k, piece in enumerate(pieces):
        width = piece_bytes(piece)
        ax.barh(row, width, left=x, height=0.8, color=colours[k % len(colours)], edgecolor="white")
        latin = piece.replace("▁", " ").isascii()  # any font draws it (▁ included)
        ax.text(x + width / 2, row, piece if latin or cjk_font else str(k), ha="center", va="center", fontsize=9,
                fontfamily=None if latin else cjk_font)
        x += width
    rows[row] = (f"{label}\n{len(pieces)} pieces", sentence, tok)
    if cjk_font is None and not sentence.isascii():
        print(f"{label}: " + "  ".join(f"{k}:{piece}" for k, piece in enumerate(pieces)))
ax.set_yticks(range(len(rows)), [label for label, _, _ in rows], fontsize=9)
ax.invert_yaxis()
ax.set_xlim(0, max(len(s.encode()) for _, s, _ in rows))
ax.set_xlabel("UTF-8 bytes of the sentence (each box is one piece)")
ax.set_title(f"One sentence in Chinese and in English, cut into pieces (V = {vocab})")
show(fig, "01_pieces.png")

# %%
def chars_per_token(tok):
    ids = tok.encode(text[:50_000])
    return 50_000 / len(ids)

for name, tok in [("unigram", uni), ("bpe", bpe)]:
    print(f"{name:8s} {chars_per_token(tok):.2f} characters per token")

# %% [markdown]
# ## Compression: bytes per token
#
# Characters are a poor yardstick across scripts: a Chinese character is 3 bytes of
# UTF-8, an English letter 1. **Bytes per token** counts the same thing for every
# tokenizer and every language — the text's UTF-8 bytes, divided by the tokens it
# becomes. More bytes per token means shorter sequences for the same text. (Chapter 6
# divides the loss by the same bytes: *bits per byte*, the loss that compares models
# with different tokenizers.)
#
# We measure the three kinds of tokenizer `minisora tokenizer train --model-type` offers —
# unigram, BPE and one piece per character (`char`) — on the corpus's Chinese paragraphs
# and on its English ones.

# %%
char = train_tokenizer([text], f"{workdir}/char", vocab_size=vocab, model_type="char", from_text=True)
paragraphs = [p for p in text.split("\n\n") if p.strip()]
chinese = "\n\n".join(p for p in paragraphs  # Chinese characters, and no English letters
                       if any("\u4e00" <= c <= "\u9fff" for c in p) and not any(c.isascii() and c.isalpha() for c in p))
english = "\n\n".join(p for p in paragraphs if p.isascii())
print(f"Chinese: {len(chinese):,} characters, {len(chinese.encode()):,} bytes; "
      f"English: {len(english):,} characters, {len(english.encode()):,} bytes")


def bytes_per_token(tok, s):
    return len(s.encode("utf-8")) / len(tok.encode(s))


kinds = {"unigram": uni, "bpe": bpe, "char": char}
print(f"\n{'tokenizer':10s} {'pieces':>7s} {'Chinese':>8s} {'English':>8s}   (UTF-8 bytes per token)")
for name, tok in kinds.items():
    print(f"{name:10s} {tok.vocab_size:7,d} {bytes_per_token(tok, chinese):8.2f} {bytes_per_token(tok, english):8.2f}")
assert bytes_per_token(char, english) == 1.0  # one ASCII character, one byte, one piece
assert bytes_per_token(char, chinese) <= 3.0  # at most a character per piece (digits are 1 byte)
assert all(bytes_per_token(uni, s) > bytes_per_token(char, s) for s in (chinese, english))

# %% [markdown]
# The char tokenizer is the floor: one piece per character, so 1 byte per token in English
# and nearly 3 in Chinese. Unigram and BPE learn longer pieces and pack more text into
# each token. How much more depends on the vocabulary size $V$: the figure trains
# both at a few sizes (more of them in the full run) and measures each. The cost of a
# bigger $V$ grows linearly — the embedding table and the softmax have a row per piece —
# while the gain shrinks: each piece added is rarer than the ones before, so in English
# the curves flatten early. In Chinese they keep climbing longer, because a piece can
# hold a whole phrase that this generated corpus repeats. The char tokenizer is the
# single point at the left: its vocabulary is the corpus's characters (plus the special
# ids and the 256 byte pieces).

# %%
sizes = (vocab, 4000, 6000) if QUICK else (3000, 4000, 6000, vocab, 12000)
fig, axes = plt.subplots(1, 2, figsize=(8, 3.4), sharey=True)
for model_type, marker in [("unigram", "o"), ("bpe", "s")]:
    trained = {vocab: kinds[model_type]}
    for size in sizes:
        if size not in trained:
            trained[size] = train_tokenizer([text], vocab_size=size, model_type=model_type, from_text=True)
    for ax, s in zip(axes, (chinese, english)):
        ax.plot(sorted(trained), [bytes_per_token(trained[v], s) for v in sorted(trained)], marker=marker,
                label=model_type)
for ax, s, lang in zip(axes, (chinese, english), ("Chinese", "English")):
    ax.plot([char.vocab_size], [bytes_per_token(char, s)], "k^", label="char")
    ax.set_title(f"{lang} paragraphs of the corpus", fontsize=10)
    ax.set_xlabel("vocabulary size V (pieces)")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("UTF-8 bytes per token")
axes[0].legend(fontsize=9)
fig.suptitle("Compression against vocabulary size: unigram, BPE and char tokenizers", fontsize=11)
fig.tight_layout()
show(fig, "01_vocab_compression.png")

# %% [markdown]
# ## Special ids, fixed
#
# Every tokenizer minisora trains puts the same special tokens at the same ids, as
# Flax's gemma example does, so model code can use the constants:
#
# | id | piece | use |
# |---|---|---|
# | 0 | `<pad>` | padding; id 0 so that zero-filled arrays are padding |
# | 1 | `<unk>` | never produced (see byte fallback below) |
# | 2, 3 | `<s>`, `</s>` | begin / end of sequence |
# | 4 | `[MASK]` | BERT's masked-token objective (Sora's encoder) |
# | 5, 6 | `[CLS]`, `[SEP]` | BERT's classification and separator tokens |
# | 7, 8 | `<user>`, `<assistant>` | dialogue turn markers for fine-tuning |
#
# Ids 4–8 are *control* symbols: typing the text `[MASK]` gives its letters, never
# the mask id, so user text cannot forge a turn marker. `N_SPECIAL` counts the special
# ids (0–8): code that must avoid them (BERT's random replacement tokens, say) draws
# from `N_SPECIAL … V−1`. The first ordinary piece, id `N_SPECIAL`, is the newline.

# %%
for i in range(N_SPECIAL + 1):  # the special ids, then the first piece of text
    print(i, repr(uni.id_to_piece(i)))
assert uni.id_to_piece(N_SPECIAL) == "\n"
assert (PAD_ID, UNK_ID, BOS_ID, EOS_ID, MASK_ID, USER_ID, ASSISTANT_ID) == (0, 1, 2, 3, 4, 7, 8)
assert uni.id_to_piece(MASK_ID) == "[MASK]" and MASK_ID not in uni.encode("[MASK]")

# %% [markdown]
# ## Byte fallback: nothing is ever lost
#
# A character the vocabulary lacks (a rare Chinese character, an emoji) would become
# `<unk>` and be lost for good. With `byte_fallback=True`, SentencePiece spells it as
# its UTF-8 bytes instead, using 256 pieces `<0x00>` … `<0xFF>` that are always in
# the vocabulary.

# %%
rare = "龘 😀"
print([uni.id_to_piece(i) for i in uni.encode(rare)])
assert UNK_ID not in uni.encode(rare)

# %% [markdown]
# ## Lossless: decode(encode(s)) = s
#
# SentencePiece's defaults normalise text (NFKC folds full-width letters), collapse
# runs of spaces and add a leading space. That is fine for translation, wrong for a
# language model of code or of a play, whose line breaks and indentation carry
# meaning. minisora turns those off (see the docstring of `minisora/tokenizer.py`),
# so the round trip is exact — the test suite checks it on thousands of random
# Unicode strings with hypothesis.

# %%
for s in ["  two leading spaces,\ttabs\nand\n\nblank lines", "全角ＡＢＣ 与 半角ABC", "我的账户为什么不能登录？"]:
    back = uni.decode(uni.encode(s))
    print(repr(back))
    assert back == s

# %% [markdown]
# ## Padding and masks for batches
#
# Training batches are right-padded (real tokens first); prompts for generation
# are left-padded, so every row's last real token sits in the last column. The mask
# is 1 on real tokens.

# %%
ids, mask = uni.encode_batch(["今天天气很好。", "The weather is fine today, we walk."], add_bos=True)
print(ids)
print(mask)
left, left_mask = uni.encode_batch(["今天天气很好。", "The weather is fine today, we walk."], pad_left=True)
print(left_mask)

# %% [markdown]
# ## Saving beside a run
#
# `Tokenizer.save(dir)` writes `tokenizer.model` and a small `tokenizer.json`;
# `Tokenizer.load(dir)` reads them back, as does `minisora tokenizer train --out DIR`.

# %%
again = Tokenizer.load(f"{workdir}/unigram")
assert again.encode(sample) == uni.encode(sample)
print("vocabulary size:", again.vocab_size)
print("most common pieces:", Counter(uni.id_to_piece(i) for i in uni.encode(text[:20_000])).most_common(12))

# %% [markdown]
# ## Exercises
#
# 1. **Decode by hand.** Write `decode_pieces(tok, ids)`: the text of `ids`, using only
#    `tok.id_to_piece`. A `▁` in a piece is a space; a byte piece such as `<0xE9>` is one
#    byte, and a run of byte pieces spells one or more characters *together* (UTF-8);
#    the special ids (`<pad>`, `<s>`, `</s>`, `[MASK]`, …, all below `N_SPECIAL`) are no
#    text. The check compares it with `tok.decode` on English, Chinese, an emoji, a rare
#    character, tabs and newlines.
# 2. **Which characters fall back to bytes?** Write `byte_fallback_chars(tok, text)`: the
#    set of distinct characters of `text` that the tokenizer, given one alone, spells as
#    byte pieces (they have no piece of their own). The check compares it with the
#    tokenizer's vocabulary on texts with and without rare characters.
#
# The solutions are in `tutorials/solutions/ch01.py` — try first.

# %%
from course import ch01  # noqa: E402


def decode_pieces(tok, ids):
    raise NotImplementedError  # your code here


def byte_fallback_chars(tok, text):
    raise NotImplementedError  # your code here


ch01.check_decode_pieces(decode_pieces, uni)
ch01.check_byte_fallback_chars(byte_fallback_chars, uni)
