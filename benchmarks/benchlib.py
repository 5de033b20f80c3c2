"""Small helpers shared by the benchmark scripts: machine description, summary statistics, tables.

Standard library only (plus torch, imported lazily for its version), so the tests can import it.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import markers

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def cpu_model(cpuinfo_text: str) -> str:
    """The CPU's name from the text of /proc/cpuinfo (first ``model name`` line), or "unknown"."""
    for line in cpuinfo_text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "model name" and value.strip():
            return value.strip()
    return "unknown"


def read_cpu_model(path: str = "/proc/cpuinfo") -> str:
    """CPU model of this machine; falls back to :func:`platform.processor` off Linux."""
    try:
        return cpu_model(Path(path).read_text())
    except OSError:
        return platform.processor() or "unknown"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as text ("n/a" where unavailable)."""
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except (OSError, AttributeError):
        return "n/a"


def run_conditions(command: str, threads: str) -> list[str]:
    """Markdown bullet lines describing a run: date, command, torch, CPU, threads and machine load."""
    import torch

    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"- date: {now}",
        f"- command: `{command}`",
        f"- torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
        f"Python {platform.python_version()}",
        f"- CPU: {read_cpu_model()} ({os.cpu_count()} logical CPUs)",
        f"- threads: {threads}",
        f"- load average at start (1/5/15 min): {load_average()} "
        "(well above 0 means other processes shared the CPUs: the timings are then pessimistic)",
    ]


def machine_header(title: str, command: str, threads: str) -> list[str]:
    """Markdown lines: a title, then :func:`run_conditions`."""
    return [f"# {title}", "", *run_conditions(command, threads), ""]


def summarize(values: list[float]) -> dict[str, float]:
    """Median, minimum, maximum and quartiles (inclusive method) of a non-empty list of numbers."""
    if not values:
        raise ValueError("summarize needs at least one value")
    ordered = sorted(float(v) for v in values)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {"median": statistics.median(ordered), "min": ordered[0], "max": ordered[-1], "q1": q1, "q3": q3}


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Lines of a markdown table; every row must have as many cells as the header."""
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row {row!r} has {len(row)} cells, the header has {len(header)}")
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def replace_section(text: str, name: str, body: str) -> str:
    """Replace the report section ``name`` (between its markers), or append it: tools/markers.py."""
    return markers.replace_section(text, name, body, append=True)
