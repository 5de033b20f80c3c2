"""vaelib.checks: unattempted answers pass quietly, right ones pass, wrong ones explain themselves."""

import numpy as np
import pytest
import torch

from vaelib.checks import check_close, check_true


def test_none_means_not_attempted(capsys):
    assert check_close("Exercise 1", None, 3.0) is None
    assert "Not attempted yet" in capsys.readouterr().out


def test_correct_answers_pass(capsys):
    assert check_close("Exercise 1", torch.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7]))
    assert "correct" in capsys.readouterr().out


def test_wrong_answer_says_expected_got_and_hint():
    with pytest.raises(AssertionError) as info:
        check_close("Exercise 2", 2.5, 3.0, hint="Did you sum over dimensions?")
    message = str(info.value)
    assert "Exercise 2" in message and "expected 3," in message and "got 2.5" in message and "sum over" in message
    assert "relative error" in message  # the learner is told how close is close enough


def test_wrong_shape_is_reported():
    with pytest.raises(AssertionError, match="shape"):
        check_close("Exercise 3", [1.0, 2.0], [1.0, 2.0, 3.0])


def test_check_true():
    assert check_true("Exercise 4", 5, lambda a: a > 3, "must exceed 3")
    with pytest.raises(AssertionError, match="must exceed 3"):
        check_true("Exercise 4", 1, lambda a: a > 3, "must exceed 3")
    assert check_true("Exercise 4", None, lambda a: a > 3, "must exceed 3") is None


def test_non_numeric_answer_is_a_check_message_not_a_crash():
    for answer in ["three", {"a": 1}, [1.0, "x"]]:
        with pytest.raises(AssertionError, match="Exercise 5: expected a number or an array of numbers"):
            check_close("Exercise 5", answer, 3.0, hint="Give a float.")
