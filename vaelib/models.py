"""A plain autoencoder and a variational autoencoder, both small MLPs for flattened MNIST.

The VAE follows Kingma & Welling (2013), "Auto-Encoding Variational Bayes", appendix C.2: a
Gaussian encoder q(z|x) = N(mu, diag(sigma^2)) and a Bernoulli decoder p(x|z). As in the seed
article, the encoder outputs ``log_sigma`` (log of the standard deviation), so any real number is a
valid output and sigma = exp(log_sigma) is always positive. Decoders return Bernoulli *logits*;
``torch.sigmoid(logits)`` gives pixel probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .data import NUM_PIXELS
from .losses import bernoulli_nll
from .validation import check_model_dtype, check_positive_int, check_tensor


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of an MLP autoencoder: input_dim -> hidden_dims -> latent_dim, and back."""

    input_dim: int = NUM_PIXELS  # pixels of a flattened 28x28 image
    hidden_dims: tuple[int, ...] = (400,)  # widths of the hidden layers of the encoder
    latent_dim: int = 20  # K, the number of latent dimensions

    def __post_init__(self):
        check_positive_int(self.input_dim, "input_dim")
        check_positive_int(self.latent_dim, "latent_dim")
        if not isinstance(self.hidden_dims, tuple):
            raise TypeError(f"hidden_dims must be a tuple of ints, got {type(self.hidden_dims).__name__}")
        for width in self.hidden_dims:
            check_positive_int(width, "each hidden_dims entry")


def _mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """Deterministic autoencoder: x -> z (a point) -> Bernoulli logits of x."""

    config_class = ModelConfig

    def __init__(self, config: ModelConfig = ModelConfig(), seed: int = 0):
        super().__init__()
        self.config = config
        with torch.random.fork_rng(devices=[]):  # seeded weights, caller's RNG untouched
            torch.manual_seed(seed)
            sizes = [config.input_dim, *config.hidden_dims, config.latent_dim]
            self.encoder = _mlp(sizes)
            self.decoder = _mlp(sizes[::-1])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, input_dim) -> z of shape (batch, latent_dim)."""
        check_tensor(x, "x", ndim=2, last_dim=self.config.input_dim)
        check_model_dtype(x, "x", self)
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(batch, latent_dim) -> logits of shape (batch, input_dim)."""
        check_tensor(z, "z", ndim=2, last_dim=self.config.latent_dim)
        check_model_dtype(z, "z", self)
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction logits of ``x``."""
        return self.decoder(self.encode(x))


class VAE(nn.Module):
    """Variational autoencoder with a diagonal-Gaussian encoder and a Bernoulli decoder.

    The interface every VAE of the course shares (``fit`` and ``vaelib.evaluate`` rely on it):
    ``encode(x) -> (mu, log_sigma)``, ``decoder(z)`` / ``decode(z)`` -> the likelihood's parameters,
    ``reconstruction_nll(parameters, x)`` -> -log p(x|z), and ``conditional`` (whether encode and
    decode also take the digit label).
    """

    config_class = ModelConfig
    conditional = False

    def __init__(self, config: ModelConfig = ModelConfig(), seed: int = 0):
        super().__init__()
        self.config = config
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            hidden = [config.input_dim, *config.hidden_dims]
            body = _mlp(hidden)
            # a ReLU after the last hidden layer, then two heads
            self.encoder = nn.Sequential(*body, nn.ReLU()) if config.hidden_dims else nn.Identity()
            width = hidden[-1]
            self.fc_mu = nn.Linear(width, config.latent_dim)
            self.fc_log_sigma = nn.Linear(width, config.latent_dim)
            self.decoder = _mlp([config.latent_dim, *config.hidden_dims[::-1], config.input_dim])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, input_dim) -> (mu, log_sigma), each (batch, latent_dim)."""
        check_tensor(x, "x", ndim=2, last_dim=self.config.input_dim)
        check_model_dtype(x, "x", self)
        h = self.encoder(x)  # (batch, hidden)
        return self.fc_mu(h), self.fc_log_sigma(h)

    @staticmethod
    def reparameterize(
        mu: torch.Tensor, log_sigma: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """z = mu + sigma * eps with eps ~ N(0, I): a sample of q(z|x) that gradients flow through."""
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
        return mu + torch.exp(log_sigma) * eps

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(batch, latent_dim) -> Bernoulli logits (batch, input_dim)."""
        check_tensor(z, "z", ndim=2, last_dim=self.config.latent_dim)
        check_model_dtype(z, "z", self)
        return self.decoder(z)

    def forward(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return (logits, mu, log_sigma) for one reparameterized sample z per input."""
        mu, log_sigma = self.encode(x)
        z = self.reparameterize(mu, log_sigma, generator)  # (batch, latent_dim)
        return self.decoder(z), mu, log_sigma

    @staticmethod
    def reconstruction_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) in nats, summed over pixels, for independent Bernoulli pixels with these logits.

        ``logits`` of shape (..., d) broadcast against ``x`` (n, d), e.g. k samples (k, n, d) -> (k, n).
        """
        if logits.shape == x.shape:
            return bernoulli_nll(logits, x)  # the fused kernel, with its input checks
        return F.softplus(logits).sum(-1) - torch.einsum("...d,...d->...", logits, x)  # no (k, n, d) product kept

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, *, mean: bool = False) -> torch.Tensor:
        """Generate ``n`` images: z ~ N(0, I) from the prior, then x ~ p(x|z), shape (n, input_dim).

        By default each pixel is a real Bernoulli draw, 0 or 1: what the model actually generates.
        With ``mean=True`` it returns the decoder's pixel probabilities E[x|z] instead, the smooth
        images most figures show; averaging over the coin flips is the main source of their blur.
        """
        check_positive_int(n, "n")
        z = torch.randn(n, self.config.latent_dim, generator=generator)
        probabilities = torch.sigmoid(self.decoder(z))
        return probabilities if mean else torch.bernoulli(probabilities, generator=generator)
