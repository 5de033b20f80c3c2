"""vaelib.divergence against independent references: scipy.stats.entropy, torch.distributions,
scipy.stats.norm, moment formulas, and a Monte Carlo check with a stated tolerance."""

import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch.distributions import Normal, kl_divergence

from vaelib import divergence


def _torch_kl(mu_p, sigma_p, mu_q, sigma_q):
    t = lambda v: torch.tensor(float(v), dtype=torch.float64)
    return kl_divergence(Normal(t(mu_p), t(sigma_p)), Normal(t(mu_q), t(sigma_q))).item()


def test_kl_discrete_matches_scipy_entropy():
    rng = np.random.default_rng(0)
    for _ in range(20):
        p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
        assert divergence.kl_discrete(p, q) == pytest.approx(stats.entropy(p, q), rel=1e-12)


def test_kl_discrete_zeros_and_infinity():
    assert divergence.kl_discrete([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]) == pytest.approx(math.log(2))
    assert divergence.kl_discrete([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert divergence.kl_discrete([0.2, 0.8], [0.2, 0.8]) == 0.0


@pytest.mark.parametrize("params", [(1.0, 2.0, 0.0, 1.0), (0.0, 0.3, 2.0, 1.5), (-1.0, 1.0, -1.0, 1.0)])
def test_closed_form_and_quadrature_match_torch(params):
    mu_p, sigma_p, mu_q, sigma_q = params
    reference = _torch_kl(*params)
    assert divergence.kl_gaussians(*params) == pytest.approx(reference, abs=1e-12)
    value = divergence.kl_quadrature(
        divergence.gaussian_logpdf(mu_p, sigma_p),
        divergence.gaussian_logpdf(mu_q, sigma_q),
        mu_p - 15 * sigma_p,
        mu_p + 15 * sigma_p,
    )
    assert value == pytest.approx(reference, abs=1e-9)


def test_kl_gaussians_broadcasts():
    mu = np.array([0.0, 1.0, 2.0])
    ours = divergence.kl_gaussians(mu, 0.5, 0.0, 1.0)
    np.testing.assert_allclose(ours, [_torch_kl(m, 0.5, 0.0, 1.0) for m in mu], atol=1e-12)


def test_monte_carlo_is_within_its_standard_error_and_shrinks_like_one_over_root_n():
    reference = _torch_kl(1.0, 2.0, 0.0, 1.0)
    log_p, log_q = divergence.gaussian_logpdf(1.0, 2.0), divergence.gaussian_logpdf(0.0, 1.0)
    sample = lambda n, rng: rng.normal(1.0, 2.0, n)
    small = divergence.kl_monte_carlo(sample, log_p, log_q, 10_000, np.random.default_rng(0))
    large = divergence.kl_monte_carlo(sample, log_p, log_q, 160_000, np.random.default_rng(1))
    for estimate in (small, large):
        assert abs(estimate.value - reference) < 4 * estimate.standard_error  # fails with prob. ~6e-5
    assert small.standard_error / large.standard_error == pytest.approx(4.0, rel=0.05)


def test_mixture_density_and_moments():
    mixture = divergence.GaussianMixture1D((0.3, 0.7), (-3.0, 2.0), (0.7, 1.0))
    x = np.linspace(-8, 8, 101)
    reference = 0.3 * stats.norm.pdf(x, -3, 0.7) + 0.7 * stats.norm.pdf(x, 2, 1.0)
    np.testing.assert_allclose(np.exp(mixture.logpdf(x)), reference, rtol=1e-12)
    draws = mixture.sample(200_000, np.random.default_rng(0))
    assert draws.mean() == pytest.approx(mixture.mean(), abs=4 * mixture.std() / math.sqrt(len(draws)))
    assert draws.std() == pytest.approx(mixture.std(), rel=1e-2)
    assert mixture.mean() == pytest.approx(0.3 * -3 + 0.7 * 2)


def test_forward_fit_is_moment_matching():
    mixture = divergence.GaussianMixture1D((0.3, 0.7), (-3.0, 2.0), (0.7, 1.0))
    fit = divergence.fit_gaussian(mixture, "forward", mu_init=0.0)
    # Minimizing KL(p || q) over Gaussians q matches the mean and variance of p (Bishop 2006, 10.7).
    assert fit.mu == pytest.approx(0.3 * -3 + 0.7 * 2, abs=1e-5)
    variance = 0.3 * (0.7**2 + 9) + 0.7 * (1 + 4) - 0.5**2
    assert fit.sigma == pytest.approx(math.sqrt(variance), rel=1e-5)
    lower, upper = mixture.interval()
    quad = divergence.kl_quadrature(
        mixture.logpdf, divergence.gaussian_logpdf(fit.mu, fit.sigma), lower, upper, points=[-3, 2]
    )
    assert fit.kl == pytest.approx(quad, abs=1e-8)


@pytest.mark.parametrize("start,component", [(-2.0, 0), (1.0, 1)])
def test_reverse_fit_seeks_one_mode(start, component):
    weights, means, sigmas = (0.3, 0.7), (-6.0, 6.0), (0.7, 1.0)
    mixture = divergence.GaussianMixture1D(weights, means, sigmas)
    fit = divergence.fit_gaussian(mixture, "reverse", mu_init=start)
    # Far-apart modes: near mode k, p is w_k N(mean_k, sigma_k^2), so the best q is that component
    # and KL(q || p) = -log w_k.
    assert fit.mu == pytest.approx(means[component], abs=1e-4)
    assert fit.sigma == pytest.approx(sigmas[component], rel=1e-4)
    assert fit.kl == pytest.approx(-math.log(weights[component]), abs=1e-5)


def test_landscape_matches_torch():
    mu, log_sigma = np.linspace(-3, 3, 7), np.linspace(-2, 1, 4)
    landscape = divergence.kl_landscape(mu, log_sigma)
    assert landscape.shape == (4, 7)
    for i, s in enumerate(log_sigma):
        for j, m in enumerate(mu):
            assert landscape[i, j] == pytest.approx(_torch_kl(m, math.exp(s), 0.0, 1.0), abs=1e-12)


def test_gradient_flow_follows_the_analytic_gradient():
    mu, log_sigma, step = np.array([3.0, -1.0]), np.array([-2.0, 0.5]), 0.1
    path = divergence.kl_gradient_flow(mu, log_sigma, step, 2)
    # d KL / d mu = mu and d KL / d log_sigma = sigma^2 - 1, from KL = (mu^2 + sigma^2 - 2 log sigma - 1) / 2
    m1, s1 = mu - step * mu, log_sigma - step * (np.exp(2 * log_sigma) - 1)
    np.testing.assert_allclose(path[1], np.stack([m1, s1], axis=1), atol=1e-12)
    long = divergence.kl_gradient_flow(mu, log_sigma, 0.2, 200)
    np.testing.assert_allclose(long[-1], 0.0, atol=1e-6)  # the minimum: N(0, 1)


def test_overlap_matches_normal_cdf():
    for d, sigma in [(2.0, 1.0), (0.5, 0.3), (6.0, 2.0)]:
        # equal widths: the densities cross at the midpoint, so the overlap is 2 Phi(-d / (2 sigma))
        assert divergence.overlap(0.0, sigma, d, sigma) == pytest.approx(2 * stats.norm.cdf(-d / (2 * sigma)), abs=1e-9)
    assert divergence.overlap(1.0, 2.0, 1.0, 2.0) == pytest.approx(1.0, abs=1e-9)


def test_bad_inputs_raise():
    with pytest.raises(ValueError):
        divergence.kl_discrete([0.5, 0.6], [0.5, 0.5])
    with pytest.raises(ValueError):
        divergence.kl_discrete([1.0], [0.5, 0.5])
    with pytest.raises(ValueError):
        divergence.kl_gaussians(0.0, -1.0, 0.0, 1.0)
    with pytest.raises(ValueError):
        divergence.GaussianMixture1D((0.5, 0.6), (0.0, 1.0), (1.0, 1.0))
    with pytest.raises(ValueError):
        divergence.fit_gaussian(divergence.GaussianMixture1D((1.0,), (0.0,), (1.0,)), "sideways", 0.0)
    with pytest.raises(ValueError):
        divergence.kl_monte_carlo(lambda n, r: r.normal(size=n), np.negative, np.negative, 1, np.random.default_rng(0))
    with pytest.raises(ValueError):
        divergence.kl_gradient_flow(np.zeros(1), np.zeros(1), -0.1, 3)
