"""vaelib.conv: shapes, seeding, convolution arithmetic, the likelihoods against torch.distributions, and that
fit, evaluate and the checkpoints take a ConvVAE unchanged."""

import dataclasses
import math

import pytest
import torch
from torch.distributions import Bernoulli, ContinuousBernoulli, Normal, kl_divergence

import vaelib
from vaelib import evaluate
from vaelib.checkpoints import MODEL_KINDS, CheckpointError
from vaelib.conv import ConvConfig, ConvVAE

SMALL = ConvConfig(latent_dim=3, channels=(4, 6))
CONFIGS = [
    dataclasses.replace(SMALL, likelihood=name, decoder_sigma=0.3 if name == "gaussian" else None)
    for name in ("bernoulli", "gaussian", "gaussian-learned", "continuous-bernoulli")
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.likelihood)
def test_shapes(config):
    model = ConvVAE(config)
    x = torch.rand(5, 784)
    params, mu, log_sigma = model(x)
    width = 785 if config.likelihood == "gaussian-learned" else 784
    assert params.shape == (5, width) and mu.shape == log_sigma.shape == (5, 3)
    assert model.decoder(torch.randn(7, 5, 3)).shape == (7, 5, width)  # k samples of z per image, as evaluate needs
    assert model.reconstruction_nll(model.decoder(torch.randn(7, 5, 3)), x).shape == (7, 5)
    assert model.sample(4).shape == model.sample(4, mean=True).shape == (4, 784)


def test_layers_are_named_for_what_they_produce_and_parameters_are_counted():
    model = ConvVAE(ConvConfig(latent_dim=50, channels=(16, 32)))
    assert {name for name, _ in model.named_children()} == {"encoder", "fc_mu", "fc_log_sigma", "decoder"}
    c1, c2, k = 16, 32, 50
    by_hand = (
        (1 * 16 + 1) * c1
        + (c1 * 16 + 1) * c2
        + 2 * (c2 * 49 + 1) * k  # two convolutions, two heads
        + (k + 1) * c2 * 49
        + (c2 * 16 * c1 + c1)
        + (c1 * 16 + 1)
    )  # linear, two transposed convolutions
    assert sum(p.numel() for p in model.parameters()) == by_hand
    learned = ConvVAE(dataclasses.replace(model.config, likelihood="gaussian-learned"))
    assert sum(p.numel() for p in learned.parameters()) == by_hand + c2 * 49 + 1  # the per-image log sigma head


def test_seed_fixes_weights_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a, b, c = ConvVAE(SMALL, seed=1), ConvVAE(SMALL, seed=1), ConvVAE(SMALL, seed=2)
    assert torch.equal(before, torch.rand(1))
    assert all(torch.equal(pa, pb) for pa, pb in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.fc_mu.weight, c.fc_mu.weight)


def test_the_encoder_is_a_convolution_a_shift_by_four_pixels_shifts_its_features_by_one():
    """Two stride-2 convolutions: moving the digit 4 pixels right moves every 7x7 feature map 1 cell right,
    except in the border columns, where the second convolution's zero padding stands in for features
    ReLU(bias) of an empty region: the property an MLP does not have."""
    model = ConvVAE(SMALL, seed=0)
    image = torch.zeros(1, 28, 28)
    image[0, 8:18, 6:14] = torch.rand(10, 8, generator=torch.Generator().manual_seed(0))
    shifted = torch.roll(image, shifts=4, dims=2)
    with torch.no_grad():
        a = model.encoder(image.reshape(1, 784)).reshape(1, 6, 7, 7)
        b = model.encoder(shifted.reshape(1, 784)).reshape(1, 6, 7, 7)
    torch.testing.assert_close(b[..., 2:6], a[..., 1:5])
    assert not torch.allclose(b[..., 1:6], a[..., 1:6])  # it did move


def test_decoder_outputs_one_value_per_pixel_of_a_28_by_28_image():
    model = ConvVAE(SMALL)
    h = model.decoder.fc(torch.zeros(1, 3))
    assert model.decoder.deconv[:-1](h).shape == (1, 1, 28, 28)


def reference_nll(config, params, x):
    """-log p(x|z) from torch.distributions, summed over the pixels."""
    logits = params[..., :784]
    if config.likelihood == "bernoulli":
        dist = Bernoulli(logits=logits)
    elif config.likelihood == "continuous-bernoulli":
        dist = ContinuousBernoulli(logits=logits)
    elif config.likelihood == "gaussian":
        dist = Normal(torch.sigmoid(logits), config.decoder_sigma)
    else:
        dist = Normal(torch.sigmoid(logits), params[..., 784:].exp())
    return -dist.log_prob(x).sum(-1)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.likelihood)
def test_negative_elbo_of_fit_matches_torch_distributions(config):
    model = ConvVAE(config, seed=3).double()
    g = torch.Generator().manual_seed(0)
    x = torch.rand(6, 784, generator=g, dtype=torch.float64)
    if config.likelihood == "bernoulli":
        x = torch.bernoulli(x, generator=g)
    terms = vaelib.training.batch_loss(model, x, generator=torch.Generator().manual_seed(1))
    mu, log_sigma = model.encode(x)
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    params = model.decode(mu + log_sigma.exp() * eps)
    kl = kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).sum(1)
    want = (reference_nll(config, params, x) + kl).mean()
    torch.testing.assert_close(terms.total, want, rtol=1e-9, atol=1e-7)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.likelihood)
def test_samples_and_means(config):
    model = ConvVAE(config, seed=1)
    means = model.sample(300, torch.Generator().manual_seed(4), mean=True)
    draws = model.sample(300, torch.Generator().manual_seed(4))  # the same z: draws scatter around the means
    assert means.min() >= 0 and means.max() <= 1
    if config.likelihood == "bernoulli":
        assert set(draws.unique().tolist()) <= {0.0, 1.0}
    if config.likelihood == "continuous-bernoulli":
        assert draws.min() >= 0 and draws.max() <= 1 and len(draws.unique()) > 1000
    assert abs(draws.mean() - means.mean()) < 0.02


def test_fit_evaluate_and_the_importance_weighted_bound_take_a_conv_vae():
    model = ConvVAE(SMALL, seed=0)
    pixels = vaelib.load_mnist("test").pixels[:512]
    config = vaelib.TrainConfig(num_epochs=3, batch_size=32, lr=3e-3, binarize=True, num_threads=1, progress=False)
    history = vaelib.fit(model, pixels, config, pixels[:128])
    assert history.records[-1].train_loss < history.records[0].train_loss - 50  # it learns
    x = evaluate.binarized_test_set()[:20]
    bound = evaluate.importance_weighted_bound(model, x, 50, torch.Generator().manual_seed(0), sample_chunk=20)
    # the same bound written out with torch.distributions, the same noise (drawn as NOISE_BLOCK draws of (20, K))
    with torch.no_grad():
        mu, log_sigma = model.encode(x)
        eps = torch.randn((50, *mu.shape), generator=torch.Generator().manual_seed(0))
        z = mu + log_sigma.exp() * eps
        log_w = (
            Bernoulli(logits=model.decoder(z)).log_prob(x).sum(-1)
            + Normal(0.0, 1.0).log_prob(z).sum(-1)
            - Normal(mu, log_sigma.exp()).log_prob(z).sum(-1)
        )
    torch.testing.assert_close(bound, (torch.logsumexp(log_w, 0) - math.log(50)).double(), rtol=1e-5, atol=1e-3)
    elbo = evaluate.negative_elbo_terms(model, x, torch.Generator().manual_seed(1)).total
    assert -bound.mean() < elbo.mean()


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.likelihood)
def test_checkpoint_round_trip(config, tmp_path):
    assert MODEL_KINDS["ConvVAE"] is ConvVAE
    model = ConvVAE(config, seed=5)
    path = vaelib.save_model(model, tmp_path / "conv.safetensors")
    loaded = vaelib.load_model(path, expected_config=config)
    assert isinstance(loaded, ConvVAE) and loaded.config == config and not loaded.training
    x = torch.rand(2, 784)
    torch.testing.assert_close(loaded.encode(x), model.encode(x))
    with pytest.raises(CheckpointError):
        vaelib.load_model(path, expected_config=dataclasses.replace(config, latent_dim=4))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"input_dim": 100}, ValueError),
        ({"latent_dim": 0}, ValueError),
        ({"channels": [16, 32]}, TypeError),
        ({"channels": (16,)}, TypeError),
        ({"channels": (16, 0)}, ValueError),
        ({"likelihood": "poisson"}, ValueError),
        ({"likelihood": "gaussian"}, ValueError),  # a fixed sigma is needed
        ({"likelihood": "bernoulli", "decoder_sigma": 0.1}, ValueError),
    ],
)
def test_bad_config_is_refused(kwargs, error):
    with pytest.raises(error):
        ConvConfig(**kwargs)


@pytest.mark.parametrize(
    "x, error, match",
    [
        (torch.rand(4, 783), ValueError, "last dimension 784"),
        (torch.rand(784), ValueError, "2 dimensions"),
        (torch.randint(0, 2, (4, 784)), TypeError, "floating-point"),
        (torch.full((2, 784), float("nan")), ValueError, "NaN"),
    ],
)
def test_bad_input_is_refused(x, error, match):
    with pytest.raises(error, match=match):
        ConvVAE(SMALL).encode(x)
    with pytest.raises(ValueError, match="last dimension 3"):
        ConvVAE(SMALL).decode(torch.zeros(2, 5))


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.likelihood)
def test_channels_last_weights_give_the_numbers_of_ordinary_ones(config):
    # ConvVAE keeps its convolution weights channels-last (faster on CPU): the same function, to float32 rounding
    model = ConvVAE(config, seed=3)
    kernels = [p for p in model.parameters() if p.dim() == 4]
    assert kernels and all(p.is_contiguous(memory_format=torch.channels_last) for p in kernels)
    ordinary = ConvVAE(config, seed=3).to(memory_format=torch.contiguous_format)
    assert all(p.is_contiguous() for p in ordinary.parameters())
    x = vaelib.load_mnist("test").pixels[:64].float() / 255
    mu, log_sigma = model.encode(x)
    torch.testing.assert_close((mu, log_sigma), ordinary.encode(x), rtol=1e-5, atol=1e-5)
    z = torch.randn(3, 64, config.latent_dim, generator=torch.Generator().manual_seed(1))  # (k, n, K): any lead
    torch.testing.assert_close(model.decoder(z), ordinary.decoder(z), rtol=1e-5, atol=1e-5)
    grads = []
    for m in (model, ordinary):
        m.zero_grad()
        m.reconstruction_nll(m.decoder(m.encode(x)[0]), x).sum().backward()
        grads.append([p.grad for p in m.parameters()])
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-3)
