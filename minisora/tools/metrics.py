"""Text metrics for comparing the two models' answers and samples.

Tokens here are "words" for scoring (whitespace-split English, single CJK
characters), not model ids, so scores don't depend on the tokenizer.

    exact match   EM = 1[norm(prediction) = norm(reference)]
    token F1      P = |pred ∩ ref| / |pred|,  R = |pred ∩ ref| / |ref|,  F1 = 2PR / (P + R)
                  (∩ counts multiplicity, as SQuAD's scorer does)
    distinct-n    |unique n-grams| / |n-grams|, over all samples together (Li et al. 2016)
    repeated-n    share of n-grams in a sample that already occurred earlier in it
"""

from __future__ import annotations

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
