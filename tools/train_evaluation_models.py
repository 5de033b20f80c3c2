#!/usr/bin/env python3
"""Train the models notebook 08 evaluates and ship them under models/, with their SHA-256.

    .venv/bin/python tools/train_evaluation_models.py                  # every model below
    .venv/bin/python tools/train_evaluation_models.py binarized-vae    # only these

All models are trained with ``vaelib.fit`` on all 60,000 training images with dynamic binarization
(a fresh Bernoulli draw of every pixel each epoch, Burda et al. 2015), one thread, fixed seeds. Each
run writes ``models/<name>.safetensors`` (weights + configuration + the command, via
``vaelib.save_model``) and records the architecture, epochs, training seconds, final test loss and
the file's SHA-256 in ``results/training.json``. ``tools/evaluate_models.py`` then measures them.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import vaelib
from vaelib.data import sha256_of

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
RESULTS = ROOT / "results" / "training.json"
BURDA = vaelib.ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50)  # Burda et al. 2015, table 1


@dataclass(frozen=True)
class Spec:
    """One shipped model: its name, architecture and training hyperparameters."""

    name: str
    model: vaelib.ModelConfig
    train: vaelib.TrainConfig


SPECS = [
    Spec("binarized-vae", BURDA, vaelib.TrainConfig(num_epochs=25, binarize=True, seed=0, num_threads=1)),
    *(
        Spec(f"beta-{beta:g}", BURDA, vaelib.TrainConfig(num_epochs=10, beta=beta, binarize=True, seed=0, num_threads=1))
        for beta in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
    ),
]


def train(spec: Spec, train_x, test_x) -> dict:
    """Train one model, save it, and return its record for results/training.json."""
    model = vaelib.VAE(spec.model, seed=spec.train.seed)
    start = time.perf_counter()
    history = vaelib.fit(model, train_x, spec.train, test_x)
    seconds = time.perf_counter() - start
    command = f".venv/bin/python tools/train_evaluation_models.py {spec.name}"
    path = vaelib.save_model(model, MODELS / f"{spec.name}.safetensors", extra={"command": command})
    last = history.records[-1]
    return {
        "name": spec.name,
        "file": str(path.relative_to(ROOT)),
        "sha256": sha256_of(path),
        "model": asdict(spec.model),
        "train": asdict(spec.train),
        "epochs": spec.train.num_epochs,
        "train_seconds_wall": round(seconds, 1),
        "train_seconds_epochs": round(sum(history.column("seconds")), 1),
        "final_train_loss": round(last.train_loss, 3),
        "final_test_loss_binarized": round(last.test_loss, 3),
        "command": command,
    }


def main(argv: list[str]) -> int:
    names = argv or [s.name for s in SPECS]
    unknown = set(names) - {s.name for s in SPECS}
    if unknown:
        raise SystemExit(f"unknown model(s) {sorted(unknown)}; known: {[s.name for s in SPECS]}")
    train_x = vaelib.load_mnist("train").images
    test_x = vaelib.load_mnist("test").images
    records = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for spec in SPECS:
        if spec.name in names:
            records[spec.name] = train(spec, train_x, test_x)
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(records, indent=1) + "\n")
            print(json.dumps(records[spec.name]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
