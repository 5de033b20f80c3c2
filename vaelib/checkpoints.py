"""Save and load model weights together with the configuration that built them.

The format is safetensors: a JSON header and raw tensor bytes, nothing executable. The model kind
and its configuration (the class's ``config_class``, e.g. :class:`~vaelib.models.ModelConfig`) travel in the
header's metadata, so a file always builds
the right architecture. A file that is not safetensors (for example a ``torch.save`` pickle) is
refused rather than unpickled: unpickling runs arbitrary code from the file.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from .classifier import Classifier
from .conditional import ConditionalVAE
from .conv import ConvVAE
from .models import VAE, Autoencoder

MODEL_KINDS = {"VAE": VAE, "Autoencoder": Autoencoder, "Classifier": Classifier}  # what a file may hold, by class name
MODEL_KINDS["ConditionalVAE"] = ConditionalVAE  # the conditional VAE of notebook 11
MODEL_KINDS["ConvVAE"] = ConvVAE  # the convolutional VAE of notebook 10


class CheckpointError(ValueError):
    """A weights file that cannot be trusted or does not fit the requested model."""


def save_model(model: torch.nn.Module, path: str | Path, extra: dict[str, str] | None = None) -> Path:
    """Write ``model``'s weights and configuration to a safetensors file; return the path.

    ``extra`` is free-form string metadata stored alongside (e.g. the command that trained it).
    """
    kind = type(model).__name__
    if kind not in MODEL_KINDS:
        raise TypeError(f"save_model takes a vaelib model ({', '.join(MODEL_KINDS)}), got {kind}")
    metadata = {"kind": kind, "config": json.dumps(asdict(model.config))}
    for key, value in (extra or {}).items():
        if key in metadata or not isinstance(value, str):
            raise ValueError(f"extra metadata must map new keys to strings, got {key!r}: {value!r}")
        metadata[key] = value
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {name: t.detach().contiguous() for name, t in model.state_dict().items()}
    save_file(tensors, str(path), metadata=metadata)
    return path


def read_metadata(path: str | Path) -> dict[str, str]:
    """The string metadata of a safetensors file, without loading its tensors."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as handle:
            return dict(handle.metadata() or {})
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{path} is not a safetensors weights file ({exc}); the course loads only safetensors, "
            f"never pickles, because unpickling can run arbitrary code"
        ) from exc


def load_model(path: str | Path, expected_config=None) -> torch.nn.Module:
    """Build the model a checkpoint describes and load its weights (in eval mode).

    Raises:
        FileNotFoundError: no file at ``path``.
        CheckpointError: not a safetensors file, no vaelib metadata, a configuration other than
            ``expected_config``, or tensors that do not fit the architecture.
    """
    metadata = read_metadata(path)
    if metadata.get("kind") not in MODEL_KINDS or "config" not in metadata:
        raise CheckpointError(f"{path} has no vaelib model metadata (kind and config)")
    kind = MODEL_KINDS[metadata["kind"]]
    raw = json.loads(metadata["config"])
    try:  # JSON has lists where the configuration has tuples
        config = kind.config_class(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: its configuration {raw} does not fit a {metadata['kind']}: {exc}") from exc
    if expected_config is not None and config != expected_config:
        raise CheckpointError(f"{path} holds a model with {config}, expected {expected_config}")
    model = kind(config)
    state = load_file(str(path))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not fit {metadata['kind']}({config}): {exc}") from exc
    return model.eval()
