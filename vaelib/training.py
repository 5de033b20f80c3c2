"""Training loop shared by the autoencoder and the VAE, with a progress bar and a loss history.

Speed comes from three choices: the data stay one preloaded tensor that batches are sliced from
(:func:`vaelib.data.iterate_batches`); the loss is computed from logits with a fused kernel; and Adam
runs its fused implementation, one kernel for all parameters instead of a loop of small ops.
Randomness (shuffling, binarization, the reparameterization noise) comes from one
``torch.Generator`` seeded from ``TrainConfig.seed``, so the same seed gives the same numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import torch
from tqdm.auto import tqdm

from .data import binarize as binarize_pixels
from .data import iterate_batches
from .losses import ELBOTerms, bernoulli_nll, negative_elbo
from .models import VAE, Autoencoder
from .validation import check_beta, check_images, check_positive_int


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of :func:`fit`; change one with ``dataclasses.replace``."""

    num_epochs: int = 10  # passes over the training set
    batch_size: int = 128  # examples per gradient step
    lr: float = 1e-3  # Adam learning rate
    beta: float = 1.0  # weight of the KL term (1 = the ELBO); ignored by the Autoencoder
    seed: int = 0  # seeds shuffling, binarization and reparameterization noise
    binarize: bool = False  # dynamic binarization: a fresh Bernoulli draw of each image per use
    num_threads: int | None = None  # torch threads during fit (None: leave torch's setting)
    progress: bool = True  # show a tqdm progress bar with the running loss

    def __post_init__(self):
        check_positive_int(self.num_epochs, "num_epochs")
        check_positive_int(self.batch_size, "batch_size")
        if isinstance(self.lr, bool) or not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a finite positive number, got {self.lr!r}")
        check_beta(self.beta)
        if self.num_threads is not None:
            check_positive_int(self.num_threads, "num_threads")


@dataclass(frozen=True)
class EpochRecord:
    """Losses of one epoch in nats per example; test fields are None without test data."""

    epoch: int
    train_loss: float
    train_reconstruction: float
    train_kl: float
    test_loss: float | None
    test_reconstruction: float | None
    test_kl: float | None
    seconds: float  # wall time of the training pass (evaluation excluded)


@dataclass
class History:
    """What a :func:`fit` call measured: one record per epoch, and the training loss of every batch."""

    records: list[EpochRecord] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)  # each batch's loss (nats per example), in order

    def column(self, name: str) -> list:
        """All epochs' values of one field, e.g. ``history.column("test_loss")``."""
        return [getattr(r, name) for r in self.records]

    def as_dicts(self) -> list[dict]:
        return [asdict(r) for r in self.records]


@contextmanager
def torch_threads(num_threads: int | None):
    """Run a block with ``torch.set_num_threads(num_threads)``, restoring the old value after."""
    old = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def batch_loss(
    model: Autoencoder | VAE, x: torch.Tensor, beta: float = 1.0, generator: torch.Generator | None = None
) -> ELBOTerms:
    """Loss of one batch in nats per example: the negative ELBO for a VAE, the NLL for an Autoencoder."""
    if isinstance(model, VAE):
        logits, mu, log_sigma = model(x, generator)
        return negative_elbo(logits, x, mu, log_sigma, beta=beta)
    if isinstance(model, Autoencoder):
        reconstruction = bernoulli_nll(model(x), x).mean()
        return ELBOTerms(reconstruction=reconstruction, kl=torch.zeros(()), total=reconstruction)
    raise TypeError(f"model must be a vaelib Autoencoder or VAE, got {type(model).__name__}")


@torch.no_grad()
def evaluate_loss(
    model: Autoencoder | VAE,
    x: torch.Tensor,
    beta: float = 1.0,
    batch_size: int = 1000,
    seed: int = 0,
    binarize: bool = False,
) -> dict[str, float]:
    """Mean loss over ``x`` in nats per example: ``{"loss", "reconstruction", "kl"}``.

    For a VAE the reconstruction term uses one reparameterized sample per example, seeded by ``seed``.
    """
    check_images(x, "x", last_dim=model.config.input_dim)
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    sums = {"loss": 0.0, "reconstruction": 0.0, "kl": 0.0}
    for batch in iterate_batches(x, batch_size, shuffle=False):
        if binarize:
            batch = binarize_pixels(batch, generator)
        terms = batch_loss(model, batch, beta, generator)
        n = batch.shape[0]
        sums["loss"] += terms.total.item() * n
        sums["reconstruction"] += terms.reconstruction.item() * n
        sums["kl"] += terms.kl.item() * n
    model.train(was_training)
    return {k: v / x.shape[0] for k, v in sums.items()}


def _finite_loss(model, x, config: TrainConfig, generator, epoch: int, step: int) -> ELBOTerms:
    """The batch loss, or an error saying where training diverged and what to try."""
    where = f"training diverged in epoch {epoch}, step {step}"
    advice = f"usually the learning rate is too large (lr = {config.lr:g}): try lr = {config.lr / 10:g}"
    try:
        terms = batch_loss(model, x, config.beta, generator)
    except ValueError as error:  # NaN weights give NaN logits, which the loss refuses
        if "NaN or infinite" not in str(error):
            raise
        raise FloatingPointError(f"{where}: the weights became NaN or infinite ({error}); {advice}") from error
    if not torch.isfinite(terms.total):
        raise FloatingPointError(f"{where}: the loss is {terms.total.item()}; {advice}")
    return terms


def _adam(model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
    """Adam with the fused kernel where this torch build supports it on CPU."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, TypeError):  # older builds: the multi-tensor (foreach) path
        return torch.optim.Adam(model.parameters(), lr=lr, foreach=True)


def fit(
    model: Autoencoder | VAE,
    train_x: torch.Tensor,
    config: TrainConfig = TrainConfig(),
    test_x: torch.Tensor | None = None,
    after_epoch: Callable[[Autoencoder | VAE, EpochRecord], None] | None = None,
) -> History:
    """Train ``model`` in place on the rows of ``train_x`` and return its history.

    Args:
        model: a :class:`~vaelib.models.Autoencoder` or :class:`~vaelib.models.VAE`.
        train_x: (N, input_dim) images: uint8 pixels 0..255 (``mnist.pixels``, converted one batch at a
            time, so no float copy of the data set is made) or floats in [0, 1].
        config: hyperparameters (epochs, batch size, learning rate, beta, seed, threads, ...).
        test_x: optional held-out images; their loss is recorded after every epoch.
        after_epoch: optional function called as ``after_epoch(model, record)`` after every epoch
            (e.g. to draw samples as training goes on); it must not change the model.
    """
    if not isinstance(model, (Autoencoder, VAE)):
        raise TypeError(f"model must be a vaelib Autoencoder or VAE, got {type(model).__name__}")
    check_images(train_x, "train_x", last_dim=model.config.input_dim)
    if test_x is not None:
        check_images(test_x, "test_x", last_dim=model.config.input_dim)
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = _adam(model, config.lr)
    history = History()
    steps_per_epoch = -(-train_x.shape[0] // config.batch_size)
    with torch_threads(config.num_threads), tqdm(
        total=config.num_epochs * steps_per_epoch, disable=not config.progress, unit="batch"
    ) as bar:
        for epoch in range(1, config.num_epochs + 1):
            model.train()
            bar.set_description(f"epoch {epoch}/{config.num_epochs}")
            sums = torch.zeros(3)  # (total, reconstruction, kl) summed over examples
            batch_losses = []  # 0-d tensors: converted once per epoch, not once per step
            start = time.perf_counter()
            for step, x in enumerate(iterate_batches(train_x, config.batch_size, generator), start=1):
                if config.binarize:
                    x = binarize_pixels(x, generator)
                terms = _finite_loss(model, x, config, generator, epoch, step)
                optimizer.zero_grad(set_to_none=True)
                terms.total.backward()
                optimizer.step()
                sums += torch.stack([terms.total, terms.reconstruction, terms.kl]).detach() * x.shape[0]
                batch_losses.append(terms.total.detach())
                bar.update(1)
            seconds = time.perf_counter() - start
            history.step_losses += torch.stack(batch_losses).tolist()
            train = (sums / train_x.shape[0]).tolist()
            test = (
                evaluate_loss(model, test_x, config.beta, seed=config.seed, binarize=config.binarize)
                if test_x is not None
                else None
            )
            history.records.append(
                EpochRecord(
                    epoch=epoch,
                    train_loss=train[0],
                    train_reconstruction=train[1],
                    train_kl=train[2],
                    test_loss=test["loss"] if test else None,
                    test_reconstruction=test["reconstruction"] if test else None,
                    test_kl=test["kl"] if test else None,
                    seconds=seconds,
                )
            )
            postfix = {"train": f"{train[0]:.1f}"}
            if test:
                postfix["test"] = f"{test['loss']:.1f}"
            bar.set_postfix(postfix)
            if after_epoch is not None:
                was_training = model.training
                model.eval()
                with torch.no_grad():
                    after_epoch(model, history.records[-1])
                model.train(was_training)
    model.eval()
    return history
