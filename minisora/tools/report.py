r"""The comparison report: numbers over seeds, one verdict rule, figures, ``report.md``.

Every number is a mean over seeds with its sample standard deviation (n − 1 in the
denominator), written ``mean ± std``:

    x̄ = (1/n) Σ_i x_i,     s = √( Σ_i (x_i − x̄)² / (n − 1) )

A claim "model A is better than model B on metric m" is judged from the difference of
the means in the claimed direction, d = x̄_A − x̄_B (sign flipped when lower is better),
and the spread of that difference between two independent runs, s_d = √(s_A² + s_B²):

    supported     d >  max(2 s_d, 5 % of max(|x̄_A|, |x̄_B|))
    refuted       d < −max(2 s_d, 5 % of max(|x̄_A|, |x̄_B|))
    inconclusive  otherwise, and whenever s_d is unknown (one seed) for a noisy metric

Two standard deviations is the usual "not noise" margin; the 5 % floor keeps a metric
with no spread at all (FLOPs are the same for every seed) from deciding a claim on a
rounding difference.

Before the rule, each claim's probe must show that the models learned the skill it measures;
if not, the verdict is **not measurable at this budget**, with the number that shows it:

    context     both models' loss must fall with the prompt length inside a paragraph: gain =
                L(shortest prompt) − L(longest) > max(2 s_gain, 0.02 nats/token) for each (s over seeds)
    recall      at least one model must beat chance right after the fact: accuracy(d = 0) >
                chance + 2·√(chance·(1 − chance)/n), n the items at d = 0; and some distance
                d ≥ 2 must fit the prompt both models were trained on
    coherence   each model's samples must make at least 20 checkable claims per seed
    diversity   both models must have been measured at one held-out loss (probes.equal_loss_point,
                within 2 %) in every seed: diversity at different losses is not comparable
    compute     both must reach the common target loss after their first evaluation (a target
                reached at the first one gives an upper bound of its cost only)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .probes import compute_to_quality, equal_loss_point

MODELS = ("sora", "gpt")
LABEL = {"sora": "Sora (encoder → LSTM)", "gpt": "ChatGPT (causal decoder)"}
LANGUAGE = {"en": "English", "zh": "Chinese"}
COLOR = {"sora": "tab:orange", "gpt": "tab:blue"}
SIGMAS, REL_FLOOR = 2.0, 0.05


# --- statistics and the verdict rule ------------------------------------------------------


def mean_std(values) -> tuple[float, float]:
    """(x̄, s) of the values; s is NaN for a single value (no spread can be estimated)."""
    x = np.asarray(values, dtype=float)
    return float(x.mean()), float(x.std(ddof=1)) if x.size > 1 else math.nan


def verdict(mean_a: float, std_a: float, mean_b: float, std_b: float, *, higher_is_better: bool,
            deterministic: bool = False) -> tuple[str, float, float]:
    """Judge "A beats B" -> (verdict, d, margin). ``deterministic``: the metric has no seed
    spread (s_d = 0 even when measured once)."""
    d = (mean_a - mean_b) if higher_is_better else (mean_b - mean_a)
    s_d = 0.0 if deterministic else math.hypot(std_a, std_b)
    margin = max(SIGMAS * s_d, REL_FLOOR * max(abs(mean_a), abs(mean_b)))
    if math.isnan(margin):
        return "inconclusive", d, margin
    if d > margin:
        return "supported", d, margin
    if d < -margin:
        return "refuted", d, margin
    return "inconclusive", d, margin


def fmt(mean: float, std: float, *, exact: bool = True) -> str:
    """``mean ± std``, the std to two significant figures and the mean to the same decimals;
    large numbers in k / M / G / T / P (``12.07 ± 0.35 k``); ``± n/a`` for a single seed; whole
    numbers without spread (parameter counts, bytes) exactly, unless not ``exact`` (FLOPs)."""
    if exact and (std == 0 or math.isnan(std)) and float(mean).is_integer():  # counts (parameters, bytes)
        return f"{int(mean):,}"
    units = ((1e15, " P"), (1e12, " T"), (1e9, " G"), (1e6, " M"), (1e3, " k"))
    scale, suffix = next(((f, u) for f, u in units if abs(mean) >= f), (1, ""))
    m, sd = mean / scale, std / scale
    if math.isnan(m):
        return "n/a"
    if math.isnan(sd):
        return f"{m:.4g} ± n/a{suffix}"
    if sd <= 1e-9 * max(abs(m), 1e-30):  # no spread at all
        return f"{m:#.4g} ± 0{suffix}"
    decimals = max(0, 1 - math.floor(math.log10(sd)))
    return f"{m:.{decimals}f} ± {sd:.{decimals}f}{suffix}"


def stat(results: dict, model: str, key) -> tuple[float, float]:
    """(x̄, s) over seeds of ``per_seed[model][i][key]``; ``key`` may be a path tuple."""
    path = key if isinstance(key, tuple) else (key,)
    values = [_get(run, path) for run in results["per_seed"][model]]
    return mean_std(values)


def curve_stats(results: dict, model: str, x_key: tuple, y_key: tuple):
    """Stack one curve per seed -> (x, mean (K,), std (K,)); every seed has the same x."""
    runs = results["per_seed"][model]
    x = np.asarray(_get(runs[0], x_key), float)
    ys = np.asarray([_get(r, y_key) for r in runs], float)  # (n_seeds, K)
    std = ys.std(axis=0, ddof=1) if len(ys) > 1 else np.full(x.shape, np.nan)
    return x, ys.mean(axis=0), std


def _get(d, path):
    for k in path:
        d = d[k]
    return d


# --- the claims ----------------------------------------------------------------------------

NOT_MEASURABLE = "not measurable at this budget"
CONTEXT_MIN_GAIN = 0.02  # nats/token: the least fall of the context curve that counts as using context
MIN_CLAIMS = 20  # checkable claims per model and seed, for a contradiction rate
RECALL_FAR = 2  # the recall verdict averages the accuracy over distances d ≥ this
EQUAL_LOSS_TOLERANCE = 0.02  # relative: two held-out losses this close count as one quality
QUICK_NOTE = ("Quick-budget verdicts are mostly \"not measurable\": the models barely learn in seconds. "
              "`minisora compare --budget full` (about an hour on a 2-core CPU) is the published comparison: "
              "docs/compare/report.md.")


def _row(claim: str, metric: str, winner: str, sora, gpt, *, higher: bool, why: str = "",
         deterministic: bool = False, exact: bool = True) -> dict:
    """One claim's verdict: by the rule, or not measurable (``why`` says what shows it)."""
    if why:
        v, d, margin = NOT_MEASURABLE, math.nan, math.nan
    else:
        a, b = (sora, gpt) if winner == "sora" else (gpt, sora)
        v, d, margin = verdict(*a, *b, higher_is_better=higher, deterministic=deterministic)
    return {"claim": claim, "metric": metric, "winner": winner, "verdict": v, "d": d, "margin": margin,
            "sora": sora, "gpt": gpt, "why": why, "exact": exact}


def _values(results: dict, model: str, key) -> list:
    path = key if isinstance(key, tuple) else (key,)
    return [_get(run, path) for run in results["per_seed"][model]]


def _has(results: dict, key: str) -> bool:
    return all(key in r for m in MODELS for r in results["per_seed"][m])


def _missing(claim: str, metric: str, winner: str, probe: str) -> dict:
    nan = (math.nan, math.nan)
    return _row(claim, metric, winner, nan, nan, higher=True, why=f"these results have no {probe} probe.")


def _job_time(results: dict) -> str:
    """The wall time of the job: this invocation's, and the stages' own where a rerun reused some."""
    wall = results["setup"].get("wall_s", 0.0)
    stages = [r.get("cost", {}).get("wall_s", math.nan) for m in MODELS for r in results["per_seed"][m]]
    total = sum(stages)
    if not math.isfinite(total) or total <= 1.5 * wall:
        return f"whole job {wall:.0f} s"
    return f"stages {total:,.0f} s in all (this invocation {wall:.0f} s: it reused finished stages)"


def context_uses(results: dict, model: str) -> tuple[bool, float, float, float]:
    """Does the model's context curve fall? -> (falls, mean gain, std, threshold): gain > threshold
    = max(2 s, CONTEXT_MIN_GAIN) (with one seed, s unknown: the floor alone)."""
    g, s = stat(results, model, ("context", "gain"))
    threshold = max(0.0 if math.isnan(s) else SIGMAS * s, CONTEXT_MIN_GAIN)
    return g > threshold, g, s, threshold


def judge_context(results: dict) -> dict:
    claim = "Sora handles long text and complex context better"
    x = results["per_seed"]["gpt"][0]["context"]["prompt_len"]
    metric = f"gain of the context curve inside a paragraph: loss at {x[0]} − loss at {x[-1]} prompt tokens (nats/token)"
    uses = {m: context_uses(results, m) for m in MODELS}
    why = ""
    if not all(u[0] for u in uses.values()):
        why = ("the loss must fall as the prompt grows, for both models, before their use of context can be "
               "compared; gain " + ", ".join(f"{LABEL[m].split(' (')[0]} {fmt(u[1], u[2])} (needs > {u[3]:.3f})"
                                              for m, u in uses.items()) + " nats/token.")
    return _row(claim, metric, "sora", stat(results, "sora", ("context", "gain")),
                stat(results, "gpt", ("context", "gain")), higher=True, why=why)


def recall_far(results: dict) -> list[int]:
    """The distances d ≥ RECALL_FAR that the recall probe measured (the same for every run)."""
    return [d for d in results["per_seed"]["gpt"][0]["recall"]["distance"] if d >= RECALL_FAR]


def recall_at(run: dict, distances) -> float:
    r = run["recall"]
    return float(np.mean([a for d, a in zip(r["distance"], r["accuracy"]) if d in distances]))


def recall_beats_chance(results: dict, model: str) -> tuple[bool, float, float]:
    """Accuracy at d = 0 above chance by more than 2 binomial standard errors? -> (beats, mean, bound)."""
    r0 = results["per_seed"][model][0]["recall"]
    if 0 not in r0["distance"]:
        return False, math.nan, math.nan
    i = r0["distance"].index(0)
    p, n = r0["chance"], r0["n"][i]
    bound = p + SIGMAS * math.sqrt(p * (1 - p) / n)
    acc = float(np.mean([run["recall"]["accuracy"][i] for run in results["per_seed"][model]]))
    return acc > bound, acc, bound


def judge_recall(results: dict) -> dict:
    claim = "Sora recalls a fact from farther back (long context)"
    if not _has(results, "recall"):
        return _missing(claim, "recall accuracy", "sora", "recall")
    far = recall_far(results)
    metric = f"recall accuracy, mean over d ∈ {{{', '.join(map(str, far))}}} sentences back" if far else \
        "recall accuracy far back"
    stats = {m: mean_std([recall_at(r, far) for r in results["per_seed"][m]]) if far else (math.nan, math.nan)
             for m in MODELS}
    beats = {m: recall_beats_chance(results, m) for m in MODELS}
    why = ""
    if not any(b[0] for b in beats.values()):
        chance = results["per_seed"]["gpt"][0]["recall"]["chance"]
        why = ("neither model names the person above chance even right after the fact (d = 0): accuracy "
               + ", ".join(f"{LABEL[m].split(' (')[0]} {b[1]:.3f}" for m, b in beats.items())
               + f", chance {chance:.3f} (beating it needs > {beats['gpt'][2]:.3f}).")
    elif not far:
        why = (f"no recall item with d ≥ {RECALL_FAR} fits the "
               f"{results['per_seed']['gpt'][0]['recall']['max_prompt']}-token prompt both models were trained on.")
    return _row(claim, metric, "sora", stats["sora"], stats["gpt"], higher=True, why=why)


def judge_coherence(results: dict) -> dict:
    claim = "Sora generates coherent, high-quality text"
    metric = "contradiction rate of checkable claims in samples (lower = better)"
    if not _has(results, "coherence"):
        return _missing(claim, metric, "sora", "coherence")
    counts = {m: float(np.mean(_values(results, m, ("coherence", "claims")))) for m in MODELS}
    why = ""
    if min(counts.values()) < MIN_CLAIMS:
        why = ("a rate needs at least " f"{MIN_CLAIMS} checkable claims per seed from each model; the samples made "
               + ", ".join(f"{LABEL[m].split(' (')[0]} {c:.1f}" for m, c in counts.items()) + " per seed.")
    rates = {m: mean_std(_values(results, m, ("coherence", "contradiction_rate"))) for m in MODELS}
    return _row(claim, metric, "sora", rates["sora"], rates["gpt"], higher=False, why=why)


def _curve(run: dict) -> list[tuple[int, float]]:
    return [(e["step"], e["loss"]) for e in run.get("evals", [])]


def equal_loss_points(results: dict) -> list[dict]:
    """probes.equal_loss_point of Sora's and ChatGPT's evaluation curves, seed by seed."""
    return [equal_loss_point(_curve(s), _curve(g), tolerance=EQUAL_LOSS_TOLERANCE)
            for s, g in zip(results["per_seed"]["sora"], results["per_seed"]["gpt"])]


def judge_diversity(results: dict) -> dict:
    claim = "ChatGPT generates more diverse, creative text"
    metric = f"distinct-2 of samples at equal temperature and equal held-out loss (within {EQUAL_LOSS_TOLERANCE:.0%})"
    if not _has(results, "evals"):
        return _missing(claim, metric, "gpt", "evaluation-point")
    points = equal_loss_points(results)
    per = {"sora": [], "gpt": []}
    for p, s, g in zip(points, results["per_seed"]["sora"], results["per_seed"]["gpt"]):
        if p["found"]:
            per["sora"].append(s["evals"][p["i"]]["diversity"]["distinct_2"])
            per["gpt"].append(g["evals"][p["j"]]["diversity"]["distinct_2"])
    missed = [p for p in points if not p["found"]]
    why = ""
    if missed:
        end = {m: stat(results, m, ("lm", "final_loss")) for m in MODELS}
        why = (f"in {len(missed)} of {len(points)} seed(s) the two models were never measured at one held-out loss: "
               f"{missed[0]['reason']} Final losses: Sora {fmt(*end['sora'])}, ChatGPT {fmt(*end['gpt'])}.")
        per = {m: _values(results, m, ("diversity", "distinct_2")) for m in MODELS}  # shown: the ends
    return _row(claim, metric, "gpt", mean_std(per["sora"]), mean_std(per["gpt"]), higher=True, why=why)


def compute_points(results: dict) -> list[dict]:
    """probes.compute_to_quality of each seed: FLOPs and seconds to the loss both models reach."""
    out = []
    for s, g in zip(results["per_seed"]["sora"], results["per_seed"]["gpt"]):
        runs = {m: {"curve": _curve(r), "tokens_per_step": r.get("pretrain", {}).get("tokens_per_step", 0),
                    "flops_per_token": r["cost"]["flops_per_token_counted"], "timeline": r["cost"].get("timeline", ())}
                for m, r in (("sora", s), ("gpt", g))}
        out.append(compute_to_quality(runs))
    return out


def judge_compute(results: dict) -> dict:
    claim = "ChatGPT needs more compute"
    metric = "training FLOPs to reach the held-out loss both models reach (counted)"
    if not _has(results, "evals"):
        return _missing(claim, metric, "gpt", "evaluation-point")
    points = compute_points(results)
    flops = {m: [p["to_target"][m]["flops"] if p["to_target"][m] else math.nan for p in points] for m in MODELS}
    why = ""
    early = [m for p in points for m in MODELS if p["to_target"][m] is None or p["to_target"][m]["at_first_eval"]]
    if early:
        m = early[0]
        why = (f"{LABEL[m].split(' (')[0]} was already at the common target loss ({points[0]['target']:.3f}) at its "
               "first evaluation, so only an upper bound of its cost is known; the models must be evaluated "
               "along a longer training.")
    return _row(claim, metric, "gpt", mean_std(flops["sora"]), mean_std(flops["gpt"]), higher=True, why=why,
                exact=False)


def judge_claims(results: dict) -> list[dict]:
    """Every claim's verdict row: claim, metric, sora/gpt (mean, std), verdict, d, margin, why."""
    return [judge_context(results), judge_recall(results), judge_coherence(results), judge_diversity(results),
            judge_compute(results)]


# --- figures -------------------------------------------------------------------------------


def _subplots(*grid, figsize):
    """A figure that is only saved: matplotlib's Figure, not pyplot, so the backend of whoever
    called (a notebook's inline one, say) is left as it was."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*grid)


def _axes():
    fig, ax = _subplots(figsize=(6.4, 4.2))
    return fig, ax


def _finish(fig, ax, path: Path, xlabel: str | None, ylabel: str, title: str) -> str:
    """Labels (with units), legend, light grid; save as PNG -> its file name."""
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3, axis="y" if xlabel is None else "both")
    if fig is None:  # one panel of a figure that is saved with another
        return ""
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path.name


def _bars(ax, results: dict, metrics: list[tuple[str, tuple]]):
    """Grouped bars, one group per metric, one bar per model, error bars = std over seeds."""
    width = 0.38
    x = np.arange(len(metrics))
    for j, m in enumerate(MODELS):
        stats = [stat(results, m, key) for _, key in metrics]
        errs = [0.0 if math.isnan(s[1]) else s[1] for s in stats]
        ax.bar(x + (j - 0.5) * width, [s[0] for s in stats], width, yerr=errs, capsize=4, color=COLOR[m], label=LABEL[m])
    ax.set_xticks(x, [name for name, _ in metrics])
    ax.set_ylim(0, 1)


def _band(ax, x, mean, std, model: str):
    """A curve of means with a shaded ± std band (no band for a single seed)."""
    ax.plot(x, mean, marker="o", color=COLOR[model], label=LABEL[model])
    if not np.all(np.isnan(std)):
        ax.fill_between(x, mean - std, mean + std, color=COLOR[model], alpha=0.2)


def figure_cost(results: dict, path: Path) -> str:
    fig, ax = _axes()
    for m in MODELS:
        sb = results["per_seed"][m][0]["cost"]["state_bytes"]  # the same for every seed
        ax.plot(sb["new_tokens"], np.asarray(sb["bytes"]) / 1024, marker="o", color=COLOR[m], label=LABEL[m])
    return _finish(fig, ax, path, "generated length (tokens, after a 16-token prompt)",
                   "decode state per sequence (KiB)", "Decode-state memory vs generated length")


def figure_lm(results: dict, path: Path) -> str:
    """Each seed's curve: with early stopping the seeds end at different points."""
    fig, ax = _axes()
    for m in MODELS:
        for k, run in enumerate(results["per_seed"][m]):
            ax.plot(np.asarray(run["lm"]["tokens"]) / 1e6, run["lm"]["val_loss"], marker="o", ms=3, color=COLOR[m],
                    alpha=0.8, label=LABEL[m] if k == 0 else None)
    return _finish(fig, ax, path, "training tokens read (millions)", "held-out loss (nats/token)",
                   "Pre-training: held-out loss (one line per seed)")


def figure_context(results: dict, path: Path) -> str:
    """Left: the loss itself; right: its change from the shortest prompt (< 0 = the model uses
    the older context), which stays readable when the two models' losses are far apart."""
    fig, (ax, ax_gain) = _subplots(1, 2, figsize=(10, 4.2))
    for m in MODELS:
        x, mean, std = curve_stats(results, m, ("context", "prompt_len"), ("context", "loss"))
        _band(ax, x, mean, std, m)
        runs = np.asarray([r["context"]["loss"] for r in results["per_seed"][m]], float)  # (n_seeds, K)
        delta = runs - runs[:, :1]
        std = delta.std(axis=0, ddof=1) if len(delta) > 1 else np.full(x.shape, np.nan)
        _band(ax_gain, x, delta.mean(axis=0), std, m)
    for a in (ax, ax_gain):
        a.set_xscale("log", base=2)
        a.set_xticks(x, [str(int(v)) for v in x])
    ax_gain.axhline(0, color="grey", lw=0.8)
    _finish(None, ax_gain, None, "prompt length (tokens, log scale)",
            f"change from the {int(x[0])}-token prompt (nats/token)", "Change with more context (< 0 = helps)")
    return _finish(fig, ax, path, "prompt length (tokens, log scale)", "continuation loss (nats/token)",
                   "Long context: loss of the next tokens")


def figure_recall(results: dict, path: Path) -> str:
    """Accuracy (left) and margin (right) of the recall probe against the distance d."""
    fig, (ax, ax_m) = _subplots(1, 2, figsize=(10, 4.2))
    for m in MODELS:
        for a, key in ((ax, ("recall", "accuracy")), (ax_m, ("recall", "margin"))):
            x, mean, std = curve_stats(results, m, ("recall", "distance"), key)
            _band(a, x, mean, std, m)
    r0 = results["per_seed"]["gpt"][0]["recall"]
    ax.axhline(r0["chance"], color="grey", ls="--", lw=1, label=f"chance ({r0['chance']:.2f})")
    ax_m.axhline(0, color="grey", lw=0.8)
    ax.set_ylim(0, 1.02)
    for a in (ax, ax_m):
        a.set_xticks(r0["distance"])
    _finish(None, ax_m, None, "distance d (sentences between the fact and the question)",
            "margin: log p(right) − best log p(wrong) (nats)", "Recall margin")
    return _finish(fig, ax, path, "distance d (sentences between the fact and the question)",
                   "accuracy (share of items)", "Recall of a fact stated d sentences back")


def figure_diversity_vs_loss(results: dict, path: Path) -> str:
    """distinct-2 at every evaluation against the held-out loss there; the equal-loss points ringed."""
    fig, ax = _axes()
    for m in MODELS:
        for k, run in enumerate(results["per_seed"][m]):
            ax.plot([e["loss"] for e in run["evals"]], [e["diversity"]["distinct_2"] for e in run["evals"]],
                    marker="o", ms=3, color=COLOR[m], alpha=0.7, label=LABEL[m] if k == 0 else None)
    marked = False
    for p, s, g in zip(equal_loss_points(results), results["per_seed"]["sora"], results["per_seed"]["gpt"]):
        if p["found"]:
            for run, i in ((s, p["i"]), (g, p["j"])):
                e = run["evals"][i]
                ax.plot(e["loss"], e["diversity"]["distinct_2"], "o", ms=11, mfc="none", mec="black",
                        label=None if marked else "compared (equal held-out loss)")
                marked = True
    ax.invert_xaxis()  # training goes left to right: the loss falls
    return _finish(fig, ax, path, "held-out loss at the evaluation (nats/token; training goes →)",
                   "distinct-2 of the samples (0–1)", f"Diversity against quality, T = {results['setup']['temperature']}")


def figure_compute(results: dict, path: Path) -> str:
    """Held-out loss against the training FLOPs spent, and the common target loss of each seed."""
    fig, ax = _axes()
    for m in MODELS:
        for k, run in enumerate(results["per_seed"][m]):
            tps = run.get("pretrain", {}).get("tokens_per_step", 0)
            flops = np.asarray([e["step"] for e in run["evals"]], float) * tps * run["cost"]["flops_per_token_counted"]
            ax.plot(flops, [e["loss"] for e in run["evals"]], marker="o", ms=3, color=COLOR[m], alpha=0.8,
                    label=LABEL[m] if k == 0 else None)
    targets = [p["target"] for p in compute_points(results) if p["target"] is not None]
    if targets:
        ax.axhline(float(np.mean(targets)), color="grey", ls="--", lw=1, label="common target loss (mean)")
    ax.set_xscale("log")
    return _finish(fig, ax, path, "training FLOPs spent (log scale)", "held-out loss (nats/token)",
                   "Compute needed for a quality")


def figure_dialogue(results: dict, path: Path) -> str:
    fig, ax = _axes()
    metrics = [("exact match", ("dialogue", "em")), ("token F1", ("dialogue", "f1"))]
    if _has_splits(results):
        metrics += [(f"F1, {k}", ("dialogue", "splits", k, "f1")) for k in ("paraphrase", "unseen")]
    _bars(ax, results, metrics)
    return _finish(fig, ax, path, None, "score on the test split (0–1)", "Dialogue: answers to held-out questions (greedy)")


def figure_diversity(results: dict, path: Path) -> str:
    fig, ax = _axes()
    _bars(ax, results, [("distinct-1", ("diversity", "distinct_1")), ("distinct-2", ("diversity", "distinct_2")),
                        ("repeated 3-grams", ("diversity", "repeated_3"))])
    return _finish(fig, ax, path, None, "share of n-grams (0–1)",
                   f"Diversity of samples at temperature {results['setup']['temperature']}")


def figure_coherence(results: dict, path: Path) -> str:
    fig, ax = _axes()
    _bars(ax, results, [("contradiction rate", ("coherence", "contradiction_rate")),
                        ("repeated 3-grams", ("coherence", "repeated_3"))])
    return _finish(fig, ax, path, None, "share (0–1)", "Coherence of samples: claims that are wrong, and loops")


def _has_splits(results: dict) -> bool:
    return all("splits" in r["dialogue"] for m in MODELS for r in results["per_seed"][m])


# --- report.md -----------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _metric_rows(results: dict, metrics: list[tuple[str, tuple]]) -> list[list[str]]:
    return [[name] + [fmt(*stat(results, m, key)) for m in MODELS] for name, key in metrics]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or "(empty)"


def _name(m: str) -> str:
    return LABEL[m].split(" (")[0]


def budget_text(s: dict) -> str:
    """What the budget was, in one paragraph (and, for quick, where the published report is)."""
    if s.get("runs"):
        return ""
    return _budget_text(s) + copy_phrase(s)


def copy_phrase(s: dict) -> str:
    """' Pre-training text: …' when read-twice lists were mixed in ('' otherwise)."""
    share = s.get("copy_share") or 0.0
    if not share:
        return ""
    return (f" **Pre-training text:** {share:.0%} of the training tokens are read-twice lists (4–8 random words "
            "of the corpus written down, then read again in the same order: `datasets.read_twice_lists`), a "
            "copying curriculum for both models; the rest is the corpus's training part. The held-out text is "
            "the corpus's alone." + (SPLIT_AT_CUE if s.get("split_at_cue") else ""))


SPLIT_AT_CUE = (" Sora's training windows that fall in the lists are split right after the cue \"Again:\" / "
                "\"再说一遍：\": its encoder reads the list up to there and its decoder writes the second reading, "
                "the only tokens such a window scores, so that copying is a skill its decoder can learn (ChatGPT "
                "predicts every position of its windows, these included); a window elsewhere is split where it "
                "was drawn and scores its whole continuation (`--split-at-cue`).")


def _budget_text(s: dict) -> str:
    if s.get("quick") or s.get("budget") == "quick":
        return f"**Budget: quick** ({s['pretrain_tokens']:,} pre-training tokens per model). {QUICK_NOTE}"
    if not s.get("until_flat"):
        return (f"**Budget: {s.get('budget', 'custom')}**: {s['pretrain_tokens']:,} pre-training tokens per model, "
                "no early stop.")
    rule = s["flat_rule"]
    guard = (f"the last {rule['min_recent']} evaluations at least, after at least {rule['min_evals']} before them"
             if "min_recent" in rule else f"after at least {rule['min_evals']} evaluations")
    return (f"**Budget: {s.get('budget', 'full')}.** Each model is pre-trained until its held-out loss has "
            f"flattened: evaluated every {s['eval_every']} steps, it stops at the first evaluation where the best "
            f"loss of the last {rule['window']:.0%} of the steps improved on the best loss before them by less than "
            f"{rule['improvement']:.0%} ({guard}), or at the cap of "
            f"{s['pretrain_tokens']:,} tokens" + (
                f", all at the peak step size; then it cools down for {s['cool_share']:.0%} more steps, the step size "
                "falling to a tenth along a cosine (warm-up, stable, decay), so both models end annealed wherever "
                "the rule stopped each" if "cool_share" in s else "") +
            f". {peak_lr_phrase(s)}Fine-tuning: {s['finetune_tokens']:,} dialogue tokens at learning rate "
            f"{s.get('finetune_lr', 'n/a')}.")


def peak_lr_phrase(s: dict) -> str:
    """'Peak step size … . ' of the setup's compare settings ('' for results made before they were kept)."""
    c = s.get("compare") or {}
    if "lr" not in c:
        return ""
    sora = c.get("sora_lr")
    if sora is None or sora == c["lr"]:
        return f"Peak step size {c['lr']:g} for both. "
    why = (f", whose post-LN encoder collapses at {c['lr']:g} (its outputs align and the decoder stops reading "
           "them)") if sora < c["lr"] else ""
    return f"Peak step size {c['lr']:g} for ChatGPT and {sora:g} for Sora{why}. "


def stop_phrase(pre: dict) -> str:
    """"2400 (budget)", or with a cool-down "1800 (flattened), cooled down to 2160"."""
    stable = pre.get("stable_steps", pre["steps"])
    return f"{stable} ({pre['stopped']})" + (f", cooled down to {pre['steps']}" if pre["steps"] != stable else "")


def write_report(results: dict, out_dir) -> Path:
    """Write ``out_dir/report.md`` and its figures from a results dict (see compare.py)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    s = results["setup"]
    per = results["per_seed"]
    header = ["", LABEL["sora"], LABEL["gpt"]]
    seeds = ", ".join(map(str, s["seeds"]))
    parts = [
        "# Sora vs ChatGPT, measured",
        (f"Preset `{s['preset']}` with a shared {s['vocab_size']}-piece tokenizer; corpus `{s['corpus']}`, "
        f"dialogues `{s['dialogues']}`; seeds {seeds}; {_job_time(results)} on "
        f"{s.get('device', 'this machine')}. Every number is mean ± std over the {len(s['seeds'])} seed(s)."),
    ]
    n = s["params"]
    parts[-1] += (f" Parameters: Sora {n['sora']:,}, ChatGPT {n['gpt']:,} "
                  f"({abs(n['sora'] - n['gpt']) / n['gpt']:.1%} apart).")
    if s.get("runs"):
        parts[-1] += (f" The models are the trained runs {', '.join(f'`{r}`' for r in s['runs'])}, measured here, "
                      "not trained here: their budgets and sizes are whatever their training used; each is "
                      "measured at one point, so the claims that need a loss curve are not measurable.")
    if budget_text(s):
        parts.append(budget_text(s))

    # 1. size and cost
    cost = [("parameters", ("cost", "params")),
            ("training FLOPs/token, counted", ("cost", "flops_per_token_counted")),
            ("training FLOPs/token, XLA", ("cost", "flops_per_token_xla")),
            ("training tokens/s", ("cost", "train_tokens_per_s")),
            ("decode tokens/s", ("cost", "decode_tokens_per_s")),
            ("wall time of one model and seed, all stages (s)", ("cost", "wall_s")),
            ("decode state at the longest length (bytes)", ("cost", "state_bytes_max"))]
    parts += [
        "## 1. Size and cost",
        ("*Method.* Parameters are counted from the built models' arrays. FLOPs per training token: "
        "*counted* = Σ 2·m·n·k over every matrix product in the program of one train step (forward and "
        "backward; a scan body counted once per step), and XLA's cost analysis of the same compiled step "
        "(all operations, but a loop body only once, so it undercounts Sora's LSTM loop); both divided "
        "by the tokens a step reads. Training tokens/s: pre-training tokens over its wall time, compile "
        f"and evaluations excluded; decode tokens/s: the scan decoder sampling {s['decode_batch']} "
        f"sequences × {s['diversity_tokens']} tokens, timed after its compiling call; decode state: "
        "bytes of the prefill/step state of one sequence. Timings on a shared CPU are rough. FLOPs per "
        "token are not the compute a model *needs*: section 7 measures that."),
        _table(header, _metric_rows(results, cost)),
        f"![decode state]({figure_cost(results, out / 'cost.png')})",
    ]

    # 2. language modelling
    lm = [("final validation loss (nats/token)", ("lm", "final_loss")),
          ("final validation perplexity", ("lm", "final_ppl"))]
    if all("final_bpb" in r["lm"] for m in MODELS for r in per[m]):  # results written before have none
        lm.append(("final validation bits per byte", ("lm", "final_bpb")))
    lm.append(("pre-training tokens read", ("pretrain_tokens",)))
    stops = ""
    if _has(results, "pretrain"):
        stops = " Pre-training ended: " + "; ".join(
            f"{_name(m)} " + ", ".join(f"seed {r['seed']} at step {stop_phrase(r['pretrain'])}" for r in per[m])
            for m in MODELS) + "."
    parts += [
        "## 2. Language modelling",
        "*Method.* Validation loss = mean cross-entropy (nats/token) of the "
        f"{s['continuation_len']} tokens that follow a {s['lm_prompt']}-token prompt, on fixed windows of the "
        "held-out last 10 % of the corpus, at every evaluation of pre-training; perplexity = exp(loss). "
        "The same question for both models: ChatGPT reads prompt + continuation causally, Sora's encoder "
        "reads the prompt and its LSTM decoder the continuation (teacher-forced). Sora's MLM loss is not "
        "part of it. Bits per byte = the continuations' summed loss / (ln 2 · their UTF-8 bytes): the same "
        "question in a unit no tokenizer changes (a piece's bytes are its text's, a special token has none). "
        "This loss is the one the stopping rule, the equal-loss comparison and the compute target use." + stops,
        _table(header, _metric_rows(results, lm)),
        f"![validation loss]({figure_lm(results, out / 'lm.png')})",
    ]

    # 3. long context: the context curve and the recall probe
    x = per["gpt"][0]["context"]["prompt_len"]
    ctx = [(f"prompt of {int(p)} tokens", ("context", "loss", i)) for i, p in enumerate(x)]
    ctx.append(("gain from the longest over the shortest prompt", ("context", "gain")))
    uses = {m: context_uses(results, m) for m in MODELS}
    parts += [
        "## 3. Long and complex context",
        ("*Method.* Held-out windows of a prompt of P tokens followed by "
        f"{s['continuation_len']} continuation tokens, each window inside one paragraph: it starts where "
        "a held-out paragraph starts and ends before the paragraph does. The loss is the mean cross-entropy "
        "(nats/token) of the continuation given the prompt, teacher-forced. The same windows serve every P "
        "(the prompt is the last P tokens before the continuation), so a falling curve means the model uses "
        "the older context of the same paragraph. Why inside a paragraph: the shipped corpus is a shuffle of "
        "independent paragraphs (58 tokens at the median), so a prompt that reaches across a blank line reads "
        "unrelated text, and its loss says how well a model ignores noise, not how it uses context (the "
        "curve across paragraphs is below). P is capped so prompt + continuation fit the trained window of "
        "both models and a quarter of the held-out paragraphs. The gain (loss at the shortest prompt − loss at "
        "the longest) is what the claim is judged on: the loss at the longest prompt alone mixes the use of "
        "context with how well a model predicts text at all (section 2)."),
        _table(header, _metric_rows(results, ctx)),
        "Uses the older context (gain > max(2 s, "
        f"{CONTEXT_MIN_GAIN} nats/token)): " + ", ".join(
            f"{_name(m)} {'yes' if u[0] else 'no'} ({fmt(u[1], u[2])} vs {u[3]:.3f})" for m, u in uses.items()) + ".",
        f"![context]({figure_context(results, out / 'context.png')})",
    ]
    if _has(results, "copy"):
        langs = sorted(per["gpt"][0]["copy"])
        n = {lang: per["gpt"][0]["copy"][lang]["n"] for lang in langs}
        copy = [(f"{LANGUAGE.get(lang, lang)} ({n[lang]} lists): {what}", ("copy", lang, key))
                for lang in langs for key, what in (("own", "after its own first reading"),
                                                    ("another", "after another list's"))]
        parts += [
            "### Copying a held-out list: the curriculum's own skill",
            ("*Method.* Read-twice lists like the training's but drawn with another seed "
             "(`compare.copy_rows`): the prompt is a list's \"Remember: … Again:\" (its first reading), the "
             "scored continuation the first 6 tokens of its second reading, teacher-forced (nats/token). The same "
             "continuations after *another* list's prompt say what a model predicts without copying (the words "
             "are the corpus's, so a model that has learned them scores below the vocabulary's entropy even "
             "then). A model that copies scores its own list far below another's."),
            _table(header, _metric_rows(results, copy)),
        ]
    if _has(results, "context_across"):
        xa = per["gpt"][0]["context_across"]["prompt_len"]
        across = [(f"prompt of {int(p)} tokens", ("context_across", "loss", i)) for i, p in enumerate(xa)]
        across.append(("gain from the longest over the shortest prompt", ("context_across", "gain")))
        parts += [
            "### The same curve across paragraphs",
            ("Windows anywhere in the held-out text, so most long prompts reach into earlier, unrelated "
             "paragraphs. Shown for reference; the claim is not judged on it."),
            _table(header, _metric_rows(results, across)),
        ]
    if _has(results, "recall"):
        r0 = per["gpt"][0]["recall"]
        rec = [(f"accuracy at d = {d} ({n} items, prompts of {t:.0f} tokens)", ("recall", "accuracy", i))
               for i, (d, n, t) in enumerate(zip(r0["distance"], r0["n"], r0["prompt_tokens"]))]
        rec += [(f"margin at d = {d} (nats)", ("recall", "margin", i)) for i, d in enumerate(r0["distance"])]
        beats = {m: recall_beats_chance(results, m) for m in MODELS}
        parts += [
            "### Recall of a fact far back",
            (f"*Method.* {s.get('n_recall_groups', 'The')} groups of data/probes/recall.jsonl (written by "
            "data/generate.py, held out from training: no fact in the corpus is about these people; an English "
            "name is one the corpus uses only for newcomers, each time somebody else, a Chinese one it never "
            "writes): a sentence states a fact about the person, d filler sentences follow, then a phrase after which "
            "the corpus writes the name again. Each of the group's candidate names is scored by its "
            "log-likelihood there; accuracy = share of items where the right name scores highest (chance "
            f"{r0['chance']:.2f}), margin = log p(right) − the best log p(wrong). Both models get the same items: "
            f"those whose prompt fits {r0['max_prompt']} tokens, the longest both were trained on "
            f"({r0['dropped']} items longer are left out)."),
            _table(header, _metric_rows(results, rec)),
            "Beats chance at d = 0 (accuracy > chance + 2 binomial standard errors): " + ", ".join(
                f"{_name(m)} {'yes' if b[0] else 'no'} ({b[1]:.3f} vs {b[2]:.3f})" for m, b in beats.items()) + ".",
            f"![recall]({figure_recall(results, out / 'recall.png')})",
        ]

    # 4. dialogue
    dia = [("exact match", ("dialogue", "em")), ("token F1", ("dialogue", "f1"))]
    if _has_splits(results):
        sp = per["gpt"][0]["dialogue"]["splits"]
        for k, what in (("paraphrase", "paraphrased questions"), ("unseen", "unseen answers")):
            dia += [(f"{what} ({sp[k]['n']}): exact match", ("dialogue", "splits", k, "em")),
                    (f"{what} ({sp[k]['n']}): token F1", ("dialogue", "splits", k, "f1"))]
    parts += [
        "## 4. Dialogue",
        (f"*Method.* After fine-tuning on the training split, each model answers the "
        f"{s['n_test_dialogues']} held-out test questions greedily (at most {s['answer_tokens']} tokens). Exact "
        "match compares normalised strings; token F1 compares words (CJK characters count one each). "
        "*Paraphrased questions* ask, in new words, something fine-tuning taught the answer to; *unseen "
        "answers* need slots (a sum, an order number, a city) that no training answer had, so the model must "
        "compose them. Five answers of the first seed, the article's customer-service question first:"),
        _table(header, _metric_rows(results, dia)),
    ]
    for m in MODELS:
        rows = [[_cell(a["question"]), _cell(a["reference"]), _cell(a["answer"])]
                for a in per[m][0]["dialogue"]["samples"]]
        parts += [f"**{LABEL[m]}**", _table(["question", "reference", "answer"], rows)]
    parts.append(f"![dialogue]({figure_dialogue(results, out / 'dialogue.png')})")

    # 5. diversity
    div = [("distinct-1", ("diversity", "distinct_1")), ("distinct-2", ("diversity", "distinct_2")),
           ("repeated 3-gram rate", ("diversity", "repeated_3"))]
    if _has(results, "evals"):
        div.append(("self-BLEU-4", ("evals", -1, "diversity", "self_bleu")))
    parts += [
        "## 5. Diversity",
        (f"*Method.* Each pre-trained model continues the same {s['n_diversity_prompts']} held-out prompts "
        f"with {s['diversity_tokens']} tokens at temperature {s['temperature']} (no top-k/top-p). "
        "distinct-n = unique n-grams / all n-grams over all samples (higher = more varied); the repeated "
        "3-gram rate is the share of a sample's 3-grams it already used (lower = less looping); self-BLEU = "
        "mean BLEU-4 of each sample against the others (lower = the samples differ more). A model that "
        "has learned less samples more randomly, so the claim is judged where both models have the same "
        "held-out loss: the samples are drawn at every evaluation of pre-training, and the pair of "
        f"evaluations whose losses are within {EQUAL_LOSS_TOLERANCE:.0%} (the lowest such loss) is compared. "
        "At the end of pre-training:"),
        _table(header, _metric_rows(results, div)),
    ]
    if _has(results, "evals"):
        rows = []
        for r, p in zip(per["sora"], equal_loss_points(results)):
            if p["found"]:
                es, eg = per["sora"][len(rows)]["evals"][p["i"]], per["gpt"][len(rows)]["evals"][p["j"]]
                rows.append([str(r["seed"]), f"{p['step_a']} / {p['step_b']}", f"{p['loss_a']:.3f} / {p['loss_b']:.3f}",
                             f"{es['diversity']['distinct_2']:.3f} / {eg['diversity']['distinct_2']:.3f}",
                             f"{es['diversity']['self_bleu']:.3f} / {eg['diversity']['self_bleu']:.3f}"])
            else:
                rows.append([str(r["seed"]), "none", _cell(p["reason"]), "", ""])
        parts += ["At equal held-out loss (Sora / ChatGPT):",
                  _table(["seed", "steps", "held-out loss", "distinct-2", "self-BLEU-4"], rows),
                  f"![diversity against loss]({figure_diversity_vs_loss(results, out / 'diversity_loss.png')})"]
    parts.append(f"![diversity]({figure_diversity(results, out / 'diversity.png')})")

    # 6. coherence
    if _has(results, "coherence"):
        coh = [("checkable claims per seed", ("coherence", "claims")),
               ("of those with a known truth", ("coherence", "checked")),
               ("wrong (against arithmetic, the calendar, the corpus)", ("coherence", "wrong")),
               ("inconsistent (against the sample itself)", ("coherence", "inconsistent")),
               ("contradiction rate = (wrong + inconsistent) / claims", ("coherence", "contradiction_rate")),
               ("repeated 3-gram rate", ("coherence", "repeated_3"))]
        parts += [
            "## 6. Coherence",
            (f"*Method.* Each pre-trained model continues {s.get('n_coherence_prompts', '')} held-out prompts "
            f"with {s.get('coherence_tokens', '')} tokens at temperature {s.get('coherence_temperature', s['temperature'])} "
            "(the same for both; lower than the diversity samples' so that more sentences come out whole). Every checkable "
            "claim the sample completes is found by the corpus's own sentence patterns (probes.py): a sum or "
            "product, a weekday or month, a town's river or population, a person's age, a product's weight or "
            "price. A claim is *wrong* if arithmetic, the calendar or the training corpus (which states every "
            "fact one way) says otherwise, *inconsistent* if the same text said otherwise before. *Why this "
            "measure:* it needs no second model as a judge (the loss of one model's samples under the other "
            "inherits the judge's errors and rewards bland, repetitive text), and it is what \"coherent\" means "
            "for this corpus, whose facts never contradict each other; the repeated 3-gram rate beside it "
            f"catches the loops small models fall into. A rate needs at least {MIN_CLAIMS} claims per seed."),
            _table(header, _metric_rows(results, coh)),
            f"![coherence]({figure_coherence(results, out / 'coherence.png')})",
        ]
        for m in MODELS:
            sample = (per[m][0]["coherence"].get("samples") or [""])[0]
            parts.append(f"**{LABEL[m]}**, a sample: {_cell(sample)}")

    # 7. compute to a quality
    if _has(results, "evals"):
        cp = compute_points(results)
        comp = []
        for m in MODELS:
            got = [p["to_target"][m] for p in cp]
            comp.append([_name(m), fmt(*stat(results, m, ("cost", "flops_per_token_counted"))),
                         fmt(*mean_std([p["target"] for p in cp])),
                         fmt(*mean_std([g["step"] if g else math.nan for g in got])),
                         fmt(*mean_std([g["flops"] if g else math.nan for g in got]), exact=False),
                         fmt(*mean_std([g["seconds"] if g and g["seconds"] is not None else math.nan for g in got])),
                         ", ".join("yes" if g and g["at_first_eval"] else "no" for g in got)])
        parts += [
            "## 7. Compute needed for a quality",
            ("*Method.* The target is the lowest held-out loss both models reach (the worse model's best), seed by "
            "seed. The step where a model first reaches it is interpolated linearly between the two evaluations "
            "around it (an upper estimate: a loss curve bends upward); FLOPs = that step · tokens per step · "
            "counted FLOPs per token, seconds = training time to that step (compile and evaluations excluded, "
            "from the run's metrics.jsonl). The claim is judged on FLOPs to the target, not FLOPs per token."),
            _table(["", "FLOPs/token", "target loss", "steps to target", "FLOPs to target", "seconds to target",
                    "reached at the first evaluation"], comp),
            f"![compute]({figure_compute(results, out / 'compute.png')})",
        ]

    # verdicts
    rows = []
    for r in judge_claims(results):
        measurable = r["verdict"] != NOT_MEASURABLE
        rows.append([r["claim"], r["metric"], fmt(*r["sora"], exact=r["exact"]), fmt(*r["gpt"], exact=r["exact"]),
                     f"{r['d']:.4g}" if measurable else "–", f"{r['margin']:.4g}" if measurable else "–",
                     f"**{r['verdict']}**", _cell(r["why"]) if r["why"] else ""])
    parts += [
        "## Verdicts on the article's claims",
        (f"*Rule.* d is the difference of the means in the direction the article claims (positive = as "
        f"claimed). A claim is **supported** if d > max({SIGMAS:g}·s_d, {REL_FLOOR:.0%} of the larger mean), "
        "**refuted** if d < −that margin, and **inconclusive** otherwise, where s_d = √(s_Sora² + s_ChatGPT²) "
        "is the seed spread of the difference (unknown with one seed, so noisy metrics are then "
        "inconclusive). Before the rule, the probe must show that the models learned what it measures; "
        f"otherwise the claim is **{NOT_MEASURABLE}**, and the last column gives the number that shows it: "
        f"the context curve must fall for both models (gain > max(2 s, {CONTEXT_MIN_GAIN} nats/token)); "
        "for recall, a model must beat chance at d = 0 by 2 binomial standard errors, and a distance "
        f"d ≥ {RECALL_FAR} must fit; coherence needs {MIN_CLAIMS} checkable claims per seed from each model; "
        "diversity needs an equal-loss pair of evaluations in every seed; compute needs both models to reach "
        "the target after their first evaluation. At this scale (about a million parameters, CPU training) a "
        "verdict says what these models do, not what large models would."),
        _table(["claim", "metric as measured", "Sora", "ChatGPT", "d", "margin", "verdict", "why not measurable"],
               rows),
    ]
    path = out / "report.md"
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path
