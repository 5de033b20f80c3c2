"""The generated navigation: up to date, idempotent, and every link points at a real file."""

import importlib.util
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("build_navigation", ROOT / "tools" / "build_navigation.py")
nav = importlib.util.module_from_spec(spec)
spec.loader.exec_module(nav)

LESSONS = nav.lessons()
ALL_NOTEBOOKS = LESSONS + sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _markdown(path):
    notebook = nbformat.read(path, as_version=4)
    return [c.source for c in notebook.cells if c.cell_type == "markdown"], notebook


def test_navigation_and_contents_are_up_to_date():
    stale = nav.build(check=True)
    assert not stale, f"run `python tools/build_navigation.py`: out of date: {stale}"


def test_build_is_idempotent(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    nav.build(root=tmp_path)
    assert nav.build(root=tmp_path) == []


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_each_lesson_opens_and_ends_with_the_bar(path):
    cells, notebook = _markdown(path)
    first, last = notebook.cells[0].source, notebook.cells[-1].source
    assert nav.TOP in first and nav.BOTTOM in last
    assert f"urlpath=lab/tree/notebooks/{path.name}" in first  # Binder opens this very notebook
    assert "[Contents](../README.md#the-notebooks)" in first and "[Contents](../README.md#the-notebooks)" in last
    assert re.search(r"^# \d\d · ", cells[1], flags=re.M), "the title comes right after the bar"


def test_bars_chain_the_lessons_in_order():
    for before, after in zip(LESSONS, LESSONS[1:]):
        assert f"]({after.name})" in nbformat.read(before, as_version=4).cells[0].source
        assert f"]({before.name})" in nbformat.read(after, as_version=4).cells[0].source


@pytest.mark.parametrize("path", [*ALL_NOTEBOOKS, ROOT / "README.md"], ids=lambda p: p.name)
def test_relative_links_resolve(path):
    texts = [path.read_text()] if path.suffix == ".md" else _markdown(path)[0]
    for text in texts:
        for target in LINK.findall(text):
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            file_part = unquote(target.split("#")[0])
            assert (path.parent / file_part).exists(), f"{path.name}: broken link {target}"


def test_readme_lists_every_lesson():
    readme = (ROOT / "README.md").read_text()
    for path in LESSONS:
        assert f"(notebooks/{path.name})" in readme


def test_the_readme_lists_every_vaelib_module_and_none_is_longer_than_300_lines():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## The package: `vaelib`") : readme.index("## Results")]
    for path in sorted((ROOT / "vaelib").glob("*.py")):
        if path.stem != "__init__":
            assert f"`{path.stem}`" in table, f"README.md's package table does not list vaelib.{path.stem}"
    for path in sorted((ROOT / "vaelib").rglob("*.py")):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 300, f"{path} is over 300 lines"
