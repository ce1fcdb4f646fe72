r"""``minisora compare``: the article's Sora-vs-ChatGPT claims, measured on two models of one size.

What is held equal, so that a difference is the architecture's:

    one tokenizer, one corpus, one dialogue set, one decoding setting (temperature, length)
    tokens read in pre-training      N = steps · B · T  for both (ChatGPT: T-token windows;
                                     Sora: the same windows split into encoder prefix + decoder part)
    parameter count                  |P_Sora − P_ChatGPT| / P_ChatGPT ≤ 10 %, counted from built models

What is measured, for every seed (report.py turns it into mean ± std and verdicts):

    cost        parameters; FLOPs per training token, counted from the train step's program
                (Σ 2·m·n·k over its matrix products, scan bodies × their length) and from XLA's
                cost analysis; training and decoding tokens/s; decode-state bytes vs length
    language    held-out continuation loss L = −(1/C) Σ_t log p(y_t | prompt, y_<t) (nats/token)
                and perplexity exp(L), at regular points of pre-training
    context     the same loss as a function of the prompt length P (same continuations for all P)
    dialogue    exact match and token F1 of greedy answers on the held-out test questions
    diversity   distinct-1/2 and the repeated 3-gram rate of samples at one temperature

The training loop here is a thin wrapper around ``train.py`` (its optimiser, its compiled step,
``data.Batches``): it trains for a token budget, evaluates at chosen points and returns numbers,
without checkpoints, so that a whole comparison fits in minutes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import math
import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import MappingProxyType

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from . import data, decode, metrics, models
from . import train as training
from .errors import UserError
from .losses import perplexity, token_nll
from .tokenizer import BOS_ID

ARTICLE_QUESTION = "我的账户为什么不能登录？"  # the article's customer-service example
ARTICLE_ANSWER = "请确认您的账户信息是否输入正确，或者尝试重置密码。"
MATCH_TOLERANCE = 0.10  # |P_Sora − P_ChatGPT| / P_ChatGPT


@dataclass(frozen=True)
class CompareConfig:
    """The knobs of one comparison. Defaults fit the tiny preset in ≤ 15 CPU minutes."""

    preset: str = "tiny"
    vocab_size: int = 4000
    budget_tokens: int = 500_000  # tokens each model reads in pre-training, per seed
    finetune_tokens: int = 100_000  # dialogue tokens (padded rows) each model reads in fine-tuning
    seeds: tuple = (0, 1, 2)
    batch_size: int = 8
    seq_len: int = 256  # T: ChatGPT's window; Sora's prefix + continuation
    prefix_len: int = 128  # Sora's encoder part of a pre-training window
    lr: float = 2e-3  # AdamW peak step size, both models
    finetune_lr: float = 1e-3
    eval_points: int = 8  # held-out evaluations along pre-training
    continuation: int = 32  # C: tokens scored after each prompt
    lm_prompt: int = 64  # prompt length of the language-modelling curve
    context_windows: int = 32  # held-out windows scored at every prompt length
    temperature: float = 1.0  # diversity samples, both models
    diversity_prompts: int = 16
    diversity_prompt_len: int = 32
    diversity_tokens: int = 64
    answer_tokens: int = 64  # longest greedy answer
    quick: bool = False

    @classmethod
    def quick_mode(cls, **changes) -> "CompareConfig":
        """Seconds instead of minutes: two seeds, short windows, a few steps (for tests and tutorials)."""
        small = dict(budget_tokens=8_192, finetune_tokens=4_000, seeds=(0, 1), batch_size=8, seq_len=64,
                     prefix_len=32, eval_points=2, continuation=16, lm_prompt=16, context_windows=8,
                     diversity_prompts=4, diversity_prompt_len=16, diversity_tokens=24, answer_tokens=16,
                     quick=True)
        return cls(**{**small, **changes})

    def prompt_lengths(self) -> list[int]:
        """16, 32, 64, … up to the longest prompt both models were trained on (powers of two,
        then the cap itself): ChatGPT needs P + C ≤ T, Sora's encoder saw at most ``prefix_len``."""
        cap = min(self.seq_len - self.continuation, self.prefix_len)
        lengths = [p for p in (8, 16, 32, 64, 128, 256, 512) if p < cap and p >= min(16, cap // 2)]
        return lengths + [cap]

    def lm_length(self) -> int:
        """The tested prompt length nearest ``lm_prompt``: the language-modelling curve's prompt."""
        return min(self.prompt_lengths(), key=lambda P: abs(P - self.lm_prompt))


# --- matched sizes -------------------------------------------------------------------------


def param_count(config: models.ModelConfig) -> int:
    """Parameters of a model of ``config``, from its arrays' shapes (nothing is initialised)."""
    return models.count_params(nnx.eval_shape(lambda: models.create(config)))


@functools.lru_cache(maxsize=8)
def matched_configs(preset: str, vocab_size: int, tolerance: float = MATCH_TOLERANCE):
    """The preset's ChatGPT and a Sora of (nearly) the same parameter count.

    Sora = the preset's encoder + an LSTM decoder, so it is the larger of the two at equal
    width. Rule: keep the width C for both; choose Sora's LSTM width d_lstm (a multiple of 8,
    between C/2 and 2C) whose count is nearest ChatGPT's; if even the narrowest LSTM leaves Sora
    more than ``tolerance`` larger, give ChatGPT one more layer and choose again.
    -> (gpt_config, sora_config, {"gpt": P_gpt, "sora": P_sora})
    """
    gpt = models.config_from_preset("gpt", preset, vocab_size=vocab_size)
    sora = models.config_from_preset("sora", preset, vocab_size=vocab_size)
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


# --- counting FLOPs ------------------------------------------------------------------------


def matmul_flops(fn, *args) -> int:
    """FLOPs of the matrix products ``fn(*args)`` runs: Σ 2·m·n·k over every ``dot_general`` of
    its program (forward and, for a train step, backward), a ``scan`` body counted once per step."""
    return _jaxpr_flops(jax.make_jaxpr(fn)(*args).jaxpr)


def _jaxpr_flops(jaxpr) -> int:
    from jax.extend.core import ClosedJaxpr, Jaxpr

    total = 0
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "dot_general":
            (contract, _), _ = eqn.params["dimension_numbers"]
            k = math.prod(eqn.invars[0].aval.shape[d] for d in contract)
            total += 2 * math.prod(eqn.outvars[0].aval.shape) * k  # one multiply + one add per term
        times = eqn.params.get("length", 1) if eqn.primitive.name == "scan" else 1
        for value in eqn.params.values():
            subs = value if isinstance(value, (tuple, list)) else [value]
            subs = [s.jaxpr if isinstance(s, ClosedJaxpr) else s for s in subs]
            subs = [s for s in subs if isinstance(s, Jaxpr)]
            if subs:  # cond branches: the most expensive one; otherwise there is just one
                total += times * max(_jaxpr_flops(s) for s in subs)
    return total


def xla_flops(compiled) -> float:
    """XLA's own FLOP count of a compiled program (it counts a loop body once, whatever its length)."""
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    return float(cost.get("flops", float("nan")))


# --- evaluation ----------------------------------------------------------------------------


def _split_state(model):
    """(graphdef, state) of the whole model, the form decode.py and the evaluators take."""
    return nnx.split(model)


@partial(jax.jit, static_argnames=("graphdef",))
def _continuation_nll(graphdef, state, prompt, mask, cont):
    """−log p(cont | prompt) per row, averaged over its C tokens (nats/token).

    prompt (B, P) LEFT-padded with mask (B, P), continuation (B, C); teacher-forced. Left
    padding lets prompts of every length share one compiled program: positions count real
    tokens only and pads are hidden from attention, so a padded row scores as it would alone.
    """
    model = nnx.merge(graphdef, state)
    P = prompt.shape[1]
    if model.config.model == "gpt":
        ids = jnp.concatenate([prompt, cont], axis=1)  # (B, P + C)
        full_mask = jnp.concatenate([mask, jnp.ones_like(cont)], axis=1)
        logits = model(ids, mask=full_mask, deterministic=True)[:, P - 1 : -1]  # (B, C, V): predicts cont
    else:
        dec_in = jnp.concatenate([jnp.full_like(cont[:, :1], BOS_ID), cont[:, :-1]], axis=1)  # (B, C)
        _, logits = model(prompt, mask, dec_in, deterministic=True)  # (B, C, V)
    return token_nll(logits, cont).mean(axis=1)  # (B,)


def eval_windows(val_ids, n: int, prompt_len: int, cont_len: int) -> np.ndarray:
    """``n`` held-out windows of prompt_len + cont_len ids, evenly spread (fixed for a whole run)."""
    L = prompt_len + cont_len
    if len(val_ids) < L:
        raise UserError(f"The held-out tenth of the corpus has {len(val_ids)} tokens, fewer than one "
                        f"evaluation window of {L}; use a longer corpus.")
    starts = np.linspace(0, len(val_ids) - L, n).astype(int)
    return np.asarray(val_ids, np.int32)[starts[:, None] + np.arange(L)]  # (n, L)


@dataclass
class ContextSet:
    """The held-out rows of the context test: every window once per prompt length P.

    Row (i, w) = the last P_i tokens before window w's continuation, left-padded to max P.
    """

    prompt_lengths: list
    prompt: np.ndarray  # (n_P · K, P_max)
    mask: np.ndarray  # (n_P · K, P_max)
    cont: np.ndarray  # (n_P · K, C)

    @classmethod
    def build(cls, windows: np.ndarray, prompt_lengths, C: int) -> "ContextSet":
        K, L = windows.shape
        P_max = L - C
        rows = [decode.pad_left([list(w[L - C - P : L - C]) for w in windows], P_max) for P in prompt_lengths]
        prompt = np.concatenate([r[0] for r in rows])
        mask = np.concatenate([r[1] for r in rows])
        return cls(list(prompt_lengths), prompt, mask, np.tile(windows[:, L - C :], (len(prompt_lengths), 1)))

    def only(self, P: int) -> "ContextSet":
        """The rows of prompt length P alone, padded to P only."""
        i, K = self.prompt_lengths.index(P), len(self.prompt) // len(self.prompt_lengths)
        rows = slice(i * K, (i + 1) * K)
        return ContextSet([P], self.prompt[rows, -P:], self.mask[rows, -P:], self.cont[rows])

    def losses(self, model) -> list[float]:
        """Mean continuation loss (nats/token) at each prompt length."""
        graphdef, state = _split_state(model)
        nll = np.asarray(_continuation_nll(graphdef, state, self.prompt, self.mask, self.cont))
        return [float(x) for x in nll.reshape(len(self.prompt_lengths), -1).mean(axis=1)]


def context_curve(model, rows: ContextSet) -> dict:
    loss = rows.losses(model)
    return {"prompt_len": rows.prompt_lengths, "loss": loss, "long_loss": loss[-1], "gain": loss[0] - loss[-1]}


def diversity(model, tok, prompts, cc: CompareConfig, seed: int) -> dict:
    """distinct-n and repetition of samples at temperature ``cc.temperature``, and the decoder's
    speed: the same call again (compiled by then) with another seed, timed."""
    graphdef, state = _split_state(model)
    sample = partial(decode.generate, graphdef, state, prompts, model.config, max_new_tokens=cc.diversity_tokens,
                     temperature=cc.temperature)
    rows = sample(seed=seed)
    t0 = time.perf_counter()
    sample(seed=seed + 1000)  # the scan runs all its steps whatever the stop tokens
    tokens_per_s = len(prompts) * cc.diversity_tokens / (time.perf_counter() - t0)
    texts = [tok.decode(r) for r in rows]
    return {"distinct_1": metrics.distinct_n(texts, 1), "distinct_2": metrics.distinct_n(texts, 2),
            "repeated_3": metrics.repeated_ngram_rate(texts, 3), "samples": texts[:3],
            "decode_tokens_per_s": tokens_per_s}


def answer(model, tok, questions, cc: CompareConfig) -> list[str]:
    """Greedy answers of a fine-tuned model to ``questions`` (text)."""
    graphdef, state = _split_state(model)
    prompts = [data.chat_prompt(tok.encode(q)) for q in questions]
    rows = decode.generate(graphdef, state, prompts, model.config, max_new_tokens=cc.answer_tokens, temperature=0.0)
    return [tok.decode(r) for r in rows]


def dialogue_scores(model, tok, test_pairs, cc: CompareConfig) -> dict:
    questions = [q for q, _ in test_pairs]
    answers = answer(model, tok, questions + [ARTICLE_QUESTION], cc)
    refs = [a for _, a in test_pairs]
    em = float(np.mean([metrics.exact_match(p, r) for p, r in zip(answers, refs)]))
    f1 = float(np.mean([metrics.token_f1(p, r) for p, r in zip(answers, refs)]))
    samples = [{"question": ARTICLE_QUESTION, "reference": ARTICLE_ANSWER, "answer": answers[-1]}]
    samples += [{"question": q, "reference": r, "answer": p} for q, r, p in zip(questions[:4], refs[:4], answers[:4])]
    return {"em": em, "f1": f1, "samples": samples}


def state_bytes(model, new_tokens, prompt_len: int = 16) -> dict:
    """Bytes of one sequence's decoding state after ``prompt_len`` + n tokens, for each n."""
    graphdef, state = _split_state(model)
    ids = jnp.ones((1, prompt_len), jnp.int32)
    out = []
    for n in new_tokens:
        shapes = jax.eval_shape(partial(models.prefill, graphdef, cache_len=prompt_len + n), state, ids, ids)[1]
        out.append(int(sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(shapes))))
    return {"new_tokens": list(new_tokens), "bytes": out}


# --- training for a token budget -------------------------------------------------------------


def train_tokens(model, batches: data.Batches, tcfg: training.TrainConfig, *, evaluate=None,
                 eval_steps=(), progress=None) -> dict:
    """Train ``model`` in place for ``tcfg.steps`` steps of train.py's compiled step.

    ``evaluate(model) -> float`` runs after each step in ``eval_steps`` (not timed as training).
    -> {"steps", "tokens", "val_loss", "train_s", "train_tokens_per_s", "compile_s", "flops_counted", "flops_xla",
        "tokens_read"}
    (FLOPs per token read.)
    """
    tcfg = tcfg.resolved()
    graphdef, params, rest = training.split_model(model)
    opt_state = training.make_optimizer(tcfg).init(params)
    train_step, _ = training.make_steps(graphdef, tcfg)
    rng = data.make_rng(tcfg.seed)
    batch = batches.sample(rng)
    t0 = time.perf_counter()
    traced = train_step.trace(params, opt_state, rest, batch, np.int32(0))
    flops_counted = _jaxpr_flops(traced.jaxpr.jaxpr) / batches.tokens_per_batch()
    step = traced.lower().compile()  # the one compile of this run
    compile_s = time.perf_counter() - t0
    tokens, val_loss, train_s = [], [], 0.0
    t0 = time.perf_counter()
    for t in range(tcfg.steps):
        if t:
            batch = batches.sample(rng)
        params, opt_state, m = step(params, opt_state, rest, batch, np.int32(t))
        if progress is not None:
            progress(1)
        if t + 1 in eval_steps or t + 1 == tcfg.steps:
            loss = float(m["loss"])  # waits for the step: the timing below is honest
            train_s += time.perf_counter() - t0
            if not math.isfinite(loss):
                raise UserError(f"The {model.config.model} training loss became NaN or infinite by step {t + 1}; "
                                "try a smaller learning rate.")
            if evaluate is not None and t + 1 in eval_steps:
                nnx.update(model, params)
                tokens.append((t + 1) * batches.tokens_per_batch())
                val_loss.append(evaluate(model))
            t0 = time.perf_counter()
    nnx.update(model, params)
    n = tcfg.steps * batches.tokens_per_batch()
    return {"steps": tcfg.steps, "tokens": tokens, "val_loss": val_loss, "train_s": train_s,
            "train_tokens_per_s": n / max(train_s, 1e-9),
            "compile_s": compile_s, "flops_counted": flops_counted,
            "flops_xla": xla_flops(step) / batches.tokens_per_batch(), "tokens_read": n}


# --- one model, one seed ----------------------------------------------------------------------


@dataclass
class Corpus:
    """Everything both models share: the tokenizer and the tokenised data."""

    tok: object
    train_ids: np.ndarray
    val_ids: np.ndarray
    dialogue_train: list  # (question ids, answer ids)
    test_pairs: list  # (question text, answer text)


def _pretrain_config(cc: CompareConfig, seed: int) -> training.TrainConfig:
    steps = max(1, cc.budget_tokens // (cc.batch_size * cc.seq_len))
    return training.TrainConfig(kind="text", steps=steps, batch_size=cc.batch_size, seq_len=cc.seq_len,
                                prefix_len=cc.prefix_len, optimizer="adamw", lr=cc.lr, seed=seed)


def _finetune_setup(config, corpus: Corpus, cc: CompareConfig, seed: int):
    """Dialogue batches and train config: rows as long as the longest pair, so both models process
    the same tokens per step (ChatGPT packs shorter dialogues into its rows, as ``minisora finetune``
    does; Sora pads each pair)."""
    prompt_len, answer_len = data.dialogue_lengths(corpus.dialogue_train, config.max_len)
    T = min(config.max_len, prompt_len + answer_len)
    S = prompt_len if config.model == "sora" else None
    steps = max(1, cc.finetune_tokens // (cc.batch_size * T))
    tcfg = training.TrainConfig(kind="dialogue", steps=steps, batch_size=cc.batch_size, seq_len=T, prefix_len=S,
                                optimizer="adamw", lr=cc.finetune_lr, seed=seed)
    batches = data.Batches(config.model, "dialogue", corpus.dialogue_train, corpus.dialogue_train[:1],
                           batch_size=cc.batch_size, seq_len=T, vocab_size=config.vocab_size, prefix_len=S)
    return batches, tcfg


def text_batches(config, corpus: Corpus, cc: CompareConfig) -> data.Batches:
    return data.Batches(config.model, "text", corpus.train_ids, corpus.val_ids, batch_size=cc.batch_size,
                        seq_len=cc.seq_len, vocab_size=config.vocab_size, prefix_len=cc.prefix_len)


def measure_pretrained(model, corpus: Corpus, cc: CompareConfig, seed: int, rows: ContextSet) -> dict:
    """Everything measured on a pre-trained model: context curve, diversity, decoding cost."""
    prompts = [list(w) for w in eval_windows(corpus.val_ids, cc.diversity_prompts, cc.diversity_prompt_len, 0)]
    div = diversity(model, corpus.tok, prompts, cc, seed)
    room = model.config.max_len - 16  # the longest generation after a 16-token prompt
    lengths = [n for n in (16, 32, 64, 128, 256, 512) if n < room] + [room]
    sb = state_bytes(model, lengths)
    cost = {"decode_tokens_per_s": div.pop("decode_tokens_per_s"), "state_bytes": sb, "state_bytes_max": sb["bytes"][-1]}
    return {"context": context_curve(model, rows), "diversity": div, "cost": cost}


def run_one(config, corpus: Corpus, cc: CompareConfig, seed: int, rows: ContextSet, advance) -> dict:
    """Pre-train, measure, fine-tune and score one model of ``config`` with ``seed``."""
    start = time.perf_counter()
    model = models.create(config, seed=seed)
    tcfg = _pretrain_config(cc, seed)
    eval_steps = sorted({max(1, round(tcfg.steps * (k + 1) / cc.eval_points)) for k in range(cc.eval_points)})
    lm_rows = rows.only(cc.lm_length())  # a small set for the curve; the full one runs once at the end
    advance(f"{config.model} seed {seed}: pre-training")
    pre = train_tokens(model, text_batches(config, corpus, cc), tcfg, eval_steps=eval_steps,
                       evaluate=lambda m: lm_rows.losses(m)[0], progress=advance)
    advance(f"{config.model} seed {seed}: context, diversity, decoding cost")
    record = measure_pretrained(model, corpus, cc, seed, rows)
    batches, ftcfg = _finetune_setup(config, corpus, cc, seed)
    advance(f"{config.model} seed {seed}: fine-tuning")
    fine = train_tokens(model, batches, ftcfg, progress=advance)
    advance(f"{config.model} seed {seed}: answering the test questions")
    record["dialogue"] = dialogue_scores(model, corpus.tok, corpus.test_pairs, cc)
    record["lm"] = {"tokens": pre["tokens"], "val_loss": pre["val_loss"], "final_loss": pre["val_loss"][-1],
                    "final_ppl": float(perplexity(pre["val_loss"][-1]))}
    record["cost"].update(params=models.count_params(model), flops_per_token_counted=pre["flops_counted"],
                          flops_per_token_xla=pre["flops_xla"], train_tokens_per_s=pre["train_tokens_per_s"],
                          compile_s=pre["compile_s"] + fine["compile_s"], pretrain_s=pre["train_s"],
                          finetune_s=fine["train_s"], wall_s=time.perf_counter() - start)
    record.update(seed=seed, pretrain_tokens=pre["tokens_read"], finetune_tokens=fine["tokens_read"])
    return record


# --- the whole job ----------------------------------------------------------------------------


def prepare_corpus(corpus_path, dialogues_path, test_path, out: Path, cc: CompareConfig, tok=None) -> Corpus:
    from .datasets import load_dialogues, read_text
    from .tokenizer import train_tokenizer

    text = read_text(corpus_path)
    if tok is None:
        tok = train_tokenizer([corpus_path], out / "tokenizer", vocab_size=cc.vocab_size)
    ids = np.asarray(tok.encode(text), np.int32)
    train_ids, val_ids = data.split_held_out(ids)
    pairs = load_dialogues(dialogues_path)
    if test_path is not None:
        test = load_dialogues(test_path)
    else:  # no test file: hold out the last tenth of the dialogues
        pairs, test = data.split_held_out(pairs)
    if len(pairs) < 2:
        raise UserError(f"{dialogues_path} has too few dialogues to fine-tune on.")
    dialogue_train = [(tok.encode(q), tok.encode(a)) for q, a in pairs]
    return Corpus(tok, train_ids, val_ids, dialogue_train, test)


def _progress(quiet: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(TextColumn("[bold]compare[/bold] {task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), disable=quiet)


@contextlib.contextmanager
def _compile_cache():
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


def run_compare(corpus_path, dialogues_path, out, cc: CompareConfig, *, test_path=None, quiet: bool = False) -> Path:
    """The whole comparison: tokenizer, matched models, training, measurements, report. -> report path."""
    check(cc)
    with _compile_cache():
        return _run_compare(corpus_path, dialogues_path, Path(out), cc, test_path, quiet)


def _run_compare(corpus_path, dialogues_path, out: Path, cc: CompareConfig, test_path, quiet: bool) -> Path:
    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    corpus = prepare_corpus(corpus_path, dialogues_path, test_path, out, cc)
    gpt_cfg, sora_cfg, counts = matched_configs(cc.preset, corpus.tok.vocab_size)
    configs = {"sora": sora_cfg, "gpt": gpt_cfg}
    rows = _context_set(corpus, cc)
    steps = _pretrain_config(cc, 0).steps
    ft_steps = {m: _finetune_setup(c, corpus, cc, 0)[1].steps for m, c in configs.items()}
    stages = 4  # stage descriptions per run; each advances the bar by one
    total = len(cc.seeds) * sum(steps + ft_steps[m] + stages for m in configs)
    per_seed = {m: [] for m in configs}
    with _progress(quiet) as bar:
        task = bar.add_task("", total=total)

        def advance(what):
            if isinstance(what, str):
                bar.update(task, description=what, advance=1)
            else:
                bar.advance(task, what)

        for seed in cc.seeds:
            for m, c in configs.items():
                per_seed[m].append(run_one(c, corpus, cc, seed, rows, advance))
    results = {"setup": _setup(cc, corpus_path, dialogues_path, test_path, corpus, configs, per_seed, start),
               "per_seed": per_seed}
    return _write(results, out)


def _context_set(corpus: Corpus, cc: CompareConfig) -> ContextSet:
    lengths = cc.prompt_lengths()
    windows = eval_windows(corpus.val_ids, cc.context_windows, lengths[-1], cc.continuation)
    return ContextSet.build(windows, lengths, cc.continuation)


def _setup(cc, corpus_path, dialogues_path, test_path, corpus, configs, per_seed, start) -> dict:
    first = per_seed["gpt"][0]
    return {
        "preset": cc.preset, "vocab_size": corpus.tok.vocab_size, "corpus": str(corpus_path),
        "dialogues": str(dialogues_path), "test_dialogues": str(test_path) if test_path else "last 10 % of --dialogues",
        "seeds": list(cc.seeds), "quick": cc.quick, "compare": dataclasses.asdict(cc),
        "configs": {m: c.to_dict() for m, c in configs.items()},
        "params": {m: per_seed[m][0]["cost"]["params"] for m in configs},
        "pretrain_tokens": first["pretrain_tokens"], "finetune_tokens": first["finetune_tokens"],
        "decode_batch": cc.diversity_prompts, "continuation_len": cc.continuation, "lm_prompt": cc.lm_length(),
        "n_test_dialogues": len(corpus.test_pairs), "answer_tokens": cc.answer_tokens,
        "n_diversity_prompts": cc.diversity_prompts, "diversity_tokens": cc.diversity_tokens,
        "temperature": cc.temperature,
        "device": f"{jax.devices()[0].platform.upper()} ({jax.device_count()} device(s))",
        "wall_s": time.perf_counter() - start,
    }


def _write(results: dict, out: Path) -> Path:
    from .report import write_report

    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return write_report(results, out)


# --- reusing trained runs (--runs A B) ------------------------------------------------------------


def _load_pair(run_dirs):
    """Two run directories -> {"sora": Run, "gpt": Run}, checked to share one tokenizer."""
    from .run import load

    runs = [load(d) for d in run_dirs]
    kinds = sorted(r.config.model for r in runs)
    if kinds != ["gpt", "sora"]:
        raise UserError(f"--runs needs one Sora run and one ChatGPT run; got {' and '.join(kinds)}.")
    if any(r.tokenizer is None for r in runs):
        raise UserError("--runs needs runs trained by minisora (with a tokenizer/ folder).")
    protos = [(Path(r.run_dir) / "tokenizer" / "tokenizer.model").read_bytes() for r in runs]
    if protos[0] != protos[1]:
        raise UserError("The two runs were trained with different tokenizers; a fair comparison needs one.")
    return {r.config.model: r for r in runs}


def _pretrained_of(run):
    """The pre-trained run behind a fine-tuned one (its config's data.from), else the run itself."""
    from .run import load, read_config

    source = read_config(run.run_dir).get("data", {}).get("from")
    return load(source) if source and Path(source).is_dir() else run


def reuse_runs(run_dirs, corpus_path, dialogues_path, out, cc: CompareConfig, *, test_path=None,
               quiet: bool = False) -> Path:
    """Measure two already trained runs (one seed each) instead of training: pre-training-side
    numbers on their pre-trained checkpoints, dialogue scores on their fine-tuned ones (a run that
    was only pre-trained is fine-tuned here first)."""
    with _compile_cache():
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
    rows = _context_set(corpus, cc)
    per_seed = {}
    with _progress(quiet) as bar:
        task = bar.add_task("", total=2)
        for m, run in runs.items():
            bar.update(task, description=f"{m}: measuring {pre[m].run_dir}")
            per_seed[m] = [_measure_run(pre[m], run, corpus, cc, rows)]
            bar.advance(task)
    configs = {m: r.config for m, r in runs.items()}
    results = {"setup": _setup(cc, corpus_path, dialogues_path, test_path, corpus, configs, per_seed, start),
               "per_seed": per_seed}
    results["setup"]["runs"] = [str(d) for d in run_dirs]
    return _write(results, out)


def _measure_run(pre, run, corpus: Corpus, cc: CompareConfig, rows: ContextSet) -> dict:
    model, t = pre.model, pre.train_config or {}
    record = measure_pretrained(model, corpus, cc, t.get("seed", 0), rows)
    loss = rows.only(cc.lm_length()).losses(model)[0]
    tokens = pre.step * t.get("batch_size", 0) * t.get("seq_len", 0)
    record["lm"] = {"tokens": [tokens], "val_loss": [loss], "final_loss": loss, "final_ppl": float(perplexity(loss))}
    tcfg = training.TrainConfig(**{**t, "kind": "text"}) if t else _pretrain_config(cc, 0)
    batches = text_batches(pre.config, corpus, dataclasses.replace(cc, batch_size=tcfg.batch_size, seq_len=tcfg.seq_len,
                                                                     prefix_len=tcfg.prefix_len or tcfg.seq_len // 2))
    graphdef, params, rest = training.split_model(model)
    opt_state = training.make_optimizer(tcfg.resolved()).init(params)
    traced = training.make_steps(graphdef, tcfg.resolved())[0].trace(params, opt_state, rest,
                                                                    batches.sample(data.make_rng(0)), np.int32(0))
    logged = [m["tokens_per_s"] for m in _metrics(pre.run_dir) if "tokens_per_s" in m][1:]  # the first holds the compile
    record["cost"].update(params=models.count_params(model),
                          flops_per_token_counted=_jaxpr_flops(traced.jaxpr.jaxpr) / batches.tokens_per_batch(),
                          flops_per_token_xla=xla_flops(traced.lower().compile()) / batches.tokens_per_batch(),
                          train_tokens_per_s=float(np.median(logged)) if logged else float("nan"),
                          wall_s=float("nan"))  # trained elsewhere
    fine = run.model if run is not pre else _finetuned_here(run, corpus, cc)
    record["dialogue"] = dialogue_scores(fine, corpus.tok, corpus.test_pairs, cc)
    record.update(seed=t.get("seed", 0), pretrain_tokens=tokens, finetune_tokens=cc.finetune_tokens)
    return record


def _finetuned_here(run, corpus: Corpus, cc: CompareConfig):
    batches, tcfg = _finetune_setup(run.config, corpus, cc, (run.train_config or {}).get("seed", 0))
    train_tokens(run.model, batches, tcfg)
    return run.model


def _metrics(run_dir) -> list[dict]:
    path = Path(run_dir) / "metrics.jsonl"
    return [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()] if path.exists() else []


# --- the command ------------------------------------------------------------------------------------


def compare_command(args) -> None:
    """``minisora compare``: flags -> CompareConfig -> report."""
    from .datasets import SHIPPED_DIALOGUES

    dialogues = Path(args.dialogues)
    test = args.test_dialogues
    if test is None and dialogues.resolve() == SHIPPED_DIALOGUES["train"].resolve():
        test = SHIPPED_DIALOGUES["test"]  # the shipped split; otherwise the last tenth is held out
    base = CompareConfig.quick_mode() if args.quick else CompareConfig()
    changes = {k: v for k, v in dict(preset=args.preset, budget_tokens=args.budget_tokens,
                                     finetune_tokens=args.finetune_tokens, vocab_size=args.vocab_size).items()
               if v is not None}
    if args.seeds is not None:
        changes["seeds"] = tuple(range(args.seeds))
    cc = dataclasses.replace(base, **changes)
    if args.runs:
        path = reuse_runs(args.runs, args.corpus, dialogues, args.out, cc, test_path=test)
    else:
        path = run_compare(args.corpus, dialogues, args.out, cc, test_path=test)
    print(f"report -> {path}")
    from .report import judge_claims

    for row in judge_claims(json.loads((Path(args.out) / "results.json").read_text(encoding="utf-8"))):
        print(f"  {row['claim']}: {row['verdict']}")
