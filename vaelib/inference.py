"""How good is the encoder? Fitting q(z|x) to one image at a time, and the two gaps of Cremer et al.

An encoder is *amortized*: one network outputs q(z|x) = N(mu(x), diag sigma(x)^2) for every image.
For a single image we can do better by optimizing that image's own mu and log sigma directly, by
gradient ascent on its ELBO with the decoder held fixed (:func:`fit_posterior`, started from the
encoder's output). That splits the distance between log p(x) and the encoder's ELBO into two parts
(Cremer, Li & Duvenaud 2018, "Inference suboptimality in variational autoencoders"):

    log p(x) - ELBO(q_encoder)  =  [log p(x) - ELBO(q*)]  +  [ELBO(q*) - ELBO(q_encoder)]
                                       approximation gap       amortization gap

The approximation gap is what a diagonal Gaussian cannot express at all; the amortization gap is what
this encoder gives away by sharing one network across all images. :func:`gaps` measures both, with
log p(x) estimated by the importance-weighted bound L_k (notebook 08).

Units: nats per image.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .evaluate import LatentModel, importance_weighted_bound, latent_model
from .losses import kl_to_standard_normal
from .models import VAE
from .validation import check_images, check_positive_int


def elbo_of(
    model,
    x: torch.Tensor,
    mu: torch.Tensor,
    log_sigma: torch.Tensor,
    num_samples: int,
    generator: torch.Generator | None = None,
    sample_chunk: int | None = None,
) -> torch.Tensor:
    """The ELBO of every row of ``x`` for the given q = N(mu, diag exp(log_sigma)^2), in nats, (n,).

    The reconstruction term averages ``num_samples`` reparameterized samples; the KL is exact.
    Differentiable in mu and log_sigma (and the model's parameters). ``sample_chunk`` decodes that many
    samples at a time (the same noise, drawn at once): memory then grows with the chunk, not with
    ``num_samples``.
    """
    eps = torch.randn((num_samples, *mu.shape), generator=generator, dtype=mu.dtype)
    sigma = torch.exp(log_sigma)
    log_px_given_z = torch.cat(
        [-model.reconstruction_nll(model.decoder(mu + sigma * e), x) for e in eps.split(sample_chunk or num_samples)]
    )  # (S, n)
    return log_px_given_z.mean(dim=0) - kl_to_standard_normal(mu, log_sigma)


def fit_posterior(
    model: VAE,
    x: torch.Tensor,
    steps: int = 300,
    lr: float = 0.05,
    num_samples: int = 16,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each image's own q(z|x): mu and log sigma optimized by Adam on the image's ELBO, decoder fixed.

    Starts from the encoder's output, with a step size decaying linearly from ``lr`` to zero; returns the
    optimized (mu, log_sigma), each (n, K). The images are
    independent (the loss is a sum over them), so one batch optimizes all of them at once.
    """
    if not isinstance(model, VAE) or model.conditional:
        raise TypeError(f"fit_posterior takes an unconditional vaelib VAE, got {type(model).__name__}")
    check_images(x, "x", last_dim=model.config.input_dim, unit_interval=False)  # the likelihood checks its range
    check_positive_int(steps, "steps")
    check_positive_int(num_samples, "num_samples")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    x = x.float() / 255 if x.dtype == torch.uint8 else x
    with torch.no_grad():
        start_mu, start_log_sigma = model.encode(x)
    mu, log_sigma = start_mu.clone().requires_grad_(True), start_log_sigma.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([mu, log_sigma], lr=lr)
    # the gradient is a Monte Carlo estimate: a step size decaying linearly to zero lets the iterates
    # settle at the optimum instead of jittering around it
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    frozen = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)  # only q's parameters move
    try:
        for _ in range(steps):
            loss = -elbo_of(model, x, mu, log_sigma, num_samples, generator).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    finally:
        for p, flag in zip(model.parameters(), frozen, strict=True):
            p.requires_grad_(flag)
    return mu.detach(), log_sigma.detach()


@dataclass(frozen=True)
class Gaps:
    """Means over the images, in nats: log p(x) (estimated by L_k), two ELBOs, and the two gaps."""

    log_px: float  # L_k, a lower bound that approaches log p(x)
    elbo_encoder: float  # ELBO with the encoder's q(z|x)
    elbo_optimized: float  # ELBO with each image's optimized q*(z|x)
    approximation_gap: float  # log p(x) - ELBO(q*): what a diagonal Gaussian cannot express
    amortization_gap: float  # ELBO(q*) - ELBO(q_encoder): what sharing one encoder costs


@torch.no_grad()
def gaps(
    model: VAE,
    x: torch.Tensor,
    k: int = 5000,
    steps: int = 300,
    lr: float = 0.05,
    eval_samples: int = 1000,
    seed: int = 0,
) -> Gaps:
    """Measure the approximation and amortization gaps on the rows of ``x`` (binarized images).

    The ELBOs are estimated with ``eval_samples`` samples each (the same noise for both), log p(x) with the
    importance-weighted bound L_k (the larger of the bounds with the encoder and with q* as proposal; all
    rows go through in one batch, so keep ``x`` to a few hundred images); all randomness comes from
    generators seeded with ``seed``.
    """
    check_positive_int(eval_samples, "eval_samples")
    x = x.float() / 255 if x.dtype == torch.uint8 else x
    with torch.enable_grad():
        mu_star, log_sigma_star = fit_posterior(model, x, steps, lr, generator=torch.Generator().manual_seed(seed))
    mu, log_sigma = model.encode(x)
    elbo_encoder = (
        elbo_of(model, x, mu, log_sigma, eval_samples, torch.Generator().manual_seed(seed + 1), sample_chunk=100)
        .mean()
        .item()
    )
    elbo_optimized = (
        elbo_of(
            model, x, mu_star, log_sigma_star, eval_samples, torch.Generator().manual_seed(seed + 1), sample_chunk=100
        )
        .mean()
        .item()
    )
    # two lower bounds on log p(x): L_k with the encoder as proposal and L_k with q*; the larger mean is the
    # tighter one (a poor encoder is a poor proposal, and its L_k alone would understate log p(x)). Chosen
    # on the mean, not per image: a per-image maximum picks the lucky draws and overshoots log p(x)
    decoder_only = latent_model(model).log_px_given_z
    bounds = [
        importance_weighted_bound(
            LatentModel(encode=encode, log_px_given_z=decoder_only),
            x,
            k,
            torch.Generator().manual_seed(seed + 2),
            batch_size=len(x),
        )
        for encode in (model.encode, lambda _: (mu_star, log_sigma_star))
    ]
    log_px = max(bound.mean().item() for bound in bounds)
    return Gaps(
        log_px=log_px,
        elbo_encoder=elbo_encoder,
        elbo_optimized=elbo_optimized,
        approximation_gap=log_px - elbo_optimized,
        amortization_gap=elbo_optimized - elbo_encoder,
    )
