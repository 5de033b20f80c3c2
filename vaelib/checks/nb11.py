"""Exercise checks of notebook 11 (conditional VAEs, posteriors as areas, what the code is good for):
the probability inside a posterior's ellipses, redrawing a digit with a conditional VAE, and the
conditional VAE's bound on -log p(x)."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..conditional import ConditionalVAE
from ..training import evaluate_loss
from .core import (
    NOT_WRITTEN,
    call_learner,
    close,
    correct,
    diagnose,
    exercise,
    fail,
    is_close,
    not_attempted,
    pair,
    to_numpy,
)


@exercise(11, 1)
def ellipse_mass(name: str, answer) -> None:
    """Exercise 11.1: the shares of samples of a 2-D diagonal Gaussian q(z|x) inside its 1-sigma and 2-sigma ellipses.

    The squared standardized distance r^2 = sum_k ((z_k - mu_k) / sigma_k)^2 is chi-squared with 2 degrees
    of freedom, so P(r <= k) = 1 - exp(-k^2 / 2). A Monte Carlo estimate within 0.005 passes.
    """
    got = pair(answer, name, "share inside the 1-sigma ellipse, share inside the 2-sigma ellipse")
    expected = np.array([1 - math.exp(-0.5), 1 - math.exp(-2.0)])
    if is_close(got, expected, rtol=0, atol=0.005):
        return correct(name, "1 - exp(-k^2 / 2) for k = 1, 2")
    one_d = np.array([0.682689, 0.954500])  # P(|t| <= k) for one standard normal coordinate
    variants = [
        (
            "these are the one-dimensional shares (68% within one standard deviation, 95% within two); in two "
            "dimensions a sample must be close in both coordinates at once, and the ellipse holds less",
            one_d,
        ),
        (
            "these are the shares inside the square |z_k - mu_k| <= k sigma_k (each coordinate on its own), not "
            "inside the ellipse, which cuts off the square's corners",
            one_d**2,
        ),
        ("the shares are swapped: first the 1-sigma ellipse (the smaller share), then the 2-sigma one", expected[::-1]),
        ("these are percentages: give shares between 0 and 1", 100 * expected),
        ("exp(-k^2 / 2) is the share outside the ellipse; the share inside is 1 minus it", 1 - expected),
        (
            "the exponent lacks its 1/2: r^2 is chi-squared with 2 degrees of freedom, "
            "P(r^2 <= k^2) = 1 - exp(-k^2 / 2)",
            np.array([1 - math.exp(-1.0), 1 - math.exp(-4.0)]),
        ),
    ]
    mistake = diagnose(got, dict(variants), rtol=0, atol=0.005)
    if mistake:
        fail(name, f"{mistake}.")
    close(
        name,
        got,
        expected,
        rtol=0,
        atol=0.005,
        hint="Standardize: t_k = (z_k - mu_k) / sigma_k are independent N(0, 1), and the k-sigma ellipse is "
        "t_1^2 + t_2^2 <= k^2. Either integrate in polar coordinates or count samples of 100,000 draws.",
    )


@exercise(11, 2)
def change_digit(name: str, function, model: ConditionalVAE, x: torch.Tensor, y: torch.Tensor) -> None:
    """Exercise 11.2: a function (model, x, y, new_y) -> the images x redrawn as the digits new_y, pixel probabilities.

    The answer keeps the style of each image: the mean mu of q(z|x, y), encoded with the image's own label y,
    decoded with the new label. The check runs the function on ``x`` (images with labels ``y``) with the new
    labels (y + 3) mod 10 and compares with that; a wrong result is matched against the likely mistakes.
    """
    new_y = (y + 3) % model.config.num_classes
    got = call_learner(name, function, model, x, y, new_y)
    if got is None:
        return not_attempted(name, NOT_WRITTEN)
    if not torch.is_tensor(got):
        fail(name, f"expected a torch.Tensor of pixel probabilities, got {type(got).__name__}.")
    want_shape = (x.shape[0], model.config.input_dim)
    if tuple(got.shape) != want_shape:
        fail(name, f"expected one image per row of x, shape {want_shape}, got {tuple(got.shape)}.")
    got = got.detach()
    with torch.no_grad():
        mu, log_sigma = model.encode(x, y)
        mu_new, _ = model.encode(x, new_y)
        draw = lambda z, labels: torch.sigmoid(model.decode(z, labels))
        expected = draw(mu, new_y)
        if is_close(got, expected, rtol=1e-4, atol=1e-5):
            return correct(name, "mu of q(z|x, y) decoded with the new label")
        again = call_learner(name, function, model, x, y, new_y)
        if torch.is_tensor(again) and not torch.equal(again.detach(), got):
            fail(
                name,
                "your function gives different images each time it runs: it draws a random z (or random pixels). "
                "To keep an image's style, decode the mean mu of q(z|x, y), and return the decoder's probabilities.",
            )
        variants = [
            (
                "you encoded with the new label: q(z|x, y) needs the image's own label y; only the decoder gets new_y",
                draw(mu_new, new_y),
            ),
            (
                "you decoded with the image's own label y, which reconstructs the image instead of changing the digit",
                draw(mu, y),
            ),
            ("you swapped the labels: encode with the image's own label y, decode with new_y", draw(mu_new, y)),
            ("these are logits: apply torch.sigmoid to get pixel probabilities", model.decode(mu, new_y)),
            ("you decoded log_sigma instead of mu", draw(log_sigma, new_y)),
            (
                "you decoded z = 0, the prior's centre, for every image: that drops each image's style; decode its mu",
                draw(torch.zeros_like(mu), new_y),
            ),
        ]
        mistake = diagnose(got, dict(variants), rtol=1e-4, atol=1e-5)
    if mistake:
        fail(name, f"{mistake}.")
    close(
        name,
        got,
        expected,
        rtol=1e-4,
        atol=1e-5,
        hint="Two steps. The encoder infers each image's style from the image and the label it really has; the "
        "decoder draws that style, its mean rather than a sample, as the new digit. Check which label each step "
        "gets, and whether you return probabilities or the decoder's logits.",
    )


@exercise(11, 3)
def likelihood_bound(
    name: str, answer, model: ConditionalVAE, x: torch.Tensor, labels: torch.Tensor, train_labels: torch.Tensor
) -> None:
    """Exercise 11.3: the conditional VAE's upper bound on -log p(x), in nats per image averaged over ``x``:
    the negative ELBO given the label plus -log p(y), with p(y) the label frequencies of the training set.

    From p(x) = sum_y' p(y') p(x|y') >= p(y) p(x|y) for the true label y. The reference estimates the
    -ELBO with one sample per image (``evaluate_loss``, seed 0); answers within 0.3 nats pass (another noise
    seed, or p(y) = 1/10 for every digit, lands well inside).
    """
    if answer is None:
        return not_attempted(name)
    neg_elbo = evaluate_loss(model, x, seed=0, labels=labels)["loss"]
    frequency = torch.bincount(train_labels, minlength=model.config.num_classes).double() / len(train_labels)
    label_term = -frequency[labels].log().mean().item()  # mean of -log p(y) over the images
    expected = neg_elbo + label_term
    try:
        got = float(to_numpy(answer).reshape(()))
    except (TypeError, ValueError):
        fail(name, f"expected one number (nats per image), got {answer!r:.60}.")
    if not np.isfinite(got):
        fail(name, f"your answer is {got}; expected a finite number of nats per image.")
    variants = [
        (
            "-log p(y) is positive (p(y) < 1), so it is added: the bound on -log p(x) lies above the -ELBO given y",
            neg_elbo - label_term,
        ),
        (
            "the label term is missing: the -ELBO given y bounds -log p(x|y), and -log p(x) costs up to -log p(y) more",
            neg_elbo,
        ),
        ("that is the ELBO's sign: the bound is on -log p(x), a positive number of nats", -expected),
        (
            "the label term is in bits (log base 2); the course measures everything in nats (natural logarithms)",
            neg_elbo + label_term / math.log(2),
        ),
        ("that is in bits per image; the course measures in nats", expected / math.log(2)),
    ]
    mistake = diagnose(got, dict(variants), rtol=0, atol=0.3)
    if mistake:
        fail(name, f"{mistake}.")
    close(
        name,
        got,
        expected,
        rtol=0,
        atol=0.3,
        hint="vaelib.evaluate_loss(model, x, labels=labels)['loss'] is the -ELBO given y; add the mean over the "
        "images of -log p(y), with p(y) the share of digit y among the training labels (torch.bincount).",
    )
