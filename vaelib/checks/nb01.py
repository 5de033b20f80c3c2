"""Exercise checks of notebook 01 (autoencoders): what the code is worth, rescaled codes, principal angles."""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy.linalg import subspace_angles

from ..data import load_mnist
from ..models import Autoencoder
from .core import close, diagnose, exercise, fail, pair, swapped_hint, to_numpy

_A = ((10.0, 0.0), (3.0, 0.5))  # exercise 01.2's matrix: a stretch along z_1 and a shear


def _training_mean_image() -> torch.Tensor:
    """The mean training image (784,), summed chunk by chunk: no float copy of the training set."""
    pixels = load_mnist("train").pixels
    return sum((chunk / 255).sum(dim=0) for chunk in pixels.split(10_000)) / len(pixels)


@exercise(1, 1)
def constant_decoder_loss(name: str, answer) -> None:
    """Exercise 01.1: the reconstruction loss (nats per test image) of a decoder that ignores its code and
    predicts the mean training image for every image: binary cross-entropy summed over the 784 pixels,
    averaged over the 10,000 test images."""
    x = load_mnist("test").images  # (10000, 784) in [0, 1]
    m = _training_mean_image().expand_as(x)
    per_pixel = F.binary_cross_entropy(m, x, reduction="none")  # log 0 clamped to -100, as in training
    expected = per_pixel.sum(dim=1).mean().item()
    hint = (
        "Section 1's loss with x_hat = mean_image for every test image: "
        "F.binary_cross_entropy(mean_image.expand_as(x), x, reduction='none').sum(dim=1).mean()."
    )
    try:
        got = float(to_numpy(answer))
    except (TypeError, ValueError):
        fail(name, f"expected one number (nats per image), got {answer!r:.60}.", hint)
    if math.isnan(got):
        fail(
            name,
            "your answer is nan: the training mean is exactly 0 at some border pixels, and 0 * log 0 gave nan. "
            "F.binary_cross_entropy treats 0 * log 0 as 0 (it clamps log 0 at -100).",
            hint,
        )
    ink = -(x * torch.log(m).clamp_min(-100)).sum(dim=1).mean().item()  # the -x log x_hat part alone
    per_pixel_mean = (
        "averaged over the 784 pixels as well (nats per pixel): sum over the pixels, average over the images"
    )
    wrong_answers = {
        f"this is the loss {per_pixel_mean}": expected / 784,
        "this is in bits (log base 2): the course measures in nats, with natural logarithms": expected / math.log(2),
        "this is summed over the 10,000 test images: average over the images (nats per image)": expected * len(x),
        "this is the log-likelihood, not the loss: the loss is its negative, a positive number of nats": -expected,
        "only the ink term -x log x_hat is there: each pixel also costs -(1 - x) log(1 - x_hat)": ink,
        "only the paper term -(1 - x) log(1 - x_hat) is there: each pixel also costs -x log x_hat": expected - ink,
    }
    mistake = diagnose(got, wrong_answers, rtol=2e-3, atol=1e-6)
    if mistake:
        fail(name, f"{mistake}.")
    close(name, got, expected, rtol=1e-3, hint=hint)


@exercise(1, 2)
def rescaled_autoencoder(name: str, answer, model: Autoencoder) -> None:
    """Exercise 01.2: [largest |difference| of the pixel probabilities, ratio of code spreads] for a copy of
    ``model`` with A = [[10, 0], [3, 0.5]] folded into the encoder's last layer and A^{-1} into the
    decoder's first layer, on the first 1,000 test images; the spread is the root mean square distance
    of the codes from their mean (new over old)."""
    got = pair(answer, name, "largest difference, spread ratio")
    a = torch.tensor(_A)
    x = load_mnist("test").images[:1000]
    with torch.no_grad():
        z = model.encode(x)
        reference = torch.sigmoid(model(x))
    ratio = _spread(z @ a.T) / _spread(z)
    if not 0 <= got[0] < 1e-3:
        bias_kept = "the encoder's bias was left as it was: it must become A b too, or the codes are not A z"
        a_not_inverse = "the decoder's weight was multiplied by A instead of A^(-1): it must undo A, W_d A^(-1)"
        wrong_edits = {
            bias_kept: _edited_difference(model, x, reference, scale_bias=False),
            a_not_inverse: _edited_difference(model, x, reference, decoder_matrix=a),
        }
        mistake = diagnose(got[0], wrong_edits, rtol=1e-2, atol=1e-6)
        fail(
            name,
            f"the reconstructions should agree up to float32 rounding (largest difference below 1e-3), "
            f"got {got[0]:.3g}{': ' + mistake if mistake else ''}.",
            "Hint: the encoder's last layer becomes (A W, A b), the decoder's first layer W_d A^(-1) with its bias "
            "unchanged; compare torch.sigmoid(model(x)) with torch.sigmoid(edited(x)).",
        )
    spread_hint = (
        "The spread is the root mean square distance of the 1,000 codes from their mean, "
        "sqrt(mean over codes of |z - mean|^2); divide the edited model's spread by the original's."
    )
    det = abs(float(np.linalg.det(np.array(_A))))  # 5: how A scales areas
    shape_matters = "a property of A alone; the spread depends on the shape of the code cloud, so measure it"
    wrong_ratios = {
        "this is the original spread over the edited one: divide the edited model's spread by the original's": 1
        / ratio,
        "this is the ratio of the squared spreads (variances): take the square root": ratio**2,
        "this is the stretch along z_1 alone (A multiplies z_1 by 10): the spread counts both coordinates": 10.0,
        f"this is |det A| = 5, the factor by which A scales areas, {shape_matters}": det,
        f"this is sqrt|det A|, {shape_matters}": math.sqrt(det),
    }
    mistake = diagnose(got[1], wrong_ratios, rtol=1e-2, atol=1e-6)
    if mistake and not np.isclose(got[1], ratio, rtol=1e-2):
        fail(name, f"{mistake}.")
    close(name, got[1], ratio, rtol=1e-2, hint=spread_hint)


def _edited_difference(model, x, reference, scale_bias=True, decoder_matrix=None) -> float:
    """Largest |difference| of the pixel probabilities after a (possibly mistaken) edit with A."""
    a = torch.tensor(_A)
    edited = copy.deepcopy(model)  # the learner's model is left untouched
    with torch.no_grad():
        edited.encoder[-1].weight.copy_(a @ edited.encoder[-1].weight)
        if scale_bias:
            edited.encoder[-1].bias.copy_(a @ edited.encoder[-1].bias)
        inverse = torch.linalg.inv(a) if decoder_matrix is None else decoder_matrix
        edited.decoder[0].weight.copy_(edited.decoder[0].weight @ inverse)
        return (torch.sigmoid(edited(x)) - reference).abs().max().item()


def _spread(codes: torch.Tensor) -> float:
    """Root mean square distance of the codes from their mean."""
    return (codes.double() - codes.double().mean(dim=0)).square().sum(dim=1).mean().sqrt().item()


@exercise(1, 3)
def principal_angles_example(name: str, answer) -> None:
    """Exercise 01.3: principal angles, in degrees and ascending, between span(e1, e2) and span(e1, e2 + e3)."""
    a = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    b = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    expected = np.sort(np.degrees(subspace_angles(a, b)))
    hint = "e1 lies in both planes; for the second angle, compare e2 with the unit vector (e2 + e3) / sqrt(2)."
    hint = swapped_hint(answer, expected, hint, "the smaller angle", "the larger")
    try:
        got = to_numpy(answer)
    except (TypeError, ValueError):
        got = None  # close() explains what a number is
    if got is not None and got.shape == expected.shape:
        if np.allclose(got, np.radians(expected), atol=1e-3):
            hint = "These look like radians: degrees? (np.degrees converts.) " + hint
        elif np.allclose(np.sort(got), np.sort(np.cos(np.radians(expected))), atol=1e-3):
            hint = "These look like the cosines of the angles (the singular values of Q_U^T Q_V): take arccos. " + hint
        elif np.allclose(got, [0.0, 90.0], atol=0.1):
            hint = (
                "e2 + e3 is not orthogonal to e2: their angle has cosine e2 . (e2 + e3) / |e2 + e3| = 1 / sqrt(2). "
                + hint
            )
    close(name, answer, expected, atol=0.1, hint=hint)
