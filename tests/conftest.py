"""The settings of tests/nbval_settings.py (also loaded by the repository's conftest.py)."""

import nbval_settings  # noqa: F401
