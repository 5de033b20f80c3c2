"""The registry of shipped models: what each file in ``models/`` is, how it was made, how to remake it.

One :class:`PretrainedModel` literal per file in ``_ENTRIES``: the architecture, the training recipe,
the file's SHA-256, the test loss it reached and the tolerance a retrained model must meet (measured:
``models/spread.json``). :mod:`vaelib.pretrained` loads and checks the files; ``tools/train_models.py``
(maintainers) remakes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .checkpoints import MODEL_KINDS
from .classifier import ClassifierConfig
from .conditional import ConditionalConfig
from .conv import ConvConfig
from .models import VAE, Autoencoder, ModelConfig
from .training import TrainConfig


@dataclass(frozen=True)
class PretrainedModel:
    """One shipped model: what it is, the file that holds it, and the recipe that remakes it."""

    name: str  # registry key; the file is models/<name>.safetensors
    kind: str  # a class name of checkpoints.MODEL_KINDS: "VAE", "Autoencoder", "Classifier"
    model_config: ModelConfig | ClassifierConfig  # architecture (the kind's config_class)
    train_config: TrainConfig  # the exact training recipe (epochs, batch, lr, seed, threads, ...)
    sha256: str  # SHA-256 of the shipped file's bytes
    # nats per test image: negative ELBO (VAE), reconstruction NLL (Autoencoder), cross-entropy (Classifier)
    test_loss: float
    tolerance: float  # nats: a retrained model's test loss must land within this of test_loss
    seconds: float  # training wall time when the shipped file was made (2 threads, informational)
    description: str  # one line for models/README.md
    model_seed: int = 0  # seed of the initial weights (VAE(config, seed=...))
    train_subset: int | None = None  # None: all 60,000 training images
    eval_seed: int = 0  # seed of the one-sample ELBO estimate (and binarization) on the test set
    cpu_seconds: float | None = None  # process CPU time of training (one thread), where measured: the fair clock

    def __post_init__(self):
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"kind must be one of {sorted(MODEL_KINDS)}, got {self.kind!r}")
        config_class = MODEL_KINDS[self.kind].config_class
        if not isinstance(self.model_config, config_class) or not isinstance(self.train_config, TrainConfig):
            raise TypeError(f"model_config must be a {config_class.__name__} and train_config a TrainConfig")
        if not self.tolerance > 0:
            raise ValueError(f"tolerance must be positive, got {self.tolerance!r}")

    @property
    def file(self) -> str:
        return f"{self.name}.safetensors"

    @property
    def command(self) -> str:
        return f"python tools/train_models.py {self.name}"

    def untrained_model(self) -> Autoencoder | VAE:
        """The model this entry starts from: its architecture, initialized with its seed."""
        return MODEL_KINDS[self.kind](self.model_config, seed=self.model_seed)


def _beta_sweep(beta: float, sha256: str, test_loss: float, tolerance: float, seconds: float) -> PretrainedModel:
    """One model of notebook 08's beta sweep: 784-200-200-50, binarized MNIST, 10 epochs, this beta."""
    return PretrainedModel(
        name=f"vae-beta-{beta:g}",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50),
        train_config=TrainConfig(
            num_epochs=10, batch_size=128, lr=1e-3, beta=beta, seed=0, binarize=True, num_threads=1
        ),
        sha256=sha256,
        test_loss=test_loss,
        tolerance=tolerance,
        seconds=seconds,
        description=f"beta-VAE sweep, beta = {beta:g}: 784-200-200-50, dynamically binarized MNIST, 10 epochs (notebook 08)",
    )


# Tolerances: at least 1.5 times the largest deviation of the test loss measured when retraining with
# other seeds or under other numerics settings (models/spread.json; tests/test_pretrained.py checks).
_ENTRIES = (
    PretrainedModel(
        name="vae-2d",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(400,), latent_dim=2),
        train_config=TrainConfig(num_epochs=20, batch_size=128, lr=1e-3, beta=1.0, seed=0, num_threads=2),
        sha256="672215a0ed640ee6e43930e3c3a0d73b4642af7cf0cb926be449481a0e7141ab",
        test_loss=152.723,
        tolerance=3.0,
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
        tolerance=3.0,
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
        tolerance=6.0,
        seconds=21.0,
        description="plain autoencoder 784-256-64-2: the one notebook 01 trains (its constants, 3 epochs), for the exercises of notebook 01",
    ),
    PretrainedModel(
        name="ae-20d",
        kind="Autoencoder",
        model_config=ModelConfig(input_dim=784, hidden_dims=(400,), latent_dim=20),
        train_config=TrainConfig(num_epochs=3, batch_size=128, lr=1e-3, seed=0, num_threads=1),
        sha256="a929c55fc073cc7ae8854bfb09f4301b2c35ef814f848e8fcd96b8dbe8582dfd",
        test_loss=74.709,
        tolerance=1.0,
        seconds=85.6,
        description="plain autoencoder 784-400-20: notebook 06's VAE recipe (3 epochs) without the KL term, for its 20-D comparison",
    ),
    PretrainedModel(
        name="digit-classifier",
        kind="Classifier",
        model_config=ClassifierConfig(input_dim=784, hidden_dims=(256,), num_classes=10),
        train_config=TrainConfig(num_epochs=3, batch_size=128, lr=1e-3, seed=0, num_threads=1),
        sha256="f1d2c34d2d1adbbb36b4ed984c3ea5e1615b4deca843dcb92a20e3a6c166e9bd",
        test_loss=0.103,
        tolerance=0.01,
        seconds=34.6,
        description="digit classifier 784-256-10 (ReLU MLP, cross-entropy), the measuring instrument of notebook 06",
    ),
    PretrainedModel(
        name="vae-binarized",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50),
        train_config=TrainConfig(
            num_epochs=25, batch_size=128, lr=1e-3, beta=1.0, seed=0, binarize=True, num_threads=1
        ),
        sha256="10444d1bc0c4f8f0a6a7804fc9fa8b2331c094d95b05f7e293b051e804eec44d",
        test_loss=100.566,
        tolerance=1.5,
        seconds=505.1,
        description="VAE 784-200-200-50 (ReLU) as in Burda et al. 2015, dynamically binarized MNIST, 25 epochs (notebook 08)",
    ),
    _beta_sweep(
        0.25,
        "0337699ade213fe2bd0a5582e4ec35a5e50a4d75343adbdf5f445ace83f91f35",
        test_loss=111.005,
        tolerance=2.0,
        seconds=258.6,
    ),
    _beta_sweep(
        0.5,
        "a692a63620d6c2bfc9accf73f1a3518b7d2274c9f578fecfef1cf3de2a8940ca",
        test_loss=105.509,
        tolerance=1.0,
        seconds=401.9,
    ),
    _beta_sweep(
        1.0,
        "7cceea432a10ada97978ea25ac908930a034e302d8b5f833360141ff626b310e",
        test_loss=105.691,
        tolerance=2.0,
        seconds=231.8,
    ),
    _beta_sweep(
        2.0,
        "2d4ec419e805f2c507802b1f10fcf1d44ab704266fccd03aabc64d5ef70bdd9a",
        test_loss=114.349,
        tolerance=1.0,
        seconds=263.9,
    ),
    _beta_sweep(
        4.0,
        "3fd94e786da6bc1e5fa3d9337dcaed9dda5b66d0bc070005664eadb3c7954f8d",
        test_loss=129.263,
        tolerance=1.5,
        seconds=235.4,
    ),
    _beta_sweep(
        8.0,
        "002b4bd58e8f4350b393b0ecd2ffad67353129665d99e566cfe700e20f8bdf13",
        test_loss=157.670,
        tolerance=8.5,
        seconds=297.5,
    ),
    PretrainedModel(
        name="cvae-2d",
        kind="ConditionalVAE",
        model_config=ConditionalConfig(input_dim=784, hidden_dims=(400,), latent_dim=2, num_classes=10),
        train_config=TrainConfig(num_epochs=20, batch_size=128, lr=1e-3, beta=1.0, seed=0, num_threads=1),
        sha256="448aaa88b51316171444976287915a6e85e19d7770f403da74cba8127e0e4042",
        test_loss=132.004,
        tolerance=1.0,
        seconds=307.7,
        description="conditional VAE 784(+10)-400-2(+10) (ReLU), one-hot label into encoder and decoder, vae-2d's recipe (notebook 11)",
    ),
    PretrainedModel(  # notebook 09: the course's best model, about 15 minutes of one-thread CPU time
        name="vae-best",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50),
        train_config=TrainConfig(
            num_epochs=190,
            batch_size=128,
            lr=2e-3,
            beta=1.0,
            seed=0,
            binarize=True,
            num_threads=1,
            kl_warmup_steps=4690,
            lr_schedule="cosine",
            lr_warmup_steps=500,
        ),  # KL warm-up: 10 epochs
        sha256="9b16aa588e2e5e47e65aba2ae7ca870d85a2ea4eedfe66db8f570de8ce623fce",
        test_loss=92.375,
        tolerance=1.0,
        seconds=2577.7,
        cpu_seconds=832.9,
        description="VAE 784-200-200-50 (ReLU), dyn. binarized MNIST, 190 epochs: lr 2e-3 with warm-up and cosine decay, KL warm-up (notebook 09)",
    ),
    PretrainedModel(  # notebook 10: convolutional vs MLP at equal one-thread CPU time (cpu_seconds)
        name="conv-vae-binarized",
        kind="ConvVAE",
        model_config=ConvConfig(input_dim=784, latent_dim=50, channels=(16, 32), likelihood="bernoulli"),
        train_config=TrainConfig(
            num_epochs=22, batch_size=128, lr=1e-3, beta=1.0, seed=0, binarize=True, num_threads=1
        ),
        sha256="86fe02780319b66fcb973edcfb36f55ffdb3535b9ffe80dbfbbd27d3fe4c4a5c",
        test_loss=97.059,
        tolerance=1.0,
        seconds=1574.9,
        cpu_seconds=301.7,
        description="convolutional VAE (2 stride-2 convs, 16-32 channels, K = 50), dyn. binarized MNIST, 22 epochs (notebook 10)",
    ),
    PretrainedModel(
        name="vae-binarized-equal-cpu",
        kind="VAE",
        model_config=ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50),
        train_config=TrainConfig(
            num_epochs=64, batch_size=128, lr=1e-3, beta=1.0, seed=0, binarize=True, num_threads=1
        ),
        sha256="edc4b30de7d9d034513278b3bf1d69895b4bfd2c4db82c43e7f8d72d85ce84ef",
        test_loss=98.301,
        tolerance=1.5,
        seconds=1593.7,
        cpu_seconds=305.5,
        description="VAE 784-200-200-50 (ReLU), dyn. binarized MNIST, 64 epochs: the CPU time of conv-vae-binarized (notebook 10)",
    ),
)
REGISTRY: dict[str, PretrainedModel] = {entry.name: entry for entry in _ENTRIES}


def entry(name: str) -> PretrainedModel:
    """The registry entry called ``name``."""
    if name not in REGISTRY:
        raise ValueError(f"no shipped model called {name!r}; known: {', '.join(REGISTRY)}")
    return REGISTRY[name]
