r"""``minisora compare``: the article's Sora-vs-ChatGPT claims, measured on two models of one size.

What is held equal, so that a difference is the architecture's:

    one tokenizer, one corpus, one dialogue set, one decoding setting (temperature, length)
    the pre-training recipe          the same steps · B · T budget cap, window T, schedule and
                                     stopping rule for both (ChatGPT: T-token windows; Sora: the same
                                     windows split into encoder prefix + decoder part); the same peak
                                     step size too, except where Sora's encoder needs a lower one
                                     (``CompareConfig.sora_lr``)
    parameter count                  |P_Sora − P_ChatGPT| / P_ChatGPT ≤ 10 %, counted from built models

Budgets (``CompareConfig.for_budget``):

    quick   a few thousand tokens, a fixed number of steps: seconds, for tests and chapter 10.
            The models barely learn, so most verdicts come out "not measurable at this budget".
    full    train each model at its peak step size until its held-out loss has flattened
            (``flattened``): evaluate every E steps and end this stable phase at the first evaluation s where
                min{L_k : s_k > 0.8 s}  >  (1 − 1 %) · min{L_k : s_k ≤ 0.8 s}
            (the best loss of the last 20 % of the steps improved on the best before them by less
            than 1 %), or at the budget's cap; cool down for 20 % more steps (``cooldown_config``); then
            fine-tune as long as ``minisora demo`` does.

What is measured, for every seed (report.py turns it into mean ± std and verdicts):

    cost        parameters; FLOPs per training token, counted from the train step's program
                (Σ 2·m·n·k over its matrix products, scan bodies × their length) and from XLA's
                cost analysis; training and decoding tokens/s; decode-state bytes vs length
    language    held-out continuation loss L = −(1/C) Σ_t log p(y_t | prompt, y_<t) (nats/token),
                perplexity exp(L), at every evaluation of pre-training, and bits per UTF-8 byte
                of the continuations, Σ_t −log p / (ln 2 · bytes), which no tokenizer choice changes
    context     the same loss as a function of the prompt length P (same continuations for all P)
    recall      probes.recall_probe: a fact stated d sentences back, accuracy and margin against d
    coherence   probes.coherence of samples: the share of checkable claims that are wrong
    diversity   distinct-n and self-BLEU of samples at one temperature, at every evaluation (so that
                both models can be compared where their held-out losses are equal)
    compute     FLOPs and seconds of training until the held-out loss reaches a target both reach
    dialogue    exact match and token F1 of greedy answers on the held-out test questions,
                paraphrases of trained questions apart from unseen answers

Every (model, seed) is two run directories, trained by the project's one loop with files
(training/loop.py): OUT/runs/<model>-s<seed>/ (pre-training) and OUT/runs/<model>-s<seed>-chat/
(fine-tuning), with checkpoints, metrics.jsonl and loss.png. Each finished stage writes its JSON
(pretrain, measure, finetune, dialogue) there, so the same command run again resumes an interrupted
training from its newest checkpoint and skips what is done; OUT/settings.json refuses a rerun with
other settings. The measurements themselves are in measure.py and probes.py; report.py turns them
into verdicts and figures.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import jax
import numpy as np
from flax import nnx

from .. import nn
from ..config import ModelConfig, TrainConfig, config_from_preset
from ..datasets import load_dialogues, read_text, read_twice_lists, second_readings
from ..errors import UserError
from ..inference.run import load
from ..tokenizer import Tokenizer, pad_rows, train_tokenizer
from ..training import batches as batching
from ..training import checkpoint, log, rundir
from ..training.jobs import sha256
from ..training.loop import compile_step, train
from ..training.losses import bits_per_byte, perplexity, piece_bytes
from . import probes
from .flops import jaxpr_flops, xla_flops
from .measure import (
    ContextSet,
    context_curve,
    dialogue_scores,
    diversity,
    eval_windows,
    paragraph_windows,
    state_bytes,
)
from .report import write_report

MATCH_TOLERANCE = 0.10  # |P_Sora − P_ChatGPT| / P_ChatGPT
FLAT_WINDOW, FLAT_IMPROVEMENT, FLAT_MIN_EVALS = 0.2, 0.01, 5  # the full budget's stopping rule (``flattened``)
FLAT_MIN_RECENT = 3  # ... whose recent window holds at least this many evaluations
COOL_SHARE = 0.2  # after the stable phase: a cool-down of this share of its steps (``cooldown_config``)
SETTINGS_FILE, EVALS_FILE = "settings.json", "evals.jsonl"
STAGES = ("pretrain", "measure", "context", "finetune", "dialogue")
# What one measuring stage costs, in training steps of the progress bar (for its ETA): measured on the
# tiny preset, a 2-core CPU (context, recall, coherence and decoding-cost probes; 109 greedy answers).
STAGE_STEPS = {"measure": 60, "context": 3, "dialogue": 5}


@dataclass(frozen=True)
class CompareConfig:
    """The knobs of one comparison. The defaults are the full budget (``for_budget``)."""

    budget: str = "full"  # the name of the budget these settings started from (the report says it)
    preset: str = "tiny"
    vocab_size: int = 4000
    budget_tokens: int = 9_830_400  # the most tokens of the stable phase, per model and seed (4800 steps)
    until_flat: bool = True  # stop pre-training once the held-out loss has flattened (``flattened``)
    eval_points: int = 32  # held-out evaluations along the budget (every budget / eval_points steps)
    finetune_tokens: int = 900_000  # dialogue tokens (padded rows) each model reads in fine-tuning
    finetune_batch_size: int = 16  # the demo's: ≥ 600 steps at the shipped dialogues' rows of 93 tokens
    seeds: tuple = (0, 1, 2)
    # the share of pre-training tokens that are read-twice lists (datasets.read_twice_lists), a
    # copying curriculum mixed into the corpus's training part; the held-out text stays the corpus's
    copy_share: float = 0.0
    # Sora's pre-training windows that fall in the lists split right after "Again:" (encoder: the
    # list up to there; decoder: its second reading, the only targets of such a window), so its
    # decoder can learn to copy from the encoder; ChatGPT predicts every position of its windows,
    # these included (docs/compare/README.md)
    split_at_cue: bool = False
    batch_size: int = 8
    seq_len: int = 256  # T: ChatGPT's window; Sora's prefix + continuation
    prefix_len: int = 128  # Sora's encoder part of a pre-training window
    lr: float = 6e-3  # AdamW peak step size (1,200-step runs: 2e-3 left both far behind)
    # Sora's, where it differs (None: ``lr``). At 6e-3 its post-LN encoder collapses: its outputs
    # align (mean cosine 0.82), its masked-token loss stays at 6.55 nats (the pieces' unigram
    # entropy) and the decoder stops reading the prompt; at 3e-3 (the demo's) the encoder learns
    # (5.03) and the decoder reads it (1,200-step runs; docs/compare/README.md)
    sora_lr: float | None = 3e-3
    finetune_lr: float = 3e-3  # the demo's (minisora/cli/demo.py)
    continuation: int = 32  # C: tokens scored after each prompt
    lm_prompt: int = 64  # prompt length of the language-modelling curve
    context_windows: int = 64  # held-out windows scored at every prompt length
    # the longest prompt of the context curve inside one paragraph (``paragraph_lengths``): the
    # shipped corpus's held-out paragraphs are 58 tokens long at the median, and a prompt of 48
    # before 32 scored tokens fits 1 in 4 of them
    paragraph_prompt: int = 48
    temperature: float = 1.0  # every sample of both models
    diversity_prompts: int = 48  # samples at every evaluation (16 left distinct-2 swinging by ±0.05)
    diversity_prompt_len: int = 32
    diversity_tokens: int = 64
    coherence_prompts: int = 64  # samples of the final pre-trained models for the coherence probe
    coherence_tokens: int = 128
    coherence_temperature: float = 0.7  # both models; below 1 so that more sampled sentences are complete claims
    recall_groups: int = 0  # groups of data/probes/recall.jsonl used (0: all)
    answer_tokens: int = 64  # longest greedy answer

    @classmethod
    def for_budget(cls, name: str, **changes) -> CompareConfig:
        """The settings of a named budget (BUDGETS), with ``changes`` on top."""
        if name not in BUDGETS:
            raise UserError(f"Unknown budget {name!r}; choose one of: {', '.join(BUDGETS)}.")
        return cls(**{**BUDGETS[name], "budget": name, **changes})

    @classmethod
    def quick_mode(cls, **changes) -> CompareConfig:
        """Seconds instead of an hour: the quick budget (for tests and tutorials)."""
        return cls.for_budget("quick", **changes)

    @property
    def quick(self) -> bool:
        return self.budget == "quick"

    def prompt_lengths(self) -> list[int]:
        """16, 32, 64, … up to the longest prompt both models were trained on (powers of two,
        then the cap itself): ChatGPT needs P + C ≤ T, Sora's encoder saw at most ``prefix_len``."""
        cap = self.max_prompt(self.continuation)
        lengths = [p for p in (8, 16, 32, 64, 128, 256, 512) if p < cap and p >= min(16, cap // 2)]
        return lengths + [cap]

    def paragraph_lengths(self) -> list[int]:
        """The context curve's prompt lengths inside one paragraph: 8, 16, 32, … up to
        ``paragraph_prompt`` (or the longest prompt both models were trained on, if shorter)."""
        cap = min(self.paragraph_prompt, self.max_prompt(self.continuation))
        return [p for p in (8, 16, 32, 64, 128, 256) if p < cap] + [cap]

    def max_prompt(self, answer_len: int) -> int:
        """The longest prompt both models were trained to read before ``answer_len`` tokens."""
        return min(self.seq_len - answer_len, self.prefix_len)

    def lr_of(self, family: str) -> float:
        """The peak step size of pre-training ``family`` ("gpt" or "sora")."""
        return self.sora_lr if family == "sora" and self.sora_lr is not None else self.lr

    def lm_length(self) -> int:
        """The tested prompt length nearest ``lm_prompt``: the language-modelling curve's prompt."""
        return min(self.prompt_lengths(), key=lambda P: abs(P - self.lm_prompt))


# The named budgets: the defaults above are "full"; "quick" changes these.
BUDGETS = {
    "full": {},
    "quick": {"budget_tokens": 8_192, "until_flat": False, "eval_points": 2, "finetune_tokens": 4_000,
              "finetune_batch_size": 8, "finetune_lr": 1e-3, "seeds": (0, 1), "batch_size": 8, "seq_len": 64,
              "prefix_len": 32, "continuation": 16, "lm_prompt": 16, "context_windows": 8, "diversity_prompts": 4,
              "diversity_prompt_len": 16, "diversity_tokens": 24, "coherence_prompts": 8, "coherence_tokens": 32,
              "recall_groups": 6, "answer_tokens": 16, "sora_lr": None},
}


def flattened(curve, *, window: float = FLAT_WINDOW, improvement: float = FLAT_IMPROVEMENT,
              min_evals: int = FLAT_MIN_EVALS, min_recent: int = FLAT_MIN_RECENT) -> bool:
    r"""Has the held-out loss of ``curve`` = [(step, loss), …] (in step order) flattened?

    With s the newest step,  recent = min{L_k : s_k > (1 − w)·s},  before = min{L_k : s_k ≤ (1 − w)·s}:

        flattened  ⇔  before − recent < ε · before          (w = 20 %, ε = 1 %)

    the best loss of the last 20 % of the steps improved on the best before them by less than 1 %
    (a loss that rises again, over-fitting, counts as flat). The recent window holds at least
    ``min_recent`` evaluations (early on, 20 % of the steps are one or two, and one lucky or unlucky
    evaluation would decide), and ``min_evals`` evaluations must precede it.
    """
    s = curve[-1][0]
    k = min(sum(step <= (1 - window) * s for step, _ in curve), len(curve) - min_recent)
    before, recent = [loss for _, loss in curve[: max(k, 0)]], [loss for _, loss in curve[max(k, 0) :]]
    if len(before) < min_evals or not recent:
        return False
    return min(before) - min(recent) < improvement * min(before)


# --- matched sizes -------------------------------------------------------------------------


def param_count(config: ModelConfig) -> int:
    """Parameters of a model of ``config``, from its arrays' shapes (nothing is initialised)."""
    _, state = nn.abstract_split(config)
    return nn.count_params(state.filter(nnx.Param))


@functools.lru_cache(maxsize=8)
def matched_configs(preset: str, vocab_size: int, tolerance: float = MATCH_TOLERANCE):
    """The preset's ChatGPT and a Sora of (nearly) the same parameter count.

    Sora = the preset's encoder + an LSTM decoder, so it is the larger of the two at equal
    width. Rule: keep the width C for both; choose Sora's LSTM width d_lstm (a multiple of 8,
    between C/2 and 2C) whose count is nearest ChatGPT's; if even the narrowest LSTM leaves Sora
    more than ``tolerance`` larger, give ChatGPT one more layer and choose again.
    -> (gpt_config, sora_config, {"gpt": P_gpt, "sora": P_sora})
    """
    gpt = config_from_preset("gpt", preset, vocab_size=vocab_size)
    sora = config_from_preset("sora", preset, vocab_size=vocab_size)
    widths = list(range(max(8, sora.d_model // 2 // 8 * 8), 2 * sora.d_model + 1, 8))
    counts = {}

    def count(i):  # Sora's parameters with the i-th LSTM width
        if i not in counts:
            counts[i] = param_count(sora.replace(d_lstm=widths[i]))
        return counts[i]

    for _ in range(8):
        target = param_count(gpt)
        if count(0) > target * (1 + tolerance):  # the narrowest LSTM is still too big
            gpt = gpt.replace(n_layers=gpt.n_layers + 1)
            continue
        lo, hi = 0, len(widths) - 1  # count grows with d_lstm: bisect for the nearest
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if count(mid) < target else (lo, mid)
        best = min((lo, hi), key=lambda i: abs(count(i) - target))
        if abs(count(best) - target) <= tolerance * target:
            return gpt, sora.replace(d_lstm=widths[best]), MappingProxyType({"gpt": target, "sora": count(best)})
        if count(len(widths) - 1) < target:  # even the widest LSTM is too small: nothing sensible to match
            break
        gpt = gpt.replace(n_layers=gpt.n_layers + 1)
    raise UserError(f"Cannot match Sora's and ChatGPT's parameter counts within {tolerance:.0%} for preset {preset!r}.")


# --- what both models share ----------------------------------------------------------------------


def step_flops(traced, compiled, tokens_per_step: int) -> dict:
    """FLOPs per token of a train step: counted from its program and by XLA."""
    return {"flops_per_token_counted": jaxpr_flops(traced.jaxpr.jaxpr) / tokens_per_step,
            "flops_per_token_xla": xla_flops(compiled) / tokens_per_step}


@dataclass
class Corpus:
    """Everything both models share: the tokenizer and the tokenised data."""

    tok: object
    train_ids: np.ndarray
    val_ids: np.ndarray
    dialogue_train: list  # (question ids, answer ids)
    test_pairs: list  # (question text, answer text)
    train_pairs: list = dataclasses.field(default_factory=list)  # (question text, answer text) fine-tuned on
    facts: dict = dataclasses.field(default_factory=dict)  # the world's facts as the corpus states them
    recall: list = dataclasses.field(default_factory=list)  # recall items (probes.recall_items)
    second_readings: np.ndarray | None = None  # (K, 2) [start, end) in train_ids of each list's second reading
    copy_rows: dict | None = None  # the copy probe's held-out lists (``copy_rows``), with a copy share only


def prepare_corpus(corpus_path, dialogues_path, test_path, out: Path, cc: CompareConfig, tok=None) -> Corpus:
    """Tokenizer (OUT/tokenizer, trained once and reused), token ids, dialogues and probe items."""
    text = read_text(corpus_path)
    if tok is None:
        tok_dir = out / rundir.TOKENIZER_DIR
        tok = Tokenizer.load(tok_dir) if tok_dir.is_dir() else train_tokenizer([corpus_path], tok_dir,
                                                                                vocab_size=cc.vocab_size)
    ids = np.asarray(tok.encode(text), np.int32)
    train_ids, val_ids = batching.split_held_out(ids)
    spans = None
    if cc.copy_share > 0:
        train_ids, spans = with_lists(train_ids, text, tok, cc.copy_share)
    pairs = load_dialogues(dialogues_path)
    if test_path is not None:
        test = load_dialogues(test_path)
    else:  # no test file: hold out the last tenth of the dialogues
        pairs, test = batching.split_held_out(pairs)
    if len(pairs) < 2:
        raise UserError(f"{dialogues_path} has too few dialogues to fine-tune on.")
    dialogue_train = [(tok.encode(q), tok.encode(a)) for q, a in pairs]
    groups = probes.load_recall()
    groups = groups[: cc.recall_groups] if cc.recall_groups else groups
    return Corpus(tok, train_ids, val_ids, dialogue_train, test, train_pairs=pairs,
                  facts=probes.corpus_facts(str(Path(corpus_path).resolve())), recall=probes.recall_items(groups),
                  second_readings=spans,
                  copy_rows=copy_rows(text, tok, cc.max_prompt(COPY_TOKENS)) if cc.copy_share > 0 else None)


def reading_spans(ids, written: str, token_bytes) -> np.ndarray:
    """(K, 2) [start, end) token positions in ``ids`` (the encoding of ``written``, maybe cut short) of
    each list's second reading (``second_readings``): from the last piece boundary at or before its
    cue's end to the first at or after its paragraph's end; spans past the cut ids are dropped."""
    ends = np.cumsum(token_bytes[np.asarray(ids)])  # bytes spelled by ids[: i + 1]
    readings = np.asarray(second_readings(written), np.int64).reshape(-1, 2)
    spans = np.stack([np.searchsorted(ends, readings[:, 0], side="right"),
                      np.searchsorted(ends, readings[:, 1], side="left") + 1], axis=1)
    return spans[spans[:, 1] <= len(ids)]


# The copy probe: held-out read-twice lists (training's are seed 0), scored on the first tokens of
# their second reading
COPY_SEED, COPY_LISTS, COPY_TOKENS = 1, 200, 6


def copy_rows(text: str, tok, max_prompt: int) -> dict:
    """Per language, ``COPY_LISTS`` held-out read-twice lists as two ContextSets of the same
    continuations (the first ``COPY_TOKENS`` tokens of each second reading): ``own``, after the
    list's own "Remember: … Again:" (its last ``max_prompt`` tokens), and ``another``, after the
    next list's. A model that copies scores ``own`` far below ``another``."""
    lists = read_twice_lists(text, 600 * COPY_LISTS, seed=COPY_SEED).split("\n\n")  # ≥ COPY_LISTS of each
    token_bytes, pairs = piece_bytes(tok), {}
    for written in lists:
        ids = tok.encode(written)
        cut = int(reading_spans(ids, written, token_bytes)[0, 0])
        if len(ids) - cut >= COPY_TOKENS:
            lang = "en" if written.startswith("Remember") else "zh"
            pairs.setdefault(lang, []).append((ids[max(0, cut - max_prompt) : cut], ids[cut : cut + COPY_TOKENS]))
    rows = {}
    for lang, got in sorted(pairs.items()):
        got = got[:COPY_LISTS]
        P, cont = max(len(p) for p, _ in got), np.asarray([c for _, c in got], np.int32)
        own = ContextSet([P], *pad_rows([p for p, _ in got], P, left=True), cont)
        other = ContextSet([P], *pad_rows([got[(i + 1) % len(got)][0] for i in range(len(got))], P, left=True), cont)
        rows[lang] = {"own": own, "another": other}
    return rows


def measure_copy(model, rows: dict) -> dict:
    """The copy probe's losses (nats/token): {lang: {"own", "another", "n"}}."""
    return {"copy": {lang: {"own": r["own"].losses(model)[0], "another": r["another"].losses(model)[0],
                            "n": len(r["own"].cont)} for lang, r in rows.items()}}


def with_lists(train_ids, text: str, tok, share: float) -> tuple[np.ndarray, np.ndarray]:
    """``train_ids`` followed by read-twice lists (``read_twice_lists`` of ``text``'s words) making
    up ``share`` of the result's tokens, after a blank line -> (ids, spans): ``spans`` (K, 2) are
    the [start, end) positions in ids of each list's second reading. It starts at the last piece
    boundary at or before the end of its cue ("：" and a word's first character can be one piece)
    and ends at the first boundary at or after the end of its paragraph."""
    want = round(len(train_ids) * share / (1 - share))
    n_bytes, lists = max(1, len(text.encode("utf-8")) * want // max(1, len(train_ids))), []
    while len(lists) < want:  # bytes per token differ between the corpus and the lists: top up
        written = read_twice_lists(text, n_bytes)
        lists = tok.encode(written)
        n_bytes = n_bytes * 3 // 2
    spans = reading_spans(lists[:want], written, piece_bytes(tok))
    head = np.asarray(train_ids.tolist() + tok.encode("\n\n"), np.int32)
    return np.concatenate([head, np.asarray(lists[:want], np.int32)]), len(head) + spans


@dataclass
class Probes:
    """The fixed held-out rows and prompts every model of a comparison is measured on."""

    rows: ContextSet  # the context curve across paragraphs: every window at every prompt length
    paragraph_rows: ContextSet  # the context curve inside one paragraph (the claim's probe)
    lm_rows: ContextSet  # the language-modelling curve's prompt length only
    prompts: list  # diversity prompts (lists of ids), sampled at every evaluation
    coherence_prompts: list  # prompts of the final coherence probe

    @classmethod
    def build(cls, corpus: Corpus, cc: CompareConfig) -> Probes:
        lengths = cc.prompt_lengths()
        windows = eval_windows(corpus.val_ids, cc.context_windows, lengths[-1], cc.continuation)
        rows = ContextSet.build(windows, lengths, cc.continuation)
        inside = cc.paragraph_lengths()
        para = paragraph_windows(corpus.val_ids, cc.context_windows, inside[-1], cc.continuation,
                                 corpus.tok.encode("\n\n"))
        paragraph_rows = ContextSet.build(para, inside, cc.continuation)

        def prompts(n):
            return [list(w) for w in eval_windows(corpus.val_ids, n, cc.diversity_prompt_len, 0)]

        return cls(rows, paragraph_rows, rows.only(cc.lm_length()), prompts(cc.diversity_prompts), prompts(cc.coherence_prompts))


def pretrain_config(cc: CompareConfig, seed: int, family: str = "gpt") -> TrainConfig:
    """Pre-training of either model: the budget's cap in steps, an evaluation and a checkpoint
    every ``steps / eval_points`` steps (the loop logs and evaluates with them).

    Trained until flattened, the step size stays at ``lr`` after the warm-up (``min_lr = lr``):
    a cosine to the cap keeps improving the loss over its last steps however much the model has
    learned, so the stopping rule would never see a flat curve (the first full run: every
    training ran to its cap, still 3 % better over its last 20 %)."""
    steps = max(1, cc.budget_tokens // (cc.batch_size * cc.seq_len))
    every = max(1, steps // cc.eval_points)
    lr = cc.lr_of(family)
    return TrainConfig(kind="text", steps=steps, batch_size=cc.batch_size, seq_len=cc.seq_len,
                       prefix_len=cc.prefix_len, optimizer="adamw", lr=lr, min_lr=lr if cc.until_flat else None,
                       seed=seed, eval_every=every, checkpoint_every=every, log_every=min(10, every), eval_batches=4)


def cooldown_config(tcfg: TrainConfig, stable_steps: int) -> TrainConfig:
    """The cool-down that ends a stable phase of ``stable_steps``: COOL_SHARE of them more, the step
    size falling from lr to lr/10 along a cosine (``decay_from``: warm-up, stable, decay). Both
    models end this way, wherever the rule stopped each one's stable phase, so the final losses
    compare annealed models, not one caught mid-jitter at the peak step size."""
    t = tcfg.resolved()
    return t.replace(steps=stable_steps + max(1, round(COOL_SHARE * stable_steps)), min_lr=t.lr / 10,
                     decay_from=stable_steps, warmup=t.warmup)


def stable_stop(evals) -> int | None:
    """The step at which the stopping rule ended the stable phase (the first evaluation where
    ``flattened`` held of the curve up to it), or None if it never did."""
    curve = [(e["step"], e["loss"]) for e in evals]
    return next((curve[k][0] for k in range(len(curve)) if flattened(curve[: k + 1])), None)


def eval_steps(tcfg: TrainConfig) -> list[int]:
    """The steps at which pre-training is evaluated (and may stop): every ``eval_every``, and the last."""
    return sorted(set(range(tcfg.eval_every, tcfg.steps + 1, tcfg.eval_every)) | {tcfg.steps})


def finetune_setup(config, corpus: Corpus, cc: CompareConfig, seed: int):
    """Dialogue batches and train config: rows as long as the longest pair, so both models process
    the same tokens per step (ChatGPT packs shorter dialogues into its rows, as ``minisora finetune``
    does; Sora pads each pair)."""
    prompt_len, answer_len = batching.dialogue_lengths(corpus.dialogue_train, config.max_len)
    T = min(config.max_len, prompt_len + answer_len)
    S = prompt_len if config.family == "sora" else None
    B = cc.finetune_batch_size
    steps = max(1, cc.finetune_tokens // (B * T))
    tcfg = TrainConfig(kind="dialogue", steps=steps, batch_size=B, seq_len=T, prefix_len=S, optimizer="adamw",
                       lr=cc.finetune_lr, seed=seed, eval_every=steps, checkpoint_every=max(50, steps // 4),
                       log_every=min(10, steps))
    batches = batching.Batches(config.family, "dialogue", corpus.dialogue_train, corpus.dialogue_train[:8],
                               batch_size=B, seq_len=T, vocab_size=config.vocab_size, prefix_len=S)
    return batches, tcfg


def text_batches(config, corpus: Corpus, cc: CompareConfig) -> batching.Batches:
    spans, radius = None, 0
    readings = corpus.second_readings
    if config.family == "sora" and cc.split_at_cue and readings is not None and len(readings) > 1:
        # every window whose boundary falls among the lists moves to the nearest second reading
        spans, radius = readings, int(np.diff(readings[:, 0]).max())
    return batching.Batches(config.family, "text", corpus.train_ids, corpus.val_ids, batch_size=cc.batch_size,
                            seq_len=cc.seq_len, vocab_size=config.vocab_size, prefix_len=cc.prefix_len,
                            token_bytes=piece_bytes(corpus.tok), spans=spans, radius=radius)


# --- the measurements of one model ---------------------------------------------------------------


def eval_point(model, corpus: Corpus, cc: CompareConfig, probe: Probes, seed: int, step: int) -> dict:
    """One evaluation along pre-training: the held-out loss of the language-modelling curve, and
    diversity and coherence of samples at the budget's temperature (so that two models can be
    compared where their losses are equal)."""
    gen = probes.generation_probe(model, corpus.tok, probe.prompts, corpus.facts, new_tokens=cc.diversity_tokens,
                                  temperature=cc.temperature, seed=seed)
    return {"step": step, "loss": probe.lm_rows.losses(model)[0], "diversity": gen["diversity"],
            "coherence": gen["coherence"]}


def measure_context(model, probe: Probes) -> dict:
    """The context curves of a pre-trained model: inside one paragraph (``context``, what the
    claim is judged on) and on windows anywhere in the held-out text (``context_across``)."""
    return {"context": context_curve(model, probe.paragraph_rows), "context_across": context_curve(model, probe.rows)}


def measure_pretrained(model, corpus: Corpus, cc: CompareConfig, seed: int, probe: Probes) -> dict:
    """What else is measured on a pre-trained model: recall, coherence, diversity and decoding
    cost (``measure_context``: the context curves)."""
    div = diversity(model, corpus.tok, probe.prompts, new_tokens=cc.diversity_tokens, temperature=cc.temperature,
                    seed=seed)
    room = model.config.max_len - 16  # the longest generation after a 16-token prompt
    lengths = [n for n in (16, 32, 64, 128, 256, 512) if n < room] + [room]
    sb = state_bytes(model, lengths)
    cost = {"decode_tokens_per_s": div.pop("decode_tokens_per_s"), "state_bytes": sb, "state_bytes_max": sb["bytes"][-1]}
    n_cand = max(len(probes.candidate_ids(corpus.tok, it["context"], c)[1]) for it in corpus.recall
                 for c in it["candidates"])
    recall = probes.recall_probe(model, corpus.tok, corpus.recall, max_prompt=cc.max_prompt(n_cand))
    gen = probes.generation_probe(model, corpus.tok, probe.coherence_prompts, corpus.facts,
                                  new_tokens=cc.coherence_tokens, temperature=cc.coherence_temperature, seed=seed)
    return {"diversity": div, "cost": cost, "recall": recall,
            "coherence": {**gen["coherence"], "samples": gen["samples"]}}


def lm_record(tokens, val_loss, lm_rows: ContextSet, tok) -> dict:
    """The language-modelling curve and its end: nats/token, perplexity, and bits per byte
    = (mean loss · the C·K scored tokens) / (ln 2 · their UTF-8 bytes)."""
    n_bytes, n_tokens = lm_rows.continuation_bytes(piece_bytes(tok)), lm_rows.cont.size
    bpb = [bits_per_byte(v * n_tokens, n_bytes) for v in val_loss]
    return {"tokens": tokens, "val_loss": val_loss, "val_bpb": bpb, "final_loss": val_loss[-1],
            "final_ppl": float(perplexity(val_loss[-1])), "final_bpb": bpb[-1], "bytes": n_bytes}


# --- stages: each writes its JSON, a rerun reads it instead -----------------------------------------


class Flattened(Exception):
    """Raised inside the training loop when the held-out loss has flattened: stop there."""


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _write_json(path: Path, value) -> None:
    """Written whole or not at all (a stage file is what a rerun trusts)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def _read_evals(run_dir: Path, up_to: int) -> list[dict]:
    """The evaluation points of a pre-training run up to step ``up_to``; later ones are dropped
    from the file (a resumed run computes them again, the same)."""
    path = run_dir / EVALS_FILE
    records = [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()] if path.exists() else []
    kept = [r for r in records if r["step"] <= up_to]
    if len(kept) < len(records):
        path.write_text("".join(json.dumps(r) + "\n" for r in kept))
    return kept


def _append_eval(run_dir: Path, record: dict) -> None:
    with open(run_dir / EVALS_FILE, "a") as f:
        f.write(json.dumps(record) + "\n")


def _has_checkpoint(run_dir: Path) -> bool:
    return _newest_checkpoint(run_dir) is not None


def _newest_checkpoint(run_dir: Path) -> int | None:
    steps = [int(p.name) for p in (run_dir / checkpoint.CHECKPOINT_DIR).glob("*") if p.name.isdigit()]
    return max(steps, default=None)


def _new_run(run_dir: Path, config, tcfg: TrainConfig, tok, data: dict) -> None:
    """A run directory as ``minisora pretrain`` / ``finetune`` write one: config.json and tokenizer/;
    the records of an attempt that stopped before its first checkpoint are dropped."""
    for name in (log.METRICS_FILE, EVALS_FILE):
        (run_dir / name).unlink(missing_ok=True)
    rundir.write_config(run_dir, config, tcfg, data)
    tok.save(run_dir / rundir.TOKENIZER_DIR)


class Job:
    """One comparison on disk: the progress bar and the stages of every (model, seed)."""

    def __init__(self, out: Path, corpus: Corpus, cc: CompareConfig, probe: Probes, paths: dict, bar, task,
                 quiet: bool):
        self.out, self.corpus, self.cc, self.probe, self.paths = out, corpus, cc, probe, paths
        self.bar, self.task, self.quiet = bar, task, quiet

    def say(self, line: str) -> None:
        if not self.quiet:
            self.bar.console.print(line, highlight=False, soft_wrap=True)

    def advance(self, n: int = 1, description: str | None = None) -> None:
        self.bar.update(self.task, advance=n, **({} if description is None else {"description": description}))

    def stage(self, run_dir: Path, name: str, what: str, units: int, compute, *, counts_itself: bool = False) -> dict:
        """The stage's saved result, or ``compute()``'s (saved, with its wall time). ``units``: its
        share of the progress bar, which ``compute`` advances itself if ``counts_itself``."""
        path = run_dir / f"{name}.json"
        if path.exists():
            self.say(f"skipping {what}: done before ({path.relative_to(self.out)})")
            self.advance(units)
            return _read_json(path)
        self.advance(0, what)
        start = time.perf_counter()
        result = compute()
        result["wall_s"] = time.perf_counter() - start
        _write_json(path, result)
        if not counts_itself:
            self.advance(units)
        return result

    def run_one(self, config, seed: int) -> dict:
        """Pre-train, measure, fine-tune and score one model of ``config`` with ``seed``."""
        m, cc = config.family, self.cc
        pre_dir = self.out / "runs" / f"{m}-s{seed}"
        chat_dir = self.out / "runs" / f"{m}-s{seed}-chat"
        tcfg = pretrain_config(cc, seed, m)
        batches, ftcfg = finetune_setup(config, self.corpus, cc, seed)
        held = {}  # the model of the stage before, when this process trained it

        def pretrained():
            if "pre" not in held:
                held["pre"] = rundir.load_model(pre_dir)[2]
            return held["pre"]

        def finetuned():
            if "chat" not in held:
                held["chat"] = rundir.load_model(chat_dir)[2]
            return held["chat"]

        pre = self.stage(pre_dir, "pretrain", f"{m} seed {seed}: pre-training", tcfg.steps,
                         lambda: self.pretrain(config, seed, tcfg, pre_dir, held), counts_itself=True)
        record = self.stage(pre_dir, "measure", f"{m} seed {seed}: recall, coherence, decoding cost",
                            STAGE_STEPS["measure"],
                            lambda: measure_pretrained(pretrained(), self.corpus, cc, seed, self.probe))
        # its own stage (and file): added after the first published run, whose measure.json it completes
        context = self.stage(pre_dir, "context", f"{m} seed {seed}: context curves", STAGE_STEPS["context"],
                             lambda: measure_context(pretrained(), self.probe))
        if self.corpus.copy_rows:  # with a copy share: does the model copy a held-out list?
            copy = self.stage(pre_dir, "copy", f"{m} seed {seed}: copying held-out lists", 0,
                              lambda: measure_copy(pretrained(), self.corpus.copy_rows))
            context = {**context, **copy, "wall_s": context["wall_s"] + copy["wall_s"]}
        fine = self.stage(chat_dir, "finetune", f"{m} seed {seed}: fine-tuning", ftcfg.steps,
                          lambda: self.finetune(pretrained(), batches, ftcfg, (pre_dir, pre["steps"]), chat_dir, held),
                          counts_itself=True)
        dialogue = self.stage(chat_dir, "dialogue", f"{m} seed {seed}: answering the test questions",
                              STAGE_STEPS["dialogue"], lambda: self.dialogue(finetuned()))
        record = {**record, **context, "wall_s": record["wall_s"] + context["wall_s"]}
        return assemble(record, pre, fine, dialogue, self.probe.lm_rows, self.corpus.tok, seed, param_count(config))

    def pretrain(self, config, seed: int, tcfg: TrainConfig, run_dir: Path, held: dict) -> dict:
        """Pre-training with files: resumed from the newest checkpoint if there is one; with
        ``until_flat`` a stable phase at the peak step size, stopped at the first evaluation where
        ``flattened`` holds (or at the cap), then the cool-down of ``cooldown_config``."""
        cc, corpus = self.cc, self.corpus
        model = nn.create(config, seed=seed)
        batches = text_batches(config, corpus, cc)
        at = eval_steps(tcfg)
        resume = _has_checkpoint(run_dir)
        start = 0
        if resume:
            start, params = checkpoint.restore_params(run_dir, nnx.state(model, nnx.Param))
        else:
            _new_run(run_dir, config, tcfg, corpus.tok, {"corpus": self.paths["corpus"],
                                                         "sha256": self.paths["corpus_sha256"]})
        evals = _read_evals(run_dir, start)
        if start in at and (not evals or evals[-1]["step"] != start):  # stopped between checkpoint and record
            nnx.update(model, params)
            evals.append(eval_point(model, corpus, cc, self.probe, seed, start))
            _append_eval(run_dir, evals[-1])
        self.advance(start)
        done = {"step": start}

        def on_step(t):
            done["step"] = t + 1
            self.advance(1)

        def record(m):  # an evaluation point, kept in evals and on disk
            evals.append(eval_point(m, corpus, cc, self.probe, seed, done["step"]))
            _append_eval(run_dir, evals[-1])

        def evaluate(m):  # the stable phase's: stopped where the rule sees a flat curve (the cool-down's never)
            record(m)
            if cc.until_flat and flattened([(e["step"], e["loss"]) for e in evals]):
                raise Flattened

        result = None
        stop_at = stable_stop(evals) if cc.until_flat else None  # a rerun may find the stable phase over
        if stop_at is None and start < tcfg.steps:
            try:
                result = train(model, batches, tcfg, run_dir, resume=resume, quiet=True, on_step=on_step, stop_hint=None,
                               eval_at=at, evaluate_fn=evaluate)
            except Flattened:
                stop_at = done["step"]
        stopped = stop_at is not None
        stable = stop_at if stopped else tcfg.steps
        self.advance(max(0, tcfg.steps - done["step"]))  # the steps a flattened run did not need
        if cc.until_flat:  # the cool-down, from the stable phase's last checkpoint (or where a rerun stopped)
            cool = cooldown_config(tcfg, stable)
            start = max(stable, _newest_checkpoint(run_dir) or 0)
            done["step"] = start
            if start < cool.steps:
                result = train(model, batches, cool, run_dir, resume=True, quiet=True, stop_hint=None,
                               on_step=lambda t: done.update(step=t + 1),  # (the bar counts the cap's steps only)
                               eval_at=[s for s in eval_steps(cool) if s > stable], evaluate_fn=record)
            done["step"] = cool.steps
        step = done["step"]
        if result is None or result.traced is None:  # nothing compiled here: compile (cached) to count FLOPs
            nnx.update(model, checkpoint.restore_params(run_dir, nnx.state(model, nnx.Param))[1])
            traced, compiled = compile_step(model, batches, tcfg)
            compile_s = 0.0
        else:
            traced, compiled, compile_s = result.traced, result.compiled, result.compile_s
        held["pre"] = model
        records = log.read_metrics(run_dir)
        timeline = probes.training_seconds(records, batches.tokens_per_batch())
        speeds = [r["tokens_per_s"] for r in records if "tokens_per_s" in r]
        return {"steps": step, "cap_steps": tcfg.steps, "stopped": "flattened" if stopped else "budget",
                "stable_steps": stable if cc.until_flat else step,
                "tokens_per_step": batches.tokens_per_batch(), "timeline": timeline, "evals": evals,
                "pretrain_s": timeline[-1][1] if timeline else 0.0, "compile_s": compile_s,
                "train_tokens_per_s": float(np.median(speeds)) if speeds else float("nan"),
                **step_flops(traced, compiled, batches.tokens_per_batch())}

    def finetune(self, model, batches, tcfg: TrainConfig, source: tuple, run_dir: Path, held: dict) -> dict:
        """Fine-tuning on the dialogues with files (resumed from its newest checkpoint if any);
        ``source`` = (pre-training run, its step)."""
        resume = _has_checkpoint(run_dir)
        if not resume:
            _new_run(run_dir, model.config, tcfg, self.corpus.tok,
                     {"dialogues": self.paths["dialogues"], "sha256": self.paths["dialogues_sha256"],
                      "from": str(source[0]), "from_step": source[1]})
        chat = nn.create(model.config)
        nnx.update(chat, nnx.state(model, nnx.Param))
        start = checkpoint.restore_params(run_dir, nnx.state(chat, nnx.Param))[0] if resume else 0
        self.advance(start)
        result = train(chat, batches, tcfg, run_dir, resume=resume, quiet=True, on_step=lambda t: self.advance(1),
                       stop_hint=None)  # compare's own line says how to continue
        held["chat"] = chat
        return {"steps": tcfg.steps, "tokens_per_step": batches.tokens_per_batch(), "finetune_s": result.train_s,
                "compile_s": result.compile_s}

    def dialogue(self, model) -> dict:
        corpus = self.corpus
        scores = dialogue_scores(model, corpus.tok, corpus.test_pairs, self.cc.answer_tokens)
        kinds = probes.dialogue_kinds(corpus.train_pairs, corpus.test_pairs)
        scores["splits"] = probes.split_scores(scores.pop("answers"), [a for _, a in corpus.test_pairs], kinds)
        return scores


def assemble(record: dict, pre: dict, fine: dict, dialogue: dict, lm_rows: ContextSet, tok, seed: int,
             params: int) -> dict:
    """One (model, seed)'s entry of results.json from its stages."""
    record = json.loads(json.dumps(record))  # a copy
    evals = pre["evals"]
    record["lm"] = lm_record([e["step"] * pre["tokens_per_step"] for e in evals], [e["loss"] for e in evals],
                             lm_rows, tok)
    record["evals"] = evals
    record["dialogue"] = {k: v for k, v in dialogue.items() if k != "wall_s"}
    record["pretrain"] = {k: pre[k] for k in ("steps", "cap_steps", "stopped", "tokens_per_step", "stable_steps") if k in pre}
    stage_s = pre["wall_s"] + record.pop("wall_s", 0.0) + fine["wall_s"] + dialogue["wall_s"]
    record["cost"].update(params=params, flops_per_token_counted=pre["flops_per_token_counted"],
                          flops_per_token_xla=pre["flops_per_token_xla"], train_tokens_per_s=pre["train_tokens_per_s"],
                          compile_s=pre["compile_s"] + fine["compile_s"], pretrain_s=pre["pretrain_s"],
                          finetune_s=fine["finetune_s"], timeline=pre["timeline"], wall_s=stage_s)
    record.update(seed=seed, pretrain_tokens=pre["steps"] * pre["tokens_per_step"],
                  finetune_tokens=fine["steps"] * fine["tokens_per_step"])
    return record


# --- the whole job ----------------------------------------------------------------------------


@contextlib.contextmanager
def compile_cache():
    """Keep compiled XLA programs on disk (~/.cache/minisora/jax) while a comparison runs: the
    seeds after the first, and later comparisons, load them instead of recompiling (seconds per
    program on a CPU). The process's previous setting comes back afterwards."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    names = ("jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs")
    before = {n: getattr(jax.config, n) for n in names}
    jax.config.update(names[0], str(root / "minisora" / "jax"))
    jax.config.update(names[1], 0.5)
    try:
        yield
    finally:
        for n, v in before.items():
            jax.config.update(n, v)


def check(cc: CompareConfig) -> None:
    """One clear sentence for settings that cannot work."""
    if cc.budget not in BUDGETS:
        raise UserError(f"Unknown budget {cc.budget!r}; choose one of: {', '.join(BUDGETS)}.")
    if not cc.seeds:
        raise UserError("--seeds must be at least 1.")
    if cc.budget_tokens < cc.batch_size * cc.seq_len:
        raise UserError(f"--budget-tokens {cc.budget_tokens} is less than one batch "
                        f"({cc.batch_size} × {cc.seq_len} = {cc.batch_size * cc.seq_len} tokens).")
    if cc.finetune_tokens < 1:
        raise UserError("--finetune-tokens must be positive.")
    if not 0 < cc.prefix_len < cc.seq_len or cc.continuation >= cc.seq_len:
        raise UserError(f"Sora's prefix ({cc.prefix_len}) and the scored continuation ({cc.continuation}) "
                        f"must both be shorter than the window ({cc.seq_len}).")
    if not 0 <= cc.copy_share < 1:
        raise UserError(f"--copy-share must be at least 0 and below 1, not {cc.copy_share}.")
    if cc.split_at_cue and not cc.copy_share:
        raise UserError("--split-at-cue splits Sora's windows at the read-twice lists: give --copy-share too.")
    if cc.eval_points < 1:
        raise UserError("The number of evaluations along pre-training must be at least 1.")


def settings_of(cc: CompareConfig, corpus_path, dialogues_path, test_path) -> dict:
    """What decides a comparison's numbers: its CompareConfig and the data files' contents."""
    return {"compare": json.loads(json.dumps(dataclasses.asdict(cc))), "corpus_sha256": sha256(corpus_path),
            "dialogues_sha256": sha256(dialogues_path), "test_sha256": sha256(test_path) if test_path else None}


def differences(saved: dict, settings: dict) -> list[str]:
    """The settings that differ, in words: "budget_tokens 8192 → 6553600", "the corpus file".
    The seeds are not among them: each seed's stages are its own, so a rerun with more (or fewer)
    seeds reuses the seeds already finished and adds the others."""
    old, new = saved.get("compare", {}), settings["compare"]
    # a setting added to CompareConfig after ``saved`` was written counts as its default there
    defaults = {f.name: f.default for f in dataclasses.fields(CompareConfig)}
    old = {**{k: defaults[k] for k in new if k not in old and k in defaults}, **old}
    out = [f"{k} {old.get(k)} → {new.get(k)}" for k in sorted(set(old) | set(new))
           if k != "seeds" and old.get(k) != new.get(k)]
    names = {"corpus_sha256": "the corpus file", "dialogues_sha256": "the dialogues file",
             "test_sha256": "the test dialogues"}
    return out + [f"{what} is another" for k, what in names.items() if saved.get(k) != settings[k]]


def claim_out(out: Path, settings: dict, paths: dict) -> None:
    """Make ``out`` this comparison's folder: a new one gets OUT/settings.json; one that has it
    must have been started with the same settings (it is then resumed)."""
    path = out / SETTINGS_FILE
    if path.exists():
        diff = differences(_read_json(path).get("settings", {}), settings)
        if diff:
            shown = "; ".join(diff[:3]) + ("; …" if len(diff) > 3 else "")
            raise UserError(f"{out} holds a comparison made with other settings ({shown}); rerun it with those "
                            "settings to continue it, or pass another --out.")
        _write_json(path, {"settings": settings, "paths": paths})  # the seeds of this run
        return
    if (out / "runs").exists():
        raise UserError(f"{out} has a runs/ folder but no {SETTINGS_FILE}; pass another --out.")
    _write_json(path, {"settings": settings, "paths": paths})


def run_compare(corpus_path, dialogues_path, out, cc: CompareConfig, *, test_path=None, quiet: bool = False) -> Path:
    """The whole comparison: tokenizer, matched models, training, measurements, report. -> report path.

    Run again with the same arguments, it continues an interrupted comparison in ``out``: finished
    stages are read back, an unfinished training resumes from its newest checkpoint."""
    check(cc)
    with compile_cache():
        return _run_compare(corpus_path, dialogues_path, Path(out), cc, test_path, quiet)


def _run_compare(corpus_path, dialogues_path, out: Path, cc: CompareConfig, test_path, quiet: bool) -> Path:
    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    settings = settings_of(cc, corpus_path, dialogues_path, test_path)
    paths = {"corpus": str(corpus_path), "corpus_sha256": settings["corpus_sha256"],
             "dialogues": str(dialogues_path), "dialogues_sha256": settings["dialogues_sha256"],
             "test_dialogues": str(test_path) if test_path else None}
    claim_out(out, settings, paths)
    corpus = prepare_corpus(corpus_path, dialogues_path, test_path, out, cc)
    gpt_cfg, sora_cfg, _ = matched_configs(cc.preset, corpus.tok.vocab_size)
    configs = {"sora": sora_cfg, "gpt": gpt_cfg}
    probe = Probes.build(corpus, cc)
    steps = pretrain_config(cc, 0).steps
    total = len(cc.seeds) * sum(steps + finetune_setup(c, corpus, cc, 0)[1].steps + sum(STAGE_STEPS.values())
                                for c in configs.values())
    per_seed = {m: [] for m in configs}
    with log.progress_bar(quiet, training=False) as bar:
        job = Job(out, corpus, cc, probe, paths, bar, bar.add_task("", total=total), quiet)
        try:
            for seed in cc.seeds:
                for m, c in configs.items():
                    per_seed[m].append(job.run_one(c, seed))
        except KeyboardInterrupt:
            print(f"compare stopped; run the same command again to continue in {out} (finished stages are kept, "
                  "an unfinished training resumes from its newest checkpoint).")
            raise
    results = {"setup": _setup(cc, corpus_path, dialogues_path, test_path, corpus, configs, per_seed, start),
               "per_seed": per_seed}
    return _write(results, out)


def _setup(cc, corpus_path, dialogues_path, test_path, corpus, configs, per_seed, start) -> dict:
    tcfg = pretrain_config(cc, 0)
    return {
        "preset": cc.preset, "vocab_size": corpus.tok.vocab_size, "corpus": str(corpus_path),
        "dialogues": str(dialogues_path), "test_dialogues": str(test_path) if test_path else "last 10 % of --dialogues",
        "seeds": list(cc.seeds), "budget": cc.budget, "quick": cc.quick, "compare": dataclasses.asdict(cc),
        "configs": {m: c.to_dict() for m, c in configs.items()},
        "params": {m: per_seed[m][0]["cost"]["params"] for m in configs},
        "pretrain_tokens": tcfg.steps * tcfg.batch_size * tcfg.seq_len, "until_flat": cc.until_flat,
        **({"cool_share": COOL_SHARE} if cc.until_flat else {}),
        "eval_every": tcfg.eval_every, "flat_rule": {"window": FLAT_WINDOW, "improvement": FLAT_IMPROVEMENT,
                                                     "min_evals": FLAT_MIN_EVALS, "min_recent": FLAT_MIN_RECENT},
        "finetune_tokens": per_seed["gpt"][0]["finetune_tokens"],
        "finetune_steps": {m: finetune_setup(c, corpus, cc, 0)[1].steps for m, c in configs.items()},
        "finetune_lr": cc.finetune_lr, "copy_share": cc.copy_share, "split_at_cue": cc.split_at_cue,
        "decode_batch": cc.diversity_prompts, "continuation_len": cc.continuation, "lm_prompt": cc.lm_length(),
        "n_test_dialogues": len(corpus.test_pairs), "answer_tokens": cc.answer_tokens,
        "n_diversity_prompts": cc.diversity_prompts, "diversity_tokens": cc.diversity_tokens,
        "n_coherence_prompts": cc.coherence_prompts, "coherence_tokens": cc.coherence_tokens,
        "coherence_temperature": cc.coherence_temperature,
        "n_recall_groups": len({it["group"] for it in corpus.recall}),
        "temperature": cc.temperature,
        "device": f"{jax.devices()[0].platform.upper()} ({jax.device_count()} device(s))",
        "wall_s": time.perf_counter() - start,
    }


def _write(results: dict, out: Path) -> Path:
    _write_json(out / "results.json", results)
    return write_report(results, out)


# --- reusing trained runs (--runs A B) ------------------------------------------------------------


def _load_pair(run_dirs):
    """Two run directories -> {"sora": Run, "gpt": Run}, checked to share one tokenizer."""
    runs = [load(d) for d in run_dirs]
    kinds = sorted(r.config.family for r in runs)
    if kinds != ["gpt", "sora"]:
        raise UserError(f"--runs needs one Sora run and one ChatGPT run; got {' and '.join(kinds)}.")
    if any(r.tokenizer is None for r in runs):
        raise UserError("--runs needs runs trained by minisora (with a tokenizer/ folder).")
    protos = [(Path(r.run_dir) / "tokenizer" / "tokenizer.model").read_bytes() for r in runs]
    if protos[0] != protos[1]:
        raise UserError("The two runs were trained with different tokenizers; a fair comparison needs one.")
    return {r.config.family: r for r in runs}


def _pretrained_of(run):
    """The pre-trained run behind a fine-tuned one (its config's data.from), else the run itself."""
    source = rundir.read_config(run.run_dir).get("data", {}).get("from")
    return load(source) if source and Path(source).is_dir() else run


def reuse_runs(run_dirs, corpus_path, dialogues_path, out, cc: CompareConfig, *, test_path=None,
               quiet: bool = False) -> Path:
    """Measure two already trained runs (one seed each) instead of training: pre-training-side
    numbers on their pre-trained checkpoints, dialogue scores on their fine-tuned ones (a run that
    was only pre-trained is fine-tuned here first). Each model is measured at one point only, so
    the verdicts that need a loss curve (diversity at equal loss, compute to a loss) are not
    measurable."""
    with compile_cache():
        return _reuse_runs(run_dirs, corpus_path, dialogues_path, Path(out), cc, test_path, quiet)


def _reuse_runs(run_dirs, corpus_path, dialogues_path, out: Path, cc: CompareConfig, test_path, quiet: bool) -> Path:
    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    runs = _load_pair(run_dirs)
    pre = {m: _pretrained_of(r) for m, r in runs.items()}
    gpt_t, sora_t = pre["gpt"].train_config or {}, pre["sora"].train_config or {}
    S = sora_t.get("prefix_len") or sora_t.get("seq_len", 2 * cc.prefix_len) // 2
    cc = dataclasses.replace(cc, seq_len=gpt_t.get("seq_len", cc.seq_len), prefix_len=S, seeds=(gpt_t.get("seed", 0),))
    corpus = prepare_corpus(corpus_path, dialogues_path, test_path, out, cc, tok=runs["gpt"].tokenizer)
    probe = Probes.build(corpus, cc)
    per_seed = {}
    with log.progress_bar(quiet, training=False) as bar:
        task = bar.add_task("", total=2)
        for m, run in runs.items():
            bar.update(task, description=f"{m}: measuring {pre[m].run_dir}")
            per_seed[m] = [_measure_run(pre[m], run, corpus, cc, probe)]
            bar.advance(task)
    configs = {m: r.config for m, r in runs.items()}
    results = {"setup": _setup(cc, corpus_path, dialogues_path, test_path, corpus, configs, per_seed, start),
               "per_seed": per_seed}
    results["setup"]["runs"] = [str(d) for d in run_dirs]
    return _write(results, out)


def _measure_run(pre, run, corpus: Corpus, cc: CompareConfig, probe: Probes) -> dict:
    model, t = pre.model, pre.train_config or {}
    seed = t.get("seed", 0)
    record = {**measure_pretrained(model, corpus, cc, seed, probe), **measure_context(model, probe),
              **(measure_copy(model, corpus.copy_rows) if corpus.copy_rows else {})}
    point = eval_point(model, corpus, cc, probe, seed, pre.step)
    tokens = pre.step * t.get("batch_size", 0) * t.get("seq_len", 0)
    record["lm"] = lm_record([tokens], [point["loss"]], probe.lm_rows, corpus.tok)
    record["evals"] = [point]
    tcfg = TrainConfig.from_dict({**t, "kind": "text"}) if t else pretrain_config(cc, 0)
    batches = text_batches(pre.config, corpus, dataclasses.replace(cc, batch_size=tcfg.batch_size,
                                                                     seq_len=tcfg.seq_len, prefix_len=tcfg.encoder_len))
    traced, compiled = compile_step(model, batches, tcfg)
    metrics = log.read_metrics(pre.run_dir)
    logged = [m["tokens_per_s"] for m in metrics if "tokens_per_s" in m]
    timeline = probes.training_seconds(metrics, batches.tokens_per_batch())
    record["cost"].update(params=nn.count_params(model), **step_flops(traced, compiled, batches.tokens_per_batch()),
                          train_tokens_per_s=float(np.median(logged)) if logged else float("nan"),
                          timeline=timeline, pretrain_s=timeline[-1][1] if timeline else float("nan"),
                          wall_s=float("nan"))  # trained elsewhere
    record["pretrain"] = {"steps": pre.step, "cap_steps": tcfg.steps, "stopped": "trained elsewhere",
                          "tokens_per_step": batches.tokens_per_batch()}
    fine = run.model if run is not pre else _finetuned_here(run, corpus, cc)
    scores = dialogue_scores(fine, corpus.tok, corpus.test_pairs, cc.answer_tokens)
    kinds = probes.dialogue_kinds(corpus.train_pairs, corpus.test_pairs)
    scores["splits"] = probes.split_scores(scores.pop("answers"), [a for _, a in corpus.test_pairs], kinds)
    record["dialogue"] = scores
    record.update(seed=seed, pretrain_tokens=tokens, finetune_tokens=cc.finetune_tokens)
    return record


def _finetuned_here(run, corpus: Corpus, cc: CompareConfig):
    batches, tcfg = finetune_setup(run.config, corpus, cc, (run.train_config or {}).get("seed", 0))
    train(run.model, batches, tcfg)
    return run.model
