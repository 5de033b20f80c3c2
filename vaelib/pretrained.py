"""Shipped model weights: a registry saying what each file is, how it was made, and how to remake it.

Some figures need a model trained longer than a notebook's time budget (the seed article's 2-D VAE
was trained for 20 epochs). Those weights ship in ``models/<name>.safetensors``. Each entry of
:data:`REGISTRY` records the file's SHA-256, the architecture (:class:`~vaelib.models.ModelConfig`),
the training recipe (:class:`~vaelib.training.TrainConfig`), and the test loss it reached, so that

* :func:`load_pretrained` refuses a file whose bytes are not the ones recorded, and
* :func:`train_pretrained` (``python tools/train_models.py <name>``) retrains it from scratch with
  exactly that recipe; the test suite checks the remade model reaches the recorded test loss.

Adding a model is one :class:`PretrainedModel` literal in ``_ENTRIES`` plus its file.
Files are written by :func:`save_pretrained` with their header metadata in sorted order, so the same
weights always give the same bytes (safetensors itself writes metadata in a random order).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from .checkpoints import CheckpointError, load_model, save_model
from .data import load_mnist
from .models import VAE, Autoencoder, ModelConfig
from .training import History, TrainConfig, evaluate_loss, fit

DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
_KINDS = {"VAE": VAE, "Autoencoder": Autoencoder}


@dataclass(frozen=True)
class PretrainedModel:
    """One shipped model: what it is, the file that holds it, and the recipe that remakes it."""

    name: str  # registry key; the file is models/<name>.safetensors
    kind: str  # "VAE" or "Autoencoder"
    model_config: ModelConfig  # architecture
    train_config: TrainConfig  # the exact training recipe (epochs, batch, lr, seed, threads, ...)
    sha256: str  # SHA-256 of the shipped file's bytes
    test_loss: float  # nats per test image: negative ELBO (VAE) or reconstruction NLL (Autoencoder)
    tolerance: float  # nats: a retrained model's test loss must land within this of test_loss
    seconds: float  # training wall time when the shipped file was made (2 threads, informational)
    description: str  # one line for models/README.md
    model_seed: int = 0  # seed of the initial weights (VAE(config, seed=...))
    train_subset: int | None = None  # None: all 60,000 training images
    eval_seed: int = 0  # seed of the one-sample ELBO estimate (and binarization) on the test set

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"kind must be one of {sorted(_KINDS)}, got {self.kind!r}")
        if not isinstance(self.model_config, ModelConfig) or not isinstance(self.train_config, TrainConfig):
            raise TypeError("model_config must be a ModelConfig and train_config a TrainConfig")
        if not self.tolerance > 0:
            raise ValueError(f"tolerance must be positive, got {self.tolerance!r}")

    @property
    def file(self) -> str:
        return f"{self.name}.safetensors"

    @property
    def command(self) -> str:
        return f"python tools/train_models.py {self.name}"


_ENTRIES = (
    PretrainedModel(
        name="vae-2d",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(400,), latent_dim=2),
        train_config=TrainConfig(num_epochs=20, batch_size=128, lr=1e-3, beta=1.0, seed=0, num_threads=2),
        sha256="672215a0ed640ee6e43930e3c3a0d73b4642af7cf0cb926be449481a0e7141ab",
        test_loss=152.723,
        tolerance=3.0,  # 1.5 x the largest seed-to-seed deviation (models/README.md)
        seconds=218.0,
        description="VAE 784-400-2 (ReLU), Bernoulli decoder, grey-level MNIST; the seed article's 20 epochs",
    ),
    PretrainedModel(
        name="ae-2d",
        kind="Autoencoder",
        model_config=ModelConfig(input_dim=784, hidden_dims=(400,), latent_dim=2),
        train_config=TrainConfig(num_epochs=20, batch_size=128, lr=1e-3, seed=0, num_threads=2),
        sha256="610676d8b5f5e831616285d128b2eea8ce8e03184b0a0b1682878160e737d087",
        test_loss=141.855,
        tolerance=3.0,  # 1.5 x the largest seed-to-seed deviation (models/README.md)
        seconds=178.0,
        description="plain autoencoder 784-400-2 (ReLU), cross-entropy loss, same data and budget as vae-2d",
    ),
    PretrainedModel(
        name="ae-01",
        kind="Autoencoder",
        model_config=ModelConfig(input_dim=784, hidden_dims=(256, 64), latent_dim=2),
        train_config=TrainConfig(num_epochs=3, batch_size=128, lr=1e-3, seed=0, num_threads=1),
        sha256="7efb8d29543e299abf6137b0ec54a9dab2d5d044ec42165dea962b4b9222bccf",
        test_loss=150.253,
        tolerance=5.0,  # 1.5 x the largest seed-to-seed deviation (models/README.md)
        seconds=21.0,
        description="plain autoencoder 784-256-64-2: the one notebook 01 trains (its constants, 3 epochs), for notebook 06",
    ),
    PretrainedModel(
        name="vae-binarized",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50),
        train_config=TrainConfig(num_epochs=25, batch_size=128, lr=1e-3, beta=1.0, seed=0, binarize=True, num_threads=1),
        sha256="10444d1bc0c4f8f0a6a7804fc9fa8b2331c094d95b05f7e293b051e804eec44d",
        test_loss=100.566,
        tolerance=1.5,  # 1.5 x the largest seed-to-seed deviation, rounded up to 0.5 (models/README.md)
        seconds=505.1,
        description="VAE 784-200-200-50 (ReLU) as in Burda et al. 2015, dynamically binarized MNIST, 25 epochs (notebook 08)",
    ),
    PretrainedModel(
        name="vae-beta-0.25",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50),
        train_config=TrainConfig(num_epochs=10, batch_size=128, lr=1e-3, beta=0.25, seed=0, binarize=True, num_threads=1),
        sha256="0337699ade213fe2bd0a5582e4ec35a5e50a4d75343adbdf5f445ace83f91f35",
        test_loss=111.005,
        tolerance=2.0,  # 1.5 x the largest seed-to-seed deviation, rounded up to 0.5 (models/README.md)
        seconds=258.6,
        description="beta-VAE sweep, beta = 0.25: 784-200-200-50, dynamically binarized MNIST, 10 epochs (notebook 08)",
    ),
    PretrainedModel(
        name="vae-beta-0.5",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50),
        train_config=TrainConfig(num_epochs=10, batch_size=128, lr=1e-3, beta=0.5, seed=0, binarize=True, num_threads=1),
        sha256="a692a63620d6c2bfc9accf73f1a3518b7d2274c9f578fecfef1cf3de2a8940ca",
        test_loss=105.509,
        tolerance=1.0,  # 1.5 x the largest seed-to-seed deviation, rounded up to 0.5 (models/README.md)
        seconds=401.9,
        description="beta-VAE sweep, beta = 0.5: 784-200-200-50, dynamically binarized MNIST, 10 epochs (notebook 08)",
    ),
    PretrainedModel(
        name="vae-beta-1",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50),
        train_config=TrainConfig(num_epochs=10, batch_size=128, lr=1e-3, beta=1.0, seed=0, binarize=True, num_threads=1),
        sha256="7cceea432a10ada97978ea25ac908930a034e302d8b5f833360141ff626b310e",
        test_loss=105.691,
        tolerance=2.0,  # 1.5 x the largest seed-to-seed deviation, rounded up to 0.5 (models/README.md)
        seconds=231.8,
        description="beta-VAE sweep, beta = 1: 784-200-200-50, dynamically binarized MNIST, 10 epochs (notebook 08)",
    ),
    PretrainedModel(
        name="vae-beta-2",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50),
        train_config=TrainConfig(num_epochs=10, batch_size=128, lr=1e-3, beta=2.0, seed=0, binarize=True, num_threads=1),
        sha256="2d4ec419e805f2c507802b1f10fcf1d44ab704266fccd03aabc64d5ef70bdd9a",
        test_loss=114.349,
        tolerance=1.0,  # 1.5 x the largest seed-to-seed deviation, rounded up to 0.5 (models/README.md)
        seconds=263.9,
        description="beta-VAE sweep, beta = 2: 784-200-200-50, dynamically binarized MNIST, 10 epochs (notebook 08)",
    ),
    PretrainedModel(
        name="vae-beta-4",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50),
        train_config=TrainConfig(num_epochs=10, batch_size=128, lr=1e-3, beta=4.0, seed=0, binarize=True, num_threads=1),
        sha256="3fd94e786da6bc1e5fa3d9337dcaed9dda5b66d0bc070005664eadb3c7954f8d",
        test_loss=129.263,
        tolerance=1.5,  # 1.5 x the largest seed-to-seed deviation, rounded up to 0.5 (models/README.md)
        seconds=235.4,
        description="beta-VAE sweep, beta = 4: 784-200-200-50, dynamically binarized MNIST, 10 epochs (notebook 08)",
    ),
    PretrainedModel(
        name="vae-beta-8",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50),
        train_config=TrainConfig(num_epochs=10, batch_size=128, lr=1e-3, beta=8.0, seed=0, binarize=True, num_threads=1),
        sha256="002b4bd58e8f4350b393b0ecd2ffad67353129665d99e566cfe700e20f8bdf13",
        test_loss=157.670,
        tolerance=8.5,  # 1.5 x the largest seed-to-seed deviation, rounded up to 0.5 (models/README.md)
        seconds=297.5,
        description="beta-VAE sweep, beta = 8: 784-200-200-50, dynamically binarized MNIST, 10 epochs (notebook 08)",
    ),
)
REGISTRY: dict[str, PretrainedModel] = {entry.name: entry for entry in _ENTRIES}


def entry(name: str) -> PretrainedModel:
    """The registry entry called ``name``."""
    if name not in REGISTRY:
        raise ValueError(f"no shipped model called {name!r}; known: {', '.join(REGISTRY)}")
    return REGISTRY[name]


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


def test_loss_of(name: str, model: Autoencoder | VAE, test_x: torch.Tensor | None = None) -> float:
    """Mean test loss (nats per image) of ``model`` measured the way the registry records it."""
    spec = entry(name)
    test_x = load_mnist("test").images if test_x is None else test_x
    result = evaluate_loss(model, test_x, beta=1.0, seed=spec.eval_seed, binarize=spec.train_config.binarize)
    return result["loss"]


def train_pretrained(
    name: str,
    progress: bool = True,
    train_x: torch.Tensor | None = None,
    test_x: torch.Tensor | None = None,
    num_threads: int | None = None,
) -> tuple[Autoencoder | VAE, History]:
    """Train the model ``name`` from scratch with its recorded recipe; return it and its history.

    ``train_x`` defaults to MNIST (the recorded subset of the training split); pass it to avoid
    loading MNIST again. ``test_x``, if given, is evaluated after every epoch (the history's test
    columns). ``progress`` toggles the progress bar; ``num_threads`` overrides the recipe's thread
    count (on the CPUs tried the weights came out bit-identical at 1 and 2 threads: only speed changes).
    """
    spec = entry(name)
    if train_x is None:
        train_x = load_mnist("train", subset=spec.train_subset).images
    model = _KINDS[spec.kind](spec.model_config, seed=spec.model_seed)
    config = replace(spec.train_config, progress=progress)
    if num_threads is not None:
        config = replace(config, num_threads=num_threads)
    history = fit(model, train_x, config, test_x)
    return model, history


def save_pretrained(name: str, model: Autoencoder | VAE, models_dir: str | Path | None = None) -> Path:
    """Write ``model`` to ``models_dir/<name>.safetensors`` with a canonical (sorted) header."""
    spec = entry(name)
    path = Path(models_dir or DEFAULT_MODELS_DIR) / spec.file
    recipe = json.dumps(asdict(spec.train_config), sort_keys=True)
    save_model(model, path, extra={"name": name, "command": spec.command, "train_config": recipe})
    _canonicalize_header(path)
    return path


def _canonicalize_header(path: Path) -> None:
    """Rewrite a safetensors header with its metadata keys sorted (same length, same tensors)."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":")).encode()
    if len(text) > n:
        raise CheckpointError(f"{path}: canonical header is longer than the original ({len(text)} > {n})")
    path.write_bytes(raw[:8] + text.ljust(n, b" ") + raw[8 + n :])


def make(
    name: str, models_dir: str | Path | None = None, progress: bool = True, num_threads: int | None = None
) -> dict[str, float | str]:
    """Retrain ``name`` from scratch, save it; return {"path", "sha256", "test_loss", "seconds"}.

    ``seconds`` is the wall time of training alone (MNIST loading and the test evaluation excluded).
    """
    train_x, test_x = load_mnist("train", subset=entry(name).train_subset).images, load_mnist("test").images
    start = time.perf_counter()
    model, _ = train_pretrained(name, progress=progress, train_x=train_x, num_threads=num_threads)
    seconds = time.perf_counter() - start
    path = save_pretrained(name, model, models_dir)
    return {"path": str(path), "sha256": sha256_of(path), "test_loss": test_loss_of(name, model, test_x), "seconds": seconds}
