"""Tests of vaelib.gradients against formulas written out by hand, SciPy quadrature and torch.distributions."""

import math

import pytest
import torch
from scipy import integrate, stats

from vaelib import VAE, ModelConfig
from vaelib import gradients as G


def cubic(z):  # f(z) = z^3 + 2 z, summed over latent dimensions
    return (z**3 + 2 * z).sum(-1)


def cubic_prime(z):
    return 3 * z**2 + 2


MU, SIGMA = torch.tensor([0.7, -1.2], dtype=torch.float64), torch.tensor([0.5, 1.5], dtype=torch.float64)


def exact_cubic_gradient(mu, sigma):
    # E[z^3 + 2z] = mu^3 + 3 mu sigma^2 + 2 mu (written out from the Gaussian moments)
    return 3 * mu**2 + 3 * sigma**2 + 2, 6 * mu * sigma


@pytest.mark.parametrize("method", G.METHODS)
def test_per_estimate_values_match_the_formulas_written_out(method):
    gen = torch.Generator().manual_seed(3)
    est = G.estimate_gradients(
        cubic, MU, SIGMA, num_samples=7, num_estimates=5, generator=gen, method=method, baseline=0.5
    )
    eps = torch.randn(5, 7, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    z = MU + SIGMA * eps
    if method == "pathwise":
        want_mu, want_sigma = cubic_prime(z), cubic_prime(z) * eps
    else:  # score: (f - b) * d log N(z; mu, sigma) / d(mu, sigma), written out
        weight = (z**3 + 2 * z).sum(-1, keepdim=True) - 0.5
        want_mu = weight * (z - MU) / SIGMA**2
        want_sigma = weight * ((z - MU) ** 2 - SIGMA**2) / SIGMA**3
    torch.testing.assert_close(est.mu, want_mu.mean(1))
    torch.testing.assert_close(est.sigma, want_sigma.mean(1))


@pytest.mark.parametrize("method", G.METHODS)
def test_splitting_into_passes_does_not_change_the_estimates(method):
    whole = G.estimate_gradients(cubic, MU, SIGMA, 5, 40, torch.Generator().manual_seed(8), method)
    split = G.estimate_gradients(
        cubic, MU, SIGMA, 5, 40, torch.Generator().manual_seed(8), method, max_samples_per_pass=12
    )
    torch.testing.assert_close(split.mu, whole.mu)
    torch.testing.assert_close(split.sigma, whole.sigma)


@pytest.mark.parametrize("method", G.METHODS)
def test_both_estimators_are_unbiased(method):
    n = 200_000
    est = G.estimate_gradients(cubic, MU, SIGMA, 1, n, torch.Generator().manual_seed(0), method)
    want_mu, want_sigma = exact_cubic_gradient(MU, SIGMA)
    for got, want in ((est.mu, want_mu), (est.sigma, want_sigma)):
        standard_error = got.std(dim=0) / math.sqrt(n)
        assert torch.all((got.mean(dim=0) - want).abs() < 5 * standard_error), (got.mean(0), want)


def _quad_variance(g, mu, sigma):
    """Var[g(z)] for z ~ N(mu, sigma^2) by SciPy quadrature."""
    pdf = stats.norm(mu, sigma).pdf
    lo, hi = mu - 12 * sigma, mu + 12 * sigma
    m1 = integrate.quad(lambda z: g(z) * pdf(z), lo, hi, limit=200)[0]
    m2 = integrate.quad(lambda z: g(z) ** 2 * pdf(z), lo, hi, limit=200)[0]
    return m2 - m1**2


def test_single_sample_variances_match_quadrature():
    mu, sigma, n = 1.0, 0.5, 400_000
    f = lambda z: z**2 + 10.0
    want = {
        "pathwise": _quad_variance(lambda z: 2 * z, mu, sigma),
        "score": _quad_variance(lambda z: f(z) * (z - mu) / sigma**2, mu, sigma),
    }
    for method, variance in want.items():
        est = G.estimate_gradients(
            lambda z: f(z).sum(-1),
            torch.tensor([mu], dtype=torch.float64),
            torch.tensor([sigma], dtype=torch.float64),
            1,
            n,
            torch.Generator().manual_seed(1),
            method,
        )
        assert est.mu.var().item() == pytest.approx(variance, rel=0.03), method
    assert want["score"] > 100 * want["pathwise"]  # the gap the notebook shows


def test_variance_falls_as_one_over_num_samples():
    gen = torch.Generator().manual_seed(2)
    f = lambda z: torch.sin(3 * z).sum(-1)
    one = G.estimate_gradients(f, MU, SIGMA, 1, 40_000, gen, "score").mu.var(dim=0)
    many = G.estimate_gradients(f, MU, SIGMA, 16, 40_000, gen, "score").mu.var(dim=0)
    torch.testing.assert_close(many, one / 16, rtol=0.1, atol=0)  # each variance estimate: ~2% standard error


def test_baseline_keeps_the_mean_and_cuts_the_variance():
    f = lambda z: (z**2 + 10.0).sum(-1)
    mu, sigma = torch.tensor([0.5], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64)
    plain = G.estimate_gradients(f, mu, sigma, 1, 200_000, torch.Generator().manual_seed(4), "score")
    based = G.estimate_gradients(f, mu, sigma, 1, 200_000, torch.Generator().manual_seed(5), "score", baseline=11.25)
    assert based.mu.mean().item() == pytest.approx(2 * 0.5, abs=5 * based.mu.std().item() / math.sqrt(200_000))
    assert based.mu.var() < plain.mu.var() / 5


def test_decoder_log_likelihood_matches_torch_distributions():
    model = VAE(ModelConfig(input_dim=784, hidden_dims=(16,), latent_dim=2), seed=1)
    x = torch.rand(784, generator=torch.Generator().manual_seed(0)).round()
    z = torch.randn(3, 4, 2, generator=torch.Generator().manual_seed(1))
    got = G.decoder_log_likelihood(model, x)(z)
    logits = model.decode(z.reshape(-1, 2)).reshape(3, 4, 784)
    want = torch.distributions.Bernoulli(logits=logits).log_prob(x).sum(-1)
    torch.testing.assert_close(got, want)


def test_bad_inputs_raise_clear_errors():
    gen = torch.Generator()
    with pytest.raises(ValueError, match="method"):
        G.estimate_gradients(cubic, MU, SIGMA, 1, 1, gen, "magic")
    with pytest.raises(ValueError, match="sigma > 0"):
        G.estimate_gradients(cubic, MU, -SIGMA, 1, 1, gen)
    with pytest.raises(ValueError, match="num_samples"):
        G.estimate_gradients(cubic, MU, SIGMA, 0, 1, gen)
