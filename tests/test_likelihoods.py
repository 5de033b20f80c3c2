"""vaelib.likelihoods against independent references: SciPy quadrature and mpmath (the continuous Bernoulli's
normalizing constant, its mean, its CDF), torch.distributions (every log-likelihood), Monte Carlo (draws)."""

import math

import mpmath
import numpy as np
import pytest
import torch
from scipy import stats
from scipy.integrate import quad
from torch.distributions import Bernoulli, ContinuousBernoulli, Normal

from vaelib import likelihoods as L

mpmath.mp.dps = 50


def log_norm_mpmath(eta: float) -> float:
    """log C for the logit eta, C = eta / tanh(eta / 2), in 50-digit arithmetic (2 at eta = 0)."""
    if eta == 0:
        return float(mpmath.log(2))
    e = mpmath.mpf(eta)
    return float(mpmath.log(e / mpmath.tanh(e / 2)))


def d_log_norm_mpmath(eta: float) -> float:
    return float(
        mpmath.diff(lambda e: mpmath.log(e / mpmath.tanh(e / 2)) if e != 0 else mpmath.log(2), mpmath.mpf(eta))
    )


ETAS = [
    -60.0,
    -15.0,
    -3.0,
    -1.0,
    -0.3,
    -0.1000001,
    -0.0999999,
    -0.05,
    -1e-3,
    -1e-6,
    -1e-12,
    0.0,
    1e-9,
    1e-4,
    0.01,
    0.0999999,
    0.1,
    0.1000001,
    0.25,
    2.0,
    10.0,
    40.0,
    80.0,
]


@pytest.mark.parametrize("lam", [1e-6, 0.01, 0.2, 0.45, 0.499, 0.4999999, 0.5, 0.5000001, 0.5001, 0.7, 0.99, 1 - 1e-6])
def test_normalizing_constant_is_one_over_the_integral_of_the_unnormalized_density(lam):
    """C(lambda) = 1 / int_0^1 lambda^x (1 - lambda)^(1 - x) dx, by quadrature; here from the logit."""
    integral, _ = quad(lambda x: lam**x * (1 - lam) ** (1 - x), 0, 1, epsabs=1e-14, epsrel=1e-13)
    eta = torch.tensor(math.log(lam) - math.log1p(-lam), dtype=torch.float64)
    assert L.continuous_bernoulli_log_norm(eta).item() == pytest.approx(-math.log(integral), rel=1e-10, abs=1e-12)


def test_log_norm_in_float64_matches_50_digit_arithmetic_everywhere():
    eta = torch.tensor(ETAS, dtype=torch.float64)
    got = L.continuous_bernoulli_log_norm(eta)
    want = torch.tensor([log_norm_mpmath(e) for e in ETAS], dtype=torch.float64)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_log_norm_in_float32_is_accurate_to_float32_rounding_near_one_half():
    """The float32 result, logits near 0 included (lambda near 1/2, where the closed form is 0/0)."""
    eta = torch.tensor(ETAS, dtype=torch.float32)
    got = L.continuous_bernoulli_log_norm(eta).double()
    want = torch.tensor([log_norm_mpmath(float(e)) for e in eta], dtype=torch.float64)  # at the float32 inputs
    assert ((got - want).abs() / want.abs()).max() < 4 * torch.finfo(torch.float32).eps


def test_the_naive_formula_fails_near_one_half_and_ours_does_not():
    """What the Taylor window is for: 2 artanh(1 - 2 lambda) / (1 - 2 lambda) in float32 at lambda = 1/2 + 1e-8."""
    lam = torch.tensor(0.5 + 1e-8, dtype=torch.float32)  # rounds to exactly 0.5 in float32
    naive = torch.log(2 * torch.atanh(1 - 2 * lam) / (1 - 2 * lam))
    assert torch.isnan(naive)
    assert L.continuous_bernoulli_log_norm(torch.logit(lam)).item() == pytest.approx(math.log(2), rel=1e-7)


def test_gradient_is_finite_and_accurate_through_the_window():
    eta = torch.tensor(ETAS, dtype=torch.float64, requires_grad=True)
    L.continuous_bernoulli_log_norm(eta).sum().backward()
    want = torch.tensor([d_log_norm_mpmath(e) for e in ETAS], dtype=torch.float64)
    torch.testing.assert_close(eta.grad, want, rtol=1e-9, atol=1e-12)
    eta32 = torch.tensor(ETAS, dtype=torch.float32, requires_grad=True)
    L.continuous_bernoulli_log_norm(eta32).sum().backward()
    assert torch.isfinite(eta32.grad).all()
    torch.testing.assert_close(
        eta32.grad.double(),
        torch.tensor([d_log_norm_mpmath(float(e)) for e in eta32.detach()], dtype=torch.float64),
        rtol=1e-5,
        atol=1e-6,
    )


def test_the_two_branches_meet_at_the_window_edge():
    edge = L.TAYLOR_WINDOW
    inside = L.continuous_bernoulli_log_norm(torch.tensor(np.nextafter(edge, 0), dtype=torch.float64))
    outside = L.continuous_bernoulli_log_norm(torch.tensor(edge, dtype=torch.float64))
    assert abs(inside - outside).item() < 1e-12


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_continuous_bernoulli_nll_matches_torch_distributions(dtype):
    g = torch.Generator().manual_seed(0)
    logits = torch.cat(
        [8 * torch.randn(5, 300, generator=g, dtype=dtype), 1e-3 * torch.randn(5, 84, generator=g, dtype=dtype)], 1
    )
    x = torch.rand(5, 384, generator=g, dtype=dtype)
    want = -ContinuousBernoulli(logits=logits.clamp(-15, 15)).log_prob(x).sum(1)  # torch clamps lambda near 0 and 1
    got = L.continuous_bernoulli_nll(logits.clamp(-15, 15), x)
    tol = 1e-9 if dtype == torch.float64 else 2e-3  # float32: torch's lambda-based formula loses digits near 1/2
    torch.testing.assert_close(got, want, rtol=tol, atol=tol)


def test_continuous_bernoulli_mean_matches_quadrature_and_torch():
    for eta in [-20.0, -2.0, -0.05, 0.0, 1e-7, 0.0999, 0.1, 0.7, 5.0, 60.0]:
        density = lambda x, eta=eta: math.exp(eta * x)  # lambda^x (1 - lambda)^(1 - x) up to a factor
        mean = (
            quad(lambda x, d=density: x * d(x), 0, 1, epsabs=0, epsrel=1e-13)[0]
            / quad(density, 0, 1, epsabs=0, epsrel=1e-13)[0]
        )
        got = L.continuous_bernoulli_mean(torch.tensor(eta, dtype=torch.float64)).item()
        assert got == pytest.approx(mean, rel=1e-9, abs=1e-12), eta
    logits = torch.linspace(-12, 12, 97, dtype=torch.float64)
    torch.testing.assert_close(
        L.continuous_bernoulli_mean(logits), ContinuousBernoulli(logits=logits).mean, rtol=1e-6, atol=1e-8
    )
    assert L.continuous_bernoulli_mean(torch.logit(torch.tensor(0.9, dtype=torch.float64))).item() == pytest.approx(
        0.6699, abs=1e-4
    )  # not 0.9


@pytest.mark.parametrize("eta", [-50.0, -3.0, -1e-5, 0.0, 2e-5, 0.5, 4.0, 90.0])
def test_continuous_bernoulli_draws_follow_its_cdf(eta):
    """Kolmogorov-Smirnov test of 20,000 draws against F(x) = (e^(eta x) - 1) / (e^eta - 1) (x at eta = 0)."""
    draws = L.continuous_bernoulli_sample(
        torch.full((20_000,), eta, dtype=torch.float64), torch.Generator().manual_seed(1)
    )
    assert torch.isfinite(draws).all() and draws.min() >= 0 and draws.max() <= 1
    if abs(eta) > 30:  # all the mass within a few hundredths of one end: F is 1 - e^(-|eta| d)
        end = 0.0 if eta < 0 else 1.0
        assert (draws - end).abs().mean().item() == pytest.approx(1 / abs(eta), rel=0.05)
        return
    cdf = (lambda x: x) if eta == 0 else (lambda x: np.expm1(eta * x) / np.expm1(eta))
    assert stats.kstest(draws.numpy(), cdf).pvalue > 1e-3


def test_gaussian_nll_matches_torch_normal_with_fixed_and_per_image_sigma():
    g = torch.Generator().manual_seed(2)
    mean, x = torch.rand(4, 784, generator=g, dtype=torch.float64), torch.rand(4, 784, generator=g, dtype=torch.float64)
    want = -Normal(mean, 0.3).log_prob(x).sum(1)
    torch.testing.assert_close(L.gaussian_nll(mean, x, math.log(0.3)), want)
    log_sigma = torch.randn(4, 1, generator=g, dtype=torch.float64)
    torch.testing.assert_close(L.gaussian_nll(mean, x, log_sigma), -Normal(mean, log_sigma.exp()).log_prob(x).sum(1))


def test_every_likelihood_matches_torch_distributions_through_its_parameters():
    g = torch.Generator().manual_seed(3)
    eta = 3 * torch.randn(6, 784, generator=g, dtype=torch.float64)
    grey, binary = (
        torch.rand(6, 784, generator=g, dtype=torch.float64),
        torch.randint(0, 2, (6, 784), generator=g).double(),
    )
    log_sigma = torch.randn(6, 1, generator=g, dtype=torch.float64) - 2
    cases = [
        (L.likelihood("bernoulli"), eta, binary, Bernoulli(logits=eta)),
        (L.likelihood("gaussian", sigma=0.5), eta, grey, Normal(torch.sigmoid(eta), 0.5)),
        (
            L.likelihood("gaussian-learned"),
            torch.cat([eta, log_sigma], 1),
            grey,
            Normal(torch.sigmoid(eta), log_sigma.exp()),
        ),
        (L.likelihood("continuous-bernoulli"), eta, grey, ContinuousBernoulli(logits=eta)),
    ]
    for lik, params, x, reference in cases:
        torch.testing.assert_close(
            lik.nll(params, x), -reference.log_prob(x).sum(1), rtol=1e-9, atol=1e-7, msg=lik.name
        )
        torch.testing.assert_close(lik.mean(params), reference.mean, rtol=1e-6, atol=1e-8, msg=lik.name)
        assert lik.sample(params, torch.Generator().manual_seed(0)).shape == x.shape
    assert [lik.discrete for lik, *_ in cases] == [True, False, False, False]


def test_nll_broadcasts_k_samples_against_n_images():
    g = torch.Generator().manual_seed(4)
    x = torch.rand(3, 784, generator=g)
    for lik, width in [
        (L.likelihood("bernoulli"), 784),
        (L.likelihood("gaussian", sigma=0.2), 784),
        (L.likelihood("gaussian-learned"), 785),
        (L.likelihood("continuous-bernoulli"), 784),
    ]:
        params = torch.randn(5, 3, width, generator=g)  # k = 5 samples of z for each of 3 images
        got = lik.nll(params, x)
        assert got.shape == (5, 3)
        torch.testing.assert_close(got[2], lik.nll(params[2], x), msg=lik.name)


def test_gaussian_draws_have_the_stated_mean_and_sigma():
    lik = L.likelihood("gaussian-learned")
    params = torch.cat([torch.zeros(50_000, 2), torch.full((50_000, 1), math.log(0.2))], 1)  # means 1/2, sigma 0.2
    draws = lik.sample(params, torch.Generator().manual_seed(5))
    assert abs(draws.mean() - 0.5) < 0.005 and abs(draws.std() - 0.2) < 0.005


@pytest.mark.parametrize(
    "name, sigma",
    [
        ("poisson", None),
        ("gaussian", None),
        ("bernoulli", 0.1),
        ("gaussian", 0.0),
        ("gaussian", float("nan")),
        ("continuous-bernoulli", 1.0),
    ],
)
def test_bad_likelihoods_are_refused(name, sigma):
    with pytest.raises(ValueError):
        L.likelihood(name, sigma)


def test_dequantized_bound_is_above_the_exact_discrete_nll_and_exact_for_a_uniform_density():
    """E_u[-log p((k + u)/256)] + d ln 256 >= -log P(k) = -log of p's mass on the bins, checked with the
    Normal CDF; and a uniform density on [0, 1] gives exactly 8 bits per pixel."""
    pixels = torch.randint(0, 256, (4, 784), generator=torch.Generator().manual_seed(6), dtype=torch.uint8)
    x = L.dequantize(pixels, torch.Generator().manual_seed(7))
    assert ((x >= pixels / 256) & (x < (pixels.double() + 1) / 256)).all()
    assert L.bits_per_dim_8bit(0.0) == pytest.approx(8.0)
    mean, sigma = torch.full((4, 784), 0.5, dtype=torch.float64), 0.3
    normal = Normal(mean, sigma)
    k = pixels.double()
    exact = -torch.log(normal.cdf((k + 1) / 256) - normal.cdf(k / 256)).sum(1)  # -log P(k), the mass on the bins
    low = k / 256 - mean  # E_u[(k/256 + u/256 - mean)^2] = low^2 + low/256 + 1/(3 * 256^2), u ~ U(0, 1)
    expected_square = low.square() + low / 256 + 1 / (3 * 256**2)
    neg_log_p = (expected_square / (2 * sigma**2) + math.log(sigma) + 0.5 * math.log(2 * math.pi)).sum(1)  # E_u[-log p]
    bound = neg_log_p + 784 * math.log(256)
    assert (bound >= exact).all() and (bound - exact).max() < 0.1  # narrow bins: the bound is tight for this smooth p
    draws = torch.stack(
        [
            L.gaussian_nll(mean, L.dequantize(pixels, torch.Generator().manual_seed(s)).double(), math.log(sigma))
            for s in range(100)
        ]
    )  # Monte Carlo over u agrees with the expectation
    assert ((draws.mean(0) - neg_log_p).abs() < 4 * draws.std(0) / 10).all()
    with pytest.raises(TypeError, match="uint8"):
        L.dequantize(pixels.float(), torch.Generator())
