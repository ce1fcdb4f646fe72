"""The ``minisora`` command line: every sub-command's flags, and nothing else.

Each sub-command stores its handler's name (``args.handler``); ``commands.py`` turns the parsed flags into
plain-argument library calls. Defaults and choices come from the library's own constants, so
they are written once; every flag's help is one line that ends with its default (``HelpFormatter``).
"""

from __future__ import annotations

import argparse

from ..config import FAMILIES, OPTIMIZERS, PRESETS, TrainConfig, describe_presets
from ..datasets import SHIPPED_CORPUS, SHIPPED_DIALOGUES
from ..inference.sampling import (
    DEFAULT_MAX_NEW_TOKENS,
    DEFAULT_SEED,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    DEFAULT_TOP_P,
)
from ..tokenizer import MODEL_TYPES
from ..tools.bench import BENCH_SHAPES, DEFAULT_SHAPE
from ..tools.compare import BUDGETS

TRAIN_DEFAULTS = TrainConfig()


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Each flag's help ends with its default: the help's own words where they say it ("default: …"),
    else the parser's value; a switch is off unless given, and a required flag says so. Epilogs keep
    their line breaks (the presets table)."""

    def _get_help_string(self, action):  # argparse's hook, the one ArgumentDefaultsHelpFormatter overrides
        text = action.help or ""
        if "default" in text or action.default is argparse.SUPPRESS:
            return text
        if action.required:
            return f"{text} (required)"
        if action.nargs == 0:  # a switch: store_true
            return f"{text} (default: off)"
        return text if action.default is None else f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse's parser with ``HelpFormatter``; ``add_subparsers`` makes every sub-command one too."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def _preset_metavar() -> str:
    return "{" + ",".join(PRESETS) + "}"  # the choices, shown; config_from_preset checks the name


def _add_tokenizer(sub) -> None:
    p = sub.add_parser("tokenizer", help="train and use SentencePiece tokenizers")
    tsub = p.add_subparsers(dest="tokenizer_command", required=True, metavar="{train,encode,decode}")

    t = tsub.add_parser("train", help="train a tokenizer on text files")
    t.add_argument("--input", nargs="+", required=True, metavar="FILE", help="UTF-8 text files")
    t.add_argument("--vocab-size", type=int, default=8000, help="number of pieces (a char tokenizer: at most)")
    t.add_argument("--model-type", choices=MODEL_TYPES, default=MODEL_TYPES[0],
                   help="SentencePiece's algorithm; char gives one piece per character")
    t.add_argument("--character-coverage", type=float, default=0.9995,
                   help="share of the text's characters that get a piece; rarer ones are spelled as bytes (0.9995 suits Chinese)")
    t.add_argument("--out", required=True, metavar="DIR", help="directory to write the tokenizer to")
    t.set_defaults(handler="tokenizer_train")

    e = tsub.add_parser("encode", help="text -> ids (reads stdin when --text is absent)")
    e.add_argument("--tokenizer", required=True, metavar="DIR", help="a tokenizer folder (tokenizer train --out, or a run's tokenizer/)")
    e.add_argument("--text", help="the text to encode (default: read stdin)")
    e.add_argument("--pieces", action="store_true", help="print pieces instead of ids")
    e.set_defaults(handler="tokenizer_encode")

    d = tsub.add_parser("decode", help="ids -> text (reads stdin when no ids are given)")
    d.add_argument("--tokenizer", required=True, metavar="DIR", help="a tokenizer folder (tokenizer train --out, or a run's tokenizer/)")
    d.add_argument("ids", nargs="*", help="ids to decode (default: read them from stdin)")
    d.set_defaults(handler="tokenizer_decode")


def _add_data(sub) -> None:
    p = sub.add_parser("data", help="the shipped corpus, and Tiny Shakespeare for users who are online")
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="{info,shakespeare}")
    i = dsub.add_parser("info", help="list the data the repository ships")
    i.set_defaults(handler="data_info")
    s = dsub.add_parser("shakespeare", help="download Tiny Shakespeare (1.1 MB) and verify its sha256")
    s.add_argument("--out", default="data/tinyshakespeare.txt", metavar="FILE", help="where to save it")
    s.set_defaults(handler="data_shakespeare")


def _add_demo(sub) -> None:
    p = sub.add_parser("demo", help="the whole pipeline on the shipped data, in a few CPU minutes")
    p.add_argument("--out", default="runs/demo", metavar="DIR", help="where the demo writes its runs")
    p.add_argument("--quick", action="store_true", help="a much shorter run (seconds), for tests")
    p.set_defaults(handler="demo")


def _add_import_hf(sub) -> None:
    p = sub.add_parser("import-hf", help="import a Hugging Face GPT-2 or BERT folder (config.json + model.safetensors"
                                         " + tokenizer.json when it has one)")
    p.add_argument("--from", dest="source", required=True, metavar="DIR",
                   help="the model folder (as save_pretrained writes it); its tokenizer.json comes too")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="the run to write (must not hold a run)")
    p.set_defaults(handler="import_hf")


def _add_export_hf(sub) -> None:
    p = sub.add_parser("export-hf", help="export a run as a Hugging Face folder: ChatGPT -> GPT2LMHeadModel, "
                                         "Sora's encoder -> BertForMaskedLM")
    p.add_argument("--run", required=True, metavar="RUN_DIR", help="the run to export (its newest good checkpoint)")
    p.add_argument("--out", required=True, metavar="DIR", help="the folder to write (absent or empty)")
    p.set_defaults(handler="export_hf")


def _add_optimizer_flags(p) -> None:
    """Flags pretrain and finetune share. Unset ones take TrainConfig's defaults (or, with
    --resume, the run's saved values)."""
    p.add_argument("--steps", type=int, help="total optimizer steps (default 1000 pretrain, 500 finetune)")
    d = TRAIN_DEFAULTS
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=f"the update rule (default {d.optimizer})")
    p.add_argument("--lr", type=float, help="peak learning rate (default: sgd 0.5, momentum 0.1, adamw 1e-3)")
    p.add_argument("--min-lr", type=float, help="learning rate at the end of the cosine (default lr/10)")
    p.add_argument("--warmup", type=int, help="linear warm-up steps (default 10%% of the steps, at most 100)")
    p.add_argument("--weight-decay", type=float, help=f"AdamW weight decay on matrices (default {d.weight_decay})")
    p.add_argument("--clip", type=float, help=f"global gradient-norm clip (default {d.clip}; 0 = off)")
    p.add_argument("--batch-size", type=int, help=f"rows per step (default {d.batch_size})")
    p.add_argument("--seed", type=int, help=f"seed of the initial weights and of the batches (default {d.seed})")
    p.add_argument("--checkpoint-every", type=int, metavar="K", help=f"save a checkpoint every K steps (default {d.checkpoint_every})")
    p.add_argument("--keep", type=int, metavar="N", help=f"checkpoints kept (default {d.keep})")
    p.add_argument("--eval-every", type=int, metavar="K",
                   help=f"measure and print the held-out loss every K steps, and at the end (default {d.eval_every})")
    p.add_argument("--eval-batches", type=int, metavar="N", help=f"held-out batches per evaluation (default {d.eval_batches})")
    p.add_argument("--log-every", type=int, metavar="K", help=f"log the training loss to metrics.jsonl every K steps (default {d.log_every})")


def _add_cpu_devices_flag(p) -> None:
    p.add_argument("--cpu-devices", type=int, metavar="N",
                   help="on CPU, split this host into N JAX devices so a --mesh can use every core (e.g. 2; default: 1)")


def _add_scale_out_flags(p, *, distributed: bool) -> None:
    """Devices, hosts, precision, memory, profiling (parallel/, training/profile.py)."""
    g = p.add_argument_group("scale out")
    g.add_argument("--mesh", metavar="SPEC", help="device mesh, e.g. data=8, fsdp=8, data=4,fsdp=2 or data=2,fsdp=2,model=2 "
                   "(one axis may be -1; default: one device, or data=-1 with --distributed)")
    _add_cpu_devices_flag(g)
    if distributed:
        g.add_argument("--distributed", action="store_true",
                       help="one process per host, joined by jax.distributed (run the same command on every host)")
        g.add_argument("--coordinator", metavar="HOST:PORT", help="process 0's address (default $JAX_COORDINATOR_ADDRESS; "
                       "found automatically on TPU pods, Slurm, Open MPI)")
        g.add_argument("--num-processes", type=int, metavar="N", help="number of processes (default $JAX_NUM_PROCESSES)")
        g.add_argument("--process-id", type=int, metavar="I", help="this process, 0..N-1 (default $JAX_PROCESS_ID)")
    g.add_argument("--dtype", choices=("float32", "bfloat16"),
                   help="compute dtype of the matmuls; parameters, optimizer state and loss stay float32 (default: float32)")
    g.add_argument("--remat", action="store_true", help="recompute each block in the backward pass instead of storing it")
    g.add_argument("--scan-layers", action="store_true", help="run the stacked layers with one scan: compile time flat in depth")
    g.add_argument("--profile", metavar="DIR",
                   help="jax.profiler trace of a few steps into DIR, for TensorBoard or Perfetto (default: none)")


def _add_training(sub) -> None:
    p = sub.add_parser("pretrain", help="pre-train a Sora or ChatGPT on a text corpus",
                       epilog=f"presets (--preset):\n{describe_presets()}\n(layers: ChatGPT's decoder blocks, or Sora's "
                              "encoder blocks before its LSTM; the vocabulary is the tokenizer's)")
    p.add_argument("--model", default="gpt", metavar="{" + ",".join(FAMILIES) + "}",
                   help="gpt (ChatGPT, the causal decoder) or sora (encoder -> LSTM)")
    p.add_argument("--corpus", required=True, metavar="FILE", help="UTF-8 text to pre-train on; its last 10%% is held out")
    p.add_argument("--tokenizer", metavar="DIR",
                   help="a trained tokenizer to copy into the run (default: train one on the corpus: --tokenizer-type, --vocab-size)")
    p.add_argument("--tokenizer-type", choices=MODEL_TYPES, default=MODEL_TYPES[0],
                   help="the tokenizer trained into the run without --tokenizer; char: one piece per character")
    p.add_argument("--vocab-size", type=int, default=4000,
                   help="pieces of the tokenizer trained into the run (a char tokenizer: at most)")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="the run directory to write")
    p.add_argument("--preset", default="tiny", metavar=_preset_metavar(), help="the model's shape (listed below)")
    p.add_argument("--context", type=int, metavar="N",
                   help="the model's context: its position table, the longest prompt + answer it reads (default: the preset's)")
    p.add_argument("--dropout", type=float, help="dropout rate (default: the preset's)")
    p.add_argument("--seq-len", type=int, help=f"tokens per row (default {TRAIN_DEFAULTS.seq_len}, or the context if shorter; "
                   "Sora: prefix + continuation)")
    p.add_argument("--prefix-len", type=int, help="Sora: encoder tokens per row (default half of --seq-len)")
    _add_optimizer_flags(p)
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its newest good checkpoint")
    _add_scale_out_flags(p, distributed=True)
    p.set_defaults(handler="pretrain")

    f = sub.add_parser("finetune", help="fine-tune a pre-trained run on question/answer dialogues")
    f.add_argument("--from", dest="source", required=True, metavar="RUN_DIR", help="the pre-trained run to start from")
    f.add_argument("--dialogues", required=True, metavar="FILE",
                   help='question/answer JSON lines to train on, one {"question": …, "answer": …} a line')
    f.add_argument("--validation", metavar="FILE", help="question/answer JSON lines to measure the held-out loss on "
                   "(default: validation.jsonl beside a train.jsonl, as data/dialogues/ ships; else the last 10%% of --dialogues)")
    f.add_argument("--out", required=True, metavar="RUN_DIR", help="the run directory to write")
    f.add_argument("--seq-len", type=int, help="ChatGPT: tokens per row, short dialogues packed together (default: the model's context)")
    _add_optimizer_flags(f)
    f.add_argument("--resume", action="store_true", help="continue the run in --out from its newest good checkpoint")
    f.add_argument("--mesh", metavar="SPEC", help="device mesh of this host, as for pretrain (e.g. data=2; default: one device)")
    _add_cpu_devices_flag(f)
    f.set_defaults(handler="finetune")


def _add_sampling_flags(p) -> None:
    """generate and chat: the defaults of inference/sampling.py, which Run.generate uses too."""
    p.add_argument("--max-new-tokens", type=int, default=DEFAULT_MAX_NEW_TOKENS, metavar="N",
                   help="tokens to generate at most; with the prompt they must fit the model's context")
    p.add_argument("--temperature", type=float, default=DEFAULT_TEMPERATURE, metavar="T",
                   help="0 = greedy (the most likely token each step); > 0 samples from softmax(logits / T)")
    p.add_argument("--top-k", type=int, default=DEFAULT_TOP_K, metavar="K",
                   help="with --temperature > 0, sample among the K most likely tokens only (default: off)")
    p.add_argument("--top-p", type=float, default=DEFAULT_TOP_P, metavar="P",
                   help="with --temperature > 0, sample among the most likely tokens that hold probability P (default: off)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the random draws (with --temperature > 0)")


def _add_decoding(sub) -> None:
    g = sub.add_parser("generate", help="continue a prompt with a trained run (a fine-tuned run answers it)")
    g.add_argument("--run", required=True, metavar="RUN_DIR", help="a run directory (pretrain or finetune --out)")
    prompt = g.add_mutually_exclusive_group()
    prompt.add_argument("--prompt", default="", metavar="TEXT",
                        help="the text to continue, or a fine-tuned run's question (default: none, start from <s>)")
    prompt.add_argument("--prompt-file", metavar="FILE", help="read the prompt from FILE, trailing newlines dropped (default: --prompt)")
    _add_sampling_flags(g)
    g.add_argument("--num-samples", type=int, default=1, metavar="N", help="samples of the prompt, each printed in turn")
    g.set_defaults(handler="generate")

    c = sub.add_parser("chat", help="talk to a fine-tuned run (/reset, /quit)")
    c.add_argument("--run", required=True, metavar="RUN_DIR", help="a fine-tuned run directory (finetune --out)")
    _add_sampling_flags(c)
    c.set_defaults(handler="chat")


def _add_bench(sub) -> None:
    p = sub.add_parser("bench", help="measure training and decoding speed")
    bsub = p.add_subparsers(dest="bench_command", required=True, metavar="{train,decode,serve}")
    t = bsub.add_parser("train", help="tokens/s, ms/step, compile time and MFU of the train step")
    (B_baby, T_baby), (B, T) = BENCH_SHAPES["baby"], DEFAULT_SHAPE
    t.add_argument("--model", default="gpt", metavar="{" + ",".join(FAMILIES) + "}", help="gpt (ChatGPT) or sora")
    t.add_argument("--preset", default="baby", metavar=_preset_metavar(), help="the model's shape (`minisora presets`)")
    t.add_argument("--batch-size", type=int, help=f"rows per step (default {B_baby} for baby, as nanoGPT; else {B})")
    t.add_argument("--seq-len", type=int, help=f"tokens per row (default {T_baby} for baby; else {T}, at most the context)")
    t.add_argument("--optimizer", choices=OPTIMIZERS, default=TRAIN_DEFAULTS.optimizer, help="the update rule")
    t.add_argument("--steps", type=int, default=50, help="timed steps, after the compile and a few warm-up steps")
    t.add_argument("--json", action="store_true", help="end with one JSON line")
    _add_scale_out_flags(t, distributed=False)
    t.set_defaults(handler="bench_train")
    d = bsub.add_parser("decode", help="tokens/s of the scan decoder, cached and uncached")
    d.add_argument("--model", default="gpt", metavar="{" + ",".join(FAMILIES) + "}", help="gpt (ChatGPT) or sora")
    d.add_argument("--preset", default="baby", metavar=_preset_metavar(), help="the model's shape (`minisora presets`)")
    d.add_argument("--batch-size", type=int, default=1, help="rows decoded together")
    d.add_argument("--prompt-len", type=int, default=10, help="tokens of each row's (random) prompt")
    d.add_argument("--new-tokens", type=int, default=200, help="tokens generated per row, greedy")
    d.add_argument("--json", action="store_true", help="end with one JSON line")
    d.add_argument("--mesh", metavar="SPEC", help="split the batch's rows over a device mesh, e.g. data=2 (default: one device)")
    _add_cpu_devices_flag(d)
    d.set_defaults(handler="bench_decode")
    v = bsub.add_parser("serve", help="aggregate tokens/s and latency of a server under N streaming clients (HTTP)")
    v.add_argument("--run", metavar="RUN_DIR", help="serve this run (minisora serve, in a second process) and measure it (default: none; give --run or --url)")
    v.add_argument("--url", metavar="URL", help="measure a server already running instead, any OpenAI-compatible one (default: none)")
    v.add_argument("--model", help="the model id to ask (default: the server's first)")
    v.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32], metavar="N",
                   help="rounds of N concurrent streaming clients")
    v.add_argument("--max-tokens", type=int, default=128, help="new tokens per request (greedy)")
    v.add_argument("--repeat", type=int, default=1, metavar="R",
                   help="run each round R times and report the one of median tokens/s (all R rates go in --json)")
    v.add_argument("--slots", type=int, help="decode slots of the server started with --run (default: the most clients)")
    v.add_argument("--cpu-devices", type=int, metavar="N",
                   help="the server started with --run splits its slots over N CPU devices (default: 1)")
    v.add_argument("--completions", action="store_true", help="ask /v1/completions instead of chat (pre-trained runs)")
    v.add_argument("--api-key", default="none", help="sent as 'Authorization: Bearer KEY'")
    v.add_argument("--json", action="store_true", help="end with one JSON line")
    v.set_defaults(handler="bench_serve")


def _add_serve(sub) -> None:
    p = sub.add_parser("serve", help="serve runs over an OpenAI-compatible HTTP API, with a chat page at /")
    p.add_argument("--run", action="append", required=True, metavar="RUN_DIR",
                   help="a run to serve (repeat for more: the page shows them side by side); its id is the folder's name")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (0.0.0.0 opens it to the network)")
    p.add_argument("--port", type=int, default=8000, help="the port to listen on")
    p.add_argument("--slots", type=int, default=8, help="requests decoded together per model (more wait in line)")
    p.add_argument("--api-key", metavar="KEY", help="require 'Authorization: Bearer KEY' on /v1/ requests (default: none)")
    _add_cpu_devices_flag(p)  # the slots are split over every device
    p.set_defaults(handler="serve")


def _add_compare(sub) -> None:
    p = sub.add_parser("compare", help="train a Sora and a ChatGPT of one size alike and report on the article's claims")
    p.add_argument("--corpus", default=str(SHIPPED_CORPUS), metavar="FILE", help="pre-training text (default: the shipped corpus)")
    p.add_argument("--dialogues", default=str(SHIPPED_DIALOGUES["train"]), metavar="FILE",
                   help="question/answer JSON lines to fine-tune on (default: the shipped train split)")
    p.add_argument("--test-dialogues", metavar="FILE",
                   help="held-out questions to score (default: the shipped test split, or the last 10 %% of --dialogues)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="where report.md, results.json, the figures and the runs go; the same command again "
                        "continues an interrupted comparison there")
    p.add_argument("--preset", help="model shape (default tiny); Sora's LSTM is sized to match ChatGPT's parameters")
    p.add_argument("--budget", choices=list(BUDGETS), default="quick",
                   help="quick: seconds, most verdicts 'not measurable' (tests, chapter 10); full: each model trained "
                        "until its held-out loss flattens, about an hour on a 2-core CPU (the published report)")
    p.add_argument("--budget-tokens", type=int, metavar="N",
                   help="the most pre-training tokens per model and seed (default: the budget's)")
    p.add_argument("--finetune-tokens", type=int, metavar="N",
                   help="fine-tuning tokens per model and seed (default: the budget's)")
    p.add_argument("--vocab-size", type=int, help="pieces of the shared tokenizer (default 4000)")
    p.add_argument("--copy-share", type=float, metavar="S",
                   help="share of pre-training tokens that are read-twice lists, a copying curriculum for both "
                        "models (default 0: the corpus alone); the held-out text stays the corpus's")
    p.add_argument("--split-at-cue", action="store_true",
                   help="Sora's training windows that fall in the lists split right after \"Again:\": its encoder "
                        "reads the first reading and its decoder writes the second, which is all such a window scores "
                        "(ChatGPT predicts every position anyway); needs --copy-share")
    p.add_argument("--seeds", type=int, metavar="K", help="seeds 0..K-1 per model (default: the budget's, 2 or 3)")
    p.add_argument("--runs", nargs=2, metavar=("A", "B"),
                   help="measure two trained runs, one Sora and one ChatGPT (default: train them)")
    p.set_defaults(handler="compare")


def _add_presets(sub) -> None:
    p = sub.add_parser("presets", help="list the model shapes --preset can name")
    p.set_defaults(handler="presets")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="minisora",
        description="The article's Sora (encoder -> LSTM) and ChatGPT (causal decoder), in JAX + Flax.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(sub)
    _add_tokenizer(sub)
    _add_data(sub)
    _add_training(sub)
    _add_presets(sub)
    _add_decoding(sub)
    _add_bench(sub)
    _add_import_hf(sub)
    _add_export_hf(sub)
    _add_serve(sub)
    _add_compare(sub)
    return parser
