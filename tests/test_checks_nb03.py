"""vaelib.checks.nb03 against references written out here: right answers pass, planted mistakes are named."""

import math

import sympy as sp
from checking import fails_with, passes

from vaelib.checks import nb03


def test_03_1_monte_carlo_elbo(capsys):
    # w = 2, b = 0.5, s = 0.8, x = 1.5, q = N(0, 0.5^2): the ELBO and log p(x) written out
    expected_log_lik = -0.5 * math.log(2 * math.pi * 0.64) - ((1.5 - 0.5) ** 2 + 4 * 0.25) / (2 * 0.64)
    elbo = expected_log_lik - 0.5 * (0.25 - math.log(0.25) - 1)
    log_px = -0.5 * math.log(2 * math.pi * (4 + 0.64)) - 1.0 / (2 * (4 + 0.64))
    passes(capsys, nb03.monte_carlo_elbo, elbo + 0.01)
    label = "Exercise 03.1"
    fails_with(nb03.monte_carlo_elbo, log_px + 0.005, label, "that is log p\\(x\\), not the ELBO")
    fails_with(nb03.monte_carlo_elbo, math.exp(log_px), label, "that is p\\(x\\) itself")
    fails_with(nb03.monte_carlo_elbo, -elbo, label, "the sign")
    fails_with(nb03.monte_carlo_elbo, elbo + 0.1, label, "allowed: absolute error 0.02")


def test_03_2_optimal_q(capsys):
    x, w, b = sp.symbols("x w b", real=True)
    s = sp.Symbol("s", positive=True)
    mean, sd = w * (x - b) / (w**2 + s**2), s / sp.sqrt(w**2 + s**2)
    passes(capsys, nb03.optimal_q, (mean, sd))
    px, pw, pb, ps = sp.symbols("x w b s")  # no assumptions: still accepted, compared at random points
    passes(capsys, nb03.optimal_q, (pw * (px - pb) / (pw**2 + ps**2), ps / sp.sqrt(pw**2 + ps**2)))
    label = "Exercise 03.2"
    fails_with(nb03.optimal_q, ((x - b) / w, sd), label, "pulls the best mean towards 0")
    fails_with(nb03.optimal_q, (mean, sd**2), label, "the posterior's variance")
    fails_with(nb03.optimal_q, (mean, s), label, "s is the decoder's noise")
    fails_with(nb03.optimal_q, (mean, sp.Integer(1)), "Exercise 03.2 (sigma)", "the expected value is")
    fails_with(nb03.optimal_q, (sp.Symbol("sigma"), s), "Exercise 03.2 (mu)", "contains sigma")
    fails_with(nb03.optimal_q, w, label, "pair")


def test_03_3_gap_at_double_width(capsys):
    passes(capsys, nb03.gap_at_double_width, 0.5 * (3 - math.log(4)))
    label = "Exercise 03.3"
    fails_with(nb03.gap_at_double_width, 0.5 * (1 - math.log(2)), label, "ratio of the variances")
    fails_with(nb03.gap_at_double_width, 3 - math.log(4), label, "the factor 1/2")
    fails_with(nb03.gap_at_double_width, -0.5 * (3 - math.log(4)), label, "the sign")
    fails_with(nb03.gap_at_double_width, math.log(2), label, "expected")
