"""The memory walk: a learner goes through every lesson in one JupyterLab with Binder's settings.

mybinder.org gives a session 2 GB of memory; the walk fails if the Jupyter server and its kernels
together ever hold more than 1.8 GB (1843 MiB) of resident memory.

The learner, as simulated here: JupyterLab is started through binder/start (one thread) with the
settings of binder/ (kernels culled after 10 idle minutes, a notebook's kernel shut down when its tab
closes), opens 00-start-here, runs it with Run -> Run All Cells, then clicks the "next" link in the
notebook's last cell. JupyterLab opens the next lesson in a new tab and the previous one stays open,
as it does for every learner; the learner runs the new lesson and only then closes the previous
lesson's tab (discarding its outputs), and so on to the last lesson. So while a lesson runs, the
previous lesson's kernel is still alive: the worst case of the realistic walk (a learner who keeps
the old tab open to look back at it, or who never closes tabs: Binder's culler then shuts that
kernel down 10 minutes after its last run, far sooner than a learner finishes a lesson; the walk
itself is too quick for the culler to act). Resident memory (RSS, from /proc) of the server and of
each kernel is read after each lesson has run, and the total is sampled every 0.25 s throughout.

The same walk runs a second time with JupyterLab's default instead (kernelShutdown false: closing a
tab leaves its kernel running), to show what the setting saves; that walk is a measurement, its
total is reported but not held to the limit. Both write their tables to
benchmarks/results/memory_walk.md. Select with: pytest -m memory tests/browser
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import threading
import time
from importlib import metadata
from pathlib import Path

import browser_harness as harness
import pytest

LIMIT_MIB = 1843  # 1.8 GB of mybinder.org's 2 GB
RUN_LIMIT = 300  # seconds for one lesson's Run All Cells
RESULTS = harness.ROOT / "benchmarks" / "results" / "memory_walk.md"
WALKS = {
    "binder-settings": {
        "kernel_shutdown": True,
        "title": "With the Binder settings (kernel shut down when its tab closes; idle kernels culled after 10 min)",
    },
    "no-kernel-shutdown": {
        "kernel_shutdown": False,
        "title": "JupyterLab's default instead: closing a tab leaves its kernel running (culling as above)",
    },
}


class Sampler(threading.Thread):
    """Reads the server's and its kernels' total RSS every ``interval`` seconds; keeps the largest."""

    def __init__(self, lab: harness.Lab, interval: float = 0.25):
        super().__init__(daemon=True)
        self.lab, self.interval = lab, interval
        self.peak = 0.0
        self.overall = 0.0
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            total = harness.total_rss_mib(self.lab)
            self.peak, self.overall = max(self.peak, total), max(self.overall, total)
            self._stop_event.wait(self.interval)

    def take_peak(self) -> float:
        peak, self.peak = self.peak, 0.0
        return peak

    def stop(self):
        self._stop_event.set()
        self.join(timeout=5)


def _current_id(page) -> str:
    return page.evaluate("() => window.jupyterapp.shell.currentWidget.id")


def follow_next_link(page, next_path: str) -> None:
    """Click the "next" link in the last markdown cell of the open notebook, as a learner does."""
    widget = _current_id(page)
    link = page.locator(f"[id='{widget}'] .jp-MarkdownCell").last.locator("a", has_text="→").last
    link.scroll_into_view_if_needed(timeout=15_000)
    link.click(timeout=15_000)
    page.wait_for_function(harness.JS_NOTEBOOK_READY, arg=next_path, timeout=120_000)


def close_tab(page, widget_id: str) -> None:
    """Close a notebook's tab with its x, and answer "Discard" to "Save your work?" (files stay as they are)."""
    tab = page.locator(f"#jp-main-dock-panel .lm-TabBar-tab[data-id='{widget_id}']")
    tab.hover(timeout=15_000)
    tab.locator(".lm-TabBar-tabCloseIcon").click(timeout=15_000)
    dialog = page.locator(".jp-Dialog")
    try:
        dialog.wait_for(timeout=5_000)
        dialog.get_by_role("button", name="Discard").click(timeout=10_000)
    except Exception:
        pass  # nothing to save: no dialog
    page.wait_for_function(f"() => !document.querySelector(\"[id='{widget_id}']\")", timeout=30_000)


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    memory = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return (
        f"{model}, {os.cpu_count()} cores, {memory / 1024**2:.0f} GiB; Linux {platform.release()}; "
        f"Python {platform.python_version()}, JupyterLab {metadata.version('jupyterlab')}, "
        f"torch {metadata.version('torch')}"
    )


def source_state() -> str:
    """The commit measured, and whether notebooks/ or vaelib/ differed from it."""

    def git(*args):
        return subprocess.run(["git", *args], cwd=harness.ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--", "notebooks", "vaelib").splitlines()
    return f"commit {commit}" + (
        f", with {len(changed)} uncommitted changes in notebooks/ and vaelib/" if changed else ""
    )


def walk(lab: harness.Lab, chromium, shots: Path) -> dict:
    lessons = harness.lessons()
    rows, errors = [], []
    load = os.getloadavg()[0]
    sampler = Sampler(lab)
    sampler.start()
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        harness.open_notebook(page, lab, lessons[0].name)
        previous = None
        for index, lesson in enumerate(lessons):
            current = _current_id(page)
            sampler.take_peak()  # from here on: this lesson's run
            start = time.monotonic()
            harness.run_all_cells(page)
            state = harness.wait_until_done(page, RUN_LIMIT)
            seconds = time.monotonic() - start
            errors += [f"{lesson.name}: {e}" for cell in state["cells"] for e in cell["errors"]]
            snapshot = harness.memory_snapshot(lab)
            rows.append({"notebook": lesson.stem, "seconds": round(seconds), **snapshot, "peak": sampler.take_peak()})
            if previous is not None:  # the learner now closes the previous lesson's tab
                close_tab(page, previous)
                time.sleep(3)  # a kernel shutdown takes a moment
                rows[-1]["after_close"] = harness.memory_snapshot(lab)
            if index + 1 < len(lessons):
                follow_next_link(page, lessons[index + 1].name)
                previous = current
        page.screenshot(path=str(shots / "memory-walk-last.png"))
    except Exception:
        page.screenshot(path=str(shots / "memory-walk-failure.png"))
        raise
    finally:
        context.close()
        sampler.stop()
    return {"rows": rows, "errors": errors, "peak": sampler.overall, "sessions_left": len(lab.sessions()), "load": load}


def table(result: dict) -> list[str]:
    lines = [
        "| after running | run s | server MiB | live kernels, MiB each | total MiB | peak during the run MiB "
        "| total after closing the previous tab MiB |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in result["rows"]:
        kernels = ", ".join(f"{name.removesuffix('.ipynb')} {mib:.0f}" for name, mib in row["kernels"].items())
        after = f"{row['after_close']['total']:.0f}" if "after_close" in row else "-"
        lines.append(
            f"| {row['notebook']} | {row['seconds']} | {row['server']:.0f} | {kernels} | "
            f"{row['total']:.0f} | {row['peak']:.0f} | {after} |"
        )
    return lines


@pytest.fixture(scope="module")
def walk_results(chromium):
    results: dict = {}
    yield results
    if not results:
        return
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Memory walk: every lesson in one JupyterLab, as on Binder",
        "",
        "Measured by `pytest -m memory tests/browser` (tests/browser/test_memory_walk.py, which says how the",
        f"learner is simulated) on {date}.",
        f"Machine: {machine()}; Chromium {chromium.version}.",
        f"Course: {source_state()}.",
        "",
        "Resident memory (RSS from /proc) of the Jupyter server and of each live kernel, in MiB, after each",
        f"lesson ran; the limit is {LIMIT_MIB} MiB (1.8 GB of Binder's 2 GB). The previous lesson's tab is",
        "still open while the next one runs and is closed right after.",
    ]
    for key in WALKS:
        if key not in results:
            continue
        result = results[key]
        verdict = "within" if result["peak"] <= LIMIT_MIB else "OVER"
        lines += [
            "",
            f"## {WALKS[key]['title']}",
            "",
            f"Largest total sampled during the walk: **{result['peak']:.0f} MiB** ({verdict} the "
            f"{LIMIT_MIB} MiB limit); kernels still running at the end: {result['sessions_left']}; "
            f"load average at the start: {result['load']:.1f}.",
            "",
            *table(result),
        ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")


@pytest.mark.memory
@pytest.mark.parametrize("name", list(WALKS))
def test_memory_walk(name, lab_manager, chromium, screenshots, walk_results):
    settings = json.loads(json.dumps(harness.LAB_SETTINGS))
    if not WALKS[name]["kernel_shutdown"]:  # the user's setting wins over binder/overrides.json
        settings["@jupyterlab/notebook-extension/tracker"]["kernelShutdown"] = False
    lab = lab_manager.get("binder", fresh=True, settings=settings)
    try:
        result = walk(lab, chromium, screenshots)
    finally:
        lab_manager.stop()  # one JupyterLab at a time: the next test starts its own
    walk_results[name] = result
    report = "\n".join(table(result))
    print(f"\n{WALKS[name]['title']}\n{report}")
    assert not result["errors"], f"errors while running the lessons: {result['errors'][:3]}"
    if WALKS[name]["kernel_shutdown"]:
        live = [len(row["after_close"]["kernels"]) for row in result["rows"] if "after_close" in row]
        assert all(n <= 1 for n in live), f"kernels still running after closing the previous tab: {live}"
        assert result["peak"] <= LIMIT_MIB, (
            f"the server and its kernels held {result['peak']:.0f} MiB at the most, over the {LIMIT_MIB} MiB "
            f"limit:\n{report}"
        )
