"""The course website (tools/build_site.py), built once per session and read in headless Chromium.

The site is served from a temporary folder by the standard library's http.server on localhost; every
request to another host is blocked and counted, so these checks also prove that the site works
offline. For every page: it loads (HTTP 200) with no console error and no failed request, loads
nothing from another site, and MathJax typeset every formula without an error. For every notebook
page: its figures (as many images as the notebook has PNG outputs, all decoded), a link that
launches it on Binder and a link to the notebook file on GitHub. For every link on every page that
points into the site: the target file exists, and so does the anchor in it.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import browser_harness as harness
import pytest

GITHUB = "https://github.com/vae-course/vae-course/blob/main/"
BINDER = "https://mybinder.org/v2/gh/vae-course/vae-course/HEAD?urlpath=lab/tree/"
NOTEBOOK_PAGES = [
    p.relative_to(harness.ROOT).with_suffix(".html").as_posix()
    for p in harness.lessons() + harness.appendices() + harness.solutions()
]
OTHER_PAGES = ["index.html", "notebooks/solutions/index.html", "search.html", "genindex.html"]
PAGES = OTHER_PAGES + NOTEBOOK_PAGES

JS_PAGE = r"""async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await Promise.all([...document.images].map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  const article = document.querySelector('article.bd-article') || document.body;
  const mathNodes = [...article.querySelectorAll('.math')];
  return {
    mathNodes: mathNodes.length,
    mathTypeset: mathNodes.filter(e => e.querySelector('mjx-container')).length,
    mathErrors: [...document.querySelectorAll('mjx-merror, merror')]
        .map(e => e.getAttribute('data-mjx-error') || e.textContent).slice(0, 3),
    rawDollars: [...article.querySelectorAll('p, li, td, th')].filter(e => {
        const text = e.cloneNode(true);
        text.querySelectorAll('code, pre, .math, mjx-container').forEach(c => c.remove());
        return /\$[^$\s][^$]*\$/.test(text.textContent); }).map(e => e.textContent.slice(0, 120)),
    texErrorText: /Undefined control sequence|Missing (open|close) brace|Math input error/.test(article.textContent),
    outputImages: [...article.querySelectorAll('.cell_output img')].map(i => i.complete && i.naturalWidth > 0),
    articleImages: [...article.querySelectorAll('img')].map(i => i.getAttribute('src')),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  };
}"""


def png_outputs(notebook: Path) -> int:
    """How many PNG figures the page must show: the notebook's outputs with an image/png."""
    cells = json.loads(notebook.read_text())["cells"]
    return sum(
        "image/png" in output.get("data", {}) and harness.WIDGET_MIME not in output.get("data", {})
        for cell in cells
        for output in cell.get("outputs", [])
    )


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)


_ids_cache: dict[Path, set[str]] = {}


def anchors_of(page: Path) -> set[str]:
    if page not in _ids_cache:
        parser = _Ids()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        _ids_cache[page] = parser.ids
    return _ids_cache[page]


@pytest.fixture(scope="module", params=PAGES)
def visited(request, site_url, built_site, chromium):
    """One page opened in a fresh browser context, with what it loaded and what it shows."""
    page_path = request.param
    seen = {"console_errors": [], "failed": [], "external": [], "statuses": {}}
    context = chromium.new_context(viewport={"width": 1280, "height": 900})

    def route(route_):
        url = route_.request.url
        if url.startswith(site_url) or url.startswith("data:"):
            route_.continue_()
        else:  # the site must work offline: nothing may come from elsewhere
            seen["external"].append(url)
            route_.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on(
        "console",
        lambda m: (
            seen["console_errors"].append(f"{m.text} ({m.location.get('url', '')})") if m.type == "error" else None
        ),
    )
    page.on("requestfailed", lambda r: seen["failed"].append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: seen["statuses"].__setitem__(r.url, r.status))
    try:
        response = page.goto(f"{site_url}/{page_path}", wait_until="load", timeout=60_000)
        seen["status"] = response.status if response else None
        seen.update(page.evaluate(JS_PAGE))
        page.wait_for_timeout(300)  # late console messages
        yield {"path": page_path, "url": f"{site_url}/{page_path}", **seen}
    finally:
        context.close()


def test_every_built_page_is_checked(built_site):
    built = {p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html")}
    built = {p for p in built if not p.startswith("_static/")}  # the theme's template snippets
    assert built == set(PAGES), (
        f"pages not checked here: {sorted(built - set(PAGES))}; missing: {sorted(set(PAGES) - built)}"
    )


def test_page_loads(visited):
    assert visited["status"] == 200
    bad = {url: status for url, status in visited["statuses"].items() if status >= 400}
    assert not bad, f"responses with errors: {bad}"
    assert not visited["failed"], f"failed requests: {visited['failed']}"
    assert not visited["console_errors"], f"console errors: {visited['console_errors']}"


def test_page_loads_nothing_from_other_sites(visited):
    assert not visited["external"], f"requests to other sites (they fail offline): {visited['external']}"


def test_math_typeset_without_errors(visited):
    assert not visited["rawDollars"], f"$...$ left as text: {visited['rawDollars'][:3]}"
    if not visited["mathNodes"]:
        pytest.skip("no formula on this page")
    assert visited["mathTypeset"] == visited["mathNodes"], (
        f"{visited['mathNodes'] - visited['mathTypeset']} of {visited['mathNodes']} formulas not typeset by MathJax"
    )
    assert not visited["mathErrors"], f"MathJax errors: {visited['mathErrors']}"
    assert not visited["texErrorText"], "TeX error text in the page"


def test_internal_links_resolve(visited, site_url, built_site):
    broken = []
    for link in sorted(set(visited["links"])):
        if not link.startswith(site_url):
            continue
        parts = urlsplit(link)
        target = built_site / unquote(parts.path).lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{link}: no such file")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in anchors_of(target):
            broken.append(f"{link}: no anchor #{parts.fragment} in {target.relative_to(built_site)}")
    assert not broken, f"{len(broken)} broken links: {broken[:10]}"


def _notebook_page(visited) -> Path:
    return harness.ROOT / Path(visited["path"]).with_suffix(".ipynb")


@pytest.mark.parametrize("visited", NOTEBOOK_PAGES, indirect=True)
def test_notebook_page_has_its_figures(visited):
    notebook = _notebook_page(visited)
    shown, expected = visited["outputImages"], png_outputs(notebook)
    assert len(shown) == expected, f"{len(shown)} output images in the page, {expected} PNG outputs in {notebook.name}"
    assert all(shown), f"{shown.count(False)} of {len(shown)} images not decoded"
    others = [src for src in visited["articleImages"] if not re.match(r"^(\.\./)*_images/", src or "")]
    assert not others, f"images in the page that are not notebook outputs: {others}"


@pytest.mark.parametrize("visited", NOTEBOOK_PAGES, indirect=True)
def test_notebook_page_links_to_binder_and_github(visited):
    notebook = _notebook_page(visited)
    relative = notebook.relative_to(harness.ROOT).as_posix()
    assert BINDER + relative in visited["links"], f"no link that launches {relative} on Binder"
    assert GITHUB + relative in visited["links"], f"no link to {relative} on GitHub"
