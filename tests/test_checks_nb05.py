"""vaelib.checks.nb05 against references written out here: right answers pass, planted mistakes are named."""

import sympy as sp
import torch
from checking import fails_with, passes

from vaelib.checks import nb05


def test_05_1_reparameterize(capsys):
    passes(capsys, nb05.reparameterize, lambda mu, log_sigma, eps: mu + torch.exp(log_sigma) * eps)
    assert nb05.reparameterize(lambda mu, log_sigma, eps: None) is None
    assert "write the body" in capsys.readouterr().out
    mistakes = {
        "sigma\\^2 = exp\\(2 log_sigma\\) appears": lambda mu, ls, eps: mu + torch.exp(2 * ls) * eps,
        "log_sigma is used as if it were sigma": lambda mu, ls, eps: mu + ls * eps,
        "log-variance": lambda mu, ls, eps: mu + torch.exp(ls / 2) * eps,
        "mu is missing": lambda mu, ls, eps: torch.exp(ls) * eps,
        "eps is missing": lambda mu, ls, eps: mu + torch.exp(ls),
        "no gradient can flow back": lambda mu, ls, eps: (mu + torch.exp(ls) * eps).detach(),
        "part of the computation detached": lambda mu, ls, eps: mu + torch.exp(ls.detach()) * eps,
        "expected a tensor of shape": lambda mu, ls, eps: (mu + torch.exp(ls) * eps).sum(),
    }
    for says, function in mistakes.items():
        fails_with(nb05.reparameterize, function, "Exercise 05.1", says)


def test_05_2_sigma_gradient_of_quartic(capsys):
    mu, sigma = sp.symbols("mu sigma")
    passes(capsys, nb05.sigma_gradient_of_quartic, 12 * mu**2 * sigma + 12 * sigma**3)
    label = "Exercise 05.2"
    fails_with(nb05.sigma_gradient_of_quartic, 4 * mu**3 + 12 * mu * sigma**2, label, "that is d/dmu")
    fails_with(
        nb05.sigma_gradient_of_quartic, mu**4 + 6 * mu**2 * sigma**2 + 3 * sigma**4, label, "E\\[z\\^4\\] itself"
    )
    fails_with(nb05.sigma_gradient_of_quartic, 12 * mu**2 * sigma + 4 * sigma**3, label, "E\\[eps\\^4\\] = 3")
    fails_with(nb05.sigma_gradient_of_quartic, 12 * mu**2 * sigma, label, "term of E\\[z\\^4\\]")
    fails_with(nb05.sigma_gradient_of_quartic, 24 * sigma**3, label, "the expected value is")
    fails_with(nb05.sigma_gradient_of_quartic, sp.Symbol("tau"), label, "contains tau")


def test_05_3_score_noise_variance(capsys):
    passes(capsys, nb05.score_noise_variance, 100**2 / 0.5**2)
    label = "Exercise 05.3"
    fails_with(nb05.score_noise_variance, 100**2 * 0.25, label, "multiplied by sigma\\^2")
    fails_with(nb05.score_noise_variance, 100 / 0.25, label, "enters the variance squared")
    fails_with(nb05.score_noise_variance, 100**2 / 0.5**4, label, "cancels one")
    fails_with(nb05.score_noise_variance, 100**2 / 0.5, label, "sigma\\^4, not")
    fails_with(nb05.score_noise_variance, 0.0, label, "expected 40000")


def test_05_4_baseline(capsys):
    passes(capsys, nb05.baseline, 11.25)
    fails_with(nb05.baseline, 0.0, "Exercise 05.4", "only 1.0-fold")
    fails_with(nb05.baseline, 100.0, "Exercise 05.4", "times larger")
    fails_with(nb05.baseline, "b", "Exercise 05.4", "expected a number")
