"""Chapter 10's exercises: the solutions pass their checks, wrong answers and the stubs do not."""

from course import ch10
from solutions import ch10 as solution

from minisora.tools.metrics import words


def test_the_solutions_pass(capsys):
    assert ch10.check_distinct_n(solution.distinct_n)
    assert ch10.check_token_f1(solution.token_f1)
    assert capsys.readouterr().out.count("[✓]") == 2


def distinct_per_sample(samples, n):
    """The mean of each sample's distinct-n: repeats across samples go unseen."""
    scores = [solution.distinct_n([s], n) for s in samples if len(words(s)) >= n]
    return sum(scores) / len(scores) if scores else 0.0


def distinct_across_samples(samples, n):
    """Joins the samples into one text: n-grams cross from one sample into the next."""
    return solution.distinct_n([" ".join(samples)], n)


def distinct_by_characters(samples, n):
    """Splits into characters, not words."""
    grams = [tuple(s[i : i + n]) for s in samples for i in range(len(s) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def test_wrong_distinct_n_fails(capsys):
    for wrong in (distinct_per_sample, distinct_across_samples, distinct_by_characters):
        assert not ch10.check_distinct_n(wrong), wrong.__doc__
    assert capsys.readouterr().out.count("not yet right") == 3


def f1_of_sets(prediction, reference):
    """Shared words as a set: multiplicity lost."""
    pred, ref = words(prediction), words(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = len(set(pred) & set(ref))
    return 0.0 if common == 0 else 2 * common / (len(pred) + len(ref))


def f1_without_normalising(prediction, reference):
    """Splits on spaces as written: case and punctuation make words differ."""
    pred, ref = prediction.split(), reference.split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum(min(pred.count(w), ref.count(w)) for w in set(pred))
    return 0.0 if common == 0 else 2 * common / (len(pred) + len(ref))


def test_wrong_token_f1_fails(capsys):
    assert not ch10.check_token_f1(f1_of_sets)
    assert not ch10.check_token_f1(f1_without_normalising)
    assert capsys.readouterr().out.count("not yet right") == 2


def test_the_stubs_are_not_done(capsys):
    def stub(*args):
        raise NotImplementedError

    assert not ch10.check_distinct_n(stub)
    assert not ch10.check_token_f1(stub)
    assert capsys.readouterr().out.count("not done yet") == 2
