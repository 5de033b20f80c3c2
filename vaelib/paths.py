"""Where the course keeps its files: the repository root and the folders vaelib reads from.

vaelib is installed in place (``pip install -e .``), so its files sit in the repository next to the
data, the shipped models and the measured results. (``environment.py`` computes the root itself:
``tools/course.py`` loads it by path before anything is installed.)
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data" / "mnist"  # the four MNIST IDX files
MODELS_DIR = ROOT / "models"  # shipped weights (safetensors) and models/spread.json
RESULTS_DIR = ROOT / "results"  # measurements of the shipped models (evaluation.json)
