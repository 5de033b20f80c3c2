"""vaelib.checks.nb04 against references written out here: right answers pass, planted mistakes are named."""

import sympy as sp
import torch
from checking import fails_with, passes

from vaelib.checks import nb04

MU, SIGMA, LAM = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True), sp.Symbol("lambda", positive=True)


def test_04_1_kl_wider_prior(capsys):
    right = sp.log(LAM / SIGMA) + (SIGMA**2 + MU**2) / (2 * LAM**2) - sp.Rational(1, 2)
    passes(capsys, nb04.kl_wider_prior, right)
    plain_mu, plain_sigma, plain_lam = sp.symbols("mu sigma lam")  # other names, no assumptions: accepted
    passes(
        capsys,
        nb04.kl_wider_prior,
        sp.log(plain_lam)
        - sp.log(plain_sigma)
        + (plain_sigma**2 + plain_mu**2) / (2 * plain_lam**2)
        - sp.Rational(1, 2),
    )
    label = "Exercise 04.1"
    fails_with(
        nb04.kl_wider_prior,
        sp.log(SIGMA / LAM) + (LAM**2 + MU**2) / (2 * SIGMA**2) - sp.Rational(1, 2),
        label,
        "the other direction",
    )
    fails_with(nb04.kl_wider_prior, -right, label, "the sign")
    fails_with(
        nb04.kl_wider_prior,
        sp.log(LAM / SIGMA) + (SIGMA**2 + MU**2) / (2 * LAM) - sp.Rational(1, 2),
        label,
        "not by lambda",
    )
    fails_with(
        nb04.kl_wider_prior,
        sp.log(SIGMA / LAM) + (SIGMA**2 + MU**2) / (2 * LAM**2) - sp.Rational(1, 2),
        label,
        "log\\(lambda / sigma\\)",
    )
    fails_with(nb04.kl_wider_prior, -(MU**2 + SIGMA**2 - sp.log(SIGMA**2) - 1) / 2, label, "the expected value is")
    fails_with(nb04.kl_wider_prior, sp.log(sp.Symbol("tau", positive=True) / SIGMA), label, "contains tau")
    fails_with(nb04.kl_wider_prior, [MU], label, "SymPy expression")


def test_04_2_prior_against_encoder(capsys):
    right = sp.log(SIGMA) + (1 + MU**2) / (2 * SIGMA**2) - sp.Rational(1, 2)
    passes(capsys, nb04.prior_against_encoder, right)
    passes(
        capsys,
        nb04.prior_against_encoder,
        sp.log(sp.Symbol("sigma")) + (1 + sp.Symbol("mu") ** 2) / (2 * sp.Symbol("sigma") ** 2) - 0.5,
    )
    label = "Exercise 04.2"
    fails_with(
        nb04.prior_against_encoder, (MU**2 + SIGMA**2 - sp.log(SIGMA**2) - 1) / 2, label, "the VAE's own direction"
    )
    fails_with(nb04.prior_against_encoder, -right, label, "the sign")
    fails_with(
        nb04.prior_against_encoder,
        -sp.log(SIGMA) + (1 + MU**2) / (2 * SIGMA**2) - sp.Rational(1, 2),
        label,
        "here it is \\+ log sigma",
    )
    fails_with(
        nb04.prior_against_encoder,
        sp.log(SIGMA) + (1 + MU**2) / (2 * SIGMA) - sp.Rational(1, 2),
        label,
        "not by 2 sigma",
    )
    fails_with(nb04.prior_against_encoder, (1 + MU**2) / (2 * SIGMA**2) - sp.Rational(1, 2), label, "is missing")
    fails_with(nb04.prior_against_encoder, sp.log(SIGMA), label, "the expected value is")


def _kl_log_var(m, lv):  # written out: -1/2 sum (1 + log_var - mu^2 - exp(log_var))
    return -0.5 * torch.sum(1 + lv - m**2 - lv.exp(), dim=1)


def test_04_3_kl_from_log_variance(capsys):
    passes(capsys, nb04.kl_from_log_variance, _kl_log_var)
    label = "Exercise 04.3"
    mistakes = {
        "the sign": lambda m, lv: -_kl_log_var(m, lv),
        "log_var was used as log sigma": lambda m, lv: 0.5 * torch.sum(m**2 + torch.exp(2 * lv) - 2 * lv - 1, dim=1),
        "the factor 1/2": lambda m, lv: 2 * _kl_log_var(m, lv),
        "the mean over the K dimensions": lambda m, lv: -0.5 * torch.mean(1 + lv - m**2 - lv.exp(), dim=1),
        "one value per dimension": lambda m, lv: -0.5 * (1 + lv - m**2 - lv.exp()),
        "expected a function": 1.0,
        "raised": lambda m, lv: m.nope,
    }
    for says, function in mistakes.items():
        fails_with(nb04.kl_from_log_variance, function, label, says)
