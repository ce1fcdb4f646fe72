"""Answer and diversity metrics against examples worked by hand."""

import math

import pytest

from minisora.tools.metrics import (
    bleu,
    distinct_n,
    exact_match,
    repeated_ngram_rate,
    self_bleu,
    token_f1,
    words,
)


def test_words_split_english_and_chinese():
    assert words("Hello, World!") == ["hello", "world"]
    assert words("请确认您的账户") == list("请确认您的账户")
    assert words("重置 password 吧。") == ["重", "置", "password", "吧"]


def test_exact_match_ignores_case_punctuation_and_spaces():
    assert exact_match("Reset  your password.", "reset your password") == 1.0
    assert exact_match("请重置密码。", "请重置密码") == 1.0
    assert exact_match("reset the password", "reset your password") == 0.0


def test_token_f1_by_hand():
    # pred: the cat sat (3), ref: the cat sat down (4); common 3 -> P=1, R=3/4, F1=6/7
    assert token_f1("the cat sat", "the cat sat down") == pytest.approx(6 / 7)
    # multiplicity: pred "a a b" vs ref "a b b": common = min(2,1) + min(1,2) = 2 -> P=R=2/3
    assert token_f1("a a b", "a b b") == pytest.approx(2 / 3)
    # Chinese by character: 重置密码 vs 请重置密码 -> common 4, P=1, R=4/5, F1=8/9
    assert token_f1("重置密码", "请重置密码") == pytest.approx(8 / 9)
    assert token_f1("xyz", "abc") == 0.0
    assert token_f1("", "") == 1.0 and token_f1("", "a") == 0.0


def test_distinct_n_by_hand():
    samples = ["a b a b", "a c"]
    # unigrams: a b a b a c -> 3 unique / 6
    assert distinct_n(samples, 1) == pytest.approx(3 / 6)
    # bigrams: (a b)(b a)(a b) + (a c) -> 3 unique / 4
    assert distinct_n(samples, 2) == pytest.approx(3 / 4)
    assert distinct_n([], 2) == 0.0


def test_repeated_ngram_rate_by_hand():
    # "a b a b a b": bigrams ab ba ab ba ab -> the last three repeat -> 3/5
    assert repeated_ngram_rate(["a b a b a b"], n=2) == pytest.approx(3 / 5)
    # mean over samples: 3/5 and 0
    assert repeated_ngram_rate(["a b a b a b", "x y z"], n=2) == pytest.approx(3 / 10)


def test_bleu_by_hand():
    # a b c d vs a b c e: p1 = 3/4, p2 = 2/3, p3 = 1/2, p4 = 0/1 -> smoothed to 0.1/1; c = r = 4, BP = 1
    assert bleu(words("a b c d"), [words("a b c e")]) == pytest.approx((3 / 4 * 2 / 3 * 1 / 2 * 0.1) ** (1 / 4))
    # clipping: "the" four times against a reference with one: p1 = 1/4, then 0.1/3, 0.1/2, 0.1/1; c 4 > r 2
    assert bleu(["the"] * 4, [["the", "cat"]]) == pytest.approx((1 / 4 * 0.1 / 3 * 0.1 / 2 * 0.1 / 1) ** (1 / 4))
    # several references: each n-gram clipped by its largest count in any one; no 4-gram in a 3-word hypothesis
    # a a b vs [a b], [a a c]: p1 = 3/3, p2 = (aa, ab) 2/2, p3 = 0/1 -> 0.1, p4 = 0/max(1, 0) -> 0.1
    assert bleu(words("a a b"), [words("a b"), words("a a c")]) == pytest.approx((0.1 * 0.1) ** (1 / 4))
    # brevity: c = 3 against the nearest reference length 4 -> BP = exp(1 - 4/3); p1 = 1, p2 = 1, p3 = 1, p4 = 0.1
    assert bleu(words("a b c"), [words("a b c d"), words("a b c d e")]) == pytest.approx(
        math.exp(1 - 4 / 3) * 0.1 ** (1 / 4))
    # a tie between lengths 2 and 4 picks the shorter: c = 3 > 2, no penalty (the longer would cost exp(1 - 4/3));
    # "a b c d" holds every n-gram of "a b c": p1 = p2 = p3 = 1, p4 -> 0.1
    assert bleu(words("a b c"), [words("a b"), words("a b c d")]) == pytest.approx(0.1 ** (1 / 4))
    assert bleu(words("x y"), [words("a b")]) == 0.0 and bleu([], [words("a")]) == 0.0


def test_self_bleu_by_hand():
    one = (3 / 4 * 2 / 3 * 1 / 2 * 0.1) ** (1 / 4)  # as above, and symmetric
    assert self_bleu(["a b c d", "a b c e"]) == pytest.approx(one)
    assert self_bleu(["a b c d e"] * 3) == pytest.approx(1.0)
    assert self_bleu(["a b", "c d", "e f"]) == 0.0
    # Chinese by character: 我爱猫 vs 我爱狗 -> p1 2/3, p2 1/2, p3 0.1/1, p4 0.1/1
    assert self_bleu(["我爱猫", "我爱狗"]) == pytest.approx((2 / 3 * 1 / 2 * 0.1 * 0.1) ** (1 / 4))
    assert math.isnan(self_bleu(["only one"])) and math.isnan(self_bleu(["a b", ""]))
