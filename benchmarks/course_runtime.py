#!/usr/bin/env python3
"""Wall time and peak memory of every notebook of the course, each executed headless in a fresh kernel.

    .venv/bin/python benchmarks/course_runtime.py              # both modes, writes the results table
    .venv/bin/python benchmarks/course_runtime.py --binder     # only the Binder-like mode
    .venv/bin/python benchmarks/course_runtime.py --only 00    # a quick look at matching notebooks (not written)

Every notebook in notebooks/ and notebooks/solutions/ is executed top to bottom with nbclient in a
fresh kernel, working directory = its folder, as ``tools/execute_notebooks.py`` does; the executed
copy stays in memory (nothing is written back). Two modes:

- ``local``: this machine's defaults (torch uses every core);
- ``binder``: the kernel gets ``OMP_NUM_THREADS=1``, ``MKL_NUM_THREADS=1``,
  ``ATEN_CPU_CAPABILITY=avx2`` and binder/start's malloc settings: one thread and no AVX-512 kernels, like Binder's older shared CPUs.

Wall time runs from kernel start to kernel shutdown (what "Restart kernel and run all" costs).
Peak memory is the largest sum of the resident set sizes (RSS) of the kernel and its child
processes, sampled every 0.1 s with psutil, together with the exact peak RSS (VmHWM) of the largest
single process. Results go to benchmarks/results/course_runtime.md, one section per mode.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

ROOT = Path(__file__).resolve().parent.parent
MODES = {
    "local": {},
    "binder": {
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "ATEN_CPU_CAPABILITY": "avx2",
        "MALLOC_MMAP_THRESHOLD_": "131072",
        "MALLOC_TRIM_THRESHOLD_": "0",
    },  # as binder/start sets them
}
MODE_TITLES = {
    "local": "this machine's defaults (torch uses every core)",
    "binder": "Binder-like: OMP_NUM_THREADS=1, MKL_NUM_THREADS=1, ATEN_CPU_CAPABILITY=avx2, glibc's malloc settings of binder/start",
}
# targets of issue 7: (total seconds or None, seconds per notebook, MB per notebook)
TARGETS = {"local": (300.0, 90.0, 1024.0), "binder": (None, 180.0, 600.0)}


def find_notebooks(root: Path = ROOT) -> list[Path]:
    """The lessons (notebooks/*.ipynb) then the solutions (notebooks/solutions/*.ipynb), sorted."""
    lessons = sorted((root / "notebooks").glob("*.ipynb"))
    solutions = sorted((root / "notebooks" / "solutions").glob("*.ipynb"))
    return lessons + solutions


def select_notebooks(paths: list[Path], patterns: list[str] | None, root: Path = ROOT) -> list[Path]:
    """Keep the paths whose path relative to ``root`` contains a pattern or matches it as a glob.

    No patterns keeps everything. ``"00"`` keeps notebooks/00-start-here.ipynb and
    notebooks/solutions/00-solutions.ipynb; ``"solutions/*"`` keeps every solution.
    """
    if not patterns:
        return list(paths)
    kept = []
    for path in paths:
        rel = path.relative_to(root).as_posix() if path.is_absolute() else path.as_posix()
        if any(p in rel or fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, f"*{p}") for p in patterns):
            kept.append(path)
    return kept


def read_vm_hwm_kib(pid: int) -> int | None:
    """Peak resident set size (VmHWM, KiB) of a live process from /proc, or None if unavailable."""
    try:
        return parse_vm_hwm_kib(Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return None


def parse_vm_hwm_kib(status_text: str) -> int | None:
    """The ``VmHWM:`` value in KiB from the text of /proc/<pid>/status, or None if absent."""
    for line in status_text.splitlines():
        if line.startswith("VmHWM:"):
            fields = line.split()
            if len(fields) >= 2 and fields[1].isdigit():
                return int(fields[1])
    return None


class TreeMemorySampler(threading.Thread):
    """Sample the RSS of all descendants of this process every ``interval`` seconds, keeping the peak."""

    def __init__(self, interval: float = 0.1):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_tree_bytes = 0
        self.peak_process_kib = 0  # largest VmHWM seen of any single descendant
        self._stop_event = threading.Event()

    def sample(self) -> None:
        total = 0
        for child in psutil.Process().children(recursive=True):
            try:
                total += child.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            hwm = read_vm_hwm_kib(child.pid)
            if hwm is not None:
                self.peak_process_kib = max(self.peak_process_kib, hwm)
        self.peak_tree_bytes = max(self.peak_tree_bytes, total)

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


@dataclass(frozen=True)
class NotebookRun:
    notebook: str  # path relative to the repository root
    seconds: float
    peak_tree_mb: float
    peak_process_mb: float
    error: str | None  # None when every cell ran


def run_notebook(path: Path, env_overrides: dict[str, str], timeout: int = 600, interval: float = 0.1) -> NotebookRun:
    """Execute an in-memory copy of one notebook in a fresh kernel; measure wall time and peak memory."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
    )
    env = {**os.environ, **env_overrides}
    sampler = TreeMemorySampler(interval)
    error = None
    sampler.start()
    start = time.perf_counter()
    try:
        client.execute(env=env)
    except (CellExecutionError, CellTimeoutError, RuntimeError) as exc:
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:120] if str(exc).strip() else ''}"
    seconds = time.perf_counter() - start
    sampler.stop()
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    return NotebookRun(
        rel, seconds, sampler.peak_tree_bytes / 1e6, sampler.peak_process_kib * 1024 / 1e6, error
    )  # MB = 10^6 bytes


def section(mode: str, runs: list[NotebookRun], command: str) -> str:
    """The markdown section of one mode: conditions, the table, the total and the targets."""
    threads = "torch's default (all cores)" if mode == "local" else "1"
    lines = [f"## Mode `{mode}`: {MODE_TITLES[mode]}", "", *benchlib.run_conditions(command, threads), ""]
    rows = [
        [f"`{r.notebook}`", f"{r.seconds:.1f}", f"{r.peak_tree_mb:.0f}", f"{r.peak_process_mb:.0f}", r.error or "ok"]
        for r in runs
    ]
    total = sum(r.seconds for r in runs)
    rows.append(["**total**", f"**{total:.1f}**", "", "", ""])
    lines += benchlib.markdown_table(
        ["notebook", "seconds", "peak MB (kernel tree RSS)", "peak MB (largest process, VmHWM)", "status"], rows
    )
    total_limit, seconds_limit, mb_limit = TARGETS[mode]
    slowest = max(runs, key=lambda r: r.seconds)
    biggest = max(runs, key=lambda r: max(r.peak_tree_mb, r.peak_process_mb))
    biggest_mb = max(biggest.peak_tree_mb, biggest.peak_process_mb)
    verdict = lambda ok: "met" if ok else "NOT met"
    lines += ["", "Targets (issue 7):", ""]
    if total_limit is not None:
        lines.append(f"- whole course under {total_limit:.0f} s: {total:.1f} s, {verdict(total < total_limit)}")
    lines.append(
        f"- no notebook above {seconds_limit:.0f} s: slowest `{slowest.notebook}` {slowest.seconds:.1f} s, "
        f"{verdict(slowest.seconds < seconds_limit)}"
    )
    lines.append(
        f"- no notebook above {mb_limit:.0f} MB: largest `{biggest.notebook}` {biggest_mb:.0f} MB, "
        f"{verdict(biggest_mb < mb_limit)}"
    )
    failed = [r.notebook for r in runs if r.error]
    if failed:
        lines.append(f"- notebooks that raised an error (their time is up to the error): {', '.join(failed)}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binder", action="store_true", help="only the Binder-like mode")
    parser.add_argument("--local", action="store_true", help="only this machine's default mode")
    parser.add_argument("--only", nargs="+", metavar="PATTERN", help="only notebooks whose path contains PATTERN")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell before giving up")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results file (default benchmarks/results/course_runtime.md; runs with --only "
        "are not written unless --out is given)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    modes = [m for m, flag in (("local", args.local), ("binder", args.binder)) if flag] or list(MODES)
    paths = select_notebooks(find_notebooks(), args.only)
    if not paths:
        parser.error(f"no notebook matches {args.only}")
    command = " ".join(["python benchmarks/course_runtime.py", *(sys.argv[1:] if argv is None else argv)])
    out = args.out
    if out is None and not args.only:
        out = benchlib.RESULTS_DIR / "course_runtime.md"
    failures = 0
    for mode in modes:
        runs = []
        for path in paths:
            run = run_notebook(path, MODES[mode], timeout=args.timeout)
            runs.append(run)
            failures += run.error is not None
            print(
                f"[{mode}] {run.seconds:7.1f} s  {run.peak_tree_mb:6.0f} MB  {run.notebook}"
                + (f"  {run.error}" if run.error else ""),
                flush=True,
            )
        text = section(mode, runs, command)
        print(text)
        if out is not None and not args.no_write:
            out.parent.mkdir(parents=True, exist_ok=True)
            old = out.read_text() if out.exists() else "# Course run time and peak memory\n"
            out.write_text(benchlib.replace_section(old, f"mode-{mode}", text))
            print(f"written: {out} (section {mode})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
