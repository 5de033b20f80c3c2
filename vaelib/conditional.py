"""A conditional VAE: an encoder q(z|x, y) and a decoder p(x|z, y) that are both told the digit label y.

Follows Sohn, Lee & Yan (2015), "Learning Structured Output Representation using Deep Conditional
Generative Models" (the CVAE), in the form of Kingma, Rezende, Mohamed & Welling (2014), "Semi-Supervised
Learning with Deep Generative Models", model M2 with every label observed: the generative story is
y given, z ~ p(z) = N(0, I) independent of y, x ~ p(x|z, y). Conditioning every density of the ELBO on y
gives the bound the model trains on (derived in notebook 11):

    log p(x|y) >= E_{q(z|x,y)}[log p(x|z, y)] - KL(q(z|x, y) || p(z)).

The label enters each network as a one-hot vector appended to its input: x (784) plus y (10) into the
encoder, z (K) plus y (10) into the decoder. Everything else is the :class:`~vaelib.models.VAE`: a
Gaussian encoder with ``mu`` and ``log_sigma`` heads, Bernoulli logits out, the same loss and the same
``fit``, which passes the labels because ``conditional = True``. Inside: :class:`ConditionalConfig`,
:class:`ConditionalVAE`, :func:`encode_all` / :func:`decode` / :func:`every_label` for many images at
once, and :func:`slant`, a measure of one part of a digit's style (how far it leans).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .data import IMAGE_SIDE, NUM_PIXELS, as_images, iterate_batches
from .models import VAE, _mlp
from .validation import check_images, check_model_dtype, check_positive_int, check_tensor


@dataclass(frozen=True)
class ConditionalConfig:
    """Sizes of a conditional VAE: (input_dim + num_classes) -> hidden_dims -> latent_dim, and back."""

    input_dim: int = NUM_PIXELS  # pixels of a flattened 28x28 image
    hidden_dims: tuple[int, ...] = (400,)  # widths of the encoder's hidden layers (the decoder mirrors them)
    latent_dim: int = 2  # K, the number of latent dimensions
    num_classes: int = 10  # length of the one-hot label: the ten digits

    def __post_init__(self):
        check_positive_int(self.input_dim, "input_dim")
        check_positive_int(self.latent_dim, "latent_dim")
        check_positive_int(self.num_classes, "num_classes")
        if not isinstance(self.hidden_dims, tuple):
            raise TypeError(f"hidden_dims must be a tuple of ints, got {type(self.hidden_dims).__name__}")
        for width in self.hidden_dims:
            check_positive_int(width, "each hidden_dims entry")


class ConditionalVAE(VAE):
    """A VAE whose encoder and decoder both take the one-hot digit label: q(z|x, y), p(x|z, y)."""

    config_class = ConditionalConfig
    conditional = True  # fit and evaluate_loss pass the labels: encode(x, y), forward(x, y, generator)

    def __init__(self, config: ConditionalConfig = ConditionalConfig(), seed: int = 0):
        nn.Module.__init__(self)  # not VAE.__init__: the input widths differ by num_classes
        self.config = config
        with torch.random.fork_rng(devices=[]):  # seeded weights, caller's RNG untouched
            torch.manual_seed(seed)
            hidden = [config.input_dim + config.num_classes, *config.hidden_dims]
            body = _mlp(hidden)
            self.encoder = nn.Sequential(*body, nn.ReLU()) if config.hidden_dims else nn.Identity()
            self.fc_mu = nn.Linear(hidden[-1], config.latent_dim)
            self.fc_log_sigma = nn.Linear(hidden[-1], config.latent_dim)
            self.decoder = _mlp([config.latent_dim + config.num_classes, *config.hidden_dims[::-1], config.input_dim])

    def one_hot(self, y: torch.Tensor, batch: int) -> torch.Tensor:
        """Labels (batch,) int64 in 0..num_classes-1 -> one-hot rows (batch, num_classes) in the weights' dtype."""
        if not torch.is_tensor(y) or y.dtype != torch.int64 or y.shape != (batch,):
            raise ValueError(
                f"y must be an int64 tensor of shape ({batch},), one label per row, got "
                f"{getattr(y, 'dtype', type(y).__name__)} {tuple(getattr(y, 'shape', ()))}"
            )
        if batch and not (int(y.min()) >= 0 and int(y.max()) < self.config.num_classes):
            raise ValueError(f"labels must lie in 0..{self.config.num_classes - 1}, got {int(y.min())}..{int(y.max())}")
        return F.one_hot(y, self.config.num_classes).to(self.fc_mu.weight.dtype)

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, input_dim) images and (batch,) labels -> (mu, log_sigma) of q(z|x, y), each (batch, latent_dim)."""
        check_tensor(x, "x", ndim=2, last_dim=self.config.input_dim)
        check_model_dtype(x, "x", self)
        h = self.encoder(torch.cat([x, self.one_hot(y, x.shape[0])], dim=1))  # (batch, hidden)
        return self.fc_mu(h), self.fc_log_sigma(h)

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(batch, latent_dim) codes and (batch,) labels -> Bernoulli logits of p(x|z, y), (batch, input_dim)."""
        check_tensor(z, "z", ndim=2, last_dim=self.config.latent_dim)
        check_model_dtype(z, "z", self)
        return self.decoder(torch.cat([z, self.one_hot(y, z.shape[0])], dim=1))

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return (logits, mu, log_sigma) for one reparameterized sample z ~ q(z|x, y) per input."""
        mu, log_sigma = self.encode(x, y)
        z = self.reparameterize(mu, log_sigma, generator)  # (batch, latent_dim)
        return self.decode(z, y), mu, log_sigma

    @torch.no_grad()
    def sample(self, y: torch.Tensor, generator: torch.Generator | None = None, *, mean: bool = False) -> torch.Tensor:
        """Generate one image per label in ``y``: z ~ N(0, I), then x ~ p(x|z, y); shape (len(y), input_dim).

        As :meth:`VAE.sample`: Bernoulli draws (0 or 1) by default, the pixel probabilities with ``mean=True``.
        """
        if not torch.is_tensor(y) or y.dim() != 1:
            raise ValueError(f"y must be a 1-D int64 tensor of labels, got {getattr(y, 'shape', type(y).__name__)}")
        z = torch.randn(len(y), self.config.latent_dim, generator=generator, dtype=self.fc_mu.weight.dtype)
        probabilities = torch.sigmoid(self.decode(z, y))
        return probabilities if mean else torch.bernoulli(probabilities, generator=generator)


@torch.no_grad()
def encode_all(
    model: ConditionalVAE, x: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000
) -> tuple[torch.Tensor, torch.Tensor]:
    """(mu, log_sigma) of q(z|x, y) for every row of ``x`` (images or uint8 pixels) with its label, batch by batch."""
    if not isinstance(model, ConditionalVAE):
        raise TypeError(f"encode_all takes a ConditionalVAE, got {type(model).__name__}")
    check_images(x, "x", last_dim=model.config.input_dim)
    check_positive_int(batch_size, "batch_size")
    if not torch.is_tensor(labels) or labels.shape != (x.shape[0],):
        raise ValueError(f"labels must be a tensor of shape ({x.shape[0]},), one per image")
    rows = torch.arange(x.shape[0])
    pairs = [
        model.encode(as_images(x[batch]), labels[batch]) for batch in iterate_batches(rows, batch_size, shuffle=False)
    ]
    return torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])


@torch.no_grad()
def decode(model: ConditionalVAE, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Pixel probabilities (n, input_dim) of p(x|z, y) for codes z (n, latent_dim) and labels (n,)."""
    return torch.sigmoid(model.decode(z, labels))


@torch.no_grad()
def every_label(model: ConditionalVAE, z: torch.Tensor) -> torch.Tensor:
    """Decode each code of ``z`` (n, latent_dim) with every label: pixel probabilities (n, num_classes, input_dim).

    Row i holds one z, its "style", drawn as each digit in turn (the figure of notebook 11).
    """
    check_tensor(z, "z", ndim=2, last_dim=model.config.latent_dim)
    n, c = z.shape[0], model.config.num_classes
    labels = torch.arange(c).repeat(n)  # 0..c-1 for the first z, then again for the next
    return decode(model, z.repeat_interleave(c, dim=0), labels).reshape(n, c, -1)


def slant(images: torch.Tensor) -> torch.Tensor:
    """How far each digit leans, from its ink's second moments: -Cov(column, row) / Var(row), (n,).

    ``images`` (n, 784) hold ink intensities (pixel probabilities or grey levels), used as weights over the
    28 x 28 grid; rows count downwards. The value is the sideways shift of the ink per row of height:
    0 for an upright stroke, positive when the top leans right (/), negative when it leans left (\\).
    """
    check_tensor(images, "images", ndim=2, last_dim=IMAGE_SIDE * IMAGE_SIDE)
    ink = images.double().reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    weights = ink / ink.sum(dim=(1, 2), keepdim=True)  # (n, 28, 28), each sums to 1
    row = torch.arange(IMAGE_SIDE, dtype=torch.float64)[:, None]  # (28, 1): down the image
    col = torch.arange(IMAGE_SIDE, dtype=torch.float64)[None, :]  # (1, 28): across it
    row_c = row - (weights * row).sum(dim=(1, 2), keepdim=True)  # centred, (n, 28, 1)
    col_c = col - (weights * col).sum(dim=(1, 2), keepdim=True)  # (n, 1, 28)
    return -(weights * row_c * col_c).sum(dim=(1, 2)) / (weights * row_c**2).sum(dim=(1, 2))
