"""Exercise checks of notebook 09 (collapse and tighter bounds): the bound L_k, free bits, the two gaps."""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from ..evaluate import binarized_test_set
from ..inference import gaps
from ..losses import kl_per_dimension
from ..objectives import free_bits_kl as reference_free_bits_kl
from ..pretrained import load_pretrained
from .core import (
    NOT_WRITTEN,
    call_learner,
    close,
    correct,
    diagnose,
    exercise,
    fail,
    not_attempted,
    pair,
    swapped_hint,
    to_numpy,
)


def _log_weights() -> torch.Tensor:
    """Log-weights of k = 7 samples for n = 5 images, float32, between about -116 and -106 nats, (7, 5).

    MNIST log-weights are of this size, and in float32 exp() of every one of them underflows to 0 (the
    smallest positive float32 is about exp(-103.3)), so the naive log(mean(exp(log_w))) gives -inf.
    """
    g = torch.Generator().manual_seed(9)
    return (-110.0 + 2.0 * torch.randn(7, 5, generator=g)).clamp(-116.0, -106.0)


def _naive_bound(log_w: torch.Tensor) -> torch.Tensor:
    """log((1/k) sum_i exp(log_w_i)) written out directly, in the dtype of log_w: what Exercise 09.1 warns about."""
    return torch.log(torch.exp(log_w).mean(0))


@exercise(9, 1)
def iwae_bound(name: str, function) -> None:
    """Exercise 09.1: L_k of every image from its k log-weights, log_w of shape (k, n) -> (n,)."""
    log_w = _log_weights()
    k, n = log_w.shape
    got = call_learner(name, function, log_w.clone())
    if got is None:
        return not_attempted(name, NOT_WRITTEN)
    try:
        got = to_numpy(got)
    except (TypeError, ValueError):
        fail(name, f"expected a tensor of {n} numbers, got {type(got).__name__}.")
    if got.shape != (n,):
        hint = (
            "You reduced over the images (dim 1); reduce over the k samples (dim 0)."
            if got.shape == (k,)
            else "Reduce over the k samples (dim 0) and keep one number per image."
        )
        fail(name, f"expected shape ({n},) for log_w of shape ({k}, {n}), got {got.shape}.", hint)
    if not np.all(np.isfinite(got)):
        naive = to_numpy(_naive_bound(log_w))
        if np.array_equal(got, naive):
            fail(
                name,
                "your bound is not finite: that is log(mean(exp(log_w))) written out directly, and in float32 "
                "exp(-110) underflows to 0 (the smallest positive float32 is about exp(-103.3)), so its log is -inf.",
                "Factor out the largest log-weight before exponentiating, which is what torch.logsumexp does.",
            )
        fail(
            name,
            "your bound is not finite.",
            "exp(-110) underflows to 0 in float32: "
            "factor out the largest log-weight, which is what torch.logsumexp does.",
        )
    log_w = log_w.double()  # the reference and the named mistakes in float64, from the same float32 numbers
    expected = torch.logsumexp(log_w, dim=0) - math.log(k)
    mistake = diagnose(
        got,
        {
            "that is the mean of the log-weights, the ELBO estimate L_1 averaged over the samples, not L_k": log_w.mean(
                0
            ),
            "the log of the sum is missing its - log k: L_k averages the weights": torch.logsumexp(log_w, 0),
            "that is the largest log-weight alone, the limit of a sum dominated by one weight": log_w.max(0).values,
            "you divided the log of the sum by k; the 1/k belongs inside the log, so subtract log k": torch.logsumexp(
                log_w, 0
            )
            / k,
        },
    )
    if mistake:
        fail(name, f"{mistake}.", "L_k = log((1/k) sum_i exp(log_w_i)) = logsumexp over the samples minus log k.")
    close(
        name,
        got,
        expected,
        rtol=1e-4,
        atol=1e-4,  # a float32 logsumexp is accurate to about 1e-5 at -110
        hint="L_k = log((1/k) sum_i exp(log_w_i)), computed with torch.logsumexp over dim 0 minus log k.",
    )


def _posterior_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """mu, log_sigma of 64 images and 6 units: two used units, two collapsing ones, two in between."""
    g = torch.Generator().manual_seed(9)
    scale = torch.tensor([2.0, 1.5, 0.05, 0.1, 0.6, 0.9])  # spread of mu per unit
    log_sigma_mean = torch.tensor([-1.5, -1.0, -0.01, -0.02, -0.3, -0.2])
    mu = scale * torch.randn(64, 6, generator=g)
    log_sigma = log_sigma_mean + 0.1 * torch.randn(64, 6, generator=g)
    return mu, log_sigma


@exercise(9, 2)
def free_bits_kl(name: str, function, free_bits: float = 0.5) -> None:
    """Exercise 09.2: the free-bits KL term sum_j max(lambda, KL_j), KL_j the batch mean of unit j's KL."""
    mu, log_sigma = _posterior_batch()
    got = call_learner(name, function, mu.clone(), log_sigma.clone(), free_bits)
    if got is None:
        return not_attempted(name, NOT_WRITTEN)
    kl = kl_per_dimension(mu, log_sigma)  # (64, 6)
    lam = free_bits
    expected = reference_free_bits_kl(mu, log_sigma, lam)
    try:
        value = to_numpy(got)
    except (TypeError, ValueError):
        fail(name, f"expected one number, got {type(got).__name__}.")
    if value.size != 1:
        fail(
            name,
            f"expected one number (nats per image, summed over units), got shape {value.shape}.",
            "Average each unit's KL over the batch, clamp it from below, then sum over the units.",
        )
    mistake = diagnose(
        value.reshape(()),
        {
            "each image's KL was clamped before averaging over the batch; the free bits apply to the batch mean of each "
            "unit (Kingma et al. 2016), so one image's small KL is not raised": kl.clamp(min=lam).mean(0).sum(),
            "min instead of max: that caps each unit at lambda instead of giving it lambda for free": kl.mean(0)
            .clamp(max=lam)
            .sum(),
            "that is the plain KL term, without free bits (clamping the total, max(lambda, sum_j KL_j), gives the same "
            "once the total exceeds lambda): the allowance is per unit": kl.mean(0).sum(),
            "that is max(0, KL_j - lambda): the same gradient, but not the value of the objective": (kl.mean(0) - lam)
            .clamp(min=0)
            .sum(),
            "the KL was summed over the batch instead of averaged": kl.sum(0).clamp(min=lam).sum(),
        },
    )
    if mistake:
        fail(name, f"{mistake}.", "sum_j max(lambda, KL_j) with KL_j = mean over the batch of unit j's KL.")
    close(
        name,
        value.reshape(()),
        expected,
        rtol=1e-5,
        atol=1e-5,
        hint="sum_j max(lambda, KL_j) with KL_j = mean over the batch of unit j's KL (vaelib.losses.kl_per_dimension).",
    )


@functools.lru_cache(maxsize=1)
def _gaps_of_vae_beta_1() -> tuple[float, float]:
    """The two gaps of vae-beta-1 on the first 100 test images, measured once per session (some seconds)."""
    measured = gaps(load_pretrained("vae-beta-1"), binarized_test_set()[:100], k=1000, steps=200)
    return measured.approximation_gap, measured.amortization_gap


@exercise(9, 3)
def gaps_of_short_training(name: str, answer) -> None:
    """Exercise 09.3: [approximation gap, amortization gap] of vae-beta-1 on the first 100 test images."""
    got = pair(answer, name, "approximation gap, amortization gap")
    expected = np.array(_gaps_of_vae_beta_1())
    hint = "Call inference.gaps(model, x_test[:100], k=1000, steps=200) and read its two gap fields."
    if np.all(got < 0) and np.allclose(-got, expected, atol=0.05):
        fail(
            name,
            "both numbers have the wrong sign.",
            "The gaps are differences of bounds on log p(x), never negative. " + hint,
        )
    close(
        name,
        got,
        expected,
        rtol=0,
        atol=0.05,
        hint=swapped_hint(answer, expected, hint, "the approximation gap", "the amortization gap"),
        report=False,
    )
    correct(name, f"approximation gap {expected[0]:.1f} nats, amortization gap {expected[1]:.1f} nats")
