"""pytest loads this file for every path it tests, notebooks/ included (CI runs `pytest notebooks` on its
own under other numerics), so the settings of tests/nbval_settings.py apply there too: strict claims in the
notebook kernels and the tolerance comparison of cells tagged nbval-tolerance."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))
import nbval_settings  # noqa: F401
