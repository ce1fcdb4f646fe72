"""Answer and diversity metrics against examples worked by hand."""

import pytest

from minisora.tools.metrics import distinct_n, exact_match, repeated_ngram_rate, token_f1, words


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
