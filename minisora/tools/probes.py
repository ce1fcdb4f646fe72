r"""Probes that measure each of the article's claims as it states it (``minisora compare`` draws
its verdicts from them; measure.py has the context curve and the decoding cost).

    recall      "Sora handles long text and complex context better". A held-out paragraph names a
                person no fact in the corpus is about (an English name the corpus uses only for
                newcomers, each time somebody else; a Chinese name it never writes), d sentences
                follow, then the point where the corpus writes the name again. Each candidate
                name c_k is scored by its likelihood
                    ℓ_k = Σ_t log p(c_k,t | context, c_k,<t)   (nats)
                accuracy(d) = mean over items of 1[ℓ_answer = max_k ℓ_k] (a tie shares the point),
                margin(d)   = mean of ℓ_answer − max_{k ≠ answer} ℓ_k
    coherence   "coherent, high-quality text". Of the checkable claims in sampled text (sums,
                weekdays, months, and the world's facts as the corpus states them), the share
                that is wrong or contradicts an earlier claim of the same text; and the
                repeated 3-gram rate (metrics.py)
    diversity   "ChatGPT is more creative". distinct-n and self-BLEU (metrics.py) of samples at
                one temperature, compared where both models have the same held-out loss
    compute     "ChatGPT needs more compute". Training FLOPs = flops_per_token · tokens, and
                seconds, until the held-out loss first reaches a target both models reach
    dialogue    exact match and token F1 on the test questions, questions whose answer
                fine-tuning taught (paraphrases) apart from answers it never showed (unseen)

Each probe is a plain function of a model (a flax nnx module), the tokenizer and plain data, and
returns a small dict of numbers.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
from flax import nnx

from ..datasets import DATA_DIR
from ..errors import UserError
from ..inference.decode import generate
from ..tokenizer import pad_rows
from . import metrics as text_metrics
from .measure import ContextSet, answer

RECALL_FILE = DATA_DIR / "probes" / "recall.jsonl"
DISTANCES = (0, 1, 2, 4, 8)  # filler sentences between the fact and the question


# --- recall at distance d ------------------------------------------------------------------------


def load_recall(path=RECALL_FILE) -> list[dict]:
    """The groups of a recall file (data/probes/recall.jsonl, written by data/generate.py)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} is missing; run `python data/generate.py` to write it.")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def recall_items(groups, distances=DISTANCES) -> list[dict]:
    """One item per group, distance d and name: the fact with that name, the group's first d
    filler sentences, the question; the answer is the name's index among the group's candidates.

    A group's items share the candidates (in one order) and the filler, and differ only in the
    name: a model that ignores the context ranks the candidates the same way for all of them, so
    it is right for exactly one name in each group.
    """
    items = []
    for g in groups:
        sep = " " if g["lang"] == "en" else ""  # Chinese sentences follow each other without a space
        for d in distances:
            if d > len(g["filler"]):
                raise ValueError(f"group {g['group']} has {len(g['filler'])} filler sentences, fewer than d = {d}")
            for k, name in enumerate(g["names"]):
                parts = [g["fact"].replace("{name}", name), *g["filler"][:d]] + ([g["query"]] if g["query"] else [])
                items.append({"group": g["group"], "lang": g["lang"], "distance": d, "context": sep.join(parts),
                              "candidates": list(g["candidates"]), "answer": k})
    return items


def row_losses(model, prompt, mask, cont) -> np.ndarray:
    """−(1/C) Σ_t log p(cont_t | prompt, cont_<t) of every row (B,): measure.py's teacher-forced
    continuation loss for both families (prompt (B, P) left-padded with mask, cont (B, C)), as a
    ContextSet whose every row is a group of its own."""
    return np.asarray(ContextSet([prompt.shape[1]] * len(prompt), prompt, mask, cont).losses(model))


def candidate_ids(tok, context: str, candidate: str) -> tuple[list[int], list[int]]:
    """(context ids, candidate ids) as the tokenizer splits context + candidate; the two apart if
    a piece would straddle the boundary (then the context's ids are its own)."""
    ctx, whole = tok.encode(context), tok.encode(context + candidate)
    return (ctx, whole[len(ctx):]) if whole[: len(ctx)] == ctx else (ctx, tok.encode(candidate))


def candidate_logprobs(model, tok, items, *, batch_size: int = 64) -> np.ndarray:
    """ℓ (n_items, K): ℓ[i, k] = Σ_t log p(token t of candidate k | item i's context) in nats.

    The loss above is a mean over the C candidate tokens, so rows are grouped by C (ℓ = −C · loss)
    and padded to ``batch_size`` rows: one compiled program per candidate length.
    """
    rows = []  # (item, candidate, context ids, candidate ids)
    for i, it in enumerate(items):
        for k, cand in enumerate(it["candidates"]):
            rows.append((i, k, *candidate_ids(tok, it["context"], cand)))
    P = max(len(r[2]) for r in rows)
    out = np.full((len(items), max(len(it["candidates"]) for it in items)), -np.inf)
    by_length: dict[int, list] = {}
    for r in rows:
        by_length.setdefault(len(r[3]), []).append(r)
    for C, group in sorted(by_length.items()):
        for s in range(0, len(group), batch_size):
            chunk = group[s : s + batch_size]
            full = chunk + [chunk[-1]] * (batch_size - len(chunk))
            prompt, mask = pad_rows([r[2] for r in full], P, left=True)  # (batch_size, P)
            cont = np.asarray([r[3] for r in full], np.int32)  # (batch_size, C)
            for (i, k, _, _), loss in zip(chunk, row_losses(model, prompt, mask, cont)):
                out[i, k] = -C * loss
    return out


def recall_scores(items, logprobs) -> dict:
    """Accuracy and margin (nats) at each distance, from ℓ (n_items, K); and per language."""
    lp = np.asarray(logprobs, np.float64)
    rows, right_k = np.arange(len(items)), np.array([it["answer"] for it in items])
    right = lp[rows, right_k]
    best = lp.max(axis=1)
    hit = np.where(right == best, 1.0 / (lp == best[:, None]).sum(axis=1), 0.0)
    others = lp.copy()
    others[rows, right_k] = -np.inf
    margin = right - others.max(axis=1)
    dist, lang = np.array([it["distance"] for it in items]), np.array([it["lang"] for it in items])
    ds = sorted(set(dist.tolist()))
    return {"distance": ds, "accuracy": [float(hit[dist == d].mean()) for d in ds],
            "margin": [float(margin[dist == d].mean()) for d in ds], "n": [int((dist == d).sum()) for d in ds],
            "chance": float(np.mean([1 / len(it["candidates"]) for it in items])),
            "accuracy_by_lang": {g: [float(hit[(dist == d) & (lang == g)].mean()) if ((dist == d) & (lang == g)).any()
                                     else math.nan for d in ds] for g in sorted(set(lang.tolist()))}}


def recall_probe(model, tok, items, *, max_prompt: int | None = None, batch_size: int = 64) -> dict:
    """recall_scores of ``model`` on the items whose context fits ``max_prompt`` tokens.

    A (group, distance) is kept or dropped whole, so that every kept distance keeps the chance
    level exact. Give both models of a comparison the same ``max_prompt`` (the longest prompt both
    were trained on); by default it is what the model's position table allows.
    -> recall_scores' fields, plus prompt_tokens (mean context length at each distance),
    max_prompt and dropped (items left out)
    """
    n_cand = max(len(candidate_ids(tok, it["context"], c)[1]) for it in items for c in it["candidates"])
    if max_prompt is None:
        max_prompt = model.config.max_len - (n_cand if model.config.family == "gpt" else 0)
    length = [len(tok.encode(it["context"])) for it in items]
    longest: dict = {}
    for it, n in zip(items, length):
        key = (it["group"], it["distance"])
        longest[key] = max(longest.get(key, 0), n)
    keep = [i for i, it in enumerate(items) if longest[(it["group"], it["distance"])] <= max_prompt]
    if not keep:
        raise UserError(f"No recall item fits a prompt of {max_prompt} tokens (the shortest has {min(length)}).")
    kept = [items[i] for i in keep]
    out = recall_scores(kept, candidate_logprobs(model, tok, kept, batch_size=batch_size))
    out["prompt_tokens"] = [float(np.mean([length[i] for i in keep if items[i]["distance"] == d]))
                            for d in out["distance"]]
    out.update(max_prompt=int(max_prompt), dropped=len(items) - len(kept))
    return out


# --- coherence: claims that contradict the corpus, arithmetic, the calendar, or the text itself --------

EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ZH_DAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February: the corpus's "28, or 29 in a leap year"
RULE_KINDS = ("arith", "weekday", "month_after", "month_number", "month_days")  # true or false by rule
OPS = {"plus": "plus", "minus": "minus", "times": "times", "加": "plus", "减": "minus", "乘": "times"}
PRONOUNS = ("He", "She", "It", "They", "他", "她", "它")


def zh_numeral(n: int) -> str:
    """0..999 in Chinese numerals, as the corpus writes them: 12 -> 十二, 105 -> 一百零五."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
    h, r = divmod(n, 100)
    return digits[h] + "百" + ("" if r == 0 else "零" + digits[r] if r < 10 else digits[r // 10] + "十"
                               + (digits[r % 10] if r % 10 else ""))


ZH_NUMBERS = {**{zh_numeral(n): n for n in range(1000)}, "两": 2}  # 两 counts things: 两个苹果


def _number(s: str) -> int | None:
    """An integer written with digits (thousands commas allowed) or in Chinese numerals."""
    return int(s.replace(",", "")) if s.replace(",", "").isdigit() else ZH_NUMBERS.get(s)


# Patterns from data/generate.py's sentence templates: (regex, what it claims). A claim is
# (key, value); the regexes end at the sentence's closing punctuation, so a sample cut off in
# mid-sentence claims nothing there.
N, ZN, CLAUSE = r"(\d+)", r"([零一二两三四五六七八九十百]+)", r"(?:^|(?<=[。，！？\n]))"
DAY, ZDAY = "(" + "|".join(EN_DAYS) + ")", "(" + "|".join(ZH_DAYS) + ")"
MONTH, ZMONTH = "(" + "|".join(EN_MONTHS) + ")", r"(?<![一二三四五六七八九十])(十[一二]|[一二三四五六七八九十])月"
TOWN, RIVER = r"([A-Z][\w']*(?: (?:Town|Village|City))?)", r"(the [A-Z][\w']*(?: River)?)"
PERSON, PRODUCT = r"([A-Z][a-z]+ [A-Z][a-z]+)", r"([A-Z][a-z]+ [A-Z][a-z]+ \d)"
ZNAME, POPULATION = r"([^。！？，、：；“”\s]+?)", r"(\d{1,3}(?:,\d{3})+|\d+)"


def _arith(a, op, b, c):
    return ("arith", _number(a), OPS[op], _number(b)), _number(c)


def _day(d, k, e, days=EN_DAYS, sign=1):
    """"k days after d is e" (sign −1: before); k may be None (an unreadable numeral)."""
    return ("weekday", days.index(d), None if k is None else sign * k % 7), days.index(e)


def _zh_month(m: str) -> int:
    return ZH_NUMBERS[m] - 1


PATTERNS = [
    # arithmetic, word problems, shopping and study totals
    (rf"(?<![\d.]){N} (plus|minus|times) {N} is {N}\.", lambda m: [_arith(*m.groups())]),
    (rf"has {N} [a-z ]+? and gets {N} more, so now (?:he|she) has {N}\.",
     lambda m: [_arith(m[1], "plus", m[2], m[3])]),
    (rf"has {N} [a-z ]+? and gives away {N}, so (?:he|she) has {N} left\.",
     lambda m: [_arith(m[1], "minus", m[2], m[3])]),
    (rf"cost {N} dollars?, and (?:he|she) bought {N}, so (?:he|she) paid {N} dollars\.",
     lambda m: [_arith(m[1], "times", m[2], m[3])]),
    (rf"for {N} minutes in the morning and {N} minutes in the evening, which is {N} minutes a day",
     lambda m: [_arith(m[1], "plus", m[2], m[3])]),
    (rf"(?<!\d){N}(加|减|乘){N}等于{N}。", lambda m: [_arith(*m.groups())]),
    (rf"(?<![零一二两三四五六七八九十百]){ZN}(加|减|乘){ZN}等于{ZN}。", lambda m: [_arith(*m.groups())]),
    (rf"有{ZN}(.)[^，。]*，又买了{ZN}\2，现在一共有{ZN}\2。", lambda m: [_arith(m[1], "加", m[3], m[4])]),
    (rf"有{ZN}(.)[^，。]*，送给朋友{ZN}\2，还剩{ZN}\2。", lambda m: [_arith(m[1], "减", m[3], m[4])]),
    (rf"一(.)[^，。\d]+{N}元，[他她]买了{ZN}\1，一共{N}元", lambda m: [_arith(m[2], "乘", m[3], m[4])]),
    (rf"每天早上学习{ZN}分钟，晚上学习{ZN}分钟，一天一共学习{ZN}分钟", lambda m: [_arith(m[1], "加", m[2], m[3])]),
    # the calendar
    (rf"The day after {DAY} is {DAY}\.", lambda m: [_day(m[1], 1, m[2])]),
    (rf"The day before {DAY} is {DAY}\.", lambda m: [_day(m[1], 1, m[2], sign=-1)]),
    (rf"If today is {DAY}, then in {N} days it will be {DAY}\.", lambda m: [_day(m[1], int(m[2]), m[3])]),
    (rf"If today is {DAY}, then {N} days ago it was {DAY}\.", lambda m: [_day(m[1], int(m[2]), m[3], sign=-1)]),
    (rf"The month after {MONTH} is {MONTH}\.",
     lambda m: [(("month_after", EN_MONTHS.index(m[1])), EN_MONTHS.index(m[2]))]),
    (rf"{MONTH} is month number {N} of the year\.",
     lambda m: [(("month_number", EN_MONTHS.index(m[1])), int(m[2]))]),
    (rf"{MONTH} has {N} days[.,]", lambda m: [(("month_days", EN_MONTHS.index(m[1])), int(m[2]))]),
    (rf"{ZDAY}的后一天是{ZDAY}。", lambda m: [_day(m[1], 1, m[2], ZH_DAYS)]),
    (rf"{ZDAY}的前一天是{ZDAY}。", lambda m: [_day(m[1], 1, m[2], ZH_DAYS, -1)]),
    (rf"如果今天是{ZDAY}，那么{ZN}天后是{ZDAY}。", lambda m: [_day(m[1], _number(m[2]), m[3], ZH_DAYS)]),
    (rf"如果今天是{ZDAY}，那么{ZN}天前是{ZDAY}。", lambda m: [_day(m[1], _number(m[2]), m[3], ZH_DAYS, -1)]),
    (rf"{ZMONTH}的下一个月是{ZMONTH}。", lambda m: [(("month_after", _zh_month(m[1])), _zh_month(m[2]))]),
    (rf"{ZMONTH}有{ZN}天[。，]", lambda m: [(("month_days", _zh_month(m[1])), _number(m[2]))]),
    # the made-up world: a town's river and population, a person's age, a product's weight and price
    (rf"{TOWN} lies on {RIVER}\.", lambda m: [(("river", m[1]), m[2])]),
    (rf"{TOWN}, with about {POPULATION}(?: people)?[,.]", lambda m: [(("people", m[1]), _number(m[2]))]),
    (rf"{TOWN}: about {POPULATION} people live there\.", lambda m: [(("people", m[1]), _number(m[2]))]),
    (rf"{PERSON}, who is {N}[,.]", lambda m: [(("age", m[1]), int(m[2]))]),
    (rf"\b([A-Z][a-z]+(?: [A-Z][a-z]+)?) is {N} years old\.", lambda m: [(("age", m[1]), int(m[2]))]),
    (rf"The {PRODUCT} weighs {N} grams", lambda m: [(("grams", m[1]), int(m[2]))]),
    (rf"The {PRODUCT} costs {N} dollars(?! less)", lambda m: [(("price", m[1]), int(m[2]))]),
    (rf"and the {PRODUCT} {N}, so the {PRODUCT} is (lighter|cheaper)",
     lambda m: [(("grams" if m[4] == "lighter" else "price", m[1]), int(m[2]))]),
    (rf"{CLAUSE}{ZNAME}流过{ZNAME}。", lambda m: [(("river", m[2]), m[1])]),
    (rf"{CLAUSE}{ZNAME}大约有{N}人", lambda m: [(("people", m[1].split("读到")[-1]), int(m[2]))]),
    (rf"{CLAUSE}{ZNAME}今年{N}岁", lambda m: [(("age", m[1]), int(m[2]))]),
    (rf"{PRODUCT}重{N}克", lambda m: [(("grams", m[1]), int(m[2]))]),
    (rf"{PRODUCT}售价{N}元", lambda m: [(("price", m[1]), int(m[2]))]),
]
PATTERNS = [(re.compile(p), claim) for p, claim in PATTERNS]


def claims(text: str) -> list[tuple[int, tuple, object]]:
    """Every checkable claim of ``text`` as (end offset, key, value), in order; a key is
    ("arith", a, op, b), ("weekday", day, offset), ("month_days", month), …, ("age", name), ….
    Pronouns are not names: "She is 30 years old." claims nothing."""
    found = []
    for pattern, claim in PATTERNS:
        for m in pattern.finditer(text):
            for key, value in claim(m):
                if None not in key and value is not None and key[-1] not in PRONOUNS:
                    found.append((m.end(), key, value))
    return sorted(found, key=lambda c: c[0])


def rule_truth(key: tuple):
    """The true value of an arithmetic or calendar claim's key."""
    kind = key[0]
    if kind == "arith":
        _, a, op, b = key
        return {"plus": a + b, "minus": a - b, "times": a * b}[op]
    if kind == "weekday":
        return (key[1] + key[2]) % 7
    if kind == "month_after":
        return (key[1] + 1) % 12
    if kind == "month_number":
        return key[1] + 1
    return MONTH_DAYS[key[1]]  # month_days


def facts_from_text(text: str) -> dict:
    """The world's facts as ``text`` (the training corpus) states them: key -> value for every
    world claim (river, population, age, weight, price) the text makes with one value only."""
    values: dict = {}
    for _, key, value in claims(text):
        if key[0] not in RULE_KINDS:
            values.setdefault(key, []).append(value)
    return {k: v[0] for k, v in values.items() if all(x == v[0] for x in v)}


@lru_cache(maxsize=2)
def corpus_facts(path) -> dict:
    """facts_from_text of a corpus file, read once per process."""
    return facts_from_text(Path(path).read_text(encoding="utf-8"))


def coherence(samples, facts: dict, prompts=None) -> dict:
    """How often sampled text contradicts what it was taught, or itself.

    Measure: the claims a sample makes that can be checked (sums and products, weekdays and months,
    a town's river and population, a person's age, a product's weight and price). A claim is
    *wrong* if its truth is known (by arithmetic and the calendar, or in ``facts``: the training
    corpus's, which states every fact the same way everywhere) and it differs; a claim about a
    subject the corpus never mentions is *inconsistent* if the same text said otherwise earlier.
        contradiction_rate = (wrong + inconsistent) / claims
    With ``prompts`` (the text each sample continues) a claim completed by the sample counts, and
    the prompt's own claims are what the sample must stay consistent with.

    Why this measure: it needs no second model, so it does not inherit a judge's errors or reward
    what the judge finds typical (the held-out loss of one model's samples under the other does
    both, and favours bland, repetitive text); and it is what "coherent" means for this corpus,
    whose every fact is consistent. It counts only checkable claims, so it says nothing of style:
    the repeated 3-gram rate (metrics.py) stands beside it for the loops small models fall into.
    """
    prompts = list(prompts) if prompts is not None else [""] * len(samples)
    total = checked = wrong = inconsistent = 0
    for sample, prompt in zip(samples, prompts):
        said: dict = {}
        for end, key, value in claims(prompt + sample):
            truth = rule_truth(key) if key[0] in RULE_KINDS else facts.get(key)
            if end > len(prompt):
                total += 1
                if truth is not None:
                    checked += 1
                    wrong += value != truth
                elif key in said and said[key] != value:
                    inconsistent += 1
            said.setdefault(key, value)
    return {"claims": total, "checked": checked, "wrong": wrong, "inconsistent": inconsistent,
            "contradiction_rate": (wrong + inconsistent) / total if total else math.nan,
            "repeated_3": text_metrics.repeated_ngram_rate(samples, 3), "n_samples": len(samples)}


# --- diversity, and where two models can be compared -----------------------------------------------


def diversity_scores(samples) -> dict:
    """distinct-1/2 and self-BLEU-4 (metrics.py) of one set of samples."""
    return {"distinct_1": text_metrics.distinct_n(samples, 1), "distinct_2": text_metrics.distinct_n(samples, 2),
            "self_bleu": text_metrics.self_bleu(samples)}


def sample_texts(model, tok, prompts, *, new_tokens: int, temperature: float, seed: int) -> list[str]:
    """``new_tokens`` sampled after each prompt (lists of ids) at ``temperature``, as text."""
    graphdef, state = nnx.split(model)
    rows = generate(graphdef, state, prompts, model.config, max_new_tokens=new_tokens, temperature=temperature,
                    seed=seed)
    return [tok.decode(r) for r in rows]


def generation_probe(model, tok, prompts, facts: dict, *, new_tokens: int, temperature: float, seed: int) -> dict:
    """Coherence and diversity of one set of samples: the two claims measured on the same text."""
    texts = sample_texts(model, tok, prompts, new_tokens=new_tokens, temperature=temperature, seed=seed)
    return {"coherence": coherence(texts, facts, [tok.decode(p) for p in prompts]),
            "diversity": diversity_scores(texts), "samples": texts[:3]}


def equal_loss_point(curve_a, curve_b, *, tolerance: float = 0.02) -> dict:
    """Where two models can be compared at the same quality: of the measured points (step, held-out
    loss) of each, the pair whose losses differ by at most ``tolerance`` (relative to the larger)
    with the lowest loss. Diversity at different losses is not comparable: a worse model is more
    random. -> {"found": True, "i", "j", "step_a", "step_b", "loss_a", "loss_b"}, or
    {"found": False, "reason": one sentence}."""
    pairs = [(max(la, lb), i, j) for i, (_, la) in enumerate(curve_a) for j, (_, lb) in enumerate(curve_b)
             if abs(la - lb) <= tolerance * max(la, lb)]
    if pairs:
        _, i, j = min(pairs)
        return {"found": True, "i": i, "j": j, "step_a": curve_a[i][0], "step_b": curve_b[j][0],
                "loss_a": curve_a[i][1], "loss_b": curve_b[j][1]}
    a, b = [loss for _, loss in curve_a], [loss for _, loss in curve_b]
    if min(a) > max(b) or min(b) > max(a):
        lo, hi = (a, b) if min(a) > max(b) else (b, a)
        return {"found": False, "reason": f"the curves do not overlap: one model's lowest held-out loss "
                                          f"({min(lo):.3f}) is above the other's highest ({max(hi):.3f})."}
    gap = min(abs(la - lb) / max(la, lb) for la in a for lb in b)
    return {"found": False, "reason": f"no two measured points are within {tolerance:.0%} of each other "
                                      f"(the closest differ by {gap:.1%}); measure at more points."}


# --- compute needed for a quality ------------------------------------------------------------------


def eval_curve(records) -> list[tuple[int, float]]:
    """(step, held-out next-token loss) of a run's evaluation records (training/log.read_metrics):
    ``val_next_loss``, the quality both families share (Sora's ``val_loss`` adds its masked-token
    loss), or ``val_loss`` for runs written before the two were logged apart."""
    return [(m["step"], m.get("val_next_loss", m["val_loss"])) for m in records if "val_loss" in m]


def training_seconds(records, tokens_per_step: int) -> list[tuple[int, float]]:
    """(step, seconds of training so far) at each log record of a run: a record covers the steps
    since the previous one at its ``tokens_per_s``, so it took Δstep · tokens_per_step / tokens_per_s
    seconds (compile and evaluation time are not in it)."""
    out, last, total = [], 0, 0.0
    for m in records:
        if "tokens_per_s" in m:
            total += (m["step"] - last) * tokens_per_step / m["tokens_per_s"]
            out.append((m["step"], total))
            last = m["step"]
    return out


def common_target(*curves) -> float | None:
    """The lowest held-out loss every curve reaches: the worst of their best losses (None if a
    curve is empty)."""
    return max(min(loss for _, loss in c) for c in curves) if all(curves) else None


def cost_to_reach(curve, target: float, *, tokens_per_step: int, flops_per_token: float, timeline=()) -> dict | None:
    """Training cost until the held-out loss first reaches ``target``; None if it never does.

    The step is interpolated linearly between the last evaluation above the target and the first
    at or below it (compare evaluates at a few points only; taking the first evaluation below would
    round both models up to the same grid point). A loss curve bends upward, so the chord crosses
    later than the curve: the step is an upper estimate within ``bracket``. If the first evaluation
    is already below, its step is reported (``at_first_eval``: an upper bound).
        tokens = step · tokens_per_step,  FLOPs = tokens · flops_per_token,
        seconds = the ``timeline`` (step, training seconds) interpolated at that step
    """
    for n, (s1, l1) in enumerate(curve):
        if l1 <= target:
            if n == 0:
                step, bracket = float(s1), (0, s1)
            else:
                s0, l0 = curve[n - 1]
                step, bracket = s0 + (l0 - target) / (l0 - l1) * (s1 - s0), (s0, s1)
            tokens = step * tokens_per_step
            seconds = None
            if timeline:
                ts, sec = zip(*[(0, 0.0), *timeline])
                seconds = float(np.interp(step, ts, sec))
            return {"target": target, "step": step, "tokens": tokens, "flops": tokens * flops_per_token,
                    "seconds": seconds, "bracket": bracket, "at_first_eval": n == 0}
    return None


def compute_to_quality(runs: dict, target: float | None = None) -> dict:
    """FLOPs and seconds each run needs to reach one held-out loss, next to its FLOPs per token.

    ``runs``: name -> {"curve": [(step, loss)], "tokens_per_step", "flops_per_token", "timeline"};
    ``target`` defaults to common_target (the lowest loss all of them reach).
    -> {"target", "flops_per_token": {name: …}, "to_target": {name: cost_to_reach(…) or None}}
    """
    target = common_target(*(r["curve"] for r in runs.values())) if target is None else target
    return {"target": target, "flops_per_token": {m: r["flops_per_token"] for m, r in runs.items()},
            "to_target": {m: None if target is None else
                          cost_to_reach(r["curve"], target, tokens_per_step=r["tokens_per_step"],
                                        flops_per_token=r["flops_per_token"], timeline=r.get("timeline", ()))
                          for m, r in runs.items()}}


# --- dialogue accuracy, paraphrases apart from unseen answers --------------------------------------


def dialogue_kinds(train_pairs, test_pairs) -> list[str]:
    """"paraphrase" for a test question whose answer fine-tuning taught (a new wording of a trained
    question: the answer is a function of the intent and its slots, so the same answer means the
    same intent and slots), "unseen" for an answer it never showed (new slots: a sum, an order
    number, a city not in training), which the model must compose. Every intent of the shipped
    data has training questions, so "unseen" is an unseen answer, not an unseen intent."""
    taught = dict.fromkeys(text_metrics.normalize(a) for _, a in train_pairs)
    return ["paraphrase" if text_metrics.normalize(a) in taught else "unseen" for _, a in test_pairs]


def split_scores(answers, references, kinds) -> dict:
    """Exact match and token F1 (metrics.py) of each kind of question apart, and of all.
    -> {kind: {"em", "f1", "n"}} with "all" among the kinds (a kind with no questions: nan)."""
    out = {}
    for kind in ("paraphrase", "unseen", "all"):
        pick = [(p, r) for p, r, k in zip(answers, references, kinds) if kind in (k, "all")]
        out[kind] = {"em": float(np.mean([text_metrics.exact_match(p, r) for p, r in pick])) if pick else math.nan,
                     "f1": float(np.mean([text_metrics.token_f1(p, r) for p, r in pick])) if pick else math.nan,
                     "n": len(pick)}
    return out


def dialogue_split_scores(model, tok, test_pairs, train_pairs, max_tokens: int) -> dict:
    """split_scores of a fine-tuned model's greedy answers (measure.answer) to the test questions."""
    answers = answer(model, tok, [q for q, _ in test_pairs], max_tokens)
    return split_scores(answers, [a for _, a in test_pairs], dialogue_kinds(train_pairs, test_pairs))
