"""vaelib.linear_gaussian against torch.distributions, SciPy quadrature, Monte Carlo and Gaussian conditioning."""

import math

import numpy as np
import pytest
import sympy as sp
import torch
from scipy import integrate, stats
from torch.distributions import MultivariateNormal, Normal, kl_divergence

from vaelib import derive
from vaelib.linear_gaussian import LinearGaussian, symbolic_model


def _random_model(seed=0, data_dim=4, latent_dim=2) -> LinearGaussian:
    g = torch.Generator().manual_seed(seed)
    weight = torch.randn(data_dim, latent_dim, generator=g, dtype=torch.float64)
    bias = torch.randn(data_dim, generator=g, dtype=torch.float64)
    return LinearGaussian(weight, bias, 0.7)


def _marginal(model: LinearGaussian) -> MultivariateNormal:
    cov = model.weight @ model.weight.T + model.noise_std**2 * torch.eye(model.data_dim, dtype=torch.float64)
    return MultivariateNormal(model.bias, covariance_matrix=cov)


def test_log_evidence_matches_torch_multivariate_normal():
    model = _random_model()
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 2
    torch.testing.assert_close(model.log_evidence(x), _marginal(model).log_prob(x), rtol=1e-12, atol=1e-12)


def test_scalar_log_evidence_matches_quadrature():
    model = LinearGaussian.scalar(w=1.7, b=-0.4, s=0.3)
    for value in (-2.0, 0.1, 1.9):
        joint = lambda t, value=value: stats.norm.pdf(value, 1.7 * t - 0.4, 0.3) * stats.norm.pdf(t)
        reference, _ = integrate.quad(joint, -np.inf, np.inf)
        log_px = model.log_evidence(torch.tensor([value], dtype=torch.float64)).item()
        assert log_px == pytest.approx(math.log(reference), rel=1e-9)


def test_posterior_matches_gaussian_conditioning_of_the_joint():
    model = _random_model(2)
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    mean, cov = model.posterior(x)
    # joint of (z, x): Cov(z, x) = W^T, Cov(x) = W W^T + s^2 I  (Bishop 2006, eq. 2.81-2.82)
    cov_x = _marginal(model).covariance_matrix
    gain = model.weight.T @ torch.linalg.inv(cov_x)  # (K, D)
    torch.testing.assert_close(mean, (x - model.bias) @ gain.T, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(cov, torch.eye(2, dtype=torch.float64) - gain @ model.weight, rtol=1e-10, atol=1e-12)


def test_bayes_rule_log_joint_minus_log_evidence_is_log_posterior():
    model = _random_model(4)
    g = torch.Generator().manual_seed(5)
    x = torch.randn(6, 4, generator=g, dtype=torch.float64)
    z = torch.randn(10, 6, 2, generator=g, dtype=torch.float64)  # (samples, n, K)
    bayes = model.log_joint(x, z) - model.log_evidence(x)
    assert bayes.shape == (10, 6)
    torch.testing.assert_close(model.log_posterior(z, x), bayes, rtol=1e-10, atol=1e-10)


def test_scalar_posterior_mean_matches_quadrature():
    model = LinearGaussian.scalar(w=-1.2, b=0.5, s=0.8)
    joint = lambda t: stats.norm.pdf(2.0, -1.2 * t + 0.5, 0.8) * stats.norm.pdf(t)
    evidence, _ = integrate.quad(joint, -np.inf, np.inf)
    first, _ = integrate.quad(lambda t: t * joint(t), -np.inf, np.inf)
    second, _ = integrate.quad(lambda t: t * t * joint(t), -np.inf, np.inf)
    mean, cov = model.posterior(torch.tensor([2.0], dtype=torch.float64))
    assert mean.item() == pytest.approx(first / evidence, rel=1e-9)
    assert cov.item() == pytest.approx(second / evidence - (first / evidence) ** 2, rel=1e-8)


def test_elbo_matches_monte_carlo():
    model = _random_model(6, data_dim=3, latent_dim=2)
    x = torch.tensor([[0.5, -1.0, 2.0]], dtype=torch.float64)
    mu = torch.tensor([[0.3, -0.2]], dtype=torch.float64)
    sigma = torch.tensor([[0.5, 1.2]], dtype=torch.float64)
    g = torch.Generator().manual_seed(7)
    n = 400_000
    z = mu + sigma * torch.randn(n, 1, 2, generator=g, dtype=torch.float64)
    log_w = model.log_joint(x, z) - Normal(mu, sigma).log_prob(z).sum(-1)  # (n, 1)
    estimate, stderr = log_w.mean().item(), (log_w.std() / math.sqrt(n)).item()
    assert abs(model.elbo(x, mu, sigma).item() - estimate) < 5 * stderr


def test_evidence_equals_elbo_plus_kl_to_posterior_and_kl_matches_torch():
    model = _random_model(8)
    g = torch.Generator().manual_seed(9)
    x = torch.randn(7, 4, generator=g, dtype=torch.float64)
    mu = torch.randn(7, 2, generator=g, dtype=torch.float64)
    sigma = torch.rand(7, 2, generator=g, dtype=torch.float64) + 0.1
    gap = model.kl_to_posterior(x, mu, sigma)
    torch.testing.assert_close(model.log_evidence(x), model.elbo(x, mu, sigma) + gap, rtol=1e-11, atol=1e-11)
    mean, cov = model.posterior(x)
    reference = kl_divergence(MultivariateNormal(mu, torch.diag_embed(sigma.square())), MultivariateNormal(mean, cov))
    torch.testing.assert_close(gap, reference, rtol=1e-10, atol=1e-10)
    assert torch.all(gap > 0)


def test_exact_encoder_closes_the_gap_when_the_posterior_is_diagonal():
    model = LinearGaussian.scalar(w=2.0, b=0.5, s=0.8)
    x = torch.tensor([[1.5], [-0.3]], dtype=torch.float64)
    mu, log_sigma = model.exact_encoder(x)
    torch.testing.assert_close(model.elbo(x, mu, log_sigma.exp()), model.log_evidence(x), rtol=1e-13, atol=1e-13)
    gap = model.kl_to_posterior(x, mu, log_sigma.exp())
    torch.testing.assert_close(gap, torch.zeros(2, dtype=torch.float64), rtol=0, atol=1e-13)


def test_kl_to_prior_and_expected_log_likelihood_match_their_definitions():
    model = _random_model(10, data_dim=2, latent_dim=3)
    mu = torch.tensor([0.2, -1.0, 0.5], dtype=torch.float64)
    sigma = torch.tensor([0.3, 0.9, 1.5], dtype=torch.float64)
    torch.testing.assert_close(model.kl_to_prior(mu, sigma), kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0)).sum())
    x = torch.tensor([1.0, -2.0], dtype=torch.float64)
    g = torch.Generator().manual_seed(11)
    n = 400_000
    values = model.log_px_given_z(x, mu + sigma * torch.randn(n, 3, generator=g, dtype=torch.float64))
    stderr = values.std().item() / math.sqrt(n)
    assert abs(model.expected_log_likelihood(x, mu, sigma).item() - values.mean().item()) < 5 * stderr


def test_samples_have_the_marginal_mean_and_covariance():
    model = _random_model(12, data_dim=3, latent_dim=2)
    z, x = model.sample(200_000, torch.Generator().manual_seed(13))
    assert z.shape == (200_000, 2) and x.shape == (200_000, 3)
    target = _marginal(model)
    # tolerances: about 5 standard errors of a mean/covariance estimated from 200k draws
    torch.testing.assert_close(x.mean(0), target.mean, rtol=0, atol=0.02)
    torch.testing.assert_close(torch.cov(x.T), target.covariance_matrix, rtol=0.03, atol=0.03)


def test_symbolic_model_agrees_with_the_numeric_model():
    z, x, w, b = sp.symbols("z x w b", real=True)
    s = sp.Symbol("s", positive=True)
    sym = symbolic_model(z, x, w, b, s)
    assert derive.is_identity(derive.integrate_real_line(sym.likelihood * sym.prior, z), sym.evidence)
    bayes = sp.expand_log(sp.log(sym.likelihood * sym.prior / sym.evidence))
    assert derive.is_identity(bayes, sp.expand_log(sp.log(sym.posterior)))
    values = {x: 1.1, w: 0.9, b: -0.2, s: 0.4}
    model = LinearGaussian.scalar(0.9, -0.2, 0.4)
    mean, cov = model.posterior(torch.tensor([1.1], dtype=torch.float64))
    assert float(sym.posterior_mean.subs(values)) == pytest.approx(mean.item(), rel=1e-13)
    assert float(sym.posterior_std.subs(values)) ** 2 == pytest.approx(cov.item(), rel=1e-13)
    log_px = model.log_evidence(torch.tensor([1.1], dtype=torch.float64)).item()
    assert math.log(float(sym.evidence.subs(values))) == pytest.approx(log_px, rel=1e-13)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="noise_std"):
        LinearGaussian.scalar(1.0, 0.0, 0.0)
    with pytest.raises(TypeError, match="noise_std"):
        LinearGaussian(torch.ones(2, 1), torch.zeros(2), "1")
    with pytest.raises(ValueError, match="bias"):
        LinearGaussian(torch.ones(2, 1), torch.zeros(3), 1.0)
    with pytest.raises(ValueError, match="dimensions"):
        LinearGaussian(torch.ones(2), torch.zeros(2), 1.0)
    model = LinearGaussian.scalar(1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="last dimension"):
        model.log_evidence(torch.zeros(3, 2))
    with pytest.raises(ValueError, match="sigma must be positive"):
        model.elbo(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1, 1))
    with pytest.raises(TypeError, match="generator"):
        model.sample(3, generator=0)
    with pytest.raises(ValueError, match="NaN"):
        model.log_prior(torch.tensor([[float("nan")]]))
