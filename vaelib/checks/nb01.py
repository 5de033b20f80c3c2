"""Exercise checks of notebook 01 (autoencoders): PCA's share of the variance, principal angles, rescaled codes."""

from __future__ import annotations

import copy

import numpy as np
import torch
from scipy.linalg import subspace_angles

from ..data import load_mnist
from ..linear import pca
from ..models import Autoencoder
from .core import close, exercise, fail, pair, swapped_hint, to_numpy


@exercise(1, 1)
def explained_variance(name: str, answer) -> None:
    """Exercise 01.1: fraction of the training images' pixel variance along the top 2 principal components."""
    result = pca(load_mnist("train").pixels, 2)  # chunk by chunk: no float copy of the training set
    close(name, answer, result.variances.sum().item() / result.total_variance, rtol=1e-3,
          hint="Divide the two largest variances (pca(...).variances) by the total variance over all 784 pixels.")


@exercise(1, 2)
def principal_angles_example(name: str, answer) -> None:
    """Exercise 01.2: principal angles, in degrees and ascending, between span(e1, e2) and span(e1, e2 + e3)."""
    a = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    b = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    expected = np.sort(np.degrees(subspace_angles(a, b)))
    hint = "e1 lies in both planes; for the second angle, compare e2 with the unit vector (e2 + e3) / sqrt(2)."
    hint = swapped_hint(answer, expected, hint, "the smaller angle", "the larger")
    try:
        got = to_numpy(answer)
    except (TypeError, ValueError):
        got = None  # close() explains what a number is
    if got is not None and got.shape == expected.shape and np.allclose(got, np.radians(expected), atol=1e-3):
        hint = "These look like radians: degrees? (np.degrees converts.) " + hint
    close(name, answer, expected, atol=0.1, hint=hint)


@exercise(1, 3)
def rescaled_autoencoder(name: str, answer, model: Autoencoder) -> None:
    """Exercise 01.3: [largest |difference| of the pixel probabilities, ratio of code spreads] for a copy of
    ``model`` with A = [[10, 0], [3, 0.5]] folded into the encoder's last layer and A^{-1} into the
    decoder's first layer, on the first 1,000 test images; the spread is the root mean square distance
    of the codes from their mean (new over old)."""
    got = pair(answer, name, "largest difference, spread ratio")
    a = torch.tensor([[10.0, 0.0], [3.0, 0.5]])
    x = load_mnist("test").images[:1000]
    edited = copy.deepcopy(model)  # the learner's model is left untouched
    with torch.no_grad():
        edited.encoder[-1].weight.copy_(a @ edited.encoder[-1].weight)
        edited.encoder[-1].bias.copy_(a @ edited.encoder[-1].bias)
        edited.decoder[0].weight.copy_(edited.decoder[0].weight @ torch.linalg.inv(a))
        z, z_new = model.encode(x), edited.encode(x)
    ratio = _spread(z_new) / _spread(z)
    if not 0 <= got[0] < 1e-3:
        fail(name, f"the reconstructions should agree up to float32 rounding (largest difference below 1e-3), got {got[0]:.3g}.",
             "Hint: the encoder's last layer becomes (A W, A b), the decoder's first layer W A^(-1) with its bias "
             "unchanged; compare torch.sigmoid(model(x)) with torch.sigmoid(edited(x)).")
    close(name, got[1], ratio, rtol=1e-2,
          hint="The spread is the root mean square distance of the 1,000 codes from their mean; divide the "
          "edited model's spread by the original's.")


def _spread(codes: torch.Tensor) -> float:
    """Root mean square distance of the codes from their mean."""
    return (codes - codes.mean(dim=0)).square().sum(dim=1).mean().sqrt().item()
