"""``minisora bench serve``: a served model under N streaming clients, over real HTTP.

    aggregate tokens/s      every client's generated tokens ÷ the wall time of the whole round
    time to first token     request sent -> first content chunk, p50 and p95 over the clients
    time between tokens     gap between consecutive content chunks, p50 over all gaps (a chunk may
                            carry several tokens: tokens per chunk is printed beside it)

The clients are the official ``openai`` client (``AsyncOpenAI``), streaming chat completions, so
the same numbers can be taken of any OpenAI-compatible server (``--url``): ``transformers serve``,
say, on the same weights exported with ``minisora export-hf``. With ``--run`` the bench starts
``minisora serve`` itself, in a second process, so that server and clients do not share one
Python interpreter. Each round asks the same questions; one warm-up round goes first. A shared
machine is noisy: ``--repeat R`` runs each round R times and reports the one of median tokens/s.
"""

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from ..datasets import SHIPPED_DIALOGUES
from ..errors import UserError


def questions(n: int) -> list[str]:
    """n questions from the shipped test dialogues (cycled)."""
    import json

    rows = [json.loads(x)["question"] for x in SHIPPED_DIALOGUES["test"].read_text(encoding="utf-8").splitlines()]
    return [rows[i % len(rows)] for i in range(n)]


async def one_client(client, model: str, question: str, max_tokens: int, chat: bool) -> dict:
    sent = time.perf_counter()
    stamps, usage = [], None
    # include_usage: a server may send several tokens in one chunk, so tokens are counted from the
    # final usage chunk when the server sends one, and as one per content chunk otherwise
    kw = dict(model=model, max_tokens=max_tokens, stream=True, temperature=0.0,
              stream_options={"include_usage": True})
    if chat:
        stream = await client.chat.completions.create(messages=[{"role": "user", "content": question}], **kw)
    else:
        stream = await client.completions.create(prompt=question, **kw)
    async for chunk in stream:
        if getattr(chunk, "usage", None) is not None:
            usage = chunk.usage.completion_tokens
        if not chunk.choices:
            continue
        c = chunk.choices[0]
        piece = (c.delta.content if chat else c.text) or ""
        if piece:
            stamps.append(time.perf_counter())
    return {"ttft": stamps[0] - sent if stamps else float("nan"), "chunks": len(stamps),
            "tokens": usage if usage is not None else len(stamps), "counted": "usage" if usage is not None else "chunks",
            "gaps": [b - a for a, b in zip(stamps, stamps[1:])], "end": stamps[-1] if stamps else sent}


async def round_of(url: str, model: str, clients: int, max_tokens: int, chat: bool, api_key: str) -> dict:
    import openai

    client = openai.AsyncOpenAI(base_url=url.rstrip("/") + "/v1", api_key=api_key, max_retries=0, timeout=600)
    start = time.perf_counter()
    results = await asyncio.gather(*(one_client(client, model, q, max_tokens, chat) for q in questions(clients)))
    wall = max(r["end"] for r in results) - start
    await client.close()
    tokens = sum(r["tokens"] for r in results)
    # a request answered with no text at all (its first token a stop) has no first token to time
    ttft = sorted(r["ttft"] for r in results if r["chunks"]) or [float("nan")]
    gaps = [g for r in results for g in r["gaps"]]
    chunks = sum(r["chunks"] for r in results)
    return {"clients": clients, "tokens": tokens, "seconds": wall, "tokens_per_s": tokens / wall,
            "tokens_per_chunk": tokens / max(1, chunks), "counted_by": sorted({r["counted"] for r in results}),
            "ttft_p50_s": statistics.median(ttft), "ttft_p95_s": ttft[min(len(ttft) - 1, int(0.95 * len(ttft)))],
            "gap_p50_s": statistics.median(gaps) if gaps else float("nan"),
            "empty_answers": sum(1 for r in results if not r["chunks"])}


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@contextmanager
def own_server(run: str, slots: int, cpu_devices: int | None = None):
    """``minisora serve --run RUN`` in a second process, until the block ends.

    The server runs the same minisora as this process: ``python -m`` puts its working directory
    first on ``sys.path``, so it starts in the folder that holds this package, not in the caller's
    (where another checkout would be imported instead)."""
    port = free_port()
    run = str(Path(run).resolve())
    cmd = [sys.executable, "-m", "minisora.cli", "serve", "--run", run, "--port", str(port), "--slots", str(slots)]
    if cpu_devices:
        cmd += ["--cpu-devices", str(cpu_devices)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2], env=dict(os.environ, PYTHONUNBUFFERED="1"))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 600
        while time.time() < deadline:
            if proc.poll() is not None:
                raise UserError(f"minisora serve stopped: {proc.stderr.read().strip().splitlines()[-1:]}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def model_info(url: str, api_key: str) -> list[dict]:
    import json

    req = urllib.request.Request(url.rstrip("/") + "/v1/models", headers={"Authorization": f"Bearer {api_key}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())["data"]


def bench_serve(*, run: str | None = None, url: str | None = None, model: str | None = None,
                clients=(1, 8, 32), max_tokens: int = 128, slots: int | None = None,
                cpu_devices: int | None = None, chat: bool | None = None, api_key: str = "none",
                repeat: int = 1) -> dict:
    """Rounds of N concurrent streaming clients against ``url``, or against ``minisora serve`` of ``run``;
    each N ``repeat`` times, reporting the round of median tokens/s (a shared machine is noisy)."""
    if repeat < 1:
        raise UserError(f"--repeat must be at least 1, not {repeat}.")
    try:
        import openai  # noqa: F401
    except ImportError:
        raise UserError("bench serve needs the openai client: pip install -e \".[serve]\".") from None
    if (run is None) == (url is None):
        raise UserError("Give --run (a run to serve) or --url (a server already running), not both.")
    slots = slots or max(clients)

    def measure(url):
        cards = model_info(url, api_key)
        name = model or cards[0]["id"]
        card = next((c for c in cards if c["id"] == name), {})
        is_chat = chat if chat is not None else card.get("chat", True)
        asyncio.run(round_of(url, name, min(clients), max_tokens, is_chat, api_key))  # warm-up: compiles, caches
        rounds = []
        for n in clients:  # ``repeat`` rounds of n clients; the one of median tokens/s stands for them
            tries = sorted((asyncio.run(round_of(url, name, n, max_tokens, is_chat, api_key)) for _ in range(repeat)),
                           key=lambda r: r["tokens_per_s"])
            rounds.append({**tries[len(tries) // 2], "tokens_per_s_all": [r["tokens_per_s"] for r in tries]})
        return {"url": url, "model": name, "max_tokens": max_tokens, "rounds": rounds,
                "family": card.get("family"), "slots": card.get("slots"), "state_bytes": card.get("state_bytes")}

    if url is not None:
        return measure(url)
    with own_server(run, slots, cpu_devices) as own:
        return measure(own)
