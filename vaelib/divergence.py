"""The Kullback-Leibler divergence: computed several ways, and what minimizing it does.

KL(p || q) = E_{x~p}[log p(x) - log q(x)] (Kullback & Leibler, 1951), in nats (natural logs).
Inside: the discrete sum; numerical integration with ``scipy.integrate.quad``; a Monte Carlo
estimate with its standard error; the closed form between two 1-D Gaussians (derived symbolically
in notebook 04); fitting one Gaussian to a two-component mixture by minimizing the forward or the
reverse KL (mode covering versus mode seeking, Bishop 2006, section 10.1.2); and the penalty
KL(N(mu, sigma^2) || N(0, 1)) of the VAE as a function of (mu, log_sigma), with its gradient flow.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy import integrate, optimize
from scipy.special import logsumexp

from .losses import kl_to_standard_normal

LogPdf = Callable[[np.ndarray], np.ndarray]


def kl_discrete(p, q) -> float:
    """KL(p || q) = sum_i p_i log(p_i / q_i) for probability vectors; terms with p_i = 0 count 0.

    Returns ``inf`` when some p_i > 0 has q_i = 0 (q calls impossible what p says can happen).
    """
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if p.ndim != 1 or p.shape != q.shape:
        raise ValueError(f"p and q must be 1-D and of the same length, got shapes {p.shape} and {q.shape}")
    for name, v in (("p", p), ("q", q)):
        if np.any(~np.isfinite(v)) or np.any(v < 0) or not math.isclose(v.sum(), 1.0, abs_tol=1e-9):
            raise ValueError(f"{name} must be non-negative and sum to 1, got {v}")
    support = p > 0
    if np.any(q[support] == 0):
        return math.inf
    return float(np.sum(p[support] * np.log(p[support] / q[support])))


@dataclass(frozen=True)
class GaussianMixture1D:
    """A 1-D mixture sum_k w_k N(means_k, sigmas_k^2)."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    sigmas: tuple[float, ...]

    def __post_init__(self):
        w, s = np.asarray(self.weights, float), np.asarray(self.sigmas, float)
        if not (len(self.weights) == len(self.means) == len(self.sigmas) >= 1):
            raise ValueError("weights, means and sigmas must be non-empty and of equal length")
        if np.any(w <= 0) or not math.isclose(w.sum(), 1.0, abs_tol=1e-9) or np.any(s <= 0):
            raise ValueError(f"weights must be positive and sum to 1, sigmas positive; got {self}")

    def logpdf(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)[..., None]  # (..., 1) against (K,)
        mu, sigma = np.asarray(self.means), np.asarray(self.sigmas)
        log_normal = -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * math.log(2 * math.pi)
        return logsumexp(log_normal + np.log(self.weights), axis=-1)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        component = rng.choice(len(self.weights), size=n, p=self.weights)
        return rng.normal(np.asarray(self.means)[component], np.asarray(self.sigmas)[component])

    def mean(self) -> float:
        return float(np.dot(self.weights, self.means))

    def std(self) -> float:
        second = np.dot(self.weights, np.square(self.sigmas) + np.square(self.means))
        return float(math.sqrt(second - self.mean() ** 2))

    def interval(self, width: float = 12.0) -> tuple[float, float]:
        """A range holding all but a negligible tail: ``width`` sigmas beyond the outermost components."""
        mu, sigma = np.asarray(self.means), np.asarray(self.sigmas)
        return float(np.min(mu - width * sigma)), float(np.max(mu + width * sigma))


def gaussian_logpdf(mu: float, sigma: float) -> LogPdf:
    """log N(x; mu, sigma^2) as a function of x."""
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}")
    return lambda x: -0.5 * ((np.asarray(x, float) - mu) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)


def kl_quadrature(logpdf_p: LogPdf, logpdf_q: LogPdf, lower: float, upper: float, points=None) -> float:
    """KL(p || q) = integral of p (log p - log q) over [lower, upper] by adaptive quadrature.

    Choose the interval to hold all but a negligible part of p's mass; ``points`` (e.g. the modes)
    tell the integrator where the integrand is concentrated.
    """
    if not lower < upper:
        raise ValueError(f"need lower < upper, got {lower} and {upper}")

    def integrand(x):
        log_p = logpdf_p(x)
        return math.exp(log_p) * (log_p - logpdf_q(x)) if log_p > -745 else 0.0  # exp underflows below

    value, _ = integrate.quad(integrand, lower, upper, points=points, limit=500, epsabs=1e-11, epsrel=1e-10)
    return float(value)


def _kl_on_grid(logpdf_p: LogPdf, logpdf_q: LogPdf, x: np.ndarray) -> float:
    """KL(p || q) by Simpson's rule on the evenly spaced points ``x``."""
    log_p = logpdf_p(x)
    return float(integrate.simpson(np.exp(log_p) * (log_p - logpdf_q(x)), x=x))


@dataclass(frozen=True)
class MonteCarloEstimate:
    """A sample mean with its standard error (the standard deviation of the mean)."""

    value: float
    standard_error: float
    n: int


def kl_monte_carlo(
    sample_p: Callable[[int, np.random.Generator], np.ndarray],
    logpdf_p: LogPdf,
    logpdf_q: LogPdf,
    n: int,
    rng: np.random.Generator,
) -> MonteCarloEstimate:
    """Estimate KL(p || q) as the mean of log p(x) - log q(x) over ``n`` draws x ~ p."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    x = sample_p(n, rng)
    log_ratio = logpdf_p(x) - logpdf_q(x)  # (n,)
    return MonteCarloEstimate(float(log_ratio.mean()), float(log_ratio.std(ddof=1) / math.sqrt(n)), n)


def kl_gaussians(mu_p, sigma_p, mu_q, sigma_q):
    """Closed form of KL(N(mu_p, sigma_p^2) || N(mu_q, sigma_q^2)) in 1-D (broadcasts over arrays).

    log(sigma_q / sigma_p) + (sigma_p^2 + (mu_p - mu_q)^2) / (2 sigma_q^2) - 1/2; notebook 04 derives it.
    """
    sigma_p, sigma_q = np.asarray(sigma_p, float), np.asarray(sigma_q, float)
    if np.any(sigma_p <= 0) or np.any(sigma_q <= 0):
        raise ValueError("sigma_p and sigma_q must be positive")
    delta = np.asarray(mu_p, float) - np.asarray(mu_q, float)
    return np.log(sigma_q / sigma_p) + (sigma_p**2 + delta**2) / (2 * sigma_q**2) - 0.5


@dataclass(frozen=True)
class GaussianFit:
    """The Gaussian N(mu, sigma^2) found by minimizing a KL, and that KL's value."""

    mu: float
    sigma: float
    kl: float


def fit_gaussian(target: GaussianMixture1D, direction: str, mu_init: float, sigma_init: float = 1.0) -> GaussianFit:
    """Fit q = N(mu, sigma^2) to ``target`` p by minimizing KL(p || q) ("forward") or KL(q || p) ("reverse").

    Nelder-Mead over (mu, log sigma) from the given start, each KL by Simpson's rule on 4001 points
    (vectorized, so a fit takes a fraction of a second; :func:`kl_quadrature` checks it in the tests). The reverse KL has
    one local minimum per well-separated mode: the start decides which one is found.
    """
    if direction not in ("forward", "reverse"):
        raise ValueError(f"direction must be 'forward' or 'reverse', got {direction!r}")
    lower, upper = target.interval()

    def objective(params):
        mu, log_sigma = params
        q = gaussian_logpdf(mu, math.exp(log_sigma))
        if direction == "forward":
            return _kl_on_grid(target.logpdf, q, np.linspace(lower, upper, 4001))
        width = 12 * math.exp(log_sigma)
        return _kl_on_grid(q, target.logpdf, np.linspace(mu - width, mu + width, 4001))

    result = optimize.minimize(
        objective,
        x0=[mu_init, math.log(sigma_init)],
        method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-12, "maxiter": 4000},
    )
    return GaussianFit(mu=float(result.x[0]), sigma=float(math.exp(result.x[1])), kl=float(result.fun))


def kl_landscape(mu: np.ndarray, log_sigma: np.ndarray) -> np.ndarray:
    """KL(N(mu, sigma^2) || N(0, 1)) on the grid of 1-D ``mu`` (columns) by ``log_sigma`` (rows)."""
    grid_mu, grid_log_sigma = np.meshgrid(np.asarray(mu, float), np.asarray(log_sigma, float))  # (rows, cols)
    kl = kl_to_standard_normal(
        torch.from_numpy(grid_mu.reshape(-1, 1)), torch.from_numpy(grid_log_sigma.reshape(-1, 1))
    )
    return kl.numpy().reshape(grid_mu.shape)


def kl_gradient_flow(mu: np.ndarray, log_sigma: np.ndarray, step: float, num_steps: int) -> np.ndarray:
    """Plain gradient descent on KL(N(mu, sigma^2) || N(0, 1)) alone, from each start (mu_i, log_sigma_i).

    Returns the path, shape (num_steps + 1, n, 2) holding (mu, log_sigma); gradients by autograd.
    """
    if not step > 0 or isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 1:
        raise ValueError(f"need step > 0 and an int num_steps >= 1, got {step!r} and {num_steps!r}")
    params = torch.tensor(np.stack([mu, log_sigma], axis=1), dtype=torch.float64, requires_grad=True)  # (n, 2)
    path = [params.detach().clone()]
    for _ in range(num_steps):
        kl = kl_to_standard_normal(params[:, :1], params[:, 1:]).sum()
        (grad,) = torch.autograd.grad(kl, params)
        with torch.no_grad():
            params -= step * grad
        path.append(params.detach().clone())
    return torch.stack(path).numpy()


def overlap(mu_a: float, sigma_a: float, mu_b: float, sigma_b: float) -> float:
    """Shared probability mass of two 1-D Gaussians, integral of min(p_a, p_b): 1 if equal, 0 if disjoint."""
    log_a, log_b = gaussian_logpdf(mu_a, sigma_a), gaussian_logpdf(mu_b, sigma_b)
    lower = min(mu_a - 12 * sigma_a, mu_b - 12 * sigma_b)
    upper = max(mu_a + 12 * sigma_a, mu_b + 12 * sigma_b)
    value, _ = integrate.quad(lambda x: math.exp(min(log_a(x), log_b(x))), lower, upper, points=[mu_a, mu_b], limit=500)
    return float(value)
