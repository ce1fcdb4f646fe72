"""The two training jobs, from files on disk to a run directory, with plain arguments.

    pretrain(corpus, out, model_config, train_config)     corpus -> tokenizer -> windows -> a run
    finetune(source, dialogues, out, train_config)        a run + question/answer pairs -> a new run

``minisora pretrain`` / ``finetune`` are these functions behind argparse (cli/commands.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .. import parallel
from ..config import ModelConfig, TrainConfig, check_lengths
from ..datasets import load_dialogues, read_text
from ..errors import UserError
from ..nn import count_params, create
from ..tokenizer import (
    Tokenizer,
    copy_tokenizer,
    describe_pieces,
    require_minisora_ids,
    train_tokenizer,
)
from . import batches as batching
from . import log, rundir
from .loop import TrainResult, train
from .losses import piece_bytes


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def saved_configs(run_dir, steps: int | None = None) -> tuple[ModelConfig, TrainConfig]:
    """A run's own ModelConfig and TrainConfig, to resume it (``steps``: train on to this many)."""
    saved = rundir.read_config(run_dir)
    if not saved.get("train"):
        raise UserError(f"{run_dir} was not made by training (it has no training settings); it cannot be resumed.")
    cfg = TrainConfig.from_dict(saved["train"])
    return ModelConfig.from_dict(saved["model"]), cfg.replace(steps=steps or cfg.steps)


def n_dialogues(n: int) -> str:
    """'1 dialogue', '12 dialogues'."""
    return f"{n} dialogue{'s' * (n != 1)}"


def _check_fresh(out: Path) -> None:
    if rundir.holds_run(out):
        raise UserError(f"{out} already holds a run; pass --resume to continue it, or choose another --out.")


def pretrain(corpus, out, model_config: ModelConfig, train_config: TrainConfig, *, tokenizer=None,
             vocab_size: int = 4000, tokenizer_type: str = "unigram", resume: bool = False, mesh=None,
             profile=None, quiet: bool = False) -> TrainResult:
    """Pre-train a model of ``model_config`` on the text file ``corpus`` into the run ``out``.

    ``tokenizer``: a trained tokenizer directory to copy into the run (default: train one of
    ``vocab_size`` pieces on the corpus, of ``tokenizer_type`` unigram, bpe or char; a char
    tokenizer has a piece per character of the text, ``vocab_size`` at most). ``resume``:
    continue ``out`` from its newest good checkpoint (pass the run's ``saved_configs``).
    ``mesh``: shard the step over a device mesh.
    """
    out = Path(out)
    cfg = train_config.resolved()
    check_lengths(model_config, cfg)
    if not resume:
        _check_fresh(out)
    parallel.barrier("run directory checked")  # before any process writes into it
    text = read_text(corpus)
    if resume:
        if (rundir.read_config(out).get("data") or {}).get("sha256") not in (None, sha256(corpus)):
            raise UserError(f"{corpus} is not the corpus this run was trained on; resume with the same file.")
    elif parallel.is_main_process():  # one writer; the other processes read what it wrote
        if tokenizer:
            copy_tokenizer(tokenizer, out / rundir.TOKENIZER_DIR)
        else:
            trained = train_tokenizer([corpus], out / rundir.TOKENIZER_DIR, vocab_size=vocab_size,
                                      model_type=tokenizer_type)
            if not quiet:
                print(f"trained a {tokenizer_type} tokenizer on {corpus}: {describe_pieces(trained, text)}")
    parallel.barrier("tokenizer written")
    tok = Tokenizer.load(out / rundir.TOKENIZER_DIR)
    require_minisora_ids(tok, "Pre-training")
    model_config = model_config.replace(vocab_size=tok.vocab_size)
    train_ids, val_ids = batching.split_held_out(np.asarray(tok.encode(text), np.int32))
    for split, part in (("training", train_ids), ("held-out", val_ids)):
        if len(part) < cfg.seq_len + 1:
            raise UserError(
                f"The corpus's {split} split has {len(part)} tokens, fewer than one window of {cfg.seq_len + 1}; "
                "use a longer corpus or a smaller --seq-len."
            )
    batches = batching.Batches(model_config.family, "text", train_ids, val_ids, batch_size=cfg.batch_size,
                               seq_len=cfg.seq_len, vocab_size=model_config.vocab_size, prefix_len=cfg.prefix_len,
                               token_bytes=piece_bytes(tok))
    if not resume and parallel.is_main_process():
        rundir.write_config(out, model_config, cfg, {"corpus": str(corpus), "sha256": sha256(corpus)})
    model = create(model_config, seed=cfg.seed)
    if not quiet:
        print(f"pre-training {model_config.family} ({count_params(model):,} parameters) on {len(train_ids):,} "
              f"tokens of {corpus}; held out: its last {len(val_ids):,} tokens (10 %) -> {out}")
        if mesh is not None and parallel.is_main_process():
            print(parallel.sharding_table(model, mesh))
    result = train(model, batches, cfg, out, resume=resume, mesh=mesh, profile=profile, quiet=quiet)
    if parallel.is_main_process() and not quiet:
        print(log.held_out_summary(out, f"the last 10 % of {corpus}") or "")
    return result


def finetune(source, dialogues, out, train_config: TrainConfig, *, validation=None, seq_len: int | None = None,
             resume: bool = False, mesh=None, quiet: bool = False) -> TrainResult:
    """Fine-tune the run ``source`` on the question/answer JSON lines ``dialogues`` into ``out``.

    Rows: ChatGPT packs dialogues into rows of ``seq_len`` tokens (default: its context, the
    layout chat feeds it); Sora's encoder gets the longest question, its decoder the longest
    answer. The held-out loss is measured on the dialogues of the file ``validation`` (default:
    the last 10 % of ``dialogues``, which are then not trained on). ``resume``: pass the run's
    ``saved_configs``.
    """
    out = Path(out)
    if not resume:
        _check_fresh(out)
    saved, config, model, step = rundir.load_model(source)
    tok = rundir.load_tokenizer(source)
    if tok is None:
        raise UserError(f"{source} has no tokenizer (an imported run); fine-tune a run minisora trained.")
    require_minisora_ids(tok, "Fine-tuning on dialogues")
    pairs = [(tok.encode(q), tok.encode(a)) for q, a in load_dialogues(dialogues)]
    if validation is not None:
        train_pairs, val_pairs = pairs, [(tok.encode(q), tok.encode(a)) for q, a in load_dialogues(validation)]
        held_out = f"the {n_dialogues(len(val_pairs))} of {validation}"
    else:
        if len(pairs) < 2:
            raise UserError(f"{dialogues} has {len(pairs)} dialogue(s); fine-tuning needs at least 2 "
                            "(10 % are held out), or a validation file.")
        train_pairs, val_pairs = batching.split_held_out(pairs)
        held_out = f"the last {n_dialogues(len(val_pairs))} (10 %) of {dialogues}"
    pairs = train_pairs + val_pairs
    cfg = train_config.replace(kind="dialogue")
    if not resume:  # fixed lengths
        prompt_len, answer_len = batching.dialogue_lengths(pairs, config.max_len)
        if config.family == "gpt":  # rows of packed dialogues as long as the context, which chat fills with history
            cfg = cfg.replace(seq_len=seq_len or config.max_len)
        else:  # Sora: the longest question and the longest answer
            cfg = cfg.replace(prefix_len=prompt_len, seq_len=prompt_len + answer_len)
    cfg = cfg.resolved()
    check_lengths(config, cfg)
    if not resume:
        copy_tokenizer(Path(source) / rundir.TOKENIZER_DIR, out / rundir.TOKENIZER_DIR)
        data = {"dialogues": str(dialogues), "sha256": sha256(dialogues), "from": str(source), "from_step": step}
        if validation is not None:
            data.update(validation=str(validation), validation_sha256=sha256(validation))
        rundir.write_config(out, config, cfg, data)
    batches = batching.Batches(config.family, "dialogue", train_pairs, val_pairs, batch_size=cfg.batch_size,
                               seq_len=cfg.seq_len, vocab_size=config.vocab_size, prefix_len=cfg.prefix_len,
                               token_bytes=piece_bytes(tok))
    if not quiet:
        print(f"fine-tuning {source} (step {step}) on {n_dialogues(len(train_pairs))} of {dialogues}; "
              f"held out: {held_out} -> {out}")
    result = train(model, batches, cfg, out, resume=resume, mesh=mesh, quiet=quiet)
    if not quiet:
        print(log.held_out_summary(out, held_out) or "")
    return result
