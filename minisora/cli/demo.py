"""``minisora demo``: the whole pipeline on the shipped data, on a laptop CPU: the first lesson.

The demo is the commands a user would type, run one after another (each is
printed first, so you can rerun any of them by hand):

1. train a SentencePiece tokenizer on ``data/corpus.txt`` and show a tokenised sample;
2. pre-train tiny versions of both models — ChatGPT and Sora — on the corpus;
3. fine-tune both on the shipped question/answer dialogues;
4. let both continue a prompt, and ask both the article's customer-service question;
5. say how well each predicts held-out text (Sora's two losses apart), where the loss plots
   are, and which chapter to open next.
"""

from __future__ import annotations

import shlex
import shutil
import time
from pathlib import Path

from ..datasets import ARTICLE_QUESTION, SHIPPED_CORPUS, SHIPPED_DIALOGUES
from ..errors import UserError
from ..inference.run import load
from ..training import log

NAME = {"gpt": "ChatGPT", "sora": "Sora"}
# (pre-training steps per model, fine-tuning steps, vocabulary size); full mode fits in 5 quiet 2-core CPU minutes.
FULL = dict(pretrain_steps={"gpt": 1100, "sora": 1000}, finetune_steps=400, vocab_size=4000)
QUICK = dict(pretrain_steps={"gpt": 8, "sora": 8}, finetune_steps=4, vocab_size=3000)
# Pre-training flags of the tiny models (peak learning rate, rows per step, tokens per row), chosen
# on held-out bits per byte at about equal wall time (data/corpus.txt, 2 CPU cores; the sweep is in
# docs/performance.md). ChatGPT: 1e-3 x 16 x 128, 500 steps: 1.79 bits/byte; 6e-3 x 16 x 128, 500
# steps: 1.22; 6e-3 x 16 x 64, 1400 steps: 0.92 (short rows buy more steps, and at this size more
# steps beat longer rows). Sora: 1e-3 x 16 x 128, 500 steps: 2.22; 3e-3 x 16 x 128, 1000 steps:
# 1.18. Sora keeps 128-token rows: its encoder reads the first half, and with 64-token rows it never
# learns positions past 32, where the dialogues' prompts reach (fine-tuned from such a run, it
# answers the article's question with another intent's answer: held-out 0.68 against 0.37).
# The step counts fit the whole demo in under 300 s on a quiet 2-core CPU. On the corpus with
# newcomer paragraphs (2026-12-06) Sora's 700 steps gave 1.39 bits/byte and samples in fragments;
# 1000 steps give 1.20 and sentences of the corpus's kinds, for ~40 s more.
PRETRAIN = {"gpt": ("--lr", "6e-3", "--batch-size", "16", "--seq-len", "64"),
            "sora": ("--lr", "3e-3", "--batch-size", "16", "--seq-len", "128")}
# Fine-tuning learning rate. These ~1M-parameter models learn 774 short dialogues far better at
# 3e-3 than at the pre-training default of 1e-3 (measured, 300 steps: held-out answer loss
# ChatGPT 0.97 -> 0.68, Sora 1.18 -> 0.52 nats/token); 400 steps bring both to the trained answer
# of the article's question (held-out answers: ChatGPT 0.75, Sora 0.53 nats/token).
FINETUNE_LR = "3e-3"
# ChatGPT packs dialogues into rows as long as its context (256 tokens, about eight dialogues),
# so 8 rows a step see as many dialogues as Sora's 16 rows of one each.
FINETUNE_BATCH = {"gpt": "8", "sora": "16"}
# How the pre-trained models continue a prompt: a sentence opening the corpus has often, sampled
# at a low temperature from the 10 likeliest tokens. Of the English words in 16 samples of 40 tokens,
# the share the corpus never writes (invented words) was 12.5 % (ChatGPT) and 13.5 % (Sora) at
# temperature 0.5 and top-k 20, 4.2 % and 8.4 % at 0.3 and 10 (docs/performance.md, "The demo's
# pre-training settings"); greedy decoding invents none for ChatGPT but repeats itself.
PROMPT, SAMPLING = "On Monday morning,", ("--temperature", "0.3", "--top-k", "10")
NEXT_CHAPTER = "tutorials/01_tokenization.py"


def run_demo(out: str = "runs/demo", quick: bool = False, *, run) -> None:
    """The demo's commands one after another, each through ``run(argv) -> exit status`` (the CLI)."""

    def _run(*argv: str) -> None:
        print(f"\n$ minisora {shlex.join(argv)}", flush=True)
        if run(list(argv)) != 0:
            raise UserError(f"The demo stopped: `minisora {argv[0]}` failed (see the message above).")

    settings = QUICK if quick else FULL
    out_dir = Path(out)
    if out_dir.exists():  # the demo owns this folder: start it afresh each time
        if not (out_dir / ".minisora-demo").exists():
            raise UserError(f"{out_dir} exists and was not made by the demo; pass another --out.")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    (out_dir / ".minisora-demo").touch()
    start = time.perf_counter()
    tok_dir = out_dir / "tokenizer"

    print("== 1. Tokenisation")
    _run("tokenizer", "train", "--input", str(SHIPPED_CORPUS), "--vocab-size", str(settings["vocab_size"]),
         "--model-type", "unigram", "--out", str(tok_dir))
    _run("tokenizer", "encode", "--tokenizer", str(tok_dir), "--pieces", "--text", f"The customer asked: {ARTICLE_QUESTION}")

    for model in ("gpt", "sora"):
        steps = str(settings["pretrain_steps"][model])
        print(f"\n== 2. Pre-training {NAME[model]} (tiny preset)")
        _run("pretrain", "--model", model, "--preset", "tiny", "--corpus", str(SHIPPED_CORPUS),
             "--tokenizer", str(tok_dir), "--out", str(out_dir / model), "--steps", steps, *PRETRAIN[model],
             "--eval-every", str(max(1, int(steps) // 4)), "--checkpoint-every", steps)

    ft_steps = str(settings["finetune_steps"])
    for model in ("gpt", "sora"):
        print(f"\n== 3. Fine-tuning {NAME[model]} on the dialogues")
        _run("finetune", "--from", str(out_dir / model), "--dialogues", str(SHIPPED_DIALOGUES["train"]),
             "--out", str(out_dir / f"{model}-chat"), "--steps", ft_steps,
             "--lr", FINETUNE_LR, "--batch-size", FINETUNE_BATCH[model],
             "--eval-every", str(max(1, int(ft_steps) // 3)), "--checkpoint-every", ft_steps)

    print("\n== 4. What they learned")
    for model in ("gpt", "sora"):
        _run("generate", "--run", str(out_dir / model), "--prompt", PROMPT, "--max-new-tokens", "40", *SAMPLING,
             "--seed", "0")
    for model in ("gpt", "sora"):
        chat_run = load(out_dir / f"{model}-chat")
        answer = chat_run.generate(ARTICLE_QUESTION, max_new_tokens=40, temperature=0.0)
        print(f"\n{NAME[model]}-chat, asked {ARTICLE_QUESTION}\n  -> {answer}")

    print("\n== 5. How well they predict held-out text")
    print("(nats/token depend on the tokenizer; bits per byte of the text do not. Sora is trained on two "
          "objectives, printed apart: next-token, its decoder's, and masked-token, its encoder's.)")
    plots = []
    for name in ("gpt", "sora", "gpt-chat", "sora-chat"):
        e = log.newest_eval(out_dir / name)
        family = name.split("-")[0]
        what = "answers of the held-out dialogues" if name.endswith("-chat") else "the last 10 % of the corpus"
        if e is not None:
            print(f"  {NAME[family]}{'-chat' if name.endswith('-chat') else ''}, {what}: {log.describe_eval(e)}")
        if (out_dir / name / "loss.png").exists():
            plots.append(str(out_dir / name / "loss.png"))

    print(f"\ndemo finished in {time.perf_counter() - start:.0f} s; its runs are in {out_dir}/ "
          f"(try `minisora chat --run {out_dir}/gpt-chat`)")
    if plots:
        print("loss curves (training and held-out, per step): " + ", ".join(plots))
    print(f"\nNext: open {NEXT_CHAPTER}, the first of twelve chapters that build all this piece by piece. "
          "To read them as notebooks: pip install -e \".[notebooks]\", then jupytext --sync tutorials/[0-9]*.py "
          "and jupyter lab tutorials/")
