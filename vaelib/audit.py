"""Auditing a text's equations: one verdict per equation, decided by a computation or, for notation
only and flagged as such, by reading, shown as one Markdown table (notebook 04's audit of the seed article).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """One equation of a text, the check that decides it, and the corrected form if it fails."""

    label: str  # where the equation is, e.g. "appendix, 1-D result"
    claim: str  # the equation as the text writes it (LaTeX, no $)
    holds: bool  # outcome of the check
    check: str  # what decides, in words (Markdown; LaTeX allowed inside $...$)
    correct: str = ""  # the corrected form (LaTeX, no $) when holds is False
    kind: str = "maths"  # "maths" or "notation": what is wrong when it fails
    by_reading: bool = False  # True: a judgement of notation made by reading, not the outcome of a computation

    def __post_init__(self):
        if not isinstance(self.holds, bool):
            raise TypeError(f"holds must be a bool, got {type(self.holds).__name__}")
        if self.kind not in ("maths", "notation"):
            raise ValueError(f"kind must be 'maths' or 'notation', got {self.kind!r}")
        if self.by_reading and self.kind != "notation":
            raise ValueError(f"{self.label}: only notation can be judged by reading; maths needs a computed check")
        if not self.holds and not self.correct:
            raise ValueError(f"{self.label}: a failed check needs the corrected form")

    @property
    def status(self) -> str:
        if self.holds:
            return "✅ notation fine" if self.by_reading else "✅ verified"
        return "❌ wrong" if self.kind == "maths" else "⚠️ wrong notation"

    @property
    def decided_by(self) -> str:
        return "reading" if self.by_reading else "computation"


def verification_table(verdicts: Sequence[Verdict]) -> str:
    """A Markdown table: one row per verdict (pipes in LaTeX must be written \\mid or \\Vert)."""
    rows = ["| # | where | the text writes | verdict | decided by | correct form | the check or the reason |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for i, v in enumerate(verdicts, start=1):
        if not isinstance(v, Verdict):
            raise TypeError(f"verdicts must be Verdict objects, got {type(v).__name__}")
        cells = [str(i), v.label, f"${v.claim}$", v.status, v.decided_by,
                 f"${v.correct}$" if v.correct else "(as written)", v.check]
        if any("|" in cell for cell in cells):
            raise ValueError(f"row {i}: write | as \\mid or \\Vert, a bare | breaks the Markdown table")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
