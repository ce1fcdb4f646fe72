"""course.check: right, wrong, unanswered and crashing answers each say so, and never raise."""

from course import NotYet, check


def test_check_says_right_wrong_and_not_done(capsys):
    def wrong():
        raise NotYet("expected 3, got 4")

    def unanswered():
        raise NotImplementedError

    def crashes():
        return {}["missing"]

    def right():
        assert 1 + 2 == 3

    assert check("sum", right) is True
    assert check("sum", wrong) is False
    assert check("sum", unanswered) is False
    assert check("sum", crashes) is False
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "[✓] sum: right."
    assert out[1] == "[x] sum: not yet right — expected 3, got 4"
    assert out[2].startswith("[ ] sum: not done yet")
    assert out[3].startswith("[x] sum: your code raised KeyError")


def test_a_failed_assertion_is_a_wrong_answer(capsys):
    def fails():
        assert False, "the rows must sum to 1"

    assert check("softmax", fails) is False
    assert "the rows must sum to 1" in capsys.readouterr().out
