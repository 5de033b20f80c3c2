"""Tests of vaelib.explorer against brute-force NumPy and direct decoder calls."""

import numpy as np
import pytest
import torch

from vaelib import VAE, Autoencoder, ModelConfig, explorer

SMALL = ModelConfig(input_dim=784, hidden_dims=(16,), latent_dim=2)


def test_nearest_images_matches_numpy_brute_force():
    gen = torch.Generator().manual_seed(0)
    images, reference = torch.rand(37, 784, generator=gen), torch.rand(120, 784, generator=gen)
    distance, index = explorer.nearest_images(images, reference, batch_size=10)
    a, b = images.numpy().astype(np.float64), reference.numpy().astype(np.float64)
    squared = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)  # (37, 120)
    np.testing.assert_array_equal(index.numpy(), squared.argmin(1))
    np.testing.assert_allclose(distance.numpy(), np.sqrt(squared.min(1) / 784), rtol=1e-6)


def test_an_image_in_the_reference_is_at_distance_zero():
    reference = torch.rand(50, 784, generator=torch.Generator().manual_seed(1))
    distance, index = explorer.nearest_images(reference[[3, 17]], reference)
    assert index.tolist() == [3, 17]
    assert distance.max() < 1e-6


def test_codes_and_decode_use_mu_for_a_vae_and_the_point_for_an_autoencoder():
    x = torch.rand(5, 784, generator=torch.Generator().manual_seed(2))
    vae, ae = VAE(SMALL, seed=1), Autoencoder(SMALL, seed=1)
    torch.testing.assert_close(explorer.codes(vae, x), vae.encode(x)[0])
    torch.testing.assert_close(explorer.codes(ae, x), ae.encode(x))
    z = torch.randn(4, 2, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(explorer.decode(vae, z), torch.sigmoid(vae.decoder(z)))


def test_paths_start_and_end_at_the_decoded_codes():
    gen = torch.Generator().manual_seed(4)
    x_start, x_end = torch.rand(3, 784, generator=gen), torch.rand(3, 784, generator=gen)
    vae = VAE(SMALL, seed=2)
    paths = explorer.latent_paths(vae, x_start, x_end, num_steps=5)
    assert paths.shape == (3, 5, 784)
    mu_start, mu_end = vae.encode(x_start)[0].detach(), vae.encode(x_end)[0].detach()
    torch.testing.assert_close(paths[:, 0], torch.sigmoid(vae.decode(mu_start)).detach())
    torch.testing.assert_close(paths[:, -1], torch.sigmoid(vae.decode(mu_end)).detach())
    torch.testing.assert_close(paths[:, 2], torch.sigmoid(vae.decode((mu_start + mu_end) / 2)).detach())


def test_largest_step_share_of_even_and_sudden_paths():
    t = torch.linspace(0, 1, 5)[None, :, None]
    a, b = torch.zeros(1, 1, 4), torch.ones(1, 1, 4)
    even = (1 - t) * a + t * b  # changes by the same amount each step
    sudden = torch.cat([a.expand(1, 3, 4), b.expand(1, 2, 4)], dim=1)  # one jump
    torch.testing.assert_close(explorer.largest_step_share(torch.cat([even, sudden])), torch.tensor([0.25, 1.0]))


def test_explorer_shows_the_decoded_digit_and_follows_the_sliders():
    vae = VAE(SMALL, seed=3)
    codes, labels = torch.randn(40, 2, generator=torch.Generator().manual_seed(5)), np.arange(40) % 10
    ex = explorer.LatentExplorer(vae, codes, labels, limit=2.0)
    want = torch.sigmoid(vae.decode(torch.tensor([[0.5, -1.0]]))).detach().reshape(28, 28).numpy()
    np.testing.assert_allclose(ex.image(0.5, -1.0), want, rtol=1e-6)
    before = ex.digit.value
    assert before[:8] == b"\x89PNG\r\n\x1a\n" and ex.plane.value[:8] == b"\x89PNG\r\n\x1a\n"
    ex.z1.value = 1.5  # moving a slider redraws
    assert ex.digit.value != before
    assert tuple(ex.marker.get_xdata()) == (1.5,)
    assert repr(ex.widget).startswith("Latent explorer")


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="latent_dim 2"):
        explorer.LatentExplorer(VAE(ModelConfig(hidden_dims=(8,), latent_dim=3)), torch.zeros(1, 2), [0])
    with pytest.raises(ValueError, match="last dimension"):
        explorer.nearest_images(torch.rand(2, 784), torch.rand(3, 783))
    with pytest.raises(ValueError, match="last dimension 2"):
        explorer.static_explorer(VAE(SMALL), [[0.0, 0.0, 0.0]], torch.zeros(3, 2), [0, 1, 2])


def test_static_explorer_draws_the_plane_and_the_digits():
    import matplotlib.pyplot as plt

    points = [[0.0, 0.0], [1.0, -1.0], [-2.0, 0.5]]
    fig = explorer.static_explorer(VAE(SMALL), points, torch.randn(30, 2), np.arange(30) % 10)
    plane, digits = fig.axes[:2]
    assert len(plane.lines) == 3  # one marker per point
    assert digits.images[0].get_array().shape == (28, 3 * 29 - 1)
    assert not plane.patches  # no circle unless asked for
    plt.close(fig)
    fig = explorer.static_explorer(VAE(SMALL), points, torch.randn(30, 2), np.arange(30) % 10, circle_radius=2.45)
    (circle,) = fig.axes[0].patches
    assert circle.get_radius() == pytest.approx(2.45) and tuple(circle.center) == (0.0, 0.0)
    plt.close(fig)
    with pytest.raises(ValueError, match="circle_radius"):
        explorer.static_explorer(VAE(SMALL), points, torch.randn(30, 2), np.arange(30) % 10, circle_radius=-1.0)


def test_rescale_latent_keeps_every_reconstruction_and_stretches_the_codes():
    from torch.distributions import Bernoulli

    vae = VAE(SMALL, seed=5)
    scale = torch.tensor([0.6, 1.7])
    rescaled = explorer.rescale_latent(vae, scale)
    x = torch.bernoulli(
        torch.rand(20, 784, generator=torch.Generator().manual_seed(6)), generator=torch.Generator().manual_seed(6)
    )  # binary pixels
    with torch.no_grad():
        mu, log_sigma = vae.encode(x)
        mu_r, log_sigma_r = rescaled.encode(x)
        torch.testing.assert_close(mu_r, mu * scale)
        torch.testing.assert_close(log_sigma_r.exp(), log_sigma.exp() * scale)
        z = mu + log_sigma.exp() * torch.randn(mu.shape, generator=torch.Generator().manual_seed(7))
        nll = -Bernoulli(logits=vae.decode(z)).log_prob(x).sum(1)
        nll_r = -Bernoulli(logits=rescaled.decode(z * scale)).log_prob(x).sum(1)
    torch.testing.assert_close(nll_r, nll, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(vae.encode(x)[0], mu)  # the original is untouched
    with pytest.raises(ValueError, match="positive"):
        explorer.rescale_latent(vae, [1.0, -1.0])
    with pytest.raises(ValueError, match="2 of them"):
        explorer.rescale_latent(vae, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="VAE"):
        explorer.rescale_latent(Autoencoder(SMALL), 2.0)


def test_rescaling_lowers_the_kl_most_at_unit_second_moment():
    """KL(c) of the rescaled model, from torch.distributions and minimised numerically by scipy, is lowest
    at c = 1 / sqrt(E[mu^2 + sigma^2]): the codes then have the prior's second moment."""
    from scipy.optimize import minimize_scalar
    from torch.distributions import Normal, kl_divergence

    vae = VAE(SMALL, seed=8)
    x = torch.rand(200, 784, generator=torch.Generator().manual_seed(9))

    def kl(c: float) -> float:
        with torch.no_grad():
            mu, log_sigma = explorer.rescale_latent(vae, c).encode(x)
        return kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).sum(1).mean().item()

    with torch.no_grad():
        mu, log_sigma = vae.encode(x)
    best = minimize_scalar(kl, bounds=(0.05, 20.0), method="bounded", options={"xatol": 1e-6}).x
    second_moment = (mu.square() + (2 * log_sigma).exp()).mean().item()  # over rows and both axes
    assert best == pytest.approx(second_moment**-0.5, rel=1e-3)
    assert kl(best) < kl(1.0)


def test_latent_second_moment_is_the_monte_carlo_second_moment_of_the_codes():
    vae = VAE(SMALL, seed=8)
    x = torch.rand(60, 784, generator=torch.Generator().manual_seed(9))
    moment = explorer.latent_second_moment(vae, x, batch_size=7)  # batches that do not divide 60
    with torch.no_grad():
        mu, log_sigma = vae.encode(x)
        z = mu + log_sigma.exp() * torch.randn(20_000, *mu.shape, generator=torch.Generator().manual_seed(10))
    monte_carlo = z.square().mean(dim=(0, 1))  # E over x and eps of z_k^2
    torch.testing.assert_close(moment, monte_carlo, rtol=0.02, atol=0.0)
    rescaled = explorer.rescale_latent(vae, moment.rsqrt())
    torch.testing.assert_close(explorer.latent_second_moment(rescaled, x), torch.ones(2), rtol=1e-4, atol=0.0)
    with pytest.raises(ValueError, match="batch_size"):
        explorer.latent_second_moment(vae, x, batch_size=0)
