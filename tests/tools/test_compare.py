"""`minisora compare`: verdict rule, matched sizes, FLOP counting, the evaluators, the report
(minisora/tools/: compare.py, measure.py, report.py, flops.py)."""

import json
import math
import statistics

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from minisora import nn
from minisora.config import ModelConfig, TrainConfig
from minisora.datasets import ARTICLE_QUESTION
from minisora.errors import UserError
from minisora.tokenizer import BOS_ID
from minisora.tools import compare, measure, report
from minisora.tools.flops import matmul_flops
from minisora.training.losses import token_nll
from minisora.training.optim import make_optimizer
from minisora.training.step import make_steps, split_model

# --- the verdict rule on synthetic numbers --------------------------------------------------------


def test_mean_std_is_the_sample_standard_deviation():
    xs = [4.1, 3.7, 4.6]
    assert report.mean_std(xs) == pytest.approx((statistics.mean(xs), statistics.stdev(xs)))
    assert math.isnan(report.mean_std([2.0])[1])  # one seed: no spread


def test_verdict_supported_refuted_inconclusive():
    # A = 1.0 ± 0.1, B = 0.5 ± 0.1: s_d = √0.02 ≈ 0.141, margin = 2 s_d ≈ 0.283 < d = 0.5
    v, d, margin = report.verdict(1.0, 0.1, 0.5, 0.1, higher_is_better=True)
    assert (v, d, margin) == ("supported", pytest.approx(0.5), pytest.approx(2 * math.sqrt(0.02)))
    assert report.verdict(0.5, 0.1, 1.0, 0.1, higher_is_better=True)[0] == "refuted"
    # d = 0.2 < margin 0.283: within the seed noise
    assert report.verdict(0.7, 0.1, 0.5, 0.1, higher_is_better=True)[0] == "inconclusive"
    # lower is better (a loss): A = 4.0 beats B = 5.0 when the spread is small
    assert report.verdict(4.0, 0.05, 5.0, 0.05, higher_is_better=False)[0] == "supported"
    assert report.verdict(5.0, 0.05, 4.0, 0.05, higher_is_better=False)[0] == "refuted"
    # one seed: the spread is unknown, so a noisy metric cannot decide
    assert report.verdict(9.0, math.nan, 1.0, math.nan, higher_is_better=True)[0] == "inconclusive"


def test_verdict_relative_floor_for_metrics_without_spread():
    # FLOPs: no seed spread; 3 % apart is under the 5 % floor, 20 % apart is not
    assert report.verdict(1.03e6, 0.0, 1.0e6, 0.0, higher_is_better=True, deterministic=True)[0] == "inconclusive"
    v, _, margin = report.verdict(1.2e6, math.nan, 1.0e6, math.nan, higher_is_better=True, deterministic=True)
    assert v == "supported" and margin == pytest.approx(0.05 * 1.2e6)


def test_fmt_rounds_to_the_spread():
    assert report.fmt(5.2, 0.0107) == "5.200 ± 0.011"
    assert report.fmt(12070, 350) == "12.07 ± 0.35 k"
    assert report.fmt(1_040_000, 0) == "1,040,000"
    assert report.fmt(3.5, math.nan) == "3.5 ± n/a"
    assert report.fmt(552_288, math.nan) == "552,288"  # a count measured once: exact


# --- matched sizes --------------------------------------------------------------------------------


def test_matched_parameter_counts_within_ten_percent():
    gpt_cfg, sora_cfg, counts = compare.matched_configs("tiny", 2000)
    # count again from fully initialised models, not from the shapes the matcher used
    n_gpt = nn.count_params(nn.create(gpt_cfg))
    n_sora = nn.count_params(nn.create(sora_cfg))
    assert dict(counts) == {"gpt": n_gpt, "sora": n_sora}
    assert abs(n_sora - n_gpt) / n_gpt <= 0.10
    assert sora_cfg.d_model == gpt_cfg.d_model and sora_cfg.d_lstm >= sora_cfg.d_model // 2


# --- counting FLOPs -------------------------------------------------------------------------------


def test_matmul_flops_by_hand():
    a, b = jnp.ones((3, 4)), jnp.ones((4, 5))
    assert matmul_flops(jnp.dot, a, b) == 2 * 3 * 4 * 5
    x = jnp.ones((2, 6, 3, 4))  # batched: (B, H, T, D) x (B, H, D, T')
    assert matmul_flops(lambda x: jnp.einsum("bhtd,bhsd->bhts", x, x), x) == 2 * 2 * 6 * 3 * 3 * 4

    def looped(h):  # 7 steps of a (8, 16) @ (16, 16) product: the scan body counts 7 times
        return jax.lax.scan(lambda h, _: (jnp.tanh(h @ jnp.ones((16, 16))), None), h, None, length=7)[0]

    assert matmul_flops(looped, jnp.ones((8, 16))) == 7 * 2 * 8 * 16 * 16


def test_counted_train_flops_of_chatgpt_are_three_forward_passes():
    """GPT forward, by hand: per token 2·[L(4C² + 2CF) + CV] in the projections, MLP and head, plus
    2·2·T·C per layer for QKᵀ and AV; the backward pass doubles every product (train = 3 × forward)."""
    B, T, C, F, L, V = 2, 8, 16, 32, 2, 50
    cfg = ModelConfig(family="gpt", vocab_size=V, d_model=C, n_heads=2, n_layers=L, d_ff=F, max_len=T)
    forward = B * T * 2 * (L * (4 * C * C + 2 * C * F) + C * V) + L * 2 * (2 * B * T * T * C)
    model = nn.create(cfg)
    train_cfg = TrainConfig(steps=10, batch_size=B, seq_len=T)
    graphdef, params, rest = split_model(model)
    train_step, _ = make_steps(graphdef, train_cfg.resolved())
    opt_state = make_optimizer(train_cfg.resolved()).init(params)
    ids = np.random.default_rng(0).integers(9, V, (B, T)).astype(np.int32)
    batch = {"x": ids, "y": ids, "w": np.ones_like(ids)}
    assert matmul_flops(train_step, params, opt_state, rest, batch, np.int32(0)) == 3 * forward


# --- the evaluators ---------------------------------------------------------------------------------


def _tiny(model: str):
    cfg = ModelConfig(family=model, vocab_size=40, d_model=16, n_heads=2, n_layers=1, d_ff=32, max_len=32, d_lstm=16)
    return nn.create(cfg, seed=3)


@pytest.mark.parametrize("kind", ["gpt", "sora"])
def test_context_losses_equal_unpadded_teacher_forcing(kind):
    """Prompts of several lengths share one left-padded batch; each loss must equal the plain
    teacher-forced cross-entropy of the same prompt alone."""
    model = _tiny(kind)
    windows = np.random.default_rng(1).integers(9, 40, (3, 12 + 5)).astype(np.int32)  # P_max 12, C 5
    rows = measure.ContextSet.build(windows, [4, 12], 5)
    got = rows.losses(model)
    for P, loss in zip([4, 12], got):
        prompt, cont = jnp.asarray(windows[:, 12 - P : 12]), jnp.asarray(windows[:, 12:])
        if kind == "gpt":
            logits = model(jnp.concatenate([prompt, cont], axis=1))[:, P - 1 : -1]
        else:
            dec_in = jnp.concatenate([jnp.full((3, 1), BOS_ID, jnp.int32), cont[:, :-1]], axis=1)
            _, logits = model(prompt, jnp.ones_like(prompt), dec_in)
        assert loss == pytest.approx(float(token_nll(logits, cont).mean()), rel=1e-5)


def test_decode_state_bytes_grow_for_chatgpt_only():
    """ChatGPT keeps K and V for every position: per extra token 2·L·C float32 numbers (4 bytes) and
    one bool of the valid mask; Sora's LSTM state does not grow."""
    gpt, sora = _tiny("gpt"), _tiny("sora")
    g = measure.state_bytes(gpt, [4, 12])["bytes"]
    s = measure.state_bytes(sora, [4, 12])["bytes"]
    assert g[1] - g[0] == 8 * (2 * 1 * 16 * 4 + 1)
    assert s[1] == s[0]


# --- the report -------------------------------------------------------------------------------------


def _fake_results(n_seeds=3):
    rng = np.random.default_rng(0)
    per = {}
    for m, base in (("sora", 5.0), ("gpt", 4.6)):
        runs = []
        for s in range(n_seeds):
            loss = [base + 0.5 - 0.1 * i + rng.normal(0, 0.02) for i in range(4)]
            runs.append(dict(
                seed=s,
                cost=dict(params=550_000, flops_per_token_counted=3e6 if m == "gpt" else 2e6, flops_per_token_xla=3e6,
                          train_tokens_per_s=8000 + rng.normal(0, 100), decode_tokens_per_s=3000 + rng.normal(0, 50), wall_s=60.0,
                          state_bytes=dict(new_tokens=[16, 64], bytes=[100, 400] if m == "gpt" else [50, 50]),
                          state_bytes_max=400 if m == "gpt" else 50),
                lm=dict(tokens=[1000, 2000], val_loss=[6.0, base], final_loss=base, final_ppl=math.exp(base),
                        final_bpb=base / 3),
                context=dict(prompt_len=[16, 32, 64, 128], loss=loss, long_loss=loss[-1], gain=loss[0] - loss[-1]),
                dialogue=dict(em=0.1, f1=0.4 + rng.normal(0, 0.01),
                              samples=[dict(question=ARTICLE_QUESTION, reference="请重置密码。", answer="a|b")] * 5),
                diversity=dict(distinct_1=0.3, distinct_2=0.7 if m == "gpt" else 0.5, repeated_3=0.05 + rng.normal(0, 0.01)),
            ))
        per[m] = runs
    setup = dict(preset="tiny", vocab_size=2000, params={"sora": 550_000, "gpt": 550_000}, corpus="c.txt", dialogues="d.jsonl", pretrain_tokens=2000,
                 finetune_tokens=500, seeds=list(range(n_seeds)), quick=False, wall_s=1.0, decode_batch=4,
                 continuation_len=32, lm_prompt=64, n_test_dialogues=10, answer_tokens=16, n_diversity_prompts=4,
                 diversity_tokens=24, temperature=1.0)
    return {"setup": setup, "per_seed": per}


SECTIONS = ["## 1. Size and cost", "## 2. Language modelling", "## 3. Long and complex context", "## 4. Dialogue",
            "## 5. Diversity", "## Verdicts on the article's claims"]
FIGURES = ["cost.png", "lm.png", "context.png", "dialogue.png", "diversity.png"]


def test_report_from_synthetic_results(tmp_path):
    path = report.write_report(_fake_results(), tmp_path)
    text = path.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert section in text
    for fig in FIGURES:
        assert (tmp_path / fig).stat().st_size > 5000 and f"({fig})" in text
    # the synthetic numbers were built to refute, support and support the three claims in turn
    verdicts = [r["verdict"] for r in report.judge_claims(_fake_results())]
    assert verdicts == ["refuted", "supported", "supported"]
    assert "a\\|b" in text  # a "|" in an answer must not break the table
    (row,) = [ln for ln in text.splitlines() if ln.startswith("| final validation bits per byte |")]
    results = _fake_results()
    for m in ("sora", "gpt"):
        assert report.fmt(*report.mean_std([r["lm"]["final_bpb"] for r in results["per_seed"][m]])) in row


def test_report_of_results_without_bits_per_byte(tmp_path):
    # results.json written before bits per byte was measured still make a report, without that row
    results = _fake_results()
    for runs in results["per_seed"].values():
        for r in runs:
            del r["lm"]["final_bpb"]
    text = report.write_report(results, tmp_path).read_text(encoding="utf-8")
    assert "## 2. Language modelling" in text and "bits per byte |" not in text


def test_lm_record_bits_per_byte_by_hand():
    from minisora.tokenizer import train_tokenizer

    text = "The cat sat on the mat. 客服说请稍后再试。 " * 8
    tok = train_tokenizer([text], vocab_size=200, model_type="char", from_text=True)
    ids = np.asarray(tok.encode(text), np.int32)
    assert len(ids) == len(text)  # one id per character: the continuation's text is a slice of the text
    windows = measure.eval_windows(ids, 3, 8, 5)  # 3 windows of 8 prompt + 5 continuation ids
    rows = measure.ContextSet.build(windows, [4, 8], 5)
    starts = np.linspace(0, len(ids) - 13, 3).astype(int)  # where eval_windows took them
    n_bytes = sum(len(text[s + 8 : s + 13].encode("utf-8")) for s in starts)
    lm = compare.lm_record([100, 200], [2.0, 1.5], rows.only(8), tok)
    assert lm["bytes"] == n_bytes > 15  # the Chinese characters are 3 bytes each
    assert lm["final_bpb"] == pytest.approx(1.5 * 15 / (math.log(2) * n_bytes))
    assert lm["val_bpb"][0] == pytest.approx(2.0 * 15 / (math.log(2) * n_bytes))


def test_bad_settings_are_one_sentence(tmp_path):
    with pytest.raises(UserError, match="less than one batch"):
        compare.check(compare.CompareConfig(budget_tokens=10))
    with pytest.raises(UserError, match="one Sora run and one ChatGPT run|no run directory|not a minisora run"):
        compare.reuse_runs([tmp_path / "a", tmp_path / "b"], "c.txt", "d.jsonl", tmp_path, compare.CompareConfig())


# --- the whole job, quick ------------------------------------------------------------------------------


@pytest.mark.slow
def test_quick_compare_writes_every_section(tmp_path):
    from minisora.cli import main
    from minisora.datasets import SHIPPED_CORPUS, SHIPPED_DIALOGUES

    assert main(["compare", "--quick", "--out", str(tmp_path), "--corpus", str(SHIPPED_CORPUS),
                 "--dialogues", str(SHIPPED_DIALOGUES["train"])]) == 0
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert section in text
    for fig in FIGURES:
        assert (tmp_path / fig).stat().st_size > 5000
    assert ARTICLE_QUESTION in text
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    n = results["setup"]["params"]
    assert abs(n["sora"] - n["gpt"]) / n["gpt"] <= 0.10
    for m in ("sora", "gpt"):
        runs = results["per_seed"][m]
        assert len(runs) == len(results["setup"]["seeds"])
        assert all(r["pretrain_tokens"] == results["setup"]["pretrain_tokens"] for r in runs)  # same budget
        assert all(math.isfinite(v) for r in runs for v in r["context"]["loss"] + r["lm"]["val_loss"])
        assert all(0 < r["lm"]["final_bpb"] < r["lm"]["final_loss"] for r in runs)  # tokens of several bytes
    assert len(report.judge_claims(results)) == 3
