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
    language    held-out continuation loss L = −(1/C) Σ_t log p(y_t | prompt, y_<t) (nats/token),
                perplexity exp(L), at regular points of pre-training, and bits per UTF-8 byte of
                the continuations, Σ_t −log p / (ln 2 · bytes), which no tokenizer choice changes
    context     the same loss as a function of the prompt length P (same continuations for all P)
    dialogue    exact match and token F1 of greedy answers on the held-out test questions
    diversity   distinct-1/2 and the repeated 3-gram rate of samples at one temperature

Training is the project's one loop (training/loop.py) without files: a token budget, evaluation
points, timings, no checkpoints, so that a whole comparison fits in minutes. The measurements
themselves are in measure.py; report.py turns them into verdicts and figures.
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
from ..datasets import load_dialogues, read_text
from ..errors import UserError
from ..inference.run import load
from ..tokenizer import train_tokenizer
from ..training import batches as batching
from ..training import log
from ..training.loop import compile_step, train
from ..training.losses import bits_per_byte, perplexity, piece_bytes
from ..training.rundir import read_config
from .flops import jaxpr_flops, xla_flops
from .measure import ContextSet, context_curve, dialogue_scores, diversity, eval_windows, state_bytes
from .report import write_report

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


def param_count(config: ModelConfig) -> int:
    """Parameters of a model of ``config``, from its arrays' shapes (nothing is initialised)."""
    return nn.count_params(nnx.eval_shape(lambda: nn.create(config)))


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


# --- one model, one seed ----------------------------------------------------------------------


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


def _pretrain_config(cc: CompareConfig, seed: int) -> TrainConfig:
    steps = max(1, cc.budget_tokens // (cc.batch_size * cc.seq_len))
    return TrainConfig(kind="text", steps=steps, batch_size=cc.batch_size, seq_len=cc.seq_len,
                                prefix_len=cc.prefix_len, optimizer="adamw", lr=cc.lr, seed=seed)


def _finetune_setup(config, corpus: Corpus, cc: CompareConfig, seed: int):
    """Dialogue batches and train config: rows as long as the longest pair, so both models process
    the same tokens per step (ChatGPT packs shorter dialogues into its rows, as ``minisora finetune``
    does; Sora pads each pair)."""
    prompt_len, answer_len = batching.dialogue_lengths(corpus.dialogue_train, config.max_len)
    T = min(config.max_len, prompt_len + answer_len)
    S = prompt_len if config.family == "sora" else None
    steps = max(1, cc.finetune_tokens // (cc.batch_size * T))
    tcfg = TrainConfig(kind="dialogue", steps=steps, batch_size=cc.batch_size, seq_len=T, prefix_len=S,
                                optimizer="adamw", lr=cc.finetune_lr, seed=seed)
    batches = batching.Batches(config.family, "dialogue", corpus.dialogue_train, corpus.dialogue_train[:1],
                           batch_size=cc.batch_size, seq_len=T, vocab_size=config.vocab_size, prefix_len=S)
    return batches, tcfg


def text_batches(config, corpus: Corpus, cc: CompareConfig) -> batching.Batches:
    return batching.Batches(config.family, "text", corpus.train_ids, corpus.val_ids, batch_size=cc.batch_size,
                        seq_len=cc.seq_len, vocab_size=config.vocab_size, prefix_len=cc.prefix_len)


def measure_pretrained(model, corpus: Corpus, cc: CompareConfig, seed: int, rows: ContextSet) -> dict:
    """Everything measured on a pre-trained model: context curve, diversity, decoding cost."""
    prompts = [list(w) for w in eval_windows(corpus.val_ids, cc.diversity_prompts, cc.diversity_prompt_len, 0)]
    div = diversity(model, corpus.tok, prompts, new_tokens=cc.diversity_tokens, temperature=cc.temperature, seed=seed)
    room = model.config.max_len - 16  # the longest generation after a 16-token prompt
    lengths = [n for n in (16, 32, 64, 128, 256, 512) if n < room] + [room]
    sb = state_bytes(model, lengths)
    cost = {"decode_tokens_per_s": div.pop("decode_tokens_per_s"), "state_bytes": sb, "state_bytes_max": sb["bytes"][-1]}
    return {"context": context_curve(model, rows), "diversity": div, "cost": cost}


def lm_record(tokens, val_loss, lm_rows: ContextSet, tok) -> dict:
    """The language-modelling curve and its end: nats/token, perplexity, and bits per byte
    = (mean loss · the C·K scored tokens) / (ln 2 · their UTF-8 bytes)."""
    n_bytes, n_tokens = lm_rows.continuation_bytes(piece_bytes(tok)), lm_rows.cont.size
    bpb = [bits_per_byte(v * n_tokens, n_bytes) for v in val_loss]
    return {"tokens": tokens, "val_loss": val_loss, "val_bpb": bpb, "final_loss": val_loss[-1],
            "final_ppl": float(perplexity(val_loss[-1])), "final_bpb": bpb[-1], "bytes": n_bytes}


def run_one(config, corpus: Corpus, cc: CompareConfig, seed: int, rows: ContextSet, advance) -> dict:
    """Pre-train, measure, fine-tune and score one model of ``config`` with ``seed``."""
    start = time.perf_counter()
    model = nn.create(config, seed=seed)
    tcfg = _pretrain_config(cc, seed)
    eval_steps = sorted({max(1, round(tcfg.steps * (k + 1) / cc.eval_points)) for k in range(cc.eval_points)})
    lm_rows = rows.only(cc.lm_length())  # a small set for the curve; the full one runs once at the end
    advance(f"{config.family} seed {seed}: pre-training")
    pre = train(model, text_batches(config, corpus, cc), tcfg, eval_at=eval_steps,
                evaluate_fn=lambda m: lm_rows.losses(m)[0], on_step=lambda t: advance(1))
    advance(f"{config.family} seed {seed}: context, diversity, decoding cost")
    record = measure_pretrained(model, corpus, cc, seed, rows)
    batches, ftcfg = _finetune_setup(config, corpus, cc, seed)
    advance(f"{config.family} seed {seed}: fine-tuning")
    fine = train(model, batches, ftcfg, on_step=lambda t: advance(1))
    advance(f"{config.family} seed {seed}: answering the test questions")
    record["dialogue"] = dialogue_scores(model, corpus.tok, corpus.test_pairs, cc.answer_tokens)
    tokens, val_loss = [t * pre.tokens_per_step for t, _ in pre.evals], [v for _, v in pre.evals]
    record["lm"] = lm_record(tokens, val_loss, lm_rows, corpus.tok)
    record["cost"].update(params=nn.count_params(model), **step_flops(pre.traced, pre.compiled, pre.tokens_per_step),
                          train_tokens_per_s=pre.steps * pre.tokens_per_step / max(pre.train_s, 1e-9),
                          compile_s=pre.compile_s + fine.compile_s, pretrain_s=pre.train_s,
                          finetune_s=fine.train_s, wall_s=time.perf_counter() - start)
    record.update(seed=seed, pretrain_tokens=pre.steps * pre.tokens_per_step,
                  finetune_tokens=fine.steps * fine.tokens_per_step)
    return record


# --- the whole job ----------------------------------------------------------------------------


def prepare_corpus(corpus_path, dialogues_path, test_path, out: Path, cc: CompareConfig, tok=None) -> Corpus:
    text = read_text(corpus_path)
    if tok is None:
        tok = train_tokenizer([corpus_path], out / "tokenizer", vocab_size=cc.vocab_size)
    ids = np.asarray(tok.encode(text), np.int32)
    train_ids, val_ids = batching.split_held_out(ids)
    pairs = load_dialogues(dialogues_path)
    if test_path is not None:
        test = load_dialogues(test_path)
    else:  # no test file: hold out the last tenth of the dialogues
        pairs, test = batching.split_held_out(pairs)
    if len(pairs) < 2:
        raise UserError(f"{dialogues_path} has too few dialogues to fine-tune on.")
    dialogue_train = [(tok.encode(q), tok.encode(a)) for q, a in pairs]
    return Corpus(tok, train_ids, val_ids, dialogue_train, test)


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
    with log.progress_bar(quiet, training=False) as bar:
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
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
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
    with log.progress_bar(quiet, training=False) as bar:
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
    record["lm"] = lm_record([tokens], [loss], rows.only(cc.lm_length()), corpus.tok)
    tcfg = TrainConfig.from_dict({**t, "kind": "text"}) if t else _pretrain_config(cc, 0)
    batches = text_batches(pre.config, corpus, dataclasses.replace(cc, batch_size=tcfg.batch_size, seq_len=tcfg.seq_len,
                                                                     prefix_len=tcfg.encoder_len))
    traced, compiled = compile_step(model, batches, tcfg)
    logged = [m["tokens_per_s"] for m in log.read_metrics(pre.run_dir) if "tokens_per_s" in m]
    record["cost"].update(params=nn.count_params(model), **step_flops(traced, compiled, batches.tokens_per_batch()),
                          train_tokens_per_s=float(np.median(logged)) if logged else float("nan"),
                          wall_s=float("nan"))  # trained elsewhere
    fine = run.model if run is not pre else _finetuned_here(run, corpus, cc)
    record["dialogue"] = dialogue_scores(fine, corpus.tok, corpus.test_pairs, cc.answer_tokens)
    record.update(seed=t.get("seed", 0), pretrain_tokens=tokens, finetune_tokens=cc.finetune_tokens)
    return record


def _finetuned_here(run, corpus: Corpus, cc: CompareConfig):
    batches, tcfg = _finetune_setup(run.config, corpus, cc, (run.train_config or {}).get("seed", 0))
    train(run.model, batches, tcfg)
    return run.model
