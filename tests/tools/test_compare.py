"""`minisora compare`: verdict rule, the "not measurable" rule of every claim on hand-made cases,
the full budget's stopping rule, matched sizes, FLOP counting, the evaluators, the report, and the
whole job: end to end, refused with other settings, resumed after interruptions
(minisora/tools/: compare.py, measure.py, report.py, flops.py)."""

import dataclasses
import json
import math
import statistics
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from minisora import nn
from minisora.config import ModelConfig, TrainConfig
from minisora.datasets import ARTICLE_QUESTION
from minisora.errors import UserError
from minisora.tokenizer import BOS_ID
from minisora.tools import compare, measure, probes, report
from minisora.tools.flops import matmul_flops
from minisora.training import log, rundir
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
    assert report.fmt(1_419_470_438_400, math.nan, exact=False) == "1.419 ± n/a T"  # FLOPs: not a count


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


# --- the full budget's stopping rule -----------------------------------------------------------------


def test_flattened_on_a_hand_made_curve():
    losses = [6.0, 5.0, 4.5, 4.2, 4.0, 3.9, 3.85, 3.82, 3.81, 3.805, 3.803]
    curve = [(100 * (k + 1), loss) for k, loss in enumerate(losses)]
    # the last 20 % of the steps, or the last 3 evaluations where that is fewer:
    # step 900: best of 700…900 = 3.81, best before = 3.9: 2.3 % better, still learning;
    # step 1000: 3.805 against 3.85 (up to 700): 1.2 % (the last 20 %, 900 and 1000 alone, would say
    # 0.39 % against 3.82: flat on two evaluations); step 1100: (880, 1100] = 900…1100, 3.803 against
    # 3.82: 0.45 %, flat
    assert [compare.flattened(curve[: k + 1]) for k in range(len(curve))] == [False] * 10 + [True]
    assert compare.flattened(curve[:10], min_recent=1)  # the rule before the 3-evaluation window


def test_flattened_counts_a_rising_loss_and_waits_for_enough_evaluations():
    losses = [6.0, 5.0, 4.4, 4.1, 4.0, 4.02, 4.05, 4.1, 4.2, 4.3]  # over-fits after step 500
    curve = [(100 * (k + 1), loss) for k, loss in enumerate(losses)]
    # step 700: the window is the last 3 evaluations (500…700), only 4 before it: too early; step 800:
    # 5 before (≤ 500), none of 600…800 beats their best 4.0 by 1 %: flat
    assert [compare.flattened(curve[: k + 1]) for k in range(len(curve))] == [False] * 7 + [True] * 3
    assert not compare.flattened([(1, 3.0), (2, 3.0), (3, 3.0)])  # flat, but three points say little


# --- each claim's "not measurable" rule, on hand-made cases -------------------------------------------


def _per_seed(sora: list[dict], gpt: list[dict]) -> dict:
    return {"per_seed": {"sora": sora, "gpt": gpt}}


def _context(gain: float) -> dict:
    loss = [4.0 + gain, 4.0 + gain / 2, 4.0]
    return {"context": {"prompt_len": [16, 64, 128], "loss": loss, "long_loss": loss[-1], "gain": loss[0] - loss[-1]}}


def _context_blind_gpt():
    """A ChatGPT that cannot see the past: attention writes nothing (W_o = 0, b_o = 0) and positions
    are not embedded, so each position's logits depend on its own token only."""
    model = _tiny("gpt")
    for block in model.blocks:
        block.attn.out.kernel[...] = jnp.zeros_like(block.attn.out.kernel[...])
        block.attn.out.bias[...] = jnp.zeros_like(block.attn.out.bias[...])
    model.pos_embed.embedding[...] = jnp.zeros_like(model.pos_embed.embedding[...])
    return model


def test_a_model_that_ignores_context_has_a_flat_curve_and_no_verdict():
    windows = np.random.default_rng(2).integers(9, 40, (4, 12 + 5)).astype(np.int32)
    rows = measure.ContextSet.build(windows, [4, 8, 12], 5)
    blind = measure.context_curve(_context_blind_gpt(), rows)
    assert blind["loss"][0] == blind["loss"][1] == blind["loss"][2] and blind["gain"] == 0.0
    seeing = measure.context_curve(_tiny("gpt"), rows)
    assert len(set(seeing["loss"])) == 3  # the same model with attention does depend on the prompt
    results = _per_seed([{"context": blind}] * 2, [{"context": blind}] * 2)
    row = report.judge_context(results)
    assert row["verdict"] == report.NOT_MEASURABLE and math.isnan(row["d"])
    assert "Sora 0 " in row["why"] and "ChatGPT 0 " in row["why"] and "needs > 0.020" in row["why"]


def test_falling_context_curves_get_a_verdict():
    sora, gpt = [_context(g) for g in (0.30, 0.32, 0.31)], [_context(g) for g in (0.10, 0.12, 0.11)]
    row = report.judge_context(_per_seed(sora, gpt))
    assert row["verdict"] == "supported" and row["d"] == pytest.approx(0.2) and row["why"] == ""
    assert report.judge_context(_per_seed(gpt, sora))["verdict"] == "refuted"
    # ChatGPT's curve falls by less than 0.02 nats: no verdict, and the reason names its gain
    flat = [_context(g) for g in (0.010, 0.0, 0.005)]
    row = report.judge_context(_per_seed(sora, flat))
    assert row["verdict"] == report.NOT_MEASURABLE and "ChatGPT 0.0050 ± 0.0050" in row["why"]
    # falling on average (0.04) but within twice its seed spread (2 · 0.065): not shown to fall
    noisy = [_context(g) for g in (0.05, -0.03, 0.10)]
    assert report.judge_context(_per_seed(sora, noisy))["verdict"] == report.NOT_MEASURABLE


def _recall_results(score_sora, score_gpt, distances=probes.DISTANCES, max_prompt=128):
    items = probes.recall_items(probes.load_recall(), distances)

    def run(score):
        r = probes.recall_scores(items, [[score(it, c) for c in it["candidates"]] for it in items])
        return {"recall": {**r, "max_prompt": max_prompt, "dropped": 0}}

    return _per_seed([run(score_sora)] * 2, [run(score_gpt)] * 2)


def copies_the_fact(item, candidate):
    return 0.0 if candidate.strip() in item["context"] else -5.0


def ignores_the_context(item, candidate):
    return -float(len(candidate))  # a fixed preference: short names


def test_recall_at_chance_is_not_measurable_and_recall_decides():
    row = report.judge_recall(_recall_results(ignores_the_context, ignores_the_context))
    assert row["verdict"] == report.NOT_MEASURABLE
    assert "Sora 0.250, ChatGPT 0.250, chance 0.250" in row["why"]
    row = report.judge_recall(_recall_results(copies_the_fact, ignores_the_context))
    # mean accuracy over d = 2, 4, 8: 1 against 1/4, no seed spread: d = 0.75 > 5 % of 1
    assert row["verdict"] == "supported" and row["d"] == pytest.approx(0.75)
    assert row["metric"].endswith("d ∈ {2, 4, 8} sentences back")
    assert report.judge_recall(_recall_results(ignores_the_context, copies_the_fact))["verdict"] == "refuted"
    # a model that copies, but no distance d ≥ 2 fits the trained prompt: nothing far to compare
    near = report.judge_recall(_recall_results(copies_the_fact, ignores_the_context, (0, 1), max_prompt=32))
    assert near["verdict"] == report.NOT_MEASURABLE and "32-token prompt" in near["why"]


def test_coherence_needs_enough_claims():
    def results(n_claims):
        right = probes.coherence(["3 plus 4 is 7. " * n_claims], {})  # right every time
        wrong = probes.coherence(["3 plus 4 is 8. " * n_claims], {})  # wrong every time
        return _per_seed([{"coherence": right}] * 2, [{"coherence": wrong}] * 2)

    row = report.judge_coherence(results(report.MIN_CLAIMS))
    assert row["sora"][0] == 0.0 and row["gpt"][0] == 1.0 and row["verdict"] == "supported"
    row = report.judge_coherence(results(5))
    assert row["verdict"] == report.NOT_MEASURABLE and "Sora 5.0, ChatGPT 5.0 per seed" in row["why"]


def _evals(points):
    """Evaluation records from (step, held-out loss, distinct-2)."""
    return [{"step": s, "loss": loss, "diversity": {"distinct_2": d2, "self_bleu": 0.1}} for s, loss, d2 in points]


def test_diversity_is_compared_at_equal_loss_or_not_at_all():
    def run(points, end_distinct):
        return {"evals": _evals(points), "diversity": {"distinct_2": end_distinct},
                "lm": {"final_loss": points[-1][1]}}

    # At step 200 both are at ≈ 5.0 nats (0.4 % apart): ChatGPT's samples are more varied there (0.95 vs 0.80),
    # though at the end, where ChatGPT's loss is far lower, they are less (0.60 vs 0.70).
    sora = [run([(100, 6.0, 0.9), (200, 5.0, 0.80 + e), (300, 4.6, 0.7)], 0.7) for e in (0.0, 0.01, 0.02)]
    gpt = [run([(100, 5.5, 0.97), (200, 4.98, 0.95 + e), (300, 4.2, 0.6)], 0.6) for e in (0.0, 0.01, 0.02)]
    row = report.judge_diversity(_per_seed(sora, gpt))
    assert row["verdict"] == "supported" and row["d"] == pytest.approx(0.15)
    # never at one loss: ChatGPT's curve lies wholly below Sora's
    low = [run([(100, 4.0, 0.9), (200, 3.5, 0.9)], 0.9)] * 3
    row = report.judge_diversity(_per_seed(sora, low))
    assert row["verdict"] == report.NOT_MEASURABLE and "do not overlap" in row["why"]


def _compute_run(curve, flops_per_token):
    return {"evals": [{"step": s, "loss": loss} for s, loss in curve], "pretrain": {"tokens_per_step": 100},
            "cost": {"flops_per_token_counted": flops_per_token, "timeline": [[s, s / 10] for s, _ in curve]}}


def test_compute_is_judged_on_flops_to_the_target_not_flops_per_token():
    # Target = the worse model's best = Sora's 4.0. Sora reaches it at step 30: 3000 tokens · 2e6 = 6e9 FLOPs.
    # ChatGPT costs more per token (3e6) but reaches 4.0 halfway from step 10 (4.5) to 20 (3.5): 1500 · 3e6 = 4.5e9.
    sora = [_compute_run([(10, 6.0), (20, 5.0), (30, 4.0)], 2e6)] * 2
    gpt = [_compute_run([(10, 4.5), (20, 3.5), (30, 3.4)], 3e6)] * 2
    row = report.judge_compute(_per_seed(sora, gpt))
    assert row["sora"][0] == pytest.approx(6e9) and row["gpt"][0] == pytest.approx(4.5e9)
    assert row["verdict"] == "refuted"  # ChatGPT needed less compute for that loss
    # ChatGPT's first evaluation is already below the target: only an upper bound of its cost is known
    early = [_compute_run([(10, 3.9), (20, 3.5)], 3e6)] * 2
    row = report.judge_compute(_per_seed(sora, early))
    assert row["verdict"] == report.NOT_MEASURABLE and "ChatGPT was already at the common target" in row["why"]


# --- the report -------------------------------------------------------------------------------------


def _fake_results(n_seeds=3):
    """Synthetic results, built so that the five claims come out supported, not measurable (recall at
    chance), supported, supported (at the equal-loss point, step 200) and supported (ChatGPT reaches
    Sora's best loss 5.0 at step 255.6: 255.6 · 2048 · 3e6 FLOPs against Sora's 300 · 2048 · 2e6)."""
    rng = np.random.default_rng(0)
    items = probes.recall_items(probes.load_recall())
    at_chance = probes.recall_scores(items, [[ignores_the_context(it, c) for c in it["candidates"]] for it in items])
    per = {}
    for m, base in (("sora", 5.0), ("gpt", 4.6)):
        runs = []
        for s in range(n_seeds):
            gain = (0.4 if m == "sora" else 0.1) + rng.normal(0, 0.01)
            loss = [base + gain - gain * i / 3 for i in range(4)]
            d2 = 0.7 if m == "gpt" else 0.5
            evals = _evals([(100, 6.0, d2 + 0.1), (200, 5.5, d2), (300, base, d2 - 0.1)])
            wrong = 2 if m == "sora" else 10
            runs.append({
                "seed": s, "pretrain_tokens": 300 * 2048,
                "pretrain": {"steps": 300, "cap_steps": 400, "stopped": "flattened", "tokens_per_step": 2048},
                "cost": {"params": 550_000, "flops_per_token_counted": 3e6 if m == "gpt" else 2e6, "flops_per_token_xla": 3e6,
                          "train_tokens_per_s": 8000 + rng.normal(0, 100), "decode_tokens_per_s": 3000 + rng.normal(0, 50),
                          "wall_s": 60.0, "timeline": [[100, 10.0], [200, 20.0], [300, 30.0]],
                          "state_bytes": {"new_tokens": [16, 64], "bytes": [100, 400] if m == "gpt" else [50, 50]},
                          "state_bytes_max": 400 if m == "gpt" else 50},
                "lm": {"tokens": [e["step"] * 2048 for e in evals], "val_loss": [e["loss"] for e in evals], "final_loss": base,
                        "final_ppl": math.exp(base), "final_bpb": base / 3},
                "evals": evals,
                "context": {"prompt_len": [16, 32, 64, 128], "loss": loss, "long_loss": loss[-1], "gain": loss[0] - loss[-1]},
                "recall": {**at_chance, "max_prompt": 128, "dropped": 0, "prompt_tokens": [20.0] * 5},
                "coherence": {"claims": 40, "checked": 30, "wrong": wrong + s, "inconsistent": 0, "contradiction_rate": (wrong + s) / 40,
                               "repeated_3": 0.1, "n_samples": 8, "samples": ["3 plus 4 is 7."]},
                "dialogue": {"em": 0.1, "f1": 0.4 + rng.normal(0, 0.01),
                              "splits": {k: {"em": 0.1, "f1": 0.4, "n": n} for k, n in (("paraphrase", 4), ("unseen", 6),
                                                                                ("all", 10))},
                              "samples": [{"question": ARTICLE_QUESTION, "reference": "请重置密码。", "answer": "a|b"}] * 5},
                "diversity": {"distinct_1": 0.3, "distinct_2": d2 - 0.1, "repeated_3": 0.05 + rng.normal(0, 0.01)},
            })
        per[m] = runs
    setup = {"preset": "tiny", "vocab_size": 2000, "params": {"sora": 550_000, "gpt": 550_000}, "corpus": "c.txt",
                 "dialogues": "d.jsonl", "pretrain_tokens": 400 * 2048, "finetune_tokens": 500, "seeds": list(range(n_seeds)),
                 "budget": "full", "quick": False, "until_flat": True, "eval_every": 100,
                 "flat_rule": {"window": 0.2, "improvement": 0.01, "min_evals": 5}, "finetune_lr": 3e-3, "wall_s": 1.0,
                 "decode_batch": 4, "continuation_len": 32, "lm_prompt": 64, "n_test_dialogues": 10, "answer_tokens": 16,
                 "n_diversity_prompts": 4, "diversity_tokens": 24, "n_coherence_prompts": 8, "coherence_tokens": 32,
                 "n_recall_groups": 24, "temperature": 1.0}
    return {"setup": setup, "per_seed": per}


SECTIONS = ["## 1. Size and cost", "## 2. Language modelling", "## 3. Long and complex context",
            "### Recall of a fact far back", "## 4. Dialogue", "## 5. Diversity", "## 6. Coherence",
            "## 7. Compute needed for a quality", "## Verdicts on the article's claims"]
FIGURES = ["cost.png", "lm.png", "context.png", "recall.png", "dialogue.png", "diversity.png", "diversity_loss.png",
           "coherence.png", "compute.png"]


def _claim_rows(text: str) -> dict:
    """The verdict table of a report: claim -> its cells."""
    table = text[text.index("## Verdicts"):]
    return {cells[1].strip(): [c.strip() for c in cells[2:-1]]
            for cells in (ln.split("|") for ln in table.splitlines() if ln.startswith("| ") and "---" not in ln)
            if cells[1].strip() != "claim"}


def test_report_from_synthetic_results(tmp_path):
    results = _fake_results()
    text = report.write_report(results, tmp_path).read_text(encoding="utf-8")
    # 6 runs of 60 s of stages each, this invocation 1 s: a rerun that reused them says both
    assert "stages 360 s in all (this invocation 1 s: it reused finished stages)" in text
    for section in SECTIONS:
        assert section in text
    for fig in FIGURES:
        assert (tmp_path / fig).stat().st_size > 5000 and f"({fig})" in text
    rows = report.judge_claims(results)
    assert [r["verdict"] for r in rows] == ["supported", report.NOT_MEASURABLE, "supported", "supported", "supported"]
    table = _claim_rows(text)
    assert list(table) == [r["claim"] for r in rows]  # every claim has its row, in order
    for r in rows:  # metric as measured, Sora, ChatGPT, d, margin, verdict, and why when not measurable
        metric, sora, gpt, _, _, v, why = table[r["claim"]]
        assert metric == r["metric"]
        assert sora == report.fmt(*r["sora"], exact=r["exact"]) and gpt == report.fmt(*r["gpt"], exact=r["exact"])
        assert v == f"**{r['verdict']}**" and (why != "") == (r["verdict"] == report.NOT_MEASURABLE)
    assert "a\\|b" in text  # a "|" in an answer must not break the table
    assert "**Budget: full.**" in text and "less than 1%" in text
    (row,) = [ln for ln in text.splitlines() if ln.startswith("| final validation bits per byte |")]
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
    with pytest.raises(UserError, match="Unknown budget 'huge'; choose one of: full, quick"):
        compare.CompareConfig.for_budget("huge")
    with pytest.raises(UserError, match="one Sora run and one ChatGPT run|no run directory|not a minisora run"):
        compare.reuse_runs([tmp_path / "a", tmp_path / "b"], "c.txt", "d.jsonl", tmp_path, compare.CompareConfig())


def test_the_compile_cache_lives_in_the_cache_home_and_is_put_back(cache_home):
    before = jax.config.jax_compilation_cache_dir
    with compare.compile_cache():
        assert Path(jax.config.jax_compilation_cache_dir) == cache_home / "minisora" / "jax"  # not ~/.cache
    assert jax.config.jax_compilation_cache_dir == before


def test_budgets():
    full, quick = compare.CompareConfig.for_budget("full"), compare.CompareConfig.quick_mode(seeds=(0,))
    assert full == compare.CompareConfig() and full.until_flat and not full.quick
    assert quick.quick and not quick.until_flat and quick.seeds == (0,) and quick.budget == "quick"
    assert full.finetune_lr == 3e-3  # the demo's, and at least its 600 steps on the shipped dialogues' 93-token rows
    assert full.finetune_tokens // (full.finetune_batch_size * 93) >= 600


def test_a_rerun_with_other_settings_is_refused(tmp_path):
    corpus, dialogues = tmp_path / "c.txt", tmp_path / "d.jsonl"
    corpus.write_text("text\n")
    dialogues.write_text('{"question": "q", "answer": "a"}\n')
    first = compare.settings_of(compare.CompareConfig.quick_mode(), corpus, dialogues, None)
    compare.claim_out(tmp_path, first, {})
    compare.claim_out(tmp_path, first, {})  # the same settings again: continued
    other = compare.settings_of(compare.CompareConfig.quick_mode(lr=1e-2), corpus, dialogues, None)
    with pytest.raises(UserError, match=r"other settings \(lr 0.006 → 0.01\); rerun it with those"):
        compare.claim_out(tmp_path, other, {})
    # more seeds are not other settings: the finished seeds are reused, and the folder says which were asked
    more = compare.settings_of(compare.CompareConfig.quick_mode(seeds=(0, 1, 2)), corpus, dialogues, None)
    compare.claim_out(tmp_path, more, {})
    saved = json.loads((tmp_path / compare.SETTINGS_FILE).read_text())
    assert saved["settings"]["compare"]["seeds"] == [0, 1, 2]
    corpus.write_text("another text\n")
    changed = compare.settings_of(compare.CompareConfig.quick_mode(), corpus, dialogues, None)
    with pytest.raises(UserError, match=r"\(the corpus file is another\)"):
        compare.claim_out(tmp_path, changed, {})


# --- the whole job ------------------------------------------------------------------------------------


def _job(tmp_path, cc):
    from minisora.datasets import SHIPPED_CORPUS, SHIPPED_DIALOGUES

    corpus = compare.prepare_corpus(SHIPPED_CORPUS, SHIPPED_DIALOGUES["train"], SHIPPED_DIALOGUES["test"], tmp_path, cc)
    paths = {"corpus": str(SHIPPED_CORPUS), "corpus_sha256": "", "dialogues": "", "dialogues_sha256": ""}
    bar = log.progress_bar(True, training=False)
    return compare.Job(tmp_path, corpus, cc, compare.Probes.build(corpus, cc), paths, bar, bar.add_task("", total=1),
                       quiet=True), corpus


def test_a_budget_that_stops_when_flat_keeps_its_step_size_after_the_warm_up():
    """Until flattened: constant after the warm-up (a cosine to the cap would improve the loss at its
    end whatever the model had learned); a fixed number of steps: the cosine to lr/10."""
    from minisora.training.optim import lr_schedule

    flat = compare.pretrain_config(compare.CompareConfig.for_budget("full"), 0).resolved()
    fixed = compare.pretrain_config(compare.CompareConfig.for_budget("full", until_flat=False), 0).resolved()
    at = [flat.warmup, flat.steps // 2, flat.steps - 1]
    assert [float(lr_schedule(flat)(t)) for t in at] == pytest.approx([flat.lr] * 3)
    p = (at[1] - fixed.warmup) / (fixed.steps - fixed.warmup)  # the cosine's progress at the middle step
    want = [fixed.lr, fixed.lr / 10 + 0.45 * fixed.lr * (1 + math.cos(math.pi * p)), fixed.lr / 10]
    assert [float(lr_schedule(fixed)(t)) for t in at] == pytest.approx(want, rel=1e-3)


def test_sora_pre_trains_at_its_own_peak_step_size_where_the_budget_gives_one():
    from minisora.tools import report

    full, quick = compare.CompareConfig.for_budget("full"), compare.CompareConfig.quick_mode()
    gpt, sora = (compare.pretrain_config(full, 0, m).resolved() for m in ("gpt", "sora"))
    assert (gpt.lr, gpt.min_lr) == (full.lr, full.lr) and (sora.lr, sora.min_lr) == (full.sora_lr, full.sora_lr)
    assert full.sora_lr < full.lr and compare.cooldown_config(sora, 100).min_lr == pytest.approx(full.sora_lr / 10)
    assert compare.pretrain_config(quick, 0, "sora").lr == compare.pretrain_config(quick, 0, "gpt").lr == quick.lr
    said = report.peak_lr_phrase({"compare": dataclasses.asdict(full)})
    assert f"{full.lr:g} for ChatGPT and {full.sora_lr:g} for Sora" in said
    assert "for both" in report.peak_lr_phrase({"compare": dataclasses.asdict(quick)})


def test_pretraining_stops_where_the_loss_flattens(tmp_path, monkeypatch):
    cc = compare.CompareConfig.quick_mode(seeds=(0,), until_flat=True, eval_points=4)
    job, corpus = _job(tmp_path, cc)
    gpt_cfg, _, _ = compare.matched_configs(cc.preset, corpus.tok.vocab_size)
    tcfg = compare.pretrain_config(cc, 0)
    assert (tcfg.steps, compare.eval_steps(tcfg)) == (16, [4, 8, 12, 16])
    monkeypatch.setattr(compare, "flattened", lambda curve, **kw: len(curve) >= 2)  # "flat" at the 2nd evaluation
    run_dir = tmp_path / "runs" / "gpt-s0"
    with compare.compile_cache():
        pre = job.pretrain(gpt_cfg, 0, tcfg, run_dir, {})
    # the stable phase stopped at 8, then the cool-down: 20 % more steps (2), the step size falling to lr/10
    assert (pre["stable_steps"], pre["steps"], pre["stopped"]) == (8, 10, "flattened")
    assert [e["step"] for e in pre["evals"]] == [4, 8, 10]  # evaluated along the cool-down, not stopped by it
    assert rundir.load_model(run_dir)[3] == 10  # the model there is the cooled one
    lrs = {m["step"]: m["lr"] for m in log.read_metrics(run_dir) if "lr" in m}
    # (logged: the last step's step size) t = 7 at the peak; t = 9 half way down the cosine from t = 8 to 10
    assert max(lrs) == 10 and lrs[8] == pytest.approx(cc.lr, rel=1e-3) and lrs[10] == pytest.approx(0.55 * cc.lr, rel=1e-3)
    # a rerun that finds it finished (pretrain.json not yet written) trains no further
    monkeypatch.setattr(compare, "train", lambda *a, **k: pytest.fail("trained again"))
    with compare.compile_cache():
        again = job.pretrain(gpt_cfg, 0, tcfg, run_dir, {})
    assert (again["stable_steps"], again["steps"], again["stopped"]) == (8, 10, "flattened")
    assert json.dumps(again["evals"]) == json.dumps(pre["evals"])  # as text: a rate of no claims is NaN


def test_an_interrupted_cool_down_resumes_where_it_stopped(tmp_path, monkeypatch):
    """Stopped mid cool-down (its checkpoint at step 9 of 10), the rerun finds the stable phase over
    (flat at 8, from the evaluations on disk) and trains only the cool-down's last step."""
    cc = compare.CompareConfig.quick_mode(seeds=(0,), until_flat=True, eval_points=4, budget_tokens=8 * 64 * 24)
    job, corpus = _job(tmp_path, cc)
    gpt_cfg, _, _ = compare.matched_configs(cc.preset, corpus.tok.vocab_size)
    tcfg = compare.pretrain_config(cc, 0)
    assert (tcfg.steps, tcfg.eval_every) == (24, 6)
    monkeypatch.setattr(compare, "flattened", lambda curve, **kw: len(curve) >= 2)  # flat at the 2nd evaluation: 12
    run_dir = tmp_path / "runs" / "gpt-s0"
    real_train, calls = compare.train, []

    def train(model, batches, t, *a, **k):  # the cool-down is stopped after its first checkpoint
        calls.append((t.steps, t.decay_from))
        if t.decay_from is not None and len(calls) == 2:
            t = t.replace(steps=13, checkpoint_every=1)
        return real_train(model, batches, t, *a, **k)

    monkeypatch.setattr(compare, "train", train)
    with compare.compile_cache():
        job.pretrain(gpt_cfg, 0, tcfg, run_dir, {})
        assert rundir.load_model(run_dir)[3] == 13  # "interrupted" at step 13 of the cool-down to 14
        pre = job.pretrain(gpt_cfg, 0, tcfg, run_dir, {})
    assert calls == [(24, None), (14, 12), (14, 12)]  # the rerun went straight to the cool-down
    assert (pre["stable_steps"], pre["steps"], pre["stopped"]) == (12, 14, "flattened")
    assert rundir.load_model(run_dir)[3] == 14


TIMINGS = ("train_tokens_per_s", "decode_tokens_per_s", "compile_s", "pretrain_s", "finetune_s", "wall_s", "timeline")


def _without_timings(per_seed: dict) -> str:
    """The results of every run but their timings, as JSON text (so that NaN equals NaN)."""
    out = json.loads(json.dumps(per_seed))
    for runs in out.values():
        for r in runs:
            for k in TIMINGS:
                r["cost"].pop(k)
    return json.dumps(out, sort_keys=True)


@pytest.mark.slow
def test_quick_compare_end_to_end_and_resumed_after_interruptions(tmp_path, monkeypatch):
    """The quick budget through the CLI writes every section and claim row. The same comparison,
    interrupted in Sora's pre-training and again in ChatGPT's fine-tuning and run again each time,
    ends with the same numbers (the loop resumes exactly), and no finished stage is computed twice."""
    from minisora.cli import main
    from minisora.datasets import SHIPPED_CORPUS, SHIPPED_DIALOGUES

    whole = tmp_path / "whole"
    assert main(["compare", "--budget", "quick", "--seeds", "1", "--out", str(whole), "--corpus", str(SHIPPED_CORPUS),
                 "--dialogues", str(SHIPPED_DIALOGUES["train"])]) == 0
    text = (whole / "report.md").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert section in text
    for fig in FIGURES:
        assert (whole / fig).stat().st_size > 5000
    assert ARTICLE_QUESTION in text and report.QUICK_NOTE in text
    results = json.loads((whole / "results.json").read_text(encoding="utf-8"))
    assert list(_claim_rows(text)) == [r["claim"] for r in report.judge_claims(results)] and len(_claim_rows(text)) == 5
    n = results["setup"]["params"]
    assert abs(n["sora"] - n["gpt"]) / n["gpt"] <= 0.10
    for m in ("sora", "gpt"):
        (r,) = results["per_seed"][m]
        assert r["pretrain_tokens"] == results["setup"]["pretrain_tokens"]  # quick: the whole budget, for both
        assert all(math.isfinite(v) for v in r["context"]["loss"] + r["lm"]["val_loss"])
        assert 0 < r["lm"]["final_bpb"] < r["lm"]["final_loss"]  # tokens of several bytes
        assert set(r["dialogue"]["splits"]) == {"paraphrase", "unseen", "all"}

    # the same comparison, interrupted twice
    steps, measured, stop_at = {}, [], {}
    real_train, real_measure = compare.train, compare.measure_pretrained

    def train(model, batches, cfg, run_dir=None, *, on_step=None, **kw):
        name = Path(run_dir).name

        def step(t):
            on_step(t)
            steps.setdefault(name, []).append(t)
            if stop_at.get(name) == t:
                del stop_at[name]
                raise KeyboardInterrupt

        return real_train(model, batches, cfg, run_dir, on_step=step, **kw)

    monkeypatch.setattr(compare, "train", train)
    monkeypatch.setattr(compare, "measure_pretrained", lambda model, *a: measured.append(model.config.family)
                        or real_measure(model, *a))
    cc, out = compare.CompareConfig.quick_mode(seeds=(0,)), tmp_path / "interrupted"

    def run():
        return compare.run_compare(SHIPPED_CORPUS, SHIPPED_DIALOGUES["train"], out, cc,
                                   test_path=SHIPPED_DIALOGUES["test"], quiet=True)

    stop_at["sora-s0"] = 9  # after step 10 of 16; the newest checkpoint is step 8's
    with pytest.raises(KeyboardInterrupt):
        run()
    assert steps == {"sora-s0": list(range(10))} and not (out / "runs" / "sora-s0" / "pretrain.json").exists()
    steps.clear()
    stop_at["gpt-s0-chat"] = 2
    with pytest.raises(KeyboardInterrupt):
        run()
    ft = compare.finetune_setup(compare.matched_configs("tiny", 4000)[0], compare.prepare_corpus(
        SHIPPED_CORPUS, SHIPPED_DIALOGUES["train"], SHIPPED_DIALOGUES["test"], out, cc), cc, 0)[1].steps
    assert steps == {"sora-s0": list(range(8, 16)), "sora-s0-chat": list(range(ft)), "gpt-s0": list(range(16)),
                     "gpt-s0-chat": [0, 1, 2]}
    steps.clear()
    run()
    assert steps == {"gpt-s0-chat": list(range(ft))}  # no checkpoint before the end of a 5-step fine-tune
    assert measured == ["sora", "gpt"]  # each model measured once over the three runs
    again = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert _without_timings(again["per_seed"]) == _without_timings(results["per_seed"])


def test_the_report_says_where_each_phase_of_pre_training_ended():
    from minisora.tools import report

    assert report.stop_phrase({"steps": 2400, "stopped": "budget"}) == "2400 (budget)"  # results without a cool-down
    assert report.stop_phrase({"steps": 2160, "stable_steps": 1800, "stopped": "flattened"}) == \
        "1800 (flattened), cooled down to 2160"


def test_paragraph_windows_start_a_paragraph_and_never_reach_across_a_blank_line(trained):
    from minisora.datasets import SHIPPED_CORPUS, SHIPPED_DIALOGUES
    from minisora.tokenizer import Tokenizer

    sep = [9, 9]
    # a cut paragraph (no separator before it: not a start), then paragraphs of 10, 3, 7 and 12 tokens
    paragraphs = [list(range(100, 105)), list(range(10, 20)), [30, 31, 32], list(range(40, 47)), list(range(50, 62))]
    ids = [t for k, p in enumerate(paragraphs) for t in ([] if k == 0 else sep) + p]
    got = measure.paragraph_windows(ids, 10, 4, 2, sep)
    assert got.tolist() == [list(range(10, 16)), list(range(40, 46)), list(range(50, 56))]  # the three of ≥ 6 tokens
    assert measure.paragraph_windows(ids, 2, 4, 2, sep).tolist() == [list(range(10, 16)), list(range(50, 56))]
    assert measure.paragraph_windows(ids, 10, 9, 2, sep).tolist() == [list(range(50, 61))]  # only the 12-token one fits
    with pytest.raises(UserError, match="No held-out paragraph is 13 tokens long"):
        measure.paragraph_windows(ids, 10, 11, 2, sep)
    # on the shipped corpus, through the comparison's probe: no prompt of any length holds a blank line
    cc = compare.CompareConfig.for_budget("full")
    corpus = compare.prepare_corpus(SHIPPED_CORPUS, SHIPPED_DIALOGUES["train"], SHIPPED_DIALOGUES["test"],
                                    Path("/nonexistent"), cc, tok=Tokenizer.load(trained / "tok"))
    rows = compare.Probes.build(corpus, cc).paragraph_rows
    assert rows.prompt_lengths == [8, 16, 32, 48] and len(rows.prompt) == 4 * cc.context_windows
    blank = corpus.tok.encode("\n\n")
    whole = np.concatenate([np.where(rows.mask == 1, rows.prompt, -1), rows.cont], axis=1)  # pads -> -1
    assert len(blank) == 2 and not np.any((whole[:, :-1] == blank[0]) & (whole[:, 1:] == blank[1]))
    across = compare.Probes.build(corpus, cc).rows  # the windows anywhere: many do reach across
    whole = np.concatenate([np.where(across.mask == 1, across.prompt, -1), across.cont], axis=1)
    assert np.any((whole[:, :-1] == blank[0]) & (whole[:, 1:] == blank[1]))


def test_a_setting_added_since_a_comparison_started_counts_as_its_default():
    new = {"compare": dataclasses.asdict(compare.CompareConfig.quick_mode()), "corpus_sha256": "a",
           "dialogues_sha256": "b", "test_sha256": None}
    old = json.loads(json.dumps(new))
    del old["compare"]["paragraph_prompt"]  # written before the field existed
    assert compare.differences(old, new) == []
    changed = json.loads(json.dumps(new))
    changed["compare"]["paragraph_prompt"] = 32
    assert compare.differences(old, changed) == ["paragraph_prompt 48 → 32"]


def test_a_copy_share_mixes_read_twice_lists_into_the_training_part_only(trained):
    from minisora.datasets import SHIPPED_CORPUS, SHIPPED_DIALOGUES
    from minisora.tokenizer import Tokenizer

    tok = Tokenizer.load(trained / "tok")
    data = (SHIPPED_CORPUS, SHIPPED_DIALOGUES["train"], SHIPPED_DIALOGUES["test"], Path("/nonexistent"))
    plain = compare.prepare_corpus(*data, compare.CompareConfig.quick_mode(), tok=tok)
    mixed = compare.prepare_corpus(*data, compare.CompareConfig.quick_mode(copy_share=0.25), tok=tok)
    assert np.array_equal(mixed.val_ids, plain.val_ids)  # the held-out text stays the corpus's
    n = len(plain.train_ids)
    assert np.array_equal(mixed.train_ids[:n], plain.train_ids)
    assert (len(mixed.train_ids) - n - 2) / len(mixed.train_ids) == pytest.approx(0.25, abs=1e-3)
    assert "Remember: " in tok.decode(mixed.train_ids[n:].tolist())
    for bad in (1.0, -0.1):
        with pytest.raises(UserError, match="--copy-share must be at least 0 and below 1"):
            compare.check(compare.CompareConfig.quick_mode(copy_share=bad))
    with pytest.raises(UserError, match="give --copy-share too"):
        compare.check(compare.CompareConfig.quick_mode(split_at_cue=True))
    s = {"copy_share": 0.25, "quick": True, "pretrain_tokens": 10}
    assert "25% of the training tokens are read-twice lists" in report.budget_text(s)
    assert "read-twice" not in report.budget_text({**s, "copy_share": 0.0})
    assert "split right after" in report.budget_text({**s, "split_at_cue": True})
    assert "split right after" not in report.budget_text(s)


def test_split_at_cue_gives_sora_s_list_windows_the_second_reading_to_write(trained):
    from minisora.datasets import SHIPPED_CORPUS, SHIPPED_DIALOGUES
    from minisora.tokenizer import PAD_ID, Tokenizer

    tok = Tokenizer.load(trained / "tok")
    data = (SHIPPED_CORPUS, SHIPPED_DIALOGUES["train"], SHIPPED_DIALOGUES["test"], Path("/nonexistent"))
    cc = compare.CompareConfig.quick_mode(copy_share=0.25, split_at_cue=True)
    corpus = compare.prepare_corpus(*data, cc, tok=tok)
    ids, spans = corpus.train_ids, corpus.second_readings
    n_corpus = len(compare.prepare_corpus(*data, compare.CompareConfig.quick_mode(), tok=tok).train_ids)
    assert spans.min() > n_corpus and len(spans) > 100
    blank = tok.encode("\n\n")  # the paragraph break, two pieces
    assert len(blank) == 2
    for a, b in spans[:: max(1, len(spans) // 40)]:
        para = ids[:a].tolist()
        para = para[next(i for i in range(a - 2, -1, -1) if para[i : i + 2] == blank) + 2 :]  # the list so far
        before, reading = tok.decode(para), tok.decode(ids[a:b].tolist())
        assert before.endswith(("Again:", "再说一遍：", "再说一遍")), before  # the text before ends with the cue
        first = before.split("Remember: ")[-1].split(". Again:")[0] if "Again:" in before else \
            before.split("记住：")[-1].split("。再说一遍")[0]
        assert reading.lstrip(" ：").rstrip(".。") == first  # the span is the first reading again
        assert tok.decode(ids[b : b + 1].tolist()).startswith("\n")  # and ends with its paragraph
    sora = compare.text_batches(type("C", (), {"family": "sora", "vocab_size": tok.vocab_size}), corpus, cc)
    gpt = compare.text_batches(type("C", (), {"family": "gpt", "vocab_size": tok.vocab_size}), corpus, cc)
    assert gpt.spans is None and sora.spans is spans
    rng, at_cue = np.random.default_rng(0), 0
    for _ in range(40):  # a quarter of the tokens are lists: about a quarter of the windows split at a cue
        b = sora.sample(rng)
        for src, y, w in zip(b["mlm_y"], b["y"], b["w"]):
            if tok.decode(src[src != PAD_ID].tolist()).endswith(("Again:", "再说一遍：", "再说一遍")):
                at_cue += 1
                assert "\n" not in tok.decode(y[w == 1].tolist())  # it scores its second reading only
    assert 0.18 < at_cue / (40 * cc.batch_size) < 0.32


def test_copy_rows_pair_each_second_reading_with_its_own_list_and_with_another(trained):
    from minisora.datasets import SHIPPED_CORPUS, read_text
    from minisora.tokenizer import PAD_ID, Tokenizer

    tok = Tokenizer.load(trained / "tok")
    rows = compare.copy_rows(read_text(SHIPPED_CORPUS), tok, max_prompt=128)
    assert set(rows) == {"en", "zh"}
    for lang, r in rows.items():
        own, other = r["own"], r["another"]
        assert len(own.cont) == compare.COPY_LISTS and own.cont.shape[1] == compare.COPY_TOKENS
        np.testing.assert_array_equal(own.cont, other.cont)  # the same continuations ...
        for i in (0, 7, 50):
            prompt = tok.decode(own.prompt[i][own.mask[i] == 1].tolist())
            assert prompt.startswith(("Remember: ", "记住：")) and prompt.endswith(("Again:", "再说一遍：", "再说一遍"))
            first = prompt.split("Again:")[0] if lang == "en" else prompt.split("再说一遍")[0]
            assert tok.decode(own.cont[i].tolist()).lstrip(" ：")[:4] in first  # ... which the own prompt reads
            # ... and after the next list's prompt
            np.testing.assert_array_equal(other.prompt[i], own.prompt[(i + 1) % len(own.prompt)])
        assert np.all(own.prompt[own.mask == 0] == PAD_ID)
    short = compare.copy_rows(read_text(SHIPPED_CORPUS), tok, max_prompt=8)  # a short trained window: the ends
    assert short["en"]["own"].prompt.shape[1] == 8
    assert tok.decode(short["en"]["own"].prompt[0].tolist()).endswith("Again:")


def test_report_shows_the_copy_probe_when_there_is_one(tmp_path):
    results = _fake_results()
    for m, runs in results["per_seed"].items():
        for r in runs:
            r["copy"] = {lang: {"own": 0.5 if m == "gpt" else 3.9, "another": 4.0, "n": 200} for lang in ("en", "zh")}
    results["setup"]["flat_rule"]["min_recent"] = 3
    text = report.write_report(results, tmp_path).read_text(encoding="utf-8")
    assert "(the last 3 evaluations at least, after at least 5 before them)" in text
    assert "### Copying a held-out list" in text
    (row,) = [ln for ln in text.splitlines() if ln.startswith("| Chinese (200 lists): after its own first reading")]
    assert "3.900" in row and "0.500" in row
    assert "### Copying" not in report.write_report(_fake_results(), tmp_path / "b").read_text(encoding="utf-8")
