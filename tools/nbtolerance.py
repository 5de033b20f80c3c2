"""Number-by-number comparison of notebook outputs, for cells whose numbers come from live training.

Strict nbval compares a cell's fresh output with the stored one character by character. That is right
for everything that does not depend on the CPU: derivations, data facts, tables, results of shipped
weights. It is wrong for numbers that come from float32 *training* run in the notebook: AVX2, AVX-512
and ARM kernels round the last bits differently, training amplifies the difference, and a run on
another machine prints 155.3 where the stored run printed 154.9.

Cells tagged ``nbval-tolerance`` are compared here instead. Their text is split into numbers and the
text between them. The text must match exactly (up to runs of spaces, which move with the width of a
number); each number must lie within its own tolerance of the stored number. The tolerances live in
``tests/tolerances.json``, one per printed number, and come from measurement, never from a guess:
``tools/measure_spread.py`` runs each notebook with other seeds and under other numerics settings and
records, for every number, how far it moved (see CONTRIBUTING.md, "Numbers from live training").

Standard library only: ``tests/nbval_settings.py`` (loaded by ``conftest.py``) plugs :func:`reconcile_outputs` into nbval, and the
measuring tool uses the same parser, so both agree on what a number is.
"""

from __future__ import annotations

import configparser
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOLERANCES_FILE = ROOT / "tests" / "tolerances.json"
SANITIZE_FILE = ROOT / "tests" / "sanitize.cfg"  # what nbval masks before comparing (wall-clock times, addresses)
TAG = "nbval-tolerance"
# a decimal number with optional sign, fraction and exponent; "784-400-2" reads as 784, -400, -2 in every
# run alike, which is all the comparison needs
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
TEXT_KEYS = ("text/plain", "text/markdown", "text/latex")


@dataclass(frozen=True)
class Split:
    """A text cut into the numbers it prints and the text around them (spaces collapsed)."""

    skeleton: tuple[str, ...]  # len(numbers) + 1 pieces of text, whitespace removed
    numbers: tuple[str, ...]  # the numbers as printed


def split_numbers(text: str) -> Split:
    """Cut ``text`` into numbers and the text between them, ignoring whitespace (it moves with the width
    of a number: NumPy prints ``[4.03 4.4 ]`` where another run prints ``[4.03 4.38]``)."""
    parts = NUMBER.split(text)
    numbers = tuple(NUMBER.findall(text))
    skeleton = tuple(re.sub(r"\s+", "", part) for part in parts)
    return Split(skeleton=skeleton, numbers=numbers)


def resolution(number: str) -> float:
    """One unit in the last printed place: 0.1 for "154.9", 1 for "55", 1e-3 for "2.5e-03" (its mantissa's unit)."""
    mantissa, _, exponent = number.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def text_outputs(outputs: list[dict]) -> list[str]:
    """The text a cell printed, one string per output: stream text and the text forms of results.

    Streams are merged by name at their first occurrence, as nbval does before comparing: how a
    kernel splits printed text into messages varies from run to run.
    """
    texts, streams = [], {}
    for output in outputs:
        if output.get("output_type") == "stream":
            text = "".join(output.get("text", ""))
            name = output.get("name", "stdout")
            if name in streams:
                texts[streams[name]] += text
            else:
                streams[name] = len(texts)
                texts.append(text)
        elif output.get("output_type") in ("execute_result", "display_data"):
            for key in TEXT_KEYS:
                if key in output.get("data", {}):
                    texts.append(output["data"][key])
    return ["".join(t) if isinstance(t, list) else t for t in texts]


def sanitizer(path: Path = SANITIZE_FILE):
    """The masking of nbval's sanitize file as a function of a text (the same regexes, in order)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    rules = [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]

    def sanitize(text: str) -> str:
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
        return text

    return sanitize


def numbers_of(outputs: list[dict], sanitize=lambda s: s) -> list[str]:
    """Every number a cell printed (after ``sanitize``), in order."""
    return [n for text in text_outputs(outputs) for n in split_numbers(sanitize(text)).numbers]


def compare_texts(test: str, ref: str, tolerances: list[float], offset: int = 0) -> list[str]:
    """Problems found comparing a fresh text with the stored one; empty when they agree.

    ``tolerances[offset + i]`` is the allowed absolute difference of the i-th number of this text.
    """
    a, b = split_numbers(test), split_numbers(ref)
    if a.skeleton != b.skeleton:
        for i, (x, y) in enumerate(zip(a.skeleton, b.skeleton)):
            if x != y:
                return [f"the text around the numbers differs (after number {offset + i}): {x!r} here, {y!r} stored"]
        return [f"this run printed {len(a.numbers)} numbers, the stored run {len(b.numbers)}"]
    problems = []
    for i, (x, y) in enumerate(zip(a.numbers, b.numbers)):
        index = offset + i
        if index >= len(tolerances):
            return [
                f"tests/tolerances.json has {len(tolerances)} tolerances for this cell, it prints more numbers: "
                "re-measure with `python tools/measure_spread.py <notebook>`"
            ]
        allowed = tolerances[index]
        difference = abs(float(x) - float(y))
        if not (difference <= allowed * (1 + 1e-9) or math.isclose(difference, allowed)):
            problems.append(
                f"number {index}: {x} here, {y} stored, differs by {difference:.4g} > tolerance {allowed:g}"
            )
    return problems


def reconcile_outputs(test: list[dict], ref: list[dict], tolerances: list[float], sanitize=lambda s: s):
    """Compare a tolerance cell's fresh outputs with the stored ones, number by number.

    Returns ``(outputs, problems)``. When every text agrees within the tolerances, ``outputs`` is the
    fresh outputs with each text replaced by the stored one, so that nbval's own exact comparison (of
    everything else: output kinds, images skipped, widgets) passes; otherwise the fresh outputs are
    returned unchanged, nbval shows its usual diff, and ``problems`` says which number was out of range.
    """
    if len(test) != len(ref):
        return test, [f"this run produced {len(test)} outputs, the stored run {len(ref)}"]
    replaced, problems, offset = [], [], 0
    for fresh, stored in zip(test, ref):
        fresh_texts, stored_texts = text_outputs([fresh]), text_outputs([stored])
        if len(fresh_texts) != len(stored_texts) or fresh.get("output_type") != stored.get("output_type"):
            return test, [f"output kinds differ: {fresh.get('output_type')} here, {stored.get('output_type')} stored"]
        for x, y in zip(fresh_texts, stored_texts):
            problems += compare_texts(sanitize(x), sanitize(y), tolerances, offset)
            offset += len(split_numbers(sanitize(y)).numbers)
        replaced.append(_with_texts_of(fresh, stored))
    if offset != len(tolerances) and not problems:
        problems.append(
            f"the stored output prints {offset} numbers, tests/tolerances.json has {len(tolerances)} "
            "tolerances: re-measure with `python tools/measure_spread.py <notebook>`"
        )
    return (test if problems else replaced), problems


def _with_texts_of(fresh: dict, stored: dict) -> dict:
    """``fresh`` with its texts taken from ``stored`` (both the same kind of output)."""
    out = type(fresh)(fresh)  # keeps nbformat's NotebookNode (attribute access) when given one
    if fresh.get("output_type") == "stream":
        out["text"] = stored.get("text", "")
    else:
        out["data"] = type(fresh["data"])(fresh.get("data", {}))
        for key in TEXT_KEYS:
            if key in stored.get("data", {}):
                out["data"][key] = stored["data"][key]
    return out


def load_tolerances(path: Path = TOLERANCES_FILE) -> dict:
    """``{notebook path relative to the repository: {cell id: entry}}`` from tests/tolerances.json."""
    return json.loads(Path(path).read_text(encoding="utf-8"))["notebooks"] if Path(path).is_file() else {}


def is_tolerance_cell(cell: dict) -> bool:
    return TAG in cell.get("metadata", {}).get("tags", [])
