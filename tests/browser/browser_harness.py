"""What the browser tests share: JupyterLab started as the course starts it, the checks run in the page,
and the memory of the server and its kernels read from /proc.

The fixtures that use these live in conftest.py; this module has no pytest in it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
BINDER = ROOT / "binder"
CHROMIUM = os.environ.get("VAELIB_CHROMIUM", "/usr/bin/chromium")  # Debian's; another path for another build
# As root (CI, containers) Chromium needs --no-sandbox; the others keep it off the closed network.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# Settings a learner would not change, set so that a check leaves no trace and is not interrupted:
# no autosave (the notebook on disk must stay as committed), no "Jupyter news?" pop-up, and every
# cell kept in the page (no virtual scrolling) so that checks and screenshots see the whole notebook.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def lessons() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def appendices() -> list[Path]:
    return sorted(NOTEBOOKS.glob("appendix-*.ipynb"))


def solutions() -> list[Path]:
    return sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]-solutions.ipynb"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- JupyterLab


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def binder_settings(prefix: Path) -> tuple[dict[str, str], list[str], list[str]]:
    """Install binder/'s memory settings into ``prefix`` with binder/apply_settings.py (as postBuild
    does on Binder); return the environment and arguments that make a JupyterLab read them there, and
    the command to start it through (binder/start: one thread for PyTorch and BLAS, as on Binder)."""
    subprocess.run(
        [sys.executable, str(BINDER / "apply_settings.py"), "--prefix", str(prefix)],
        check=True,
        capture_output=True,
        text=True,
    )
    existing = os.environ.get("JUPYTER_CONFIG_PATH")
    config_path = str(prefix / "etc" / "jupyter") + (os.pathsep + existing if existing else "")
    return (
        {"JUPYTER_CONFIG_PATH": config_path},
        [f"--LabApp.app_settings_dir={prefix / 'share' / 'jupyter' / 'lab' / 'settings'}"],
        ["bash", str(BINDER / "start")],
    )


class Lab:
    """JupyterLab in its own process group, started as the README says, stopped by stop().

    ``python3 tools/course.py lab`` plus a private port, a random token and a throw-away settings
    folder (``workdir``); ``env`` and ``extra_args`` add to that (the Binder settings).
    """

    def __init__(
        self,
        workdir: Path,
        env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
        settings: dict | None = None,
        wrapper: list[str] | None = None,
    ):
        self.root_dir = NOTEBOOKS  # the course's lab serves notebooks/: paths are relative to it
        self.port = free_port()
        self.token = secrets.token_hex(16)
        settings_dir = workdir / "settings"
        for plugin, values in (settings or LAB_SETTINGS).items():
            path = settings_dir / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        args = [
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}",
            f"--LabApp.user_settings_dir={settings_dir}",
            f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to read the notebook model
            *(extra_args or []),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--allow-root")  # CI runs as root; JupyterLab refuses that otherwise
        self.command = [*(wrapper or []), sys.executable, str(ROOT / "tools" / "course.py"), "lab", *args]
        self.log_path = workdir / "jupyterlab.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 (open for the server's lifetime; closed by stop())
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # course.py starts jupyter as a child: stop the whole group
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, method: str = "GET", timeout: float = 5):
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else {}

    def wait_ready(self, seconds: float = 180) -> float:
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("/api/status")
                return time.monotonic() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.5)
        raise TimeoutError(f"JupyterLab did not answer on {self.url} within {seconds:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def sessions(self) -> list[dict]:
        return self.api("/api/sessions")

    def shutdown_session(self, path: str) -> None:
        """Shut down the kernel of the notebook at ``path`` (relative to the lab's root), if any."""
        for session in self.sessions():
            if session.get("path") == path:
                self.api(f"/api/sessions/{session['id']}", method="DELETE", timeout=30)

    def stop(self) -> None:
        """Shut down (kernels too) through the API, then make sure the whole process group is gone."""
        if self.process.poll() is None:
            try:
                self.api("/api/shutdown", method="POST")
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

    # ---- memory, from /proc

    def server_pid(self) -> int | None:
        """The Jupyter server: course.py's child (``python -m jupyter lab`` turns into jupyter-lab)."""
        children = [pid for pid in child_pids(self.process.pid) if "lab" in " ".join(cmdline(pid))]
        return children[0] if children else None


def _proc_stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, command name) of a process, None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name_end = stat.rindex(")")
    return int(stat[name_end + 2 :].split()[1]), stat[stat.index("(") + 1 : name_end]


def child_pids(parent: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat and stat[0] == parent:
                children.append(int(entry))
    return sorted(children)


def rss_mib(pid: int) -> float | None:
    """Resident memory (VmRSS) of one process in MiB, None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return 0.0


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def total_rss_mib(lab: Lab) -> float:
    """The server's RSS plus that of all its descendants, in MiB (cheap: /proc only)."""
    server = lab.server_pid()
    if server is None:
        return 0.0
    total, todo = 0.0, [server]
    while todo:
        pid = todo.pop()
        total += rss_mib(pid) or 0.0
        todo.extend(child_pids(pid))
    return total


def memory_snapshot(lab: Lab) -> dict:
    """RSS of the Jupyter server and of each of its child processes (the kernels), in MiB.

    Kernels are named by the notebook they run (from /api/sessions, matched on the kernel id in the
    kernel's command line); a kernel with no session is named by its id.
    """
    server = lab.server_pid()
    if server is None:
        raise RuntimeError("the Jupyter server process is gone")
    try:
        by_kernel = {s["kernel"]["id"]: s["path"] for s in lab.sessions() if s.get("kernel")}
    except Exception:
        by_kernel = {}
    kernels = {}
    for pid in child_pids(server):
        rss = rss_mib(pid)
        if rss is None:
            continue
        for descendant in child_pids(pid):  # a kernel's own children count as the kernel's
            rss += rss_mib(descendant) or 0.0
        line = " ".join(cmdline(pid))
        match = re.search(r"kernel-([0-9a-f-]{36})\.json", line)
        name = by_kernel.get(match.group(1), f"kernel {match.group(1)[:8]}") if match else f"pid {pid}"
        kernels[Path(name).name if name.endswith(".ipynb") else name] = rss
    server_rss = rss_mib(server) or 0.0
    return {"server": server_rss, "kernels": kernels, "total": server_rss + sum(kernels.values())}


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


# --------------------------------------------------------------------------- in JupyterLab's page

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
  return {cells, kernel: kernel ? kernel.status : 'none', path: panel.context.path,
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
    mathErrors: [...nb.querySelectorAll('.jp-MarkdownOutput mjx-merror')]
        .map(e => e.getAttribute('data-mjx-error') || e.textContent).slice(0, 3),
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

JS_NOTEBOOK_READY = """(path) => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.content.model || !w.sessionContext || !w.sessionContext.isReady) return false;
  if (path && w.context.path !== path) return false;
  const s = w.sessionContext.session;
  return !!(s && s.kernel && s.kernel.status === 'idle');
}"""


def open_notebook(page, lab: Lab, relative: str, timeout: float = 120) -> None:
    """Open /lab/tree/<relative> in a fresh workspace and wait until its kernel is idle."""
    page.goto(f"{lab.url}/lab/tree/{relative}?reset&token={lab.token}", timeout=60_000)
    page.wait_for_function(JS_NOTEBOOK_READY, arg=relative, timeout=timeout * 1000)


def run_all_cells(page) -> None:
    """Run -> Run All Cells, as a learner would click it."""
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Run", exact=True).click(timeout=15_000)
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).first.click(timeout=15_000)


def wait_until_done(page, limit: float) -> dict:
    """Wait until no cell is queued or running and the kernel has been idle for a moment."""
    page.wait_for_function(
        """() => { const p = window.jupyterapp.shell.currentWidget.node
                       .querySelectorAll('.jp-CodeCell .jp-InputPrompt');
                   return p.length > 0 && [...p].some(e => /\\[\\d+\\]/.test(e.textContent)); }""",
        timeout=60_000,
    )
    stable_since = None
    stop = time.monotonic() + limit
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
                   const done = cells.filter(c => /\\[\\d+\\]/.test(c.querySelector('.jp-InputPrompt').textContent))
                                     .length;
                   const busy = cells.find(c => c.querySelector('.jp-InputPrompt').textContent.includes('*'));
                   if (busy) busy.scrollIntoView();
                   const line = busy ? busy.querySelector('.jp-InputArea-editor').textContent.trim().slice(0, 80)
                                     : '?';
                   return `${done} of ${cells.length} code cells done, running: ${line}`; }"""
    )
    raise TimeoutError(f"the notebook was still running after {limit:.0f} s ({where})")


def wait_for_rendering(page, expect: dict) -> None:
    """MathJax, images and widget views finish after the kernel: give them their moment."""
    page.wait_for_timeout(1000)
    if expect["latex"]:
        with contextlib.suppress(Exception):  # the math check says what is missing
            page.wait_for_function(
                "() => document.querySelectorAll('.jp-MarkdownOutput mjx-container').length > 0", timeout=20_000
            )
    if expect["widgets"]:  # widget views are drawn once their models arrive from the kernel
        try:
            page.wait_for_selector(".jp-OutputArea-output .jupyter-widgets", timeout=20_000)
            page.wait_for_timeout(1000)
        except Exception:
            pass


def move_first_slider(page, shots: Path, stem: str) -> tuple[bool, str]:
    """Press the arrow keys on the first slider; a picture in the notebook must change."""
    slider = page.locator(".widget-slider").first
    handle = slider.locator(".noUi-handle").first
    slider.scroll_into_view_if_needed(timeout=10_000)
    widget_box = page.locator(".jp-OutputArea-output:has(.widget-slider)").first
    widget_box.screenshot(path=str(shots / f"{stem}-widget-before.png"), timeout=15_000)
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
                arg=before,
                timeout=30_000,
            )
        except Exception:
            return False, f"slider {value_before} -> {value_after}, but no picture in the notebook changed"
        page.wait_for_timeout(1000)  # let the kernel finish drawing
        widget_box.screenshot(path=str(shots / f"{stem}-widget-after.png"), timeout=15_000)
        return True, f"slider {value_before} -> {value_after}: a picture changed"
    return False, f"the slider did not move with the arrow keys (value {value_before})"


def screenshot_notebook(page, path: Path, viewport_width: int = 1280) -> None:
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
    page.screenshot(path=str(path), timeout=30_000)
    page.set_viewport_size({"width": viewport_width, "height": 900})
