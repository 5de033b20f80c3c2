"""vaelib.conditional: the conditional VAE against references written out independently (the label's
effect as a column of the first weight matrix, the loss with torch.distributions), shapes, seeding,
bad input, training through vaelib.fit with labels, and saving and loading."""

import numpy as np
import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

import vaelib
from vaelib import conditional
from vaelib.conditional import ConditionalConfig, ConditionalVAE
from vaelib.training import batch_loss


def small(seed: int = 0, **sizes) -> ConditionalVAE:
    config = ConditionalConfig(**{"input_dim": 12, "hidden_dims": (16,), "latent_dim": 3, "num_classes": 4, **sizes})
    return ConditionalVAE(config, seed=seed)


@pytest.mark.parametrize("hidden_dims", [(), (16,), (16, 8)])
@pytest.mark.parametrize("latent_dim", [1, 3])
def test_shapes(hidden_dims, latent_dim):
    model = small(hidden_dims=hidden_dims, latent_dim=latent_dim)
    x, y = torch.rand(5, 12), torch.tensor([0, 1, 2, 3, 0])
    logits, mu, log_sigma = model(x, y)
    assert logits.shape == (5, 12) and mu.shape == log_sigma.shape == (5, latent_dim)
    assert model.decode(mu, y).shape == (5, 12) and model.sample(y).shape == (5, 12)
    assert conditional.every_label(model, mu[:2]).shape == (2, 4, 12)


def test_it_is_a_vae_with_named_layers_and_a_conditional_flag():
    model = small()
    assert isinstance(model, vaelib.VAE) and model.conditional and not vaelib.VAE.conditional
    assert {name for name, _ in model.named_children()} == {"encoder", "fc_mu", "fc_log_sigma", "decoder"}
    assert model.encoder[0].in_features == 12 + 4 and model.decoder[0].in_features == 3 + 4


def test_the_label_enters_as_one_column_of_the_first_layer():
    """Appending a one-hot y to the input adds column (input_dim + y) of the first weight matrix: computed
    here from the weights with index arithmetic, without concatenation or one-hot vectors."""
    model = small(seed=3)
    x, y, z = torch.rand(6, 12), torch.tensor([3, 0, 1, 2, 2, 1]), torch.randn(6, 3)
    first = model.encoder[0]
    h = torch.relu(x @ first.weight[:, :12].T + first.weight[:, 12 + y].T + first.bias)
    mu, log_sigma = model.encode(x, y)
    torch.testing.assert_close(mu, h @ model.fc_mu.weight.T + model.fc_mu.bias)
    torch.testing.assert_close(log_sigma, h @ model.fc_log_sigma.weight.T + model.fc_log_sigma.bias)
    d0, d1 = model.decoder[0], model.decoder[2]
    g = torch.relu(z @ d0.weight[:, :3].T + d0.weight[:, 3 + y].T + d0.bias)
    torch.testing.assert_close(model.decode(z, y), g @ d1.weight.T + d1.bias)


def test_changing_only_the_label_changes_the_outputs():
    model = small(seed=1)
    x, z = torch.rand(1, 12), torch.randn(1, 3)
    codes = [model.encode(x, torch.tensor([c]))[0] for c in range(4)]
    images = [model.decode(z, torch.tensor([c])) for c in range(4)]
    for a in range(4):
        for b in range(a + 1, 4):
            assert not torch.allclose(codes[a], codes[b]) and not torch.allclose(images[a], images[b])
    grid = conditional.every_label(model, z)  # (1, 4, 12): the same z drawn as every label
    for c in range(4):
        torch.testing.assert_close(grid[0, c], torch.sigmoid(images[c][0]))


def test_loss_matches_torch_distributions_with_the_same_noise():
    """The negative ELBO given y that fit trains on, recomputed with torch.distributions."""
    model = small(seed=2)
    x, y = torch.rand(7, 12), torch.tensor([0, 1, 2, 3, 3, 2, 1])
    terms = batch_loss(model, x, generator=torch.Generator().manual_seed(5), labels=y)
    mu, log_sigma = model.encode(x, y)
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(5))
    z = mu + log_sigma.exp() * eps
    nll = -Bernoulli(logits=model.decode(z, y), validate_args=False).log_prob(x).sum(1)
    kl = kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).sum(1)
    torch.testing.assert_close(terms.reconstruction, nll.mean())
    torch.testing.assert_close(terms.kl, kl.mean())
    torch.testing.assert_close(terms.total, (nll + kl).mean())


def test_seed_fixes_weights_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a, b, c = small(seed=1), small(seed=1), small(seed=2)
    assert torch.equal(before, torch.rand(1))
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not torch.equal(a.fc_mu.weight, c.fc_mu.weight)


def test_samples_are_seeded_draws_from_the_prior_decoded_with_each_label():
    model = small(seed=4)
    y = torch.tensor([0, 1, 2, 3] * 5)
    a = model.sample(y, torch.Generator().manual_seed(5), mean=True)
    b = model.sample(y, torch.Generator().manual_seed(5), mean=True)
    assert torch.equal(a, b) and a.min() >= 0 and a.max() <= 1
    z = torch.randn(len(y), 3, generator=torch.Generator().manual_seed(5))  # what sample draws first
    torch.testing.assert_close(a, torch.sigmoid(model.decode(z, y)))
    draws = model.sample(y, torch.Generator().manual_seed(5))
    assert set(draws.unique().tolist()) <= {0.0, 1.0}


@pytest.mark.parametrize(
    "y, match",
    [
        (torch.tensor([0, 1, 2]), r"shape \(2,\)"),
        (torch.tensor([0.0, 1.0]), "int64"),
        (torch.tensor([0, 4]), r"0\.\.3"),
        (torch.tensor([-1, 0]), r"0\.\.3"),
        ([0, 1], "int64"),
    ],
)
def test_bad_labels_are_refused(y, match):
    model = small()
    with pytest.raises(ValueError, match=match):
        model.encode(torch.rand(2, 12), y)
    with pytest.raises(ValueError, match=match):
        model.decode(torch.randn(2, 3), y)


def test_bad_config_and_input_are_refused():
    with pytest.raises(ValueError):
        ConditionalConfig(num_classes=0)
    with pytest.raises(TypeError):
        ConditionalConfig(hidden_dims=[400])
    with pytest.raises(ValueError, match="last dimension 12"):
        small().encode(torch.rand(2, 11), torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="floating-point"):
        small().encode(torch.zeros(2, 12, dtype=torch.uint8), torch.tensor([0, 1]))


def test_fit_needs_the_labels_and_uses_them():
    """When the label decides the image, the best CVAE puts nothing in z: the KL goes to zero and the decoder
    draws the label's pattern from y alone (a model that ignored y would have to encode it in z)."""
    g = torch.Generator().manual_seed(0)
    patterns = (torch.rand(4, 12, generator=g) > 0.5).float()  # one binary image per label
    labels = torch.randint(0, 4, (512,), generator=g)
    x = patterns[labels]
    model = small(seed=0)
    config = vaelib.TrainConfig(num_epochs=40, batch_size=64, lr=3e-3, progress=False)
    with pytest.raises(ValueError, match="conditional"):
        vaelib.fit(model, x, config)  # no labels
    history = vaelib.fit(model, x, config, labels=labels)
    last = history.records[-1]
    assert last.train_kl < 0.1 and last.train_reconstruction < 0.5
    images = conditional.decode(model, torch.zeros(4, 3), torch.arange(4))
    assert ((images > 0.5).float() == patterns).all()
    result = vaelib.evaluate_loss(model, x, labels=labels)
    assert result["loss"] < 1.0
    with pytest.raises(ValueError, match="not conditional"):
        vaelib.evaluate_loss(
            vaelib.VAE(vaelib.ModelConfig(input_dim=12, hidden_dims=(8,), latent_dim=2)), x, labels=labels
        )


def test_encode_all_matches_one_batch_and_takes_uint8_pixels():
    model = small(seed=5)
    pixels = torch.randint(0, 256, (25, 12), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    y = torch.arange(25) % 4
    mu, log_sigma = conditional.encode_all(model, pixels, y, batch_size=7)
    ref_mu, ref_log_sigma = model.encode(pixels.float() / 255, y)
    torch.testing.assert_close(mu, ref_mu)
    torch.testing.assert_close(log_sigma, ref_log_sigma)
    with pytest.raises(TypeError, match="ConditionalVAE"):
        conditional.encode_all(vaelib.VAE(), pixels, y)


def test_save_and_load_round_trip(tmp_path):
    model = small(seed=6)
    path = vaelib.save_model(model, tmp_path / "cvae.safetensors")
    loaded = vaelib.load_model(path, expected_config=model.config)
    assert type(loaded) is ConditionalVAE and loaded.config == model.config and not loaded.training
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)


def test_slant_is_the_weighted_least_squares_lean_of_the_ink():
    """slant = minus the slope of column on row, fitted to the ink by weighted least squares (numpy.polyfit),
    and exact on drawn strokes: 0 upright, +1 for '/', -1 for a backslash."""
    g = torch.Generator().manual_seed(0)
    images = torch.rand(5, 784, generator=g) ** 4
    rows, cols = np.divmod(np.arange(784), 28)
    for image, value in zip(images.numpy(), conditional.slant(images).numpy(), strict=True):
        weights = np.sqrt(image.astype(np.float64))  # polyfit's weights multiply the residuals
        slope = np.polyfit(rows, cols, 1, w=weights)[0]
        assert value == pytest.approx(-slope, rel=1e-9)
    strokes = torch.zeros(3, 28, 28)
    strokes[0, :, 14] = 1.0  # |
    strokes[1, torch.arange(28), 27 - torch.arange(28)] = 1.0  # /
    strokes[2, torch.arange(28), torch.arange(28)] = 1.0  # backslash
    torch.testing.assert_close(
        conditional.slant(strokes.reshape(3, 784)), torch.tensor([0.0, 1.0, -1.0], dtype=torch.float64)
    )
