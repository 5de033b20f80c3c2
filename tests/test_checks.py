"""vaelib.checks.core and the package: outcomes, messages and labels shared by every exercise check.

Unattempted answers pass quietly, right ones print "correct", wrong ones raise with the exercise's
label, what was expected, what came back and a hint; each wrong answer below is a planted mistake a
learner could make, and the test asserts the message names it.
"""

import numpy as np
import pytest
import torch
from checking import passes

from vaelib.checks import core

# --- the core ------------------------------------------------------------------------------------


def test_none_means_not_attempted(capsys):
    assert core.close("Exercise 1", None, 3.0) is None
    assert "Not attempted yet" in capsys.readouterr().out


def test_correct_answers_pass_and_return_nothing(capsys):
    passes(capsys, core.close, "Exercise 1", torch.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7]))


def test_wrong_answer_says_expected_got_and_hint():
    with pytest.raises(AssertionError) as info:
        core.close("Exercise 2", 2.5, 3.0, hint="Did you sum over dimensions?")
    message = str(info.value)
    assert "Exercise 2" in message and "expected 3," in message and "got 2.5" in message and "sum over" in message
    assert "relative error" in message  # the learner is told how close is close enough


def test_wrong_shape_is_reported():
    with pytest.raises(AssertionError, match="shape"):
        core.close("Exercise 3", [1.0, 2.0], [1.0, 2.0, 3.0])


def test_true(capsys):
    passes(capsys, core.true, "Exercise 4", 5, lambda a: a > 3, "must exceed 3")
    with pytest.raises(AssertionError, match="must exceed 3"):
        core.true("Exercise 4", 1, lambda a: a > 3, "must exceed 3")
    assert core.true("Exercise 4", None, lambda a: a > 3, "must exceed 3") is None


def test_non_numeric_answer_is_a_check_message_not_a_crash():
    for answer in ["three", {"a": 1}, [1.0, "x"]]:
        with pytest.raises(AssertionError, match="Exercise 5: expected a number or an array of numbers"):
            core.close("Exercise 5", answer, 3.0, hint="Give a float.")


def test_tolerance_is_described_as_the_check_applies_it():
    with pytest.raises(AssertionError, match=r"allowed: absolute error 0\.5\)"):
        core.close("Exercise 6", 12, 20, rtol=0, atol=0.5)
    with pytest.raises(AssertionError, match=r"allowed: absolute error 0\.1 plus relative error 0\.01\)"):
        core.close("Exercise 6", 12, 20, rtol=0.01, atol=0.1)


def test_close_but_wrong_numbers_never_print_the_same():
    with pytest.raises(AssertionError) as info:
        core.close("Exercise 7", -1000.75, -1000.7496, rtol=0, atol=1e-6)
    message = str(info.value)
    assert "expected -1000.7496" in message and "got -1000.75 " in message


def test_every_check_is_labelled_with_its_exercise_and_returns_none_unattempted(capsys):
    """One label format, "Exercise NN.k", and the not-attempted outcome, for every check of every lesson."""
    import inspect

    from vaelib import checks

    labels = []
    for lesson in checks.LESSONS:
        module = getattr(checks, lesson)
        number = int(lesson[2:])
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            exercise = function.exercise  # set by core.exercise: the label every message starts with
            assert exercise.startswith(f"Exercise {number:02d}.") and function.__doc__.startswith(exercise + ":"), (
                lesson,
                name,
            )
            extra = [None] * (len(inspect.signature(function).parameters) - 1)
            assert function(None, *extra) is None
            assert capsys.readouterr().out.startswith(f"{exercise}: Not attempted yet"), (lesson, name)
            labels.append(exercise)
    assert len(labels) >= 27 and len(set(labels)) == len(labels), "every exercise has exactly one check"


def test_lessons_are_loaded_on_first_use_and_unknown_names_say_where_checks_are():
    from vaelib import checks

    with pytest.raises(AttributeError, match="nb00"):
        checks.check_close  # noqa: B018  (the old flat API is gone)
