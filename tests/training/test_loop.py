"""The train step against hand arithmetic, the optimisers against their formulas, and the loop:
no recompiles, NaN guard, exact resume, bad inputs (through ``minisora.cli.main``, as a user types them)."""

import json
import math
import os
import signal

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from minisora import cli
from minisora.config import ModelConfig, TrainConfig
from minisora.errors import UserError
from minisora.tokenizer import N_SPECIAL
from minisora.training import batches as data
from minisora.training import checkpoint, loop, optim
from minisora.training.step import make_steps, split_model

V = 24


class Bigram(nnx.Module):
    """A fixture model with ChatGPT's training call: ids (B, T) -> logits (B, T, V), with dropout."""

    def __init__(self, rngs, dropout=0.1):
        self.embed = nnx.Embed(V, 8, rngs=rngs)
        self.drop = nnx.Dropout(dropout, rngs=rngs)
        self.out = nnx.Linear(8, V, rngs=rngs)

    def __call__(self, ids, *, deterministic=True):
        return self.out(self.drop(jnp.tanh(self.embed(ids)), deterministic=deterministic))


def _corpus(n=2000):
    return (np.arange(n) * 5 % (V - N_SPECIAL) + N_SPECIAL).astype(np.int32)


def _batches(family="gpt", B=4, T=8):
    tr, va = data.split_held_out(_corpus())
    return data.Batches(family, "text", tr, va, batch_size=B, seq_len=T, vocab_size=V)


def _copy(tree):
    return jax.tree.map(jnp.array, tree)


def _flat(tree):
    return [np.asarray(x) for x in jax.tree.leaves(tree)]


# --- one step against hand arithmetic -------------------------------------------------------------


def test_sgd_step_is_theta_minus_alpha_grad():
    model = Bigram(nnx.Rngs(0), dropout=0.0)
    cfg = TrainConfig(optimizer="sgd", lr=0.3, clip=0, warmup=0, steps=5).resolved()
    graphdef, params, rest = split_model(model)
    tx = optim.make_optimizer(cfg)
    train_step, _ = make_steps(graphdef, cfg)
    batch = _batches().sample(data.make_rng(0))
    θ = _copy(params)

    def L(p):  # the loss by hand: mean −log softmax(z)[y]
        z = nnx.merge(graphdef, p, rest)(batch["x"])
        log_p = z - jax.scipy.special.logsumexp(z, axis=-1, keepdims=True)
        return -jnp.mean(jnp.take_along_axis(log_p, batch["y"][..., None], -1))

    loss, g = jax.value_and_grad(L)(θ)
    new, _, metrics = train_step(_copy(params), tx.init(params), rest, batch, np.int32(0))
    assert float(metrics["loss"]) == pytest.approx(float(loss), rel=1e-6)
    assert float(metrics["lr"]) == pytest.approx(0.3)
    expected = jax.tree.map(lambda p, d: p - 0.3 * d, θ, g)  # θ_{t+1} = θ_t − α ∇L
    for a, b in zip(_flat(new), _flat(expected)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    gn = math.sqrt(sum(float(jnp.sum(x * x)) for x in jax.tree.leaves(g)))
    assert float(metrics["grad_norm"]) == pytest.approx(gn, rel=1e-5)


def _one_update(name, θ, g, **kw):
    cfg = TrainConfig(optimizer=name, lr=0.1, warmup=0, steps=10, **kw).resolved()
    tx = optim.make_optimizer(cfg)
    updates, _ = tx.update(g, tx.init(θ), θ)
    return jax.tree.map(lambda p, u: p + u, θ, updates)


TREE = {"w": jnp.array([[1.0, -2.0], [0.5, 3.0]]), "b": jnp.array([0.25, -1.0])}
GRAD = {"w": jnp.array([[0.2, -0.1], [0.05, 0.4]]), "b": jnp.array([-0.3, 0.1])}


def test_first_momentum_step_is_nesterov():
    # Nesterov, first step: v = g, θ ← θ − α (g + μ v) = θ − α (1 + μ) g
    new = _one_update("momentum", TREE, GRAD, clip=0, momentum=0.9)
    for k in TREE:
        np.testing.assert_allclose(new[k], TREE[k] - 0.1 * 1.9 * GRAD[k], rtol=1e-6)


def test_first_adamw_step_decays_matrices_only():
    # first Adam step: m̂ = g, v̂ = g², so the step is α g/(|g| + ε); AdamW adds α λ θ on matrices
    new = _one_update("adamw", TREE, GRAD, clip=0, weight_decay=0.1)
    adam = {k: GRAD[k] / (jnp.abs(GRAD[k]) + 1e-8) for k in GRAD}
    np.testing.assert_allclose(new["w"], TREE["w"] - 0.1 * (adam["w"] + 0.1 * TREE["w"]), rtol=1e-5)
    np.testing.assert_allclose(new["b"], TREE["b"] - 0.1 * adam["b"], rtol=1e-5)


def test_global_norm_clipping():
    norm = math.sqrt(sum(float(jnp.sum(g * g)) for g in GRAD.values()))
    new = _one_update("sgd", TREE, GRAD, clip=0.1)  # ‖g‖ ≈ 0.56 > c: g ← g c/‖g‖
    for k in TREE:
        np.testing.assert_allclose(new[k], TREE[k] - 0.1 * GRAD[k] * 0.1 / norm, rtol=1e-5)
    new = _one_update("sgd", TREE, GRAD, clip=10.0)  # below the threshold: unchanged
    for k in TREE:
        np.testing.assert_allclose(new[k], TREE[k] - 0.1 * GRAD[k], rtol=1e-6)


def test_warmup_cosine_schedule():
    cfg = TrainConfig(lr=1.0, min_lr=0.1, warmup=4, steps=20).resolved()
    α_t = optim.lr_schedule(cfg)
    for t in range(4):
        assert float(α_t(t)) == pytest.approx((t + 1) / 4)
    for t in (4, 9, 12, 19):
        assert float(α_t(t)) == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi * (t - 4) / 16)), rel=1e-6)
    assert float(α_t(20)) == pytest.approx(0.1)


def test_warmup_stable_decay_schedule():
    """decay_from = D: the peak α from the warm-up's end to step D, then the cosine from D to N."""
    cfg = TrainConfig(lr=1.0, min_lr=0.1, warmup=4, steps=20, decay_from=10).resolved()
    α_t = optim.lr_schedule(cfg)
    assert [float(α_t(t)) for t in (3, 4, 7, 10)] == pytest.approx([1.0, 1.0, 1.0, 1.0])
    for t in (11, 15, 19):
        assert float(α_t(t)) == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi * (t - 10) / 10)), rel=1e-6)
    assert float(α_t(20)) == pytest.approx(0.1)
    with pytest.raises(UserError, match="decay_from"):
        TrainConfig(steps=20, decay_from=20).resolved()


def test_bad_optimizer_and_lr_are_user_errors():
    with pytest.raises(UserError, match="Unknown optimizer"):
        TrainConfig(optimizer="rmsprop").resolved()
    with pytest.raises(UserError, match="--lr"):
        TrainConfig(lr=-1.0).resolved()


# --- the loop --------------------------------------------------------------------------------------


def _loop_cfg(**kw):
    base = dict(steps=6, batch_size=4, seq_len=8, eval_every=3, eval_batches=2, checkpoint_every=3,
                log_every=2, optimizer="adamw", lr=1e-2, warmup=2)
    return TrainConfig(**{**base, **kw})


def test_loop_compiles_once_and_writes_metrics(tmp_path, monkeypatch):
    steps, traces = {}, []

    class CountTraces:
        """The jitted train step, counting how often the loop traces it for compilation."""

        def __init__(self, jitted):
            self.jitted = jitted

        def trace(self, *a, **k):
            traces.append(a)
            return self.jitted.trace(*a, **k)

        def __call__(self, *a, **k):
            return self.jitted(*a, **k)

    def spy(*a, **k):
        steps["train"], steps["eval"] = make_steps(*a, **k)
        return CountTraces(steps["train"]), steps["eval"]

    monkeypatch.setattr(loop, "make_steps", spy)  # the name the loop calls
    result = loop.train(Bigram(nnx.Rngs(0)), _batches(), _loop_cfg(), tmp_path, quiet=True)
    # six steps, one compiled program: traced and compiled once ahead of time (a compiled program
    # never recompiles; other shapes would be an error), and no step went through jit's dispatch
    assert len(traces) == 1 and result.steps == 6 and result.compiled is not None
    assert steps["train"]._cache_size() == 0
    assert steps["eval"]._cache_size() == 1
    lines = [json.loads(ln) for ln in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in lines if "loss" in m] == [2, 3, 4, 6]  # log every 2, and at checkpoints
    assert [m["step"] for m in lines if "val_loss" in m] == [3, 6]
    assert all(math.isfinite(m["loss"]) and m["tokens_per_s"] > 0 for m in lines if "loss" in m)
    assert sorted(int(p.name) for p in (tmp_path / "checkpoints").iterdir()) == [3, 6]
    assert (tmp_path / "loss.png").stat().st_size > 1000


def test_training_lowers_held_out_loss(tmp_path):
    result = loop.train(Bigram(nnx.Rngs(0), dropout=0.0), _batches(),
                        _loop_cfg(steps=60, eval_every=60, checkpoint_every=60, lr=0.05), tmp_path, quiet=True)
    val = [json.loads(ln)["val_loss"] for ln in (tmp_path / "metrics.jsonl").read_text().splitlines() if "val_loss" in ln]
    # the corpus is a deterministic cycle, so a bigram model can drive the loss far below ln V
    assert val[-1] < 0.5 * math.log(V - N_SPECIAL)
    assert result.params is not None and result.steps == 60


def _interrupt_at(batches, k):
    """Make the k-th batch draw send Ctrl-C to this process, as a user would."""
    sample, calls = batches.sample, []

    def sample_and_interrupt(rng, split="train"):
        calls.append(split)
        if calls.count("train") == k and split == "train":
            os.kill(os.getpid(), signal.SIGINT)
        return sample(rng, split)

    batches.sample = sample_and_interrupt
    return batches


@pytest.mark.parametrize("family", ["gpt", "sora"])
def test_ctrl_c_checkpoints_and_resume_is_bit_identical(tmp_path, family, capsys):
    # the real models with dropout; for Sora the BERT masking draws from the generator too
    from minisora.nn import create

    config = ModelConfig(family=family, vocab_size=V, d_model=16, n_heads=2, n_layers=1, d_ff=32, max_len=16,
                         d_lstm=16, dropout=0.1)
    cfg = _loop_cfg(steps=6, checkpoint_every=100, eval_every=100)

    whole = loop.train(create(config, seed=0), _batches(family), cfg, tmp_path / "a", quiet=True)

    with pytest.raises(KeyboardInterrupt):  # Ctrl-C during step 3: it finishes, saves, stops
        loop.train(create(config, seed=0), _interrupt_at(_batches(family), 3), cfg, tmp_path / "b", quiet=True)
    assert [int(p.name) for p in (tmp_path / "b" / "checkpoints").iterdir()] == [3]
    assert "stopped at step 3; checkpoint saved. Continue with --resume." in capsys.readouterr().out
    with pytest.raises(KeyboardInterrupt):  # a caller that says what to do itself (compare) gets no hint
        loop.train(create(config, seed=0), _interrupt_at(_batches(family), 3), cfg, tmp_path / "c", quiet=True,
                   stop_hint=None)
    assert capsys.readouterr().out.strip().endswith("stopped at step 3; checkpoint saved.")
    resumed = loop.train(create(config, seed=5), _batches(family), cfg, tmp_path / "b", resume=True, quiet=True)

    for a, b in zip(_flat(whole.params), _flat(resumed.params)):
        np.testing.assert_array_equal(a, b)  # bit-identical, dropout included
    steps = [json.loads(ln)["step"] for ln in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(steps) and len(steps) == len(set(steps)) + 1  # step 6: train and eval lines


class PadBomb(Bigram):
    """Logits divided by (token ≠ PAD): any PAD in the input makes the loss NaN."""

    def __call__(self, ids, *, deterministic=True):
        return super().__call__(ids, deterministic=deterministic) / (ids != 0)[..., None]


def test_nan_loss_stops_without_checkpointing_the_bad_state(tmp_path):
    batches = _batches()
    sample, calls = batches.sample, []

    def sample_with_a_bad_batch_at_step_4(rng, split="train"):
        b = sample(rng, split)
        calls.append(split)
        if split == "train" and calls.count("train") == 4:
            b["x"] = np.zeros_like(b["x"])
        return b

    batches.sample = sample_with_a_bad_batch_at_step_4
    cfg = _loop_cfg(steps=8, checkpoint_every=1, log_every=1, eval_every=100)
    with pytest.raises(UserError, match="NaN or infinite by step 4;"):
        loop.train(PadBomb(nnx.Rngs(0)), batches, cfg, tmp_path, quiet=True)
    mgr = checkpoint.manager(tmp_path, keep=100)
    assert mgr.latest_step() == 3  # steps 1..3 were saved; step 4's NaN state never was
    _, params, _ = split_model(PadBomb(nnx.Rngs(0)))
    step, restored, _, _ = checkpoint.restore(mgr, params)
    mgr.close()
    assert step == 3 and all(np.isfinite(x).all() for x in _flat(restored))


# --- bench train: model FLOPs against XLA's own count ------------------------------------------------


def test_bench_train_counts_gpt_flops_like_xla(monkeypatch):
    from minisora import config
    from minisora.tools import bench, flops

    monkeypatch.setitem(config.PRESETS, "micro", dict(vocab_size=V, d_model=16, n_heads=2, n_layers=2, d_ff=64, max_len=16))
    r = bench.bench_train("gpt", "micro", batch_size=8, seq_len=16, steps=2, warmup_steps=1)
    # 6N + 12·L·C·T by hand: N = every parameter but the position table
    C, L, T = 16, 2, 16
    N = V * C + L * (4 * C * C + 4 * C + 2 * C * 64 + 64 + C + 4 * C) + 2 * C
    assert r["flops_per_token"] == 6 * N + 12 * L * C * T
    assert abs(r["xla_flops_per_token"] / r["flops_per_token"] - 1) < 0.2  # XLA also counts softmax, norms, adam
    assert r["tokens_per_s"] > 0 and r["compile_s"] > 0 and 0 < r["mfu"]
    assert flops.published_peak("NVIDIA H100 80GB HBM3", "bfloat16") == 989e12
    assert flops.published_peak("TPU v5 lite", "float32") == 197e12 and flops.published_peak("cpu", "float32") is None


# --- the command: bad inputs give one sentence and a non-zero exit -----------------------------------


@pytest.fixture(scope="module")
def char_tokenizer(tmp_path_factory):
    from minisora.tokenizer import train_tokenizer

    out = tmp_path_factory.mktemp("tok")
    train_tokenizer(["the quick brown fox jumps over the lazy dog " * 20], out, vocab_size=300,
                    model_type="char", from_text=True)
    return out


def _fails(capsys, argv, match):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("minisora: error: ") and "\n" not in err and "Traceback" not in err
    assert match in err, err


def test_bad_inputs_are_one_sentence(tmp_path, capsys, char_tokenizer):
    short = tmp_path / "short.txt"
    short.write_text("the lazy dog\n")
    base = ["pretrain", "--tokenizer", str(char_tokenizer), "--steps", "2", "--seq-len", "32", "--preset", "tiny"]
    _fails(capsys, base + ["--corpus", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "r1")], "not found")
    _fails(capsys, base + ["--corpus", str(short), "--out", str(tmp_path / "r2")], "fewer than one window")
    _fails(capsys, base + ["--corpus", str(short), "--out", str(tmp_path / "r3"), "--model", "gpt5"], "Unknown model")
    _fails(capsys, base + ["--corpus", str(short), "--out", str(tmp_path / "missing"), "--resume"], "no run directory")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "config.json").write_text("{not json")
    _fails(capsys, base + ["--corpus", str(short), "--out", str(corrupt), "--resume"], "corrupt")
