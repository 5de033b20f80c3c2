"""Two Monte Carlo estimators of the gradient of an expectation: the score function and the pathwise one.

The quantity is g = d/d(mu, sigma) E_{z ~ N(mu, sigma^2)}[f(z)], per latent dimension.

* Score function (REINFORCE; Williams 1992, Glynn 1990): g = E[f(z) * d/d(mu, sigma) log q(z)].
  Only needs values of f, but every sample is weighted by the whole value f(z).
* Pathwise (the reparameterization trick; Kingma & Welling 2013, Rezende et al. 2014):
  z = mu + sigma * eps with eps ~ N(0, 1), so g = E[d/d(mu, sigma) f(mu + sigma * eps)].
  Needs f to be differentiable, and uses its slope.

Both are unbiased; their variances differ, often by orders of magnitude (Mohamed, Rosca, Figurnov &
Mnih 2020, "Monte Carlo Gradient Estimation in Machine Learning", JMLR). Both estimators here are
computed with autograd, as in a real model: the pathwise one differentiates through the sample, the
score-function one differentiates a surrogate (f(z) - baseline) * log q(z) with f(z) held constant.

Notebook 05 checks the two gradient identities symbolically with :func:`vaelib.derive.gaussian_expectation`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .losses import bernoulli_nll
from .models import VAE
from .validation import check_positive_int, check_tensor

METHODS = ("pathwise", "score")


@dataclass(frozen=True)
class GradientEstimates:
    """Independent estimates of (d/dmu, d/dsigma) E[f(z)]: each (num_estimates, latent_dim)."""

    mu: torch.Tensor
    sigma: torch.Tensor


def estimate_gradients(
    f: Callable[[torch.Tensor], torch.Tensor],
    mu: torch.Tensor,
    sigma: torch.Tensor,
    num_samples: int,
    num_estimates: int,
    generator: torch.Generator,
    method: str = "pathwise",
    baseline: float = 0.0,
    max_samples_per_pass: int = 4096,
) -> GradientEstimates:
    """``num_estimates`` independent gradient estimates, each averaging ``num_samples`` samples.

    Args:
        f: maps z of shape (..., latent_dim) to one value per sample, shape (...).
        mu, sigma: (latent_dim,) parameters of q(z) = N(mu, diag(sigma^2)); sigma > 0.
        method: ``"pathwise"`` (reparameterization) or ``"score"`` (REINFORCE).
        baseline: constant subtracted from f(z) in the score-function estimator (a control
            variate: it leaves the mean unchanged); ignored by the pathwise estimator.
        max_samples_per_pass: memory bound: estimates are computed in groups of at most this many
            samples (the noise is drawn once up front, so the result does not depend on it).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    check_positive_int(num_samples, "num_samples")
    check_positive_int(num_estimates, "num_estimates")
    check_positive_int(max_samples_per_pass, "max_samples_per_pass")
    check_tensor(mu, "mu", ndim=1)
    check_tensor(sigma, "sigma", ndim=1)
    if mu.shape != sigma.shape or not (sigma > 0).all():
        raise ValueError(f"mu and sigma must have the same shape and sigma > 0, got {tuple(mu.shape)}, {sigma}")
    eps = torch.randn(num_estimates, num_samples, mu.shape[0], generator=generator, dtype=mu.dtype)  # (E, S, d)
    rows = max(1, max_samples_per_pass // num_samples)  # estimates per autograd pass, to bound memory
    parts = [_estimate(f, mu, sigma, eps[i : i + rows], method, baseline) for i in range(0, num_estimates, rows)]
    return GradientEstimates(mu=torch.cat([p[0] for p in parts]), sigma=torch.cat([p[1] for p in parts]))


def _estimate(f, mu, sigma, eps, method, baseline) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradient estimates for the noise ``eps`` (E, S, d): each row of E gives one estimate."""
    # one copy of (mu, sigma) per estimate, so one backward pass gives every estimate's own gradient
    mu_r = mu.detach().expand(eps.shape[0], -1).clone().requires_grad_(True)  # (E, d)
    sigma_r = sigma.detach().expand(eps.shape[0], -1).clone().requires_grad_(True)
    if method == "pathwise":
        z = mu_r[:, None, :] + sigma_r[:, None, :] * eps  # gradients flow through z
        objective = f(z).mean(dim=1).sum()
    else:
        with torch.no_grad():
            z = mu_r[:, None, :] + sigma_r[:, None, :] * eps  # a plain sample: no gradient path
            weight = f(z) - baseline  # (E, S), a constant for autograd
        log_q = torch.distributions.Normal(mu_r[:, None, :], sigma_r[:, None, :]).log_prob(z).sum(dim=-1)
        objective = (weight * log_q).mean(dim=1).sum()  # surrogate whose gradient is the estimator
    grad_mu, grad_sigma = torch.autograd.grad(objective, (mu_r, sigma_r))
    return grad_mu, grad_sigma


def decoder_log_likelihood(model: VAE, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """f(z) = log p(x | z) in nats for one image ``x`` (784,), through ``model``'s decoder.

    The returned function takes z of shape (..., latent_dim) and returns shape (...).
    """
    check_tensor(x, "x", ndim=1, last_dim=model.config.input_dim)

    def f(z: torch.Tensor) -> torch.Tensor:
        flat = z.reshape(-1, z.shape[-1])  # (n, latent_dim)
        logits = model.decode(flat)  # (n, input_dim)
        return -bernoulli_nll(logits, x.expand_as(logits)).reshape(z.shape[:-1])

    return f
