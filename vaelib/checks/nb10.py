"""Exercise checks of notebook 10 (convolutional VAEs and the decoder's likelihood): the Gaussian
negative log-likelihood written by hand, the sigma hidden in an MSE loss with a KL weight, the
continuous Bernoulli's normalizing constant, and what rescaling the pixels does to a density."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..likelihoods import continuous_bernoulli_log_norm as reference_log_norm
from ..likelihoods import gaussian_nll as reference_gaussian_nll
from .core import NOT_WRITTEN, call_learner, close, correct, diagnose, exercise, fail, is_close, not_attempted, to_numpy

LOG_2PI = math.log(2 * math.pi)


def _result(name: str, got, shape: tuple[int, ...], what: str) -> np.ndarray:
    try:
        value = to_numpy(got)
    except (TypeError, ValueError):
        fail(name, f"expected {what}, got {type(got).__name__}.")
    if value.shape == () and shape != ():
        fail(
            name,
            f"your function returns one number; it should return {what}, shape {shape}: do not average "
            "or sum over the images.",
        )
    if value.shape != shape:
        fail(name, f"expected {what}, shape {shape}, got shape {value.shape}.")
    if not np.isfinite(value).all():
        fail(name, f"your function returns NaN or infinite values ({value!r:.80}).")
    return value


@exercise(10, 1)
def gaussian_nll(name: str, function) -> None:
    """Exercise 10.1: a function (x_hat, x, log_sigma) -> -log N(x; x_hat, sigma^2 I) per image, in nats.

    ``x_hat`` and ``x`` are (n, 784), ``log_sigma`` is (n, 1): one sigma per image. The check runs the
    function on random inputs, compares with ``vaelib.likelihoods.gaussian_nll`` and matches a wrong result
    against the usual mistakes.
    """
    g = torch.Generator().manual_seed(0)
    x_hat, x = (
        torch.rand(6, 784, generator=g, dtype=torch.float64),
        torch.rand(6, 784, generator=g, dtype=torch.float64),
    )
    log_sigma = -1.5 + 0.5 * torch.randn(6, 1, generator=g, dtype=torch.float64)
    got = call_learner(name, function, x_hat, x, log_sigma)
    if got is None:
        return not_attempted(name, NOT_WRITTEN)
    value = _result(name, got, (6,), "one negative log-likelihood per image")
    want = reference_gaussian_nll(x_hat, x, log_sigma)
    if not is_close(value, want, rtol=1e-6, atol=1e-6):
        sse, d, s = (x - x_hat).square().sum(1), 784, log_sigma[:, 0]
        sigma2 = torch.exp(2 * s)
        mistake = diagnose(
            value,
            {
                "the sign is flipped: that is the log-likelihood; the loss is its negative": -want,
                "the term log sigma is missing: without it a larger sigma always looks better, and sigma cannot be learned": sse
                / (2 * sigma2)
                + d * 0.5 * LOG_2PI,
                "log sigma is counted once per image; every pixel has its own Gaussian factor, so it is 784 log sigma": sse
                / (2 * sigma2)
                + s
                + d * 0.5 * LOG_2PI,
                "the constant log(2 pi) / 2 per pixel is missing (harmless for training, but the result is not a "
                "log-density, and the numbers cannot be compared)": sse / (2 * sigma2) + d * s,
                "the constant is log(2 pi) per pixel instead of log(2 pi) / 2": sse / (2 * sigma2) + d * (s + LOG_2PI),
                "the squared error is divided by 2 sigma instead of 2 sigma^2": sse / (2 * torch.exp(s))
                + d * (s + 0.5 * LOG_2PI),
                "the squared error is divided by sigma^2 instead of 2 sigma^2": sse / sigma2 + d * (s + 0.5 * LOG_2PI),
                "the pixels are averaged instead of summed: the log-likelihood of an image is the sum over its pixels": want
                / d,
            },
        )
        if mistake:
            fail(name, f"{mistake}.")
        close(
            name,
            value,
            want,
            rtol=1e-6,
            atol=1e-6,
            hint="Per pixel: (x - x_hat)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2, with sigma = exp(log_sigma); "
            "sum over the 784 pixels, one number per image.",
        )
    correct(name, "it agrees with vaelib.likelihoods.gaussian_nll")


@exercise(10, 2)
def hidden_sigma(name: str, answer) -> None:
    """Exercise 10.2: the fixed sigma of the Gaussian decoder hidden in mean-reduced MSE + 0.00025 KL on 3 x 64 x 64 images."""
    d, w = 3 * 64 * 64, 0.00025
    expected = math.sqrt(w * d / 2)
    hint = (
        "Multiply the loss mean_j (x_j - x_hat_j)^2 + w KL by 1 / w, so that KL has weight 1, and match the squared "
        "error's factor with 1 / (2 sigma^2)."
    )
    try:
        got = float(to_numpy(answer))
    except (TypeError, ValueError):
        fail(name, f"expected a number, got {type(answer).__name__}.")
    mistake = diagnose(
        got,
        {
            "that is sigma^2; the question asks for sigma": w * d / 2,
            "the three colour channels are missing: a 64 x 64 RGB image has 3 x 64 x 64 = 12288 values": math.sqrt(
                w * 64 * 64 / 2
            ),
            "the factor 1/2 of the Gaussian's exponent is missing: the squared error enters as (x - x_hat)^2 / (2 sigma^2)": math.sqrt(
                w * d
            ),
            "the ratio is upside down: sigma^2 = w d / 2, not 2 / (w d)": math.sqrt(2 / (w * d)),
            "the number of values is missing: the mean divides the squared error by d = 12288": math.sqrt(w / 2),
        },
        rtol=1e-3,
        atol=0,
    )
    if mistake:
        fail(name, f"{mistake}.")
    close(name, got, expected, rtol=1e-3, hint=hint)


@exercise(10, 3)
def continuous_bernoulli_log_norm(name: str, function) -> None:
    """Exercise 10.3: a function lam -> log C(lam), C(lam) = 2 artanh(1 - 2 lam) / (1 - 2 lam), with C(1/2) = 2.

    Run on a float64 tensor of lambdas that includes exactly 1/2 and values just beside it; compared with
    the library (Taylor series near 1/2); wrong results are matched against the likely mistakes.
    """
    lam = torch.tensor([1e-4, 0.02, 0.2, 0.4, 0.5 - 1e-9, 0.5, 0.5 + 1e-9, 0.6, 0.9, 0.999], dtype=torch.float64)
    got = call_learner(name, function, lam.clone())
    if got is None:
        return not_attempted(name, NOT_WRITTEN)
    want = reference_log_norm(torch.logit(lam))
    try:
        value = to_numpy(got)
    except (TypeError, ValueError):
        fail(name, f"expected a tensor of log C values, got {type(got).__name__}.")
    if value.shape != tuple(lam.shape):
        fail(name, f"expected one value per lambda, shape {tuple(lam.shape)}, got shape {value.shape}.")
    half = 5  # index of lam = 1/2
    finite = np.isfinite(value)
    if not finite[half] and finite[np.arange(len(lam)) != half].all():
        fail(
            name,
            "your function gives NaN at lambda = 1/2, where artanh(1 - 2 lambda) / (1 - 2 lambda) is 0/0. The "
            "limit is 1 (artanh(y) = y + y^3/3 + ...), so C(1/2) = 2: handle lambda = 1/2 separately, e.g. with "
            "torch.where, or use a Taylor expansion near 1/2.",
        )
    if not finite.all():
        fail(
            name, f"your function returns NaN or infinite values at lambda = {lam[~torch.from_numpy(finite)].tolist()}."
        )
    if is_close(value, want, rtol=1e-7, atol=1e-9):
        return correct(name, "log C(lambda) everywhere, 1/2 included")
    c = torch.exp(want)
    lam_ok = torch.arange(len(lam)) != half
    mistake = diagnose(
        value[lam_ok.numpy()],
        {
            "you returned C itself, not its logarithm": c[lam_ok],
            "the factor 2 is missing: C(lambda) = 2 artanh(1 - 2 lambda) / (1 - 2 lambda)": (want - math.log(2))[
                lam_ok
            ],
            "the sign is flipped: that is log(1 / C), the log of the integral of lambda^x (1 - lambda)^(1 - x) over [0, 1]": -want[
                lam_ok
            ],
        },
        rtol=1e-6,
        atol=1e-9,
    )
    if mistake:
        fail(name, f"{mistake}.")
    if is_close(value[lam_ok.numpy()], want[lam_ok], rtol=1e-7, atol=1e-9):
        fail(
            name,
            f"right everywhere except at lambda = 1/2, where you return {value[half]:.6g} instead of log 2 = "
            f"{math.log(2):.6g}.",
        )
    close(
        name,
        value,
        want,
        rtol=1e-7,
        atol=1e-9,
        hint="log C = log(2 artanh(1 - 2 lambda) / (1 - 2 lambda)); torch.atanh computes artanh; at lambda = 1/2 it is log 2.",
    )


@exercise(10, 4)
def rescaled_density_shift(name: str, answer) -> None:
    """Exercise 10.4: how much -log p(x) per image changes when 784 pixels in [0, 1] are rescaled to [0, 255]."""
    expected = 784 * math.log(255)
    try:
        got = float(to_numpy(answer))
    except (TypeError, ValueError):
        fail(name, f"expected a number, got {type(answer).__name__}.")
    mistake = diagnose(
        got,
        {
            "the sign is flipped: stretching the space spreads the same probability thinner, so the density falls and "
            "-log p rises": -expected,
            "that is the change of a single pixel; the image has 784 of them, each stretched by 255": math.log(255),
            "the factor is 255 (the range of the new scale), not 256": 784 * math.log(256),
            "that is in bits (log base 2); the course's unit is nats (natural log)": 784 * math.log2(255),
            "that is log base 10; the course's unit is nats (natural log)": 784 * math.log10(255),
        },
        rtol=1e-4,
        atol=0,
    )
    if mistake:
        fail(name, f"{mistake}.")
    close(
        name,
        got,
        expected,
        rtol=1e-4,
        hint="If y = 255 x, then p_Y(y) = p_X(x) / 255 for each pixel (change of variables); take -log and sum over pixels.",
    )
