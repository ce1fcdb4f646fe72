"""What each ``minisora`` sub-command does: parsed flags in, plain-argument library calls out.

``run(argv)`` is the whole command: parse, dispatch to the handler the parser named, and turn a
``UserError`` (bad file, bad flag, bad prompt) into one sentence on stderr and exit status 2.
This is the only layer that sees argparse's ``Namespace``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from flax import nnx

from .. import parallel
from ..config import ModelConfig, TrainConfig, config_from_preset, describe_presets
from ..datasets import (
    SHIPPED_DIALOGUES,
    describe_shipped_data,
    download_shakespeare,
    read_text,
    split_beside,
)
from ..errors import UserError
from ..inference import chat, decode
from ..inference.run import load
from ..tokenizer import MODEL_TYPES, Tokenizer, describe_pieces, train_tokenizer
from ..tools import bench, compare, hf, serve
from ..tools import bench_serve as bench_serve_tool
from ..tools.report import QUICK_NOTE, judge_claims
from ..training import jobs
from .demo import run_demo
from .parser import build_parser

# --- shared flags ----------------------------------------------------------------------


def mesh_from_flags(args):
    """``--cpu-devices`` first (before anything touches a device), then ``--distributed`` joins the
    other processes, and ``--mesh`` lays out the devices; a distributed run without ``--mesh`` is
    data parallel over all. No flags: None, the one-device path."""
    parallel.set_cpu_devices(getattr(args, "cpu_devices", None))
    distributed = getattr(args, "distributed", False)
    if distributed:
        parallel.initialize_distributed(args.coordinator, args.num_processes, args.process_id)
    spec = getattr(args, "mesh", None)
    return parallel.make_mesh(spec or "data=-1") if spec or distributed else None


def compute_flags(config: ModelConfig, args, *, resume: bool = False) -> ModelConfig:
    """``--dtype``, ``--remat``, ``--scan-layers`` applied to a ModelConfig. Parameters, optimizer
    state and the loss stay float32 whatever ``--dtype`` says: bfloat16 is for the matmuls only."""
    changes = {}
    if getattr(args, "dtype", None):
        changes["dtype"] = args.dtype
    if getattr(args, "remat", False):
        changes["remat"] = True
    if getattr(args, "scan_layers", False) and not config.scan_layers:
        if resume:
            raise UserError("This run was trained without --scan-layers (one set of weights per layer); "
                            "resume it without the flag.")
        changes["scan_layers"] = True
    return config.replace(**changes)


def train_config(args, kind: str, default_steps: int) -> TrainConfig:
    """The optimizer flags given -> a TrainConfig (TrainConfig's defaults for the rest)."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    given.setdefault("steps", default_steps)
    return TrainConfig(**{**given, "kind": kind})


def sampling_flags(args) -> dict:
    return dict(max_new_tokens=args.max_new_tokens, temperature=args.temperature, top_k=args.top_k,
                top_p=args.top_p, seed=args.seed)


def say(message: str) -> None:
    print(f"minisora: {message}", file=sys.stderr)


# --- tokenizer and data ----------------------------------------------------------------


def tokenizer_train(args) -> None:
    tok = train_tokenizer(args.input, args.out, vocab_size=args.vocab_size, model_type=args.model_type,
                          character_coverage=args.character_coverage)
    text = "".join(read_text(path) for path in args.input)
    print(f"trained a {args.model_type} tokenizer -> {args.out}: {describe_pieces(tok, text)}")


def tokenizer_encode(args) -> None:
    tok = Tokenizer.load(args.tokenizer)
    ids = tok.encode(args.text if args.text is not None else sys.stdin.read())
    print(" ".join(tok.id_to_piece(i) for i in ids) if args.pieces else " ".join(map(str, ids)))


def tokenizer_decode(args) -> None:
    tok = Tokenizer.load(args.tokenizer)
    raw = args.ids if args.ids else sys.stdin.read().split()
    try:
        ids = [int(x) for x in raw]
    except ValueError:
        raise UserError("Ids to decode must be whole numbers separated by spaces.") from None
    bad = [i for i in ids if not 0 <= i < tok.vocab_size]
    if bad:
        raise UserError(f"Id {bad[0]} is outside this tokenizer's vocabulary (0..{tok.vocab_size - 1}).")
    sys.stdout.write(tok.decode(ids) + "\n")


def data_shakespeare(args) -> None:
    print(f"Tiny Shakespeare (sha256 verified) -> {download_shakespeare(args.out)}")


def data_info(args) -> None:
    print(describe_shipped_data())


def demo(args) -> None:
    run_demo(out=args.out, quick=args.quick, run=run)


def presets(args) -> None:
    print(describe_presets())
    print("(layers: ChatGPT's decoder blocks, or Sora's encoder blocks before its LSTM; the vocabulary is the "
          "tokenizer's; pretrain --context N replaces the context)")


# --- training ----------------------------------------------------------------------------


def pretrain(args) -> None:
    if args.tokenizer and args.tokenizer_type != MODEL_TYPES[0]:
        raise UserError("--tokenizer-type trains a tokenizer into the run and --tokenizer brings a trained one; give one of them.")
    if args.context is not None and args.context < 1:
        raise UserError(f"--context must be at least 1 token, not {args.context}.")
    mesh = mesh_from_flags(args)  # --distributed joins the other hosts first; --mesh lays out the devices
    if args.resume:  # the run's saved settings, except --steps
        model_config, cfg = jobs.saved_configs(args.out, steps=args.steps)
        if args.context not in (None, model_config.max_len):
            raise UserError(f"This run's context is {model_config.max_len} tokens; --resume cannot change it (--context).")
    else:  # the preset's shape, its context replaced by --context
        model_config = config_from_preset(args.model, args.preset, dropout=args.dropout, max_len=args.context)
        cfg = train_config(args, "text", default_steps=1000)
        if args.seq_len is None:  # rows no longer than the context
            cfg = cfg.replace(seq_len=min(cfg.seq_len, model_config.max_len))
    model_config = compute_flags(model_config, args, resume=args.resume)
    jobs.pretrain(args.corpus, args.out, model_config, cfg, tokenizer=args.tokenizer, vocab_size=args.vocab_size,
                  tokenizer_type=args.tokenizer_type, resume=args.resume, mesh=mesh, profile=args.profile)


def finetune(args) -> None:
    mesh = mesh_from_flags(args)  # one host's devices (--mesh): pretrain has the multi-host flags
    if args.resume:
        _, cfg = jobs.saved_configs(args.out, steps=args.steps)
    else:
        cfg = train_config(args, "dialogue", default_steps=500)
    validation = args.validation or split_beside(args.dialogues, "validation")  # the split data/dialogues/ ships
    jobs.finetune(args.source, args.dialogues, args.out, cfg, validation=validation, seq_len=args.seq_len,
                  resume=args.resume, mesh=mesh)


# --- decoding ----------------------------------------------------------------------------


def generate(args) -> None:
    """The prompt, then its continuation streamed as it is decoded (for a run fine-tuned on
    dialogues: the answer to the prompt)."""
    run = load(args.run)
    tok = chat.tokenizer_of(run)
    kw = {**sampling_flags(args), **chat.special_args(tok)}  # the tokenizer's </s> and <s>
    if args.num_samples < 1:
        raise UserError(f"--num-samples must be at least 1, not {args.num_samples}.")
    prompt = read_text(args.prompt_file).rstrip("\n") if args.prompt_file else args.prompt  # as "$(cat FILE)" does
    prompt_ids = chat.encode_prompt(run, prompt)
    decode.prepare([prompt_ids], run.config, args.max_new_tokens, args.temperature, args.top_k, args.top_p, None,
                   kw["start_id"])  # the flags checked before any notice
    if not prompt:
        say("The prompt is empty, so the model " + ("answers an empty question" if chat.is_chat(run) else
            "starts a text from nothing") + "; give --prompt TEXT or --prompt-file FILE.")
    if args.num_samples > 1 and args.temperature == 0:
        say(f"Temperature 0 is greedy, so the {args.num_samples} samples are the same text; add --temperature 0.8 to vary them.")
    shown = "" if chat.is_chat(run) else prompt
    graphdef, params = nnx.split(run.model)
    if args.num_samples == 1:
        chunks = decode.stream(graphdef, params, [prompt_ids], run.config, warn=say, **kw)  # checks the flags
        sys.stdout.write(shown)
        chat.print_stream(tok, chunks)
        return
    rows = decode.generate(graphdef, params, [prompt_ids] * args.num_samples, run.config, warn=say, **kw)
    for i, row in enumerate(rows):
        print(f"--- sample {i + 1} ---\n{shown}{tok.decode(row)}")


def chat_loop(args) -> None:
    """A conversation with a fine-tuned run. /reset forgets, /quit (or EOF) ends. A run that was only
    pre-trained still chats, but is told first what that means for its answers."""
    run = load(args.run)
    tok = chat.tokenizer_of(run)
    kw = {**sampling_flags(args), **chat.special_args(tok)}  # the tokenizer's </s> and <s>
    decode.prepare([[]], run.config, args.max_new_tokens, args.temperature, args.top_k, args.top_p, say)  # check flags
    room = decode.prompt_room(run.config, args.max_new_tokens)
    graphdef, params = nnx.split(run.model)
    print(f"Chatting with {run.run_dir} ({run.config.family}). /reset forgets the conversation, /quit ends it.")
    if not chat.is_chat(run):  # it reads <user> q <assistant> all the same, markers it never saw in training
        say(f"{run.run_dir} was only pre-trained, never fine-tuned on dialogues, so it continues your text rather "
            f"than answering it (it was never taught to answer); `minisora finetune --from {run.run_dir} "
            f"--dialogues data/dialogues/train.jsonl --out {run.run_dir}-chat` teaches it.")
    history = []
    while True:
        try:
            line = input("you> ").strip()
        except EOFError:
            print()
            return
        if line == "/quit":
            return
        if line == "/reset":
            history.clear()
            print("(conversation forgotten)")
            continue
        if not line:
            continue
        question = tok.encode(line)
        sys.stdout.write("bot> ")
        chunks = decode.stream(graphdef, params, [chat.chat_context(history, question, room)], run.config, **kw)
        history.append((question, chat.print_stream(tok, chunks, blank_lines=chat.CHAT_BLANK_LINES)))


# --- tools -------------------------------------------------------------------------------


def export_hf(args) -> None:
    family, sentences = hf.export_hf(args.run, args.out)
    print(f"{'; '.join(sentences)} -> {args.out}")
    auto = "AutoModelForCausalLM" if family == "gpt" else "AutoModelForMaskedLM"
    print(f"load it with transformers: {auto}.from_pretrained({str(args.out)!r}) and "
          f"AutoTokenizer.from_pretrained({str(args.out)!r})")


def import_hf(args) -> None:
    kind, config, tok = hf.import_hf(args.source, args.out)
    said = (f"with its tokenizer.json ({tok.vocab_size} tokens): generate and chat take text" if tok is not None
            else "without a tokenizer (the folder has no tokenizer.json): the run reads and writes token ids")
    print(f"imported {kind} ({config.n_layers} layers, width {config.d_model}) from {args.source} {said} -> {args.out}")


def bench_train(args) -> None:
    r = bench.bench_train(args.model, args.preset, args.batch_size, args.seq_len, args.optimizer, args.steps,
                          mesh=mesh_from_flags(args), dtype=args.dtype, remat=args.remat,
                          scan_layers=args.scan_layers, profile=args.profile)
    print(f"{r['model']} / {r['preset']} ({r['n_params']:,} parameters, {r['dtype']}, {r['optimizer']}) "
          f"on {r['device_kind']}: batch {r['batch_size']} x {r['seq_len']} tokens")
    print(f"  first-step compile {r['compile_s']:>10.2f} s")
    print(f"  step               {r['ms_per_step']:>10.2f} ms")
    print(f"  throughput         {r['tokens_per_s']:>10,.0f} tokens/s")
    print(f"  model FLOPs/token  {r['flops_per_token'] / 1e6:>10.2f} M   (XLA's count: "
          f"{r['xla_flops_per_token'] / 1e6:.2f} M; it counts a scan body once)")
    measured = f"; measured matmul {r['measured_matmul_flops'] / 1e9:,.0f} GFLOP/s" if r["peak_source"] == "published" else ""
    print(f"  peak               {r['peak_flops'] / 1e9:>10,.0f} GFLOP/s ({r['peak_source']}{measured})")
    print(f"  MFU                {100 * r['mfu']:>10.1f} %")
    if args.json:
        print(json.dumps(r))


def serve_runs(args) -> None:
    parallel.set_cpu_devices(args.cpu_devices)  # before anything touches a device
    for run in args.run:
        load(run)  # a missing or corrupt run: one sentence, before anything is compiled
    serve.serve(args.run, host=args.host, port=args.port, slots=args.slots, api_key=args.api_key,
                say=lambda m: print(m, flush=True))


def bench_serve(args) -> None:
    r = bench_serve_tool.bench_serve(run=args.run, url=args.url, model=args.model, clients=args.clients,
                                     max_tokens=args.max_tokens, slots=args.slots, cpu_devices=args.cpu_devices,
                                     chat=False if args.completions else None, api_key=args.api_key,
                                     repeat=args.repeat)
    print(f"{r['model']} at {r['url']}, {r['max_tokens']} new tokens per request, streaming, greedy")
    print(f"{'clients':>7} {'tokens/s':>9} {'TTFT p50':>9} {'TTFT p95':>9} {'gap p50':>8}")
    for x in r["rounds"]:
        spread = x.get("tokens_per_s_all", [])
        spread = f"  (tokens/s of the {len(spread)} rounds: {min(spread):,.0f}–{max(spread):,.0f})" if len(spread) > 1 else ""
        print(f"{x['clients']:>7} {x['tokens_per_s']:>9,.0f} {x['ttft_p50_s']:>8.3f}s {x['ttft_p95_s']:>8.3f}s "
              f"{x['gap_p50_s'] * 1000:>6.1f}ms{spread}")
    if r.get("state_bytes"):
        print("decode state of one request by answer length: "
              + ", ".join(f"{n} tokens {b / 1024:,.1f} KiB" for n, b in r["state_bytes"].items())
              + (" (constant: the LSTM state)" if r.get("family") == "sora" else " (grows: the key/value cache)"))
    if args.json:
        print(json.dumps(r))


def bench_decode(args) -> None:
    r = bench.bench_decode(args.model, args.preset, args.batch_size, args.prompt_len, args.new_tokens,
                           mesh=mesh_from_flags(args))
    on = r["backend"] if r["mesh"] is None else f"{r['devices']} {r['backend']} devices, mesh {r['mesh']}"
    print(f"{r['model']} / {r['preset']} on {on}: batch {r['batch_size']}, "
          f"{r['prompt_len']}-token prompt, {r['new_tokens']} new tokens, greedy")
    print(f"  cached scan    {r['tokens_per_s']:>12,.0f} tokens/s   compile {r['compile_s']:.2f} s")
    print(f"  uncached       {r['uncached_tokens_per_s']:>12,.0f} tokens/s   compile {r['uncached_compile_s']:.2f} s")
    print(f"  cache speed-up {r['speedup']:>12.1f} x")
    print("  decode state per sequence: " + ", ".join(
        f"{n} tokens {b / 1024:,.1f} KiB" for n, b in r["state_bytes"].items()))
    if args.json:
        print(json.dumps(r))


def compare_models(args) -> None:
    """Flags -> CompareConfig -> report."""
    dialogues = Path(args.dialogues)
    test = args.test_dialogues
    if test is None and dialogues.resolve() == SHIPPED_DIALOGUES["train"].resolve():
        test = SHIPPED_DIALOGUES["test"]  # the shipped split; otherwise the last tenth is held out
    flags = {"preset": args.preset, "budget_tokens": args.budget_tokens, "finetune_tokens": args.finetune_tokens,
             "vocab_size": args.vocab_size, "copy_share": args.copy_share}
    changes = {k: v for k, v in flags.items() if v is not None}
    if args.seeds is not None:
        changes["seeds"] = tuple(range(args.seeds))
    if args.split_at_cue:
        changes["split_at_cue"] = True
    cc = compare.CompareConfig.for_budget(args.budget, **changes)
    if args.runs:
        path = compare.reuse_runs(args.runs, args.corpus, dialogues, args.out, cc, test_path=test)
    else:
        if cc.quick:
            print(QUICK_NOTE)
        path = compare.run_compare(args.corpus, dialogues, args.out, cc, test_path=test)
    print(f"report -> {path}")
    for row in judge_claims(json.loads((Path(args.out) / "results.json").read_text(encoding="utf-8"))):
        print(f"  {row['claim']}: {row['verdict']}" + (f" ({row['why']})" if row["why"] else ""))


# --- the command -------------------------------------------------------------------------

HANDLERS = {
    "tokenizer_train": tokenizer_train, "tokenizer_encode": tokenizer_encode, "tokenizer_decode": tokenizer_decode,
    "data_shakespeare": data_shakespeare, "data_info": data_info, "demo": demo,
    "pretrain": pretrain, "finetune": finetune, "presets": presets, "generate": generate, "chat": chat_loop,
    "import_hf": import_hf, "export_hf": export_hf, "serve": serve_runs, "bench_serve": bench_serve,
    "bench_train": bench_train, "bench_decode": bench_decode, "compare": compare_models,
}


def run(argv: list[str] | None = None) -> int:
    """``minisora ARGS``: the exit status (0, 2 for a user's mistake, 130 for Ctrl-C)."""
    args = build_parser().parse_args(argv)
    try:
        HANDLERS[args.handler](args)
    except UserError as err:
        print(f"minisora: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("minisora: interrupted.", file=sys.stderr)
        return 130
    return 0
