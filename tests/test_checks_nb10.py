"""The exercise checks of notebook 10, against references written out here independently of the checks.

Each wrong answer below is a mistake a learner could plausibly make; the test asserts that the message names it.
"""

import math

import numpy as np
import pytest
import torch
from checking import fails, passes
from scipy.integrate import quad
from torch.distributions import Normal

from vaelib.checks import nb10

# --- 10.1: the Gaussian negative log-likelihood, one sigma per image ------------------------------------


def right_gaussian(x_hat, x, log_sigma):
    return -Normal(x_hat, log_sigma.exp()).log_prob(x).sum(1)


def test_10_1_accepts_the_right_function_and_the_unwritten_one(capsys):
    passes(capsys, nb10.gaussian_nll, right_gaussian)
    passes(
        capsys,
        nb10.gaussian_nll,
        lambda x_hat, x, s: (0.5 * ((x - x_hat) / s.exp()) ** 2 + s + 0.5 * math.log(2 * math.pi)).sum(1),
    )
    nb10.gaussian_nll(lambda x_hat, x, s: None)
    assert "Not attempted yet" in capsys.readouterr().out


HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


@pytest.mark.parametrize(
    "function, match",
    [
        (lambda xh, x, s: Normal(xh, s.exp()).log_prob(x).sum(1), "sign is flipped"),
        (lambda xh, x, s: ((x - xh) ** 2 / (2 * (2 * s).exp()) + HALF_LOG_2PI).sum(1), "log sigma is missing"),
        (lambda xh, x, s: ((x - xh) ** 2 / (2 * (2 * s).exp()) + HALF_LOG_2PI).sum(1) + s[:, 0], "once per image"),
        (
            lambda xh, x, s: ((x - xh) ** 2 / (2 * (2 * s).exp()) + s).sum(1),
            r"constant log\(2 pi\) / 2 per pixel is missing",
        ),
        (
            lambda xh, x, s: ((x - xh) ** 2 / (2 * (2 * s).exp()) + s + 2 * HALF_LOG_2PI).sum(1),
            r"log\(2 pi\) per pixel instead",
        ),
        (lambda xh, x, s: ((x - xh) ** 2 / (2 * s.exp()) + s + HALF_LOG_2PI).sum(1), "2 sigma instead of 2 sigma"),
        (lambda xh, x, s: ((x - xh) ** 2 / (2 * s).exp() + s + HALF_LOG_2PI).sum(1), "by sigma\\^2 instead of 2 sigma"),
        (lambda xh, x, s: -Normal(xh, s.exp()).log_prob(x).mean(1), "averaged instead of summed"),
        (lambda xh, x, s: -Normal(xh, s.exp()).log_prob(x).sum(1).mean(), "returns one number"),
        (lambda xh, x, s: -Normal(xh, s.exp()).log_prob(x).sum(0), "shape"),
        (lambda xh, x, s: xh.sum(1) / 0, "NaN or infinite"),
        (lambda xh, x, s: undefined_name, "raised NameError"),  # noqa: F821
    ],
)
def test_10_1_names_the_mistake(function, match):
    fails(nb10.gaussian_nll, function, match=match)


# --- 10.2: the sigma hidden in mean-reduced MSE + w KL -------------------------------------------------


def test_10_2_hidden_sigma(capsys):
    d, w = 3 * 64 * 64, 0.00025
    # loss = (1/d) sum (x - x_hat)^2 + w KL  =  2 w [ sum (x - x_hat)^2 / (2 w d) + KL / 2 ] ... solve 1/(2 sigma^2) = 1/(w d)
    sigma = math.sqrt(w * d / 2)
    assert sigma == pytest.approx(1.2394, abs=1e-4)
    passes(capsys, nb10.hidden_sigma, sigma)
    passes(capsys, nb10.hidden_sigma, 1.239)
    fails(nb10.hidden_sigma, w * d / 2, match="sigma\\^2")
    fails(nb10.hidden_sigma, math.sqrt(w * 4096 / 2), match="colour channels")
    fails(nb10.hidden_sigma, math.sqrt(w * d), match="factor 1/2")
    fails(nb10.hidden_sigma, math.sqrt(2 / (w * d)), match="upside down")
    fails(nb10.hidden_sigma, math.sqrt(w / 2), match="number of values")
    fails(nb10.hidden_sigma, 0.5, match="expected 1.239")
    fails(nb10.hidden_sigma, "sigma", match="expected a number")


# --- 10.3: the continuous Bernoulli's log normalizing constant --------------------------------------------


def right_log_norm(lam):
    ratio = 2 * torch.atanh(1 - 2 * lam) / (1 - 2 * lam)
    return torch.where(lam == 0.5, torch.full_like(lam, math.log(2)), torch.log(ratio))


def test_10_3_reference_agrees_with_quadrature():
    for lam in (1e-4, 0.2, 0.5 + 1e-9, 0.9):
        integral = quad(lambda x: lam**x * (1 - lam) ** (1 - x), 0, 1, epsabs=1e-14)[0]  # noqa: B023
        assert right_log_norm(torch.tensor([lam], dtype=torch.float64)).item() == pytest.approx(
            -math.log(integral), rel=1e-9
        )


def test_10_3_accepts_the_right_function(capsys):
    passes(capsys, nb10.continuous_bernoulli_log_norm, right_log_norm)
    nb10.continuous_bernoulli_log_norm(lambda lam: None)
    assert "Not attempted yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    "function, match",
    [
        (lambda lam: torch.log(2 * torch.atanh(1 - 2 * lam) / (1 - 2 * lam)), "NaN at lambda = 1/2"),
        (lambda lam: torch.exp(right_log_norm(lam)), "returned C itself"),
        (lambda lam: right_log_norm(lam) - math.log(2), "factor 2 is missing"),
        (lambda lam: -right_log_norm(lam), "sign is flipped"),
        (lambda lam: torch.where(lam == 0.5, torch.zeros_like(lam), right_log_norm(lam)), "except at lambda = 1/2"),
        (lambda lam: torch.log(2 * torch.atanh(2 * lam - 1) / (1 - 2 * lam)), "NaN or infinite"),
        (lambda lam: right_log_norm(lam)[:5], "one value per lambda"),
        (lambda lam: right_log_norm(lam) * 1.01, "expected"),
    ],
)
def test_10_3_names_the_mistake(function, match):
    fails(nb10.continuous_bernoulli_log_norm, function, match=match)


# --- 10.4: a density's value depends on the units of x ----------------------------------------------------


def test_10_4_rescaled_density(capsys):
    # change of variables, checked numerically on one pixel: N(0.3, 0.1) on [0, 1] against its image under y = 255 x
    x = 0.37
    p_x = Normal(0.3, 0.1).log_prob(torch.tensor(x)).item()
    p_y = Normal(0.3 * 255, 0.1 * 255).log_prob(torch.tensor(255 * x)).item()
    assert -p_y - (-p_x) == pytest.approx(math.log(255), rel=1e-5)
    shift = 784 * math.log(255)
    passes(capsys, nb10.rescaled_density_shift, shift)
    passes(capsys, nb10.rescaled_density_shift, np.float32(4344.3))
    fails(nb10.rescaled_density_shift, -shift, match="sign is flipped")
    fails(nb10.rescaled_density_shift, math.log(255), match="single pixel")
    fails(nb10.rescaled_density_shift, 784 * math.log(256), match="255")
    fails(nb10.rescaled_density_shift, 784 * math.log2(255), match="bits")
    fails(nb10.rescaled_density_shift, 784 * math.log10(255), match="base 10")
    fails(nb10.rescaled_density_shift, 1000.0, match="expected 4344")
