"""Two Monte Carlo estimators of the gradient of an expectation, and SymPy proofs of why they work.

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

:func:`gaussian_expectation` integrates a polynomial against a Gaussian density in SymPy (one
monomial at a time, each integral cached), which is enough to prove both gradient identities for any
polynomial f of a given degree with symbolic coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import sympy as sp
import torch

from .losses import bernoulli_nll
from .models import VAE
from .checks import NOT_ATTEMPTED, check_close
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


@lru_cache(maxsize=256)
def _monomial_expectation(k: int, mean: sp.Expr, std: sp.Expr) -> sp.Expr:
    """E[v^k] for v ~ N(mean, std^2), by integrating against the density."""
    v = sp.Dummy("v", real=True)
    density = sp.exp(-((v - mean) ** 2) / (2 * std**2)) / sp.sqrt(2 * sp.pi * std**2)
    return sp.simplify(sp.integrate(v**k * density, (v, -sp.oo, sp.oo)))


def gaussian_expectation(expr: sp.Expr, variable: sp.Symbol, mean=0, std=1) -> sp.Expr:
    """E[expr] for ``variable`` ~ N(mean, std^2), where ``expr`` is a polynomial in ``variable``.

    Coefficients may be symbols (e.g. mu, sigma, a_k). Declare ``std`` positive (``positive=True``)
    so SymPy can evaluate the integrals.
    """
    mean, std = sp.sympify(mean), sp.sympify(std)
    try:
        poly = sp.Poly(sp.expand(expr), variable)
    except sp.PolynomialError as exc:
        raise ValueError(f"gaussian_expectation needs a polynomial in {variable}, got {expr}") from exc
    return sp.expand(sum(coeff * _monomial_expectation(k, mean, std) for (k,), coeff in poly.terms()))


# ---- exercise checks of notebook 05 (each computes its reference itself) ----


def check_cubic_gradient(answer) -> bool:
    """Exercise: the exact d/dmu E[z^3] for z ~ N(1, 2^2)."""
    z, mu = sp.symbols("z mu", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    expected = sp.diff(gaussian_expectation(z**3, z, mu, sigma), mu).subs({mu: 1, sigma: 2})
    return check_close("d/dmu E[z^3]", answer, float(expected), rtol=1e-6,
                       hint="Expand E[(mu + sigma*eps)^3] using E[eps] = E[eps^3] = 0 and E[eps^2] = 1, then differentiate.")


def check_sigma_gradient_of_quartic(answer) -> bool:
    """Exercise: d/dsigma E[z^4] for z ~ N(mu, sigma^2), as a SymPy expression in mu and sigma."""
    name = "d/dsigma E[z^4]"
    if answer is None:
        print(f"{name}: {NOT_ATTEMPTED}")
        return None  # nothing to show under the cell: the learner has not answered yet
    z, mu = sp.symbols("z mu", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    expected = sp.diff(gaussian_expectation(z**4, z, mu, sigma), sigma)
    answer = sp.sympify(answer)
    unknown = {s.name for s in answer.free_symbols} - {"mu", "sigma"}
    if unknown:
        raise AssertionError(f"{name}: the answer should depend only on symbols named mu and sigma, found {sorted(unknown)}")
    answer = answer.subs({s: {"mu": mu, "sigma": sigma}[s.name] for s in answer.free_symbols})
    if sp.simplify(answer - expected) != 0:
        raise AssertionError(f"{name}: got {answer}, which is not the derivative. Hint: E[eps^4] = 3; "
                             "or let gaussian_expectation do the integral and sp.diff the result.")
    print(f"{name}: correct.")
    return True


def check_baseline(answer) -> bool:
    """Exercise: a baseline b that makes the score-function estimate of d/dmu E[z^2 + 10] at mu = 0.5,
    sigma = 1 at least 5 times less variable than b = 0."""
    name = "baseline"
    if answer is None:
        print(f"{name}: {NOT_ATTEMPTED}")
        return None  # nothing to show under the cell: the learner has not answered yet
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        raise AssertionError(f"{name}: expected a number, got {type(answer).__name__}")

    def variance(b: float) -> float:
        estimates = estimate_gradients(lambda z: (z**2 + 10).sum(-1), torch.tensor([0.5]), torch.tensor([1.0]),
                                       1, 20000, torch.Generator().manual_seed(0), "score", baseline=b)
        return estimates.mu.var().item()

    ratio = variance(0.0) / variance(float(answer))
    if ratio < 5:
        effect = (f"reduces the variance only {ratio:.1f}-fold" if ratio >= 1
                  else f"makes the variance {1 / ratio:.0f} times larger")
        raise AssertionError(f"{name}: b = {answer} {effect} (need 5 times smaller). "
                             "Hint: subtract roughly the typical value of f(z), i.e. about E[f(z)].")
    print(f"{name}: correct (variance {ratio:.0f} times smaller than without a baseline).")
    return True
