#!/usr/bin/env python3
"""Set up the course on a machine that has only Python, then open it, test it or refresh it.

    python3 tools/course.py lab       # make .venv, install the pinned environment, open JupyterLab
    python3 tools/course.py test      # the same set-up, then the whole test suite (unit + strict nbval)
    python3 tools/course.py execute   # re-run every notebook in place in a fresh kernel (contributors)

The pins come from environment.yml, the single source of truth, translated from conda-forge names
to pip names (pytorch-cpu -> torch, matplotlib-base -> matplotlib). Standard library only, so it
runs before anything is installed. A stamp in .venv records what was installed, so a second call
skips straight to the work.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
CONDA_TO_PIP = {"pytorch-cpu": "torch", "matplotlib-base": "matplotlib"}
NOT_PIP = {"python", "pip"}  # provided by the virtual environment itself


def pinned_requirements(environment_file: Path = ROOT / "environment.yml") -> list[str]:
    """pip requirement strings (``name==version``) for every pinned conda dependency."""
    requirements = []
    for line in environment_file.read_text().splitlines():
        match = re.fullmatch(r"\s*-\s*([A-Za-z0-9_.\-]+)(?:=([^=\s#]+))?\s*(?:#.*)?", line)
        if not match or match.group(1) in ("conda-forge", "nodefaults"):
            continue
        name, version = match.groups()
        if name in NOT_PIP:
            continue
        if version is None:
            raise SystemExit(f"environment.yml: {name} is not pinned; pin every package (name=version)")
        requirements.append(f"{CONDA_TO_PIP.get(name, name)}=={version}")
    return requirements


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_environment() -> Path:
    """Create .venv and install the pinned packages and vaelib, unless already done for these pins."""
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    requirements = pinned_requirements()
    stamp = VENV / "course-installed.txt"
    wanted = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    print("Installing the pinned environment (first time only) ...", flush=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *requirements], check=True)
    subprocess.run([*pip, "--no-deps", "--editable", str(ROOT)], check=True)
    stamp.write_text(wanted + "\n")
    return python


def main(argv: list[str]) -> int:
    commands = ("lab", "test", "execute", "setup")
    if len(argv) < 1 or argv[0] not in commands:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    python = ensure_environment()
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if command == "setup":
        return 0
    if command == "lab":
        return subprocess.call([str(python), "-m", "jupyter", "lab", str(ROOT / "notebooks"), *rest], env=env)
    if command == "test":
        return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT, env=env)
    return subprocess.call([str(python), str(ROOT / "tools" / "execute_notebooks.py"), *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
