"""Auditing a text's equations: one verdict per equation, shown as one Markdown table (``vaelib.seed_article``
holds the verdicts on the course's seed article, which the appendix notebook shows).

A verdict about mathematics shows its equation as a ``vaelib.equations`` node, printed from the very
object whose value was checked, so the table cannot show one equation and verify another. A verdict
about notation (a stray parenthesis, ``~`` written where ``=`` belongs) may quote the text verbatim;
when no computation can decide it, it is a judgement made by reading, and the table says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import sympy as sp

from . import chains
from .chains import Line, Model
from .equations import Node


@dataclass(frozen=True)
class Verdict:
    """One equation of a text, the check that decides it, and the corrected form if it fails."""

    label: str  # where the equation is, e.g. "appendix, 1-D result"
    claim: str | Node | Line  # a node for mathematics (printed from what was checked); a verbatim quote for notation
    holds: bool  # outcome of the check
    check: str  # what decides, in words (Markdown; LaTeX allowed inside $...$)
    correct: str | Node | Line = ""  # the corrected form when holds is False
    kind: str = "maths"  # "maths" or "notation": what is wrong when it fails
    by_reading: bool = False  # True: a judgement of notation made by reading, not the outcome of a computation
    notation: chains.Notation = chains.ARTICLE  # how nodes are printed
    reading: str = ""  # set when the checked equation is the course's reading of a line, not the line as printed

    def __post_init__(self):
        if not isinstance(self.holds, bool):
            raise TypeError(f"holds must be a bool, got {type(self.holds).__name__}")
        if self.kind not in ("maths", "notation"):
            raise ValueError(f"kind must be 'maths' or 'notation', got {self.kind!r}")
        if self.by_reading and self.kind != "notation":
            raise ValueError(f"{self.label}: only notation can be judged by reading; maths needs a computed check")
        if self.kind == "maths" and isinstance(self.claim, str):
            raise TypeError(f"{self.label}: a verdict on mathematics shows the checked node, not a typed string")
        if not self.holds and not (self.correct if isinstance(self.correct, str) else True):
            raise ValueError(f"{self.label}: a failed check needs the corrected form")

    @property
    def status(self) -> str:
        if self.holds:
            return "✅ notation fine" if self.by_reading else "✅ verified"
        return "❌ wrong" if self.kind == "maths" else "⚠️ wrong notation"

    @property
    def decided_by(self) -> str:
        return "reading" if self.by_reading else "computation"

    def shown(self, item) -> str:
        return item if isinstance(item, str) else chains.latex(item, self.notation)


def verification_table(verdicts: Sequence[Verdict], numbers: Sequence[int] | None = None) -> str:
    """A Markdown table: one row per verdict (pipes in LaTeX must be written \\mid or \\Vert). ``numbers``
    gives the rows their numbers in a longer table (default 1, 2, ...)."""
    rows = [
        "| # | where | equation | verdict | decided by | correct form | the check or the reason |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    numbers = range(1, len(verdicts) + 1) if numbers is None else numbers
    if len(numbers) != len(verdicts):
        raise ValueError(f"{len(numbers)} row numbers for {len(verdicts)} verdicts")
    for i, v in zip(numbers, verdicts, strict=True):
        if not isinstance(v, Verdict):
            raise TypeError(f"verdicts must be Verdict objects, got {type(v).__name__}")
        unchanged = f"(the course's reading of {v.reading})" if v.reading else "(as written)"
        correct = f"${v.shown(v.correct)}$" if (v.correct if isinstance(v.correct, str) else True) else unchanged
        cells = [str(i), v.label, f"${v.shown(v.claim)}$", v.status, v.decided_by, correct, v.check]
        if any("|" in cell for cell in cells):
            raise ValueError(f"row {i}: write | as \\mid or \\Vert, a bare | breaks the Markdown table")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


SIM_RULE = r"$\sim$ relates a random variable to its distribution; a density is equal to a formula"
DIAG_READING = (
    r"$(i)$ indexes the data point $x^{(i)}$; a vector $\sigma^{2(i)}$ times $I$ is read as "
    r"$\operatorname{diag}(\sigma^{2(i)})$, the usual shorthand for a diagonal covariance (Kingma & Welling "
    r"write $\sigma^{2(i)} I$ too)"
)


def printed(text: str) -> str:
    """A line as printed, with | written \\mid and || written \\Vert so that a Markdown table can hold it."""
    return text.replace("||", r" \Vert ").replace("|", r" \mid ")


def parentheses_balance(text: str) -> bool:
    return text.count("(") == text.count(")")


def counted(text: str) -> str:
    """The parentheses of a line as printed, in words."""
    return f"the line as printed has {text.count('(')} '(' and {text.count(')')} ')'"


def nonnegative_kl_shape() -> bool:
    """u - 1 - log u >= 0 with equality only at u = 1, which makes a Gaussian KL >= 0 (notebook 03)."""
    u = sp.Symbol("u", positive=True)
    f = u - 1 - sp.log(u)
    return sp.solve(sp.diff(f, u), u) == [1] and f.subs(u, 1) == 0 and bool(sp.diff(f, u, 2).is_positive)


def chain_verdicts(
    label: str, lines: Sequence, model: Model, notation: chains.Notation, note: str = ""
) -> list[Verdict]:
    """One verdict per line after the first: the line minus the line above, simplified by SymPy."""
    residuals = chains.residuals(lines, model)
    line_of = [item if isinstance(item, Line) else Line(item) for item in lines]
    # a failed step is corrected by the line above, which it should equal
    return [
        Verdict(
            f"{label}, line {k}",
            replace(line_of[k], continued=line_of[k].lead is None),
            residuals[k] == 0,
            f"minus the line above: ${sp.latex(residuals[k])}${note}",
            notation=notation,
            correct="" if residuals[k] == 0 else replace(line_of[k - 1], continued=True, lead=None, tag=""),
        )
        for k in range(1, len(lines))
    ]
