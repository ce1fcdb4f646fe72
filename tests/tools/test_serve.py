"""``minisora serve`` over real HTTP, with the official ``openai`` client as the reference client.

The server runs in this process on a free port; answers are checked against ``Run.generate``
(``decode.generate``, the one-prompt decoder), so concurrency, streaming and the HTTP layer
must not change a single token.
"""

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

openai = pytest.importorskip("openai")
uvicorn = pytest.importorskip("uvicorn")

import minisora  # noqa: E402
from minisora.datasets import ARTICLE_QUESTION  # noqa: E402
from minisora.tools.serve import create_app, serve_runs  # noqa: E402

N = 40  # new tokens per request (as in tests/inference/test_engine.py: the reference compiles once)
QUESTIONS = [ARTICLE_QUESTION, "How do I reset my password?", "你好", "怎么退款？", "What time is it?",
             "我想取消订单。", "Where is my parcel?", "谢谢"]


class Server:
    def __init__(self, served, **kw):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.served = served
        self.server = uvicorn.Server(uvicorn.Config(create_app(served, **kw), host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.port}"

    def client(self, **kw):
        return openai.OpenAI(base_url=self.url + "/v1", api_key=kw.pop("api_key", "none"), max_retries=0, **kw)

    def post(self, path, body: bytes, headers=None):
        req = urllib.request.Request(self.url + path, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(trained):
    s = Server(serve_runs([trained / "chat", trained / "sora-chat", trained / "gpt"], slots=8, warm_up=False,
                          say=lambda m: None))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def runs(trained):
    return {name: minisora.load(trained / name) for name in ("chat", "sora-chat", "gpt")}


def ask(client, model, question, **kw):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": question}], **kw)


def test_models_and_health(server):
    cards = {m.id: m for m in server.client().models.list().data}
    assert set(cards) == {"chat", "sora-chat", "gpt"}
    assert (cards["chat"].family, cards["sora-chat"].family, cards["chat"].chat, cards["gpt"].chat) == \
        ("gpt", "sora", True, False)
    with urllib.request.urlopen(server.url + "/health") as r:
        assert json.loads(r.read())["status"] == "ok"


@pytest.mark.parametrize("model", ["chat", "sora-chat"])
def test_answers_streamed_or_not_are_the_runs_own(server, runs, model):
    client = server.client()
    expected = runs[model].generate(ARTICLE_QUESTION, max_new_tokens=N)  # the one set of defaults: greedy
    r = ask(client, model, ARTICLE_QUESTION, max_tokens=N)
    assert r.choices[0].message.content == expected and r.choices[0].finish_reason == "stop"
    assert r.object == "chat.completion" and r.usage.completion_tokens > 5
    chunks = list(ask(client, model, ARTICLE_QUESTION, max_tokens=N, stream=True))
    deltas = [c.choices[0].delta.content or "" for c in chunks]
    assert "".join(deltas) == expected and all("\ufffd" not in d for d in deltas)  # never half a character
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[-1].choices[0].finish_reason == "stop"
    # streamed in pieces as the engine makes them (up to serve.CHUNK tokens each), not in one at the end
    assert sum(1 for d in deltas if d) >= 2
    status, raw = server.post("/v1/chat/completions", json.dumps(
        {"model": model, "messages": [{"role": "user", "content": "你好"}], "stream": True, "max_tokens": 5}).encode())
    assert status == 200 and raw.rstrip().endswith("data: [DONE]") and raw.startswith("data: {")


def test_sixteen_concurrent_streams_each_get_their_own_answer(server, runs):
    jobs = [(("chat", "sora-chat")[i % 2], QUESTIONS[i % len(QUESTIONS)]) for i in range(16)]
    got = [None] * len(jobs)

    def one(k):
        model, q = jobs[k]
        got[k] = "".join(c.choices[0].delta.content or "" for c in ask(server.client(), model, q, stream=True,
                                                                          max_tokens=N) if c.choices)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert got == [runs[m].generate(q, max_new_tokens=N) for m, q in jobs]


def test_seeded_sampling_is_the_runs_own_and_n_gives_several(server, runs):
    r = ask(server.client(), "chat", QUESTIONS[1], temperature=0.9, top_p=0.9, seed=11, max_tokens=N)
    assert r.choices[0].message.content == runs["chat"].generate(QUESTIONS[1], temperature=0.9, top_p=0.9, seed=11,
                                                                 max_new_tokens=N)
    r = ask(server.client(), "chat", QUESTIONS[1], temperature=1.5, seed=1, max_tokens=N, n=2)
    assert [c.index for c in r.choices] == [0, 1]
    assert [c.message.content for c in r.choices] == [
        runs["chat"].generate(QUESTIONS[1], temperature=1.5, seed=s, max_new_tokens=N) for s in (1, 2)]


def test_completions_stop_strings_and_the_wrong_endpoint(server, runs):
    client = server.client()
    r = client.completions.create(model="gpt", prompt="The doctor", max_tokens=N)
    full = runs["gpt"].generate("The doctor", max_new_tokens=N)
    assert r.choices[0].text == full and r.choices[0].finish_reason in ("length", "stop")
    assert len(full) > 6
    word = full[len(full) // 2:len(full) // 2 + 2]  # a stop string that appears half-way
    r = client.completions.create(model="gpt", prompt="The doctor", max_tokens=N, stop=[word])
    assert r.choices[0].text == full[:full.index(word)] and r.choices[0].finish_reason == "stop"
    with pytest.raises(openai.BadRequestError, match="pre-trained only"):
        ask(client, "gpt", "hi")
    with pytest.raises(openai.BadRequestError, match="chat/completions"):
        client.completions.create(model="chat", prompt="hi")


def test_a_long_conversation_drops_its_oldest_turns_and_says_so(server, runs):
    history = [m for q in QUESTIONS * 4 for m in ({"role": "user", "content": q},
                                                   {"role": "assistant", "content": "好的，我来帮您处理。"})]
    status, raw = server.post("/v1/chat/completions", json.dumps(
        {"model": "chat", "messages": [{"role": "system", "content": "be kind"}] + history +
         [{"role": "user", "content": ARTICLE_QUESTION}], "max_tokens": 30}).encode())
    body = json.loads(raw)
    assert status == 200 and body["minisora"]["dropped_turns"] > 0 and body["choices"][0]["message"]["content"]


def test_a_client_that_goes_away_frees_its_slot(server, monkeypatch):
    engine = server.served["gpt"].engine
    reasons = []
    free = engine.free
    monkeypatch.setattr(engine, "free", lambda i, reason: (reasons.append(reason), free(i, reason)))
    stream = server.client().completions.create(model="gpt", prompt="The", stream=True, max_tokens=90,
                                                temperature=1.0, seed=3)
    next(iter(stream))
    stream.response.close()  # the client goes away after its first token
    deadline = time.time() + 10
    while not reasons and time.time() < deadline:
        time.sleep(0.01)
    assert reasons == ["cancelled"] and engine.busy() == 0


BAD = [
    (b"{not json", 400, "not valid JSON"),
    (b"[1, 2]", 400, "JSON object"),
    (json.dumps({"model": "nope", "messages": [{"role": "user", "content": "x"}]}).encode(), 404, "not served"),
    (json.dumps({"model": "chat", "messages": []}).encode(), 400, "non-empty list"),
    (json.dumps({"model": "chat", "messages": [{"role": "robot", "content": "x"}]}).encode(), 400, "role"),
    (json.dumps({"model": "chat", "messages": [{"role": "user", "content": 3}]}).encode(), 400, "content"),
    (json.dumps({"model": "chat", "messages": [{"role": "assistant", "content": "x"}]}).encode(), 400, "user's"),
    (json.dumps({"model": "chat", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}).encode(), 400,
     "max_tokens"),
    (json.dumps({"model": "chat", "messages": [{"role": "user", "content": "x"}], "max_tokens": 10 ** 6}).encode(),
     400, "context"),
    (json.dumps({"model": "chat", "messages": [{"role": "user", "content": "x"}], "temperature": -1}).encode(), 400,
     "temperature"),
    (b'{"model": "chat", "messages": [{"role": "user", "content": "x"}], "temperature": NaN}', 400, "temperature"),
    (json.dumps({"model": "chat", "messages": [{"role": "user", "content": "x"}], "top_p": 0}).encode(), 400, "top_p"),
    (json.dumps({"model": "chat", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}).encode(), 400,
     "stream"),
    (json.dumps({"model": "chat", "messages": [{"role": "user", "content": "x" * (2 << 20)}]}).encode(), 413, "over"),
]


@pytest.mark.parametrize("body,status,words", BAD, ids=[w for _, _, w in BAD])
def test_bad_requests_get_an_openai_error_and_the_server_keeps_serving(server, body, status, words):
    got, raw = server.post("/v1/chat/completions", body)
    error = json.loads(raw)["error"]
    assert got == status and words in error["message"] and error["type"]
    assert ask(server.client(), "chat", "你好", max_tokens=3).choices[0].message.content is not None


def test_api_key_and_a_full_queue(trained):
    s = Server(serve_runs([trained / "gpt"], slots=1, queue_size=0, warm_up=False, say=lambda m: None), api_key="sesame")
    try:
        with pytest.raises(openai.AuthenticationError):
            s.client(api_key="wrong").completions.create(model="gpt", prompt="a", max_tokens=2)
        with pytest.raises(openai.RateLimitError, match="slots are busy"):
            s.client(api_key="sesame").completions.create(model="gpt", prompt="a", max_tokens=2)
    finally:
        s.stop()


def chromium():
    """The distribution's Chromium (.ci/run installs it with apt), or a skip that says why."""
    import shutil

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium); the page test needs a real browser")
    return path


def test_the_chat_page_shows_both_answers_side_by_side(server, runs, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    path = chromium()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        page = browser.new_page()
        page.goto(server.url + "/")
        page.wait_for_selector("section.model[data-model='sora-chat']")
        page.fill("#question", ARTICLE_QUESTION)
        page.fill("#max_tokens", str(N))
        page.click("#send")
        for model in ("chat", "sora-chat"):
            page.wait_for_function(f"document.querySelector(`section[data-model='{model}'] .meta`).textContent"
                                   ".includes('tokens/s') || document.querySelector('.error')", timeout=120000)
            answer = page.locator(f"section[data-model='{model}'] .answer").first.text_content()
            assert answer == runs[model].generate(ARTICLE_QUESTION, max_new_tokens=N)
        # the pre-trained model continues the text instead
        assert page.locator("section[data-model='gpt'] .answer").first.text_content().startswith(ARTICLE_QUESTION)
        page.fill("#question", "谢谢")  # a second turn: the history goes with it
        page.click("#send")
        page.wait_for_function("document.querySelectorAll(`section[data-model='chat'] .meta`)[1]?.textContent"
                               ".includes('tokens/s')", timeout=120000)
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        page.click("#reset")
        assert page.locator("section[data-model='chat'] .turn").count() == 0
        browser.close()


def test_bench_serve_counts_what_the_server_sent(server, capsys):
    """``minisora bench serve --url``: each round counts the completion tokens the server reports
    for its questions (asked here one by one, not streamed), its rate is tokens over wall time, its
    latencies are ordered, and ``--json`` ends with one object."""
    from minisora.cli import main
    from minisora.tools.bench_serve import questions

    client = server.client()
    assert main(["bench", "serve", "--url", server.url, "--model", "chat", "--clients", "1", "3", "--max-tokens", "12",
                 "--repeat", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [r["clients"] for r in report["rounds"]] == [1, 3] and report["model"] == "chat"
    for r in report["rounds"]:
        want = sum(ask(client, "chat", q, max_tokens=12).usage.completion_tokens for q in questions(r["clients"]))
        assert r["tokens"] == want and r["counted_by"] == ["usage"] and r["empty_answers"] == 0
        assert r["tokens_per_s"] == pytest.approx(r["tokens"] / r["seconds"])
        assert len(r["tokens_per_s_all"]) == 3 and r["tokens_per_s"] == sorted(r["tokens_per_s_all"])[1]  # the median
        assert 0 < r["ttft_p50_s"] <= r["ttft_p95_s"] <= r["seconds"] and r["gap_p50_s"] >= 0


def test_a_stream_gets_every_token_in_order_across_wake_ups():
    """The engine's thread emits a call's tokens, then wakes the server's loop once (``delivered``
    -> ``Served.wake``); the loop takes them. No token may be lost between a take that found the
    buffer empty and the next call's wake-up (a lost one would hang the take)."""
    import asyncio
    import random
    from functools import partial

    from minisora.tools.serve import Served, Stream

    async def main():
        served = Served("m", None, None, True)
        stream = Stream(None, [])
        served.streams.add(stream)
        delivered = partial(asyncio.get_running_loop().call_soon_threadsafe, served.wake)
        rng = random.Random(0)

        def engine():  # calls of 1-32 tokens with pauses between them
            t = 0
            while t < 5000:
                for _ in range(rng.randint(1, 32)):
                    stream.emit(t, None)
                    t += 1
                delivered()
                time.sleep(rng.choice([0, 0, 1e-5, 1e-4]))
            stream.emit(None, "length")
            delivered()

        worker = asyncio.get_running_loop().run_in_executor(None, engine)
        got, finish = [], None
        while finish is None:
            for token, end in await asyncio.wait_for(stream.take(), 10):
                if end is not None:
                    finish = end
                else:
                    got.append(token)
        await worker
        return got, finish

    got, finish = asyncio.run(main())
    assert got == list(range(len(got))) and len(got) >= 5000 and finish == "length"


def test_bench_serve_starts_a_server_of_its_own_minisora(tmp_path, monkeypatch):
    """``bench serve --run`` starts ``python -m minisora.cli serve`` in a second process; ``-m`` puts
    the working directory first on ``sys.path``, so from another checkout's folder the server would
    run that checkout's code. The server must import the minisora the bench itself runs, with the
    run's path made absolute, wherever the bench is started."""
    import subprocess
    import sys

    from minisora.tools import bench_serve

    other = tmp_path / "other"  # another checkout, whose minisora would shadow ours from its folder
    (other / "minisora").mkdir(parents=True)
    (other / "minisora" / "__init__.py").write_text("")
    monkeypatch.chdir(other)
    seen = {}

    def popen(cmd, **kw):
        seen.update(cmd=cmd, **kw)
        raise RuntimeError("recorded")

    monkeypatch.setattr(bench_serve.subprocess, "Popen", popen)
    with pytest.raises(RuntimeError, match="recorded"):
        with bench_serve.own_server("runs/x", slots=2):
            pass
    monkeypatch.undo()  # the real Popen again, for the checks below
    assert seen["cmd"][seen["cmd"].index("--run") + 1] == str(other / "runs" / "x")
    found = subprocess.run([sys.executable, "-c", "import minisora; print(minisora.__file__)"], cwd=seen["cwd"],
                           env=seen["env"], capture_output=True, text=True, check=True).stdout.strip()
    assert found == minisora.__file__
    shadowed = subprocess.run([sys.executable, "-c", "import minisora; print(minisora.__file__)"], cwd=other,
                              env=seen["env"], capture_output=True, text=True, check=True).stdout.strip()
    assert shadowed == str(other / "minisora" / "__init__.py")  # what the old cwd gave: the check can fail
