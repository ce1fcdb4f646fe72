"""Text metrics for comparing the two models' answers and samples.

Tokens here are "words" for scoring (whitespace-split English, single CJK
characters), not model ids, so scores don't depend on the tokenizer.

    exact match   EM = 1[norm(prediction) = norm(reference)]
    token F1      P = |pred ∩ ref| / |pred|,  R = |pred ∩ ref| / |ref|,  F1 = 2PR / (P + R)
                  (∩ counts multiplicity, as SQuAD's scorer does)
    distinct-n    |unique n-grams| / |n-grams|, over all samples together (Li et al. 2016)
    repeated-n    share of n-grams in a sample that already occurred earlier in it
    BLEU-N        BP · exp(Σ_{n=1..N} (1/N) log p_n) (Papineni et al. 2002): p_n the clipped n-gram
                  precision of a hypothesis against its references, BP = min(1, exp(1 − r/c)) with c
                  the hypothesis length and r the reference length nearest c
    self-BLEU     mean BLEU-4 of each sample against all the others (Zhu et al. 2018, Texygen):
                  higher = the samples repeat each other
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

# CJK ideographs and CJK punctuation are words of their own; other runs split on spaces.
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[\u3000-\u303f\uff00-\uffef]|[^\s\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
_PUNCT = set("，。！？、；：,.!?;:\"'()（）「」《》")


def normalize(text: str) -> str:
    """NFKC, lower case, no punctuation, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize(prediction) == normalize(reference))


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = words(prediction), words(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    p, r = common / len(pred), common / len(ref)
    return 2 * p * r / (p + r)


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(samples: Sequence[str], n: int) -> float:
    grams = [g for s in samples for g in ngrams(words(s), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repeated_ngram_rate(samples: Sequence[str], n: int = 3) -> float:
    """Mean over samples of the share of n-grams already seen earlier in the same sample."""
    rates = []
    for s in samples:
        grams = ngrams(words(s), n)
        if grams:
            seen: set = set()
            repeats = 0
            for g in grams:
                repeats += g in seen
                seen.add(g)
            rates.append(repeats / len(grams))
    return sum(rates) / len(rates) if rates else 0.0


def bleu(hypothesis: Sequence[str], references: Sequence[Sequence[str]], max_n: int = 4, epsilon: float = 0.1) -> float:
    """Sentence BLEU of one word list against reference word lists, uniform weights 1/max_n.

    p_n = Σ_g min(count_hyp(g), max_ref count_ref(g)) / max(1, |hypothesis n-grams|). Smoothing:
    Chen & Cherry (2014) method 1, the one NLTK's ``SmoothingFunction().method1`` implements and
    Texygen's self-BLEU uses: a p_n with no match counts as ε / max(1, |hypothesis n-grams|).
    No matching word at all gives 0. The reference length r nearest c wins (the shorter on a tie).
    """
    c = len(hypothesis)
    if c == 0 or not references:
        return 0.0
    log_p = 0.0
    for n in range(1, max_n + 1):
        grams = Counter(ngrams(hypothesis, n))
        most: Counter = Counter()
        for ref in references:
            most |= Counter(ngrams(ref, n))  # | keeps the larger count of each n-gram
        matched, total = sum((grams & most).values()), max(1, sum(grams.values()))
        if n == 1 and matched == 0:
            return 0.0
        log_p += math.log((matched or epsilon) / total) / max_n
    r = min((len(ref) for ref in references), key=lambda n: (abs(n - c), n))
    brevity = 1.0 if c > r else math.exp(1 - r / c)
    return brevity * math.exp(log_p)


def self_bleu(samples: Sequence[str], max_n: int = 4) -> float:
    """Mean BLEU-``max_n`` of each sample's words against every other sample's (nan for fewer than
    two non-empty samples)."""
    texts = [w for w in (words(s) for s in samples) if w]
    if len(texts) < 2:
        return math.nan
    return sum(bleu(t, texts[:i] + texts[i + 1 :], max_n) for i, t in enumerate(texts)) / len(texts)
