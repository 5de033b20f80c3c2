"""Binder's memory settings (binder/): what they say, that postBuild installs them where the Jupyter
server and JupyterLab read them, and that Binder's build runs postBuild in the server's environment."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
TRACKER = "@jupyterlab/notebook-extension:tracker"


def _json(name):
    return json.loads((BINDER / name).read_text())


def test_idle_kernels_are_culled_after_ten_minutes():
    culling = _json("jupyter_server_config.json")["MappingKernelManager"]
    assert culling["cull_idle_timeout"] == 600  # 10 min, like Binder's own culling of idle sessions
    assert 0 < culling["cull_interval"] <= 60  # checked at least once a minute
    assert culling["cull_connected"] is True  # also a lesson left open in a tab
    assert culling["cull_busy"] is False  # never a kernel in the middle of a cell


def test_these_are_settings_of_the_installed_jupyter_server():
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

    traits = MappingKernelManager.class_traits(config=True)
    for name in _json("jupyter_server_config.json")["MappingKernelManager"]:
        assert name in traits, f"MappingKernelManager has no setting {name}"


def test_closing_a_notebook_tab_shuts_its_kernel_down():
    assert _json("overrides.json") == {TRACKER: {"kernelShutdown": True}}


def test_kernel_shutdown_is_a_setting_of_the_installed_jupyterlab():
    schema = Path(sys.prefix) / "share/jupyter/lab/schemas/@jupyterlab/notebook-extension/tracker.json"
    if not schema.exists():
        pytest.skip(f"JupyterLab's settings schemas are not installed in {sys.prefix}")
    properties = json.loads(schema.read_text())["properties"]
    assert properties["kernelShutdown"]["type"] == "boolean"


def _postbuild_settings_lines():
    lines = [
        line
        for line in (BINDER / "postBuild").read_text().splitlines()
        if "apply_settings.py" in line and not line.lstrip().startswith("#")
    ]
    assert lines == ["python binder/apply_settings.py"], "postBuild installs the settings with binder/apply_settings.py"
    return lines


def _run_postbuild_settings(prefix: Path):
    """Run postBuild's settings line as repo2docker does: from the repository, NB_PYTHON_PREFIX set."""
    env = {
        **os.environ,
        "NB_PYTHON_PREFIX": str(prefix),
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    }
    for line in _postbuild_settings_lines():
        subprocess.run(["bash", "-c", line], cwd=ROOT, env=env, check=True, capture_output=True, text=True)


def test_postbuild_writes_both_files_into_the_environment(tmp_path):
    _run_postbuild_settings(tmp_path)
    server = json.loads((tmp_path / "etc/jupyter/jupyter_server_config.json").read_text())
    assert server == _json("jupyter_server_config.json")
    overrides = json.loads((tmp_path / "share/jupyter/lab/settings/overrides.json").read_text())
    assert overrides == _json("overrides.json")


def test_postbuild_merges_with_settings_already_there(tmp_path):
    server_file = tmp_path / "etc/jupyter/jupyter_server_config.json"
    overrides_file = tmp_path / "share/jupyter/lab/settings/overrides.json"
    server_file.parent.mkdir(parents=True)
    overrides_file.parent.mkdir(parents=True)
    server_file.write_text(
        json.dumps({"ServerApp": {"quit_button": False}, "MappingKernelManager": {"buffer_offline_messages": True}})
    )
    overrides_file.write_text(
        json.dumps(
            {TRACKER: {"windowingMode": "none"}, "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}
        )
    )
    _run_postbuild_settings(tmp_path)
    _run_postbuild_settings(tmp_path)  # twice: the same result
    server = json.loads(server_file.read_text())
    assert server["ServerApp"] == {"quit_button": False}
    assert server["MappingKernelManager"] == {
        "buffer_offline_messages": True,
        **_json("jupyter_server_config.json")["MappingKernelManager"],
    }
    overrides = json.loads(overrides_file.read_text())
    assert overrides[TRACKER] == {"windowingMode": "none", "kernelShutdown": True}
    assert overrides["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}


def test_the_server_and_jupyterlab_read_the_installed_files(tmp_path):
    """Not only written: found where they are read (jupyter_server_config.d would hold only extensions)."""
    _run_postbuild_settings(tmp_path)
    probe = (
        "import json; from jupyter_server.serverapp import ServerApp\n"
        "from jupyterlab_server.settings_utils import _get_overrides\n"
        "app = ServerApp(); app.load_config_file()\n"
        f"overrides, error = _get_overrides({str(tmp_path / 'share/jupyter/lab/settings')!r})\n"
        "print(json.dumps({'culling': {k: v for k, v in app.config.MappingKernelManager.items()},"
        " 'overrides': overrides, 'error': str(error)}))"
    )
    env = {
        **os.environ,
        "JUPYTER_CONFIG_PATH": str(tmp_path / "etc/jupyter"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "home"),
    }
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["culling"] == _json("jupyter_server_config.json")["MappingKernelManager"]
    assert seen["overrides"][TRACKER]["kernelShutdown"] is True and not seen["error"]


def test_binder_runs_postbuild_in_the_servers_environment():
    """`jupyter-repo2docker --no-build .` prints the Dockerfile Binder builds: postBuild runs, with the
    kernels' environment the server's (so sys.prefix/NB_PYTHON_PREFIX is where the server reads)."""
    repo2docker = shutil.which("jupyter-repo2docker", path=str(Path(sys.executable).parent)) or shutil.which(
        "jupyter-repo2docker"
    )
    if not repo2docker:
        pytest.skip("jupyter-repo2docker is not installed")
    result = subprocess.run([repo2docker, "--no-build", "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    dockerfile = result.stdout
    assert re.search(r"^RUN \./binder/postBuild$", dockerfile, flags=re.M)
    assert "ENV KERNEL_PYTHON_PREFIX=${NB_PYTHON_PREFIX}" in dockerfile
    assert re.search(r"^ENV PATH=\$\{NB_PYTHON_PREFIX\}/bin:", dockerfile, flags=re.M)  # postBuild's `python`
