"""Exercise checks of notebook 03 (the ELBO): a Monte Carlo ELBO, the optimal q, the gap at double width."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch

from ..linear_gaussian import LinearGaussian, symbolic_model
from .core import close, correct, diagnose, exercise, fail, symbolic, to_numpy
from .nb04 import _symbolic_mistake

_MODEL = {"w": 2.0, "b": 0.5, "s": 0.8}  # the scalar linear-Gaussian model of notebook 03
_X = 1.5


def _number(answer) -> bool:
    try:
        return np.size(to_numpy(answer)) == 1
    except (TypeError, ValueError):
        return False


@exercise(3, 1)
def monte_carlo_elbo(name: str, answer) -> None:
    """Exercise 03.1: a Monte Carlo estimate of the ELBO of q = N(0, 0.5^2), model w=2, b=0.5, s=0.8, x=1.5."""
    one = torch.ones(1, 1, dtype=torch.float64)
    model = LinearGaussian.scalar(**_MODEL)
    expected = model.elbo(_X * one, 0.0 * one, 0.5 * one).item()
    log_px = model.log_evidence(_X * one).item()
    mistake = (
        diagnose(
            answer,
            {
                "that is log p(x), not the ELBO: you took the log of the average ratio p(x, z) / q(z|x); the ELBO is the "
                "average of the log-ratio": log_px,
                "that is p(x) itself: you averaged the ratio p(x, z) / q(z|x); the ELBO averages its logarithm": math.exp(
                    log_px
                ),
                "the sign: that is the loss, minus the ELBO": -expected,
            },
            rtol=0,
            atol=0.02,
        )
        if _number(answer)
        else ""
    )
    if mistake:
        fail(name, mistake + ".")
    close(
        name,
        answer,
        expected,
        rtol=0,
        atol=0.02,
        hint="Draw z = mu + sigma * eps of shape (samples, n, K) = (100000, 1, 1) and average "
        "log p(x, z) - log q(z | x) over the draws (the logs, not the ratio p / q).",
    )


@exercise(3, 2)
def optimal_q(name: str, answer) -> None:
    """Exercise 03.2: (mu, sigma) maximizing the ELBO of the scalar linear-Gaussian model, in x, w, b, s."""
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2):
        fail(name, f"expected a pair (mu, sigma) of SymPy expressions, got {answer!r}")
    z, x, w, b = sp.symbols("z x w b", real=True)
    s = sp.Symbol("s", positive=True)
    model = symbolic_model(z, x, w, b, s)
    symbols = {"x": (("x",), "real"), "w": (("w",), "real"), "b": (("b",), "real"), "s": (("s",), "positive")}
    hint = (
        "Solve d ELBO / d mu = 0 and d ELBO / d sigma = 0 for (mu, sigma) with the notebook's symbols: "
        "x, w, b, mu real; s, sigma positive. The answer may contain only x, w, b and s."
    )
    mistake = _symbolic_mistake(
        answer[0],
        {
            "mu: (x - b) / w is the code that explains x with no noise; the prior N(0, 1) pulls the best mean towards 0": (
                x - b
            )
            / w,
        },
        symbols,
    )
    if mistake:
        fail(name, mistake + ".")
    symbolic(f"{name} (mu)", answer[0], model.posterior_mean, symbols, hint, report=False)
    mistake = _symbolic_mistake(
        answer[1],
        {
            "sigma: that is the posterior's variance; sigma is its standard deviation, the square root": model.posterior_std
            ** 2,
            "sigma: s is the decoder's noise; the posterior is narrower, s / sqrt(w^2 + s^2)": s,
        },
        symbols,
    )
    if mistake:
        fail(name, mistake + ".")
    symbolic(f"{name} (sigma)", answer[1], model.posterior_std, symbols, hint, report=False)
    correct(name)


@exercise(3, 3)
def gap_at_double_width(name: str, answer) -> None:
    """Exercise 03.3: log p(x) - ELBO in nats when q has the posterior's mean and twice its standard deviation."""
    model = LinearGaussian.scalar(**_MODEL)
    x = torch.tensor([[_X]], dtype=torch.float64)
    mean, cov = model.posterior(x)
    expected = model.kl_to_posterior(x, mean, 2 * cov.sqrt()).item()  # 1/2 (4 - 1 - log 4)
    mistake = (
        diagnose(
            answer,
            {
                "u is the ratio of the variances, (2 sd)^2 / sd^2 = 4, not of the standard deviations": 0.5
                * (2 - 1 - math.log(2)),
                "the factor 1/2 in front of u - 1 - log u is missing": 2 * expected,
                "the sign: the gap log p(x) - ELBO is a KL divergence, never negative": -expected,
            },
            rtol=1e-4,
        )
        if _number(answer)
        else ""
    )
    if mistake:
        fail(name, mistake + ".")
    close(
        name,
        answer,
        expected,
        rtol=1e-4,
        hint="The gap is KL(q || p(z|x)); for equal means only the ratio of the variances matters.",
    )
