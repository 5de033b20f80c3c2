"""Exercise checks of notebook 06 (training a VAE): the loss written by hand, its units, the dimensions in use."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..evaluate import encode_all
from ..losses import bernoulli_nll, kl_per_dimension, negative_elbo as reference_negative_elbo
from ..models import VAE
from .core import NOT_WRITTEN, call_learner, close, correct, diagnose, exercise, fail, is_close, not_attempted, to_numpy


@exercise(6, 1)
def negative_elbo(name: str, function) -> None:
    """Exercise 06.1: a function (logits, x, mu, log_sigma) -> the negative ELBO in nats per image, batch mean.

    It is run on random inputs (grey-level x, a batch of 8, K = 20) and compared with
    ``vaelib.negative_elbo``; a wrong result is matched against the usual mistakes to name the one made.
    A function that still returns None counts as not attempted.
    """
    g = torch.Generator().manual_seed(0)
    logits, x = 3 * torch.randn(8, 784, generator=g), torch.rand(8, 784, generator=g)
    mu, log_sigma = torch.randn(8, 20, generator=g), 0.4 + 0.5 * torch.randn(8, 20, generator=g)
    got = _total(call_learner(name, function, logits, x, mu, log_sigma))
    if got is None:
        return not_attempted(name, NOT_WRITTEN)
    try:
        value = to_numpy(got)
    except (TypeError, ValueError):
        fail(name, f"expected a number (a 0-d tensor), got {type(got).__name__}.")
    if value.shape == (8,):
        fail(name, "your function returns one value per image: average them over the batch (.mean()).")
    if not is_close(got, reference_negative_elbo(logits, x, mu, log_sigma).total, rtol=1e-5, atol=1e-3):
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
        kl = 0.5 * (mu.square() + torch.exp(2 * log_sigma) - 2 * log_sigma - 1).sum(1)
        mistake = diagnose(got, {
            "the KL term has the wrong sign: it is added, 1/2 (mu^2 + sigma^2 - log sigma^2 - 1) summed over k, "
            "and it is never negative": (rec - kl).mean(),
            "the reconstruction is averaged over the 784 pixels instead of summed (that weighs the KL 784 times "
            "more, a beta-VAE with beta = 784)": (rec / 784 + kl).mean(),
            "sigma appears where sigma^2 belongs: sigma^2 = exp(2 log_sigma), not exp(log_sigma)":
                (rec + 0.5 * (mu.square() + torch.exp(log_sigma) - 2 * log_sigma - 1).sum(1)).mean(),
            "log sigma appears where log sigma^2 = 2 log_sigma belongs":
                (rec + 0.5 * (mu.square() + torch.exp(2 * log_sigma) - log_sigma - 1).sum(1)).mean(),
            "the KL term lacks its factor 1/2": (rec + 2 * kl).mean(),
            "the KL is averaged over the latent dimensions instead of summed": (rec + kl / 20).mean(),
            "the result is summed over the batch instead of averaged (nats per batch, not per image)": (rec + kl).sum(),
            "the KL term is missing": rec.mean(),
            "the reconstruction term is missing": kl.mean(),
            "the logits went through a sigmoid before binary_cross_entropy_with_logits, which applies its own":
                (F.binary_cross_entropy_with_logits(torch.sigmoid(logits), x, reduction="none").sum(1) + kl).mean(),
        })
        if mistake:
            fail(name, f"{mistake}.")
        close(name, got, reference_negative_elbo(logits, x, mu, log_sigma).total, rtol=1e-5, atol=1e-3,
              hint="Reconstruction: binary cross-entropy with logits, summed over the 784 pixels; KL: 1/2 (mu^2 + "
              "sigma^2 - 2 log sigma - 1) summed over the latent dimensions; then the mean over the batch.")
    small = _total(call_learner(name, function, logits[:2], x[:2], mu[:2], log_sigma[:2]))
    if not is_close(small, reference_negative_elbo(logits[:2], x[:2], mu[:2], log_sigma[:2]).total, rtol=1e-5, atol=1e-3):
        fail(name, "right for a batch of 8 but not for a batch of 2: do not hard-code the batch size.")
    correct(name, "it agrees with vaelib.negative_elbo")


def _total(result):
    """The loss from what the learner's function returns: a number, or (total, reconstruction, kl)."""
    return result[0] if isinstance(result, tuple) else result


@exercise(6, 2)
def blank_image_reconstruction(name: str, answer) -> None:
    """Exercise 06.2: the reconstruction term for an all-black image when every logit is -3."""
    x = torch.zeros(1, 784)
    expected = bernoulli_nll(torch.full_like(x, -3.0), x)[0].item()
    close(name, answer, expected, rtol=1e-3,  # 38.1 (worked by hand) passes
          hint="A pixel with value 0 costs -log(1 - sigmoid(logit)) = log(1 + e^logit) nats; sum over 784 pixels.")


@exercise(6, 3)
def pixel_and_latent_mean_beta(name: str, answer) -> None:
    """Exercise 06.3: the beta implied by averaging the reconstruction over 784 pixels and the KL over 20 latents."""
    close(name, answer, 784 / 20, rtol=1e-6,
          hint="Write the loss as (reconstruction / 784) + (KL / 20) and multiply through by 784.")


@exercise(6, 4)
def informative_dimensions(name: str, answer, model: VAE, x: torch.Tensor) -> None:
    """Exercise 06.4: how many latent dimensions of ``model`` carry more than 0.1 nats of KL on average over ``x``."""
    expected = int((kl_per_dimension(*encode_all(model, x)).mean(0) > 0.1).sum())
    close(name, answer, expected, rtol=0, atol=0.5,
          hint="Compute the KL formula per dimension (do not sum over k), average over the images "
          "(a vector of one number per latent dimension), count the entries above 0.1.")
