"""Bits per UTF-8 byte: the bytes each piece spells, and the value training logs, both by hand."""

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from minisora.config import TrainConfig
from minisora.tokenizer import EOS_ID, N_SPECIAL, PAD_ID, train_tokenizer
from minisora.training import batches as data
from minisora.training import loop
from minisora.training.losses import bits_per_byte, piece_bytes

# English, Chinese (3 bytes a character), runs of spaces, a literal "▁" (3 bytes, spelled as byte pieces)
# and newlines: every way a piece can spell bytes.
TEXT = ("The cat sat on the mat.  Two  spaces, then a tab\tand a newline.\n"
        "客服说：我的账户为什么不能登录？请稍后再试。\n"
        "A literal \u2581 sign, 3 plus 4 is 7.\n") * 6


@pytest.fixture(scope="module")
def toks():
    return {kind: train_tokenizer([TEXT], vocab_size=300 if kind == "char" else 320, model_type=kind, from_text=True)
            for kind in ("char", "unigram")}


def test_bits_per_byte_is_summed_nats_over_ln2_bytes():
    # a text of 4 bytes whose tokens the model gave probabilities 1/2 and 1/4: 1 + 2 bits over 4 bytes
    assert bits_per_byte(-math.log(0.5) - math.log(0.25), 4) == pytest.approx(3 / 4)
    with pytest.raises(ValueError):
        bits_per_byte(1.0, 0)


# unseen characters (尾巴) are byte-fallback pieces in both
@pytest.mark.parametrize("text", [TEXT, " leading space", "尾巴\n\n", "x\u2581\u2581y", "a  b   c"])
def test_a_char_and_a_unigram_tokenizer_count_the_same_bytes(toks, text):
    counts = {}
    for kind, tok in toks.items():
        ids = tok.encode(text)
        counts[kind] = int(piece_bytes(tok)[ids].sum())
    assert counts["char"] == counts["unigram"] == len(text.encode("utf-8"))
    if text is TEXT:  # different tokens, the same bytes
        assert len(toks["char"].encode(text)) > len(toks["unigram"].encode(text))


def test_special_ids_spell_no_bytes_and_byte_pieces_one(toks):
    for tok in toks.values():
        b = piece_bytes(tok)
        assert b.shape == (tok.vocab_size,) and (b[:N_SPECIAL] == 0).all()
        byte_ids = [tok.sp.piece_to_id(f"<0x{v:02X}>") for v in (0x00, 0x41, 0xE4, 0xFF)]
        assert (b[byte_ids] == 1).all()
        space = tok.encode(" ")
        assert len(space) == 1 and b[space[0]] == 1  # "▁" is one space byte


def _char_bytes(tok, text):
    """id -> UTF-8 bytes of its character, by encoding each character of the text on its own: a char
    tokenizer gives it one id, or (a character spelled by byte fallback, "▁") one id per byte."""
    table = {}
    for c in set(text):
        ids = tok.encode(c)
        size = len(c.encode("utf-8"))
        assert len(ids) in (1, size)
        table.update({i: size // len(ids) for i in ids})
    return table


class Unigram(nnx.Module):
    """A model whose logits are one learned vector z for every position: −log p(y) = logsumexp(z) − z_y."""

    def __init__(self, V, rngs):
        self.z = nnx.Param(jax.random.normal(rngs.params(), (V,)))

    def __call__(self, ids, *, deterministic=True):
        return jnp.broadcast_to(self.z[...], (*ids.shape, self.z.shape[0]))  # (B, T, V)


def test_logged_bits_per_byte_is_the_hand_computation(toks, tmp_path):
    tok = toks["char"]
    ids = np.asarray(tok.encode(TEXT), np.int32)
    train_ids, val_ids = data.split_held_out(ids)
    batches = data.Batches("gpt", "text", train_ids, val_ids, batch_size=2, seq_len=16, vocab_size=tok.vocab_size,
                           token_bytes=piece_bytes(tok))
    cfg = TrainConfig(steps=2, batch_size=2, seq_len=16, eval_every=2, eval_batches=3, checkpoint_every=2, lr=0.1)
    model = Unigram(tok.vocab_size, nnx.Rngs(0))
    loop.train(model, batches, cfg, tmp_path, quiet=True)
    (record,) = [m for m in map(json.loads, (tmp_path / "metrics.jsonl").read_text().splitlines()) if "val_bpb" in m]

    z = np.asarray(model.z[...], np.float64)  # the trained vector
    nll = np.log(np.exp(z - z.max()).sum()) + z.max() - z  # −log p(v) for every id v
    size = _char_bytes(tok, TEXT)
    nats = n_bytes = 0.0
    for b in batches.eval_batches(3, cfg.seed):  # the batches the loop evaluated on
        nats += nll[b["y"]].sum()
        n_bytes += sum(size[int(y)] for y in b["y"].ravel())
    assert record["val_bytes"] == n_bytes > b["y"].size  # Chinese characters: more bytes than tokens
    assert record["val_bpb"] == pytest.approx(nats / (math.log(2) * n_bytes), rel=1e-5)
    assert record["val_next_loss"] == pytest.approx(nats / (3 * b["y"].size), rel=1e-5)


def test_sora_counts_the_bytes_of_its_decoder_targets_only(toks):
    tok = toks["char"]
    ids = np.asarray(tok.encode(TEXT), np.int32)
    batches = data.Batches("sora", "text", ids, ids, batch_size=3, seq_len=20, prefix_len=8, vocab_size=tok.vocab_size,
                           token_bytes=piece_bytes(tok))
    b = batches.sample(np.random.default_rng(0))
    size = _char_bytes(tok, TEXT)
    assert b["y"].shape == (3, 12)
    assert batches.target_bytes(b) == sum(size[int(y)] for y in b["y"].ravel())


@pytest.mark.parametrize("family", ["gpt", "sora"])
def test_dialogue_bytes_are_the_answers_text(toks, family):
    # the held-out dialogues are scored once each: their bytes are the answers' (</s> and padding spell none)
    tok = toks["unigram"]
    qa = [("我的账户为什么不能登录？", "请稍后再试。"), ("What is 3 plus 4?", "3 plus 4 is 7."),
          ("Where is the cat?", "The cat sat on the mat."), ("Two spaces?", "Two  spaces, then a tab\t.")]
    pairs = [(tok.encode(q), tok.encode(a)) for q, a in qa]
    S = max(len(q) for q, _ in pairs) + 2
    T = S + max(len(a) for _, a in pairs) + 1
    batches = data.Batches(family, "dialogue", pairs[:1], pairs[1:], batch_size=2, seq_len=T, prefix_len=S,
                           vocab_size=tok.vocab_size, token_bytes=piece_bytes(tok))
    held_out = batches.eval_batches(1, 0)
    assert any(EOS_ID in b["y"][b["w"] == 1] for b in held_out) and any(PAD_ID in b["y"] for b in held_out)
    assert sum(batches.target_bytes(b) for b in held_out) == sum(len(a.encode("utf-8")) for _, a in qa[1:])
