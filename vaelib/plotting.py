"""Figures of the course. Every function takes ``ax=None`` (a new figure is made) and returns the axes."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import patheffects
from matplotlib.lines import Line2D
from scipy.special import ndtri  # inverse CDF of N(0, 1), as scipy.stats.norm.ppf (which loads ~45 MB more)

from .data import IMAGE_SIDE


def _axes(ax, figsize=(5, 5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _as_numpy(images) -> np.ndarray:
    if torch.is_tensor(images):
        images = images.detach().cpu().numpy()
    return np.asarray(images, dtype=np.float32)


def tile_images(images, ncols: int, pad: int = 1) -> np.ndarray:
    """Arrange (n, 784) or (n, 28, 28) images row by row into one 2-D array, padded with white lines."""
    images = _as_numpy(images).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    n = images.shape[0]
    nrows = math.ceil(n / ncols)
    step = IMAGE_SIDE + pad
    sheet = np.ones((nrows * step - pad, ncols * step - pad), dtype=np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        sheet[r * step : r * step + IMAGE_SIDE, c * step : c * step + IMAGE_SIDE] = 1.0 - image
    return sheet


def image_grid(images, ncols: int = 10, ax=None, title: str | None = None):
    """Show images (dark ink on white) in a grid with ``ncols`` columns."""
    ax = _axes(ax)
    ax.imshow(tile_images(images, ncols), cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def reconstructions(x, x_hat, n: int = 10, ax=None, title: str = "Originals (top) and reconstructions (bottom)"):
    """Two rows: the first ``n`` originals above their reconstructions (pixel probabilities)."""
    x, x_hat = _as_numpy(x)[:n], _as_numpy(x_hat)[:n]
    ax = _axes(ax, figsize=(n * 0.8, 1.9))
    return image_grid(np.concatenate([x, x_hat]), ncols=len(x), ax=ax, title=title)


def latent_scatter(
    z,
    labels,
    ax=None,
    title: str = "Latent codes of test digits",
    s: float = 2.0,
    *,
    seed: int = 0,
    label_medians: bool = True,
):
    """Scatter 2-D latent codes coloured by digit label, with a legend of the ten digits.

    All points are drawn in one random order (fixed by ``seed``, so the figure is the same on every run):
    drawn digit by digit, the last digits would cover the others where they overlap. With
    ``label_medians`` each digit's label is also written at its median code (per coordinate).
    """
    z, labels = _as_numpy(z), np.asarray(labels)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"latent_scatter needs 2-D codes of shape (n, 2), got {z.shape}")
    if labels.shape != (z.shape[0],):
        raise ValueError(f"labels must have shape ({z.shape[0]},), one per code, got {labels.shape}")
    ax = _axes(ax, figsize=(6, 5))
    cmap = plt.get_cmap("tab10")
    order = np.random.default_rng(seed).permutation(len(z))
    ax.scatter(z[order, 0], z[order, 1], s=s, c=[cmap(int(d) % 10) for d in labels[order]], rasterized=True)
    handles = [Line2D([], [], linestyle="", marker="o", markersize=5, color=cmap(d), label=str(d)) for d in range(10)]
    ax.legend(handles=handles, title="digit", loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    if label_medians:
        outline = [patheffects.withStroke(linewidth=3, foreground="white")]
        for digit in np.unique(labels):
            centre = np.median(z[labels == digit], axis=0)
            ax.text(
                centre[0],
                centre[1],
                str(int(digit)),
                color="black",
                fontsize=12,
                weight="bold",
                ha="center",
                va="center",
                path_effects=outline,
                zorder=3,
            )
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(title)
    return ax


def prior_quantile_grid(n: int, edge: float = 0.05) -> np.ndarray:
    """An (n*n, 2) grid of latent points at the quantiles ``edge .. 1-edge`` of N(0, 1) on each axis.

    Row-major, top row first, with z_2 decreasing down the rows so the sheet reads like the plane.
    """
    values = ndtri(np.linspace(edge, 1 - edge, n))
    z1, z2 = np.meshgrid(values, values[::-1])
    return np.stack([z1.ravel(), z2.ravel()], axis=1).astype(np.float32)


@torch.no_grad()
def manifold(decode, n: int = 15, edge: float = 0.05, ax=None, title: str = "Decoded latent grid"):
    """Decode a grid at prior quantiles (see :func:`prior_quantile_grid`) and show it as one sheet.

    ``decode`` maps a (m, 2) float tensor to (m, 784) logits, e.g. ``model.decode``.
    """
    z = torch.from_numpy(prior_quantile_grid(n, edge))
    images = torch.sigmoid(decode(z))
    ax = _axes(ax, figsize=(6, 6))
    image_grid(images, ncols=n, ax=ax, title=title)
    values = ndtri(np.linspace(edge, 1 - edge, n))
    ticks = np.arange(n) * (IMAGE_SIDE + 1) + IMAGE_SIDE / 2
    ax.set_xticks(ticks[:: max(1, n // 5)], [f"{v:.1f}" for v in values[:: max(1, n // 5)]])
    ax.set_yticks(ticks[:: max(1, n // 5)], [f"{v:.1f}" for v in values[::-1][:: max(1, n // 5)]])
    ax.set_xlabel("$z_1$ (prior quantiles)")
    ax.set_ylabel("$z_2$ (prior quantiles)")
    return ax


def interpolation_strip(images, ax=None, title: str = "Interpolation"):
    """One row of images, e.g. decodings along a straight line in latent space."""
    images = _as_numpy(images)
    ax = _axes(ax, figsize=(len(images) * 0.8, 1.2))
    return image_grid(images, ncols=len(images), ax=ax, title=title)


def loss_curves(history, ax=None, parts: bool = True, title: str = "Loss per epoch"):
    """Train and test loss (nats per example) against epoch; with ``parts``, also reconstruction and KL."""
    ax = _axes(ax, figsize=(6, 4))
    epochs = history.column("epoch")
    names = ["loss", "reconstruction", "kl"] if parts else ["loss"]
    for name, colour in zip(names, ["C0", "C1", "C2"]):
        ax.plot(epochs, history.column(f"train_{name}"), color=colour, marker="o", label=f"train {name}")
        test = history.column(f"test_{name}")
        if all(v is not None for v in test):
            ax.plot(epochs, test, color=colour, marker="s", linestyle="--", label=f"test {name}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("nats per example")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax
