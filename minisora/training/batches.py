"""Training batches: token ids in, fixed-shape numpy arrays out.

Every batch is a dict of int32 arrays of one fixed shape per run (so the train step compiles
once), drawn by a seeded ``numpy.random.Generator``: identical seeds give identical batches,
and the generator's state goes into each checkpoint so a resumed run draws what the
uninterrupted run would have drawn.

Objectives (the weights ``w`` say which targets count in the loss; see losses.py):

- ChatGPT, pre-training — next token:  a random window x_0 … x_T of the corpus,
  inputs ``x = x_0 … x_{T−1}``, targets ``y = x_1 … x_T`` (``y_t`` follows ``x_≤t``).
- Sora, pre-training — BERT's "target = input" plus GPT's "target = next words":
  a window is split into a prefix (encoder) and a continuation (decoder). The prefix is
  corrupted BERT-style (15 % of its tokens chosen; of those 80 % → [MASK], 10 % → a random
  token, 10 % unchanged) and the encoder must restore the chosen ones (MLM); the decoder
  reads ``[BOS] y_1 … y_{T−1}`` and predicts ``y_1 … y_T``.  L = L_MLM + L_next.
  Half the rows keep the whole prefix, the other half a random-length tail of it, left-padded
  like a prompt at generation time, so the decoder learns to continue short prompts too; the
  whole prefixes make sure the encoder's later positions are trained as often as its first
  (with random tails only, position p is trained in a share 1 − p/S of the rows, and a long
  prompt's last tokens, the ones the decoder needs most, would sit where it learned least:
  measured in docs/performance.md, "Sora's prompt lengths in pre-training"). One encoder pass
  serves both losses, so the decoder attends over the corrupted prefix: a little noise
  (15 % of the prompt), in exchange for half the encoder cost.
- Dialogue fine-tuning, prompt = ``<user> question <assistant>``:
  ChatGPT reads ``prompt answer </s>`` (right-padded) and only the answer tokens and
  ``</s>`` are targets; Sora's encoder reads the prompt (left-padded) and its decoder
  produces ``answer </s>``.
"""

from __future__ import annotations

import numpy as np

from ..errors import UserError
from ..tokenizer import BOS_ID, EOS_ID, MASK_ID, N_SPECIAL, PAD_ID, chat_prompt, pad_rows
MLM_RATE, MLM_MASK, MLM_RANDOM = 0.15, 0.8, 0.1  # BERT: choose 15 %; 80 % [MASK], 10 % random, 10 % kept
WHOLE_PREFIX = 0.5  # Sora pre-training: the share of rows whose encoder reads the whole prefix


# --- the generator and the held-out split ---------------------------------------------------


def make_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def rng_state(rng: np.random.Generator) -> dict:
    """The generator's full state as a JSON-serialisable dict (goes into checkpoints)."""
    return rng.bit_generator.state


def set_rng_state(rng: np.random.Generator, state: dict) -> None:
    rng.bit_generator.state = state


def split_held_out(items, val_fraction: float = 0.1):
    """First 90 % for training, last 10 % held out for evaluation (no shuffling: no leak
    between neighbouring windows of the corpus)."""
    n_val = max(1, int(round(len(items) * val_fraction)))
    return items[:-n_val], items[-n_val:]


# --- BERT masking -------------------------------------------------------------------------


def bert_mask(x, rng, vocab_size: int, real=None):
    """Corrupt ``x`` (B, S) BERT-style. Returns (x̃, chosen): x̃ the encoder input and
    ``chosen`` (B, S) int32, 1 on the positions the MLM loss scores (only real tokens)."""
    real = np.ones_like(x, dtype=bool) if real is None else real.astype(bool)
    chosen = (rng.random(x.shape) < MLM_RATE) & real
    r = rng.random(x.shape)  # which of the three corruptions each chosen token gets
    random_ids = rng.integers(N_SPECIAL, vocab_size, size=x.shape)
    x_tilde = np.where(chosen & (r < MLM_MASK), MASK_ID, x)
    x_tilde = np.where(chosen & (r >= MLM_MASK) & (r < MLM_MASK + MLM_RANDOM), random_ids, x_tilde)
    return x_tilde.astype(np.int32), chosen.astype(np.int32)


# --- pre-training batches ----------------------------------------------------------------


def _starts(ids, rng, batch_size: int, length: int):
    """``batch_size`` random starts of windows of ``length`` consecutive ids."""
    if len(ids) < length:
        raise UserError(
            f"The corpus has {len(ids)} tokens in this split, fewer than one window of {length}; "
            "use a longer corpus or a smaller --seq-len."
        )
    return rng.integers(0, len(ids) - length + 1, size=batch_size)


def _gather(ids, starts, length: int):
    """The windows of ``length`` ids at ``starts`` -> (B, length)."""
    return np.asarray(ids, dtype=np.int32)[starts[:, None] + np.arange(length)]


def _windows(ids, rng, batch_size: int, length: int):
    """``batch_size`` random windows of ``length`` consecutive ids -> (B, length)."""
    return _gather(ids, _starts(ids, rng, batch_size, length), length)


def next_token_batch(ids, rng, batch_size: int, seq_len: int) -> dict:
    """ChatGPT: x (B, T) and targets y (B, T) = x shifted left by one."""
    w = _windows(ids, rng, batch_size, seq_len + 1)  # (B, T+1)
    return {"x": w[:, :-1], "y": w[:, 1:], "w": np.ones((batch_size, seq_len), np.int32)}


def snap_to_spans(starts, spans, prefix_len: int, radius: int, n_ids: int, length: int):
    """Window starts moved so that the prefix/continuation boundary (start + S) lies on the start of
    the nearest of the sorted ``spans`` (K, 2) [start, end), for the windows whose boundary is within
    ``radius`` of one -> (starts, span index per window, −1 where not moved). A moved start is clipped
    to the ids (a span too near either end is not reached: that window counts as not moved)."""
    spans = np.asarray(spans, np.int64).reshape(-1, 2)
    if not len(spans):
        return starts, np.full(len(starts), -1)
    cuts, b = spans[:, 0], starts + prefix_len
    j = np.clip(np.searchsorted(cuts, b), 1, max(1, len(cuts) - 1))
    left, right = np.minimum(j - 1, len(cuts) - 1), np.minimum(j, len(cuts) - 1)
    k = np.where(np.abs(b - cuts[left]) <= np.abs(cuts[right] - b), left, right)  # the nearest span
    moved = np.clip(cuts[k] - prefix_len, 0, n_ids - length)
    near = (np.abs(cuts[k] - b) <= radius) & (moved + prefix_len == cuts[k])
    return np.where(near, moved, starts), np.where(near, k, -1)


def prefix_continuation_batch(ids, rng, batch_size: int, prefix_len: int, cont_len: int, vocab_size: int,
                              spans=None, radius: int = 0) -> dict:
    """Sora: BERT-masked prefix (B, S) for the encoder, continuation (B, T) for the decoder.

    ``spans`` (K, 2) sorted [start, end) positions in ``ids`` and ``radius``: a window whose
    boundary lies within ``radius`` tokens of a span's start is moved to split there
    (``snap_to_spans``), and only the span's own tokens are its decoder's targets (w = 0 after
    ``end``): the decoder writes that span from what the encoder read before it. None: every window
    as drawn, every continuation token a target."""
    S, T = prefix_len, cont_len
    starts, w_out = _starts(ids, rng, batch_size, S + T), np.ones((batch_size, T), np.int32)
    if spans is not None:
        spans = np.asarray(spans, np.int64).reshape(-1, 2)
        starts, k = snap_to_spans(starts, spans, S, radius, len(ids), S + T)
        room = np.where(k >= 0, spans[np.maximum(k, 0), 1] - spans[np.maximum(k, 0), 0], T)  # targets kept
        w_out = (np.arange(T)[None, :] < room[:, None]).astype(np.int32)
    w = _gather(ids, starts, S + T)  # (B, S+T)
    tail = rng.integers(1, S + 1, size=batch_size)
    n_real = np.where(rng.random(batch_size) < WHOLE_PREFIX, S, tail)  # the prefix tail each row keeps
    src_mask = (np.arange(S)[None, :] >= S - n_real[:, None]).astype(np.int32)  # left-padded
    src = np.where(src_mask == 1, w[:, :S], PAD_ID).astype(np.int32)
    src_tilde, chosen = bert_mask(src, rng, vocab_size, real=src_mask)
    y = w[:, S:]  # (B, T)
    dec_in = np.concatenate([np.full((batch_size, 1), BOS_ID, np.int32), y[:, :-1]], axis=1)
    return {
        "src": src_tilde, "src_mask": src_mask, "mlm_y": src, "mlm_w": chosen,
        "dec_in": dec_in, "y": y, "w": w_out,
    }


# --- dialogue fine-tuning batches -----------------------------------------------------------


def dialogue_tokens(q, a, room: int) -> tuple[list[int], int]:
    """One turn ``<user> q <assistant> a </s>`` in at most ``room`` tokens, and where its answer starts."""
    prompt = chat_prompt(q, room=(room + 1) // 2)
    return (prompt + list(a) + [EOS_ID])[:room], len(prompt)


def pack_dialogues(lengths, order, room: int) -> list[list[int]]:
    """Greedy packing: the dialogues ``order`` names (lengths in tokens), in that order, into rows
    of at most ``room`` tokens; a dialogue that does not fit starts the next row."""
    rows, used = [[]], 0
    for i in order:
        n = min(lengths[i], room)
        if rows[-1] and used + n > room:
            rows.append([])
            used = 0
        rows[-1].append(int(i))
        used += n
    return rows if rows[-1] else rows[:-1]


def gpt_dialogue_batch(pairs, rows, seq_len: int) -> dict:
    """ChatGPT: each row is a conversation, the turns ``<user> q <assistant> a </s>`` of the pairs
    it lists, one after another, right-padded to T+1 tokens; the loss is on every ``a </s>`` only.

    ``pairs`` are (question ids, answer ids); ``rows`` lists the pair indices of each row (an empty
    list is an empty row). Packing several short dialogues per row wastes less of the batch on
    padding, and it is the layout ``minisora chat`` feeds the model: earlier turns, then the
    question. A dialogue longer than the row keeps the end of its question (the first half of
    the row at most) and as much of its answer as fits.
    """
    B, T = len(rows), seq_len
    seq = np.full((B, T + 1), PAD_ID, np.int32)
    is_answer = np.zeros((B, T + 1), np.int32)
    for b, row in enumerate(rows):
        at = 0
        for r in row:
            turn, answer_start = dialogue_tokens(*pairs[r], room=T + 1 - at)
            seq[b, at : at + len(turn)] = turn
            is_answer[b, at + answer_start : at + len(turn)] = 1
            at += len(turn)
    return {"x": seq[:, :-1], "y": seq[:, 1:], "w": is_answer[:, 1:]}


def sora_dialogue_batch(pairs, rows, src_len: int, tgt_len: int) -> dict:
    """Sora: prompt left-padded to S for the encoder; ``[BOS] a`` -> ``a </s>`` for the decoder."""
    B, S, T = len(rows), src_len, tgt_len
    chosen = [pairs[r] if r >= 0 else None for r in rows]  # −1: an empty row
    src, src_mask = pad_rows([chat_prompt(p[0], room=S) if p else [] for p in chosen], S, left=True)
    y, w = pad_rows([list(p[1]) + [EOS_ID] if p else [] for p in chosen], T)
    dec_in = np.concatenate([np.full((B, 1), BOS_ID, np.int32), y[:, :-1]], axis=1)
    return {"src": src, "src_mask": src_mask, "dec_in": dec_in, "y": y, "w": w}


def dialogue_lengths(pairs, max_len: int) -> tuple[int, int]:
    """(prompt length, answer length + </s>) of the longest dialogue, each capped at ``max_len``."""
    longest_prompt = max(len(q) for q, _ in pairs) + 2
    longest_answer = max(len(a) for _, a in pairs) + 1
    return min(max_len, longest_prompt), min(max_len, longest_answer)


# --- one sampler per objective ------------------------------------------------------------


class Batches:
    """Draws the training batches of one run and the fixed evaluation batches.

    ``kind`` is ``"text"`` (pre-training on token ids) or ``"dialogue"`` (fine-tuning on
    (question ids, answer ids) pairs); ``family`` is ``"gpt"`` or ``"sora"``. ``seq_len`` is
    the number of tokens a row trains on: ChatGPT's window; for Sora, encoder prefix
    (``prefix_len``, default half) + decoder continuation, split at the start of one of ``spans``
    ([start, end) in ``train``) where one lies within ``radius`` tokens, the span alone its decoder's
    targets (``snap_to_spans``; None: split where drawn). ``token_bytes`` (V,): the UTF-8 bytes
    each id spells (``losses.piece_bytes``), for the held-out bits per byte; None: not measured.
    """

    def __init__(self, family: str, kind: str, train, val, *, batch_size: int, seq_len: int,
                 vocab_size: int, prefix_len: int | None = None, token_bytes=None, spans=None, radius: int = 0):
        self.family, self.kind, self.train, self.val = family, kind, train, val
        self.spans, self.radius = spans, radius  # Sora's training windows split there (snap_to_spans)
        self.token_bytes = None if token_bytes is None else np.asarray(token_bytes, np.int64)
        self.B, self.T, self.V = batch_size, seq_len, vocab_size
        self.S = seq_len // 2 if prefix_len is None else prefix_len  # Sora's encoder length
        # dialogues per training row at most: ChatGPT packs short ones together, Sora takes one
        self.per_row = 1
        if kind == "dialogue" and family == "gpt":
            self.per_row = max(1, (seq_len + 1) // (min(len(q) + len(a) for q, a in train) + 3))

    def sample(self, rng, split: str = "train") -> dict:
        data = self.train if split == "train" else self.val
        if self.kind == "text":
            if self.family == "gpt":
                return next_token_batch(data, rng, self.B, self.T)
            spans = self.spans if split == "train" else None
            return prefix_continuation_batch(data, rng, self.B, self.S, self.T - self.S, self.V, spans, self.radius)
        # enough random dialogues to fill every row: a fixed number of draws per batch
        return self._dialogues(data, rng.integers(0, len(data), size=self.B * self.per_row))

    def _dialogues(self, pairs, order) -> dict:
        """One batch of B rows from the dialogues ``order`` names. ChatGPT packs them, in order,
        into its rows (and drops what does not fit); Sora takes one per row (−1 = an empty row)."""
        if self.family == "gpt":
            return gpt_dialogue_batch(pairs, self._pack(pairs, order)[: self.B], self.T)
        return sora_dialogue_batch(pairs, order, self.S, self.T - self.S)

    def _pack(self, pairs, order) -> list[list[int]]:
        """ChatGPT's rows for the dialogues ``order`` names, padded with empty rows to a multiple of B."""
        lengths = {int(i): len(dialogue_tokens(*pairs[i], room=self.T + 1)[0]) for i in order}
        rows = pack_dialogues(lengths, order, self.T + 1)
        return rows + [[]] * ((-len(rows)) % self.B)  # empty rows carry zero weight

    def eval_batches(self, n: int, seed: int) -> list[dict]:
        """Held-out batches, the same at every evaluation. Text: ``n`` windows-batches from a
        generator seeded apart from training; dialogues: every held-out pair once (padding
        rows carry zero weight)."""
        if self.kind == "text":
            rng = np.random.default_rng([seed, 1])
            return [self.sample(rng, "val") for _ in range(n)]
        rows = np.arange(len(self.val))
        if self.family == "gpt":  # packed in order, B rows per batch
            packed = self._pack(self.val, rows)
            return [gpt_dialogue_batch(self.val, packed[i : i + self.B], self.T) for i in range(0, len(packed), self.B)]
        rows = np.concatenate([rows, -np.ones((-len(rows)) % self.B, dtype=rows.dtype)])
        return [self._dialogues(self.val, chunk) for chunk in rows.reshape(-1, self.B)]

    def tokens_per_batch(self) -> int:
        return self.B * self.T

    def target_bytes(self, batch: dict) -> int:
        """UTF-8 bytes of the text a batch's counted targets spell: Σ_t w_t · bytes(y_t) (the next-token
        targets; Sora's decoder, not its MLM). The text of a window cut mid-word starts with the
        piece the model predicted, "▁word" with its space (see losses.piece_bytes)."""
        return int(np.sum(self.token_bytes[batch["y"]] * batch["w"]))
