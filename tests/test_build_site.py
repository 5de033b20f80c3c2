"""tools/build_site.py without Sphinx: which notebooks become pages, in which order, and where their
links point on the website. (The built site itself is checked in a browser: tests/browser/test_site.py.)"""

import importlib.util
import json
import shutil
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
site = importlib.util.module_from_spec(spec)
spec.loader.exec_module(site)

NOTEBOOKS = PurePosixPath("notebooks")
SOLUTIONS = PurePosixPath("notebooks/solutions")


def test_links_between_notebooks_stay_notebook_links():
    assert site.site_link("01-autoencoders.ipynb", NOTEBOOKS) == "01-autoencoders.ipynb"
    assert site.site_link("solutions/00-solutions.ipynb", NOTEBOOKS) == "solutions/00-solutions.ipynb"
    assert site.site_link("../00-start-here.ipynb", SOLUTIONS) == "../00-start-here.ipynb"
    assert site.site_link("notebooks/03-the-elbo.ipynb", PurePosixPath(".")) == "notebooks/03-the-elbo.ipynb"


def test_the_contents_link_goes_to_the_home_page():
    assert site.site_link("../README.md#the-notebooks", NOTEBOOKS) == "../index.md#the-notebooks"
    assert site.site_link("../../README.md#the-notebooks", SOLUTIONS) == "../../index.md#the-notebooks"


def test_the_solutions_folder_is_its_page():
    assert site.site_link("solutions/", NOTEBOOKS) == "solutions/index.md"
    assert site.site_link("notebooks/solutions/", PurePosixPath(".")) == "notebooks/solutions/index.md"


def test_other_repository_files_go_to_github_and_urls_stay():
    github = "https://github.com/vae-course/vae-course"
    assert site.site_link("../models/README.md", NOTEBOOKS) == f"{github}/blob/main/models/README.md"
    assert site.site_link("../data/mnist/", NOTEBOOKS) == f"{github}/tree/main/data/mnist"
    for kept in ("https://arxiv.org/abs/1312.6114", "#summary", "mailto:a@b.c"):
        assert site.site_link(kept, NOTEBOOKS) == kept
    assert site.site_link("no-such-file.ipynb", NOTEBOOKS) == "no-such-file.ipynb"  # Sphinx -W reports it


def test_the_binder_badge_becomes_text_links():
    binder = "https://mybinder.org/v2/gh/vae-course/vae-course/HEAD?urlpath=lab/tree/notebooks/03-the-elbo.ipynb"
    badge = f"[![Launch on Binder](https://mybinder.org/badge_logo.svg)]({binder})"
    text = f"{badge} &nbsp; [Contents](../README.md#the-notebooks)"
    assert site.rewrite_markdown(text, NOTEBOOKS, github_file="notebooks/03-the-elbo.ipynb") == (
        f"[Launch on Binder]({binder}) · [Notebook on GitHub](https://github.com/vae-course/vae-course/blob/main/"
        "notebooks/03-the-elbo.ipynb) &nbsp; [Contents](../index.md#the-notebooks)"
    )


@pytest.fixture
def course_with_a_new_lesson(tmp_path):
    """A copy of the course's README and notebooks, plus a lesson 99 the README does not list yet."""
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    new = {
        "cells": [{"cell_type": "markdown", "id": "t", "metadata": {}, "source": ["# 99 · A new lesson\n"]}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "notebooks" / "99-a-new-lesson.ipynb").write_text(json.dumps(new))
    (tmp_path / "notebooks" / "solutions" / "99-solutions.ipynb").write_text(
        json.dumps({**new, "cells": [{**new["cells"][0], "source": ["# 99 · Solutions\n"]}]})
    )
    return tmp_path


def test_a_new_lesson_appears_in_order(course_with_a_new_lesson):
    root = course_with_a_new_lesson
    numbers = [p.name[:2] for p in site.lessons(root)]
    assert numbers == sorted(numbers) and numbers[-1] == "99" and len(numbers) == len(site.lessons(ROOT)) + 1
    index = site.index_page(root)
    toctree = index[index.index(":caption: Lessons") :]
    toctree = toctree[: toctree.index("```")]
    entries = [line for line in toctree.splitlines() if line.startswith("notebooks/")]
    assert entries[-1] == "notebooks/99-a-new-lesson" and entries == sorted(entries)
    assert "| 99 | [A new lesson](notebooks/99-a-new-lesson.ipynb) |" in index  # a row, though the README has none
    assert "[99 · Solutions](99-solutions.ipynb)" in site.solutions_page(root)


def test_the_home_page_is_made_from_the_readme():
    index = site.index_page()
    readme = site.readme_parts((ROOT / "README.md").read_text())
    assert index.splitlines()[0] == f"# {readme['title']}"
    assert "## The notebooks" in index
    for lesson in site.lessons():
        assert f"(notebooks/{lesson.name})" in index
    assert "{{" not in index


def test_stage_copies_outputs_untouched(tmp_path):
    lesson = site.lessons()[0]
    site.stage_notebook(lesson, tmp_path / lesson.name)
    before, after = json.loads(lesson.read_text()), json.loads((tmp_path / lesson.name).read_text())
    assert [c.get("outputs") for c in before["cells"]] == [c.get("outputs") for c in after["cells"]]
    assert before["metadata"] == after["metadata"]
    assert "README.md" not in json.dumps(after["cells"])


def test_external_assets_are_found(tmp_path):
    (tmp_path / "a.html").write_text(
        '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="_static/a.css">'
        '<a href="https://example.org/">a link is fine</a>'
    )
    (tmp_path / "b.css").write_text("@import url('https://fonts.example/css');")
    (tmp_path / "c.html").write_text('<img src="_images/x.png"><link rel="stylesheet" href="_static/ok.css">')
    assert site.external_assets(tmp_path) == {
        "a.html": ["https://cdn.example/x.js"],
        "b.css": ["https://fonts.example/css"],
    }


def test_the_publishing_workflow_builds_with_the_documented_command_and_publishes_that_folder():
    """.github/workflows/pages.yml cannot run here; what can be checked: it parses, it builds with the same
    command as the README and CI, and it publishes the folder that command writes."""
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = [step["run"] for step in build["steps"] if "run" in step]
    assert runs == ["python3 tools/course.py site"]
    upload = next(step for step in build["steps"] if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert ROOT / upload["with"]["path"] == site.DEFAULT_OUT
    assert deploy["needs"] == "build" and any(
        s.get("uses", "").startswith("actions/deploy-pages") for s in deploy["steps"]
    )
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    python = next(step for step in build["steps"] if step.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"  # the version environment.yml pins
    assert "python3 tools/course.py site" in (ROOT / "README.md").read_text()
