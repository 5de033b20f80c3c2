"""vaelib.checks.nb07 against references written out here: right answers pass, planted mistakes are named."""

import math

import numpy as np
import pytest
import torch
from checking import fails, not_attempted, passes
from scipy.stats import norm

import vaelib
from vaelib import pretrained
from vaelib.checks import nb07


def _grid(n, edge, values=None, flip=True, swap=False, column_major=False):
    """A reference grid written out with numpy, and its mistaken variants."""
    v = norm.ppf(np.linspace(edge, 1 - edge, n)) if values is None else values(n, edge)
    a, b = np.meshgrid(v, v[::-1] if flip else v, indexing="ij" if column_major else "xy")
    points = np.stack([a.ravel(), b.ravel()], axis=1)
    return points[:, ::-1] if swap else points


def test_07_1_latent_grid(capsys):
    assert np.allclose(
        _grid(15, 0.01), vaelib.plotting.prior_quantile_grid(15, 0.01)
    )  # the layout plotting.manifold uses
    passes(capsys, nb07.latent_grid, _grid)
    passes(capsys, nb07.latent_grid, lambda n, e: torch.from_numpy(_grid(n, e)))  # a tensor is fine
    passes(capsys, nb07.latent_grid, lambda n, e: _grid(n, e).tolist())  # and so is a nested list
    assert nb07.latent_grid(lambda n, e: None) is None
    assert "write the body of the function" in capsys.readouterr().out
    planted = {
        "probabilities themselves": lambda n, e: _grid(n, e, values=lambda n, e: np.linspace(e, 1 - e, n)),
        "evenly spaced in z": lambda n, e: _grid(
            n, e, values=lambda n, e: np.linspace(norm.ppf(e), norm.ppf(1 - e), n)
        ),
        "run from the bottom up": lambda n, e: _grid(n, e, flip=False),
        "swapped": lambda n, e: _grid(n, e, swap=True),
        "column by column": lambda n, e: _grid(n, e, column_major=True),
        "infinite": lambda n, e: _grid(n, 0.0),
        "use the arguments": lambda n, e: _grid(5, 0.05),
        "expected shape": lambda n, e: _grid(n, e)[:-1],
        "expected an array": lambda n, e: "a grid",
        "raised ZeroDivisionError": lambda n, e: 1 / 0,
        "expected a function": 42,
    }
    for mistake, function in planted.items():
        fails(nb07.latent_grid, function, match=f"Exercise 07.1: .*{mistake}")


@pytest.fixture(scope="module")
def small_vae():
    """A small 2-D VAE on 500 test digits, with numpy copies of its encoder outputs. Its untrained
    weights are edited so that the means spread and the sigmas shrink, as in a trained model (untrained,
    every sigma is near 1 and some planted mistakes would give the same number)."""
    model = vaelib.VAE(vaelib.ModelConfig(input_dim=784, hidden_dims=(16,), latent_dim=2), seed=0)
    model.eval()
    with torch.no_grad():
        model.fc_mu.weight.mul_(8.0)
        model.fc_log_sigma.bias.fill_(-1.5)
    test = vaelib.load_mnist("test")
    x, labels = test.images[:500], test.labels[:500]
    with torch.no_grad():
        mu, log_sigma = model.encode(x)
    return model, x, labels, mu.double().numpy(), np.exp(2 * log_sigma.double().numpy())


def test_07_2_aggregate_variance(capsys, small_vae):
    model, x, _, mu, variance = small_vae
    aggregate = np.var(mu[:, 0]) + variance[:, 0].mean()  # law of total variance, population variances
    passes(capsys, nb07.aggregate_variance, aggregate, model, x)
    passes(
        capsys, nb07.aggregate_variance, np.var(mu[:, 0], ddof=1) + variance[:, 0].mean(), model, x
    )  # n - 1 is fine here
    not_attempted(capsys, nb07.aggregate_variance, None, model, x)
    planted = {
        "variance of the means alone": np.var(mu[:, 0]),
        "mean of the variances sigma_1\\^2 alone": variance[:, 0].mean(),
        "sigma appears where sigma\\^2 belongs": np.var(mu[:, 0]) + np.sqrt(variance[:, 0]).mean(),
        "standard deviation": math.sqrt(aggregate),
        "for z_2": np.var(mu[:, 1]) + variance[:, 1].mean(),
        "adds both coordinates": np.var(mu, axis=0).sum() + variance.mean(axis=0).sum(),
    }
    for mistake, answer in planted.items():
        assert not np.isclose(answer, aggregate, rtol=2e-3)
        fails(nb07.aggregate_variance, answer, model, x, match=f"Exercise 07.2: .*{mistake}")
    fails(nb07.aggregate_variance, 1.0, model, x, match="Exercise 07.2: expected .*Law of total variance")


def test_07_3_digit_at_origin(capsys, small_vae):
    model, x, labels, mu, _ = small_vae
    with torch.no_grad():
        decoded = torch.sigmoid(model.decode(torch.zeros(1, 2))).double()
        logits = model.decode(torch.zeros(1, 2)).double()
    nearest = int(labels[((x.double() - decoded) ** 2).sum(1).argmin()])
    passes(capsys, nb07.digit_at_origin, nearest, model, x, labels)
    passes(capsys, nb07.digit_at_origin, np.int64(nearest), model, x, labels)
    not_attempted(capsys, nb07.digit_at_origin, None, model, x, labels)
    from_logits = int(labels[((x.double() - logits) ** 2).sum(1).argmin()])
    from_codes = int(labels[np.linalg.norm(mu, axis=1).argmin()])
    if from_logits != nearest:
        fails(nb07.digit_at_origin, from_logits, model, x, labels, match="Exercise 07.3: .*returns logits")
    if from_codes != nearest and from_codes != from_logits:
        fails(nb07.digit_at_origin, from_codes, model, x, labels, match="Exercise 07.3: .*code\\* lies nearest")
    others = [d for d in range(10) if d not in (nearest, from_logits, from_codes)]
    fails(nb07.digit_at_origin, others[0], model, x, labels, match="Exercise 07.3: expected")


def test_07_3_names_both_mistakes_on_the_shipped_model():
    """On the notebook's own model the two named mistakes give labels other than the right one."""
    model = pretrained.load_pretrained("vae-2d")
    test = vaelib.load_mnist("test")
    x, labels = test.images, test.labels
    with torch.no_grad():
        decoded = torch.sigmoid(model.decode(torch.zeros(1, 2)))
        logits = model.decode(torch.zeros(1, 2))
        mu, _ = model.encode(x)
    nearest = int(labels[((x - decoded) ** 2).sum(1).argmin()])
    from_logits = int(labels[((x - logits) ** 2).sum(1).argmin()])
    from_codes = int(labels[mu.norm(dim=1).argmin()])
    for wrong, mistake in [(from_logits, "returns logits"), (from_codes, "code\\* lies nearest")]:
        if wrong != nearest:
            fails(nb07.digit_at_origin, wrong, model, x, labels, match=f"Exercise 07.3: .*{mistake}")
