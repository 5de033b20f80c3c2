"""Shipped model weights: a registry saying what each file is, how it was made, and how to remake it.

Some figures need a model trained longer than a notebook's time budget (the seed article's 2-D VAE
was trained for 20 epochs). Those weights ship in ``models/<name>.safetensors``. Each entry of
:data:`REGISTRY` records the file's SHA-256, the architecture (:class:`~vaelib.models.ModelConfig`),
the training recipe (:class:`~vaelib.training.TrainConfig`), and the test loss it reached, so that

* :func:`load_pretrained` refuses a file whose bytes are not the ones recorded, and
* ``python tools/train_models.py <name>`` (maintainers) retrains it from scratch with exactly that
  recipe: ``VAE(spec.model_config, seed=spec.model_seed)`` trained by ``fit`` with ``spec.train_config``;
  the test suite checks that the remade model reaches the recorded test loss.

Adding a model is one :class:`PretrainedModel` literal in ``_ENTRIES`` (:mod:`vaelib.registry`) plus its file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from .checkpoints import CheckpointError, load_model
from .classifier import probabilities
from .data import load_mnist
from .models import VAE, Autoencoder
from .paths import MODELS_DIR
from .registry import _ENTRIES, REGISTRY, PretrainedModel, entry  # noqa: F401  (the registry, re-exported)
from .training import evaluate_loss

DEFAULT_MODELS_DIR = MODELS_DIR


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_pretrained(name: str, models_dir: str | Path | None = None) -> Autoencoder | VAE:
    """Load a shipped model after checking its file's SHA-256 against the registry (eval mode)."""
    spec = entry(name)
    path = Path(models_dir or DEFAULT_MODELS_DIR) / spec.file
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; remake it with `{spec.command}`")
    actual = sha256_of(path)
    if actual != spec.sha256:
        raise CheckpointError(
            f"{path} has SHA-256 {actual}, the registry expects {spec.sha256}: the file is corrupt or "
            f"from another version; restore it with `git checkout -- models` or remake it with `{spec.command}`"
        )
    model = load_model(path, expected_config=spec.model_config)
    if type(model).__name__ != spec.kind:
        raise CheckpointError(f"{path} holds a {type(model).__name__}, the registry expects a {spec.kind}")
    return model


def test_loss_of(name: str, model: torch.nn.Module, test_x: torch.Tensor | None = None) -> float:
    """Mean test loss (nats per image) of ``model`` measured the way the registry records it.

    ``test_x`` defaults to the MNIST test images (uint8 pixels); a classifier is scored on their labels.
    """
    spec = entry(name)
    test = load_mnist("test")
    test_x = test.pixels if test_x is None else test_x
    if spec.kind == "Classifier":
        probs = probabilities(model, test_x).clamp_min(1e-30)
        return -probs.log().gather(1, test.labels[: len(test_x), None]).mean().item()
    labels = test.labels[: len(test_x)] if getattr(model, "conditional", False) else None  # q(z|x, y), p(x|z, y)
    result = evaluate_loss(
        model, test_x, beta=1.0, seed=spec.eval_seed, binarize=spec.train_config.binarize, labels=labels
    )
    return result["loss"]
