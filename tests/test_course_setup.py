"""tools/course.py: which PyTorch build it installs where, its fallbacks, its record and its .venv rules.

Every subprocess is mocked: nothing is installed and no network is touched.
"""

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

from vaelib.environment import INSTALL_RECORD, TORCH_BUILD_PROBE, torch_build_problems

ROOT = Path(__file__).resolve().parent.parent


def _load_course():
    spec = importlib.util.spec_from_file_location("course_under_test", ROOT / "tools" / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


course = _load_course()

CPU_DETOUR = ["pip-cpu", "uv-cpu", "pip-default"]


# --- The decision table -----------------------------------------------------------------------------


@pytest.mark.parametrize("python", [(3, 11), (3, 12), (3, 13)])
@pytest.mark.parametrize(
    "system, machine, names",
    [
        ("Linux", "x86_64", CPU_DETOUR),  # the default wheel is a CUDA build
        ("Linux", "aarch64", ["pip-default"]),  # default wheels are CPU-only: no detour
        ("Darwin", "arm64", ["pip-default"]),
        ("Darwin", "x86_64", ["pip-default"]),
        ("Windows", "AMD64", ["pip-default"]),
    ],
)
def test_install_plan_per_platform(system, machine, names, python):
    plan = course.torch_install_plan(system, machine, python, "2.13.0")
    assert [a.name for a in plan] == names
    assert plan[-1] == course.Attempt("pip-default", "pip", "torch==2.13.0", "the default build, through pip")
    if names == CPU_DETOUR:
        assert [(a.tool, a.requirement) for a in plan] == [
            ("pip", "torch==2.13.0+cpu"),
            ("uv", "torch==2.13.0"),
            ("pip", "torch==2.13.0"),
        ]


def test_install_plan_refuses_a_python_older_than_3_11():
    with pytest.raises(ValueError, match="3.10 is too old"):
        course.torch_install_plan("Linux", "x86_64", (3, 10, 14), "2.13.0")


def test_commands_of_each_attempt(tmp_path):
    python, constraints, tool_dir = tmp_path / "venv/bin/python", tmp_path / "c.txt", tmp_path / "uvtool"
    pip_cpu, uv_cpu, default = course.torch_install_plan("Linux", "x86_64", (3, 12), "2.13.0")
    (command,) = course.attempt_commands(pip_cpu, python, constraints, tool_dir)
    assert command[:4] == [str(python), "-m", "pip", "install"]
    assert "torch==2.13.0+cpu" in command and command[-2:] == ["--constraint", str(constraints)]
    install_uv, run_uv = course.attempt_commands(uv_cpu, python, constraints, tool_dir)
    assert install_uv[:4] == [str(python), "-m", "pip", "install"]  # uv comes from pip's own configuration,
    assert install_uv[-3:] == ["--target", str(tool_dir), course.UV_REQUIREMENT]  # beside .venv, not in it
    assert run_uv[0] == str(tool_dir / "bin" / "uv")
    assert run_uv[run_uv.index("--torch-backend") + 1] == "cpu"
    assert run_uv[run_uv.index("--python") + 1] == str(python) and "torch==2.13.0" in run_uv
    assert run_uv[-2:] == ["--constraints", str(constraints)]
    (command,) = course.attempt_commands(default, python, constraints, tool_dir)
    assert "torch==2.13.0" in command and not any("+cpu" in part for part in command)


# --- The runner and its fallbacks -------------------------------------------------------------------


class FakeRun:
    """Stands in for subprocess.run: fails the commands whose joined text contains a failing key."""

    def __init__(self, failing=(), missing_tool=False):
        self.failing, self.missing_tool, self.calls = failing, missing_tool, []

    def __call__(self, command, **kwargs):
        self.calls.append((command, kwargs))
        text = " ".join(command)
        if self.missing_tool and "--torch-backend" in text:
            raise FileNotFoundError(2, "No such file or directory", command[0])
        for key, error in self.failing:
            if key in text:  # output not captured went to the terminal, as with subprocess.run
                return subprocess.CompletedProcess(command, 1, None, error if kwargs.get("capture_output") else None)
        return subprocess.CompletedProcess(command, 0, None, None)


PIP_NO_CPU = (
    "+cpu",
    "ERROR: Could not find a version that satisfies the requirement torch==2.13.0+cpu\n"
    "ERROR: No matching distribution found for torch==2.13.0+cpu\n",
)
UV_OFFLINE = (
    "--torch-backend",
    "error: Request failed after 1 retry in 2.0s\n  cause: Failed to fetch: "
    "https://index.invalid/whl/cpu/torch/\n  cause: dns error\n",
)


def _plan():
    return course.torch_install_plan("Linux", "x86_64", (3, 12), "2.13.0")


def test_first_attempt_that_works_is_the_only_one_run(tmp_path):
    run = FakeRun()
    attempt, failed = course.install_torch(_plan(), tmp_path / "python", tmp_path / "c.txt", run=run)
    assert attempt.name == "pip-cpu" and failed == [] and len(run.calls) == 1


def test_falls_back_to_uv_then_to_the_default_build(tmp_path):
    run = FakeRun(failing=[PIP_NO_CPU])
    attempt, failed = course.install_torch(_plan(), tmp_path / "python", tmp_path / "c.txt", run=run)
    assert attempt.name == "uv-cpu"
    assert [f["name"] for f in failed] == ["pip-cpu"]
    assert failed[0]["error"] == "ERROR: No matching distribution found for torch==2.13.0+cpu"

    run = FakeRun(failing=[PIP_NO_CPU, UV_OFFLINE])
    attempt, failed = course.install_torch(_plan(), tmp_path / "python", tmp_path / "c.txt", run=run)
    assert attempt.name == "pip-default" and [f["name"] for f in failed] == ["pip-cpu", "uv-cpu"]
    assert failed[1]["error"] == "dns error" and "://" not in json.dumps(failed)  # no address is kept
    captured = [kwargs["capture_output"] for _, kwargs in run.calls]
    assert captured == [True, True, True, False]  # pip-cpu, pip->uv, uv (quiet failures), then default


def test_a_uv_that_does_not_start_is_a_failed_attempt(tmp_path):
    run = FakeRun(failing=[PIP_NO_CPU], missing_tool=True)
    attempt, failed = course.install_torch(_plan(), tmp_path / "python", tmp_path / "c.txt", run=run)
    assert attempt.name == "pip-default" and failed[1]["name"] == "uv-cpu" and "No such file" in failed[1]["error"]


def test_uv_is_told_to_give_up_fast_unless_the_user_says_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv("UV_HTTP_RETRIES", raising=False)
    run = FakeRun(failing=[PIP_NO_CPU])
    course.install_torch(_plan(), tmp_path / "python", tmp_path / "c.txt", run=run)
    uv_env = next(kwargs["env"] for command, kwargs in run.calls if "--torch-backend" in command)
    assert uv_env["UV_HTTP_RETRIES"] == "1" and uv_env["PATH"]  # the rest of the environment is kept
    assert run.calls[0][1]["env"] is None  # pip runs with the environment as it is

    monkeypatch.setenv("UV_HTTP_RETRIES", "5")
    run = FakeRun(failing=[PIP_NO_CPU])
    course.install_torch(_plan(), tmp_path / "python", tmp_path / "c.txt", run=run)
    uv_env = next(kwargs["env"] for command, kwargs in run.calls if "--torch-backend" in command)
    assert uv_env["UV_HTTP_RETRIES"] == "5"


def test_no_attempt_works_stops_with_every_reason(tmp_path):
    run = FakeRun(failing=[("torch==2.13.0", "ERROR: No space left on device")])
    with pytest.raises(SystemExit, match="pip-cpu: .*uv-cpu: .*pip-default: exit status 1"):
        course.install_torch(_plan(), tmp_path / "python", tmp_path / "c.txt", run=run)


def test_short_error_keeps_the_informative_line():
    pip_boilerplate = (
        "ERROR: Cannot install torch==2.13.0+cpu because these package versions have conflicting "
        "dependencies.\n\nThe conflict is caused by:\n    x\nERROR: ResolutionImpossible: for help "
        "visit https://docs.invalid/x"
    )
    assert course.short_error(pip_boilerplate, 1).startswith("ERROR: Cannot install torch==2.13.0+cpu")
    assert course.short_error("", 3) == "exit status 3"
    assert course.short_error("boom at https://host.invalid/a/b now", 1) == "boom at ... now"


def test_fallback_notice_is_one_line_naming_the_build_and_the_reasons():
    notice = course.fallback_notice(
        {"version": "2.13.0", "cuda": "13.0", "hip": None},
        [
            {"name": "pip-cpu", "error": "ERROR: No matching distribution found for torch==2.13.0+cpu"},
            {"name": "uv-cpu", "error": "dns error"},
        ],
    )
    assert "\n" not in notice and notice.startswith("Note: ")
    assert (
        "torch 2.13.0 with CUDA 13.0" in notice
        and "pip-cpu: ERROR: No matching" in notice
        and "uv-cpu: dns error" in notice
    )


# --- .venv made by another Python -------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, venv_version, running, action, message",
    [
        ("missing", None, (3, 12, 1), "create", ""),
        ("missing", None, (3, 14, 0), "create", "newer than the ones the course is tested with"),
        ("missing", None, (3, 10, 14), "refuse", "3.10.14 is too old"),
        ("venv", (3, 12, 1), (3, 12, 4), "use", ""),
        ("venv", (3, 11, 7), (3, 13, 0), "use", "made with Python 3.11.7 and is used as it is (to rebuild it with"),
        ("venv", (3, 12, 1), (3, 10, 14), "use", "made with Python 3.12.1 and is used as it is."),  # a launcher only
        ("venv", None, (3, 13, 0), "recreate", "no longer runs"),
        ("venv", (3, 10, 14), (3, 12, 1), "refuse", "uses Python 3.10.14"),
        ("other", None, (3, 12, 1), "refuse", "not a virtual environment"),
    ],
)
def test_venv_decision(state, venv_version, running, action, message):
    got_action, got_message = course.venv_decision(state, venv_version, running)
    assert got_action == action
    assert (message in got_message) if message else got_message == ""
    assert "\n" not in got_message


# --- The whole set-up with every command mocked -----------------------------------------------------


class FakeMachine:
    """subprocess.run and venv creation for ensure_environment: installs succeed unless listed as failing."""

    def __init__(self, venv_dir, torch_build, failing=()):
        self.venv_dir, self.torch_build, self.failing, self.commands = venv_dir, torch_build, failing, []

    def run(self, command, **kwargs):
        self.commands.append(command)
        text = " ".join(map(str, command))
        if "sys.version_info" in text:
            return subprocess.CompletedProcess(command, 0, "3 12 1\n", "")
        if command[-1] == TORCH_BUILD_PROBE:
            return subprocess.CompletedProcess(command, 0, json.dumps(self.torch_build) + "\n", "")
        for key, error in self.failing:
            if key in text:
                return subprocess.CompletedProcess(command, 1, "", error)
        return subprocess.CompletedProcess(command, 0, "", "")

    def env_builder(self, **kwargs):
        class Builder:
            def create(self, path):
                (Path(path) / "bin").mkdir(parents=True, exist_ok=True)
                (Path(path) / "bin" / "python").write_text("")
                (Path(path) / "pyvenv.cfg").write_text("version = 3.12.1\n")

        assert kwargs["with_pip"]
        return Builder()


@pytest.fixture
def fake_setup(tmp_path, monkeypatch):
    def make(torch_build, failing=()):
        machine = FakeMachine(tmp_path / ".venv", torch_build, failing)
        monkeypatch.setattr(course, "VENV", tmp_path / ".venv")
        monkeypatch.setattr(course.subprocess, "run", machine.run)
        monkeypatch.setattr(course.venv, "EnvBuilder", machine.env_builder)
        monkeypatch.setattr(course.platform, "system", lambda: "Linux")
        monkeypatch.setattr(course.platform, "machine", lambda: "x86_64")
        monkeypatch.setattr(course.sys, "version_info", (3, 12, 1, "final", 0))
        return machine

    return make


def test_setup_records_a_fallback_and_says_so_in_one_line(fake_setup, capsys, tmp_path):
    cuda_build = {"version": "2.13.0", "cuda": "13.0", "hip": None}
    machine = fake_setup(cuda_build, failing=[PIP_NO_CPU, UV_OFFLINE])
    course.ensure_environment()
    record = json.loads((tmp_path / ".venv" / INSTALL_RECORD).read_text())
    assert record["torch"] == {**cuda_build, "cpu_only": False}
    assert record["torch_installed_by"] == "pip-default" and record["python"] == "3.12.1"
    assert [f["name"] for f in record["torch_attempts_failed"]] == ["pip-cpu", "uv-cpu"]
    notes = [line for line in capsys.readouterr().out.splitlines() if "CPU-only build could not be installed" in line]
    assert len(notes) == 1 and "torch 2.13.0 with CUDA 13.0" in notes[0]
    # What the record says is what the test suite later holds the installed torch to.
    assert torch_build_problems(tmp_path / ".venv", "2.13.0", "13.0", None) == []
    assert torch_build_problems(tmp_path / ".venv", "2.13.0+cpu", None, None) != []

    machine.commands.clear()  # a second call finds the record for these pins and installs nothing
    course.ensure_environment()
    assert not any("pip" in command for command in machine.commands)


def test_setup_with_the_cpu_build_prints_no_note(fake_setup, capsys, tmp_path):
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("version = 3.12.1\n")
    (tmp_path / ".venv" / "course-installed.txt").write_text("an old stamp\n")
    fake_setup({"version": "2.13.0+cpu", "cuda": None, "hip": None})
    course.ensure_environment()
    record = json.loads((tmp_path / ".venv" / INSTALL_RECORD).read_text())
    assert record["torch"]["cpu_only"] is True and record["torch_installed_by"] == "pip-cpu"
    assert record["torch_attempts_failed"] == []
    assert "Note:" not in capsys.readouterr().out
    assert not (tmp_path / ".venv" / "course-installed.txt").exists()  # the old stamp is replaced


def test_setup_reinstalls_when_the_pins_change(fake_setup, tmp_path, monkeypatch):
    machine = fake_setup({"version": "2.13.0+cpu", "cuda": None, "hip": None})
    course.ensure_environment()
    pins = course.pinned_requirements()
    monkeypatch.setattr(course, "pinned_requirements", lambda: [*pins[:-1], pins[-1] + ".post1"])
    machine.commands.clear()
    course.ensure_environment()
    assert any("pip" in command for command in machine.commands)


def test_setup_refuses_a_venv_of_an_unsupported_python(fake_setup, tmp_path, monkeypatch):
    fake_setup({"version": "2.13.0+cpu", "cuda": None, "hip": None})
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("version = 3.10.14\n")
    monkeypatch.setattr(course, "python_version_of", lambda python: (3, 10, 14))
    with pytest.raises(SystemExit, match="uses Python 3.10.14"):
        course.ensure_environment()


# --- The test command's two workers -----------------------------------------------------------------


@pytest.mark.parametrize(
    "args, cpus, environ, expected_args, threads",
    [
        ([], 2, {}, ["-n", "2", "--dist", "loadfile"], "1"),
        (["notebooks"], 8, {}, ["-n", "2", "--dist", "loadfile", "notebooks"], "4"),
        ([], 1, {}, [], None),  # one CPU (Binder): one process, torch's own thread count
        (["-n", "4"], 8, {}, ["-n", "4"], None),  # the caller's choice stands
        (["-n4"], 8, {}, ["-n4"], None),
        (["--numprocesses=3"], 8, {}, ["--numprocesses=3"], None),
        (["-p", "no:xdist"], 8, {}, ["-p", "no:xdist"], None),
        (["--dist", "loadscope"], 8, {}, ["--dist", "loadscope"], None),
        ([], 2, {"OMP_NUM_THREADS": "2"}, ["-n", "2", "--dist", "loadfile"], "2"),  # set by the caller: kept
    ],
)
def test_parallel_test_run(args, cpus, environ, expected_args, threads):
    new_args, new_environ = course.parallel_test_run(list(args), cpus, dict(environ))
    assert new_args == expected_args
    assert new_environ.get("OMP_NUM_THREADS") == threads


def test_test_command_runs_pytest_on_two_workers(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(course, "ensure_environment", lambda: tmp_path / "python")
    monkeypatch.setattr(course, "available_cpus", lambda: 2)
    monkeypatch.setattr(course.subprocess, "call", lambda cmd, **kw: calls.append((cmd, kw["env"])) or 0)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert course.main(["test", "tests/test_data.py"]) == 0
    ((cmd, env),) = calls
    assert cmd[1:] == ["-m", "pytest", "-n", "2", "--dist", "loadfile", "tests/test_data.py"]
    assert env["OMP_NUM_THREADS"] == "1" and env["PYTHONHASHSEED"] == "0"
