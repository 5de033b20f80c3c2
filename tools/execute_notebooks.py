#!/usr/bin/env python3
"""Re-execute notebooks in place, each top to bottom in a fresh kernel, to refresh stored outputs.

    python tools/execute_notebooks.py                      # every notebook (and solutions/)
    python tools/execute_notebooks.py notebooks/03-*.ipynb # only these

Run it after changing a notebook or vaelib, then commit the notebooks: strict nbval compares the
outputs stored here with a fresh run. Lesson claims about their own run (``vaelib.claims.expect``) are
strict here, as in the tests: the stored run must satisfy every one. Prints each notebook's wall time and records it (rounded up to
5 s) in the notebook's metadata; a full run (no arguments) then refreshes the navigation
(tools/build_navigation.py), which a partial run asks you to do.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_navigation

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in place (working directory: its folder); return seconds taken."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
    )
    start = time.perf_counter()
    # the stored run must satisfy every claim a lesson makes about it (vaelib.claims.expect raises)
    client.execute(env={**os.environ, "VAELIB_STRICT_CLAIMS": "1", "PYTHONHASHSEED": "0"})
    seconds = time.perf_counter() - start
    # rounded up to 5 s so that re-running does not churn the README's contents table
    notebook.metadata.setdefault("course", {})["run_seconds"] = int(5 * -(-seconds // 5))
    nbformat.write(notebook, path)
    return seconds


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted(ROOT.glob("notebooks/**/*.ipynb"))
    paths = [p for p in paths if ".ipynb_checkpoints" not in p.parts]
    for path in paths:
        seconds = execute(path)
        print(f"{seconds:7.1f} s  {path}", flush=True)
    if not argv:  # a full refresh also refreshes the navigation (run times feed the README)
        for name in build_navigation.build():
            print(f"navigation updated: {name}")
    else:
        print("then run: python tools/build_navigation.py  (run times feed the README's contents)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
