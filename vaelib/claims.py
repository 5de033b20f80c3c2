"""Claims a lesson makes about its own run, checked without stopping a learner who changed the run.

A notebook states two kinds of facts. Some must hold on every run: a bound, an identity, a KL that
is never negative. Those stay plain ``assert`` statements. Others describe what *this* run of the
lesson showed: "more than half of the grid lies in gaps", "the autoencoder never draws a 1". They are
true of the stored run, and usually of a run on another machine, but a learner who changes a seed, the
number of epochs or the learning rate may well see something else, and that is not an error.

:func:`expect` checks such a claim. In a learner's session it prints one short line when the claim
does not hold (what the lesson expected, what this run gave, what that means) and lets the notebook
go on. Under the test suite, which sets ``VAELIB_STRICT_CLAIMS=1`` (``tests/conftest.py``, and
``tools/execute_notebooks.py`` when it records the stored outputs), it raises ``AssertionError``
instead, so the committed run and every CI run must satisfy every claim.
"""

from __future__ import annotations

import os

STRICT_ENV = "VAELIB_STRICT_CLAIMS"  # "1": a claim that fails raises (tests, recording stored outputs)
LOG_ENV = "VAELIB_CLAIMS_LOG"  # a file: failed claims are appended there instead of printed (tools/measure_spread.py)


class ClaimError(AssertionError):
    """A claim about the stored run did not hold while the test suite was checking it."""


def strict() -> bool:
    """True when failed claims must raise (the test suite and the recording of stored outputs)."""
    return os.environ.get(STRICT_ENV, "") == "1"


def expect(holds, expected: str, got: str, why: str) -> None:
    """Check a claim that the lesson's own run supports but another seed or setting may not.

    Args:
        holds: the outcome of the check (anything ``bool()`` accepts, e.g. a 0-d tensor).
        expected: the claim as the lesson makes it, e.g. ``"more than half of the grid in gaps"``.
        got: what this run gave, e.g. ``f"{fraction:.0%}"``.
        why: one sentence for the learner: why a different result is possible and what it means.
    Returns nothing (a cell that ends with the check shows no ``True``/``False``); when the claim
    does not hold it prints one line, or raises :class:`ClaimError` when strict.
    """
    for name, text in (("expected", expected), ("got", got), ("why", why)):
        if not isinstance(text, str) or not text.strip():
            raise TypeError(f"{name} must be a non-empty string describing the claim, got {text!r}")
    if bool(holds):
        return
    line = f"Not as in the stored run: expected {expected}, got {got}. {why}"
    log = os.environ.get(LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(line.replace("\n", " ") + "\n")
    if strict():
        raise ClaimError(line)
    if not log:  # logged runs (measuring the spread across seeds) keep the printed output unchanged
        print(line)
