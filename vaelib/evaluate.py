"""Measuring a VAE in the units papers use: log-likelihood bounds, bits per dimension, active units.

Inside:

- :class:`LatentModel`, the two functions the estimators need from any model with a standard-normal
  prior and a diagonal-Gaussian encoder: ``encode(x) -> (mu, log_sigma)`` and
  ``log_px_given_z(x, z)``. :func:`latent_model` wraps a :class:`~vaelib.models.VAE` (Bernoulli
  decoder); the tests wrap probabilistic PCA, whose log p(x) is known exactly.
- :func:`importance_weighted_bound`, the k-sample bound of Burda, Grosse & Salakhutdinov (2015),
  "Importance Weighted Autoencoders":
      L_k(x) = log (1/k) sum_i p(x, z_i) / q(z_i|x),   z_i ~ q(z|x) independently.
  L_1 is the ELBO (one-sample estimate), E[L_k] grows with k and tends to log p(x). Computed with
  logsumexp, the k samples processed ``sample_chunk`` at a time so that memory does not grow with k.
- :func:`negative_elbo_terms`: reconstruction and analytic KL per example; :func:`bits_per_dim`.
- :func:`binarized_test_set`: the fixed binarized MNIST test set all shipped numbers are measured on,
  and :func:`shipped_results`, those numbers (``results/evaluation.json``, written by
  ``tools/evaluate_models.py``).
- :func:`active_units`: a latent unit u is *active* when Cov_x(E_q[u|x]) > 0.01 (Burda et al. 2015);
  inactive units have collapsed to the prior (``losses.kl_per_dimension(mu, log_sigma).mean(0)`` gives
  the KL each unit carries).

Units: nats per example (summed over pixels and latent dimensions) unless a name says otherwise.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from .data import binarize, iterate_batches, load_mnist
from .losses import LOG_2PI, ELBOTerms, negative_elbo
from .models import VAE
from .paths import RESULTS_DIR
from .validation import check_images, check_positive_int, check_tensor

NOISE_BLOCK = 100  # samples of noise drawn per call to the generator
RESULTS_FILE = RESULTS_DIR / "evaluation.json"


@dataclass(frozen=True)
class LatentModel:
    """A latent-variable model p(z) = N(0, I), p(x|z), with an encoder q(z|x) = N(mu, diag(sigma^2))."""

    encode: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]  # x (n, d) -> mu, log_sigma (n, K)
    log_px_given_z: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # x (n, d), z (s, n, K) -> (s, n)


def latent_model(model: VAE) -> LatentModel:
    """The :class:`LatentModel` of a vaelib VAE: its encoder, and its decoder's likelihood."""
    if not isinstance(model, VAE) or model.conditional:
        raise TypeError(f"latent_model takes an unconditional vaelib VAE, got {type(model).__name__}")

    def log_px_given_z(x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return -model.reconstruction_nll(model.decoder(z), x)  # z (s, n, K) -> (s, n)

    return LatentModel(encode=model.encode, log_px_given_z=log_px_given_z)


def log_importance_weights(model: LatentModel, x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """log p(x, z) - log q(z|x) at z = mu + sigma * eps, for noise ``eps`` of shape (s, n, K); returns (s, n)."""
    mu, log_sigma = model.encode(x)  # (n, K) each
    if eps.dim() != 3 or eps.shape[1:] != mu.shape:
        raise ValueError(f"eps must have shape (s, {mu.shape[0]}, {mu.shape[1]}), got {tuple(eps.shape)}")
    z = mu + torch.exp(log_sigma) * eps  # (s, n, K)
    log_pz = -0.5 * (z.square() + LOG_2PI).sum(-1)  # (s, n)
    log_qz = -0.5 * (eps.square() + LOG_2PI).sum(-1) - log_sigma.sum(-1)  # (s, n): (z - mu) / sigma = eps
    return model.log_px_given_z(x, z) + log_pz - log_qz


def _as_model(model: VAE | LatentModel) -> LatentModel:
    if isinstance(model, LatentModel):
        return model
    if isinstance(model, VAE):
        return latent_model(model)
    raise TypeError(f"model must be a vaelib VAE or a LatentModel, got {type(model).__name__}")


@torch.no_grad()
def importance_weighted_bound(
    model: VAE | LatentModel,
    x: torch.Tensor,
    k: int,
    generator: torch.Generator,
    sample_chunk: int = 100,
    batch_size: int = 100,
) -> torch.Tensor:
    """The k-sample importance-weighted bound L_k(x) <= log p(x) of every row of ``x``, in nats, (n,).

    The k noise draws of a batch are made in blocks of ``NOISE_BLOCK`` samples, so the numbers depend
    on ``generator``, ``k`` and ``batch_size`` but not on ``sample_chunk``, which only sets how many
    samples go through the decoder together: peak memory is about
    ``max(sample_chunk, NOISE_BLOCK) * batch_size * (d + hidden widths)`` floats, whatever k is
    (glibc's heap fragmentation over long runs is handled by ``vaelib.allocator``).
    Returns float64 (the logsumexp itself runs in the model's dtype).
    """
    model = _as_model(model)
    check_images(x, "x", unit_interval=False)  # any real data for a LatentModel (tests: probabilistic PCA)
    check_positive_int(k, "k")
    check_positive_int(sample_chunk, "sample_chunk")
    check_positive_int(batch_size, "batch_size")
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    out = []
    for batch in iterate_batches(x, batch_size, shuffle=False):
        mu, _ = model.encode(batch)
        noise = _NoiseStream(k, mu, generator)
        log_w = [
            log_importance_weights(model, batch, noise.take(min(sample_chunk, k - start)))
            for start in range(0, k, sample_chunk)
        ]  # chunks of (c, n)
        out.append(torch.logsumexp(torch.cat(log_w), dim=0).double() - math.log(k))  # (n,)
    return torch.cat(out)


class _NoiseStream:
    """k draws of eps ~ N(0, I) shaped like ``mu``, generated in fixed blocks, handed out in any chunks."""

    def __init__(self, k: int, mu: torch.Tensor, generator: torch.Generator):
        self.left, self.mu, self.generator = k, mu, generator
        self.buffer = mu.new_empty((0, *mu.shape))

    def take(self, count: int) -> torch.Tensor:
        while self.buffer.shape[0] < count:
            block = min(NOISE_BLOCK, self.left)
            fresh = torch.randn((block, *self.mu.shape), generator=self.generator, dtype=self.mu.dtype)
            self.buffer, self.left = torch.cat([self.buffer, fresh]), self.left - block
        eps, self.buffer = self.buffer[:count], self.buffer[count:]
        return eps  # (count, n, K)


@torch.no_grad()
def negative_elbo_terms(model: VAE, x: torch.Tensor, generator: torch.Generator, batch_size: int = 500) -> ELBOTerms:
    """Per-example reconstruction (one sample), analytic KL and their sum, the negative ELBO, in nats."""
    if not isinstance(model, VAE):
        raise TypeError(f"negative_elbo_terms takes a vaelib VAE, got {type(model).__name__}")
    check_images(x, "x", last_dim=model.config.input_dim)
    check_positive_int(batch_size, "batch_size")
    parts = []
    for batch in iterate_batches(x, batch_size, shuffle=False):
        logits, mu, log_sigma = model(batch, generator)
        parts.append(negative_elbo(logits, batch, mu, log_sigma, reduction="none", nll=model.reconstruction_nll))
    return ELBOTerms(*(torch.cat([getattr(p, name) for p in parts]) for name in ("reconstruction", "kl", "total")))


def bits_per_dim(nats: float | torch.Tensor, num_dims: int = 784) -> float | torch.Tensor:
    """Convert nats per example into bits per dimension: nats / (num_dims * ln 2)."""
    check_positive_int(num_dims, "num_dims")
    return nats / (num_dims * math.log(2.0))


def active_units(mu: torch.Tensor, threshold: float = 0.01) -> tuple[int, torch.Tensor]:
    """Number of active latent units and each unit's activity Cov_x(E_q[z_j|x]) (Burda et al. 2015).

    ``mu`` holds the posterior means E_q[z|x] of many inputs, (n, K); the activity of unit j is the
    variance of column j across the inputs (divided by n). A unit is active when it exceeds ``threshold``.
    """
    check_tensor(mu, "mu", ndim=2)
    if mu.shape[0] < 2:
        raise ValueError(f"active_units needs the means of at least 2 inputs, got {mu.shape[0]}")
    if not (isinstance(threshold, (int, float)) and threshold > 0):
        raise ValueError(f"threshold must be a positive number, got {threshold!r}")
    activity = mu.double().var(dim=0, unbiased=False)  # (K,)
    return int((activity > threshold).sum()), activity


@torch.no_grad()
def encode_all(model: VAE, x: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """(mu, log_sigma) of every row of ``x`` (images, or uint8 pixels), computed batch by batch."""
    check_images(x, "x", unit_interval=False)
    check_positive_int(batch_size, "batch_size")
    pairs = [model.encode(batch) for batch in iterate_batches(x, batch_size, shuffle=False)]
    return torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])


def binarized_test_set(seed: int = 0) -> torch.Tensor:
    """The 10,000 MNIST test images, each pixel drawn once as Bernoulli(grey level) with ``seed``, (10000, 784)."""
    return binarize(load_mnist("test").images, torch.Generator().manual_seed(seed))


def shipped_results(path: str | Path = RESULTS_FILE) -> dict:
    """The test-set measurements of the shipped models, keyed by model name (see tools/evaluate_models.py)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; recompute it with `python tools/evaluate_models.py`")
    return json.loads(path.read_text())
