#!/usr/bin/env python3
"""Generate the course's navigation: a bar at the top and bottom of every notebook, and the README's
table of contents, all from the notebooks themselves.

    python tools/build_navigation.py          # write the navigation (idempotent)
    python tools/build_navigation.py --check  # exit 1 if anything is out of date (used by the tests)

Each lesson ``notebooks/NN-name.ipynb`` gets a first cell (marker ``<!-- nav:top -->``) with a
Binder launch link for that notebook and a previous / contents / next bar, and a last cell
(``<!-- nav:bottom -->``) with the same bar. Each solutions notebook gets a bar back to its lesson.
The README table between ``<!-- contents:start -->`` and ``<!-- contents:end -->`` lists every lesson
with its title, what it teaches (``metadata.course.summary``) and its run time
(``metadata.course.run_seconds``, recorded by tools/execute_notebooks.py). Only cells and lines that
carry these markers are ever rewritten.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import markers

ROOT = Path(__file__).resolve().parent.parent
GITHUB_REPO = "vae-course/vae-course"  # owner/name on GitHub, for the Binder links
BINDER = "https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/tree/notebooks/{path}"
BADGE = "https://mybinder.org/badge_logo.svg"
TOP, BOTTOM = "<!-- nav:top -->", "<!-- nav:bottom -->"


def appendices(root: Path = ROOT) -> list[Path]:
    """notebooks/appendix-*.ipynb: reference material outside the sequence of lessons."""
    return sorted((root / "notebooks").glob("appendix-*.ipynb"))


def lessons(root: Path = ROOT) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def title_of(notebook: dict) -> str:
    """The text of the first level-1 heading, e.g. '03 · The ELBO'."""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            match = re.search(r"^# (.+)$", _source(cell), flags=re.M)
            if match:
                return match.group(1).strip()
    raise ValueError("notebook has no '# Title' heading")


def summary_of(notebook: dict) -> str:
    """metadata.course.summary, or else the first learning goal."""
    summary = notebook.get("metadata", {}).get("course", {}).get("summary")
    if summary:
        return summary
    for cell in notebook["cells"]:
        match = re.search(r"\*\*Learning goals\*\*\s*\n-\s*(.+)", _source(cell))
        if match:
            return match.group(1).strip()
    return ""


def _short(title: str) -> str:
    return title.replace("·", "-")


def lesson_bar(paths: list[Path], i: int, titles: list[str]) -> str:
    prev = f"[← {_short(titles[i - 1])}]({paths[i - 1].name})" if i > 0 else "← (start)"
    nxt = f"[{_short(titles[i + 1])} →]({paths[i + 1].name})" if i + 1 < len(paths) else "(end) →"
    return f"{prev} | [Contents](../README.md#the-notebooks) | {nxt}"


def _markdown_cell(text: str, cell_id: str):
    cell = nbformat.v4.new_markdown_cell(text)
    cell["id"] = cell_id  # fixed ids keep re-runs byte-identical
    return cell


def _set_nav(notebook: dict, marker: str, text: str, at_top: bool) -> None:
    """Replace the cell carrying ``marker``, or insert one at the top/bottom."""
    cells = notebook["cells"]
    cells[:] = [c for c in cells if marker not in _source(c)]
    cell = _markdown_cell(f"{marker}\n{text}", "nav-top" if at_top else "nav-bottom")
    if at_top:
        cells.insert(0, cell)
    else:
        cells.append(cell)


def _dump(notebook) -> str:
    return nbformat.writes(notebook) + "\n"


def _read(path: Path):
    return nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)


def build(check: bool = False, root: Path = ROOT) -> list[str]:
    """Bring every navigation element up to date; return the files that changed (or would)."""
    changed = []
    paths = lessons(root)
    notebooks = [_read(p) for p in paths]
    titles = [title_of(nb) for nb in notebooks]
    for i, (path, notebook) in enumerate(zip(paths, notebooks)):
        before = path.read_text(encoding="utf-8")
        binder = BINDER.format(repo=GITHUB_REPO, path=path.name)
        bar = lesson_bar(paths, i, titles)
        _set_nav(notebook, TOP, f"[![Launch on Binder]({BADGE})]({binder}) &nbsp; {bar}", at_top=True)
        solutions = root / "notebooks" / "solutions" / f"{path.name[:2]}-solutions.ipynb"
        link = (
            f"Worked solutions: [solutions/{solutions.name}](solutions/{solutions.name}). "
            if solutions.exists()
            else ""
        )
        _set_nav(notebook, BOTTOM, f"---\n{link}\n\n{bar}", at_top=False)
        if _dump(notebook) != before:
            changed.append(str(path.relative_to(root)))
            if not check:
                path.write_text(_dump(notebook), encoding="utf-8")
        if solutions.exists():
            sol_before = solutions.read_text(encoding="utf-8")
            sol = _read(solutions)
            back = f"[← back to {_short(titles[i])}](../{path.name}) | [Contents](../../README.md#the-notebooks)"
            _set_nav(sol, TOP, back, at_top=True)
            if _dump(sol) != sol_before:
                changed.append(str(solutions.relative_to(root)))
                if not check:
                    solutions.write_text(_dump(sol), encoding="utf-8")
    extras = appendices(root)
    extra_notebooks = [_read(p) for p in extras]
    for path, notebook in zip(extras, extra_notebooks, strict=True):
        before = path.read_text(encoding="utf-8")
        binder = BINDER.format(repo=GITHUB_REPO, path=path.name)
        bar = "[Contents](../README.md#the-notebooks)"
        _set_nav(notebook, TOP, f"[![Launch on Binder]({BADGE})]({binder}) &nbsp; Appendix | {bar}", at_top=True)
        _set_nav(notebook, BOTTOM, f"---\n{bar}", at_top=False)
        if _dump(notebook) != before:
            changed.append(str(path.relative_to(root)))
            if not check:
                path.write_text(_dump(notebook), encoding="utf-8")
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    rows = ["| # | Notebook | What you learn | Run time |", "| --- | --- | --- | --- |"]
    for path, notebook, title in zip(paths, notebooks, titles):
        seconds = notebook.get("metadata", {}).get("course", {}).get("run_seconds")
        run = f"~{seconds} s" if seconds is not None else "?"
        name = title.split("·", 1)[-1].strip()
        rows.append(f"| {path.name[:2]} | [{name}](notebooks/{path.name}) | {summary_of(notebook)} | {run} |")
    for path, notebook in zip(extras, extra_notebooks, strict=True):
        seconds = notebook.get("metadata", {}).get("course", {}).get("run_seconds")
        run = f"~{seconds} s" if seconds is not None else "?"
        name = title_of(notebook).split("·", 1)[-1].strip()
        rows.append(f"| appendix | [{name}](notebooks/{path.name}) | {summary_of(notebook)} | {run} |")
    new_text = markers.replace_section(text, "contents", "\n".join(rows))
    if new_text != text:
        changed.append("README.md")
        if not check:
            readme.write_text(new_text, encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    check = "--check" in argv
    changed = build(check=check)
    for name in changed:
        print(("out of date: " if check else "updated: ") + name)
    return 1 if (check and changed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
