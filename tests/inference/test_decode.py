"""The scan decoder against independent references: the uncached full forward, a Python loop
over growing sequences (nanoGPT's generate), prompts decoded alone, and the sampling filters."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from minisora import nn
from minisora.config import ModelConfig
from minisora.errors import UserError
from minisora.inference import chat, decode
from minisora.tokenizer import BOS_ID, EOS_ID, PAD_ID, pad_rows


class ToyLM(nnx.Module):
    """A test fixture with the prefill/step contract: z_t = W tanh(mean_{s≤t} (E[x_s] + P[s]))."""

    def __init__(self, config, rngs):
        self.config = config
        self.E = nnx.Embed(config.vocab_size, config.d_model, rngs=rngs)
        self.P = nnx.Embed(config.max_len, config.d_model, rngs=rngs)
        self.head = nnx.Linear(config.d_model, config.vocab_size, rngs=rngs)

    def __call__(self, ids, *, deterministic=True):
        T = ids.shape[1]
        x = self.E(ids) + self.P(jnp.arange(T))
        return self.head(jnp.tanh(jnp.cumsum(x, 1) / jnp.arange(1, T + 1)[:, None]))

    def prefill(self, ids, mask, cache_len):
        pos = jnp.maximum(jnp.cumsum(mask, 1) - 1, 0)
        s = ((self.E(ids) + self.P(pos)) * mask[..., None]).sum(1)
        n = mask.sum(1)
        return self.head(jnp.tanh(s / n[:, None])), (s, n)

    def step(self, state, y):
        s, n = state
        s = s + self.E(y) + self.P(n)
        return self.head(jnp.tanh(s / (n + 1)[:, None])), (s, n + 1)


TOY = ModelConfig(family="gpt", vocab_size=50, d_model=16, max_len=64)


@pytest.fixture(scope="module")
def toy():
    graphdef, params = nnx.split(ToyLM(TOY, nnx.Rngs(0)))
    return graphdef, params, TOY


def _real(kind):
    cfg = ModelConfig(family=kind, vocab_size=60, d_model=32, n_heads=2, n_layers=1, d_ff=64, max_len=48, d_lstm=32)
    graphdef, params = nnx.split(nn.create(cfg, seed=1))
    return graphdef, params, cfg


@pytest.fixture(scope="module", params=["toy", "gpt", "sora"])
def any_model(request):
    """The fixture model and both real ones (ChatGPT, Sora) at tiny sizes."""
    if request.param == "toy":
        graphdef, params = nnx.split(ToyLM(TOY, nnx.Rngs(0)))
        return graphdef, params, TOY
    return _real(request.param)


N_NEW = 12  # most tests share this and a bucket of 16 so that they share compiled loops
LENGTHS = [1, 6, 13]  # buckets 8 and 16 alone, 16 together


def _prompts(seed, lengths, V):
    rng = np.random.default_rng(seed)
    return [rng.integers(9, V, size=n).tolist() for n in lengths]


def _python_loop_greedy(graphdef, params, prompt, n):
    """nanoGPT's generate: the full forward on the sequence so far, argmax of its last position
    (right-padded to one length so the forward compiles once; causal, so the padding is unseen)."""
    model = nnx.merge(graphdef, params)
    forward = jax.jit(lambda ids: model(ids))
    ids = list(prompt)
    for _ in range(n):
        z = forward(jnp.asarray([ids + [PAD_ID] * (TOY.max_len - len(ids))]))[0, len(ids) - 1]
        ids.append(int(np.argmax(z)))
    return ids[len(prompt):]


# --- the loop ----------------------------------------------------------------------------------


def test_greedy_matches_a_python_loop(toy):
    graphdef, params, cfg = toy
    prompts = _prompts(0, LENGTHS, cfg.vocab_size)
    got = decode.generate(graphdef, params, prompts, cfg, max_new_tokens=N_NEW, temperature=0.0, stop_ids=())
    for p, row in zip(prompts, got):
        assert row == _python_loop_greedy(graphdef, params, p, N_NEW)


@pytest.mark.parametrize("kw", [dict(temperature=0.0), dict(temperature=0.8, top_k=20, top_p=0.95, seed=1)])
def test_cached_equals_uncached(any_model, kw):
    graphdef, params, cfg = any_model
    prompts = _prompts(1, LENGTHS, cfg.vocab_size)
    a = decode.generate(graphdef, params, prompts, cfg, max_new_tokens=N_NEW, stop_ids=(), **kw)
    b = decode.generate(graphdef, params, prompts, cfg, max_new_tokens=N_NEW, stop_ids=(), cached=False, **kw)
    assert a == b
    assert all(len(r) == N_NEW for r in a)


def test_padded_rows_equal_prompts_alone(any_model):
    graphdef, params, cfg = any_model
    prompts = _prompts(2, LENGTHS, cfg.vocab_size)
    kw = dict(max_new_tokens=N_NEW, temperature=0.0, stop_ids=())
    together = decode.generate(graphdef, params, prompts, cfg, **kw)
    for p, row in zip(prompts, together):
        assert row == decode.generate(graphdef, params, [p], cfg, **kw)[0]


def test_stop_token_ends_its_row_only(toy):
    graphdef, params, cfg = toy
    prompts = _prompts(3, LENGTHS, cfg.vocab_size)
    free = decode.generate(graphdef, params, prompts, cfg, max_new_tokens=N_NEW, temperature=0.0, stop_ids=())
    stop = free[0][3]  # make row 0's fourth token the stop token
    ids, mask = pad_rows(prompts, 16, left=True)
    raw = np.asarray(decode.decode_cached(
        graphdef, params, ids, mask, jax.random.key(0), decode.sampling_params(cfg.vocab_size, 0.0),
        np.array([stop], np.int32), max_new_tokens=N_NEW, greedy=True))
    first = free[0].index(stop)
    assert raw[0, : first + 1].tolist() == free[0][: first + 1]  # the stop token itself is emitted …
    assert (raw[0, first + 1:] == PAD_ID).all()  # … then only padding
    got = decode.generate(graphdef, params, prompts, cfg, max_new_tokens=N_NEW, temperature=0.0, stop_ids=(stop,))
    assert got[0] == free[0][:first]  # generate cuts the stop token and what follows
    for row, alone in zip(got[1:], free[1:]):  # other rows stop only at their own stop token
        assert row == (alone[: alone.index(stop)] if stop in alone else alone)


def test_temperature_to_zero_and_top_k_one_are_greedy(toy):
    graphdef, params, cfg = toy
    prompts = _prompts(4, LENGTHS, cfg.vocab_size)
    g = decode.generate(graphdef, params, prompts, cfg, max_new_tokens=N_NEW, temperature=0.0, stop_ids=())
    assert g == decode.generate(graphdef, params, prompts, cfg, max_new_tokens=N_NEW, temperature=1e-5, stop_ids=())
    assert g == decode.generate(graphdef, params, prompts, cfg, max_new_tokens=N_NEW, temperature=2.0, top_k=1,
                                seed=7, stop_ids=())


def test_seed_reproduces_and_changes_samples(toy):
    graphdef, params, cfg = toy
    p = _prompts(5, LENGTHS, cfg.vocab_size)
    kw = {"max_new_tokens": N_NEW, "temperature": 1.0, "stop_ids": ()}  # sampling: the default is greedy
    a = decode.generate(graphdef, params, p, cfg, seed=1, **kw)
    assert a == decode.generate(graphdef, params, p, cfg, seed=1, **kw)
    assert a != decode.generate(graphdef, params, p, cfg, seed=2, **kw)


class _CountCompiles:
    """Counts XLA compilations (jax.monitoring's backend-compile event) inside a ``with``."""

    EVENT = "/jax/core/compile/backend_compile_duration"

    def __enter__(self):
        self.n = 0
        jax.monitoring.register_event_duration_secs_listener(self._on)
        return self

    def _on(self, name, _secs, **_):
        self.n += name == self.EVENT

    def __exit__(self, *exc):
        jax.monitoring.unregister_event_duration_listener(self._on)


def test_no_recompile_within_a_bucket():
    graphdef, params, cfg = _real("gpt")
    V = cfg.vocab_size
    decode.generate(graphdef, params, _prompts(6, [9], V), cfg, max_new_tokens=N_NEW, temperature=0.8)  # bucket 16
    graphdef2, params2, _ = _real("gpt")  # a fresh split of an equal model (a reloaded run)
    with _CountCompiles() as c:
        decode.generate(graphdef2, params2, _prompts(7, [16], V), cfg, max_new_tokens=N_NEW, temperature=1.3,
                        top_k=4, top_p=0.5, seed=9)
        decode.generate(graphdef, params, _prompts(8, [12], V), cfg, max_new_tokens=N_NEW, temperature=0.2, seed=1)
    assert c.n == 0
    with _CountCompiles() as c:  # the counter does see a new bucket
        decode.generate(graphdef, params, _prompts(9, [17], V), cfg, max_new_tokens=N_NEW, temperature=0.8)
    assert c.n >= 1


@pytest.mark.parametrize("batch", [1, 3])
def test_cache_is_updated_in_place(batch):
    """The compiled scan never copies a cache buffer: each step writes one slot in place.

    (With a (B, H, S, D) cache and B = 1, XLA:CPU copied every buffer three times per step.)"""
    cfg = ModelConfig(family="gpt", vocab_size=60, d_model=32, n_heads=2, n_layers=2, d_ff=64, max_len=48)
    graphdef, params = nnx.split(nn.create(cfg, seed=1))
    ids, mask = pad_rows(_prompts(3, [5] * batch, 60), 8, left=True)
    key, sampling, stops = jax.random.key(0), decode.sampling_params(60, 0.0), np.asarray([EOS_ID], np.int32)
    carry = decode.first_token(graphdef, params, ids, mask, key, sampling, stops, cache_len=40, greedy=True)
    hlo = decode.scan_steps.lower(graphdef, params, carry, 1, key, sampling, stops, n=8, greedy=True).compile().as_text()
    cache_shape = ",".join(map(str, carry[0]["k"][0].shape))  # "B·H,S,D"
    assert f"f32[{cache_shape}]" in hlo  # the buffer is there...
    # ...and no copy produces it, nor the same bytes under another shape (a unit axis added or dropped)
    copies = [line for line in hlo.splitlines() if " copy(" in line and ",40," in line.split("=")[1].split("copy(")[0]]
    assert copies == []


# --- prompts and bad input ---------------------------------------------------------------------


def test_bucket():
    assert [decode.bucket(n, 100) for n in (1, 8, 9, 16, 17, 70, 100)] == [8, 8, 16, 16, 32, 100, 100]
    assert decode.bucket(5, 4) == 4


def test_empty_prompt_starts_from_bos(toy):
    graphdef, params, cfg = toy
    kw = dict(max_new_tokens=N_NEW, temperature=0.0, stop_ids=())
    assert decode.generate(graphdef, params, [[]], cfg, **kw) == decode.generate(graphdef, params, [[BOS_ID]], cfg, **kw)


def test_long_prompt_keeps_its_end_and_warns_once(toy):
    graphdef, params, cfg = toy
    long = _prompts(10, [100], cfg.vocab_size)[0]
    said = []
    kw = dict(max_new_tokens=N_NEW, temperature=0.0, stop_ids=())
    got = decode.generate(graphdef, params, [long, long[:3]], cfg, warn=said.append, **kw)
    assert len(said) == 1
    room = cfg.max_len - N_NEW
    assert got[0] == decode.generate(graphdef, params, [long[-room:]], cfg, **kw)[0]


@pytest.mark.parametrize("kw", [dict(max_new_tokens=0), dict(max_new_tokens=-3), dict(temperature=-0.1),
                                dict(temperature=float("nan")), dict(top_p=0.0), dict(top_p=1.5),
                                dict(top_k=0), dict(max_new_tokens=64)])
def test_bad_input_is_one_sentence(toy, kw):
    graphdef, params, cfg = toy
    with pytest.raises(UserError) as e:
        decode.generate(graphdef, params, [[10, 11]], cfg, **kw)
    msg = str(e.value)
    assert msg.endswith(".") and "\n" not in msg


@pytest.mark.parametrize("kw", [dict(temperature=0.0), dict(temperature=0.9, top_p=0.8, seed=4)])
def test_streamed_chunks_equal_one_scan(toy, kw):
    graphdef, params, cfg = toy
    prompts = _prompts(11, LENGTHS, cfg.vocab_size)
    whole = decode.generate(graphdef, params, prompts, cfg, max_new_tokens=N_NEW, stop_ids=(), **kw)
    parts = list(decode.stream(graphdef, params, prompts, cfg, max_new_tokens=N_NEW, stop_ids=(), chunk=8, **kw))
    assert [p.shape[1] for p in parts] == [1, 8, 3]
    assert np.concatenate(parts, axis=1).tolist() == whole


def test_chat_context_drops_oldest_turns():
    from minisora.tokenizer import ASSISTANT_ID, USER_ID

    history = [([10, 11], [12]), ([13], [14, 15]), ([16], [17])]
    turn = lambda q, a: [USER_ID, *q, ASSISTANT_ID, *a, EOS_ID]
    assert chat.chat_context(history, [20], 100) == turn([10, 11], [12]) + turn([13], [14, 15]) + turn([16], [17]) + [
        USER_ID, 20, ASSISTANT_ID]
    # turns of 6, 6 and 5 tokens plus 3: a room of 15 drops the oldest turn
    assert chat.chat_context(history, [20], 15) == turn([13], [14, 15]) + turn([16], [17]) + [USER_ID, 20, ASSISTANT_ID]
    assert chat.chat_context(history, [20], 3) == [USER_ID, 20, ASSISTANT_ID]
    assert chat.chat_context([], [20, 21, 22, 23], 4) == [USER_ID, 22, 23, ASSISTANT_ID]  # the question's end


# --- the commands ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run directory as training leaves it: config, tokenizer, one checkpoint (random weights)."""
    from minisora.tokenizer import train_tokenizer
    from minisora.training.rundir import write_run

    root = tmp_path_factory.mktemp("runs")
    tok = train_tokenizer(["the quick brown fox jumps over the lazy dog? " * 20], root / "tok", vocab_size=300,
                          model_type="char", from_text=True)
    cfg = ModelConfig(family="gpt", vocab_size=tok.vocab_size, d_model=32, n_heads=2, n_layers=1, d_ff=64, max_len=48)
    write_run(root / "gpt", nn.create(cfg, seed=2), cfg, data={}, tokenizer=tok)
    return root / "gpt"


def _cli(argv, capsys):
    from minisora.cli import main

    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_command_streams_what_generate_text_returns(run_dir, capsys):
    import minisora
    from minisora.inference.chat import generate_text

    handle = minisora.load(run_dir)
    expected = generate_text(handle, "the fox", max_new_tokens=N_NEW, temperature=0.0)
    code, out, _ = _cli(["generate", "--run", str(run_dir), "--prompt", "the fox", "--max-new-tokens", str(N_NEW),
                         "--temperature", "0"], capsys)
    assert code == 0
    assert out == "the fox" + expected + "\n"
    code, out, _ = _cli(["generate", "--run", str(run_dir), "--prompt", "the", "--max-new-tokens", "5",
                         "--num-samples", "2", "--top-k", "3"], capsys)
    assert code == 0 and out.count("--- sample") == 2


def test_generate_command_keeps_the_end_of_a_long_prompt(run_dir, capsys):
    code, _, err = _cli(["generate", "--run", str(run_dir), "--prompt", "the lazy dog " * 10, "--max-new-tokens",
                         str(N_NEW), "--temperature", "0"], capsys)
    assert code == 0
    assert err.count("keeping its last") == 1


@pytest.mark.parametrize("flags", [["--max-new-tokens", "0"], ["--temperature", "-1"], ["--top-p", "0"],
                                   ["--top-p", "1.5"], ["--top-k", "0"], ["--num-samples", "0"],
                                   ["--max-new-tokens", "48"]])
def test_generate_command_bad_flags(run_dir, capsys, flags):
    code, out, err = _cli(["generate", "--run", str(run_dir), "--prompt", "the", *flags], capsys)
    assert code == 2 and out == ""
    assert err.startswith("minisora: error: ") and err.count("\n") == 1


def test_commands_refuse_a_run_without_a_model(tmp_path, capsys):
    for cmd in ("generate", "chat"):
        code, _, err = _cli([cmd, "--run", str(tmp_path / "nothing")], capsys)
        assert code == 2 and err.count("\n") == 1
    untrained = tmp_path / "untrained"
    untrained.mkdir()
    (untrained / "config.json").write_text('{"model": {"family": "gpt"}, "train": null}')
    code, _, err = _cli(["generate", "--run", str(untrained)], capsys)
    assert code == 2 and "checkpoint" in err and err.count("\n") == 1


def test_chat_keeps_history_resets_and_quits(run_dir, capsys, monkeypatch):
    import io

    import minisora

    handle = minisora.load(run_dir)
    tok = handle.tokenizer
    graphdef, params = nnx.split(handle.model)
    room = decode.prompt_room(handle.config, 8)

    def answer(history, q):
        ctx = chat.chat_context(history, tok.encode(q), room)
        return decode.generate(graphdef, params, [ctx], handle.config, max_new_tokens=8, temperature=0.0)[0]

    a1 = answer([], "the fox")
    a2 = answer([(tok.encode("the fox"), a1)], "a dog")  # the second turn sees the first
    a3 = answer([], "a dog")  # after /reset it does not
    assert a2 != a3  # (so the transcript below shows whether history was kept)
    monkeypatch.setattr("sys.stdin", io.StringIO("the fox\na dog\n/reset\na dog\n/quit\nnever read\n"))
    code, out, _ = _cli(["chat", "--run", str(run_dir), "--max-new-tokens", "8"], capsys)
    assert code == 0
    replies = [line.split("bot> ", 1)[1] for line in out.splitlines() if "bot> " in line]
    assert replies == [tok.decode(a) for a in (a1, a2, a3)]
    monkeypatch.setattr("sys.stdin", io.StringIO("the fox\n"))  # end of input ends the chat cleanly
    code, out, _ = _cli(["chat", "--run", str(run_dir), "--max-new-tokens", "8"], capsys)
    assert code == 0 and out.count("bot> ") == 1


# --- the benchmark ------------------------------------------------------------------------------


def test_state_bytes_grow_for_the_cache_not_for_the_lstm():
    gpt = ModelConfig(family="gpt", vocab_size=60, d_model=32, n_heads=2, n_layers=3, d_ff=64, max_len=48)
    sizes = [nn.state_bytes(gpt, 5, n) for n in (64, 256, 1024)]
    per_token = 2 * 3 * 32 * 4 + 1  # k and v of every layer in float32, plus the slot's "real" flag
    assert sizes[2] - sizes[1] == 768 * per_token and sizes[1] - sizes[0] == 192 * per_token
    sora = gpt.replace(family="sora", d_lstm=16)
    assert len({nn.state_bytes(sora, 5, n) for n in (64, 256, 1024)}) == 1


def test_bench_decode_json(capsys):
    import json

    code, out, _ = _cli(["bench", "decode", "--model", "sora", "--preset", "baby", "--prompt-len", "3",
                         "--new-tokens", "4", "--json"], capsys)
    assert code == 0
    r = json.loads(out.strip().splitlines()[-1])
    assert r["tokens_per_s"] > 0 and r["uncached_tokens_per_s"] > 0 and r["compile_s"] > 0
    assert set(r["state_bytes"]) == {"64", "256", "1024"}
    code, _, err = _cli(["bench", "decode", "--model", "gpt", "--preset", "baby", "--new-tokens", "250"], capsys)
    assert code == 2 and "does not fit" in err
