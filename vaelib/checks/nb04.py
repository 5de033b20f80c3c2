"""Exercise checks of notebook 04 (the Gaussian KL): a wider prior, both directions, the log-variance form."""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch
from torch.distributions import Normal, kl_divergence

from ..derive import kl_gaussian_integral
from ..losses import kl_to_standard_normal
from .core import close, exercise, fail, swapped_hint, symbolic


@exercise(4, 1)
def kl_wider_prior(name: str, answer) -> None:
    """Exercise 04.1: KL(N(mu, sigma^2) || N(0, lambda^2)) as a SymPy expression in mu, sigma, lambda."""
    mu, sigma, lam = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True), sp.Symbol("lambda", positive=True)
    symbols = {"mu": (("mu", "μ"), "real"), "sigma": (("sigma", "σ"), "positive"),
               "lambda": (("lambda", "lam", "λ"), "positive")}
    symbolic(name, answer, kl_gaussian_integral(mu, sigma, 0, lam), symbols,
             "Use the symbols mu = sp.Symbol('mu', real=True), sigma = sp.Symbol('sigma', positive=True) and "
             "lam = sp.Symbol('lambda', positive=True), and the two-Gaussian formula with mu_2 = 0, sigma_2 = lambda.")


@exercise(4, 2)
def reverse_kl(name: str, answer) -> None:
    """Exercise 04.2: [KL(q || p), KL(p || q)] in nats for q = N(2, 0.5^2) and p = N(0, 1)."""
    q, p = Normal(2.0, 0.5), Normal(0.0, 1.0)
    expected = np.array([kl_divergence(q, p).item(), kl_divergence(p, q).item()])
    hint = ("In log(sigma_2 / sigma_1) + (sigma_1^2 + (mu_1 - mu_2)^2) / (2 sigma_2^2) - 1/2 the first argument "
            "is N(mu_1, sigma_1^2).")
    close(name, answer, expected, rtol=1e-4, hint=swapped_hint(answer, expected, hint, "KL(q || p)", "KL(p || q)", 1e-4))


@exercise(4, 3)
def kl_from_log_variance(name: str, answer) -> None:
    """Exercise 04.3: a function (mu, log_var) -> KL(N(mu, diag exp(log_var)) || N(0, I)) per row."""
    if not callable(answer):
        fail(name, f"expected a function of (mu, log_var), got {type(answer).__name__}")
    g = torch.Generator().manual_seed(0)
    mu, log_var = torch.randn(2, 8, 5, generator=g, dtype=torch.float64)
    close(name, answer(mu, log_var), kl_to_standard_normal(mu, 0.5 * log_var), rtol=1e-6,  # log sigma = log_var / 2
          hint="sigma^2 = exp(log_var) and log sigma^2 = log_var; sum over dim=1, one value per row.")
