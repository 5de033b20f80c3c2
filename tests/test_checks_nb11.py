"""The exercise checks of notebook 11, against references written out independently of the checks.

Each wrong answer below is a mistake a learner could plausibly make; the test asserts that the message
names it. References: SciPy's chi-squared distribution (11.1), the conditional VAE's layers applied by
hand (11.2), torch.distributions for the ELBO and NumPy for the label frequencies (11.3).
"""

import math

import numpy as np
import pytest
import torch
from checking import fails, not_attempted, passes
from scipy.stats import chi2, norm
from torch.distributions import Bernoulli, Normal, kl_divergence

from vaelib.checks import nb11
from vaelib.conditional import ConditionalConfig, ConditionalVAE

# --- 11.1: the share of a 2-D Gaussian inside its 1- and 2-sigma ellipses ---------------------------


def test_11_1_ellipse_mass(capsys):
    inside = chi2(df=2).cdf([1.0, 4.0])  # r^2 = t_1^2 + t_2^2 is chi-squared with 2 degrees of freedom
    not_attempted(capsys, nb11.ellipse_mass, None)
    passes(capsys, nb11.ellipse_mass, list(inside))
    passes(capsys, nb11.ellipse_mass, (0.39, 0.865))  # rounded, or a Monte Carlo estimate
    t = torch.randn(100_000, 2, generator=torch.Generator().manual_seed(0))
    r = t.norm(dim=1)
    passes(capsys, nb11.ellipse_mass, torch.stack([(r <= 1).float().mean(), (r <= 2).float().mean()]))
    one_d = 2 * norm.cdf([1.0, 2.0]) - 1
    planted = {
        "one-dimensional shares": one_d,
        "square": one_d**2,
        "swapped": inside[::-1].copy(),
        "percentages": 100 * inside,
        "outside the ellipse": 1 - inside,
        "lacks its 1/2": chi2(df=2).cdf([2.0, 8.0]),
        "expected two numbers": 0.39,
    }
    for mistake, answer in planted.items():
        fails(nb11.ellipse_mass, answer, match=f"Exercise 11.1: .*{mistake}")
    message = fails(nb11.ellipse_mass, [0.5, 0.9], match="Exercise 11.1: expected")
    assert "polar coordinates" in message  # a plain wrong pair still gets the hint


# --- 11.2: redraw each image as another digit -----------------------------------------------------


@pytest.fixture(scope="module")
def cvae_and_data():
    model = ConditionalVAE(ConditionalConfig(input_dim=784, hidden_dims=(32,), latent_dim=2), seed=7).eval()
    g = torch.Generator().manual_seed(0)
    return model, torch.rand(6, 784, generator=g), torch.tensor([0, 1, 2, 7, 8, 9])


def _by_hand(model, z, labels):
    """p(x|z, y) with the label's one-hot part of the first layer written as a column lookup."""
    first, last = model.decoder[0], model.decoder[2]
    k = model.config.latent_dim
    h = torch.relu(z @ first.weight[:, :k].T + first.weight[:, k + labels].T + first.bias)
    return h @ last.weight.T + last.bias  # logits


def _mu_by_hand(model, x, labels, head="fc_mu"):
    first = model.encoder[0]
    h = torch.relu(x @ first.weight[:, :784].T + first.weight[:, 784 + labels].T + first.bias)
    layer = getattr(model, head)
    return h @ layer.weight.T + layer.bias


def test_11_2_change_digit(capsys, cvae_and_data):
    model, x, y = cvae_and_data

    def right(model, x, y, new_y):
        with torch.no_grad():
            return torch.sigmoid(_by_hand(model, _mu_by_hand(model, x, y), new_y))

    not_attempted(capsys, nb11.change_digit, None, model, x, y)
    not_attempted(capsys, nb11.change_digit, lambda model, x, y, new_y: None, model, x, y)  # body not written yet
    passes(capsys, nb11.change_digit, right, model, x, y)

    def with_grad(model, x, y, new_y):  # without no_grad: the check detaches
        mu, _ = model.encode(x, y)
        return torch.sigmoid(model.decode(mu, new_y))

    passes(capsys, nb11.change_digit, with_grad, model, x, y)
    planted = {
        "encoded with the new label": lambda m, x, y, n: torch.sigmoid(_by_hand(m, _mu_by_hand(m, x, n), n)),
        "reconstructs the image": lambda m, x, y, n: torch.sigmoid(_by_hand(m, _mu_by_hand(m, x, y), y)),
        "swapped the labels": lambda m, x, y, n: torch.sigmoid(_by_hand(m, _mu_by_hand(m, x, n), y)),
        "logits": lambda m, x, y, n: _by_hand(m, _mu_by_hand(m, x, y), n),
        "log_sigma instead of mu": lambda m, x, y, n: torch.sigmoid(
            _by_hand(m, _mu_by_hand(m, x, y, "fc_log_sigma"), n)
        ),
        "z = 0": lambda m, x, y, n: torch.sigmoid(_by_hand(m, torch.zeros(len(x), 2), n)),
        "different images each time": lambda m, x, y, n: torch.sigmoid(
            _by_hand(m, _mu_by_hand(m, x, y) + torch.randn(len(x), 2) * _mu_by_hand(m, x, y, "fc_log_sigma").exp(), n)
        ),
        "one image per row": lambda m, x, y, n: right(m, x, y, n)[:3],
        "torch.Tensor": lambda m, x, y, n: right(m, x, y, n).numpy().tolist(),
        "raised ZeroDivisionError": lambda m, x, y, n: 1 / 0,
    }
    for mistake, function in planted.items():
        fails(nb11.change_digit, function, model, x, y, match=f"Exercise 11.2: .*{mistake}")
    message = fails(
        nb11.change_digit, lambda m, x, y, n: right(m, x, y, n) * 0.5, model, x, y, match="Exercise 11.2: expected"
    )
    assert "which label each step" in message  # a plain wrong result gets a hint that guides
    assert "model.encode" not in message and "sigmoid" not in message  # without handing over the code


# --- 11.3: the conditional VAE's bound on -log p(x) -----------------------------------------------


def test_11_3_likelihood_bound(capsys, cvae_and_data):
    model, _, _ = cvae_and_data
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2000, 784, generator=g).round()  # binary images
    labels = torch.randint(0, 10, (2000,), generator=g)
    train_labels = torch.randint(0, 10, (5000,), generator=g)
    with torch.no_grad():  # the -ELBO given y, by torch.distributions, with many samples (a sharper estimate)
        mu, log_sigma = _mu_by_hand(model, x, labels), _mu_by_hand(model, x, labels, "fc_log_sigma")
        q = Normal(mu, log_sigma.exp())
        z = q.sample((50,))  # (50, n, K)
        nll = torch.stack([-Bernoulli(logits=_by_hand(model, zs, labels)).log_prob(x).sum(1) for zs in z]).mean(0)
        neg_elbo = (nll + kl_divergence(q, Normal(0.0, 1.0)).sum(1)).mean().item()
    counts = np.bincount(train_labels.numpy(), minlength=10)
    label_term = float(np.mean(-np.log(counts[labels.numpy()] / counts.sum())))
    bound = neg_elbo + label_term
    not_attempted(capsys, nb11.likelihood_bound, None, model, x, labels, train_labels)
    passes(capsys, nb11.likelihood_bound, bound, model, x, labels, train_labels)
    passes(capsys, nb11.likelihood_bound, neg_elbo + math.log(10), model, x, labels, train_labels)  # p(y) = 1/10
    planted = {
        "so it is added": neg_elbo - label_term,
        "label term is missing": neg_elbo,
        "ELBO's sign": -bound,
        "label term is in bits": neg_elbo + label_term / math.log(2),
        "bits per image": bound / math.log(2),
        "expected one number": [bound, bound],
        "finite": float("nan"),
    }
    for mistake, answer in planted.items():
        fails(nb11.likelihood_bound, answer, model, x, labels, train_labels, match=f"Exercise 11.3: .*{mistake}")
    message = fails(nb11.likelihood_bound, bound + 5.0, model, x, labels, train_labels, match="Exercise 11.3: expected")
    assert "bincount" in message
