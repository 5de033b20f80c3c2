#!/usr/bin/env python3
"""Set up the course on a machine that has only Python, then open it, test it or refresh it.

    python3 tools/course.py setup     # make .venv and install the pinned environment, nothing else
    python3 tools/course.py lab       # the same set-up, then open JupyterLab
    python3 tools/course.py test      # the same set-up, then the whole test suite (unit + strict nbval)
    python3 tools/course.py execute   # re-run every notebook in place in a fresh kernel (contributors)
    python3 tools/course.py site      # add the development tools (requirements-dev.txt), build the website

Python 3.11, 3.12 or 3.13. The pins come from environment.yml, the single source of truth,
translated from conda-forge names to pip names (pytorch-cpu -> torch, matplotlib-base -> matplotlib).
PyTorch comes first, as its CPU-only build where the default wheel would be a CUDA build (Linux
x86_64): first through pip's own configuration (torch==X+cpu, found where pip is set up with a
CPU wheel or index), then with uv's --torch-backend cpu (uv knows PyTorch's CPU index itself), and
if neither can be reached, the default build, with a one-line note. Standard library only, so it
runs before anything is installed. A record in .venv (course-installed.json) says what was
installed, torch build included, so a second call skips straight to the work.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
SUPPORTED_PYTHONS = ((3, 11), (3, 12), (3, 13))
# --torch-backend appeared in uv 0.6.9 as a preview feature; 0.7.14 made it a regular option.
UV_REQUIREMENT = "uv>=0.7.14"
# uv retries a failed request 3 times by default (6 s here before it gives up on an unreachable
# index); one retry still rides out a blip. The user's own settings win.
UV_FAST_FAILURE = {"UV_HTTP_RETRIES": "1", "UV_HTTP_CONNECT_TIMEOUT": "10"}


def _environment_module():
    """vaelib/environment.py, loaded by path: it is standard-library only, vaelib is not installed yet."""
    spec = importlib.util.spec_from_file_location("vaelib_environment", ROOT / "vaelib" / "environment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pinned_requirements(environment_file: Path = ROOT / "environment.yml") -> list[str]:
    """pip requirement strings (``name==version``) for every pinned conda dependency."""
    return _environment_module().pinned_requirements(environment_file)


def venv_python(venv_dir: Path | None = None) -> Path:
    return (venv_dir or VENV) / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


# --- Which PyTorch build, and how: a pure decision, then a runner ------------------------------------


class Attempt(NamedTuple):
    """One way of installing PyTorch: ``tool`` ("pip" or "uv") installs ``requirement``."""

    name: str
    tool: str
    requirement: str
    what: str


def default_wheel_is_cuda(system: str, machine: str) -> bool:
    """Is the default torch wheel (what pip finds on its default index) a CUDA build? Only on Linux x86_64.

    Windows and macOS wheels there are CPU-only, and so are Linux aarch64 ones (CUDA builds for ARM
    are published on PyTorch's own CUDA indexes only). Should that change, the installed build is
    still recorded as it is and the fallback note printed.
    """
    return system == "Linux" and machine.lower() in ("x86_64", "amd64")


def torch_install_plan(system: str, machine: str, python_version: tuple[int, ...], torch_version: str) -> list[Attempt]:
    """The ordered PyTorch install attempts for a platform (``platform.system()``, ``platform.machine()``).

    The same for Python 3.11, 3.12 and 3.13; older Pythons are refused (the pins need 3.11).
    """
    if tuple(python_version[:2]) < SUPPORTED_PYTHONS[0]:
        raise ValueError(f"Python {'.'.join(map(str, python_version[:2]))} is too old: the course needs 3.11 or newer")
    default = Attempt("pip-default", "pip", f"torch=={torch_version}", "the default build, through pip")
    if not default_wheel_is_cuda(system, machine):
        return [default]
    return [
        Attempt("pip-cpu", "pip", f"torch=={torch_version}+cpu", "the CPU-only build, through pip's configuration"),
        Attempt("uv-cpu", "uv", f"torch=={torch_version}", "the CPU-only build, through uv --torch-backend cpu"),
        default,
    ]


def attempt_commands(attempt: Attempt, python: Path, constraints: Path, tool_dir: Path) -> list[list[str]]:
    """The commands that carry out one attempt, in order (uv first goes into ``tool_dir``, not .venv)."""
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if attempt.tool == "pip":
        return [[*pip, attempt.requirement, "--constraint", str(constraints)]]
    uv = tool_dir / "bin" / ("uv.exe" if os.name == "nt" else "uv")
    return [
        [*pip, "--target", str(tool_dir), UV_REQUIREMENT],
        [
            str(uv),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "--torch-backend",
            "cpu",
            attempt.requirement,
            "--constraints",
            str(constraints),
        ],
    ]


def short_error(stderr: str | None, returncode: int) -> str:
    """One line for the record from a failed command's error output, without addresses."""
    lines = [re.sub(r"\S+://\S+", "...", line).strip() for line in (stderr or "").splitlines() if line.strip()]
    if not lines:
        return f"exit status {returncode}"
    if "for help visit" in lines[-1]:  # pip's closing boilerplate: its first ERROR line says more
        lines = [line for line in lines if line.startswith("ERROR:")] or lines
        return lines[0][:160]
    return lines[-1].removeprefix("cause: ")[:160]


def fallback_notice(torch_build: dict, failed: list[dict]) -> str:
    """The one line printed when the installed torch is not CPU-only."""
    accelerator = f"CUDA {torch_build['cuda']}" if torch_build["cuda"] else f"ROCm {torch_build['hip']}"
    tried = (
        "; ".join(f"{f['name']}: {f['error']}" for f in failed)
        or "this platform's default build was expected to be CPU-only"
    )
    return (
        f"Note: .venv has PyTorch's default build, torch {torch_build['version']} with {accelerator} (several GB of "
        f"GPU libraries the course never uses; same results on the CPU), because the CPU-only build could not be "
        f"installed ({tried}); details in .venv/course-installed.json."
    )


def install_torch(plan: list[Attempt], python: Path, constraints: Path, run=None) -> tuple[Attempt, list[dict]]:
    """Try each attempt in turn; return the one that worked and what the failed ones said.

    Every attempt but the last runs with its output captured, so that a CPU-only build that cannot be
    reached costs a few seconds and no screenful of errors; the last one shows its errors as they come.
    """
    run = run or subprocess.run
    failed = []
    for index, attempt in enumerate(plan):
        last = index == len(plan) - 1
        env = {**UV_FAST_FAILURE, **os.environ} if attempt.tool == "uv" else None
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="course-uv-") as tool_dir:
            for command in attempt_commands(attempt, python, constraints, Path(tool_dir)):
                try:
                    result = run(command, env=env, capture_output=not last, text=True)
                except OSError as exc:  # the tool itself would not start
                    error = str(exc)
                    break
                if result.returncode != 0:
                    error = short_error(result.stderr, result.returncode)
                    break
            else:
                return attempt, failed
        failed.append({"name": attempt.name, "error": error, "seconds": round(time.monotonic() - start, 1)})
    raise SystemExit("Could not install PyTorch: " + "; ".join(f"{f['name']}: {f['error']}" for f in failed))


# --- The virtual environment ------------------------------------------------------------------------


def python_version_of(python: Path) -> tuple[int, ...] | None:
    """(major, minor, micro) of the interpreter at ``python``, or None if it does not run."""
    try:
        result = subprocess.run(
            [str(python), "-c", "import sys; print(*sys.version_info[:3])"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    try:
        return tuple(int(part) for part in result.stdout.split()) if result.returncode == 0 else None
    except ValueError:
        return None


def venv_decision(state: str, venv_version: tuple[int, ...] | None, running: tuple[int, ...]) -> tuple[str, str]:
    """What to do with .venv: ("create" | "use" | "recreate" | "refuse", a message or "").

    ``state`` is "missing" (no .venv), "venv" (it has a pyvenv.cfg) or "other"; ``venv_version`` is the
    version of its Python, None if that does not run; ``running`` is the Python running this script.
    A working .venv made by another supported Python is used as it is: the Python that runs this
    script only launches it, and rebuilding would throw away a complete install (and flip-flop between
    two launchers). A virtual environment whose Python no longer runs is rebuilt; anything else is
    left alone with a message.
    """

    def name(version):
        return ".".join(map(str, version))

    supported = ", ".join(name(v) for v in SUPPORTED_PYTHONS)
    if state == "other":
        return (
            "refuse",
            f"{VENV} exists but is not a virtual environment (no pyvenv.cfg): move it away and run this again.",
        )
    if state == "missing" or venv_version is None:
        if tuple(running[:2]) < SUPPORTED_PYTHONS[0]:
            return (
                "refuse",
                f"Python {name(running)} is too old for the course: run this script with Python {supported}.",
            )
        note = (
            ""
            if tuple(running[:2]) in SUPPORTED_PYTHONS
            else f"Note: Python {name(running)} is newer than the ones the course is tested with ({supported})."
        )
        if state == "missing":
            return "create", note
        return "recreate", (
            f"{VENV}'s Python no longer runs (was the Python that made it removed?): "
            f"making it again with Python {name(running)}. {note}"
        ).strip()
    if tuple(venv_version[:2]) not in SUPPORTED_PYTHONS:
        return "refuse", (
            f"{VENV} uses Python {name(venv_version)}, not one of {supported}: "
            "delete .venv and run this script again with a supported Python."
        )
    if tuple(venv_version[:2]) != tuple(running[:2]):
        rebuild = (
            f" (to rebuild it with Python {name(running)}, delete .venv and run this again)"
            if tuple(running[:2]) >= SUPPORTED_PYTHONS[0]
            else ""
        )
        return "use", f"Note: {VENV} was made with Python {name(venv_version)} and is used as it is{rebuild}."
    return "use", ""


def venv_state(venv_dir: Path | None = None) -> str:
    venv_dir = venv_dir or VENV
    if not venv_dir.exists():
        return "missing"
    return "venv" if (venv_dir / "pyvenv.cfg").exists() else "other"


def write_record(venv_dir: Path, record: dict) -> None:
    env_module = _environment_module()
    (venv_dir / env_module.INSTALL_RECORD).write_text(json.dumps(record, indent=2) + "\n")
    (venv_dir / "course-installed.txt").unlink(missing_ok=True)  # the record's predecessor


def ensure_environment() -> Path:
    """Create .venv and install the pinned packages and vaelib, unless already done for these pins."""
    env_module = _environment_module()
    python = venv_python()
    state = venv_state()
    venv_version = python_version_of(python) if state == "venv" else None
    action, message = venv_decision(state, venv_version, tuple(sys.version_info[:3]))
    if action == "refuse":
        raise SystemExit(message)
    if message:
        print(message, flush=True)
    if action in ("create", "recreate"):
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=action == "recreate").create(VENV)
        venv_version = python_version_of(python)
        if venv_version is None:
            raise SystemExit(f"The new virtual environment's Python ({python}) does not run.")

    requirements = pinned_requirements()
    wanted = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    record_file = VENV / env_module.INSTALL_RECORD
    try:
        if json.loads(record_file.read_text())["requirements_sha256"] == wanted:
            return python
    except (OSError, ValueError, KeyError, TypeError):
        pass

    print("Installing the pinned environment (first time only) ...", flush=True)
    torch_requirement = next(r for r in requirements if r.startswith("torch=="))
    plan = torch_install_plan(platform.system(), platform.machine(), venv_version, torch_requirement.split("==")[1])
    with tempfile.TemporaryDirectory(prefix="course-pins-") as pins_dir:
        constraints = Path(pins_dir) / "constraints.txt"  # torch's own dependencies get the pinned versions
        constraints.write_text("\n".join(r for r in requirements if r != torch_requirement) + "\n")
        attempt, failed = install_torch(plan, python, constraints)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *requirements], check=True)  # torch==X is already met by the build just installed
    subprocess.run([*pip, "--no-deps", "--editable", str(ROOT)], check=True)

    probe = subprocess.run(
        [str(python), "-c", env_module.TORCH_BUILD_PROBE], capture_output=True, text=True, check=True
    )
    torch_build = json.loads(probe.stdout.strip().splitlines()[-1])
    torch_build["cpu_only"] = env_module.is_cpu_only(torch_build["cuda"], torch_build["hip"])
    write_record(
        VENV,
        {
            "requirements_sha256": wanted,
            "python": ".".join(map(str, venv_version)),
            "platform": f"{platform.system()} {platform.machine()}",
            "torch": torch_build,
            "torch_installed_by": attempt.name,
            "torch_install_route": attempt.what,
            "torch_attempts_failed": failed,
        },
    )
    if not torch_build["cpu_only"]:
        print(fallback_notice(torch_build, failed), flush=True)
    return python


def available_cpus() -> int:
    """CPUs this process may run on (a container's share where the OS reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def parallel_test_run(args: list[str], cpus: int, environ: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """pytest arguments and environment for `test`: two worker processes where there are two CPUs.

    Each worker takes whole files (``--dist loadfile``): a notebook's cells share one kernel, so they
    stay on one worker. Each worker's PyTorch gets its share of the CPUs (OMP_NUM_THREADS, which
    vaelib.training also applies to a recipe's own thread count): two processes with a thread per CPU
    each would wait on each other's threads (a 20-epoch training took several times longer). Whoever
    chooses (-n / --numprocesses / --dist / -p no:xdist, or OMP_NUM_THREADS already set) keeps the choice.
    """
    chosen = any(
        a in ("-n", "--numprocesses", "no:xdist") or a.startswith(("-n", "--numprocesses=", "--dist")) for a in args
    )
    if chosen or cpus < 2:
        return args, environ
    workers = 2
    environ = {"OMP_NUM_THREADS": str(cpus // workers), **environ}
    return ["-n", str(workers), "--dist", "loadfile", *args], environ


def main(argv: list[str]) -> int:
    commands = ("lab", "test", "execute", "setup", "site")
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
        rest, env = parallel_test_run(rest, available_cpus(), env)
        return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT, env=env)
    if command == "site":  # the development tools (requirements-dev.txt), then the website into build/site
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        if subprocess.call([*pip, "-r", str(ROOT / "requirements-dev.txt")]) != 0:
            return 1
        return subprocess.call([str(python), str(ROOT / "tools" / "build_site.py"), *rest], cwd=ROOT, env=env)
    return subprocess.call([str(python), str(ROOT / "tools" / "execute_notebooks.py"), *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
