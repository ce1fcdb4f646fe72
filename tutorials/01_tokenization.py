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
import os
import tempfile
from collections import Counter

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

QUICK = os.environ.get("MINISORA_QUICK") == "1"
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

# %%
def chars_per_token(tok):
    ids = tok.encode(text[:50_000])
    return 50_000 / len(ids)

for name, tok in [("unigram", uni), ("bpe", bpe)]:
    print(f"{name:8s} {chars_per_token(tok):.2f} characters per token")

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
