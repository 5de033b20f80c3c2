"""Answer checks for the exercises: the learner passes an answer, the check says right or wrong and why.

Each exercise cell in a notebook ends with ``check_...(answer)``. While the answer is still ``None``
the check says so and passes quietly, so a notebook runs top to bottom before anyone has tried; a
wrong answer raises ``AssertionError`` with what was expected, what came back and a hint. The worked
solutions (``notebooks/solutions/``) call the same checks with real answers, and CI runs them.
"""

from __future__ import annotations

import numpy as np
import torch

NOT_ATTEMPTED = "Not attempted yet: replace None with your answer and run the cell again."


def _to_numpy(value) -> np.ndarray:
    if torch.is_tensor(value):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)


def check_close(name: str, answer, expected, *, rtol: float = 1e-3, atol: float = 1e-6, hint: str = "") -> bool:
    """Compare a numeric answer (scalar or array) with the expected value.

    Returns False (and prints a reminder) when ``answer`` is None, True when it matches; raises
    ``AssertionError`` with the expected value, the answer and ``hint`` when it does not.
    """
    if answer is None:
        print(f"{name}: {NOT_ATTEMPTED}")
        return False
    got, want = _to_numpy(answer), _to_numpy(expected)
    if got.shape != want.shape:
        raise AssertionError(f"{name}: expected shape {want.shape}, got {got.shape}. {hint}".strip())
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        raise AssertionError(
            f"{name}: expected {np.array2string(want, precision=4)}, got {np.array2string(got, precision=4)}. {hint}".strip()
        )
    print(f"{name}: correct.")
    return True


def check_true(name: str, answer, condition, message: str) -> bool:
    """For answers judged by a property rather than a value: ``condition(answer)`` must hold."""
    if answer is None:
        print(f"{name}: {NOT_ATTEMPTED}")
        return False
    if not condition(answer):
        raise AssertionError(f"{name}: {message}")
    print(f"{name}: correct.")
    return True


# --- notebook 00 -------------------------------------------------------------------------------


def check_fraction_of_blank_pixels(answer) -> bool:
    """Exercise 00.1: the fraction of all training-set pixels that are exactly 0."""
    from .data import load_mnist

    if answer is None:
        return check_close("Exercise 00.1", None, 0.0)
    expected = (load_mnist("train").images == 0).float().mean().item()
    return check_close(
        "Exercise 00.1", answer, expected, rtol=1e-4,
        hint="Compare the images tensor with 0 and average the booleans over all 60,000 x 784 pixels.",
    )


def check_most_frequent_digit(answer) -> bool:
    """Exercise 00.2: the digit that occurs most often among the training labels."""
    from .data import load_mnist

    if answer is None:
        return check_true("Exercise 00.2", None, bool, "")
    counts = torch.bincount(load_mnist("train").labels, minlength=10)
    if answer not in range(10):
        raise AssertionError(f"Exercise 00.2: expected a digit 0-9, got {answer!r}")
    message = (
        f"digit {answer} occurs {int(counts[answer])} times, but another digit occurs "
        f"{int(counts.max())} times. Hint: torch.bincount(labels) counts each digit."
    )
    return check_true("Exercise 00.2", answer, lambda a: a == int(counts.argmax()), message)
