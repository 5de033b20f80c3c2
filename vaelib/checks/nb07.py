"""Exercise checks of notebook 07 (the latent space): the quantile grid, the aggregate posterior, the origin."""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import norm

from ..explorer import codes, decode, nearest_images
from ..models import VAE, Autoencoder
from ..plotting import prior_quantile_grid
from .core import NOT_WRITTEN, call_learner, close, correct, diagnose, exercise, fail, is_close, not_attempted, to_numpy


def _points(z1: np.ndarray, z2: np.ndarray) -> np.ndarray:
    """(n, n) coordinate arrays -> (n * n, 2) points, read row by row."""
    return np.stack([z1.ravel(), z2.ravel()], axis=1)


@exercise(7, 1)
def latent_grid(name: str, function) -> None:
    """Exercise 07.1: a function (n, edge) -> the (n*n, 2) grid of latent points at the prior's quantiles
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
    if not np.isfinite(got).all():
        fail(
            name,
            "some points are infinite: the probabilities 0 and 1 map to -inf and +inf under norm.ppf; "
            "the probabilities run from edge to 1 - edge.",
        )
    probabilities = np.linspace(0.05, 0.95, 5)
    even = np.linspace(norm.ppf(0.05), norm.ppf(0.95), 5)
    sheet = expected.reshape(5, 5, 2)  # (row, column, coordinate)
    wrong_grids = {
        "these are the probabilities themselves: map them through the inverse normal CDF, scipy.stats.norm.ppf": (
            _points(*np.meshgrid(probabilities, probabilities[::-1]))
        ),
        "the points are evenly spaced in z; the grid needs evenly spaced *probabilities*, mapped through norm.ppf": (
            _points(*np.meshgrid(even, even[::-1]))
        ),
        "the rows run from the bottom up: the first row is the top of the plane (largest z_2)": (
            sheet[::-1].reshape(25, 2)
        ),
        "z_1 and z_2 are swapped: z_1 grows along a row, z_2 falls from row to row": expected[:, ::-1],
        "the points run column by column (as np.meshgrid(..., indexing='ij') gives): list them row by row, "
        "the whole top row first": sheet.transpose(1, 0, 2).reshape(25, 2),
    }
    mistake = diagnose(got, wrong_grids, rtol=1e-4, atol=1e-6)
    if mistake:
        fail(name, f"{mistake}.")
    hint = "np.linspace(edge, 1 - edge, n) through scipy.stats.norm.ppf, then np.meshgrid(values, values[::-1])."
    close(name, got, expected, rtol=1e-4, atol=1e-6, report=False, hint=hint)
    if not is_close(call_learner(name, function, 3, 0.01), prior_quantile_grid(3, 0.01), rtol=1e-4, atol=1e-6):
        fail(name, "right for n = 5, edge = 0.05 but not for n = 3, edge = 0.01: use the arguments, not fixed numbers.")
    correct(name)


@exercise(7, 2)
def aggregate_variance(name: str, answer, model: VAE, x: torch.Tensor) -> None:
    """Exercise 07.2: the variance of z_1 under the aggregate posterior q(z) = mean over x of q(z|x)."""
    with torch.no_grad():
        mu, log_sigma = model.encode(x)
    mu, log_sigma = mu.double(), log_sigma.double()  # (n, K) each
    spread_of_means = mu.var(dim=0, unbiased=False)  # (K,)
    mean_of_variances = torch.exp(2 * log_sigma).mean(dim=0)  # (K,)
    aggregate = spread_of_means + mean_of_variances  # (K,): the law of total variance, per coordinate
    expected = aggregate[0].item()
    try:
        got = float(to_numpy(answer))
    except (TypeError, ValueError):
        got = None  # close() explains what a number is
    if got is not None and not np.isclose(got, expected, rtol=2e-3):
        wrong_answers = {
            "this is the variance of the means alone: each code is also spread around its mean by sigma, "
            "so add the mean of the variances sigma_1^2": spread_of_means[0].item(),
            "this is the mean of the variances sigma_1^2 alone: add the variance of the means mu_1": (
                mean_of_variances[0].item()
            ),
            "sigma appears where sigma^2 belongs: the variances are sigma_1^2 = exp(2 log_sigma_1)": (
                spread_of_means[0] + torch.exp(log_sigma[:, 0]).mean()
            ).item(),
            "this is a standard deviation: the question asks for the variance (no square root)": expected**0.5,
            "this is for z_2 (column 1): z_1 is the first coordinate, column 0": aggregate[1].item(),
            "this adds both coordinates: the question asks for z_1 alone": aggregate.sum().item(),
        }
        mistake = diagnose(got, wrong_answers, rtol=2e-3, atol=1e-6)
        if mistake:
            fail(name, f"{mistake}.")
    hint = "Law of total variance: the variance of the means mu_1 plus the mean of the variances sigma_1^2."
    close(name, answer, expected, rtol=2e-3, hint=hint)


@exercise(7, 3)
def digit_at_origin(name: str, answer, model: Autoencoder | VAE, x: torch.Tensor, labels: torch.Tensor) -> None:
    """Exercise 07.3: the label of the real image nearest (in pixels) to the digit decoded at z = (0, 0)."""
    origin = torch.zeros(1, 2)
    _, index = nearest_images(decode(model, origin), x)
    expected = int(labels[index[0]])
    try:
        got = float(to_numpy(answer))
    except (TypeError, ValueError):
        got = None  # close() explains what a number is
    if got is not None and got != expected:
        with torch.no_grad():
            _, from_logits = nearest_images(model.decode(origin), x)  # without the sigmoid
        nearest_code = int(codes(model, x).norm(dim=1).argmin())
        wrong_labels = {
            "model.decode returns logits, not pixel probabilities: apply torch.sigmoid first (explorer.decode does)": (
                int(labels[from_logits[0]])
            ),
            "this is the label of the test digit whose *code* lies nearest to the origin; the exercise asks for the "
            "test image nearest in *pixels* to the decoded digit": int(labels[nearest_code]),
        }
        wrong_labels = {mistake: label for mistake, label in wrong_labels.items() if label != expected}
        mistake = diagnose(got, wrong_labels, rtol=0, atol=0.1)
        if mistake:
            fail(name, f"{mistake}.")
    hint = "Decode z = (0, 0) with explorer.decode, find the nearest test image with explorer.nearest_images."
    close(name, answer, expected, rtol=0, atol=0.1, hint=hint)
