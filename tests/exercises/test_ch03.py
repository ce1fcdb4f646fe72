"""Chapter 3's exercise checks (tutorials/course/ch03.py): the reference solutions pass, wrong answers
and the unanswered stubs do not."""

import numpy as np
import pytest
from course import ch03
from solutions import ch03 as solution

from minisora.tokenizer import MASK_ID


def stub(*args):
    raise NotImplementedError  # your code here


def test_the_solutions_pass(capsys):
    assert ch03.check_encoder_block_params(solution.encoder_block_params)
    assert ch03.check_bert_corrupt(solution.bert_corrupt)
    assert capsys.readouterr().out.count("right.") == 2


def test_the_solution_counts_bert_base_like_the_chapter():
    # BERT-base's 12 blocks are 85,054,464 of BertModel's 109,482,240 parameters
    assert 12 * solution.encoder_block_params(768, 3072) == 85_054_464


def test_the_stubs_are_not_done(capsys):
    assert not ch03.check_encoder_block_params(stub)
    assert not ch03.check_bert_corrupt(stub)
    assert capsys.readouterr().out.count("not done yet") == 2


@pytest.mark.parametrize("wrong", [
    lambda C, F: 4 * C * C + 2 * C * F,  # no biases, no LayerNorms
    lambda C, F: 4 * C * C + 2 * C * F + 5 * C + F,  # the LayerNorms forgotten
    lambda C, F: 3 * C * C + 2 * C * F + 8 * C + F,  # W_o forgotten
    lambda C, F: 4 * C * C + 2 * C * F + 7 * C + F,  # one LayerNorm only
])
def test_a_wrong_parameter_count_fails(wrong, capsys):
    assert not ch03.check_encoder_block_params(wrong)
    assert "not yet right" in capsys.readouterr().out


def _rule(x, chosen, u_kind, random_ids, to_mask=0.8, to_random=0.9):
    x_tilde = np.where(chosen & (u_kind < to_mask), MASK_ID, x)
    return np.where(chosen & (u_kind >= to_mask) & (u_kind < to_random), random_ids, x_tilde), chosen


@pytest.mark.parametrize("wrong", [
    lambda x, real, u, k, r: _rule(x, u < 0.15, k, r),  # pads chosen too
    lambda x, real, u, k, r: _rule(x, (u <= 0.15) & real, k, r),  # 0.15 itself chosen
    lambda x, real, u, k, r: _rule(x, (u < 0.15) & real, k, r, to_random=0.8),  # never a random token
    lambda x, real, u, k, r: _rule(x, (u < 0.15) & real, k, r, to_mask=1.0),  # every chosen token -> [MASK]
    lambda x, real, u, k, r: (np.where((u < 0.15) & real & (k >= 0.2), MASK_ID, x), (u < 0.15) & real),  # upside down
])
def test_a_wrong_masking_rule_fails(wrong, capsys):
    assert not ch03.check_bert_corrupt(wrong)
    assert "not yet right" in capsys.readouterr().out
