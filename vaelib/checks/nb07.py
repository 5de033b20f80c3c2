"""Exercise checks of notebook 07 (the latent space): quantile grids, the aggregate posterior, the origin."""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import norm

from ..explorer import decode, nearest_images
from ..models import VAE, Autoencoder
from ..plotting import prior_quantile_grid
from .core import NOT_WRITTEN, call_learner, close, correct, diagnose, exercise, fail, is_close, not_attempted, to_numpy


@exercise(7, 1)
def quantile_coordinate(name: str, answer) -> None:
    """Exercise 07.1: z_1 of the 4th column (index 3) of a 15 x 15 manifold grid at quantiles 0.05 .. 0.95."""
    close(name, answer, float(prior_quantile_grid(15, edge=0.05)[3, 0]), rtol=1e-3,
          hint="The 15 probabilities are evenly spaced from 0.05 to 0.95; map the 4th through the inverse normal CDF.")


@exercise(7, 2)
def aggregate_variance(name: str, answer, model: VAE, x: torch.Tensor) -> None:
    """Exercise 07.2: the variance of z_1 under the aggregate posterior q(z) = mean over x of q(z|x)."""
    with torch.no_grad():
        mu, log_sigma = model.encode(x)
    # law of total variance: Var[z_1] = Var_x[mu_1(x)] + E_x[sigma_1(x)^2]
    expected = mu[:, 0].var(unbiased=False).item() + torch.exp(2 * log_sigma[:, 0]).mean().item()
    close(name, answer, expected, rtol=2e-3,
          hint="Law of total variance: the variance of the means plus the mean of the variances sigma^2.")


@exercise(7, 3)
def digit_at_origin(name: str, answer, model: Autoencoder | VAE, x: torch.Tensor, labels: torch.Tensor) -> None:
    """Exercise 07.3: the label of the real image nearest (in pixels) to the digit decoded at z = (0, 0)."""
    _, index = nearest_images(decode(model, torch.zeros(1, 2)), x)
    close(name, answer, int(labels[index[0]]), rtol=0, atol=0.1,
          hint="Decode z = (0, 0), find the nearest test image with explorer.nearest_images, read its label.")


@exercise(7, 4)
def latent_grid(name: str, function) -> None:
    """Exercise 07.4: a function (n, edge) -> the (n*n, 2) grid of latent points at the prior's quantiles
    edge .. 1 - edge on each axis, row by row from the top (largest z_2) down, z_1 growing along a row."""
    got = call_learner(name, function, 5, 0.05)
    if got is None:
        return not_attempted(name, NOT_WRITTEN)
    try:
        got = to_numpy(got)
    except (TypeError, ValueError):
        fail(name, f"expected an array of shape (25, 2), got {type(got).__name__}.")
    expected = prior_quantile_grid(5, 0.05)
    if got.shape != expected.shape:
        fail(name, f"expected shape (n * n, 2) = (25, 2) for n = 5, got {got.shape}.")
    probabilities = np.linspace(0.05, 0.95, 5)
    z1, z2 = np.meshgrid(probabilities, probabilities[::-1])
    even = np.linspace(norm.ppf(0.05), norm.ppf(0.95), 5)
    e1, e2 = np.meshgrid(even, even[::-1])
    mistake = diagnose(got, {
        "these are the probabilities themselves: map them through the inverse normal CDF, scipy.stats.norm.ppf":
            np.stack([z1.ravel(), z2.ravel()], axis=1),
        "the points are evenly spaced in z; the grid needs evenly spaced *probabilities*, mapped through norm.ppf":
            np.stack([e1.ravel(), e2.ravel()], axis=1),
        "the rows run from the bottom up: the first row is the top of the plane (largest z_2)":
            expected.reshape(5, 5, 2)[::-1].reshape(25, 2),
        "z_1 and z_2 are swapped: z_1 grows along a row, z_2 falls from row to row": expected[:, ::-1],
    }, rtol=1e-4, atol=1e-6)
    if mistake:
        fail(name, f"{mistake}.")
    close(name, got, expected, rtol=1e-4, atol=1e-6, report=False,
          hint="np.linspace(edge, 1 - edge, n) through scipy.stats.norm.ppf, then np.meshgrid(values, values[::-1]).")
    if not is_close(call_learner(name, function, 3, 0.01), prior_quantile_grid(3, 0.01), rtol=1e-4, atol=1e-6):
        fail(name, "right for n = 5, edge = 0.05 but not for n = 3, edge = 0.01: use the arguments, not fixed numbers.")
    correct(name)
