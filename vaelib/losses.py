"""The VAE objective: Bernoulli reconstruction NLL and the closed-form Gaussian KL.

Units, everywhere in this module: **nats per example**. Each per-example quantity is *summed* over
pixels (reconstruction) or latent dimensions (KL); a batch is reduced by *averaging* over its
examples. Averaging over pixels instead would divide the reconstruction term by 784 and so weigh
the KL term 784 times more heavily: a different objective, not just a different scale.

The negative ELBO of one example x is
    -ELBO(x) = E_q[-log p(x|z)] + KL(q(z|x) || p(z)),
with q(z|x) = N(mu, diag(sigma^2)), p(z) = N(0, I), and the expectation estimated with one
reparameterized sample (Kingma & Welling, 2013, eq. 10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .validation import check_beta, check_same_shape, check_tensor, check_unit_interval

LOG_2PI = math.log(2.0 * math.pi)  # the constant of every Gaussian log-density


@dataclass(frozen=True)
class ELBOTerms:
    """Parts of the negative ELBO, each in nats per example (batch mean unless reduction='none')."""

    reconstruction: torch.Tensor  # E_q[-log p(x|z)], one-sample estimate
    kl: torch.Tensor  # KL(q(z|x) || p(z)), exact
    total: torch.Tensor  # reconstruction + beta * kl


def kl_per_dimension(mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """KL(N(mu_k, sigma_k^2) || N(0, 1)) of every example and latent dimension k, in nats: (batch, latent_dim).

    Closed form (derived in notebook 04): 1/2 (mu_k^2 + sigma_k^2 - 2 log sigma_k - 1).
    Written as mu^2 + expm1(2 log_sigma) - 2 log_sigma so that it stays accurate near sigma = 1,
    where sigma^2 - 1 - log sigma^2 would cancel to float32 rounding noise. ``.mean(0)`` gives the KL
    each latent unit carries on average (notebook 08: units near 0 have collapsed to the prior).
    """
    check_tensor(mu, "mu", ndim=2)
    check_tensor(log_sigma, "log_sigma", ndim=2)
    check_same_shape(mu, log_sigma, "mu", "log_sigma")
    two_log_sigma = 2.0 * log_sigma
    return 0.5 * (mu.square() + torch.expm1(two_log_sigma) - two_log_sigma)


def kl_to_standard_normal(mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(sigma^2)) || N(0, I)) per example, in nats, summed over latent dimensions.

    Args:
        mu, log_sigma: (batch, latent_dim).
    Returns:
        (batch,) tensor of KL values >= 0 (the sum of :func:`kl_per_dimension` over k).
    """
    return kl_per_dimension(mu, log_sigma).sum(dim=1)


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) for independent Bernoulli pixels, per example, in nats, summed over pixels.

    For pixel value x in [0, 1] and logit l this is softplus(l) - x * l, the binary cross-entropy
    with logits. For binary x it is an exact negative log-likelihood; for grey levels it is a
    cross-entropy, not a normalized density (Loaiza-Ganem & Cunningham, 2019, "The continuous
    Bernoulli"), which is why only binarized numbers compare with papers (notebook 08).
    Computed from logits so that l = +-100 gives finite, exact values.

    Args:
        logits: (batch, num_pixels) decoder outputs.
        x: (batch, num_pixels) targets in [0, 1].
    Returns:
        (batch,) tensor.
    """
    check_tensor(logits, "logits", ndim=2)
    check_tensor(x, "x", ndim=2)
    check_same_shape(logits, x, "logits", "x")
    check_unit_interval(x, "x")  # grey levels 0..255 would give negative "likelihoods" without complaint
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)


def negative_elbo(
    logits: torch.Tensor,
    x: torch.Tensor,
    mu: torch.Tensor,
    log_sigma: torch.Tensor,
    beta: float = 1.0,
    reduction: str = "mean",
    nll=bernoulli_nll,
) -> ELBOTerms:
    """The VAE loss: reconstruction NLL + beta * KL, in nats per example.

    Args:
        logits: decoder outputs for one sample z ~ q(z|x), (batch, num_pixels): Bernoulli logits, or
            the parameters of another likelihood together with its ``nll``.
        x: targets in [0, 1], (batch, num_pixels).
        mu, log_sigma: encoder outputs, (batch, latent_dim).
        beta: weight of the KL term (beta = 1 is the ELBO; Higgins et al. 2017 for beta != 1).
        reduction: ``"mean"`` averages over the batch; ``"none"`` returns per-example values.
        nll: -log p(x|z) per example from (decoder outputs, x); Bernoulli by default.
    """
    beta = check_beta(beta)
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
    if logits.shape[0] != mu.shape[0]:
        raise ValueError(f"logits and mu must have the same batch size, got {logits.shape[0]} and {mu.shape[0]}")
    reconstruction = nll(logits, x)  # (batch,)
    kl = kl_to_standard_normal(mu, log_sigma)  # (batch,)
    total = reconstruction + beta * kl
    if reduction == "mean":
        reconstruction, kl, total = reconstruction.mean(), kl.mean(), total.mean()
    return ELBOTerms(reconstruction=reconstruction, kl=kl, total=total)
