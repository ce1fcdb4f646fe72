"""The continuous-batching engine against ``decode.generate``, the one-prompt decoder it must match.

Requests of different lengths and settings come and go in the same slots; each must get the
tokens ``generate`` gives its prompt alone (greedy, and seeded sampling too), the slots must
free as requests end, and nothing may recompile once each prompt bucket has been seen.
"""

import jax
import numpy as np
import pytest
from flax import nnx

import minisora
from minisora.datasets import ARTICLE_QUESTION
from minisora.errors import UserError
from minisora.inference import chat
from minisora.inference.decode import generate
from minisora.inference.engine import Engine, QueueFull, Request, count_buckets, group_sizes

N = 40  # new tokens per request, here and in tests/tools/test_serve.py (one compile of the reference)
QUESTIONS = [ARTICLE_QUESTION, "How do I reset my password?", "你好", "怎么退款？", "What time is it?",
             "我想取消订单。", "Where is my parcel?", "谢谢"]


def engine_for(run, slots=4, **kw):
    graphdef, params = nnx.split(run.model)
    return Engine(graphdef, params, run.config, slots=slots, **chat.special_args(run.tokenizer), **kw)


def alone(run, ids, max_tokens, temperature=0.0, top_k=None, top_p=None, seed=0):
    graphdef, params = nnx.split(run.model)
    return generate(graphdef, params, [ids], run.config, max_new_tokens=max_tokens, temperature=temperature,
                    top_k=top_k, top_p=top_p, seed=seed, **chat.special_args(run.tokenizer))[0]


def run_all(engine, requests):
    outs = [[] for _ in requests]
    finish = [None] * len(requests)
    reqs = []
    for k, (ids, n, kw) in enumerate(requests):
        def emit(y, f, k=k):
            if f is None:
                outs[k].append(y)
            else:
                finish[k] = f
        reqs.append(Request(ids, n, emit, **kw))
        engine.submit(reqs[-1])
    steps = 0
    while engine.waiting or engine.busy():
        engine.step()
        steps += 1
    return outs, finish, steps


@pytest.mark.parametrize("name, blocks", [("chat", 1), ("chat", 3), ("sora-chat", 1)])
def test_mixed_requests_get_what_they_get_alone(trained, name, blocks):
    """blocks=3: ChatGPT's cache cut into blocks of slots, the step reading only those in use."""
    run = minisora.load(trained / name)
    settings = [dict(), dict(temperature=0.8, seed=3), dict(temperature=1.0, top_k=5, seed=1),
                dict(temperature=0.9, top_p=0.8, seed=7)]
    # one answer length for all: the reference decoder compiles once per (bucket, length, greedy)
    requests = [(chat.encode_prompt(run, q), N, settings[i % 4]) for i, q in enumerate(QUESTIONS)]
    engine = engine_for(run, slots=3, blocks=blocks)  # 8 requests, 3 slots: they wait, and take freed slots
    outs, finish, _ = run_all(engine, requests)
    for (ids, n, kw), out, f in zip(requests, outs, finish):
        assert out == alone(run, ids, n, **kw)
        assert f == ("length" if len(out) == n else "stop")
    assert engine.busy() == 0 and not engine.waiting
    greedy = [chat.tokenizer_of(run).decode(o) for (_, _, kw), o in zip(requests, outs) if not kw]
    assert ARTICLE_QUESTION not in greedy and len(set(greedy)) == len(greedy)  # real, different answers


@pytest.mark.parametrize("blocks", [1, 3])
def test_the_ring_wraps_many_times(trained, blocks):
    """ChatGPT's slots write at one index for all; after many requests it has wrapped max_len
    several times, and answers are still those of the prompt alone — also with the cache cut
    into blocks, where a request's slots wrap from the last block into the first."""
    run = minisora.load(trained / "chat")
    engine = engine_for(run, slots=2, blocks=blocks)
    assert engine.blocks == blocks and (blocks == 1) == ("used" not in engine.state)
    requests = [(chat.encode_prompt(run, q), N, {}) for q in QUESTIONS * 4]  # answers stop early: enough of them
    outs, _, _ = run_all(engine, requests)
    assert engine.steps > 2 * run.config.max_len  # the write index went round the ring more than twice
    assert all(out == alone(run, ids, n) for (ids, n, _), out in zip(requests, outs))


def test_an_idle_ring_starts_afresh_so_short_requests_read_one_block(trained):
    """After a long request has moved the write index, a short one that comes to an idle engine has
    its prompt put in the first slots: its whole answer stays in the first of 3 blocks, and only
    that block is read — with the tokens of the prompt alone."""
    run = minisora.load(trained / "chat")
    engine = engine_for(run, slots=2, blocks=3)  # max_len 96: blocks of 32 slots
    run_all(engine, [(chat.encode_prompt(run, QUESTIONS[1]), N, {})])
    ids = chat.encode_prompt(run, "你好")[-8:]  # an 8-token prompt (bucket ≤ 16), 12 new tokens: slots 0..27
    assert int(engine.state["index"]) % run.config.max_len >= 32
    outs, _, _ = run_all(engine, [(ids, 12, {})])
    assert outs[0] == alone(run, ids, 12)
    assert int(engine.state["index"]) <= 32 and engine.state["used"].tolist() == [True, False, False]


def test_the_engine_says_once_per_step_after_its_tokens_are_out(trained):
    """``delivered`` (a server wakes its event loop with it) comes once per step, after that step's
    emits: every step's tokens are followed by exactly one call, and none precedes them."""
    run = minisora.load(trained / "chat")
    engine = engine_for(run, slots=2)
    events = []
    engine.delivered = lambda: events.append("delivered")
    for q in QUESTIONS[:3]:
        engine.submit(Request(chat.encode_prompt(run, q), 6, lambda y, f: events.append("emit")))
    steps = 0
    while engine.waiting or engine.busy():
        engine.step()
        steps += 1
    assert events.count("delivered") == steps and events[-1] == "delivered"
    segments = " ".join(events).split("delivered")[:-1]  # what each step emitted before its call
    assert len(segments) == steps and all("emit" in seg for seg in segments)


def test_cancel_frees_the_slot_and_the_queue_is_bounded(trained):
    run = minisora.load(trained / "chat")
    engine = engine_for(run, slots=1, queue_size=2)
    got = []
    first = Request(chat.encode_prompt(run, QUESTIONS[0]), 50, lambda y, f: got.append(f))
    engine.submit(first)
    engine.submit(Request(chat.encode_prompt(run, QUESTIONS[1]), 5, lambda y, f: got.append(f)))
    with pytest.raises(QueueFull, match="slots are busy"):
        engine.submit(Request([9], 5, lambda y, f: None))
    engine.step()
    assert engine.active[0] is first
    first.cancel()
    engine.step()  # the cancelled request leaves; the waiting one takes its slot
    assert "cancelled" in got and engine.active[0] is not first


def test_requests_that_cannot_fit_are_refused_in_one_sentence(trained):
    run = minisora.load(trained / "chat")
    engine = engine_for(run)
    L = run.config.max_len
    for ids, n, match in [([9] * 10, 0, "at least 1"), ([9] * 10, L, "no room"), ([9] * (L - 5), 10, "at most")]:
        with pytest.raises(UserError, match=match):
            engine.submit(Request(ids, n, lambda y, f: None))
    with pytest.raises(UserError, match="Temperature"):
        engine.submit(Request([9], 5, lambda y, f: None, temperature=float("nan")))


@pytest.mark.parametrize("slots", [1, 3, 4, 8, 32, 64])
def test_a_burst_of_requests_is_prefilled_in_few_padded_calls(slots):
    counts = count_buckets(slots)
    assert counts[0] == 1 and counts[-1] == slots and counts == sorted(set(counts))
    for n in range(1, 3 * slots + 2):
        calls = group_sizes(n, counts)
        assert sum(real for real, _ in calls) == n
        for real, rows in calls:
            assert rows in counts and 1 <= real <= rows and 2 * real >= rows  # padding at most half a call
    assert group_sizes(31, count_buckets(32)) == [(31, 32)]  # one call, one row of padding
    assert group_sizes(5, count_buckets(32)) == [(4, 4), (1, 1)]  # not 11 padded rows of 16


@pytest.mark.parametrize("blocks", [1, 3])
def test_no_recompiles_after_warm_up(trained, blocks):
    run = minisora.load(trained / "chat")
    # both lengths of call, as a server has; blocks=3: the blocks read change, the shapes do not
    engine = engine_for(run, slots=4, chunk=6, arrival_chunk=1, blocks=blocks)
    engine.warm_up()
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: compiles.append(event) if event == "/jax/core/compile/backend_compile_duration"
        else None)
    rng = np.random.default_rng(0)
    requests = [(list(rng.integers(9, 3000, size=int(rng.integers(1, 60)))), int(rng.integers(1, 30)),
                 dict(temperature=float(rng.choice([0.0, 0.7])), top_p=float(rng.choice([0.5, 1.0])), seed=k))
                for k in range(12)]
    run_all(engine, requests)
    assert compiles == []
