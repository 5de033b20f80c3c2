"""Training loop shared by the autoencoder and the VAE, with a progress bar and a loss history.

Notebook 06 writes this loop out by hand and shows that ``fit`` computes the same numbers. Speed comes
from three choices: the data stay one preloaded tensor that batches are sliced from; the loss is
computed from logits with a fused kernel; and Adam runs its fused implementation, one kernel for all
parameters instead of a loop of small ops. Randomness (shuffling, binarization, the reparameterization
noise) comes from one ``torch.Generator`` seeded from ``TrainConfig.seed``, so the same seed gives the
same numbers. The objectives of notebook 09 (KL warm-up, free bits, the IWAE bound, a cosine
learning-rate schedule) are options of ``TrainConfig``; they are written in :mod:`vaelib.objectives`.
A model with ``conditional = True`` (it also takes the digit label) trains with ``labels``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from .data import as_images, iterate_batches
from .data import binarize as binarize_pixels
from .losses import ELBOTerms, bernoulli_nll, negative_elbo
from .models import VAE, Autoencoder
from .objectives import free_bits_kl, iwae_terms, kl_weight, lr_factor, multi_sample_terms
from .validation import (
    check_beta,
    check_finite_number,
    check_images,
    check_labels_for,
    check_nonnegative_int,
    check_positive_int,
)


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of :func:`fit`; change one with ``dataclasses.replace``."""

    num_epochs: int = 10  # passes over the training set
    batch_size: int = 128  # examples per gradient step
    lr: float = 1e-3  # Adam learning rate
    beta: float = 1.0  # weight of the KL term (1 = the ELBO); ignored by the Autoencoder
    seed: int = 0  # seeds shuffling, binarization and reparameterization noise
    binarize: bool = False  # dynamic binarization: a fresh Bernoulli draw of each image per use
    num_threads: int | None = None  # torch threads during fit (None: leave torch's setting; at most OMP_NUM_THREADS)
    progress: bool = True  # show a tqdm progress bar with the running loss
    kl_warmup_steps: int = 0  # KL warm-up: the KL weight rises linearly from 0 to beta over these steps
    free_bits: float = 0.0  # nats per latent dimension the KL term does not charge (0: the plain KL)
    iwae_samples: int | None = None  # k: train on the importance-weighted bound L_k; None: the ELBO
    lr_schedule: str = "constant"  # "constant", or "cosine": the learning rate decays to 0 by the end
    lr_warmup_steps: int = 0  # the learning rate rises linearly from 0 over these first steps
    elbo_samples: int = 1  # samples of z per example for the ELBO's reconstruction term (averaged)

    def __post_init__(self):
        check_positive_int(self.num_epochs, "num_epochs")
        check_positive_int(self.batch_size, "batch_size")
        check_finite_number(self.lr, "lr", positive=True)
        check_beta(self.beta)
        if self.num_threads is not None:
            check_positive_int(self.num_threads, "num_threads")
        check_nonnegative_int(self.kl_warmup_steps, "kl_warmup_steps")
        check_nonnegative_int(self.lr_warmup_steps, "lr_warmup_steps")
        check_finite_number(self.free_bits, "free_bits", unit=" (nats per latent dimension)")
        check_positive_int(self.elbo_samples, "elbo_samples")
        if self.iwae_samples is not None:
            check_positive_int(self.iwae_samples, "iwae_samples")
            if self.free_bits or self.beta != 1 or self.kl_warmup_steps or self.elbo_samples != 1:
                raise ValueError(
                    "iwae_samples trains on the bound L_k itself: free_bits, beta, kl_warmup_steps and elbo_samples do not apply"
                )
        if self.lr_schedule not in ("constant", "cosine"):
            raise ValueError(f"lr_schedule must be 'constant' or 'cosine', got {self.lr_schedule!r}")


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


@contextmanager
def torch_threads(num_threads: int | None):
    """Run a block with ``torch.set_num_threads(num_threads)``, capped by a positive OMP_NUM_THREADS (binder/start,
    the two-worker test run: more threads than cores wait on each other), restoring the old value after."""
    old = torch.get_num_threads()
    if num_threads is not None:
        cap = os.environ.get("OMP_NUM_THREADS", "").strip()
        torch.set_num_threads(min(num_threads, int(cap)) if cap.isdigit() and int(cap) > 0 else num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def batch_loss(
    model: Autoencoder | VAE,
    x: torch.Tensor,
    beta: float = 1.0,
    generator: torch.Generator | None = None,
    labels: torch.Tensor | None = None,
    free_bits: float = 0.0,
    iwae_samples: int | None = None,
    elbo_samples: int = 1,
) -> ELBOTerms:
    """Loss of one batch in nats per example: the negative ELBO for a VAE (optionally with free bits,
    averaged over ``elbo_samples`` samples, or -L_k with ``iwae_samples = k``), the reconstruction NLL
    for an Autoencoder."""
    if isinstance(model, VAE):
        if iwae_samples is not None:
            return iwae_terms(model, x, iwae_samples, generator)
        if elbo_samples != 1:
            return multi_sample_terms(model, x, elbo_samples, beta, generator, free_bits)
        decoded, mu, log_sigma = model(x, labels, generator) if model.conditional else model(x, generator)
        terms = negative_elbo(decoded, x, mu, log_sigma, beta=beta, nll=model.reconstruction_nll)
        if free_bits:
            kl = free_bits_kl(mu, log_sigma, free_bits)
            terms = ELBOTerms(reconstruction=terms.reconstruction, kl=kl, total=terms.reconstruction + beta * kl)
        return terms
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
    labels: torch.Tensor | None = None,
) -> dict[str, float]:
    """Mean loss over ``x`` in nats per example: ``{"loss", "reconstruction", "kl"}``; for a VAE with one
    reparameterized sample per example, seeded by ``seed``. A conditional model also needs the ``labels`` of ``x``."""
    check_images(x, "x", last_dim=model.config.input_dim)
    check_labels_for(model, labels, x)
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    sums = {"loss": 0.0, "reconstruction": 0.0, "kl": 0.0}
    for rows in torch.arange(x.shape[0]).split(batch_size):
        batch = as_images(x[rows])
        if binarize:
            batch = binarize_pixels(batch, generator)
        terms = batch_loss(model, batch, beta, generator, labels=None if labels is None else labels[rows])
        n = batch.shape[0]
        sums["loss"] += terms.total.item() * n
        sums["reconstruction"] += terms.reconstruction.item() * n
        sums["kl"] += terms.kl.item() * n
    model.train(was_training)
    return {k: v / x.shape[0] for k, v in sums.items()}


def _finite_loss(model, x, config: TrainConfig, generator, epoch: int, step: int, labels, beta: float) -> ELBOTerms:
    """The batch loss, or an error saying where training diverged and what to try."""
    where = f"training diverged in epoch {epoch}, step {step}"
    advice = f"usually the learning rate is too large (lr = {config.lr:g}): try lr = {config.lr / 10:g}"
    try:
        terms = batch_loss(
            model, x, beta, generator, labels, config.free_bits, config.iwae_samples, config.elbo_samples
        )
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
    labels: torch.Tensor | None = None,
    test_labels: torch.Tensor | None = None,
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
        labels, test_labels: the digit labels of ``train_x`` and ``test_x``, for a conditional model.
    """
    if not isinstance(model, (Autoencoder, VAE)):
        raise TypeError(f"model must be a vaelib Autoencoder or VAE, got {type(model).__name__}")
    check_images(train_x, "train_x", last_dim=model.config.input_dim)
    check_labels_for(model, labels, train_x)
    if test_x is not None:
        check_images(test_x, "test_x", last_dim=model.config.input_dim)
        check_labels_for(model, test_labels, test_x)
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = _adam(model, config.lr)
    history = History()
    steps_per_epoch = -(-train_x.shape[0] // config.batch_size)
    total_steps = config.num_epochs * steps_per_epoch
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, total_steps, config.lr_schedule, config.lr_warmup_steps)
    )
    with (
        torch_threads(config.num_threads),
        tqdm(total=config.num_epochs * steps_per_epoch, disable=not config.progress, unit="batch") as bar,
    ):
        for epoch in range(1, config.num_epochs + 1):
            model.train()
            bar.set_description(f"epoch {epoch}/{config.num_epochs}")
            sums = torch.zeros(3)  # (total, reconstruction, kl) summed over examples
            batch_losses = []  # 0-d tensors: converted once per epoch, not once per step
            start = time.perf_counter()
            for step, rows in enumerate(
                iterate_batches(torch.arange(train_x.shape[0]), config.batch_size, generator), 1
            ):
                x = as_images(train_x[rows])
                if config.binarize:
                    x = binarize_pixels(x, generator)
                beta = kl_weight((epoch - 1) * steps_per_epoch + step - 1, config.beta, config.kl_warmup_steps)
                terms = _finite_loss(
                    model, x, config, generator, epoch, step, None if labels is None else labels[rows], beta
                )
                optimizer.zero_grad(set_to_none=True)
                terms.total.backward()
                optimizer.step()
                schedule.step()
                sums += torch.stack([terms.total, terms.reconstruction, terms.kl]).detach() * x.shape[0]
                batch_losses.append(terms.total.detach())
                bar.update(1)
            seconds = time.perf_counter() - start
            history.step_losses += torch.stack(batch_losses).tolist()
            train = (sums / train_x.shape[0]).tolist()
            test = None
            if test_x is not None:
                test = evaluate_loss(
                    model, test_x, config.beta, seed=config.seed, binarize=config.binarize, labels=test_labels
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
