"""``minisora demo``: the pipeline on the shipped data, end to end, on a laptop CPU.

1. train a SentencePiece tokenizer on ``data/corpus.txt`` and show a tokenised sample;
2. pre-train tiny versions of both models (ChatGPT and Sora) on the corpus;
3. fine-tune both on the shipped dialogues;
4. ask both the article's customer-service question and sample some text.
"""

from __future__ import annotations

import time
from pathlib import Path

from .datasets import SHIPPED_CORPUS, SHIPPED_DIALOGUES
from .tokenizer import train_tokenizer

ARTICLE_QUESTION = "我的账户为什么不能登录？"


def _say(msg: str) -> None:
    print(f"\n== {msg}", flush=True)


def run_demo(out: str = "runs/demo", quick: bool = False) -> None:
    out_dir = Path(out)
    start = time.perf_counter()

    _say(f"1. tokenizer: SentencePiece unigram on {SHIPPED_CORPUS.name}")
    tok = train_tokenizer([SHIPPED_CORPUS], out_dir / "tokenizer", vocab_size=2000 if quick else 8000)
    sample = "The customer asked: " + ARTICLE_QUESTION
    ids = tok.encode(sample)
    print(f"   {tok.vocab_size} pieces; {sample!r}")
    print(f"   -> {[tok.id_to_piece(i) for i in ids]}")
    print(f"   -> ids {ids}")
    assert tok.decode(ids) == sample

    try:
        from .train import demo_train
    except ImportError:  # the training half of the demo lands with minisora.train
        print(f"\ndone in {time.perf_counter() - start:.1f} s")
        return
    demo_train(out_dir, tok, SHIPPED_CORPUS, SHIPPED_DIALOGUES, quick=quick, question=ARTICLE_QUESTION)
    print(f"\ndemo finished in {time.perf_counter() - start:.1f} s; runs are in {out_dir}/")
