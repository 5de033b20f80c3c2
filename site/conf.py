"""Sphinx configuration of the course website. Build it with `python3 tools/build_site.py`.

tools/build_site.py copies this folder into a staging folder, next to the generated index page,
the notebooks (with their stored outputs; nothing is executed) and MathJax, and writes site.json
there with the repository's coordinates. This file is not meant for a bare `sphinx-build site/`.
"""

from __future__ import annotations

import json
from pathlib import Path

SETTINGS = json.loads((Path(__file__).parent / "site.json").read_text(encoding="utf-8"))
REPO = SETTINGS["repo"]  # owner/name on GitHub
GITHUB = f"https://github.com/{REPO}"

project = SETTINGS["title"]
author = "the VAE course contributors"
copyright = "the VAE course contributors; code and notebooks under the MIT licence"
html_title = SETTINGS["title"]

extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = ["_build", "_static", "**/.ipynb_checkpoints", "site.json"]

# The notebooks are shown with the outputs stored in them: never executed here.
nb_execution_mode = "off"
nb_merge_streams = True
# Markdown outputs (the verification tables of notebooks 03 and 04) with tables and $...$ maths, as
# JupyterLab shows them; the default, plain CommonMark, has neither.
nb_render_markdown_format = "myst"
# Widget views cannot be drawn without a kernel (the notebooks store no widget state): show their
# text/plain form instead (e.g. "Latent explorer: two sliders and a live view ...") and load no
# widget JavaScript (its default comes from a CDN).
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_ipywidgets_js = {}

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_dmath_double_inline = True  # $$...$$ inside a paragraph is display maths, as in Jupyter
myst_heading_anchors = 3  # "#the-notebooks" and friends, as on GitHub

# MathJax 3 from the site itself (tools/build_site.py copies the npm package into _static/mathjax),
# so that the pages render their formulas without any network.
mathjax_path = "mathjax/tex-mml-chtml.js"
mathjax3_config = {"options": {}}  # myst-parser adds processHtmlClass here

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]  # made by tools/build_site.py: MathJax
html_favicon = "favicon.svg"
html_copy_source = True
html_show_sourcelink = False
html_context = {"default_mode": "auto"}  # light or dark as the reader's system says
html_theme_options = {
    "repository_url": GITHUB,
    "repository_branch": SETTINGS["branch"],
    "path_to_docs": "",
    "use_repository_button": True,
    "use_source_button": True,
    "use_download_button": True,
    "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"},
    "show_toc_level": 2,
    "home_page_in_toc": True,
}


def _walk(buttons):
    for button in buttons:
        yield button
        yield from _walk(button.get("buttons", []))


def _fix_header_buttons(app, pagename, templatename, context, doctree):
    """The page header's links in the form the course uses everywhere else.

    - Binder opens the notebook at HEAD (the URL of the notebooks' own launch badge);
    - "Show source" of a notebook is the notebook on GitHub (rendered, not ?plain=1); of a generated
      page, the file it was made from (README.md, the solutions folder).
    """
    suffix = context.get("page_source_suffix") or ""
    for button in _walk(context.get("header_buttons", [])):
        if button.get("text") == "Binder" and suffix == ".ipynb":
            button["url"] = SETTINGS["binder"].format(path=f"{pagename}.ipynb")
        elif button.get("label") == "source-file-button":
            target = SETTINGS["sources"].get(pagename, f"blob/{SETTINGS['branch']}/{pagename}{suffix}")
            button["url"] = f"{GITHUB}/{target}"
            if suffix == ".ipynb":
                button["text"] = button["tooltip"] = "Notebook on GitHub"


def setup(app):
    app.connect("html-page-context", _fix_header_buttons, priority=900)  # after the theme's (501)
