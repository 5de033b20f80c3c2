"""Is this the course's environment? Pins from environment.yml against what is installed.

Standard library only: ``tools/course.py`` loads this file before anything else is installed, to
translate the conda pins of environment.yml (the single source of truth) into pip requirements.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

ENVIRONMENT_FILE = Path(__file__).resolve().parent.parent / "environment.yml"
CONDA_TO_PIP = {"pytorch-cpu": "torch", "matplotlib-base": "matplotlib"}
NOT_PIP = {"python", "pip"}  # provided by any virtual environment
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
