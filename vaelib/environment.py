"""Is this the course's environment? Pins from environment.yml against what is installed.

Standard library only: ``tools/course.py`` loads this file before anything else is installed, to
translate the conda pins of environment.yml (the single source of truth) into pip requirements, and
to write the record of which PyTorch build it installed (``INSTALL_RECORD`` in the virtual
environment). ``torch_build_problems`` checks that record against the PyTorch actually imported.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path

ENVIRONMENT_FILE = Path(__file__).resolve().parent.parent / "environment.yml"
CONDA_TO_PIP = {"pytorch-cpu": "torch", "matplotlib-base": "matplotlib"}
NOT_PIP = {"python", "pip"}  # provided by any virtual environment
INSTALL_RECORD = "course-installed.json"  # written by tools/course.py into the root of .venv
# Printed by the interpreter in .venv after the install: what the record says about torch.
TORCH_BUILD_PROBE = (
    "import json, torch; print(json.dumps({'version': torch.__version__, "
    "'cuda': torch.version.cuda, 'hip': getattr(torch.version, 'hip', None)}))"
)
_DEPENDENCY = re.compile(r"\s*-\s*([A-Za-z0-9_.\-]+)(?:=([^=\s#]+))?\s*(?:#.*)?")


def pinned_requirements(environment_file: Path = ENVIRONMENT_FILE) -> list[str]:
    """pip requirement strings (``name==version``) for every conda dependency of environment.yml."""
    requirements = []
    in_dependencies = False
    for line in Path(environment_file).read_text().splitlines():
        if not line.startswith(" "):
            in_dependencies = line.startswith("dependencies:")
            continue
        match = _DEPENDENCY.fullmatch(line)
        if not in_dependencies or not match or match.group(1) in NOT_PIP:
            continue
        name, version = match.groups()
        if version is None:
            raise SystemExit(f"environment.yml: {name} is not pinned; pin every package (name=version)")
        requirements.append(f"{CONDA_TO_PIP.get(name, name)}=={version}")
    return requirements


def compare_with_pins(environment_file: Path = ENVIRONMENT_FILE) -> list[tuple[str, str, str]]:
    """(package, pinned version, installed version or 'missing') for every pin."""
    rows = []
    for requirement in pinned_requirements(environment_file):
        name, pinned = requirement.split("==")
        try:
            installed = importlib.metadata.version(name).split("+")[0]
        except importlib.metadata.PackageNotFoundError:
            installed = "missing"
        rows.append((name, pinned, installed))
    return rows


def is_cpu_only(cuda: str | None, hip: str | None) -> bool:
    """A PyTorch build with neither CUDA nor ROCm compiled in."""
    return cuda is None and hip is None


def torch_build_problems(prefix: Path, version: str, cuda: str | None, hip: str | None = None) -> list[str]:
    """What is wrong with the PyTorch build of the environment at ``prefix`` (empty list: nothing).

    What each install route promises: conda and Binder install environment.yml, which pins
    ``pytorch-cpu``, so their torch has no CUDA and no ROCm. ``tools/course.py`` installs the CPU-only
    build where it can reach one and otherwise falls back to the default build (on Linux x86_64 a CUDA
    build: larger, same results on the CPU); it records which in ``INSTALL_RECORD``, and the torch
    in use must be the one recorded. An environment made by neither has no promise to check.
    """
    record_file = Path(prefix) / INSTALL_RECORD
    if record_file.exists():
        try:
            torch_record = json.loads(record_file.read_text())["torch"]
            recorded = (torch_record["version"], torch_record["cuda"], torch_record["hip"], torch_record["cpu_only"])
        except (ValueError, KeyError, TypeError) as exc:
            return [f"{record_file}: unreadable record of the torch build ({exc!r}); run python3 tools/course.py setup"]
        problems = []
        if recorded[:3] != (version, cuda, hip):
            problems.append(
                f"{record_file} records torch {recorded[0]} (cuda={recorded[1]}, hip={recorded[2]}), "
                f"but torch {version} (cuda={cuda}, hip={hip}) is installed"
            )
        if recorded[3] is not is_cpu_only(recorded[1], recorded[2]):
            problems.append(f"{record_file} says cpu_only={recorded[3]} for cuda={recorded[1]}, hip={recorded[2]}")
        return problems
    if (Path(prefix) / "conda-meta").is_dir():
        if is_cpu_only(cuda, hip):
            return []
        return [
            f"conda environment {prefix} has torch {version} with cuda={cuda}, hip={hip}; "
            "environment.yml pins pytorch-cpu (the CPU-only build)"
        ]
    return [
        f"{prefix} was made neither by tools/course.py (no {INSTALL_RECORD}) nor by conda from environment.yml: "
        "nothing says which PyTorch build it should have"
    ]
