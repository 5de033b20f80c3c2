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
