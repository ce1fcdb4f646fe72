"""Batches: shapes, shifts, BERT masking proportions, loss masks, determinism."""

import json

import numpy as np
import pytest

from minisora.errors import UserError
from minisora.tokenizer import ASSISTANT_ID, BOS_ID, EOS_ID, MASK_ID, N_SPECIAL, PAD_ID, USER_ID
from minisora.training import batches as data

V = 50
CORPUS = np.arange(1000, dtype=np.int32) % (V - N_SPECIAL) + N_SPECIAL  # ids never special


def test_next_token_targets_are_inputs_shifted_by_one():
    ids = np.arange(1000, dtype=np.int32)  # id = position, so a window is a run of consecutive ids
    b = data.next_token_batch(ids, data.make_rng(0), 4, 16)
    assert b["x"].shape == b["y"].shape == b["w"].shape == (4, 16)
    np.testing.assert_array_equal(b["y"], b["x"] + 1)  # y_t = x_{t+1}
    np.testing.assert_array_equal(np.diff(b["x"], axis=1), 1)  # contiguous windows
    assert b["w"].min() == 1 and len(set(b["x"][:, 0])) > 1  # all tokens count; random starts


def test_same_seed_same_batches_and_state_round_trip():
    a, b = data.make_rng(7), data.make_rng(7)
    for _ in range(3):
        np.testing.assert_array_equal(data.next_token_batch(CORPUS, a, 3, 8)["x"], data.next_token_batch(CORPUS, b, 3, 8)["x"])
    # the generator state survives JSON (it goes into checkpoints) and reproduces the stream
    state = json.loads(json.dumps(data.rng_state(a)))
    expected = data.next_token_batch(CORPUS, a, 3, 8)["x"]
    c = data.make_rng(123)
    data.set_rng_state(c, state)
    np.testing.assert_array_equal(data.next_token_batch(CORPUS, c, 3, 8)["x"], expected)
    assert not np.array_equal(data.next_token_batch(CORPUS, data.make_rng(8), 3, 8)["x"], expected)


def test_corpus_shorter_than_a_window_is_a_user_error():
    with pytest.raises(UserError, match="fewer than one window"):
        data.next_token_batch(CORPUS[:10], data.make_rng(0), 2, 10)


def test_bert_masking_proportions():
    rng = data.make_rng(0)
    x = rng.integers(N_SPECIAL, V, size=(200, 500)).astype(np.int32)
    real = np.ones_like(x)
    real[:, :100] = 0  # padding is never chosen
    x_tilde, chosen = data.bert_mask(x, rng, V, real=real)
    assert chosen[:, :100].sum() == 0
    n_real = real.sum()
    c = chosen.astype(bool)
    rate = c.sum() / n_real
    assert abs(rate - 0.15) < 0.005  # 80 000 real tokens: σ ≈ 0.0013
    to_mask = (x_tilde == MASK_ID) & c
    kept = (x_tilde == x) & c
    replaced = c & ~to_mask & ~kept
    assert abs(to_mask.sum() / c.sum() - 0.8) < 0.01
    # a random replacement can equal the original (prob 1/41), so "kept" is 10 % + a little
    assert abs(replaced.sum() / c.sum() - 0.1 * (1 - 1 / (V - N_SPECIAL))) < 0.01
    assert abs(kept.sum() / c.sum() - 0.1 * (1 + 1 / (V - N_SPECIAL))) < 0.01
    assert np.array_equal(x_tilde[~c], x[~c])  # unchosen tokens are untouched
    assert x_tilde[replaced].min() >= N_SPECIAL  # random tokens are never special ids


def test_prefix_continuation_batch():
    rng = data.make_rng(1)
    S, T = 6, 5
    b = data.prefix_continuation_batch(CORPUS, rng, 64, S, T, V)
    assert b["src"].shape == b["src_mask"].shape == b["mlm_y"].shape == b["mlm_w"].shape == (64, S)
    assert b["dec_in"].shape == b["y"].shape == b["w"].shape == (64, T)
    # left-padded prefix: mask is 0…0 1…1, at least one real token, padding is PAD
    m = b["src_mask"]
    assert np.all(np.diff(m, axis=1) >= 0) and np.all(m[:, -1] == 1)
    assert np.all(b["mlm_y"][m == 0] == PAD_ID) and len(set(m.sum(1))) > 1
    # MLM targets only on real tokens; decoder input is [BOS] + targets shifted right
    assert np.all(b["mlm_w"][m == 0] == 0)
    assert np.all(b["dec_in"][:, 0] == BOS_ID)
    np.testing.assert_array_equal(b["dec_in"][:, 1:], b["y"][:, :-1])
    # the continuation follows the prefix in the corpus (consecutive ids here)
    step = lambda a: (a - N_SPECIAL + 1) % (V - N_SPECIAL) + N_SPECIAL  # noqa: E731
    np.testing.assert_array_equal(step(b["mlm_y"][:, -1]), b["y"][:, 0])


def test_sora_windows_near_a_span_split_at_its_start_and_score_it_alone():
    S, T, radius = 6, 5, 25
    spans = np.array([[300, 303], [340, 350], [400, 402]])
    ids = np.arange(1000, dtype=np.int32)  # a window's ids are its positions
    b = data.prefix_continuation_batch(ids, data.make_rng(2), 4000, S, T, V, spans=spans, radius=radius)
    plain = data.prefix_continuation_batch(ids, data.make_rng(2), 4000, S, T, V)
    boundary, drawn = b["y"][:, 0], plain["y"][:, 0]  # the first decoder target's position
    gap = np.abs(drawn[:, None] - spans[None, :, 0])
    near, k = gap.min(axis=1) <= radius, gap.argmin(axis=1)  # the nearest span
    assert near.sum() > 100 and (~near).sum() > 100
    np.testing.assert_array_equal(boundary[near], spans[k[near], 0])  # moved to the nearest span's start
    np.testing.assert_array_equal(boundary[~near], drawn[~near])  # the others as drawn
    # a moved window scores its span's tokens only; the others their whole continuation
    ends = np.where(near, spans[k, 1], np.iinfo(np.int32).max)
    np.testing.assert_array_equal(b["w"], (b["y"] < ends[:, None]).astype(np.int32))
    assert set(b["w"][near].sum(axis=1).tolist()) == {3, 5, 2} and np.all(plain["w"] == 1)
    # a moved window is still one stretch of the corpus: prefix then continuation
    np.testing.assert_array_equal(b["mlm_y"][:, -1] + 1, b["y"][:, 0])
    np.testing.assert_array_equal(b["y"][:, -1] - b["y"][:, 0], np.full(4000, T - 1))
    # a span too near the start cannot be reached: the window stays as drawn
    starts, which = data.snap_to_spans(np.array([0, 1, 30]), np.array([[2, 4]]), S, 10, len(ids), S + T)
    np.testing.assert_array_equal(starts, [0, 1, 30])
    np.testing.assert_array_equal(which, [-1, -1, -1])


def test_sora_prefix_lengths_train_every_encoder_position():
    """Half the rows read the whole prefix, the rest a uniform tail of 1..S tokens: position p
    of the encoder is trained in a share 1/2 + (1/2)(1 − p/S) of the rows, never less than half."""
    S = 8
    b = data.prefix_continuation_batch(CORPUS, data.make_rng(3), 4000, S, 4, V)
    n = b["src_mask"].sum(axis=1)
    share = (b["src_mask"] == 1).mean(axis=0)[::-1]  # by position from the first real token: 0, 1, …
    want = 0.5 + 0.5 * (1 - np.arange(S) / S)
    assert np.abs(share - want).max() < 0.03, share
    assert abs((n == S).mean() - (0.5 + 0.5 / S)) < 0.03 and set(n.tolist()) == set(range(1, S + 1))


def _pairs():
    return [([10, 11, 12], [20, 21]), ([13], [22, 23, 24, 25]), ([14, 15], [26])]


def test_gpt_dialogue_batch_masks_everything_but_the_answer():
    b = data.gpt_dialogue_batch(_pairs(), [[0], [1], []], seq_len=10)
    assert b["x"].shape == b["y"].shape == b["w"].shape == (3, 10)
    seq0 = [USER_ID, 10, 11, 12, ASSISTANT_ID, 20, 21, EOS_ID]
    np.testing.assert_array_equal(b["x"][0, :7], seq0[:-1])
    np.testing.assert_array_equal(b["y"][0, :7], seq0[1:])
    assert b["x"][0, 7] == EOS_ID and np.all(b["x"][0, 8:] == PAD_ID)  # right-padded
    # weights: exactly the targets "20 21 </s>"
    np.testing.assert_array_equal(b["y"][0][b["w"][0] == 1], [20, 21, EOS_ID])
    np.testing.assert_array_equal(b["y"][1][b["w"][1] == 1], [22, 23, 24, 25, EOS_ID])
    assert b["w"][2].sum() == 0  # an empty row counts for nothing


def test_sora_dialogue_batch_question_to_encoder_answer_to_decoder():
    b = data.sora_dialogue_batch(_pairs(), [0, 1], src_len=6, tgt_len=6)
    np.testing.assert_array_equal(b["src"][0], [PAD_ID, USER_ID, 10, 11, 12, ASSISTANT_ID])  # left-padded
    np.testing.assert_array_equal(b["src_mask"][0], [0, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(b["dec_in"][1], [BOS_ID, 22, 23, 24, 25, EOS_ID])
    np.testing.assert_array_equal(b["y"][1], [22, 23, 24, 25, EOS_ID, PAD_ID][:6])
    np.testing.assert_array_equal(b["w"][0], [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(b["y"][0][:3], [20, 21, EOS_ID])


def test_packed_row_is_the_chat_layout_with_every_answer_weighted():
    """Two dialogues in one row read exactly as ``minisora chat`` lays out a conversation."""
    from minisora.inference.chat import chat_context

    pairs = _pairs()
    b = data.gpt_dialogue_batch(pairs, [[0, 2], [1]], seq_len=14)
    context = chat_context([pairs[0]], pairs[2][0], room=64) + pairs[2][1] + [EOS_ID]
    np.testing.assert_array_equal(b["x"][0, : len(context) - 1], context[:-1])
    np.testing.assert_array_equal(b["y"][0, : len(context) - 1], context[1:])
    np.testing.assert_array_equal(b["y"][0][b["w"][0] == 1], [20, 21, EOS_ID, 26, EOS_ID])  # both answers
    assert b["w"][0, len(context) - 1 :].sum() == 0


def test_pack_dialogues_fills_rows_in_order():
    assert data.pack_dialogues([5, 4, 3, 6, 2], range(5), 9) == [[0, 1], [2, 3], [4]]
    assert data.pack_dialogues([12, 2], [0, 1], 9) == [[0], [1]]  # too long: alone in its row (cut)
    assert data.pack_dialogues({7: 3, 2: 3}, [7, 2, 7], 9) == [[7, 2, 7]]


def test_packed_training_batches_fill_their_rows():
    pairs = [([10 + i % 7], [20 + i % 5] * (1 + i % 4)) for i in range(40)]  # 5 to 8 tokens each
    bt = data.Batches("gpt", "dialogue", pairs, pairs[:3], batch_size=4, seq_len=31, vocab_size=V)
    b = bt.sample(np.random.default_rng(0))
    assert b["x"].shape == (4, 31)
    real = (b["x"] != PAD_ID).sum(1)
    assert (real >= 31 - 8).all()  # each row is full but for less than one dialogue
    assert ((b["x"] == USER_ID).sum(1) >= 4).all()


def test_overlong_dialogue_keeps_the_end_of_the_question():
    b = data.gpt_dialogue_batch([(list(range(10, 30)), [40, 41])], [[0]], seq_len=8)
    x = b["x"][0]
    assert x[0] == USER_ID and ASSISTANT_ID in x and x[list(x).index(ASSISTANT_ID) - 1] == 29
    assert b["w"][0].sum() > 0


def test_batches_eval_set_is_fixed_and_covers_held_out_dialogues():
    pairs = _pairs() * 3
    bt = data.Batches("gpt", "dialogue", pairs[:6], pairs[6:], batch_size=2, seq_len=13, vocab_size=V)
    ev = bt.eval_batches(4, seed=0)
    # 3 held-out dialogues of 8, 8 and 6 tokens packed in order into rows of 14: [0], [1, 2]
    assert len(ev) == 1 and int((ev[0]["x"] == USER_ID).sum()) == 3
    np.testing.assert_array_equal(ev[0]["y"][ev[0]["w"] == 1], [20, 21, EOS_ID, 22, 23, 24, 25, EOS_ID, 26, EOS_ID])
    sora = data.Batches("sora", "dialogue", pairs[:6], pairs[6:], batch_size=2, seq_len=10, vocab_size=V)
    ev = sora.eval_batches(4, seed=0)
    assert len(ev) == 2 and sum(int((b["w"].sum(1) > 0).sum()) for b in ev) == 3
    text = data.Batches("sora", "text", CORPUS[:900], CORPUS[900:], batch_size=2, seq_len=12, vocab_size=V)
    e1, e2 = text.eval_batches(3, seed=0), text.eval_batches(3, seed=0)
    for a, b in zip(e1, e2):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    assert e1[0]["src"].shape == (2, 6) and e1[0]["y"].shape == (2, 6)
    assert np.isin(e1[0]["y"], CORPUS[900:]).all()  # held-out windows come from the held-out split


def test_split_held_out_is_the_last_tenth():
    train, val = data.split_held_out(np.arange(100))
    np.testing.assert_array_equal(val, np.arange(90, 100))
    np.testing.assert_array_equal(train, np.arange(90))
