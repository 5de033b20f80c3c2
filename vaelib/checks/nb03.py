"""Exercise checks of notebook 03 (the ELBO): a Monte Carlo ELBO, the optimal q, the gap at double width."""

from __future__ import annotations

import sympy as sp
import torch

from ..linear_gaussian import LinearGaussian, symbolic_model
from .core import close, correct, exercise, fail, symbolic

_MODEL = dict(w=2.0, b=0.5, s=0.8)  # the scalar linear-Gaussian model of notebook 03
_X = 1.5


@exercise(3, 1)
def monte_carlo_elbo(name: str, answer) -> None:
    """Exercise 03.1: a Monte Carlo estimate of the ELBO of q = N(0, 0.5^2), model w=2, b=0.5, s=0.8, x=1.5."""
    one = torch.ones(1, 1, dtype=torch.float64)
    expected = LinearGaussian.scalar(**_MODEL).elbo(_X * one, 0.0 * one, 0.5 * one).item()
    close(name, answer, expected, rtol=0, atol=0.02,
          hint="Draw z = mu + sigma * eps of shape (samples, n, K) = (100000, 1, 1) and average "
          "log p(x, z) - log q(z | x) over the draws (the logs, not the ratio p / q).")


@exercise(3, 2)
def optimal_q(name: str, answer) -> None:
    """Exercise 03.2: (mu, sigma) maximizing the ELBO of the scalar linear-Gaussian model, in x, w, b, s."""
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2):
        fail(name, f"expected a pair (mu, sigma) of SymPy expressions, got {answer!r}")
    z, x, w, b = sp.symbols("z x w b", real=True)
    model = symbolic_model(z, x, w, b, sp.Symbol("s", positive=True))
    symbols = {"x": (("x",), "real"), "w": (("w",), "real"), "b": (("b",), "real"), "s": (("s",), "positive")}
    hint = ("Solve d ELBO / d mu = 0 and d ELBO / d sigma = 0 for (mu, sigma) with the notebook's symbols: "
            "x, w, b, mu real; s, sigma positive. The answer may contain only x, w, b and s.")
    symbolic(f"{name} (mu)", answer[0], model.posterior_mean, symbols, hint, report=False)
    symbolic(f"{name} (sigma)", answer[1], model.posterior_std, symbols, hint, report=False)
    correct(name)


@exercise(3, 3)
def gap_at_double_width(name: str, answer) -> None:
    """Exercise 03.3: log p(x) - ELBO in nats when q has the posterior's mean and twice its standard deviation."""
    model = LinearGaussian.scalar(**_MODEL)
    x = torch.tensor([[_X]], dtype=torch.float64)
    mean, cov = model.posterior(x)
    close(name, answer, model.kl_to_posterior(x, mean, 2 * cov.sqrt()).item(), rtol=1e-4,
          hint="The gap is KL(q || p(z|x)); for equal means only the ratio of the variances matters.")
