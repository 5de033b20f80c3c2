"""Decoder likelihoods p(x|z) for images with pixels in [0, 1], each with its mean and its real samples.

The decoder of every model here ends in one real number per pixel, ``eta`` (a logit); a likelihood
turns those outputs into a distribution for each pixel, independently given z:

- ``"bernoulli"``: x in {0, 1}, P(x = 1) = sigmoid(eta). A probability mass function: use it on
  binarized images (on grey levels it is a cross-entropy, not a likelihood; notebook 08).
- ``"gaussian"``: N(x; sigmoid(eta), sigma^2) with a fixed ``sigma``. Its negative log-density is the
  squared error / (2 sigma^2) plus a constant, so any MSE loss is this likelihood for some sigma.
- ``"gaussian-learned"``: the same with one sigma per image, ``log sigma`` an extra decoder output.
- ``"continuous-bernoulli"`` (Loaiza-Ganem & Cunningham 2019): the density
  C(lambda) lambda^x (1 - lambda)^(1 - x) on [0, 1], lambda = sigmoid(eta), whose normalizing constant
  C(lambda) = 2 artanh(1 - 2 lambda) / (1 - 2 lambda) (with C(1/2) = 2) is, in terms of the logit,
  C = eta / tanh(eta / 2). Near lambda = 1/2 (eta = 0) that is 0/0, so a window |eta| < TAYLOR_WINDOW
  uses the Taylor series of log C instead (its coefficients are derived in notebook 10 with SymPy).
  The density at x = 0 grows without bound as lambda -> 0 (log C ~ log |eta|), so on images whose
  background is exactly 0 the logits run off towards -infinity (past 10^5 within 6 epochs, until the
  arithmetic broke); the model's logits are therefore clamped to +-LOGIT_LIMIT, as torch.distributions
  clamps lambda to [eps, 1 - eps].

Units: nats per image, summed over pixels. ``nll(params, x)`` broadcasts parameters (..., d + extra)
against images (n, d) and returns (..., n), e.g. k samples of z: (k, n, d) -> (k, n).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .losses import LOG_2PI

TAYLOR_WINDOW = 0.1  # |eta| below this: Taylor series (error < 1e-15 at the edge, far below float32 rounding)
LOGIT_LIMIT = 15.0  # continuous Bernoulli: lambda = sigmoid(eta) kept within 3.1e-7 of 0 and 1 (see above)
LIKELIHOODS = ("bernoulli", "gaussian", "gaussian-learned", "continuous-bernoulli")


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) = sum_j softplus(eta_j) - x_j eta_j, the binary cross-entropy with logits, in nats."""
    return (F.softplus(logits) - logits * x).sum(-1)


def gaussian_nll(mean: torch.Tensor, x: torch.Tensor, log_sigma: torch.Tensor | float) -> torch.Tensor:
    """-log N(x; mean, sigma^2) summed over pixels, in nats: sum_j (x_j - mean_j)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2.

    ``log_sigma``: a number (fixed sigma), or a tensor that broadcasts against ``mean``, e.g. (..., 1) per image.
    """
    log_sigma = torch.as_tensor(log_sigma, dtype=mean.dtype)
    squared = ((x - mean) * torch.exp(-log_sigma)).square()  # ((x - mean) / sigma)^2, (..., n, d)
    return (0.5 * squared + log_sigma + 0.5 * LOG_2PI).sum(-1)


def _taylor(eta: torch.Tensor, coefficients: tuple[float, ...], powers: tuple[int, ...]) -> torch.Tensor:
    return sum(c * eta**p for c, p in zip(coefficients, powers))


def continuous_bernoulli_log_norm(logits: torch.Tensor) -> torch.Tensor:
    """log C(lambda) of the continuous Bernoulli, elementwise, from the logits eta = log(lambda / (1 - lambda)).

    C = eta / tanh(eta / 2) is even in eta; with a = |eta|, log C = log a - log(1 - e^-a) + log(1 + e^-a),
    accurate for large a. For a < TAYLOR_WINDOW the Taylor series log 2 + a^2/12 - 7 a^4/1440 + 31 a^6/90720
    replaces it: there the exact form is 0/0 at a = 0 and its gradient loses digits (1/a - 1/(e^a - 1)).
    """
    a = logits.abs()
    small = a < TAYLOR_WINDOW
    # each branch gets inputs where it is finite: torch.where passes a zero gradient to the unused branch,
    # and zero times an infinite derivative (0/0 at 0, or a^7 overflowing) would be NaN
    large, tiny = torch.where(small, torch.ones_like(a), a), torch.where(small, a, torch.zeros_like(a))
    exact = torch.log(large) - torch.log(-torch.expm1(-large)) + torch.log1p(torch.exp(-large))
    series = _taylor(tiny, (math.log(2.0), 1 / 12, -7 / 1440, 31 / 90720, -127 / 4838400), (0, 2, 4, 6, 8))
    return torch.where(small, series, exact)


def continuous_bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) of the continuous Bernoulli, summed over pixels, in nats: BCE(eta, x) - log C(eta)."""
    return (F.softplus(logits) - logits * x - continuous_bernoulli_log_norm(logits)).sum(-1)


def continuous_bernoulli_mean(logits: torch.Tensor) -> torch.Tensor:
    """E[x] = 1 / (1 - e^-eta) - 1 / eta = lambda / (2 lambda - 1) + 1 / (2 artanh(1 - 2 lambda)); 1/2 at eta = 0.

    Not lambda: a continuous Bernoulli with lambda = 0.9 has mean 0.67. Taylor series for |eta| < TAYLOR_WINDOW.
    """
    small = logits.abs() < TAYLOR_WINDOW
    large, tiny = (
        torch.where(small, torch.ones_like(logits), logits),
        torch.where(small, logits, torch.zeros_like(logits)),
    )
    exact = -1.0 / torch.expm1(-large) - 1.0 / large
    series = _taylor(tiny, (0.5, 1 / 12, -1 / 720, 1 / 30240), (0, 1, 3, 5))
    return torch.where(small, series, exact)


def continuous_bernoulli_sample(logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draws by inverting the CDF F(x) = (e^(eta x) - 1) / (e^eta - 1): x = log(1 + u (e^eta - 1)) / eta, u ~ U(0, 1).

    For eta > 0 it is computed as 1 + log(u + (1 - u) e^-eta) / eta (no overflow); x = u near eta = 0.
    """
    u = torch.rand(logits.shape, generator=generator, dtype=logits.dtype)
    small = logits.abs() < 1e-4
    safe = torch.where(small, torch.ones_like(logits), logits)
    positive = 1.0 + torch.log(u + (1.0 - u) * torch.exp(-safe.clamp(min=0))) / safe
    negative = torch.log1p(u * torch.expm1(safe.clamp(max=0))) / safe
    x = torch.where(safe > 0, positive, negative)
    return torch.where(small, u + 0.5 * logits * u * (1.0 - u), x).clamp(0.0, 1.0)


@dataclass(frozen=True)
class Likelihood:
    """p(x|z) from the decoder's outputs: its negative log-likelihood, its mean E[x|z], and real draws."""

    name: str
    extra_outputs: int  # decoder outputs beyond one per pixel (1: a learned log sigma per image)
    discrete: bool  # a probability mass on {0, 1}^d (True) or a density on a continuous space (False)
    nll: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (params (..., d + extra), x (n, d)) -> (..., n)
    mean: Callable[[torch.Tensor], torch.Tensor]  # params -> E[x|z], (..., d)
    sample: Callable[[torch.Tensor, torch.Generator | None], torch.Tensor]  # params, generator -> x ~ p(x|z)


def likelihood(name: str, sigma: float | None = None) -> Likelihood:
    """The likelihood called ``name`` (one of LIKELIHOODS); ``sigma`` is the fixed standard deviation of "gaussian"."""
    if name not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {name!r}")
    if (name == "gaussian") != (sigma is not None):
        raise ValueError(
            f"sigma is the fixed standard deviation of 'gaussian' (and only of it), got {sigma!r} for {name!r}"
        )
    if sigma is not None and not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a finite positive number, got {sigma!r}")
    if name == "bernoulli":
        return Likelihood(
            name,
            0,
            True,
            bernoulli_nll,
            torch.sigmoid,
            lambda eta, g=None: torch.bernoulli(torch.sigmoid(eta), generator=g),
        )
    if name == "continuous-bernoulli":

        def clamped(eta):  # the model's logits: lambda within 3.1e-7 of 0 and 1 (LOGIT_LIMIT)
            return eta.clamp(-LOGIT_LIMIT, LOGIT_LIMIT)

        return Likelihood(
            name,
            0,
            False,
            lambda eta, x: continuous_bernoulli_nll(clamped(eta), x),
            lambda eta: continuous_bernoulli_mean(clamped(eta)),
            lambda eta, g=None: continuous_bernoulli_sample(clamped(eta), g),
        )
    if name == "gaussian":
        log_sigma = math.log(sigma)
        return Likelihood(
            name,
            0,
            False,
            lambda eta, x: gaussian_nll(torch.sigmoid(eta), x, log_sigma),
            torch.sigmoid,
            lambda eta, g=None: torch.sigmoid(eta) + sigma * _randn(eta, g),
        )

    def split(params):  # (..., d + 1) -> means (..., d), log sigma (..., 1)
        return torch.sigmoid(params[..., :-1]), params[..., -1:]

    def nll(params, x):
        mean, log_sigma = split(params)
        return gaussian_nll(mean, x, log_sigma)

    def sample(params, g=None):
        mean, log_sigma = split(params)
        return mean + torch.exp(log_sigma) * _randn(mean, g)

    return Likelihood(name, 1, False, nll, lambda params: split(params)[0], sample)


def _randn(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.randn(like.shape, generator=generator, dtype=like.dtype)


def dequantize(pixels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """8-bit pixels k in 0..255 -> (k + u) / 256 with u ~ U(0, 1): a point inside the pixel's bin [k/256, (k+1)/256).

    For any density p on [0, 1]^d, E_u[-log p((k + u) / 256)] + d log 256 >= -log P(k), where P(k) is the
    probability p puts on the bins of the 8-bit image k (Jensen; Theis, van den Oord & Bethge 2016): a
    number in the same units as a discrete model's, which no density can push below 0 by spiking.
    """
    if pixels.dtype != torch.uint8:
        raise TypeError(f"dequantize takes uint8 pixels 0..255, got {pixels.dtype}")
    return (pixels.to(torch.float32) + torch.rand(pixels.shape, generator=generator)) / 256.0


def bits_per_dim_8bit(negative_log_density: float | torch.Tensor, num_dims: int = 784) -> float | torch.Tensor:
    """Upper bound on -log2 P(8-bit image) per pixel from nats of -log p on dequantized images: (nats + d ln 256) / (d ln 2)."""
    return (negative_log_density + num_dims * math.log(256.0)) / (num_dims * math.log(2.0))
