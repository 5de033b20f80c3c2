#!/usr/bin/env python3
"""Install the course's memory settings for Jupyter into an environment (Binder's, or a test's).

    python binder/apply_settings.py                  # into the running environment (binder/postBuild)
    python binder/apply_settings.py --prefix DIR     # into DIR (the browser tests use a temporary one)

mybinder.org gives a session 2 GB of memory, and a lesson's kernel can hold close to 1 GB. Two
settings keep kernels from piling up when a learner moves from lesson to lesson:

- binder/jupyter_server_config.json -> PREFIX/etc/jupyter/jupyter_server_config.json: the Jupyter
  server culls (shuts down) a kernel that has been idle for 10 minutes, checking once a minute,
  also when a notebook tab is still open on it (cull_connected), but never while it runs a cell
  (cull_busy false). Binder itself stops a whole session after about 10 minutes without a browser
  tab open; a kernel idle that long in an open tab is most likely a lesson left behind. A learner
  who comes back to a culled notebook picks a kernel again and re-runs it (Run -> Run All Cells:
  seconds to about a minute per lesson).
- binder/overrides.json -> PREFIX/share/jupyter/lab/settings/overrides.json: JupyterLab's setting
  "Shut down kernel" (kernelShutdown of @jupyterlab/notebook-extension:tracker) defaults to true:
  closing a notebook's tab shuts its kernel down at once. A learner can switch it off in
  Settings -> Settings Editor -> Notebook.

The server reads jupyter_server_config.json in every folder of its configuration path (`jupyter
--paths`; PREFIX/etc/jupyter is one; the jupyter_server_config.d folders there only enable server
extensions, they hold no other settings), and JupyterLab reads overrides.json in its application
settings folder ({sys.prefix}/share/jupyter/lab/settings). Both files are merged into what is
there already, never replaced. The default prefix is $NB_PYTHON_PREFIX (set by repo2docker: the environment the
Jupyter server of a Binder runs in) or else this Python's sys.prefix.

The browser tests start their local JupyterLab with the same files (tests/browser/browser_harness.py):
JUPYTER_CONFIG_PATH=PREFIX/etc/jupyter and --LabApp.app_settings_dir=PREFIX/share/jupyter/lab/settings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER_CONFIG = HERE / "jupyter_server_config.json"
LAB_OVERRIDES = HERE / "overrides.json"


def server_config_path(prefix: Path) -> Path:
    return prefix / "etc" / "jupyter" / "jupyter_server_config.json"


def lab_settings_dir(prefix: Path) -> Path:
    return prefix / "share" / "jupyter" / "lab" / "settings"


def _merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _merge_into(target: Path, source: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(target.read_text()) if target.exists() else {}
    target.write_text(json.dumps(_merge(existing, json.loads(source.read_text())), indent=2) + "\n")
    return target


def apply(prefix: Path) -> list[Path]:
    """Merge both files into their places under ``prefix``; return the paths written."""
    return [
        _merge_into(server_config_path(prefix), SERVER_CONFIG),
        _merge_into(lab_settings_dir(prefix) / "overrides.json", LAB_OVERRIDES),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(os.environ.get("NB_PYTHON_PREFIX") or sys.prefix)
    parser.add_argument("--prefix", type=Path, default=default, help=f"environment prefix (default: {default})")
    args = parser.parse_args(argv)
    for path in apply(args.prefix):
        print(f"apply_settings: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
