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
import importlib.util
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def _environment_module():
    """vaelib/environment.py, loaded by path: it is standard-library only, vaelib is not installed yet."""
    spec = importlib.util.spec_from_file_location("vaelib_environment", ROOT / "vaelib" / "environment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pinned_requirements(environment_file: Path = ROOT / "environment.yml") -> list[str]:
    """pip requirement strings (``name==version``) for every pinned conda dependency."""
    return _environment_module().pinned_requirements(environment_file)


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
        if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in rest:
            rest.append("--allow-root")  # containers and CI run as root; JupyterLab refuses without it
        return subprocess.call([str(python), "-m", "jupyter", "lab", str(ROOT / "notebooks"), *rest], env=env)
    if command == "test":
        return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT, env=env)
    return subprocess.call([str(python), str(ROOT / "tools" / "execute_notebooks.py"), *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
