"""Chapter 10's exercises: distinct-n and token F1, against ``minisora.tools.metrics`` (the scores the
comparison's report prints)."""

from __future__ import annotations

import math

from course import NotYet, check

SAMPLES = [
    ["the cat sat on the mat", "the dog sat on the log"],
    ["a a a a", "a a"],  # every n-gram the same
    ["one", "two words", ""],  # samples shorter than n
    ["我的账户为什么不能登录？", "账户登录了"],  # Chinese: one character, one word
    ["Hello, World!", "hello world"],  # case and punctuation do not count
    [],  # nothing at all
    ["the cat", "cat the"],  # an n-gram does not cross from one sample into the next
]


def check_distinct_n(distinct_n) -> bool:
    from minisora.tools import metrics

    def test():
        for samples in SAMPLES:
            for n in (1, 2, 3):
                want, got = metrics.distinct_n(samples, n), distinct_n(list(samples), n)
                if got is None or not math.isclose(float(got), want, abs_tol=1e-9):
                    raise NotYet(f"distinct-{n} of {samples} is {want:.4g}, yours is {got}.")

    return check("distinct-n", test)


PAIRS = [
    ("the cat sat on the mat", "the cat sat on the mat"),
    ("the cat sat", "a dog ran"),  # nothing shared
    ("the the the", "the cat"),  # multiplicity: "the" is shared once
    ("the cat the cat", "the cat the dog"),
    ("Order 123 has shipped.", "order 123 has shipped"),  # case and punctuation
    ("", ""),
    ("", "something"),
    ("something", ""),
    ("我的账户不能登录", "我的账户为什么不能登录？"),
    ("3 times 6 is 18.", "3 times 6 is 18 ."),
]


def check_token_f1(token_f1) -> bool:
    from minisora.tools import metrics

    def test():
        for prediction, reference in PAIRS:
            want, got = metrics.token_f1(prediction, reference), token_f1(prediction, reference)
            if got is None or not math.isclose(float(got), want, abs_tol=1e-9):
                raise NotYet(f"token F1 of {prediction!r} against {reference!r} is {want:.4g}, yours is {got}.")

    return check("token F1", test)
