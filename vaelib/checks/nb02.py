"""Exercise checks of notebook 02 (the KL divergence): a coin, an encoder's KL, uniform distributions."""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import entropy
from torch.distributions import Normal, kl_divergence

from .core import close, exercise, swapped_hint


@exercise(2, 1)
def coin_kl(name: str, answer) -> None:
    """Exercise 02.1: [KL(p || q), KL(q || p)] in nats for p = (0.9, 0.1) and q = (0.5, 0.5)."""
    p, q = [0.9, 0.1], [0.5, 0.5]
    expected = np.array([entropy(p, q), entropy(q, p)])
    hint = swapped_hint(answer, expected, "Sum p_i log(p_i / q_i) with natural logs, then swap the roles of p and q.",
                        "KL(p || q)", "KL(q || p)")
    close(name, answer, expected, rtol=1e-3, hint=hint)


@exercise(2, 2)
def encoder_kl(name: str, answer) -> None:
    """Exercise 02.2: KL(N(mu, diag sigma^2) || N(0, I)) in nats for mu = (1, -2), log_sigma = (0, -1)."""
    mu, log_sigma = torch.tensor([1.0, -2.0], dtype=torch.float64), torch.tensor([0.0, -1.0], dtype=torch.float64)
    expected = kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).sum().item()
    close(name, answer, expected, rtol=1e-3,
          hint="Use 1/2 (mu^2 + sigma^2 - 2 log sigma - 1) for each dimension and add the two dimensions.")


@exercise(2, 3)
def uniform_kl(name: str, answer) -> None:
    """Exercise 02.3: [KL(U(0, 1) || U(0, 2)), KL(U(0, 2) || U(0, 1))] in nats (math.inf allowed)."""
    forward = np.log(1.0 / 0.5)  # the integral over [0, 1] of p log(p / q) with p = 1 and q = 1/2
    # q = U(0, 2) puts mass 1/2 on (1, 2], where U(0, 1) has density 0: log(q / 0) there is infinite
    close(name, answer, [forward, np.inf], rtol=1e-3,
          hint="Integrate p log(p / q) over where p > 0; what happens where p > 0 but q = 0?")
