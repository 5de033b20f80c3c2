"""vaelib.losses against torch.distributions, Monte Carlo and the formulas written out."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Bernoulli, Normal, kl_divergence

from vaelib import losses

torch.set_default_dtype(torch.float32)


def _random_params(seed, batch=64, latent_dim=5, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(batch, latent_dim, generator=g, dtype=dtype) * 2
    log_sigma = torch.randn(batch, latent_dim, generator=g, dtype=dtype)
    return mu, log_sigma


def test_kl_matches_torch_distributions():
    mu, log_sigma = _random_params(0)
    ours = losses.kl_to_standard_normal(mu, log_sigma)
    reference = kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).sum(dim=1)
    torch.testing.assert_close(ours, reference, rtol=1e-12, atol=1e-12)


def test_kl_matches_monte_carlo_estimate():
    mu, log_sigma = _random_params(1, batch=4, latent_dim=3)
    g = torch.Generator().manual_seed(2)
    n = 200_000
    eps = torch.randn(n, *mu.shape, generator=g, dtype=torch.float64)
    z = mu + log_sigma.exp() * eps  # (n, batch, latent_dim)
    log_ratio = Normal(mu, log_sigma.exp()).log_prob(z).sum(-1) - Normal(0.0, 1.0).log_prob(z).sum(-1)
    estimate, stderr = log_ratio.mean(0), log_ratio.std(0) / math.sqrt(n)
    exact = losses.kl_to_standard_normal(mu, log_sigma)
    assert torch.all((estimate - exact).abs() < 5 * stderr)


def test_kl_is_zero_exactly_at_standard_normal_and_positive_elsewhere():
    zeros = torch.zeros(3, 4)
    assert torch.equal(losses.kl_to_standard_normal(zeros, zeros), torch.zeros(3))
    mu, log_sigma = _random_params(3, dtype=torch.float32)
    assert torch.all(losses.kl_to_standard_normal(mu, log_sigma) > 0)


def test_kl_is_accurate_near_sigma_one_in_float32():
    log_sigma = torch.tensor([[1e-4]], dtype=torch.float32)
    exact = 0.5 * (math.exp(2e-4) - 1 - 2e-4)  # about 2e-8; naive float32 would give noise
    value = losses.kl_to_standard_normal(torch.zeros(1, 1), log_sigma).item()
    assert value == pytest.approx(exact, rel=1e-3)


def test_kl_is_finite_for_extreme_log_sigma():
    mu = torch.zeros(2, 1)
    log_sigma = torch.tensor([[30.0], [-30.0]])
    kl = losses.kl_to_standard_normal(mu, log_sigma)
    assert torch.isfinite(kl).all()
    assert kl[1].item() == pytest.approx(0.5 * (math.exp(-60) - 1 + 60), rel=1e-6)
    assert kl[0].item() == pytest.approx(0.5 * (math.exp(60) - 1 - 60), rel=1e-5)


@settings(max_examples=50, deadline=None)
@given(
    mu=st.floats(-50, 50),
    log_sigma=st.floats(-30, 30),
)
def test_kl_property_nonnegative_and_matches_formula(mu, log_sigma):
    m = torch.tensor([[mu]], dtype=torch.float64)
    s = torch.tensor([[log_sigma]], dtype=torch.float64)
    value = losses.kl_to_standard_normal(m, s).item()
    assert value >= 0
    formula = 0.5 * (mu**2 + math.exp(2 * log_sigma) - 2 * log_sigma - 1)
    assert value == pytest.approx(formula, rel=1e-9, abs=1e-12)


def test_bernoulli_nll_matches_formula_and_torch_distribution():
    g = torch.Generator().manual_seed(4)
    logits = torch.randn(8, 784, generator=g, dtype=torch.float64) * 3
    x = torch.rand(8, 784, generator=g, dtype=torch.float64)
    p = torch.sigmoid(logits)
    formula = -(x * p.log() + (1 - x) * (1 - p).log()).sum(1)
    torch.testing.assert_close(losses.bernoulli_nll(logits, x), formula)
    binary = (x > 0.5).double()
    reference = -Bernoulli(logits=logits).log_prob(binary).sum(1)
    torch.testing.assert_close(losses.bernoulli_nll(logits, binary), reference)


def test_bernoulli_nll_pinned_on_a_known_input():
    # logit 0 means p = 1/2 for every pixel: -log p(x) = 784 log 2 whatever the binary image
    value = losses.bernoulli_nll(torch.zeros(1, 784), torch.ones(1, 784)).item()
    assert value == pytest.approx(784 * math.log(2), rel=1e-6)


def test_bernoulli_nll_is_exact_for_extreme_logits():
    logits = torch.tensor([[100.0, -100.0, 100.0, -100.0]])
    x = torch.tensor([[1.0, 0.0, 0.0, 1.0]])
    value = losses.bernoulli_nll(logits, x).item()
    assert math.isfinite(value)
    assert value == pytest.approx(200.0, rel=1e-6)  # two confident mistakes cost 100 nats each


def test_negative_elbo_parts_units_and_beta():
    mu, log_sigma = _random_params(5, batch=16, dtype=torch.float32)
    g = torch.Generator().manual_seed(6)
    logits = torch.randn(16, 784, generator=g)
    x = torch.rand(16, 784, generator=g)
    terms = losses.negative_elbo(logits, x, mu, log_sigma, beta=1.0)
    rec = losses.bernoulli_nll(logits, x)
    kl = losses.kl_to_standard_normal(mu, log_sigma)
    assert terms.reconstruction.item() == pytest.approx(rec.mean().item(), rel=1e-6)
    assert terms.kl.item() == pytest.approx(kl.mean().item(), rel=1e-6)
    assert terms.total.item() == pytest.approx((rec + kl).mean().item(), rel=1e-6)
    weighted = losses.negative_elbo(logits, x, mu, log_sigma, beta=4.0)
    assert weighted.total.item() == pytest.approx((rec + 4 * kl).mean().item(), rel=1e-6)
    per_example = losses.negative_elbo(logits, x, mu, log_sigma, reduction="none")
    assert per_example.total.shape == (16,)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: losses.kl_to_standard_normal(torch.zeros(2, 3), torch.zeros(2, 4)), ValueError, "same shape"),
        (lambda: losses.kl_to_standard_normal(torch.zeros(3), torch.zeros(3)), ValueError, "2 dimensions"),
        (lambda: losses.kl_to_standard_normal(torch.full((1, 2), float("nan")), torch.zeros(1, 2)), ValueError, "NaN"),
        (lambda: losses.kl_to_standard_normal([[0.0]], torch.zeros(1, 1)), TypeError, "torch.Tensor"),
        (lambda: losses.bernoulli_nll(torch.zeros(2, 5, dtype=torch.int64), torch.zeros(2, 5)), TypeError, "floating"),
        (lambda: losses.bernoulli_nll(torch.zeros(2, 5), torch.zeros(2, 6)), ValueError, "same shape"),
        (
            lambda: losses.negative_elbo(
                torch.zeros(2, 5), torch.zeros(2, 5), torch.zeros(2, 1), torch.zeros(2, 1), beta=-1
            ),
            ValueError,
            "beta",
        ),
        (
            lambda: losses.negative_elbo(torch.zeros(2, 5), torch.zeros(2, 5), torch.zeros(3, 1), torch.zeros(3, 1)),
            ValueError,
            "batch size",
        ),
        (
            lambda: losses.negative_elbo(
                torch.zeros(2, 5), torch.zeros(2, 5), torch.zeros(2, 1), torch.zeros(2, 1), reduction="sum"
            ),
            ValueError,
            "reduction",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()
