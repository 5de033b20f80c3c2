"""Exercise checks of notebook 05 (the reparameterization trick): z written by hand, a gradient, the noise of
REINFORCE, a baseline."""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch

from ..derive import gaussian_expectation
from ..gradients import estimate_gradients
from .core import NOT_WRITTEN, call_learner, close, correct, diagnose, exercise, fail, not_attempted, symbolic, to_numpy
from .nb04 import _symbolic_mistake

_Z, _MU = sp.symbols("z mu", real=True)
_SIGMA = sp.Symbol("sigma", positive=True)


def _number(answer) -> bool:
    try:
        return np.size(to_numpy(answer)) == 1
    except (TypeError, ValueError):
        return False


@exercise(5, 1)
def reparameterize(name: str, function) -> None:
    """Exercise 05.1: a function (mu, log_sigma, eps) -> z = mu + sigma * eps, with sigma = exp(log_sigma),
    through which gradients reach mu and log_sigma. A function that still returns None is not attempted."""
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(6, 3, generator=g).requires_grad_(True)
    log_sigma = (0.7 * torch.randn(6, 3, generator=g)).requires_grad_(True)
    eps = torch.randn(6, 3, generator=g)
    z = call_learner(name, function, mu, log_sigma, eps)
    if z is None:
        return not_attempted(name, NOT_WRITTEN)
    if not torch.is_tensor(z) or z.shape != mu.shape:
        fail(
            name,
            f"expected a tensor of shape {tuple(mu.shape)} (one z per mu), got {getattr(z, 'shape', type(z).__name__)}.",
        )
    sigma = torch.exp(log_sigma.detach())
    mistake = diagnose(
        z.detach(),
        {
            "sigma^2 = exp(2 log_sigma) appears where sigma = exp(log_sigma) belongs: z = mu + sigma * eps uses the "
            "standard deviation": mu.detach() + sigma.square() * eps,
            "log_sigma is used as if it were sigma: the encoder outputs the log of the standard deviation, "
            "sigma = exp(log_sigma)": mu.detach() + log_sigma.detach() * eps,
            "exp(log_sigma / 2) treats log_sigma as a log-variance; here it is the log of sigma itself": mu.detach()
            + torch.exp(log_sigma.detach() / 2) * eps,
            "mu is missing: z = mu + sigma * eps is centred on the mean": sigma * eps,
            "eps is missing: z would not be random at all": mu.detach() + sigma,
        },
    )
    if mistake:
        fail(name, f"{mistake}.")
    close(
        name,
        z.detach(),
        mu.detach() + sigma * eps,
        rtol=1e-5,
        atol=1e-6,
        hint="z = mu + exp(log_sigma) * eps, elementwise.",
        report=False,
    )
    if not z.requires_grad:
        fail(
            name,
            "the right numbers, but no gradient can flow back: build z from mu, log_sigma and eps with "
            "ordinary arithmetic (no torch.normal, .sample(), .detach() or .item()).",
        )
    z.sum().backward()
    if (
        mu.grad is None
        or log_sigma.grad is None
        or not torch.allclose(mu.grad, torch.ones_like(mu))
        or not torch.allclose(log_sigma.grad, sigma * eps, rtol=1e-5, atol=1e-6)
    ):
        fail(
            name,
            "the right numbers, but the gradients that reach mu and log_sigma are not dz/dmu = 1 and "
            "dz/dlog_sigma = sigma * eps: is part of the computation detached?",
        )
    correct(name, "and gradients reach mu and log_sigma")


@exercise(5, 2)
def sigma_gradient_of_quartic(name: str, answer) -> None:
    """Exercise 05.2: d/dsigma E[z^4] for z ~ N(mu, sigma^2), as a SymPy expression in mu and sigma."""
    fourth = gaussian_expectation(_Z**4, _Z, _MU, _SIGMA)  # mu^4 + 6 mu^2 sigma^2 + 3 sigma^4
    expected = sp.diff(fourth, _SIGMA)
    symbols = {"mu": (("mu", "μ"), "real"), "sigma": (("sigma", "σ"), "positive")}
    mistake = _symbolic_mistake(
        answer,
        {
            "that is d/dmu E[z^4]; the exercise asks for the derivative with respect to sigma": sp.diff(fourth, _MU),
            "that is E[z^4] itself; differentiate it with respect to sigma": fourth,
            "E[eps^4] = 3 for eps ~ N(0, 1), not 1": sp.diff(_MU**4 + 6 * _MU**2 * _SIGMA**2 + _SIGMA**4, _SIGMA),
            "the sigma^4 term of E[z^4] = mu^4 + 6 mu^2 sigma^2 + 3 sigma^4 is missing": 12 * _MU**2 * _SIGMA,
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
        "Expand E[(mu + sigma eps)^4] with E[eps^2] = 1, E[eps^4] = 3 and odd moments 0, then differentiate in "
        "sigma; use symbols named mu and sigma.",
    )


@exercise(5, 3)
def score_noise_variance(name: str, answer) -> None:
    """Exercise 05.3: the variance of the single-sample score-function estimate c (z - mu) / sigma^2 of
    d/dmu E[c] = 0, for z ~ N(mu, sigma^2), c = 100, sigma = 0.5."""
    c, sigma = 100.0, 0.5
    expected = c**2 / sigma**2  # Var[(z - mu) / sigma^2] = sigma^2 / sigma^4
    mistake = (
        diagnose(
            answer,
            {
                "Var[(z - mu) / sigma^2] = sigma^2 / sigma^4 = 1 / sigma^2: you multiplied by sigma^2 instead": c**2
                * sigma**2,
                "c multiplies the estimate, so it enters the variance squared": c / sigma**2,
                "the variance of (z - mu) is sigma^2, which cancels one of the two sigma^2 of the denominator squared": c
                ** 2
                / sigma**4,
                "the denominator is sigma^2, and squared in the variance: sigma^4, not sigma^2 / sigma = sigma": c**2
                / sigma,
            },
            rtol=1e-6,
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
        rtol=1e-6,
        hint="The estimate is c times (z - mu) / sigma^2; its mean is 0, and Var[a Y] = a^2 Var[Y].",
    )


@exercise(5, 4)
def baseline(name: str, answer) -> None:
    """Exercise 05.4: a baseline b that makes the score-function estimate of d/dmu E[z^2 + 10] at mu = 0.5,
    sigma = 1 at least 5 times less variable than b = 0."""
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        fail(name, f"expected a number, got {type(answer).__name__}")

    def variance(b: float) -> float:
        estimates = estimate_gradients(
            lambda z: (z**2 + 10).sum(-1),
            torch.tensor([0.5]),
            torch.tensor([1.0]),
            1,
            20000,
            torch.Generator().manual_seed(0),
            "score",
            baseline=b,
        )
        return estimates.mu.var().item()

    ratio = variance(0.0) / variance(float(answer))
    if ratio < 5:
        effect = (
            f"reduces the variance only {ratio:.1f}-fold"
            if ratio >= 1
            else f"makes the variance {1 / ratio:.0f} times larger"
        )
        fail(
            name,
            f"b = {answer} {effect} (need 5 times smaller).",
            "Hint: subtract roughly the typical value of f(z), i.e. about E[f(z)].",
        )
    correct(name, f"variance {ratio:.0f} times smaller than without a baseline")
