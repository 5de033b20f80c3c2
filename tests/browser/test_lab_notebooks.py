"""Every lesson and solutions notebook, run in JupyterLab in headless Chromium as a learner runs it.

JupyterLab is started with `python3 tools/course.py lab` (private port, random token, throw-away
settings: no autosave, every cell kept in the page). Each notebook is opened at /lab/tree/<name> and
run with the menu Run -> Run All Cells; then the page must show that

- every code cell ran (execution counts 1..n), with no error output;
- every figure stored in the notebook rendered as a decoded image;
- the LaTeX of the markdown cells was typeset by MathJax, without TeX errors and no $...$ left;
- the ipywidgets (if any) rendered, and moving the first slider redraws a picture (notebook 07);
- the notebook file on disk is unchanged.

With VAELIB_SCREENSHOTS set, a screenshot of each whole notebook goes there (a failure's screenshot
goes there or to a temporary folder). Select
notebooks by id: `pytest tests/browser/test_lab_notebooks.py -k 07-latent-space`.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import browser_harness as harness
import pytest

RUN_LIMIT = 300  # seconds for one notebook's Run All Cells (the longest takes about 35 s)
NOTEBOOKS = harness.lessons() + harness.appendices() + harness.solutions()


def _id(path: Path) -> str:
    return path.relative_to(harness.NOTEBOOKS).as_posix().removesuffix(".ipynb")


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=_id)
def ran(request, lab, chromium, screenshots):
    """Open one notebook, Run All Cells, and wait until it is done; yield what the page shows.

    Afterwards: a screenshot if VAELIB_SCREENSHOTS is set, the page closed without saving, the notebook's
    kernel shut down, and the checkpoint JupyterLab made on opening removed."""
    path = request.param
    relative = path.relative_to(lab.root_dir).as_posix()
    name = _id(path).replace("/", "-")
    checkpoint = lab.root_dir / Path(relative).parent / ".ipynb_checkpoints" / f"{path.stem}-checkpoint.ipynb"
    checkpoint_existed = checkpoint.exists()
    result = {
        "path": path,
        "name": name,
        "expect": harness.expectations(path),
        "sha256": harness.sha256(path),
        "page_errors": [],
    }
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda error: result["page_errors"].append(str(error)[:200]))
    try:
        try:
            harness.open_notebook(page, lab, relative)
            start = time.monotonic()
            harness.run_all_cells(page)
            result["state"] = harness.wait_until_done(page, RUN_LIMIT)
            result["seconds"] = time.monotonic() - start
            harness.wait_for_rendering(page, result["expect"])
            result["seen"] = page.evaluate(harness.JS_RENDERED)
        except Exception:
            page.screenshot(path=str(screenshots / f"{name}-failure.png"))
            raise
        result["page"] = page
        yield result
        if os.environ.get("VAELIB_SCREENSHOTS"):  # a picture of the whole notebook costs seconds: on request
            harness.screenshot_notebook(page, screenshots / f"{name}.png")
    finally:
        context.close()  # closes the notebook without saving
        lab.shutdown_session(relative)
        if not checkpoint_existed and checkpoint.exists():
            checkpoint.unlink()
            with contextlib.suppress(OSError):  # other checkpoints are there
                checkpoint.parent.rmdir()


def test_every_cell_ran(ran):
    counts = [cell["count"] for cell in ran["state"]["cells"]]
    assert len(counts) == ran["expect"]["code_cells"], (
        f"{len(counts)} code cells in the page, {ran['expect']['code_cells']} in the file"
    )
    assert counts == list(range(1, len(counts) + 1)), f"execution counts after Run All Cells: {counts}"


def test_no_error_output(ran):
    errors = [e for cell in ran["state"]["cells"] for e in cell["errors"]]
    assert not errors, f"error outputs: {errors[:3]}"
    assert not ran["seen"]["tracebacks"], f"tracebacks on stderr: {ran['seen']['tracebacks'][:1]}"


def test_figures_rendered(ran):
    seen, expected = ran["seen"], ran["expect"]["images"]
    if not expected and not seen["images"]:
        pytest.skip("the stored notebook has no figure")
    assert seen["imagesDecoded"] >= expected and seen["imagesDecoded"] == seen["images"], (
        f"{seen['imagesDecoded']} PNG images rendered and decoded, of {seen['images']} img elements; "
        f"the stored notebook has {expected}"
    )


def test_math_typeset(ran):
    if not ran["expect"]["latex"]:
        pytest.skip("no $...$ in the markdown")
    seen = ran["seen"]
    assert seen["math"] > 0, "no formula typeset by MathJax"
    assert not seen["mathErrors"], f"TeX errors: {seen['mathErrors']}"
    assert not seen["rawDollars"], f"{seen['rawDollars']} markdown cells with $...$ left as text"


def test_widgets_render(ran):
    seen = ran["seen"]
    if not ran["expect"]["widgets"] and not seen["widgets"]:
        pytest.skip("the notebook uses no ipywidgets")
    assert seen["widgets"] > 0, "no widget view in the page"
    assert not seen["widgetErrors"], f"widget errors: {seen['widgetErrors']}"
    assert all(seen["widgetImages"]), (
        f"{sum(seen['widgetImages'])} of {len(seen['widgetImages'])} widget images decoded"
    )


def test_slider_redraws_the_picture(ran, screenshots):
    if not ran["seen"]["sliders"]:
        pytest.skip("no slider among the widgets")
    moved, detail = harness.move_first_slider(ran["page"], screenshots, ran["name"])
    assert moved, detail


def test_notebook_file_unchanged(ran):
    assert harness.sha256(ran["path"]) == ran["sha256"], f"{ran['path'].name} on disk changed"
