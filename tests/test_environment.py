"""The pinned environment, its Binder copy, the set-up tool, the PyTorch build each route promises and what
Binder would build."""

import importlib.metadata
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from vaelib.environment import INSTALL_RECORD, torch_build_problems

ROOT = Path(__file__).resolve().parent.parent


def _course_tool():
    spec = importlib.util.spec_from_file_location("course", ROOT / "tools" / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_binder_environment_is_an_exact_copy():
    assert (ROOT / "binder" / "environment.yml").read_bytes() == (ROOT / "environment.yml").read_bytes()


@pytest.mark.parametrize("environment_file", ["environment.yml", "binder/environment.yml"])
def test_every_conda_dependency_is_pinned_and_torch_is_cpu_only(environment_file):
    """What the conda and Binder routes promise: every package pinned, PyTorch's CPU-only build."""
    lines = [line.strip()[2:] for line in (ROOT / environment_file).read_text().splitlines() if line.startswith("  - ")]
    deps = lines[lines.index("python=3.11") :]
    for dep in deps:
        assert dep == "pip" or re.fullmatch(r"[a-z0-9\-]+=\d[\w.]*", dep), f"not pinned: {dep}"
    names = {d.split("=")[0] for d in deps}
    assert "pytorch-cpu" in names, f"{environment_file}: PyTorch must be the pytorch-cpu package"
    gpu = {
        n
        for n in names
        if n in {"pytorch", "pytorch-gpu", "torchvision"} or n.startswith(("cuda", "pytorch-cuda", "nvidia"))
    }
    assert not gpu, f"{environment_file}: GPU packages {sorted(gpu)}"
    for required in [
        "numpy",
        "scipy",
        "sympy",
        "matplotlib-base",
        "jupyterlab",
        "nbval",
        "ipywidgets",
        "tqdm",
        "safetensors",
    ]:
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


def test_the_installed_torch_is_the_build_its_install_route_promised():
    """conda/Binder: the CPU-only build; tools/course.py's .venv: exactly the build its record names.

    A CUDA build in .venv is not a failure when the set-up recorded it (it falls back to the default
    build where no CPU-only one can be reached: more disk, same results); a record that does not
    match the torch in use is.
    """
    problems = torch_build_problems(Path(sys.prefix), torch.__version__, torch.version.cuda, torch.version.hip)
    assert problems == []


def _record(prefix, version, cuda, hip=None, cpu_only=None):
    cpu_only = (cuda is None and hip is None) if cpu_only is None else cpu_only
    torch_build = {"version": version, "cuda": cuda, "hip": hip, "cpu_only": cpu_only}
    (prefix / INSTALL_RECORD).write_text(json.dumps({"requirements_sha256": "x", "torch": torch_build}))


def test_torch_build_check_holds_a_venv_to_its_record(tmp_path):
    _record(tmp_path, "2.13.0+cpu", None)
    assert torch_build_problems(tmp_path, "2.13.0+cpu", None) == []
    assert torch_build_problems(tmp_path, "2.13.0", "13.0") != []  # CPU recorded, CUDA installed
    _record(tmp_path, "2.13.0", "13.0")
    assert torch_build_problems(tmp_path, "2.13.0", "13.0") == []  # a recorded fallback is kept
    assert torch_build_problems(tmp_path, "2.13.0+cpu", None) != []  # CUDA recorded, CPU installed
    assert torch_build_problems(tmp_path, "2.13.0", "12.8") != []  # another CUDA build
    _record(tmp_path, "2.13.0", "13.0", cpu_only=True)  # a record that contradicts itself
    assert any("cpu_only=True" in p for p in torch_build_problems(tmp_path, "2.13.0", "13.0"))
    (tmp_path / INSTALL_RECORD).write_text("{not json")
    assert any("unreadable" in p for p in torch_build_problems(tmp_path, "2.13.0+cpu", None))


def test_torch_build_check_holds_conda_to_pytorch_cpu_and_knows_no_other_route(tmp_path):
    (tmp_path / "conda-meta").mkdir()
    assert torch_build_problems(tmp_path, "2.13.0", None) == []
    assert any("pytorch-cpu" in p for p in torch_build_problems(tmp_path, "2.13.0", "12.8"))
    assert torch_build_problems(tmp_path, "2.13.0", None, "6.4") != []  # a ROCm build is not CPU-only either
    (tmp_path / "conda-meta").rmdir()
    assert any("neither by tools/course.py" in p for p in torch_build_problems(tmp_path, "2.13.0+cpu", None))


def test_repo2docker_builds_from_binder_environment_and_runs_postbuild():
    result = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
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
