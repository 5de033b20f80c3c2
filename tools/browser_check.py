#!/usr/bin/env python3
"""Open course notebooks in a real browser, run them there and check that they render.

    python3 tools/course.py setup
    apt-get install chromium                  # Debian's Chromium (once)
    .venv/bin/pip install playwright==1.65.2  # drives it (no browser download: Debian's is used)
    .venv/bin/python tools/browser_check.py   # notebooks 00 and 07; or name notebooks to check

What a learner does, done by a script: JupyterLab is started the way the README says
(`python3 tools/course.py lab`, plus a private port, a random token and a throw-away settings
folder), headless Chromium opens each notebook at /lab/tree/<name> and runs it with the menu
Run -> Run All Cells. Then, in the page itself, it checks:

- every code cell ran (execution counts 1..n, kernel idle), with no error output;
- every figure stored in the notebook rendered as an image in the browser;
- the LaTeX of the markdown cells was typeset by MathJax, without TeX errors;
- ipywidgets (if the notebook has any) rendered, and moving the first slider changes a picture;
- the notebook file on disk is unchanged (autosave is off; nothing is saved).

It saves a screenshot of each whole notebook (and of the widget before and after the slider moved)
to --screenshots, prints one PASS/FAIL/SKIP line per check and exits 1 if any check failed.
JupyterLab is always stopped at the end, also after a failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_NOTEBOOKS = ("notebooks/00-start-here.ipynb", "notebooks/07-latent-space.ipynb")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# Settings a learner would not change, set so that the check leaves no trace and is not interrupted:
# no autosave (the notebook on disk must stay as committed), no "Jupyter news?" pop-up, and every
# cell kept in the page (no virtual scrolling) so the screenshot shows the whole notebook.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


class Deadline:
    """The time left for the whole check; every wait takes the smaller of its own limit and this."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def ms(self, limit_seconds: float) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("the whole check ran out of time (raise --timeout)")
        return 1000 * min(limit_seconds, left)


@dataclass
class Report:
    lines: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, status: str, name: str, detail: str) -> None:
        self.lines.append((status, name, detail))
        print(f"{status:4} {name}: {detail}", flush=True)

    def check(self, ok: bool, name: str, detail: str) -> bool:
        self.add("PASS" if ok else "FAIL", name, detail)
        return ok

    @property
    def failed(self) -> bool:
        return any(status == "FAIL" for status, _, _ in self.lines)


# --------------------------------------------------------------------------- JupyterLab server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """JupyterLab in its own process group, started as the README says, stopped in stop()."""

    def __init__(self, root_dir: Path, lab_dir: Path | None, workdir: Path):
        self.root_dir = root_dir
        self.port = free_port()
        self.token = secrets.token_hex(16)
        settings = workdir / "settings"
        for plugin, values in LAB_SETTINGS.items():
            path = settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        extra = [
            "--no-browser", f"--port={self.port}", "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
            f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to read the notebook model
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            extra.append("--allow-root")  # CI containers run as root; JupyterLab refuses that otherwise
        if lab_dir is None:  # the README's way
            command = [sys.executable, str(ROOT / "tools" / "course.py"), "lab", *extra]
        else:  # for checking notebooks outside the course (used to test this script itself)
            command = [sys.executable, "-m", "jupyter", "lab", str(lab_dir), *extra]
        self.log_path = workdir / "jupyterlab.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,  # course.py starts jupyter as a child: stop the whole group
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _api(self, path: str, method: str = "GET", timeout: float = 5) -> dict:
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else {}

    def wait_ready(self, seconds: float) -> float:
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self._api("/api/status")
                return time.monotonic() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.5)
        raise TimeoutError(f"JupyterLab did not answer on {self.url} within {seconds:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Shut down (kernels too) through the API, then make sure the whole process group is gone."""
        if self.process.poll() is None:
            try:
                self._api("/api/shutdown", method="POST")
                self.process.wait(timeout=15)
            except Exception:
                pass
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)  # also stops course.py's child if still there
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        self.log.close()

    def stopped(self) -> bool:
        """True when no process of JupyterLab's process group is left."""
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return True
        return False


# --------------------------------------------------------------------------- expectations from the file


def expectations(path: Path) -> dict:
    """What the stored notebook says the browser must show."""
    notebook = json.loads(path.read_text())
    images = widgets = 0
    has_latex = False
    code_cells = 0
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and re.search(r"\$[^$\s]", source):
            has_latex = True
        if cell["cell_type"] != "code" or not source.strip():
            continue
        code_cells += 1
        if "ipywidgets" in source:
            widgets += 1
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME in data:
                widgets += 1
            elif "image/png" in data:
                images += 1
    return {"images": images, "latex": has_latex, "widgets": widgets > 0, "code_cells": code_cells}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- in the browser

# The open notebook's model, read through window.jupyterapp (what the page holds, not the file).
JS_MODEL = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model) return null;
  const cells = [];
  for (const cell of panel.content.model.cells) {
    const json = cell.toJSON();
    if (json.cell_type !== 'code') continue;
    const src = Array.isArray(json.source) ? json.source.join('') : json.source;
    if (!src.trim()) continue;
    cells.push({count: json.execution_count,
                errors: (json.outputs || []).filter(o => o.output_type === 'error')
                          .map(o => o.ename + ': ' + o.evalue)});
  }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {cells, kernel: kernel ? kernel.status : 'none',
          prompts: [...panel.node.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim())};
}"""

JS_RENDERED = """() => {
  const nb = window.jupyterapp.shell.currentWidget.node;
  const imgs = [...nb.querySelectorAll('.jp-OutputArea .jp-RenderedImage img')];  // figures
  const stderr = [...nb.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')];
  const widgetErrors = [...nb.querySelectorAll('.jp-OutputArea-output')]
      .filter(e => /Error displaying widget|Failed to load model class/.test(e.textContent));
  return {
    images: imgs.length,
    imagesDecoded: imgs.filter(i => i.complete && i.naturalWidth > 0 && i.src.startsWith('data:image/png')).length,
    math: nb.querySelectorAll('.jp-MarkdownOutput mjx-container').length,
    mathErrors: [...nb.querySelectorAll('.jp-MarkdownOutput mjx-merror')].map(e => e.getAttribute('data-mjx-error') || e.textContent).slice(0, 3),
    rawDollars: [...nb.querySelectorAll('.jp-MarkdownOutput')].filter(e => {
        const text = e.cloneNode(true); text.querySelectorAll('code, pre, mjx-container').forEach(c => c.remove());
        return /\\$[^$\\s][^$]*\\$/.test(text.textContent); }).length,  // $...$ left as text
    tracebacks: stderr.filter(e => /Traceback|Error:/.test(e.textContent)).map(e => e.textContent.slice(0, 300)),
    widgets: nb.querySelectorAll('.jp-OutputArea-output .jupyter-widgets').length,
    sliders: nb.querySelectorAll('.widget-slider').length,
    widgetImages: [...nb.querySelectorAll('.jupyter-widgets img')].map(i => i.complete && i.naturalWidth > 0),
    widgetErrors: widgetErrors.map(e => e.textContent.slice(0, 200)),
  };
}"""

JS_IMAGE_SOURCES = """() => [...window.jupyterapp.shell.currentWidget.node
    .querySelectorAll('.jp-OutputArea-output img')].map(i => i.src.length + ':' + i.src.slice(-200))"""


def open_notebook(page, lab: Lab, relative: str, deadline: Deadline) -> None:
    page.goto(f"{lab.url}/lab/tree/{relative}?reset&token={lab.token}", timeout=deadline.ms(60))
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.content"
        " && window.jupyterapp.shell.currentWidget.content.model"
        " && window.jupyterapp.shell.currentWidget.sessionContext.isReady",
        timeout=deadline.ms(90),
    )
    # the kernel has started and is waiting for work
    page.wait_for_function(
        "() => { const s = window.jupyterapp.shell.currentWidget.sessionContext.session;"
        " return s && s.kernel && s.kernel.status === 'idle'; }",
        timeout=deadline.ms(60),
    )


def run_all_cells(page, deadline: Deadline) -> None:
    """Run -> Run All Cells, as a learner would click it."""
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Run", exact=True).click(timeout=deadline.ms(15))
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).first.click(timeout=deadline.ms(15))


def wait_until_done(page, deadline: Deadline, limit: float) -> dict:
    """Wait until no cell is queued or running and the kernel has been idle for a moment."""
    page.wait_for_function(
        """() => { const p = window.jupyterapp.shell.currentWidget.node.querySelectorAll('.jp-CodeCell .jp-InputPrompt');
                   return p.length > 0 && [...p].some(e => /\\[\\d+\\]/.test(e.textContent)); }""",
        timeout=deadline.ms(60),
    )
    stable_since = None
    stop = time.monotonic() + deadline.ms(limit) / 1000
    while time.monotonic() < stop:
        state = page.evaluate(JS_MODEL)
        busy = state["kernel"] != "idle" or any("*" in p for p in state["prompts"])
        if busy:
            stable_since = None
        elif stable_since is None:
            stable_since = time.monotonic()
        elif time.monotonic() - stable_since > 2:
            return state
        page.wait_for_timeout(500)
    where = page.evaluate(
        """() => { const cells = [...window.jupyterapp.shell.currentWidget.node.querySelectorAll('.jp-CodeCell')];
                   const done = cells.filter(c => /\\[\\d+\\]/.test(c.querySelector('.jp-InputPrompt').textContent)).length;
                   const busy = cells.find(c => c.querySelector('.jp-InputPrompt').textContent.includes('*'));
                   if (busy) busy.scrollIntoView();
                   const line = busy ? busy.querySelector('.jp-InputArea-editor').textContent.trim().slice(0, 80) : '?';
                   return `${done} of ${cells.length} code cells done, running: ${line}`; }"""
    )
    raise TimeoutError(f"the notebook was still running after {limit:.0f} s ({where})")


def move_first_slider(page, deadline: Deadline, shots: Path, stem: str) -> tuple[bool, str]:
    """Press the arrow keys on the first slider; a picture in the notebook must change."""
    slider = page.locator(".widget-slider").first
    handle = slider.locator(".noUi-handle").first
    slider.scroll_into_view_if_needed(timeout=deadline.ms(10))
    widget_box = page.locator(".jp-OutputArea-output:has(.widget-slider)").first
    widget_box.screenshot(path=str(shots / f"{stem}-widget-before.png"), timeout=deadline.ms(15))
    before = page.evaluate(JS_IMAGE_SOURCES)
    value_before = handle.get_attribute("aria-valuenow")
    for key in ("ArrowRight", "ArrowLeft"):  # the other way if it already sits at its maximum
        handle.focus()
        for _ in range(10):
            page.keyboard.press(key)
            page.wait_for_timeout(100)
        value_after = handle.get_attribute("aria-valuenow")
        if value_after == value_before and value_before is not None:
            continue  # at the end of its range: nothing to redraw
        try:
            page.wait_for_function(
                f"(before) => JSON.stringify(({JS_IMAGE_SOURCES})()) !== JSON.stringify(before)",
                arg=before, timeout=deadline.ms(30),
            )
        except Exception:
            return False, f"slider {value_before} -> {value_after}, but no picture in the notebook changed"
        page.wait_for_timeout(1000)  # let the kernel finish drawing
        widget_box.screenshot(path=str(shots / f"{stem}-widget-after.png"), timeout=deadline.ms(15))
        return True, f"slider {value_before} -> {value_after}: a picture changed"
    return False, f"the slider did not move with the arrow keys (value {value_before})"


def screenshot_notebook(page, path: Path, deadline: Deadline, viewport_width: int) -> None:
    """Grow the window until the whole notebook fits, then take one picture of it."""
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    page.wait_for_timeout(300)
    js_scroller = """() => { const p = window.jupyterapp.shell.currentWidget;
        return p.node.querySelector('.jp-WindowedPanel-outer') || p.content.node; }"""
    content, visible = page.evaluate(
        f"""() => {{ const s = ({js_scroller})(); const cells = s.querySelectorAll('.jp-Cell');
                   const last = cells[cells.length - 1].getBoundingClientRect().bottom;
                   return [last - s.getBoundingClientRect().top + s.scrollTop, s.clientHeight]; }}"""
    )  # the cells' height, without the blank "scroll past the end" space below them
    height = min(16000, page.viewport_size["height"] + content - visible + 30)
    page.set_viewport_size({"width": viewport_width, "height": int(height)})
    page.wait_for_timeout(1500)
    page.evaluate(f"() => {{ ({js_scroller})().scrollTop = 0; }}")
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), timeout=deadline.ms(30))
    page.set_viewport_size({"width": viewport_width, "height": 900})


def check_notebook(browser, lab: Lab, path: Path, shots: Path, deadline: Deadline, report: Report,
                   run_limit: float) -> None:
    relative = path.resolve().relative_to(lab.root_dir).as_posix()
    name = path.stem[:2] if path.stem[:2].isdigit() and path.parent.resolve() == NOTEBOOKS else path.stem
    expect = expectations(path)
    digest = sha256(path)
    checkpoint = lab.root_dir / Path(relative).parent / ".ipynb_checkpoints" / f"{path.stem}-checkpoint.ipynb"
    checkpoint_existed = checkpoint.exists()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)[:200]))
    try:
        start = time.monotonic()
        open_notebook(page, lab, relative, deadline)
        report.check(True, f"{name} open", f"{relative} opened, kernel idle ({time.monotonic() - start:.0f} s)")

        start = time.monotonic()
        run_all_cells(page, deadline)
        state = wait_until_done(page, deadline, run_limit)
        seconds = time.monotonic() - start
        counts = [cell["count"] for cell in state["cells"]]
        report.check(
            counts == list(range(1, len(counts) + 1)) and len(counts) == expect["code_cells"],
            f"{name} run", f"Run All Cells: {len(counts)} code cells, execution counts "
            f"{counts if len(counts) <= 6 else [*counts[:3], '...', *counts[-2:]]} ({seconds:.0f} s)",
        )
        page.wait_for_timeout(1000)  # MathJax and images finish asynchronously
        try:
            page.wait_for_function(
                "() => document.querySelectorAll('.jp-MarkdownOutput mjx-container').length > 0",
                timeout=deadline.ms(20 if expect["latex"] else 1),
            )
        except Exception:
            pass
        if expect["widgets"]:  # widget views are drawn once their models arrive from the kernel
            try:
                page.wait_for_selector(".jp-OutputArea-output .jupyter-widgets", timeout=deadline.ms(20))
                page.wait_for_timeout(1000)
            except Exception:
                pass
        seen = page.evaluate(JS_RENDERED)
        errors = [e for cell in state["cells"] for e in cell["errors"]]
        report.check(not errors and not seen["tracebacks"], f"{name} errors",
                     "no error outputs" if not errors and not seen["tracebacks"]
                     else f"{errors[:3]} {seen['tracebacks'][:1]}")
        if expect["images"] or seen["images"]:
            report.check(
                seen["imagesDecoded"] >= expect["images"] and seen["imagesDecoded"] == seen["images"],
                f"{name} figures", f"{seen['imagesDecoded']} PNG images rendered and decoded "
                f"(of {seen['images']} img elements; the stored notebook has {expect['images']})",
            )
        else:
            report.add("SKIP", f"{name} figures", "the stored notebook has no figure")
        if expect["latex"]:
            report.check(
                seen["math"] > 0 and not seen["mathErrors"] and not seen["rawDollars"], f"{name} latex",
                f"{seen['math']} formulas typeset by MathJax, TeX errors: {seen['mathErrors'] or 'none'}, "
                f"markdown cells with untypeset $...$: {seen['rawDollars']}",
            )
        else:
            report.add("SKIP", f"{name} latex", "no $...$ in the markdown")
        if expect["widgets"] or seen["widgets"]:
            shown = seen["widgetImages"]
            ok = seen["widgets"] > 0 and not seen["widgetErrors"] and all(shown)
            report.check(ok, f"{name} widgets", f"{seen['widgets']} widget views, {seen['sliders']} sliders, "
                         f"{sum(shown)} of {len(shown)} widget images decoded, "
                         f"widget errors: {seen['widgetErrors'] or 'none'}")
            if seen["sliders"]:
                moved, detail = move_first_slider(page, deadline, shots, name)
                report.check(moved, f"{name} slider", detail)
            else:
                report.add("SKIP", f"{name} slider", "no slider among the widgets")
        else:
            report.add("SKIP", f"{name} widgets", "the notebook uses no ipywidgets")
        screenshot_notebook(page, shots / f"{name}.png", deadline, 1280)
        report.add("INFO", f"{name} screenshot", str(shots / f"{name}.png"))
        if page_errors:
            report.add("INFO", f"{name} page errors", "; ".join(page_errors[:3]))
    except Exception as error:  # a step timed out or the page broke: say which, keep a picture
        report.check(False, f"{name} browser", f"{type(error).__name__}: {str(error).splitlines()[0][:300]}")
        try:
            page.screenshot(path=str(shots / f"{name}-failure.png"))
            report.add("INFO", f"{name} screenshot", str(shots / f"{name}-failure.png"))
        except Exception:
            pass
    finally:
        context.close()  # closes the notebook without saving
        if not checkpoint_existed and checkpoint.exists():  # JupyterLab makes one on opening
            checkpoint.unlink()
            try:
                checkpoint.parent.rmdir()
            except OSError:
                pass
    report.check(sha256(path) == digest, f"{name} file unchanged", f"{relative} on disk is as before")


# --------------------------------------------------------------------------- main


def locate(path: Path, root_dir: Path) -> Path:
    """A notebook named relative to the current folder, the repository or the served folder."""
    for candidate in (path, ROOT / path, root_dir / path):
        if candidate.exists():
            return candidate.resolve()
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help=f"notebooks to check (default: {' '.join(DEFAULT_NOTEBOOKS)})")
    parser.add_argument("--screenshots", type=Path, default=Path("/tmp/browser-check"),
                        help="folder for the screenshots (default: /tmp/browser-check)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds for the whole check (default: 300)")
    parser.add_argument("--run-timeout", type=float, default=200,
                        help="seconds for one notebook's Run All Cells (default: 200)")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"browser executable (default: {CHROMIUM})")
    parser.add_argument("--lab-dir", type=Path,
                        help="serve this folder with `jupyter lab DIR` instead of the README's "
                             "`course.py lab` (to check notebooks outside the course)")
    args = parser.parse_args(argv)
    deadline = Deadline(args.timeout)
    root_dir = (args.lab_dir or NOTEBOOKS).resolve()
    paths = [locate(Path(p), root_dir) for p in (args.notebooks or DEFAULT_NOTEBOOKS)]
    report = Report()
    for p in paths:
        if not p.exists():
            report.check(False, p.name, "no such notebook")
        elif not p.resolve().is_relative_to(root_dir):
            report.check(False, p.name, f"not under the served folder {root_dir}")
    paths = [p for p in paths if p.exists() and p.resolve().is_relative_to(root_dir)]
    if not Path(args.chromium).exists():
        report.check(False, "chromium", f"{args.chromium} not found (apt-get install chromium)")
        return 1
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        report.check(False, "playwright", "not installed (.venv/bin/pip install playwright==1.65.2)")
        return 1
    args.screenshots.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="browser-check-") as workdir:
        lab = Lab(root_dir, args.lab_dir, Path(workdir))
        try:
            seconds = lab.wait_ready(min(120, args.timeout))
            report.check(True, "jupyterlab", f"answering on {lab.url} after {seconds:.0f} s")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium, headless=True,
                                                     args=CHROMIUM_FLAGS, timeout=deadline.ms(60))
                report.add("INFO", "chromium", f"{args.chromium} {browser.version}")
                try:
                    for path in paths:
                        check_notebook(browser, lab, path, args.screenshots, deadline, report, args.run_timeout)
                finally:
                    browser.close()
        except Exception as error:
            report.check(False, "browser check", f"{type(error).__name__}: {error}")
        finally:
            lab.stop()
            stopped = lab.stopped()
            report.check(stopped, "jupyterlab stopped", "server and kernels shut down" if stopped else "still running")
    counts = {s: sum(status == s for status, _, _ in report.lines) for s in ("PASS", "FAIL", "SKIP")}
    print(f"screenshots in {args.screenshots}; {time.monotonic() - started:.0f} s in all")
    print(f"browser-check: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
    return 1 if report.failed else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: stop JupyterLab
    sys.exit(main(sys.argv[1:]))
