"""Exercise checks of notebook 08 (evaluating VAEs): bits per dimension, a stable L_k, hidden betas, units."""

from __future__ import annotations

import numpy as np

from ..evaluate import active_units, binarized_test_set, encode_all
from ..pretrained import load_pretrained
from .core import close, exercise


@exercise(8, 1)
def bits_per_dim(name: str, answer) -> None:
    """Exercise 08.1: Burda et al.'s 84.78 nats per binarized MNIST image, in bits per dimension."""
    expected = 84.78 / np.log(2.0) / 784  # nats -> bits (divide by ln 2), then per pixel
    close(name, answer, expected, rtol=1e-3, hint="One bit is ln 2 nats; an image has 28 x 28 = 784 dimensions.")


@exercise(8, 2)
def bound_from_log_weights(name: str, answer) -> None:
    """Exercise 08.2: L_3 = log((w_1 + w_2 + w_3) / 3) from log-weights -1000, -1001, -1003."""
    log_w = np.array([-1000.0, -1001.0, -1003.0])
    expected = log_w.max() + np.log(np.exp(log_w - log_w.max()).sum()) - np.log(len(log_w))
    hint = "Factor out the largest log-weight before exponentiating (logsumexp), then subtract log 3."
    if isinstance(answer, (int, float, np.number)):
        if not np.isfinite(answer):
            hint = "exp(-1000) underflows to 0 in floating point. " + hint
        elif abs(answer - log_w.mean()) < 1e-6:
            hint = "That is the mean of the log-weights (the ELBO estimate); L_k is the log of the mean weight. " + hint
    close(name, answer, expected, rtol=0, atol=5e-3, hint=hint)  # 2 decimals suffice


@exercise(8, 3)
def effective_beta(name: str, answer) -> None:
    """Exercise 08.3: the beta implied by averaging the reconstruction over a 32x32 colour image's values."""
    close(
        name,
        answer,
        32 * 32 * 3,
        rtol=1e-6,
        hint="Count the values per image (pixels times colour channels) and multiply the whole loss by it.",
    )


@exercise(8, 4)
def active_units_at_threshold(name: str, answer) -> None:
    """Exercise 08.4: active units of the shipped vae-beta-1 with threshold 0.1 instead of 0.01."""
    mu, _ = encode_all(load_pretrained("vae-beta-1"), binarized_test_set())
    expected, _ = active_units(mu, threshold=0.1)
    close(
        name,
        answer,
        expected,
        rtol=0,
        atol=0.5,
        hint="The activity of unit j is the variance of column j of mu over the test images; count those above 0.1.",
    )
