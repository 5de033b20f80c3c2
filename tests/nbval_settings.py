"""Test settings shared by the unit tests and strict nbval, loaded by both conftest.py files.

The repository's conftest.py (for any path, `pytest notebooks/...` included) and tests/conftest.py
import this module once; its settings apply to the whole run:

- A non-interactive matplotlib backend for this process only (``matplotlib.use``; an environment
  variable would be inherited by the kernels nbval starts and silence ``plt.show()`` in notebooks).
- ``VAELIB_STRICT_CLAIMS=1`` for every kernel nbval starts: a lesson's claims about its own run
  (``vaelib.claims.expect``) raise instead of printing a note, so the stored run must satisfy them.
- Cells tagged ``nbval-tolerance`` (numbers from live float32 training) are compared number by number
  within the tolerances of ``tests/tolerances.json`` instead of character by character
  (``tools/nbtolerance.py``; CONTRIBUTING.md, "Numbers from live training").
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import nbtolerance  # noqa: E402

from vaelib.claims import STRICT_ENV  # noqa: E402

os.environ[STRICT_ENV] = "1"  # inherited by the notebook kernels


def _install_tolerant_comparison() -> None:
    """Wrap nbval's ``compare_outputs`` so that tolerance cells compare their numbers within bounds."""
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval missing: no notebook tests to adapt
        return
    if getattr(IPyNbCell.compare_outputs, "tolerant", False):
        return
    exact = IPyNbCell.compare_outputs
    tolerances = nbtolerance.load_tolerances(
        Path(os.environ.get("VAELIB_TOLERANCES_FILE", nbtolerance.TOLERANCES_FILE))
    )

    def compare_outputs(self, test, ref, skip_compare=None):
        if not nbtolerance.is_tolerance_cell(self.cell):
            return exact(self, test, ref, skip_compare)
        path = Path(str(self.fspath)).resolve()
        notebook = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.as_posix()
        entry = tolerances.get(notebook, {}).get(self.cell.get("id"))
        if entry is None:
            self.comparison_traceback = [
                f"cell {self.cell.get('id')} is tagged {nbtolerance.TAG} but tests/tolerances.json has no "
                f"tolerances for it: run `python tools/measure_spread.py {notebook}`"
            ]
            return False
        test, problems = nbtolerance.reconcile_outputs(test, ref, entry["tolerances"], self.sanitize)
        same = exact(self, test, ref, skip_compare)
        if problems:
            self.comparison_traceback = [*problems, *getattr(self, "comparison_traceback", [])]
        return same and not problems

    compare_outputs.tolerant = True
    IPyNbCell.compare_outputs = compare_outputs


_install_tolerant_comparison()
