"""vaelib.checks.nb06 against references written out here: right answers pass, planted mistakes are named."""

import math
import re

import pytest
import torch
from checking import passes
from torch.distributions import Normal, kl_divergence

import vaelib
from vaelib import pretrained
from vaelib.checks import nb06


def test_notebook_06_loss_units(capsys):
    passes(capsys, nb06.blank_image_reconstruction, 784 * math.log1p(math.exp(-3.0)))  # 784 log(1 + e^-3)
    passes(capsys, nb06.blank_image_reconstruction, 38.1)  # worked by hand to one decimal
    with pytest.raises(AssertionError, match="Exercise 06.2"):
        nb06.blank_image_reconstruction(784 * math.log(2))
    with pytest.raises(AssertionError):
        nb06.blank_image_reconstruction(38.0)
    passes(capsys, nb06.pixel_and_latent_mean_beta, 39.2)
    with pytest.raises(AssertionError, match="06.3"):
        nb06.pixel_and_latent_mean_beta(784)


def test_notebook_06_informative_dimensions_against_torch_distributions(capsys):
    model = vaelib.VAE(vaelib.ModelConfig(input_dim=6, hidden_dims=(8,), latent_dim=5), seed=0)
    with torch.no_grad():
        model.fc_log_sigma.bias[:2] = -2.0  # two dimensions with small sigma: they carry KL
        model.fc_log_sigma.bias[2:] = 0.0
    x = torch.rand(50, 6, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        mu, log_sigma = model.encode(x)
    kl = kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).mean(dim=0)
    count = int((kl > 0.1).sum())
    assert 2 <= count < 5
    passes(capsys, nb06.informative_dimensions, count, model, x)
    with pytest.raises(AssertionError, match="absolute error 0.5"):
        nb06.informative_dimensions(count + 1, model, x)


# --- the code-writing exercises: each planted mistake is named -----------------------------------


def _kl(mu, log_sigma, sigma_power=2, log_factor=2, half=0.5):
    return half * (mu**2 + torch.exp(sigma_power * log_sigma) - log_factor * log_sigma - 1).sum(1)


def _bce(logits, x):
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)


NEGATIVE_ELBO_MISTAKES = {
    "wrong sign": lambda lo, x, mu, ls: (_bce(lo, x) - _kl(mu, ls)).mean(),
    "averaged over the 784 pixels": lambda lo, x, mu, ls: (
        torch.nn.functional.binary_cross_entropy_with_logits(lo, x) + _kl(mu, ls).mean()
    ),
    "sigma appears where sigma^2 belongs": lambda lo, x, mu, ls: (_bce(lo, x) + _kl(mu, ls, sigma_power=1)).mean(),
    "log sigma appears where log sigma^2": lambda lo, x, mu, ls: (_bce(lo, x) + _kl(mu, ls, log_factor=1)).mean(),
    "factor 1/2": lambda lo, x, mu, ls: (_bce(lo, x) + _kl(mu, ls, half=1.0)).mean(),
    "summed over the batch": lambda lo, x, mu, ls: (_bce(lo, x) + _kl(mu, ls)).sum(),
    "KL term is missing": lambda lo, x, mu, ls: _bce(lo, x).mean(),
    "through a sigmoid": lambda lo, x, mu, ls: (_bce(torch.sigmoid(lo), x) + _kl(mu, ls)).mean(),
    "one value per image": lambda lo, x, mu, ls: _bce(lo, x) + _kl(mu, ls),
    "batch of 2": lambda lo, x, mu, ls: (_bce(lo, x) + _kl(mu, ls)).sum() / 8,
    "raised ZeroDivisionError": lambda lo, x, mu, ls: 1 / 0,
}


def test_notebook_06_negative_elbo_by_hand(capsys):
    passes(capsys, nb06.negative_elbo, lambda lo, x, mu, ls: (_bce(lo, x) + _kl(mu, ls)).mean())
    passes(
        capsys,
        nb06.negative_elbo,  # the notebook's own version returns (total, reconstruction, kl)
        lambda lo, x, mu, ls: ((_bce(lo, x) + _kl(mu, ls)).mean(), _bce(lo, x).mean(), _kl(mu, ls).mean()),
    )
    assert nb06.negative_elbo(lambda lo, x, mu, ls: None) is None
    assert "write the body of the function" in capsys.readouterr().out
    for mistake, function in NEGATIVE_ELBO_MISTAKES.items():
        with pytest.raises(AssertionError, match=f"Exercise 06.1: .*{re.escape(mistake)}") as info:
            nb06.negative_elbo(function)
        assert str(info.value).count("Exercise 06.1") == 1, mistake


class _TinyHandVAE(torch.nn.Module):
    """The notebook's HandVAE, written again here: the check builds one and trains it with the learner's step."""

    def __init__(self, input_dim=784, hidden_dim=16, latent_dim=3):
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Linear(input_dim, hidden_dim), torch.nn.ReLU())
        self.fc_mu, self.fc_log_sigma = torch.nn.Linear(hidden_dim, latent_dim), torch.nn.Linear(hidden_dim, latent_dim)
        self.decoder = torch.nn.Sequential(
            torch.nn.Linear(latent_dim, hidden_dim), torch.nn.ReLU(), torch.nn.Linear(hidden_dim, input_dim)
        )

    def forward(self, x, eps):
        h = self.encoder(x)
        mu, log_sigma = self.fc_mu(h), self.fc_log_sigma(h)
        return self.decoder(mu + torch.exp(log_sigma) * eps), mu, log_sigma


def _step(model, optimizer, x, eps, zero=True, update=True, sign=1.0, as_tensor=False):
    logits, mu, log_sigma = model(x, eps)
    loss = (_bce(logits, x) + _kl(mu, log_sigma)).mean()
    if zero:
        optimizer.zero_grad()
    (sign * loss).backward()
    if update:
        optimizer.step()
    return loss if as_tensor else loss.item()


def test_notebook_06_training_step_by_hand(capsys):
    passes(capsys, nb06.training_step, _step, _TinyHandVAE)
    assert nb06.training_step(lambda *a: None, _TinyHandVAE) is None
    mistakes = {
        "call optimizer.step()": lambda *a: _step(*a, update=False),
        "call optimizer.zero_grad()": lambda *a: _step(*a, zero=False),
        "moved uphill": lambda *a: _step(*a, sign=-1.0),
        "Python float": lambda *a: _step(*a, as_tensor=True),
        "not where two correct steps": lambda m, o, x, e: _step(m, o, x.round(), e),
    }
    for mistake, function in mistakes.items():
        with pytest.raises(AssertionError, match=f"Exercise 06.6: .*{re.escape(mistake)}"):
            nb06.training_step(function, _TinyHandVAE)


def test_notebook_06_gaussian_fit_share(capsys):
    """With the shipped autoencoder and classifier, against the share counted here without the check's code."""
    ae, classifier = pretrained.load_pretrained("ae-20d"), pretrained.load_pretrained("digit-classifier")
    pixels = vaelib.load_mnist("test").pixels[:2000]
    z = torch.randn(500, 20, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        codes = ae.encode(pixels / 255)
        confident = lambda images: (classifier(images).softmax(1).max(1).values >= 0.9).double().mean().item()
        share = confident(torch.sigmoid(ae.decode(codes.mean(0) + codes.std(0) * z)))
        raw_share = confident(torch.sigmoid(ae.decode(z)))
    assert share - raw_share > 0.1, "the planted 'raw draws' mistake must be distinguishable"
    passes(capsys, nb06.gaussian_fit_share, share, ae, classifier, z, pixels)
    with pytest.raises(AssertionError, match="raw draws"):
        nb06.gaussian_fit_share(raw_share, ae, classifier, z, pixels)
    with pytest.raises(AssertionError, match="percentage"):
        nb06.gaussian_fit_share(100 * share, ae, classifier, z, pixels)
