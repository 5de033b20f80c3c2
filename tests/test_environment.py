"""The pinned environment, its Binder copy, the set-up tool and what Binder would build."""

import importlib.metadata
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent


def _course_tool():
    spec = importlib.util.spec_from_file_location("course", ROOT / "tools" / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_binder_environment_is_an_exact_copy():
    assert (ROOT / "binder" / "environment.yml").read_bytes() == (ROOT / "environment.yml").read_bytes()


def test_every_conda_dependency_is_pinned_and_torch_is_cpu_only():
    lines = [l.strip()[2:] for l in (ROOT / "environment.yml").read_text().splitlines() if l.startswith("  - ")]
    deps = lines[lines.index("python=3.11") :]
    for dep in deps:
        assert dep == "pip" or re.fullmatch(r"[a-z0-9\-]+=\d[\w.]*", dep), f"not pinned: {dep}"
    names = {d.split("=")[0] for d in deps}
    assert "pytorch-cpu" in names and not names & {"pytorch", "pytorch-gpu", "cudatoolkit", "torchvision"}
    for required in ["numpy", "scipy", "sympy", "matplotlib-base", "jupyterlab", "nbval", "ipywidgets", "tqdm", "safetensors"]:
        assert required in names


def test_pip_pins_are_translated_from_environment_yml():
    requirements = _course_tool().pinned_requirements()
    assert "torch==2.13.0" in requirements and any(r.startswith("matplotlib==") for r in requirements)
    assert not any(r.startswith(("python", "pip==", "pytorch")) for r in requirements)


def test_unpinned_dependency_is_refused(tmp_path):
    env = tmp_path / "environment.yml"
    env.write_text("dependencies:\n  - python=3.11\n  - numpy\n")
    try:
        _course_tool().pinned_requirements(env)
    except SystemExit as exc:
        assert "numpy is not pinned" in str(exc)
    else:
        raise AssertionError("an unpinned package was accepted")


def test_the_running_environment_has_exactly_the_pinned_versions():
    for requirement in _course_tool().pinned_requirements():
        name, version = requirement.split("==")
        installed = importlib.metadata.version(name)
        assert installed.split("+")[0] == version, f"{name}: installed {installed}, pinned {version}"


def test_torch_is_a_cpu_build():
    assert torch.version.cuda is None


def test_repo2docker_builds_from_binder_environment_and_runs_postbuild():
    result = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    dockerfile = result.stdout + result.stderr
    assert result.returncode == 0, dockerfile[-2000:]
    assert "Building conda environment for python=3.11" in dockerfile
    assert re.search(r'env update -p \$\{NB_PYTHON_PREFIX\} --file "binder/environment.yml"', dockerfile)
    assert "RUN ./binder/postBuild" in dockerfile
    assert 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in dockerfile


def test_binder_scripts_install_without_deps_and_use_one_thread():
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "--no-deps" in post_build and "pip install" in post_build
    start = (ROOT / "binder" / "start").read_text()
    assert "export OMP_NUM_THREADS=1" in start and 'exec "$@"' in start
    for script in ("postBuild", "start"):
        assert (ROOT / "binder" / script).stat().st_mode & 0o111, f"binder/{script} is not executable"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "python3 tools/course.py test" in readme
    assert "python3 tools/course.py test" in (ROOT / ".ci" / "run").read_text()


def test_compare_with_pins_reports_missing_and_different_versions(tmp_path):
    from vaelib.environment import compare_with_pins

    env = tmp_path / "environment.yml"
    env.write_text(
        "name: x\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - pip\n"
        "  - numpy=0.0.1\n  - pytorch-cpu=" + torch.__version__.split("+")[0] + "\n"
        "  - surely-not-a-real-package=1.0\n"
    )
    rows = {name: (pinned, installed) for name, pinned, installed in compare_with_pins(env)}
    assert rows["numpy"][0] == "0.0.1" and rows["numpy"][1] != "0.0.1"
    assert rows["torch"][0] == rows["torch"][1]
    assert rows["surely-not-a-real-package"][1] == "missing"
    assert set(rows) == {"numpy", "torch", "surely-not-a-real-package"}  # channels are not packages
