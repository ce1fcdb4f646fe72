"""Fixtures several test folders share, and the XLA flags the whole suite runs with."""

import json
import os
from pathlib import Path

import pytest
from filelock import FileLock

from minisora import config

# XLA:CPU's cheaper code generation for the test suite: its programs are tiny and run a few steps,
# so compiling them is most of the suite's time (tests/nn and test_loop.py: 126-130 s instead of
# 189-196 s, measured side by side). Set here, before any test touches a device, so every test
# process and every subprocess a test starts (chapters, the demo, the 8-device worker, servers)
# inherits it. It changes how fast XLA's code is, not what it computes: float32 sums may come out
# in another order (~1e-6). `XLA_FLAGS= pytest` runs the suite at XLA's default optimisation. See
# docs/performance.md, "The test suite".
QUICK_COMPILE = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
os.environ.setdefault("XLA_FLAGS", QUICK_COMPILE)

TEXT = "the cat sat on the mat. the dog sat on the log. " * 40


@pytest.fixture
def micro(monkeypatch, request):
    """Register the test module's ``MICRO`` shape as the preset "micro": small enough to compile in seconds."""
    monkeypatch.setitem(config.PRESETS, "micro", request.module.MICRO)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """corpus.txt, dialogues.jsonl and a character tokenizer (tok/) trained on the corpus."""
    from minisora.tokenizer import train_tokenizer

    d = tmp_path_factory.mktemp("inputs")
    (d / "corpus.txt").write_text(TEXT)
    qa = [{"question": f"who sat on the {w}?", "answer": f"the {a} sat on the {w}."}
          for w, a in [("mat", "cat"), ("log", "dog")] * 6]
    (d / "dialogues.jsonl").write_text("".join(json.dumps(x) + "\n" for x in qa))
    train_tokenizer([d / "corpus.txt"], d / "tok", vocab_size=300, model_type="char")
    return d


def shared_dir(tmp_path_factory, name: str) -> Path:
    """A folder every pytest-xdist worker of this session sees (the workers' temporary folders
    share a parent), or this process's own when xdist is off."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if base.name.startswith("popen-gw") else base
    return root / name


def built_once(tmp_path_factory, name: str, build) -> Path:
    """``build(folder)`` run by the first worker that asks, under a file lock; the others wait for
    it and reuse the folder (the pattern of pytest-xdist's docs), so two workers never build the
    same session fixture twice."""
    folder = shared_dir(tmp_path_factory, name)
    with FileLock(str(folder) + ".lock"):
        if not (folder / ".built").exists():
            folder.mkdir(parents=True, exist_ok=True)
            build(folder)
            (folder / ".built").write_text("")
    return folder


@pytest.fixture(scope="session")
def once(tmp_path_factory):
    """``once(name, build) -> folder``: ``built_once`` for test modules (a session fixture of one worker)."""
    return lambda name, build: built_once(tmp_path_factory, name, build)


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """Small runs that have learned something, shared by the export, engine and server tests.

    The tokenizer learns the whole shipped corpus; the models learn a few paragraphs of it and a
    dozen dialogues (the article's question among them) well — a tiny model trained briefly on
    all of it would answer every prompt with the same few tokens, and a comparison of such
    outputs could not tell two decoders apart. Folders: tok, corpus.txt, dialogues.jsonl,
    gpt (pre-trained ChatGPT), chat (fine-tuned ChatGPT), sora (pre-trained), sora-chat. Built
    once per session whichever worker asks first; tests read these runs and never write into them."""
    return built_once(tmp_path_factory, "trained", build_trained)


def build_trained(d: Path) -> None:
    import minisora
    from minisora.datasets import ARTICLE_QUESTION, SHIPPED_CORPUS, SHIPPED_DIALOGUES
    from minisora.tokenizer import train_tokenizer

    train_tokenizer([SHIPPED_CORPUS], d / "tok", vocab_size=3000)
    (d / "corpus.txt").write_text(SHIPPED_CORPUS.read_text(encoding="utf-8")[:4000], encoding="utf-8")
    rows = SHIPPED_DIALOGUES["train"].read_text(encoding="utf-8").splitlines()
    (d / "dialogues.jsonl").write_text("\n".join([r for r in rows if ARTICLE_QUESTION in r] + rows[:11]) + "\n",
                                       encoding="utf-8")
    shape = dict(d_model=48, n_heads=4, n_layers=2, d_ff=128, max_len=96, d_lstm=48)
    cfg = minisora.TrainConfig(steps=300, batch_size=8, seq_len=64, lr=3e-3, eval_every=1000, checkpoint_every=300)
    tune = cfg.replace(steps=150, batch_size=4)
    for family, name in (("gpt", "gpt"), ("sora", "sora")):
        minisora.pretrain(d / "corpus.txt", d / name, minisora.ModelConfig(family=family, **shape), cfg,
                          tokenizer=d / "tok", quiet=True)
        minisora.finetune(d / name, d / "dialogues.jsonl", d / ("chat" if family == "gpt" else "sora-chat"), tune,
                          quiet=True)


@pytest.fixture(scope="session", autouse=True)
def cache_home(tmp_path_factory):
    """``XDG_CACHE_HOME`` for the session, one folder for both workers and every subprocess: what the
    code keeps in the user's cache (``compare.compile_cache``: ~/.cache/minisora/jax) goes there, so
    the suite never writes into the home and starts as cold as CI's does. (Other libraries that
    follow XDG, matplotlib's font cache among them, keep their caches there too for the session.)"""
    folder = shared_dir(tmp_path_factory, "cache-home")
    folder.mkdir(parents=True, exist_ok=True)
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(scope="session")
def chapter_env(tmp_path_factory):
    """Environment variables for running a tutorial chapter (script or notebook kernel) in quick
    mode, with a JAX compilation cache on disk that both xdist workers share: a chapter run loads
    the XLA programs an earlier run compiled (its script or notebook twin, on either worker; chapter
    7's second run took 17 s instead of 43 s) instead of compiling them again. Every program is kept,
    however quickly it compiled: a chapter's hundreds of small eager operations add up (chapter 8's
    second run: 22 s with all kept, 29 s keeping those over 0.2 s, 46 s with none). The chapter
    computes exactly what it computes without it."""
    cache = shared_dir(tmp_path_factory, "jax-cache")  # one for both workers: a chapter's twin may run on the other
    cache.mkdir(parents=True, exist_ok=True)
    return {"MINISORA_QUICK": "1", "JAX_COMPILATION_CACHE_DIR": str(cache),
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}
