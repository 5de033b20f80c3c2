"""Exploring a 2-D latent space: straight-line paths, how far decodings stray from real digits, and an
interactive explorer (ipywidgets sliders for z_1, z_2) with a static figure as its twin.

The distance measure follows the nearest-neighbour idea used to check that generated samples are not
off the data (e.g. Theis, van den Oord & Bethge 2016, "A note on the evaluation of generative models",
section 3.3, who also warn that it says nothing about likelihood): for each decoded image (pixel
probabilities) the root-mean-square pixel distance to the closest image of a reference set.
Decodings on the data manifold sit about as close to real digits as reconstructions of real digits do;
decodings from holes in the latent space (blends and blobs) sit further away.

:func:`rescale_latent` stretches a VAE's latent axes without changing a single reconstruction (the
encoder's outputs are multiplied, the decoder's first-layer weights divided, by the same factor), which
shows how the KL term alone would set the spread of the codes.
"""

from __future__ import annotations

import copy
import io
import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .data import IMAGE_SIDE, as_images, iterate_batches
from .evaluate import encode_all
from .latent_gaps import line_between
from .models import VAE, Autoencoder
from .plotting import image_grid, latent_scatter
from .validation import check_images, check_positive_int, check_tensor

_REFERENCE_CHUNK = 2000  # rows of the reference converted to float64 at a time by nearest_images


@torch.no_grad()
def codes(model: Autoencoder | VAE, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Latent codes of images (or uint8 pixels): the point z for an Autoencoder, the mean mu of q(z|x) for a VAE."""
    if isinstance(model, VAE):
        return encode_all(model, x, batch_size)[0]
    check_images(x, "x", unit_interval=False)
    return torch.cat([model.encode(batch) for batch in iterate_batches(x, batch_size, shuffle=False)])


def decode(model: Autoencoder | VAE, z: torch.Tensor) -> torch.Tensor:
    """Pixel probabilities (n, 784) decoded from latent points z (n, latent_dim)."""
    with torch.no_grad():
        return torch.sigmoid(model.decode(z))


def nearest_images(
    images: torch.Tensor, reference: torch.Tensor, batch_size: int = 250
) -> tuple[torch.Tensor, torch.Tensor]:
    """For each image (n, d): RMS pixel distance to its nearest row of ``reference`` (m, d), and that row's index.

    Brute force with one matrix product per batch and chunk of the reference (in float64), which in 784 dimensions beats
    the k-d tree that :func:`vaelib.latent_gaps.nearest` uses for 2-D codes. Returns ((n,), (n,) int64).
    """
    check_images(images, "images", unit_interval=False)
    check_images(reference, "reference", last_dim=images.shape[1], unit_interval=False)
    check_positive_int(batch_size, "batch_size")
    images = as_images(images).double()  # float64: no cancellation trouble in |a|^2 + |b|^2 - 2 a.b
    images_sq = images.square().sum(dim=1, keepdim=True)  # (n, 1)
    best_sq = torch.full((images.shape[0],), math.inf, dtype=torch.float64)
    best_index = torch.zeros(images.shape[0], dtype=torch.long)
    for first in range(0, reference.shape[0], _REFERENCE_CHUNK):  # the reference a chunk at a time: low memory
        chunk = as_images(reference[first : first + _REFERENCE_CHUNK]).double()  # (c, d)
        chunk_sq = torch.linalg.vector_norm(chunk, dim=1).square()  # (c,), without a (c, d) temporary
        for start in range(0, images.shape[0], batch_size):
            rows = slice(start, start + batch_size)
            squared = torch.addmm(images_sq[rows] + chunk_sq, images[rows], chunk.T, alpha=-2)  # (b, c)
            value, index = squared.min(dim=1)
            closer = value < best_sq[rows]  # strict: on a tie the earlier row of the reference stays
            best_sq[rows] = torch.where(closer, value, best_sq[rows])
            best_index[rows] = torch.where(closer, index + first, best_index[rows])
    rms = best_sq.clamp_min(0).sqrt() / images.shape[1] ** 0.5
    return rms.float(), best_index


def latent_paths(
    model: Autoencoder | VAE, x_start: torch.Tensor, x_end: torch.Tensor, num_steps: int = 9
) -> torch.Tensor:
    """Decode straight latent paths between the codes of pairs of images.

    ``x_start`` and ``x_end`` are (P, 784) batches of images; returns pixel probabilities of shape
    (P, num_steps, 784), the first and last image of each path being the decoded codes themselves.
    """
    check_tensor(x_start, "x_start", ndim=2)
    check_tensor(x_end, "x_end", ndim=2)
    if x_start.shape != x_end.shape:
        raise ValueError(
            f"x_start and x_end must have the same shape, got {tuple(x_start.shape)} and {tuple(x_end.shape)}"
        )
    z_start, z_end = codes(model, x_start), codes(model, x_end)  # (P, latent_dim) each
    z = torch.stack([line_between(a, b, num_steps) for a, b in zip(z_start, z_end)])  # (P, num_steps, latent_dim)
    return decode(model, z.reshape(-1, z.shape[-1])).reshape(len(z), num_steps, -1)


def largest_step_share(paths: torch.Tensor) -> torch.Tensor:
    """For each path (P, S, d): the largest pixel change between neighbouring images, as a share of the
    path's total change. 1 / (S - 1) means the image changes evenly; near 1, all at once."""
    check_tensor(paths, "paths", ndim=3)
    if paths.shape[1] < 2:
        raise ValueError(f"a path needs at least 2 images, got shape {tuple(paths.shape)}")
    steps = (paths[:, 1:] - paths[:, :-1]).norm(dim=2)  # (P, S - 1)
    return steps.max(dim=1).values / steps.sum(dim=1).clamp_min(1e-12)


def rescale_latent(model: VAE, scale) -> VAE:
    """A copy of ``model`` whose latent axis k is stretched by ``scale[k]`` (> 0), with the same reconstructions.

    The copy's encoder returns mu * scale and sigma * scale (so log_sigma + log(scale)); its decoder's first
    layer divides its weights by scale, so it maps scale * z to exactly what the original maps z to. Only
    the KL term changes: a way to see which spread of the codes the KL term alone prefers.
    """
    if not isinstance(model, VAE):
        raise TypeError(f"rescale_latent takes a vaelib VAE, got {type(model).__name__}")
    scale = torch.as_tensor(scale, dtype=torch.float32).reshape(-1)
    if scale.numel() == 1:
        scale = scale.expand(model.config.latent_dim)
    if scale.shape != (model.config.latent_dim,) or not bool((scale > 0).all()):
        raise ValueError(
            f"scale must be one positive number or {model.config.latent_dim} of them, got {scale.tolist()}"
        )
    rescaled = copy.deepcopy(model)
    with torch.no_grad():
        rescaled.fc_mu.weight.mul_(scale[:, None])  # mu -> scale * mu
        rescaled.fc_mu.bias.mul_(scale)
        rescaled.fc_log_sigma.bias.add_(scale.log())  # sigma -> scale * sigma
        rescaled.decoder[0].weight.div_(scale[None, :])  # (W / scale) (scale * z) = W z
    return rescaled


def latent_second_moment(model: VAE, x: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """E_x[mu_k^2 + sigma_k^2] for each latent dimension k, over the rows of ``x`` (encoded in batches).

    The second moment of the codes z = mu + sigma * eps, averaged over the data: 1 for the prior N(0, I).
    Batches keep the memory to one batch of hidden activations. Returns (latent_dim,).
    """
    mu, log_sigma = encode_all(model, x, batch_size)
    return (mu.double().square() + torch.exp(2 * log_sigma.double())).mean(dim=0).float()


def static_explorer(
    model: Autoencoder | VAE,
    points,
    test_codes,
    labels,
    title: str = "Decoded latent points",
    circle_radius: float | None = None,
):
    """The explorer's printable twin: the plane with marked points A, B, ... and their decoded digits.

    ``points`` is a (k, 2) array of latent points; ``test_codes`` (n, 2) and ``labels`` (n,) draw the
    coloured background. ``circle_radius``, if given, draws a dashed circle of that radius around the
    origin (e.g. the one that holds 95% of the prior). Returns the figure.
    """
    points = torch.as_tensor(np.asarray(points, dtype=np.float32))
    check_tensor(points, "points", ndim=2, last_dim=2)
    if circle_radius is not None and not circle_radius > 0:
        raise ValueError(f"circle_radius must be positive or None, got {circle_radius}")
    fig, (ax_plane, ax_digits) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [1.25, 1]})
    latent_scatter(test_codes, labels, ax=ax_plane, title="Latent plane (test-set codes)", s=1.0)
    if circle_radius is not None:
        ax_plane.add_patch(plt.Circle((0, 0), circle_radius, fill=False, linestyle="--", color="black"))
        ax_plane.set_aspect("equal")
    letters = [chr(ord("A") + i) for i in range(len(points))]
    for letter, (z1, z2) in zip(letters, points.tolist()):  # markers above the scatter's digit labels
        ax_plane.plot(z1, z2, marker="o", markersize=14, markerfacecolor="white", markeredgecolor="black", zorder=4)
        ax_plane.annotate(letter, (z1, z2), ha="center", va="center", fontsize=9, weight="bold", zorder=5)
    ncols = min(len(points), 4)
    image_grid(decode(model, points), ncols=ncols, ax=ax_digits, title="Decoded digit at each point")
    step = IMAGE_SIDE + 1
    for i, letter in enumerate(letters):
        r, c = divmod(i, ncols)
        ax_digits.text(c * step + 1, r * step + 4, letter, color="C3", fontsize=10, weight="bold")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


class _ExplorerBox(widgets.VBox):
    """A VBox whose plain-text form (what a static viewer shows) says what it is."""

    def __repr__(self) -> str:
        return "Latent explorer: two sliders and a live view (interactive in a running Jupyter kernel)"


class LatentExplorer:
    """Two sliders (z_1, z_2) and a live view: the point on the latent plane and the digit it decodes to.

    ``widget`` is the ipywidgets box to display. Moving a slider calls :meth:`update`, which re-renders
    two PNG images (the plane with a marker, the decoded digit) off-screen; nothing is printed, so the
    explorer behaves the same in a live kernel, under nbclient and under nbval.
    """

    def __init__(self, model: Autoencoder | VAE, test_codes, labels, limit: float = 3.0, step: float = 0.05):
        if model.config.latent_dim != 2:
            raise ValueError(f"the explorer needs a model with latent_dim 2, got {model.config.latent_dim}")
        if not limit > 0:
            raise ValueError(f"limit must be positive, got {limit}")
        self.model, self.limit = model, float(limit)
        self.figure = Figure(figsize=(4.6, 3.6), dpi=80)  # off-screen: not managed by pyplot
        FigureCanvasAgg(self.figure)
        ax = self.figure.add_subplot()
        latent_scatter(test_codes, labels, ax=ax, title="Move the point with the sliders", s=0.5)
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        (self.marker,) = ax.plot([0.0], [0.0], marker="x", color="black", markersize=14, markeredgewidth=3)
        self.figure.tight_layout()
        style = {"description_width": "2.5em"}
        self.z1 = widgets.FloatSlider(value=0.0, min=-limit, max=limit, step=step, description="z1", style=style)
        self.z2 = widgets.FloatSlider(value=0.0, min=-limit, max=limit, step=step, description="z2", style=style)
        self.plane = widgets.Image(format="png")
        self.digit = widgets.Image(format="png", width=224, height=224)
        for slider in (self.z1, self.z2):
            slider.observe(lambda _: self.update(self.z1.value, self.z2.value), names="value")
        self.widget = _ExplorerBox([widgets.HBox([self.z1, self.z2]), widgets.HBox([self.plane, self.digit])])
        self.update(0.0, 0.0)

    def image(self, z1: float, z2: float) -> np.ndarray:
        """The decoded digit at (z1, z2): pixel probabilities, shape (28, 28)."""
        z = torch.tensor([[z1, z2]], dtype=torch.float32)
        return decode(self.model, z).reshape(IMAGE_SIDE, IMAGE_SIDE).numpy()

    def update(self, z1: float, z2: float) -> None:
        """Move the marker to (z1, z2) and show the digit decoded there."""
        self.marker.set_data([z1], [z2])
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        self.plane.value = buffer.getvalue()
        buffer = io.BytesIO()
        big = np.kron(self.image(z1, z2), np.ones((8, 8)))  # 224 x 224, crisp pixels
        plt.imsave(buffer, big, cmap="gray_r", vmin=0, vmax=1, format="png")
        self.digit.value = buffer.getvalue()
