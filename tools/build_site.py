#!/usr/bin/env python3
"""Build the course website: every lesson and solutions notebook as a page, with its stored outputs.

    python3 tools/course.py setup                    # the course's environment (.venv)
    .venv/bin/pip install -r requirements-dev.txt    # once: Sphinx, MyST-NB, the Sphinx Book Theme
    python3 tools/build_site.py                      # writes build/site/ (open build/site/index.html)
    python3 tools/build_site.py --out DIR            # somewhere else

Nothing is executed: the pages show the outputs stored in the notebooks (CI checks that they are
what the code gives). The pages work offline: MathJax is served from the site itself (the npm
package pinned in site/package.json, installed with npm into build/site-cache/ the first time) and no
page loads a script, stylesheet or font from elsewhere (checked after the build).

How it is put together: site/ holds the Sphinx configuration (conf.py) and the home page's template
(index.md.in). Each build stages, in a temporary folder, that configuration, the home page made from
README.md (its introduction and contents table), and a copy of every notebooks/NN-*.ipynb and
notebooks/solutions/NN-solutions.ipynb (new lessons appear by themselves, in the order of their
numbers). The copies differ from the notebooks in their links only: links to other notebooks stay
(they become links between pages), the "Contents" link to ../README.md#the-notebooks points at the
home page, other links into the repository point at GitHub, and the Binder badge (an image on
another site) becomes a text link. Then `sphinx-build -W` turns warnings into errors (TOLERATED_WARNINGS
lists the exceptions, none today), and the site's "download .ipynb" files are replaced by the
notebooks exactly as they are in the repository.

Standard library only (plus Sphinx and friends, run as `python -m sphinx`, and npm). If Sphinx is not
importable and the course's .venv exists, the script re-runs itself with .venv's Python.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "build" / "site"
DEFAULT_CACHE = ROOT / "build" / "site-cache"
REQUIREMENTS = ROOT / "requirements-dev.txt"
GITHUB_REPO = "vae-course/vae-course"  # owner/name on GitHub (as in tools/build_navigation.py)
BRANCH = "main"
GITHUB = f"https://github.com/{GITHUB_REPO}"
BINDER = f"https://mybinder.org/v2/gh/{GITHUB_REPO}/HEAD?urlpath=lab/tree/{{path}}"
# The Python packages whose pinned versions (requirements-dev.txt) the build checks before it starts.
CHECKED_PINS = ("sphinx", "myst-nb", "myst-parser", "sphinx-book-theme", "pydata-sphinx-theme", "docutils")
# MathJax 3's files that the pages load: the combined TeX/MathML-to-HTML component, the TeX
# extensions it loads on demand, the HTML output with its fonts, and the menu's accessibility parts.
MATHJAX_FILES = ("tex-mml-chtml.js", "input", "output/chtml.js", "output/chtml", "ui", "a11y", "sre")
# Regular expressions of sphinx-build warnings that do not fail the build. None are needed today;
# add one only with a comment saying why the warning is harmless.
TOLERATED_WARNINGS: tuple[str, ...] = ()
BADGE = re.compile(r"\[!\[([^\]]*)\]\((?:https?://[^)\s]+)\)\]\((https?://[^)\s]+)\)")
LINK = re.compile(r"(\]\()([^)\s]+)(\))")


# --------------------------------------------------------------------------- what is in the course


def lessons(root: Path = ROOT) -> list[Path]:
    """notebooks/NN-*.ipynb, in the order of their numbers."""
    return sorted((root / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def appendices(root: Path = ROOT) -> list[Path]:
    """notebooks/appendix-*.ipynb: reference pages outside the sequence of lessons."""
    return sorted((root / "notebooks").glob("appendix-*.ipynb"))


def solutions(root: Path = ROOT) -> list[Path]:
    """notebooks/solutions/NN-solutions.ipynb, in order."""
    return sorted((root / "notebooks" / "solutions").glob("[0-9][0-9]-solutions.ipynb"))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def title_of(path: Path) -> str:
    """The notebook's first '# ' heading ('03 · The ELBO, derived line by line')."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            match = re.search(r"^# (.+)$", _source(cell), flags=re.M)
            if match:
                return match.group(1).strip()
    return path.stem


# --------------------------------------------------------------------------- links


def site_link(target: str, base: PurePosixPath, root: Path = ROOT) -> str:
    """Where a relative link of a file at repository folder ``base`` points on the website.

    A notebook of the course stays a relative .ipynb link (MyST-NB makes it a link between pages);
    README.md becomes the home page; the solutions folder, its index page; anything else in the
    repository, the file or folder on GitHub. Absolute URLs, anchors and mail links are kept.
    """
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("#"):
        return target
    path, hash_, fragment = target.partition("#")
    parts: list[str] = []
    for part in (base / path).parts:
        if part == "..":
            if not parts:
                return target  # above the repository: leave it for Sphinx to report
            parts.pop()
        elif part != ".":
            parts.append(part)
    repo_path = PurePosixPath(*parts) if parts else PurePosixPath(".")
    on_disk = root / repo_path

    def relative(to: str) -> str:
        return os.path.relpath(to, base.as_posix() or ".").replace(os.sep, "/") + hash_ + fragment

    if on_disk.suffix == ".ipynb" and on_disk in {*lessons(root), *appendices(root), *solutions(root)}:
        return relative(repo_path.as_posix())
    if repo_path.as_posix() == "README.md":
        return relative("index.md")
    if repo_path.as_posix() == "notebooks/solutions":
        return relative("notebooks/solutions/index.md")
    if on_disk.exists():
        kind = "tree" if on_disk.is_dir() else "blob"
        return f"{GITHUB}/{kind}/{BRANCH}/{repo_path.as_posix()}" + hash_ + fragment
    return target  # a broken link: Sphinx warns, and -W fails the build


def rewrite_markdown(text: str, base: PurePosixPath, root: Path = ROOT, github_file: str | None = None) -> str:
    """A markdown text with its links pointing where they should on the website (see site_link)."""

    def badge(match: re.Match) -> str:
        link = f"[{match.group(1)}]({match.group(2)})"
        if github_file:  # next to the launch link, the notebook file itself
            link += f" · [Notebook on GitHub]({GITHUB}/blob/{BRANCH}/{github_file})"
        return link

    text = BADGE.sub(badge, text)  # an image on another site would not load offline
    return LINK.sub(lambda m: m.group(1) + site_link(m.group(2), base, root) + m.group(3), text)


def stage_notebook(path: Path, destination: Path, root: Path = ROOT) -> None:
    """Copy a notebook, outputs untouched, with the links of its markdown cells rewritten."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    relative = path.relative_to(root).as_posix()
    base = PurePosixPath(relative).parent
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = rewrite_markdown(_source(cell), base, root, github_file=relative)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- generated pages


def readme_parts(readme: str) -> dict[str, str]:
    """The README's title, its introduction and the body of its section 'The notebooks'."""
    title = re.search(r"^# (.+)$", readme, flags=re.M)
    section = re.search(r"^## The notebooks[ \t]*\n(.*?)(?=^## |\Z)", readme, flags=re.M | re.S)
    if not title or not section:
        raise SystemExit("README.md has no '# title' or no '## The notebooks' section")
    intro = readme[title.end() : section.start()].strip()
    return {"title": title.group(1).strip(), "intro": intro, "contents": section.group(1).strip()}


def contents_with_every_lesson(contents: str, root: Path = ROOT) -> str:
    """The README's contents table, plus a row for any lesson it does not list yet."""
    missing = [p for p in lessons(root) if f"(notebooks/{p.name})" not in contents]
    if not missing:
        return contents
    lines = contents.splitlines()
    last_row = max(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = [f"| {p.name[:2]} | [{title_of(p).split('·', 1)[-1].strip()}](notebooks/{p.name}) | | |" for p in missing]
    return "\n".join(lines[: last_row + 1] + rows + lines[last_row + 1 :])


def toctree(caption: str, entries: list[str], hidden: bool = True) -> str:
    options = (":hidden:\n" if hidden else "") + (f":caption: {caption}\n" if caption else "")
    return "```{toctree}\n" + options + "\n" + "\n".join(entries) + "\n```\n"


def index_page(root: Path = ROOT, template: Path | None = None) -> str:
    parts = readme_parts((root / "README.md").read_text(encoding="utf-8"))
    base = PurePosixPath(".")
    toctrees = toctree("Lessons", [f"notebooks/{p.stem}" for p in lessons(root)])
    if appendices(root):
        toctrees += "\n" + toctree("Appendix", [f"notebooks/{p.stem}" for p in appendices(root)])
    if solutions(root):
        toctrees += "\n" + toctree("", ["notebooks/solutions/index"])  # the page's title is its caption
    text = (template or SITE / "index.md.in").read_text(encoding="utf-8")
    text = re.sub(r"\A<!--.*?-->\s*", "", text, flags=re.S)  # the template's own comment
    values = {
        "title": parts["title"],
        "intro": rewrite_markdown(parts["intro"], base, root),
        "contents": rewrite_markdown(contents_with_every_lesson(parts["contents"], root), base, root),
        "readme_url": f"{GITHUB}/blob/{BRANCH}/README.md",
        "toctrees": toctrees,
    }
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def solutions_page(root: Path = ROOT) -> str:
    rows = ["| # | Worked solutions | Lesson |", "| --- | --- | --- |"]
    lesson_by_number = {p.name[:2]: p for p in lessons(root)}
    for path in solutions(root):
        lesson = lesson_by_number.get(path.name[:2])
        lesson_link = f"[{title_of(lesson)}](../{lesson.name})" if lesson else ""
        rows.append(f"| {path.name[:2]} | [{title_of(path)}]({path.name}) | {lesson_link} |")
    return (
        "# Worked solutions\n\n"
        "Each lesson ends with exercises that check your answer in place. These notebooks fill in the\n"
        "answers and run the same checks: try the exercises first.\n\n"
        + "\n".join(rows)
        + "\n\n"
        + toctree("", [p.stem for p in solutions(root)])
    )


# --------------------------------------------------------------------------- tools


def _requirement_pins(path: Path = REQUIREMENTS) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)==([^\s;#]+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def check_python_tools() -> None:
    pins = _requirement_pins()
    wrong = []
    for name in CHECKED_PINS:
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != pins.get(name):
            wrong.append(f"{name} {installed} (requirements-dev.txt pins {pins.get(name)})")
    if wrong:
        raise SystemExit(
            "build_site: the pinned website tools are missing or differ: "
            + "; ".join(wrong)
            + f"\n  install them: {sys.executable} -m pip install -r {REQUIREMENTS.relative_to(ROOT)}"
        )


def mathjax_version() -> str:
    return json.loads((SITE / "package.json").read_text())["dependencies"]["mathjax"]


def ensure_mathjax(cache: Path) -> Path:
    """The pinned npm package mathjax in ``cache``/npm (installed with npm if missing): its es5 folder."""
    npm_dir = cache / "npm"
    package = npm_dir / "node_modules" / "mathjax"
    wanted = mathjax_version()
    try:
        installed = json.loads((package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        installed = None
    if installed != wanted:
        npm = shutil.which("npm")
        if not npm:
            raise SystemExit("build_site: npm is needed once, to install MathJax (apt-get install npm)")
        npm_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(SITE / "package.json", npm_dir / "package.json")
        print(f"build_site: installing mathjax {wanted} with npm into {npm_dir} (first time only)", flush=True)
        subprocess.run(
            [npm, "install", "--no-package-lock", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=npm_dir,
            check=True,
            stdin=subprocess.DEVNULL,
        )
        installed = json.loads((package / "package.json").read_text())["version"]
        if installed != wanted:
            raise SystemExit(f"build_site: npm installed mathjax {installed}, not the pinned {wanted}")
    return package / "es5"


def copy_mathjax(es5: Path, static: Path) -> None:
    destination = static / "mathjax"
    for name in MATHJAX_FILES:
        source = es5 / name
        if source.is_dir():
            shutil.copytree(source, destination / name)
        else:
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    shutil.copy2(es5.parent / "LICENSE", destination / "LICENSE")


# --------------------------------------------------------------------------- after the build


class _Assets(HTMLParser):
    """The scripts, stylesheets, images, fonts and frames a page loads (not its links to follow)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            rel = (attrs.get("rel") or "").lower().split()
            if {"stylesheet", "preload", "icon", "modulepreload", "manifest"} & set(rel):
                self.urls.append(attrs["href"])
        if tag == "object" and attrs.get("data"):
            self.urls.append(attrs["data"])


def external_assets(html_dir: Path) -> dict[str, list[str]]:
    """For each page, the resources it would load from another site (must be none: offline)."""
    found = {}
    for page in sorted(html_dir.rglob("*.html")):
        parser = _Assets()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        outside = [u for u in parser.urls if re.match(r"^(https?:)?//", u)]
        css = re.findall(r"url\(\s*['\"]?((?:https?:)?//[^'\")]+)", page.read_text(errors="replace"))
        if outside or css:
            found[page.relative_to(html_dir).as_posix()] = outside + css
    for sheet in sorted(html_dir.rglob("*.css")):
        imports = re.findall(
            r"(?:url\(\s*['\"]?|@import\s+['\"])((?:https?:)?//[^'\")]+)", sheet.read_text(errors="replace")
        )
        if imports:
            found[sheet.relative_to(html_dir).as_posix()] = imports
    return found


# --------------------------------------------------------------------------- the build


def stage(staging: Path, cache: Path, root: Path = ROOT) -> dict:
    """Lay out the Sphinx source folder; return what was staged."""
    shutil.copytree(SITE, staging, ignore=shutil.ignore_patterns("index.md.in", "package.json", "__pycache__"))
    (staging / "index.md").write_text(index_page(root), encoding="utf-8")
    staged = {"lessons": [], "solutions": []}
    for path in lessons(root):
        stage_notebook(path, staging / "notebooks" / path.name, root)
        staged["lessons"].append(path.relative_to(root).as_posix())
    for path in appendices(root):
        stage_notebook(path, staging / "notebooks" / path.name, root)
        staged["lessons"].append(path.relative_to(root).as_posix())
    for path in solutions(root):
        stage_notebook(path, staging / "notebooks" / "solutions" / path.name, root)
        staged["solutions"].append(path.relative_to(root).as_posix())
    if staged["solutions"]:
        (staging / "notebooks" / "solutions" / "index.md").write_text(solutions_page(root), encoding="utf-8")
    copy_mathjax(ensure_mathjax(cache), staging / "_static")
    settings = {
        "title": readme_parts((root / "README.md").read_text(encoding="utf-8"))["title"],
        "repo": GITHUB_REPO,
        "branch": BRANCH,
        "binder": BINDER,
        # what a generated page's "show source" button links to
        "sources": {
            "index": f"blob/{BRANCH}/README.md",
            "notebooks/solutions/index": f"tree/{BRANCH}/notebooks/solutions",
        },
    }
    (staging / "site.json").write_text(json.dumps(settings, indent=1), encoding="utf-8")
    return staged


def run_sphinx(staging: Path, html: Path, doctrees: Path) -> list[str]:
    """sphinx-build, warnings as errors except TOLERATED_WARNINGS; return the tolerated ones."""
    warnings_file = doctrees.parent / "warnings.txt"
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-E",
        "-q",
        "--keep-going",
        "-d",
        str(doctrees),
        "-w",
        str(warnings_file),
        str(staging),
        str(html),
    ]
    if not TOLERATED_WARNINGS:
        command.insert(-2, "-W")
    result = subprocess.run(command, cwd=staging, stdin=subprocess.DEVNULL)
    warnings = (
        [w for w in warnings_file.read_text(errors="replace").splitlines() if w.strip()]
        if warnings_file.exists()
        else []
    )
    untolerated = [w for w in warnings if "WARNING" in w or "ERROR" in w]
    untolerated = [w for w in untolerated if not any(re.search(t, w) for t in TOLERATED_WARNINGS)]
    if result.returncode != 0 or untolerated:
        raise SystemExit(
            f"build_site: sphinx-build failed (exit {result.returncode}); warnings:\n" + "\n".join(warnings)
        )
    return warnings


def _safe_to_replace(out: Path) -> bool:
    return not out.exists() or not any(out.iterdir()) or (out / ".buildinfo").exists()


def build(out: Path = DEFAULT_OUT, cache: Path = DEFAULT_CACHE, root: Path = ROOT, quiet: bool = False) -> dict:
    """Build the website into ``out`` (replaced as a whole); return a summary of what was built."""
    out = out.resolve()
    if not _safe_to_replace(out):
        raise SystemExit(f"build_site: {out} is not empty and holds no earlier build (.buildinfo): not replacing it")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vae-site-") as work:
        work = Path(work)
        staging, html = work / "source", work / "html"
        staged = stage(staging, cache, root)
        tolerated = run_sphinx(staging, html, work / "doctrees")
        for relative in staged["lessons"] + staged["solutions"]:  # "download .ipynb": the real file
            shutil.copy2(root / relative, html / "_sources" / relative)
        outside = external_assets(html)
        if outside:
            raise SystemExit(
                "build_site: pages load resources from other sites (they would fail offline):\n"
                + "\n".join(f"  {page}: {urls}" for page, urls in outside.items())
            )
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(html, out)
    summary = {
        "out": str(out),
        "seconds": round(time.monotonic() - started, 1),
        "pages": len(list(out.rglob("*.html"))),
        "tolerated_warnings": tolerated,
        **staged,
    }
    if not quiet:
        print(
            f"build_site: {len(staged['lessons'])} lessons, {len(staged['solutions'])} solutions notebooks, "
            f"{summary['pages']} pages in {summary['seconds']} s -> {out / 'index.html'}"
        )
    return summary


def _reexec_in_venv_if_needed() -> None:
    try:
        import sphinx  # noqa: F401
    except ImportError:
        venv_python = ROOT / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        if venv_python.exists() and Path(sys.executable).resolve() != venv_python.resolve():
            os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: build/site)")
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help="where npm installs MathJax (default: build/site-cache)"
    )
    args = parser.parse_args(argv)
    _reexec_in_venv_if_needed()
    check_python_tools()
    build(args.out, args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
