"""vaelib.models: shapes, seeding, the reparameterization gradient, prior samples, bad input."""

import pytest
import torch

from vaelib import VAE, Autoencoder, ModelConfig


@pytest.mark.parametrize("hidden_dims", [(), (32,), (64, 32)])
@pytest.mark.parametrize("latent_dim", [2, 7])
def test_shapes(hidden_dims, latent_dim):
    config = ModelConfig(input_dim=20, hidden_dims=hidden_dims, latent_dim=latent_dim)
    x = torch.rand(5, 20)
    vae = VAE(config)
    logits, mu, log_sigma = vae(x)
    assert logits.shape == (5, 20) and mu.shape == log_sigma.shape == (5, latent_dim)
    assert vae.sample(3).shape == (3, 20)
    ae = Autoencoder(config)
    assert ae.encode(x).shape == (5, latent_dim) and ae(x).shape == (5, 20)


def test_layers_are_named_for_what_they_produce():
    names = {name for name, _ in VAE().named_children()}
    assert {"encoder", "fc_mu", "fc_log_sigma", "decoder"} == names


def test_seed_fixes_weights_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a, b, c = VAE(seed=1), VAE(seed=1), VAE(seed=2)
    after = torch.rand(1)
    assert torch.equal(before, after)  # building models did not consume global random numbers
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    assert not torch.equal(a.fc_mu.weight, c.fc_mu.weight)


def test_reparameterize_distribution_matches_mu_and_sigma():
    mu = torch.tensor([[1.5, -2.0]])
    log_sigma = torch.tensor([[0.0, -1.0]])
    g = torch.Generator().manual_seed(0)
    z = VAE.reparameterize(mu.expand(100_000, 2), log_sigma.expand(100_000, 2), g)
    torch.testing.assert_close(z.mean(0), mu[0], atol=0.02, rtol=0)
    torch.testing.assert_close(z.std(0), log_sigma[0].exp(), atol=0.02, rtol=0)


def test_reparameterize_gradcheck_in_float64():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(3, 4, dtype=torch.float64, generator=g, requires_grad=True)
    log_sigma = torch.randn(3, 4, dtype=torch.float64, generator=g, requires_grad=True)

    def fn(m, s):  # fixed noise: the same eps on every evaluation, as gradcheck needs
        return VAE.reparameterize(m, s, torch.Generator().manual_seed(7))

    assert torch.autograd.gradcheck(fn, (mu, log_sigma))
    # and the gradient is the one the trick promises: dz/dmu = 1, dz/dlog_sigma = sigma * eps
    eps = torch.randn(3, 4, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    z = fn(mu, log_sigma)
    z.sum().backward()
    torch.testing.assert_close(mu.grad, torch.ones_like(mu))
    torch.testing.assert_close(log_sigma.grad, log_sigma.detach().exp() * eps)


def test_sample_is_seeded_and_in_unit_interval():
    vae = VAE(ModelConfig(input_dim=30, hidden_dims=(16,), latent_dim=2))
    a = vae.sample(10, torch.Generator().manual_seed(5), mean=True)
    b = vae.sample(10, torch.Generator().manual_seed(5), mean=True)
    assert torch.equal(a, b) and a.min() >= 0 and a.max() <= 1


def test_samples_are_bernoulli_draws_whose_average_is_the_mean():
    """Without mean=True, sample gives 0/1 pixels; averaged over many draws at the same z they give the
    decoder's probabilities, which is what mean=True returns (compared by Monte Carlo)."""
    vae = VAE(ModelConfig(input_dim=30, hidden_dims=(16,), latent_dim=2), seed=1)
    draws = vae.sample(10, torch.Generator().manual_seed(5))
    assert set(draws.unique().tolist()) <= {0.0, 1.0}
    z = torch.randn(1, 2, generator=torch.Generator().manual_seed(0))
    probabilities = torch.sigmoid(vae.decode(z)).detach()
    many = torch.bernoulli(probabilities.expand(20_000, -1), generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(many.mean(0, keepdim=True), probabilities, atol=0.015, rtol=0)
    # the same generator seed gives the same z for draws and means: the draws are coin flips of those means
    means = vae.sample(200, torch.Generator().manual_seed(7), mean=True)
    flips = vae.sample(200, torch.Generator().manual_seed(7))
    assert ((flips == 1) <= (means > 0)).all() and abs(flips.mean() - means.mean()) < 0.02


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"latent_dim": 0}, ValueError),
        ({"input_dim": -1}, ValueError),
        ({"hidden_dims": [400]}, TypeError),
        ({"hidden_dims": (0,)}, ValueError),
        ({"latent_dim": 2.0}, TypeError),
    ],
)
def test_bad_config_is_refused(kwargs, error):
    with pytest.raises(error):
        ModelConfig(**kwargs)


@pytest.mark.parametrize(
    "x, error, match",
    [
        (torch.rand(4, 783), ValueError, "last dimension 784"),
        (torch.rand(784), ValueError, "2 dimensions"),
        (torch.randint(0, 2, (4, 784)), TypeError, "floating-point"),
        (torch.full((2, 784), float("nan")), ValueError, "NaN"),
        ([[0.0] * 784], TypeError, "torch.Tensor"),
    ],
)
def test_bad_input_is_refused(x, error, match):
    for model in (VAE(), Autoencoder()):
        with pytest.raises(error, match=match):
            model.encode(x)


def test_bad_latent_input_and_sample_size_are_refused():
    vae = VAE(ModelConfig(latent_dim=2))
    with pytest.raises(ValueError, match="last dimension 2"):
        vae.decode(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="positive"):
        vae.sample(0)


def test_finite_values_whose_sum_overflows_are_accepted():
    x = torch.full((2, 784), 3e38)  # each value finite, their sum is +inf in float32
    VAE().encode(x)  # no error
    x[1, 5] = float("inf")
    with pytest.raises(ValueError, match="NaN or infinite"):
        VAE().encode(x)
