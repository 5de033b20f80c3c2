"""Exercise checks of notebook 06 (training a VAE): the loss and a training step written by hand, units, dimensions, generation."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..evaluate import encode_all
from ..losses import bernoulli_nll, kl_per_dimension
from ..losses import negative_elbo as reference_negative_elbo
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
        mistake = diagnose(
            got,
            {
                "the KL term has the wrong sign: it is added, 1/2 (mu^2 + sigma^2 - log sigma^2 - 1) summed over k, "
                "and it is never negative": (rec - kl).mean(),
                "the reconstruction is averaged over the 784 pixels instead of summed (that weighs the KL 784 times "
                "more, a beta-VAE with beta = 784)": (rec / 784 + kl).mean(),
                "sigma appears where sigma^2 belongs: sigma^2 = exp(2 log_sigma), not exp(log_sigma)": (
                    rec + 0.5 * (mu.square() + torch.exp(log_sigma) - 2 * log_sigma - 1).sum(1)
                ).mean(),
                "log sigma appears where log sigma^2 = 2 log_sigma belongs": (
                    rec + 0.5 * (mu.square() + torch.exp(2 * log_sigma) - log_sigma - 1).sum(1)
                ).mean(),
                "the KL term lacks its factor 1/2": (rec + 2 * kl).mean(),
                "the KL is averaged over the latent dimensions instead of summed": (rec + kl / 20).mean(),
                "the result is summed over the batch instead of averaged (nats per batch, not per image)": (
                    rec + kl
                ).sum(),
                "the KL term is missing": rec.mean(),
                "the reconstruction term is missing": kl.mean(),
                "the logits went through a sigmoid before binary_cross_entropy_with_logits, which applies its own": (
                    F.binary_cross_entropy_with_logits(torch.sigmoid(logits), x, reduction="none").sum(1) + kl
                ).mean(),
            },
        )
        if mistake:
            fail(name, f"{mistake}.")
        close(
            name,
            got,
            reference_negative_elbo(logits, x, mu, log_sigma).total,
            rtol=1e-5,
            atol=1e-3,
            hint="Reconstruction: binary cross-entropy with logits, summed over the 784 pixels; KL: 1/2 (mu^2 + "
            "sigma^2 - 2 log sigma - 1) summed over the latent dimensions; then the mean over the batch.",
        )
    small = _total(call_learner(name, function, logits[:2], x[:2], mu[:2], log_sigma[:2]))
    if not is_close(
        small, reference_negative_elbo(logits[:2], x[:2], mu[:2], log_sigma[:2]).total, rtol=1e-5, atol=1e-3
    ):
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
    close(
        name,
        answer,
        expected,
        rtol=1e-3,  # 38.1 (worked by hand) passes
        hint="A pixel with value 0 costs -log(1 - sigmoid(logit)) = log(1 + e^logit) nats; sum over 784 pixels.",
    )


@exercise(6, 3)
def pixel_and_latent_mean_beta(name: str, answer) -> None:
    """Exercise 06.3: the beta implied by averaging the reconstruction over 784 pixels and the KL over 20 latents."""
    close(
        name,
        answer,
        784 / 20,
        rtol=1e-6,
        hint="Write the loss as (reconstruction / 784) + (KL / 20) and multiply through by 784.",
    )


@exercise(6, 4)
def informative_dimensions(name: str, answer, model: VAE, x: torch.Tensor) -> None:
    """Exercise 06.4: how many latent dimensions of ``model`` carry more than 0.1 nats of KL on average over ``x``."""
    expected = int((kl_per_dimension(*encode_all(model, x)).mean(0) > 0.1).sum())
    close(
        name,
        answer,
        expected,
        rtol=0,
        atol=0.5,
        hint="Compute the KL formula per dimension (do not sum over k), average over the images "
        "(a vector of one number per latent dimension), count the entries above 0.1.",
    )


@exercise(6, 5)
def gaussian_fit_share(
    name: str, answer, autoencoder, classifier, z_prior: torch.Tensor, train_pixels: torch.Tensor
) -> None:
    """Exercise 06.5: the share of decodings that the classifier recognizes (some digit at probability >= 0.9)
    when the autoencoder decodes mean + std * z for the draws ``z_prior``, with the mean and the standard
    deviation (per dimension) of its codes of the training images."""
    from ..classifier import probabilities
    from ..explorer import codes, decode

    try:
        got = float(answer)
    except (TypeError, ValueError):
        fail(name, f"expected a number (a fraction between 0 and 1), got {type(answer).__name__}")
    c = codes(autoencoder, train_pixels)
    share = lambda z: (probabilities(classifier, decode(autoencoder, z)).max(dim=1).values >= 0.9).float().mean().item()
    expected = share(c.mean(dim=0) + c.std(dim=0) * z_prior)
    if 1 < got <= 100 and abs(got / 100 - expected) < 0.02:
        fail(name, "that looks like a percentage: give the fraction (between 0 and 1).")
    if abs(got - share(z_prior)) < 0.005 and abs(got - expected) > 0.02:
        fail(
            name,
            "that is the share for the raw draws z: decode mean + std * z instead, with the mean and the "
            "standard deviation of the autoencoder's codes of the training images, per dimension.",
        )
    close(
        name,
        got,
        expected,
        rtol=0,
        atol=0.02,
        hint="codes = explorer.codes(ae, train.pixels); z = codes.mean(dim=0) + codes.std(dim=0) * z_prior; decode z "
        "with explorer.decode and count the images the classifier gives some digit at least 0.9.",
    )


@exercise(6, 6)
def training_step(name: str, function, model_class) -> None:
    """Exercise 06.6: a function (model, optimizer, x, eps) -> the batch's loss as a float, that takes one
    training step: the negative ELBO of the batch (nats per image, batch mean), then zero_grad, backward, step.

    Run twice on a small ``model_class(784, 16, 3)`` (the notebook's HandVAE) and compared with the same two
    steps done right; the usual mistakes are recognized from where the parameters end up."""

    def elbo_loss(model, x, eps):
        logits, mu, log_sigma = model(x, eps)
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
        return (rec + 0.5 * (mu.square() + torch.exp(2 * log_sigma) - 2 * log_sigma - 1).sum(1)).mean()

    def run(step):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = model_class(784, 16, 3)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        g = torch.Generator().manual_seed(0)
        x = torch.rand(8, 784, generator=g)
        losses = [step(model, optimizer, x, torch.randn(8, 3, generator=g)) for _ in range(2)]
        return losses, torch.cat([p.detach().flatten() for p in model.parameters()])

    def right(model, optimizer, x, eps, sign=1.0, zero=True, update=True):
        loss = elbo_loss(model, x, eps)
        if zero:
            optimizer.zero_grad()
        (sign * loss).backward()
        if update:
            optimizer.step()
        return loss.item()

    got_losses, got_params = run(lambda *a: call_learner(name, function, *a))
    if got_losses[0] is None:
        return not_attempted(name, NOT_WRITTEN)
    if not all(isinstance(v, float) for v in got_losses):
        fail(name, f"return the loss as a Python float (loss.item()), got {type(got_losses[0]).__name__}.")
    want_losses, want_params = run(right)
    if torch.allclose(got_params, want_params, rtol=1e-4, atol=1e-6):
        close(
            name,
            got_losses,
            want_losses,
            rtol=1e-4,
            atol=1e-4,
            report=False,
            hint="Return the loss computed before the step, the negative ELBO averaged over the batch.",
        )
        return correct(name, "two steps land exactly where they should")
    start = run(lambda *a: right(*a, update=False))[1]
    mistake = diagnose(
        got_params,
        {
            "the parameters did not move: call optimizer.step() after loss.backward()": start,
            "the gradient of the previous step was added to this one: call optimizer.zero_grad() before loss.backward()": run(
                lambda *a: right(*a, zero=False)
            )[1],
            "the parameters moved uphill: minimize the loss (backward on the negative ELBO, not on the ELBO)": run(
                lambda *a: right(*a, sign=-1.0)
            )[1],
        },
        rtol=1e-4,
        atol=1e-6,
    )
    fail(
        name,
        f"{mistake}." if mistake else "after two steps the parameters are not where two correct steps put them.",
        ""
        if mistake
        else "Compute the negative ELBO of the batch (as in section 2), then zero_grad(), backward(), step().",
    )
