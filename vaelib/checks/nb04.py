"""Exercise checks of notebook 04 (the Gaussian KL): a wider prior, the other direction, the log-variance form.

``_symbolic_mistake`` (also used by the checks of notebooks 03 and 05) names the mistake a SymPy answer makes: it
compares the answer, at random points, with the results of the usual mistakes.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch

from ..derive import kl_gaussian_closed_form, kl_gaussian_integral
from ..losses import kl_to_standard_normal
from .core import call_learner, close, diagnose, exercise, fail, symbolic

_MU, _SIGMA, _LAM = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True), sp.Symbol("lambda", positive=True)
_SYMBOLS = {"mu": (("mu", "μ"), "real"), "sigma": (("sigma", "σ"), "positive")}


def _symbolic_mistake(answer, variants: dict, symbols: dict) -> str:
    """The first mistake in ``variants`` (sentence -> SymPy expression) whose values match the answer at
    four random points, or "" (also when the answer is not a SymPy expression over ``symbols``).

    ``symbols`` maps each name to (accepted spellings, "real" or "positive"), as ``core.symbolic`` takes it.
    """
    try:
        got = sp.sympify(answer, strict=True)
    except (sp.SympifyError, TypeError):
        return ""
    by_name = {alias: key for key, (aliases, _) in symbols.items() for alias in aliases}
    if not isinstance(got, sp.Expr) or any(str(s) not in by_name for s in got.free_symbols):
        return ""
    rng = np.random.default_rng(1)
    points = [
        {key: rng.uniform(-2.0, 2.0) if kind == "real" else rng.uniform(0.3, 2.5) for key, (_, kind) in symbols.items()}
        for _ in range(4)
    ]

    def values(expr, rename):
        return [complex(expr.subs({s: point[rename(s)] for s in expr.free_symbols}).evalf()) for point in points]

    mine = values(got, lambda s: by_name[str(s)])
    for mistake, expr in variants.items():
        if np.allclose(mine, values(sp.sympify(expr), lambda s: str(s)), rtol=1e-9, atol=1e-12):
            return mistake
    return ""


@exercise(4, 1)
def kl_wider_prior(name: str, answer) -> None:
    """Exercise 04.1: KL(N(mu, sigma^2) || N(0, lambda^2)) as a SymPy expression in mu, sigma, lambda."""
    symbols = {**_SYMBOLS, "lambda": (("lambda", "lam", "λ"), "positive")}
    expected = kl_gaussian_integral(_MU, _SIGMA, 0, _LAM)
    mistake = _symbolic_mistake(
        answer,
        {
            "that is KL(N(0, lambda^2) || N(mu, sigma^2)), the other direction: the first argument is the encoder's "
            "N(mu, sigma^2)": kl_gaussian_closed_form(0, _LAM, _MU, _SIGMA),
            "the sign: a KL divergence is never negative": -expected,
            "the squared distance and sigma^2 are divided by the prior's variance lambda^2, not by lambda": sp.log(
                _LAM / _SIGMA
            )
            + (_SIGMA**2 + _MU**2) / (2 * _LAM)
            - sp.Rational(1, 2),
            "the log term is log(sigma_2 / sigma_1) = log(lambda / sigma), not log(sigma / lambda)": sp.log(
                _SIGMA / _LAM
            )
            + (_SIGMA**2 + _MU**2) / (2 * _LAM**2)
            - sp.Rational(1, 2),
        },
        symbols,
    )
    if mistake:
        fail(name, mistake + ".")
    symbolic(
        name,
        answer,
        expected,
        symbols,
        "Use the symbols mu = sp.Symbol('mu', real=True), sigma = sp.Symbol('sigma', positive=True) and "
        "lam = sp.Symbol('lambda', positive=True), and the two-Gaussian formula with mu_2 = 0, sigma_2 = lambda.",
    )


@exercise(4, 2)
def prior_against_encoder(name: str, answer) -> None:
    """Exercise 04.2: KL(N(0, 1) || N(mu, sigma^2)), the prior measured against the encoder's Gaussian,
    as a SymPy expression in mu and sigma."""
    expected = kl_gaussian_closed_form(0, 1, _MU, _SIGMA)  # log sigma + (1 + mu^2) / (2 sigma^2) - 1/2
    mistake = _symbolic_mistake(
        answer,
        {
            "that is KL(N(mu, sigma^2) || N(0, 1)), the VAE's own direction; here the prior N(0, 1) comes first: "
            "mu_1 = 0, sigma_1 = 1, mu_2 = mu, sigma_2 = sigma": kl_gaussian_closed_form(_MU, _SIGMA, 0, 1),
            "the sign: a KL divergence is never negative": -expected,
            "the log term is log(sigma_2 / sigma_1) = log(sigma / 1): here it is + log sigma": -sp.log(_SIGMA)
            + (1 + _MU**2) / (2 * _SIGMA**2)
            - sp.Rational(1, 2),
            "1 + mu^2 is divided by the second argument's variance, 2 sigma^2, not by 2 sigma": sp.log(_SIGMA)
            + (1 + _MU**2) / (2 * _SIGMA)
            - sp.Rational(1, 2),
            "the log term log(sigma_2 / sigma_1) = log sigma is missing": (1 + _MU**2) / (2 * _SIGMA**2)
            - sp.Rational(1, 2),
        },
        _SYMBOLS,
    )
    if mistake:
        fail(name, mistake + ".")
    symbolic(
        name,
        answer,
        expected,
        _SYMBOLS,
        "In log(sigma_2 / sigma_1) + (sigma_1^2 + (mu_1 - mu_2)^2) / (2 sigma_2^2) - 1/2 the first argument is "
        "N(mu_1, sigma_1^2) = N(0, 1); use mu = sp.Symbol('mu', real=True) and "
        "sigma = sp.Symbol('sigma', positive=True).",
    )


@exercise(4, 3)
def kl_from_log_variance(name: str, answer) -> None:
    """Exercise 04.3: a function (mu, log_var) -> KL(N(mu, diag exp(log_var)) || N(0, I)) per row."""
    g = torch.Generator().manual_seed(0)
    mu, log_var = torch.randn(2, 8, 5, generator=g, dtype=torch.float64)
    got = call_learner(name, answer, mu, log_var)
    expected = kl_to_standard_normal(mu, 0.5 * log_var)  # log sigma = log_var / 2
    per_dim = 0.5 * (mu.square() + log_var.exp() - log_var - 1)  # (8, 5)
    mistake = (
        diagnose(
            got,
            {
                "the sign: this is -KL, never positive; the KL is +1/2 sum (mu^2 + sigma^2 - log sigma^2 - 1)": -expected,
                "log_var was used as log sigma; it is log sigma^2, so sigma^2 = exp(log_var) and log sigma^2 = log_var": kl_to_standard_normal(
                    mu, log_var
                ),
                "the factor 1/2 in front of the sum is missing": 2 * expected,
                "the mean over the K dimensions was taken; the KL of independent dimensions is their sum": per_dim.mean(
                    1
                ),
                "one value per dimension: sum over dim=1 to get one value per row": per_dim,
            },
        )
        if torch.is_tensor(got)
        else ""
    )
    if mistake:
        fail(name, mistake + ".")
    close(
        name,
        got,
        expected,
        rtol=1e-6,
        hint="sigma^2 = exp(log_var) and log sigma^2 = log_var; sum over dim=1, one value per row.",
    )
