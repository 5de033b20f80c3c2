"""The checking framework of the exercises: outcomes, comparisons and messages, shared by every lesson.

Each exercise cell ends with a call such as ``vaelib.checks.nb06.blank_image_reconstruction(answer)``.
Three outcomes, modelled on Kaggle's learntools:

- ``answer`` is still ``None``: the check prints that the exercise is not attempted yet and passes, so a
  notebook runs top to bottom before anyone has tried it;
- a right answer: the check prints ``Exercise NN.k: correct.``;
- a wrong answer: it raises ``AssertionError`` saying what was expected, what came back and a hint.

Every check returns ``None``, so nothing such as ``True`` is displayed under the cell. The worked
solutions (``notebooks/solutions/``) call the same checks with real answers, and CI runs them.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
import torch

NOT_ATTEMPTED = "Not attempted yet: replace None with your answer and run the cell again."
NOT_WRITTEN = "Not attempted yet: write the body of the function (it still returns None) and run the cell again."


def label(notebook: int, number: int) -> str:
    """The name every message starts with, e.g. ``Exercise 06.1``."""
    return f"Exercise {notebook:02d}.{number}"


def exercise(notebook: int, number: int):
    """Make a function ``check(name, answer, ...)`` the check of Exercise ``notebook.number``.

    The learner calls ``check(answer, ...)``: ``name`` (the label every message starts with) is filled
    in, and an ``answer`` of ``None`` gives the not-attempted outcome without running the check.
    """
    name = label(notebook, number)

    def decorate(check):
        @functools.wraps(check)
        def run(answer, *args, **kwargs) -> None:
            if answer is None:
                return not_attempted(name)
            check(name, answer, *args, **kwargs)

        parameters = list(inspect.signature(check).parameters.values())[1:]  # without ``name``
        run.__signature__ = inspect.Signature(parameters, return_annotation=None)
        run.exercise = name
        return run

    return decorate


def not_attempted(name: str, text: str = NOT_ATTEMPTED) -> None:
    print(f"{name}: {text}")


def correct(name: str, detail: str = "") -> None:
    print(f"{name}: correct{f' ({detail})' if detail else ''}.")


def fail(name: str, message: str, hint: str = "") -> None:
    """Raise the AssertionError a learner sees: the exercise, what went wrong, and a hint."""
    raise AssertionError(f"{name}: {message} {hint}".strip())


def to_numpy(value) -> np.ndarray:
    if torch.is_tensor(value):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)


def _show(value: np.ndarray, digits: int = 6) -> str:
    return f"{value.item():.{digits}g}" if value.size == 1 else np.array2string(value, precision=digits - 2)


def show_pair(want: np.ndarray, got: np.ndarray) -> tuple[str, str]:
    """Expected and got as text, with enough digits that two different numbers never print the same."""
    for digits in (6, 10, 14):
        shown = _show(want, digits), _show(got, digits)
        if shown[0] != shown[1]:
            break
    return shown


def tolerance_text(rtol: float, atol: float) -> str:
    """The tolerance of ``np.allclose(got, want, rtol, atol)`` in words (atol <= 1e-6 counts as none)."""
    if rtol == 0:
        return f"absolute error {atol:g}"
    if atol <= 1e-6:
        return f"relative error {rtol:g}"
    return f"absolute error {atol:g} plus relative error {rtol:g}"


def close(
    name: str, answer, expected, *, rtol: float = 1e-3, atol: float = 1e-6, hint: str = "", report: bool = True
) -> None:
    """Compare a numeric answer (a number or an array of numbers) with the expected value.

    ``report=False`` stays silent on success (for checks that go on testing after this comparison).
    """
    if answer is None:
        return not_attempted(name)
    try:
        got = to_numpy(answer)
    except (TypeError, ValueError):
        fail(name, f"expected a number or an array of numbers, got {type(answer).__name__} {answer!r:.60}.", hint)
    want = to_numpy(expected)
    if got.shape != want.shape:
        fail(name, f"expected shape {want.shape}, got {got.shape}.", hint)
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        want_text, got_text = show_pair(want, got)
        fail(name, f"expected {want_text}, got {got_text} (allowed: {tolerance_text(rtol, atol)}).", hint)
    if report:
        correct(name)


def is_close(answer, expected, rtol: float, atol: float) -> bool:
    """Whether a numeric answer matches, without a message either way."""
    try:
        got, want = to_numpy(answer), to_numpy(expected)
    except (TypeError, ValueError):
        return False
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=atol))


def true(name: str, answer, condition, message: str) -> None:
    """For answers judged by a property rather than a value: ``condition(answer)`` must hold."""
    if answer is None:
        return not_attempted(name)
    if not condition(answer):
        fail(name, message)
    correct(name)


def symbolic(name: str, answer, expected, symbols: dict, hint: str, report: bool = True) -> None:
    """Compare a SymPy answer with ``expected`` numerically, so that symbol names and assumptions don't matter.

    ``symbols`` maps each symbol name of ``expected`` to (accepted names, "real" or "positive"). The
    learner's symbols are matched by name (``lam`` and ``lambda`` alike, with or without assumptions)
    and both expressions are evaluated at 6 random points (positive values for the scales).
    ``report=False`` checks silently (for answers made of several expressions).
    """
    import sympy as sp  # here, not at the top: most lessons never need SymPy, and it is large

    if answer is None:
        return not_attempted(name)
    try:
        got = sp.sympify(answer, strict=True)
    except (sp.SympifyError, TypeError):
        got = None
    if not isinstance(got, sp.Expr):
        fail(name, f"expected a SymPy expression, got {type(answer).__name__}.", hint)
    by_name = {alias: key for key, (aliases, _) in symbols.items() for alias in aliases}
    unknown = sorted(str(s) for s in got.free_symbols if str(s) not in by_name)
    if unknown:
        allowed = ", ".join(" or ".join(aliases) for aliases, _ in symbols.values())
        fail(name, f"your expression contains {', '.join(unknown)}; use only the symbols {allowed}.", hint)
    reference = {str(s): s for s in expected.free_symbols}
    rng = np.random.default_rng(0)
    for _ in range(6):
        point = {
            key: rng.uniform(-2.0, 2.0) if kind == "real" else rng.uniform(0.2, 3.0)
            for key, (_, kind) in symbols.items()
        }
        want = complex(expected.subs({reference[k]: v for k, v in point.items() if k in reference}).evalf())
        value = complex(got.subs({s: point[by_name[str(s)]] for s in got.free_symbols}).evalf())
        if not np.isclose(value, want, rtol=1e-9, atol=1e-12):
            at = ", ".join(f"{k} = {v:.3f}" for k, v in point.items())
            imaginary = "" if abs(value.imag) < 1e-12 else f" + {value.imag:.3g}i"
            fail(
                name,
                f"at {at} the expected value is {want.real:.6g}, your expression gives {value.real:.6g}{imaginary}.",
                hint,
            )
    if report:
        correct(name)


def pair(answer, name: str, what: str) -> np.ndarray:
    """``answer`` as an array of two numbers, or a failure that says two were expected."""
    try:
        got = to_numpy(answer)
    except (TypeError, ValueError):
        got = np.zeros(0)
    if got.shape != (2,):
        fail(name, f"expected two numbers [{what}], got {answer!r:.80}.")
    return got


def swapped_hint(answer, expected, hint: str, first: str, second: str, rtol: float = 1e-3) -> str:
    """``hint``, prefixed by a note when the two numbers of ``answer`` are ``expected`` in reverse order."""
    if isinstance(answer, (list, tuple, np.ndarray, torch.Tensor)):
        got, want = to_numpy(answer), to_numpy(expected)
        if (
            got.shape == want.shape == (2,)
            and np.allclose(got, want[::-1], rtol=rtol)
            and not np.allclose(got, want, rtol=rtol)
        ):
            return f"The two values look swapped: first {first}, then {second}. {hint}"
    return hint


def diagnose(got, variants: dict[str, object], rtol: float = 1e-5, atol: float = 1e-5) -> str:
    """The first named mistake whose result matches ``got``, or "" when none does.

    ``variants`` maps a sentence naming a mistake ("the KL term has the wrong sign") to what a function
    with exactly that mistake returns on the same input: the check runs the learner's code once and
    can then say precisely what is wrong, not only that the number is off.
    """
    got = to_numpy(got)
    for mistake, value in variants.items():
        value = to_numpy(value)
        if value.shape == got.shape and np.allclose(got, value, rtol=rtol, atol=atol):
            return mistake
    return ""


def call_learner(name: str, function, *args):
    """Run the learner's function; a crash becomes a check message naming the exercise and the error."""
    if not callable(function):
        fail(name, f"expected a function, got {type(function).__name__}.")
    try:
        return function(*args)
    except Exception as error:  # the learner's code: any error is worth a clear message
        fail(name, f"your function raised {type(error).__name__}: {error}")
