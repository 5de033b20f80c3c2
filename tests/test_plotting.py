"""vaelib.plotting: every figure function draws on the axes it is given and returns them."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from vaelib import VAE, ModelConfig, plotting
from vaelib.training import EpochRecord, History


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_tile_images_places_each_image_in_its_cell_as_dark_ink():
    images = torch.zeros(5, 784)
    images[3] = 1.0  # fourth image all ink
    sheet = plotting.tile_images(images, ncols=2, pad=1)
    assert sheet.shape == (3 * 29 - 1, 2 * 29 - 1)
    # image 3 is row 1, column 1: drawn black (0); the others white (1); padding white
    assert np.all(sheet[29:57, 29:57] == 0.0)
    assert np.all(sheet[0:28, 0:28] == 1.0) and np.all(sheet[28, :] == 1.0)


@pytest.mark.parametrize(
    "draw",
    [
        lambda ax: plotting.image_grid(torch.rand(12, 784), ncols=4, ax=ax, title="t"),
        lambda ax: plotting.reconstructions(torch.rand(6, 784), torch.rand(6, 784), n=6, ax=ax),
        lambda ax: plotting.latent_scatter(torch.randn(100, 2), torch.arange(100) % 10, ax=ax),
        lambda ax: plotting.manifold(VAE(ModelConfig(hidden_dims=(8,), latent_dim=2)).decode, n=5, ax=ax),
        lambda ax: plotting.interpolation_strip(torch.rand(7, 784), ax=ax),
    ],
)
def test_functions_draw_on_given_axes_and_return_them(draw):
    fig, ax = plt.subplots()
    assert draw(ax) is ax
    assert ax.images or ax.collections
    assert len(fig.axes) == 1


def test_functions_make_their_own_axes_when_none_given():
    ax = plotting.image_grid(torch.rand(3, 784))
    assert ax is not None and ax.images


def test_latent_scatter_colours_ten_digits_and_refuses_non_2d_codes():
    ax = plotting.latent_scatter(np.random.default_rng(0).normal(size=(50, 2)), np.arange(50) % 10)
    assert len(ax.collections) == 10
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [str(d) for d in range(10)]
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plotting.latent_scatter(np.zeros((5, 3)), np.zeros(5))


def test_prior_quantile_grid_sits_at_normal_quantiles():
    grid = plotting.prior_quantile_grid(5, edge=0.05)
    cdf = 0.5 * (1 + np.vectorize(math.erf)(grid / math.sqrt(2)))  # independent normal CDF
    np.testing.assert_allclose(np.unique(cdf[:, 0].round(9)), np.linspace(0.05, 0.95, 5), atol=1e-6)
    assert grid[0, 1] > grid[-1, 1]  # z_2 decreases down the sheet
    assert grid.shape == (25, 2)


def test_loss_curves_draws_train_and_test_for_each_part():
    history = History([EpochRecord(e, 10.0 / e, 8.0 / e, 2.0, 11.0 / e, 9.0 / e, 2.0, 1.0) for e in (1, 2, 3)])
    ax = plotting.loss_curves(history)
    assert len(ax.lines) == 6
    assert ax.get_ylabel() == "nats per example"
    only_total = plotting.loss_curves(history, parts=False)
    assert len(only_total.lines) == 2
