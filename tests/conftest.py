"""Test settings: a non-interactive matplotlib backend and fast, deterministic torch."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
