"""Training objectives beyond the plain ELBO (notebook 09): KL warm-up, free bits, the IWAE bound, and a
learning-rate schedule. ``vaelib.fit`` uses them through the fields of ``TrainConfig``.

- **KL warm-up** (Bowman et al. 2016; Sønderby et al. 2016): the weight of the KL term rises linearly
  from 0 to its final value over the first ``warmup_steps`` gradient steps, so that the decoder learns
  to use z before the KL term pushes q(z|x) onto the prior.
- **Free bits** (Kingma et al. 2016, "Improved variational inference with inverse autoregressive
  flow", eq. 15, one group per latent dimension): the KL term becomes sum_j max(lambda, KL_j), with
  KL_j the KL of dimension j averaged over the batch. A dimension that carries less than lambda nats
  gets no push towards the prior; with lambda = 0 it is the plain KL.
- **The IWAE bound** (Burda, Grosse & Salakhutdinov 2015): L_k(x) = log (1/k) sum_i p(x, z_i) / q(z_i|x)
  with k reparameterized samples z_i; L_1 is the ELBO (with the KL estimated from the sample), and
  L_k rises towards log p(x) as k grows. Training on -L_k gives the encoder a looser job.
- **The k-sample ELBO** (Burda et al.'s "VAE" rows with k > 1): the ELBO's reconstruction term averaged
  over k samples per image. Same bound as with one sample, less gradient noise, k times the decoder's
  work: the control that separates what IWAE's objective buys from what its k samples buy.

Units: nats per example, summed over pixels and latent dimensions, averaged over the batch.
"""

from __future__ import annotations

import math

import torch

from .losses import LOG_2PI, ELBOTerms, kl_per_dimension, kl_to_standard_normal


def kl_weight(step: int, beta: float, warmup_steps: int) -> float:
    """The KL term's weight at gradient step ``step`` (0-based): ``beta * min(1, step / warmup_steps)``.

    ``warmup_steps = 0`` means no warm-up: ``beta`` from the first step.
    """
    if step < 0 or warmup_steps < 0:
        raise ValueError(f"step and warmup_steps must be >= 0, got {step} and {warmup_steps}")
    return beta if warmup_steps == 0 else beta * min(1.0, step / warmup_steps)


def free_bits_kl(mu: torch.Tensor, log_sigma: torch.Tensor, free_bits: float) -> torch.Tensor:
    """sum_j max(free_bits, KL_j) in nats per example, KL_j the batch mean of dimension j's KL; a scalar."""
    if not (free_bits >= 0 and math.isfinite(free_bits)):
        raise ValueError(f"free_bits must be a finite number >= 0, got {free_bits}")
    return kl_per_dimension(mu, log_sigma).mean(dim=0).clamp(min=free_bits).sum()


def log_importance_weights(model, x: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x) at z_i = mu + sigma * eps_i, for eps (k, n, K).

    Returns (log_w, log_px_given_z), each (k, n). Differentiable: gradients reach the encoder through
    mu and sigma, and the decoder through log p(x|z).
    """
    mu, log_sigma = model.encode(x)  # (n, K) each
    z = mu + torch.exp(log_sigma) * eps  # (k, n, K)
    log_px_given_z = -model.reconstruction_nll(model.decoder(z), x)  # (k, n)
    log_pz = -0.5 * (z.square() + LOG_2PI).sum(-1)
    log_qz = -0.5 * (eps.square() + LOG_2PI).sum(-1) - log_sigma.sum(-1)  # (z - mu) / sigma = eps
    return log_px_given_z + log_pz - log_qz, log_px_given_z


def iwae_terms(model, x: torch.Tensor, k: int, generator: torch.Generator | None = None) -> ELBOTerms:
    """-L_k(x) averaged over the batch (``total``), with the average over the k samples of the
    reconstruction -log p(x|z_i) and of the sampled KL log q(z_i|x) - log p(z_i) for the record."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    mu_shape = (x.shape[0], model.config.latent_dim)
    eps = torch.randn((k, *mu_shape), generator=generator, dtype=x.dtype)
    log_w, log_px_given_z = log_importance_weights(model, x, eps)
    bound = torch.logsumexp(log_w, dim=0) - math.log(k)  # (n,) L_k per example
    reconstruction = -log_px_given_z.mean()
    return ELBOTerms(reconstruction=reconstruction, kl=-log_w.mean() - reconstruction, total=-bound.mean())


def multi_sample_terms(
    model, x: torch.Tensor, k: int, beta: float, generator: torch.Generator | None, free_bits: float = 0.0
) -> ELBOTerms:
    """The negative ELBO with its reconstruction term averaged over k reparameterized samples per
    example (the KL analytic, optionally with free bits), in nats per example averaged over the batch."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    if model.conditional:
        raise ValueError("elbo_samples > 1 is written for unconditional models only")
    mu, log_sigma = model.encode(x)  # (n, K) each
    eps = torch.randn((k, *mu.shape), generator=generator, dtype=x.dtype)
    reconstruction = model.reconstruction_nll(model.decoder(mu + torch.exp(log_sigma) * eps), x).mean()
    kl = free_bits_kl(mu, log_sigma, free_bits) if free_bits else kl_to_standard_normal(mu, log_sigma).mean()
    return ELBOTerms(reconstruction=reconstruction, kl=kl, total=reconstruction + beta * kl)


def lr_factor(step: int, total_steps: int, schedule: str, warmup_steps: int) -> float:
    """Multiplier of the learning rate at step ``step``: a linear warm-up over ``warmup_steps``, then
    constant (``"constant"``) or a half cosine down to 0 at ``total_steps`` (``"cosine"``)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    raise ValueError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")
