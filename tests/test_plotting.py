"""vaelib.plotting: every figure function draws on the axes it is given and returns them."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors
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
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [str(d) for d in range(10)]
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plotting.latent_scatter(np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="one per code"):
        plotting.latent_scatter(np.zeros((5, 2)), np.zeros(4))


def test_latent_scatter_draws_every_point_in_its_colour_in_a_fixed_mixed_order():
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(10), 30)  # sorted by digit, as a careless caller might pass them
    z = rng.normal(size=(300, 2)) + labels[:, None]
    ax = plotting.latent_scatter(z, labels, s=3.0)
    (points,) = ax.collections
    offsets, colours = points.get_offsets(), points.get_facecolors()
    tab10 = np.array([matplotlib.colors.to_rgba(f"C{d}") for d in range(10)])
    drawn_labels = np.array([int(np.argmin(np.abs(tab10 - c).sum(1))) for c in colours])
    np.testing.assert_allclose(np.abs(tab10[drawn_labels] - colours).max(), 0.0, atol=1e-6)
    # every (point, colour) pair is drawn exactly once
    drawn = sorted(zip(map(tuple, np.asarray(offsets, dtype=np.float64).tolist()), drawn_labels.tolist()))
    expected = sorted(
        zip(map(tuple, z.astype(np.float32).astype(np.float64).tolist()), labels.tolist())
    )  # drawn as float32
    assert drawn == expected
    # mixed: the last 30 points drawn are not all one digit (drawing digit by digit would give 30 nines)
    assert len(set(drawn_labels[-30:].tolist())) >= 5
    # deterministic: the same call draws in the same order; another seed in another
    again = plotting.latent_scatter(z, labels, s=3.0).collections[0].get_offsets()
    np.testing.assert_array_equal(again, offsets)
    other = plotting.latent_scatter(z, labels, s=3.0, seed=1).collections[0].get_offsets()
    assert not np.array_equal(other, offsets)


def test_latent_scatter_writes_each_label_at_its_median_code():
    z = np.array([[0.0, 0.0], [2.0, 1.0], [4.0, 5.0], [10.0, 10.0], [11.0, 12.0]])
    labels = np.array([3, 3, 3, 7, 7])
    ax = plotting.latent_scatter(z, labels)
    texts = {t.get_text(): t.get_position() for t in ax.texts}
    assert texts == {"3": (2.0, 1.0), "7": (10.5, 11.0)}  # per-coordinate medians, worked out by hand
    assert not plotting.latent_scatter(z, labels, label_medians=False).texts


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
