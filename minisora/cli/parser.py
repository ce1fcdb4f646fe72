"""The ``minisora`` command line: every sub-command's flags, and nothing else.

Each sub-command stores its handler's name (``args.handler``); ``commands.py`` turns the parsed flags into
plain-argument library calls. Defaults and choices come from the library's own constants, so
they are written once.
"""

from __future__ import annotations

import argparse

from ..config import OPTIMIZERS, TrainConfig
from ..datasets import SHIPPED_CORPUS, SHIPPED_DIALOGUES
from ..tokenizer import MODEL_TYPES

TRAIN_DEFAULTS = TrainConfig()

def _add_tokenizer(sub) -> None:
    p = sub.add_parser("tokenizer", help="train and use SentencePiece tokenizers")
    tsub = p.add_subparsers(dest="tokenizer_command", required=True, metavar="{train,encode,decode}")

    t = tsub.add_parser("train", help="train a tokenizer on text files")
    t.add_argument("--input", nargs="+", required=True, metavar="FILE", help="UTF-8 text files")
    t.add_argument("--vocab-size", type=int, default=8000, help="number of pieces (default 8000)")
    t.add_argument("--model-type", choices=MODEL_TYPES, default="unigram")
    t.add_argument("--character-coverage", type=float, default=0.9995,
                   help="share of characters kept as pieces; the rest fall back to bytes (default 0.9995, right for Chinese)")
    t.add_argument("--out", required=True, metavar="DIR", help="directory to write the tokenizer to")
    t.set_defaults(handler="tokenizer_train")

    e = tsub.add_parser("encode", help="text -> ids (reads stdin when --text is absent)")
    e.add_argument("--tokenizer", required=True, metavar="DIR")
    e.add_argument("--text")
    e.add_argument("--pieces", action="store_true", help="print pieces instead of ids")
    e.set_defaults(handler="tokenizer_encode")

    d = tsub.add_parser("decode", help="ids -> text (reads stdin when no ids are given)")
    d.add_argument("--tokenizer", required=True, metavar="DIR")
    d.add_argument("ids", nargs="*")
    d.set_defaults(handler="tokenizer_decode")


def _add_data(sub) -> None:
    p = sub.add_parser("data", help="the shipped corpus, and Tiny Shakespeare for users who are online")
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="{info,shakespeare}")
    i = dsub.add_parser("info", help="list the data the repository ships")
    i.set_defaults(handler="data_info")
    s = dsub.add_parser("shakespeare", help="download Tiny Shakespeare (1.1 MB) and verify its sha256")
    s.add_argument("--out", default="data/tinyshakespeare.txt", metavar="FILE")
    s.set_defaults(handler="data_shakespeare")


def _add_demo(sub) -> None:
    p = sub.add_parser("demo", help="the whole pipeline on the shipped data, in a few CPU minutes")
    p.add_argument("--out", default="runs/demo", metavar="DIR", help="where the demo writes its runs")
    p.add_argument("--quick", action="store_true", help="a much shorter run (seconds), for tests")
    p.set_defaults(handler="demo")


def _add_import_hf(sub) -> None:
    p = sub.add_parser("import-hf", help="import a Hugging Face GPT-2 or BERT folder (config.json + model.safetensors)")
    p.add_argument("--from", dest="source", required=True, metavar="DIR")
    p.add_argument("--out", required=True, metavar="RUN_DIR")
    p.set_defaults(handler="import_hf")


def _add_optimizer_flags(p) -> None:
    """Flags pretrain and finetune share. Unset ones take TrainConfig's defaults (or, with
    --resume, the run's saved values)."""
    p.add_argument("--steps", type=int, help="total optimizer steps (default 1000 pretrain, 500 finetune)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=f"default {TRAIN_DEFAULTS.optimizer}")
    p.add_argument("--lr", type=float, help="peak learning rate (default: sgd 0.5, momentum 0.1, adamw 1e-3)")
    p.add_argument("--min-lr", type=float, help="learning rate at the end of the cosine (default lr/10)")
    p.add_argument("--warmup", type=int, help="linear warm-up steps (default 10%% of the steps, at most 100)")
    d = TRAIN_DEFAULTS
    p.add_argument("--weight-decay", type=float, help=f"AdamW weight decay on matrices (default {d.weight_decay})")
    p.add_argument("--clip", type=float, help=f"global gradient-norm clip (default {d.clip}; 0 = off)")
    p.add_argument("--batch-size", type=int, help=f"default {d.batch_size}")
    p.add_argument("--seed", type=int, help=f"default {d.seed}")
    p.add_argument("--checkpoint-every", type=int, metavar="K", help=f"default {d.checkpoint_every}")
    p.add_argument("--keep", type=int, metavar="N", help=f"checkpoints kept (default {d.keep})")
    p.add_argument("--eval-every", type=int, metavar="K", help=f"default {d.eval_every}")
    p.add_argument("--eval-batches", type=int, metavar="N", help=f"held-out batches per evaluation (default {d.eval_batches})")
    p.add_argument("--log-every", type=int, metavar="K", help=f"default {d.log_every}")


def _add_cpu_devices_flag(p) -> None:
    p.add_argument("--cpu-devices", type=int, metavar="N",
                   help="on CPU, split this host into N JAX devices so a --mesh can use every core (e.g. data=2)")


def _add_scale_out_flags(p, *, distributed: bool) -> None:
    """Devices, hosts, precision, memory, profiling (parallel/, training/profile.py)."""
    g = p.add_argument_group("scale out")
    g.add_argument("--mesh", metavar="SPEC",
                   help="device mesh, e.g. data=8, fsdp=8, data=4,fsdp=2 or data=2,fsdp=2,model=2 (one axis may be -1)")
    _add_cpu_devices_flag(g)
    if distributed:
        g.add_argument("--distributed", action="store_true",
                       help="one process per host, joined by jax.distributed (run the same command on every host)")
        g.add_argument("--coordinator", metavar="HOST:PORT", help="process 0's address (default $JAX_COORDINATOR_ADDRESS; "
                       "found automatically on TPU pods, Slurm, Open MPI)")
        g.add_argument("--num-processes", type=int, metavar="N", help="number of processes (default $JAX_NUM_PROCESSES)")
        g.add_argument("--process-id", type=int, metavar="I", help="this process, 0..N-1 (default $JAX_PROCESS_ID)")
    g.add_argument("--dtype", choices=("float32", "bfloat16"),
                   help="compute dtype of the matmuls (parameters, optimizer state and loss stay float32)")
    g.add_argument("--remat", action="store_true", help="recompute each block in the backward pass instead of storing it")
    g.add_argument("--scan-layers", action="store_true", help="run the stacked layers with one scan: compile time flat in depth")
    g.add_argument("--profile", metavar="DIR", help="jax.profiler trace of a few steps into DIR (TensorBoard, Perfetto)")


def _add_training(sub) -> None:
    p = sub.add_parser("pretrain", help="pre-train a Sora or ChatGPT on a text corpus")
    p.add_argument("--model", default="gpt", help="gpt (ChatGPT) or sora")
    p.add_argument("--corpus", required=True, metavar="FILE")
    p.add_argument("--tokenizer", metavar="DIR", help="a trained tokenizer (default: train one into the run)")
    p.add_argument("--vocab-size", type=int, default=4000, help="size of the tokenizer trained when --tokenizer is absent (default 4000)")
    p.add_argument("--out", required=True, metavar="RUN_DIR")
    p.add_argument("--preset", default="tiny")
    p.add_argument("--dropout", type=float, help="dropout rate (default: the preset's)")
    p.add_argument("--seq-len", type=int, help="tokens per row (default 128; Sora: prefix + continuation)")
    p.add_argument("--prefix-len", type=int, help="Sora: encoder tokens per row (default half of --seq-len)")
    _add_optimizer_flags(p)
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its newest good checkpoint")
    _add_scale_out_flags(p, distributed=True)
    p.set_defaults(handler="pretrain")

    f = sub.add_parser("finetune", help="fine-tune a pre-trained run on question/answer dialogues")
    f.add_argument("--from", dest="source", required=True, metavar="RUN_DIR")
    f.add_argument("--dialogues", required=True, metavar="FILE")
    f.add_argument("--out", required=True, metavar="RUN_DIR")
    f.add_argument("--seq-len", type=int, help="ChatGPT: tokens per row, short dialogues packed together (default: the model's context)")
    _add_optimizer_flags(f)
    f.add_argument("--resume", action="store_true", help="continue the run in --out from its newest good checkpoint")
    f.add_argument("--mesh", metavar="SPEC", help="device mesh of this host, as for pretrain (e.g. data=2)")
    _add_cpu_devices_flag(f)
    f.set_defaults(handler="finetune")


def _add_decoding(sub) -> None:
    g = sub.add_parser("generate", help="sample text from a trained run")
    g.add_argument("--run", required=True, metavar="RUN_DIR")
    g.add_argument("--prompt", default="")
    g.add_argument("--max-new-tokens", type=int, default=100)
    g.add_argument("--temperature", type=float, default=1.0)
    g.add_argument("--top-k", type=int)
    g.add_argument("--top-p", type=float)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--num-samples", type=int, default=1)
    g.set_defaults(handler="generate")

    c = sub.add_parser("chat", help="talk to a fine-tuned run (/reset, /quit)")
    c.add_argument("--run", required=True, metavar="RUN_DIR")
    c.add_argument("--max-new-tokens", type=int, default=64)
    c.add_argument("--temperature", type=float, default=0.0)
    c.add_argument("--top-k", type=int)
    c.add_argument("--top-p", type=float)
    c.add_argument("--seed", type=int, default=0)
    c.set_defaults(handler="chat")


def _add_bench(sub) -> None:
    p = sub.add_parser("bench", help="measure training and decoding speed")
    bsub = p.add_subparsers(dest="bench_command", required=True, metavar="{train,decode}")
    t = bsub.add_parser("train", help="tokens/s, ms/step, compile time and MFU of the train step")
    t.add_argument("--model", default="gpt")
    t.add_argument("--preset", default="baby")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--seq-len", type=int)
    t.add_argument("--optimizer", default="adamw")
    t.add_argument("--steps", type=int, default=50)
    t.add_argument("--json", action="store_true", help="end with one JSON line")
    _add_scale_out_flags(t, distributed=False)
    t.set_defaults(handler="bench_train")
    d = bsub.add_parser("decode", help="tokens/s of the scan decoder, cached and uncached")
    d.add_argument("--model", default="gpt")
    d.add_argument("--preset", default="baby")
    d.add_argument("--batch-size", type=int, default=1)
    d.add_argument("--prompt-len", type=int, default=10)
    d.add_argument("--new-tokens", type=int, default=200)
    d.add_argument("--json", action="store_true", help="end with one JSON line")
    d.add_argument("--mesh", metavar="SPEC", help="split the batch's rows over a device mesh, e.g. data=2")
    _add_cpu_devices_flag(d)
    d.set_defaults(handler="bench_decode")


def _add_compare(sub) -> None:
    p = sub.add_parser("compare", help="train a Sora and a ChatGPT of one size alike and report on the article's claims")
    p.add_argument("--corpus", default=str(SHIPPED_CORPUS), metavar="FILE", help="pre-training text (default: the shipped corpus)")
    p.add_argument("--dialogues", default=str(SHIPPED_DIALOGUES["train"]), metavar="FILE",
                   help="question/answer JSON lines to fine-tune on (default: the shipped train split)")
    p.add_argument("--test-dialogues", metavar="FILE",
                   help="held-out questions to score (default: the shipped test split, or the last 10 %% of --dialogues)")
    p.add_argument("--out", required=True, metavar="DIR", help="where report.md, results.json and the figures go")
    p.add_argument("--preset", help="model shape (default tiny); Sora's LSTM is sized to match ChatGPT's parameters")
    p.add_argument("--budget-tokens", type=int, metavar="N", help="pre-training tokens per model and seed (default 500000)")
    p.add_argument("--finetune-tokens", type=int, metavar="N", help="fine-tuning tokens per model and seed (default 100000)")
    p.add_argument("--vocab-size", type=int, help="pieces of the shared tokenizer (default 4000)")
    p.add_argument("--seeds", type=int, metavar="K", help="seeds 0..K-1 per model (default 3)")
    p.add_argument("--runs", nargs=2, metavar=("A", "B"), help="measure two trained runs (one Sora, one ChatGPT) instead of training")
    p.add_argument("--quick", action="store_true", help="a tiny budget and two seeds: under a minute, for tests")
    p.set_defaults(handler="compare")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minisora",
        description="The article's Sora (encoder -> LSTM) and ChatGPT (causal decoder), in JAX + Flax.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(sub)
    _add_tokenizer(sub)
    _add_data(sub)
    _add_training(sub)
    _add_decoding(sub)
    _add_bench(sub)
    _add_import_hf(sub)
    _add_compare(sub)
    return parser
