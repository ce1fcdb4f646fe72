"""Reference solutions of chapter 10's exercises."""

from collections import Counter

from minisora.tools.metrics import words


def distinct_n(samples, n):
    """|unique n-grams| / |n-grams| over all the samples (n-grams of ``words(sample)``)."""
    grams = []
    for sample in samples:
        w = words(sample)
        grams += [tuple(w[i : i + n]) for i in range(len(w) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def token_f1(prediction, reference):
    """SQuAD's token F1 of two texts, words counted with multiplicity."""
    pred, ref = words(prediction), words(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())  # min of the two counts, word by word
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)
