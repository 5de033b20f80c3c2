"""A small convolutional VAE for 28x28 MNIST digits, with a choice of decoder likelihood (notebook 10).

The encoder is two stride-2 convolutions (28x28 -> 14x14 -> 7x7 feature maps) and two linear heads
for ``mu`` and ``log_sigma``; the decoder mirrors it: a linear layer back to 7x7 feature maps, then two
stride-2 transposed convolutions up to one output per pixel (kernel 4, padding 1: each doubles the
side exactly). This is the layout of many DCGAN-style VAEs, kept to four learned layers so that an
epoch on all 60,000 digits takes well under a minute on one CPU thread.

:class:`ConvVAE` subclasses :class:`vaelib.models.VAE` and keeps its interface: ``encode(x)`` takes
flattened images (n, 784) and returns ``(mu, log_sigma)``; ``decoder(z)`` maps z of any leading shape
(..., K) to the likelihood's parameters (..., 784 + extra); ``reconstruction_nll(params, x)`` is
-log p(x|z) in nats per image. So ``fit``, ``vaelib.evaluate``, the checkpoints and the registry of
shipped models take it unchanged. The likelihood (``vaelib.likelihoods``) is part of the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from . import likelihoods
from .data import IMAGE_SIDE, NUM_PIXELS
from .models import VAE
from .validation import check_model_dtype, check_positive_int, check_tensor

SIDE_AFTER_CONVS = IMAGE_SIDE // 4  # 28 -> 14 -> 7: two stride-2 convolutions


@dataclass(frozen=True)
class ConvConfig:
    """Sizes and likelihood of a :class:`ConvVAE`; change one with ``dataclasses.replace``."""

    input_dim: int = NUM_PIXELS  # pixels of a flattened image; the layers need 784 = 1 x 28 x 28
    latent_dim: int = 50  # K, the number of latent dimensions
    channels: tuple[int, int] = (16, 32)  # feature maps after the first and the second convolution
    likelihood: str = "bernoulli"  # p(x|z): one of vaelib.likelihoods.LIKELIHOODS
    decoder_sigma: float | None = None  # the fixed standard deviation of likelihood "gaussian" (None otherwise)

    def __post_init__(self):
        check_positive_int(self.input_dim, "input_dim")
        if self.input_dim != NUM_PIXELS:
            raise ValueError(f"ConvVAE works on 28 x 28 images: input_dim must be {NUM_PIXELS}, got {self.input_dim}")
        check_positive_int(self.latent_dim, "latent_dim")
        if not isinstance(self.channels, tuple) or len(self.channels) != 2:
            raise TypeError(f"channels must be a tuple of two ints, got {self.channels!r}")
        for width in self.channels:
            check_positive_int(width, "each channels entry")
        likelihoods.likelihood(self.likelihood, self.decoder_sigma)  # raises on an unknown name or a bad sigma

    @property
    def summary(self) -> str:
        """A short description for tables, e.g. ``conv 16-32, K = 50, bernoulli``."""
        sigma = f" (sigma = {self.decoder_sigma:.3g})" if self.decoder_sigma is not None else ""
        return f"conv {self.channels[0]}-{self.channels[1]}, K = {self.latent_dim}, {self.likelihood}{sigma}"


class ConvDecoder(nn.Module):
    """z (..., K) -> likelihood parameters (..., 784 + extra): linear to (c2, 7, 7), two transposed convolutions."""

    def __init__(self, latent_dim: int, channels: tuple[int, int], extra_outputs: int):
        super().__init__()
        c1, c2 = channels
        self.fc = nn.Linear(latent_dim, c2 * SIDE_AFTER_CONVS**2)
        self.deconv = nn.Sequential(
            nn.ReLU(),
            nn.Unflatten(1, (c2, SIDE_AFTER_CONVS, SIDE_AFTER_CONVS)),  # (m, c2, 7, 7)
            nn.ConvTranspose2d(c2, c1, kernel_size=4, stride=2, padding=1),  # (m, c1, 14, 14)
            nn.ReLU(),
            nn.ConvTranspose2d(c1, 1, kernel_size=4, stride=2, padding=1),  # (m, 1, 28, 28): one logit per pixel
            nn.Flatten(),  # (m, 784)
        )
        # a learned per-image log sigma ("gaussian-learned") is read off the same 7x7 features
        self.fc_log_sigma = nn.Linear(c2 * SIDE_AFTER_CONVS**2, extra_outputs) if extra_outputs else None

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        lead = z.shape[:-1]  # e.g. (batch,) or (k samples, batch)
        h = self.fc(z.reshape(-1, z.shape[-1]))  # (m, c2 * 49), m = product of the leading sizes
        out = self.deconv(h)  # (m, 784)
        if self.fc_log_sigma is not None:
            out = torch.cat([out, self.fc_log_sigma(torch.relu(h))], dim=-1)  # (m, 785)
        return out.reshape(*lead, out.shape[-1])


class ConvVAE(VAE):
    """VAE with a convolutional encoder and decoder and a configurable likelihood p(x|z)."""

    config_class = ConvConfig
    conditional = False

    def __init__(self, config: ConvConfig = ConvConfig(), seed: int = 0):
        nn.Module.__init__(self)  # not VAE.__init__, which would build the MLP layers
        self.config = config
        self.likelihood = likelihoods.likelihood(config.likelihood, config.decoder_sigma)
        c1, c2 = config.channels
        features = c2 * SIDE_AFTER_CONVS**2
        with torch.random.fork_rng(devices=[]):  # seeded weights, caller's RNG untouched
            torch.manual_seed(seed)
            self.encoder = nn.Sequential(
                nn.Unflatten(-1, (1, IMAGE_SIDE, IMAGE_SIDE)),  # (n, 784) -> (n, 1, 28, 28)
                nn.Conv2d(1, c1, kernel_size=4, stride=2, padding=1),  # (n, c1, 14, 14)
                nn.ReLU(),
                nn.Conv2d(c1, c2, kernel_size=4, stride=2, padding=1),  # (n, c2, 7, 7)
                nn.ReLU(),
                nn.Flatten(),  # (n, c2 * 49)
            )
            self.fc_mu = nn.Linear(features, config.latent_dim)
            self.fc_log_sigma = nn.Linear(features, config.latent_dim)
            self.decoder = ConvDecoder(config.latent_dim, config.channels, self.likelihood.extra_outputs)
        # The same numbers up to float32 rounding, but CPU convolutions on (n, h, w, c)-ordered data are
        # faster: a training step about 1.36 times (benchmarks/conv_layout.py). Loading weights keeps it.
        self.to(memory_format=torch.channels_last)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, 784) -> (mu, log_sigma), each (batch, latent_dim)."""
        check_tensor(x, "x", ndim=2, last_dim=self.config.input_dim)
        check_model_dtype(x, "x", self)
        h = self.encoder(x)  # (batch, c2 * 49)
        return self.fc_mu(h), self.fc_log_sigma(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(batch, latent_dim) -> the likelihood's parameters (batch, 784 + extra)."""
        check_tensor(z, "z", ndim=2, last_dim=self.config.latent_dim)
        check_model_dtype(z, "z", self)
        return self.decoder(z)

    def reconstruction_nll(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) in nats per image under this model's likelihood; (..., d + extra) against (n, d) -> (..., n)."""
        return self.likelihood.nll(params, x)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        """E[x|z] from the decoder's parameters, (..., 784): for a continuous Bernoulli this is not sigmoid(logits)."""
        return self.likelihood.mean(params)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, *, mean: bool = False) -> torch.Tensor:
        """``n`` images from the model: z ~ N(0, I), then x ~ p(x|z) (real draws), or E[x|z] with ``mean=True``."""
        check_positive_int(n, "n")
        z = torch.randn(n, self.config.latent_dim, generator=generator)
        params = self.decoder(z)
        return self.likelihood.mean(params) if mean else self.likelihood.sample(params, generator)
