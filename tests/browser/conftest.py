"""Fixtures of the browser tests: headless Chromium, one JupyterLab at a time, the built website.

The tools these tests need are Debian's Chromium (/usr/bin/chromium) and the Python package
playwright (requirements-dev.txt); the website tests also need Sphinx and friends (same file) and npm.
Where one is missing the tests are skipped, saying which, except when VAELIB_REQUIRE_BROWSER=1 (CI
sets it): then a missing tool fails them.

The memory walk (tests marked ``memory``, test_memory_walk.py) runs only when selected, with
``-m memory``: it takes minutes and measures more than it checks.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import shutil
import tempfile
import threading
from pathlib import Path

import browser_harness as harness
import pytest

REQUIRE = os.environ.get("VAELIB_REQUIRE_BROWSER") == "1"


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: runs the course in headless Chromium")
    config.addinivalue_line("markers", "memory: the memory walk through every lesson (select with -m memory)")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    selected = "memory" in (config.getoption("markexpr") or "") or os.environ.get("VAELIB_MEMORY_WALK") == "1"
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("memory") and not selected:
            item.add_marker(
                pytest.mark.skip(reason="the memory walk runs only when selected: pytest -m memory tests/browser")
            )


def _missing(reason: str):
    if REQUIRE:
        pytest.fail(f"{reason} (VAELIB_REQUIRE_BROWSER=1: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium (Debian's), driven by Playwright."""
    if not Path(harness.CHROMIUM).exists():
        _missing(f"{harness.CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (.venv/bin/pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=harness.CHROMIUM, headless=True, args=harness.CHROMIUM_FLAGS, timeout=60_000
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where screenshots go: $VAELIB_SCREENSHOTS, or a temporary folder (its path is printed)."""
    folder = (
        Path(os.environ["VAELIB_SCREENSHOTS"])
        if os.environ.get("VAELIB_SCREENSHOTS")
        else tmp_path_factory.mktemp("screenshots")
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class LabManager:
    """Starts JupyterLab the way the course does, one at a time: asking for another kind (with the
    Binder settings or without) or for a fresh one stops the running one first; stop_all() at the end."""

    def __init__(self):
        self.lab: harness.Lab | None = None
        self.kind: str | None = None
        self.workdir: tempfile.TemporaryDirectory | None = None

    def get(self, kind: str = "course", fresh: bool = False, settings: dict | None = None) -> harness.Lab:
        """kind "course": `course.py lab` as the README says; "binder": plus binder/'s memory settings,
        started through binder/start (one thread, as on Binder). ``settings``: JupyterLab user settings
        instead of harness.LAB_SETTINGS."""
        if self.lab is not None and (fresh or kind != self.kind or settings is not None):
            self.stop()
        if self.lab is None:
            self.workdir = tempfile.TemporaryDirectory(prefix="vae-lab-")
            workdir = Path(self.workdir.name)
            env, args, wrapper = harness.binder_settings(workdir / "prefix") if kind == "binder" else ({}, [], [])
            self.lab = harness.Lab(workdir, env=env, extra_args=args, settings=settings, wrapper=wrapper)
            self.kind = kind
            try:
                self.lab.wait_ready()
            except Exception:
                self.stop()
                raise
        return self.lab

    def stop(self) -> None:
        if self.lab is None:
            return
        lab, self.lab, self.kind = self.lab, None, None
        try:
            lab.stop()
            if not lab.stopped():
                raise RuntimeError(f"JupyterLab (process group {lab.process.pid}) is still running")
        finally:
            self.workdir.cleanup()
            self.workdir = None


@pytest.fixture(scope="session")
def lab_manager():
    manager = LabManager()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="module")
def lab(lab_manager, chromium) -> harness.Lab:
    """JupyterLab as `python3 tools/course.py lab` starts it (private port, random token); shared by
    the modules that ask for it, restarted if another kind ran in between (the memory walk)."""
    return lab_manager.get("course")


# --------------------------------------------------------------------------- the website


def _load_build_site():
    spec = importlib.util.spec_from_file_location("build_site", harness.ROOT / "tools" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build_site():
    return _load_build_site()


@pytest.fixture(scope="session")
def built_site(build_site, tmp_path_factory, chromium) -> Path:
    """The website, built once per session into a temporary folder (MathJax cached in build/site-cache)."""
    try:
        build_site.check_python_tools()
    except SystemExit as missing:
        _missing(str(missing))
    if not shutil.which("npm") and not (build_site.DEFAULT_CACHE / "npm" / "node_modules" / "mathjax").exists():
        _missing("npm not found: it installs MathJax for the website (apt-get install npm)")
    out = tmp_path_factory.mktemp("site") / "html"
    build_site.build(out=out, quiet=True)
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site_url(built_site):
    """The built website served on localhost by the standard library's http.server, in a thread."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
