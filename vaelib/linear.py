"""PCA, principal angles between subspaces, and a linear autoencoder trained on squared error.

A linear autoencoder x_hat = W_dec W_enc x with a K-dimensional code, trained to minimize the
squared reconstruction error of centred data, spans the same subspace as the top K principal
components: its global minima are exactly the projections onto that subspace and it has no other
local minima (Baldi & Hornik, 1989, "Neural networks and principal component analysis"; Bourlard &
Kamp, 1988). The code itself is any invertible mix of the principal components, so we compare
*subspaces*, with principal angles (Björck & Golub, 1973), not individual vectors.

Units: squared error is summed over pixels and averaged over images ("per image").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .data import as_images, iterate_batches
from .training import TrainConfig, torch_threads
from .validation import check_images, check_positive_int, check_tensor

_CHUNK = 2048  # rows per chunk when a whole data set is scanned (keeps temporaries to a few MB)


def _check_in_chunks(x, name: str, last_dim: int | None = None) -> None:
    """check_images, chunk by chunk: checking 60,000 float images at once costs ~300 MB of temporaries."""
    if not torch.is_tensor(x) or x.dim() != 2 or len(x) == 0:
        check_images(x, name, last_dim=last_dim, unit_interval=False)  # raises the usual message
        raise ValueError(f"{name} must hold at least one row")
    for chunk in x.split(_CHUNK):
        check_images(chunk, name, last_dim=last_dim, unit_interval=False)


@dataclass(frozen=True)
class PCA:
    """The top principal components of a data matrix."""

    mean: torch.Tensor  # (input_dim,) the data mean that was subtracted
    components: torch.Tensor  # (k, input_dim) orthonormal rows, largest variance first
    variances: torch.Tensor  # (k,) variance of the data along each component
    total_variance: float  # sum of the variances along all input dimensions

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Coordinates of ``x`` (n, input_dim) along the components: (n, k)."""
        return (x - self.mean) @ self.components.T

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Points of the principal subspace with coordinates ``z`` (n, k): (n, input_dim)."""
        return z @ self.components + self.mean

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Orthogonal projection of ``x`` onto the affine principal subspace."""
        return self.decode(self.encode(x))


def pca(x: torch.Tensor, k: int) -> PCA:
    """Principal component analysis of the rows of ``x`` (n, input_dim), keeping ``k`` components.

    The covariance (divided by n) is accumulated chunk by chunk in float32 for MNIST (uint8 pixels are
    converted a chunk at a time: fast, relative error ~1e-6, and no float or centred copy of the whole
    data set in memory), then eigen-decomposed in float64.
    """
    _check_in_chunks(x, "x")
    check_positive_int(k, "k")
    if k > x.shape[1]:
        raise ValueError(f"k must be at most input_dim = {x.shape[1]}, got {k}")
    dtype = as_images(x[:1]).dtype  # the data's float dtype (float32 for uint8 pixels)
    mean = (sum(as_images(chunk).double().sum(dim=0) for chunk in x.split(_CHUNK)) / x.shape[0]).to(dtype)
    covariance = torch.zeros(x.shape[1], x.shape[1], dtype=torch.float64)
    for chunk in x.split(_CHUNK):
        centred = as_images(chunk) - mean  # (<= _CHUNK, input_dim)
        covariance += (centred.T @ centred).double()
    covariance /= x.shape[0]  # (input_dim, input_dim)
    eigenvalues, eigenvectors = torch.linalg.eigh(covariance)  # ascending
    order = torch.argsort(eigenvalues, descending=True)[:k]
    return PCA(
        mean=mean,
        components=eigenvectors[:, order].T.contiguous().to(dtype),
        variances=eigenvalues[order].to(dtype),
        total_variance=float(eigenvalues.clamp(min=0).sum()),
    )


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Principal angles, in radians and ascending, between the column spaces of ``a`` and ``b``.

    ``a`` is (d, k_a), ``b`` is (d, k_b), both of full column rank; min(k_a, k_b) angles come back.
    Angle 0 means a shared direction, pi/2 an orthogonal one. Cosines come from the singular values
    of Q_a^T Q_b; small angles are taken from the sines instead, where arccos loses precision.
    """
    check_tensor(a, "a", ndim=2)
    check_tensor(b, "b", ndim=2)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must have the same number of rows, got {tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[1] < b.shape[1]:
        a, b = b, a  # the residual below needs the larger subspace first
    q_a, _ = torch.linalg.qr(a.double())  # (d, k_a) orthonormal basis
    q_b, _ = torch.linalg.qr(b.double())  # (d, k_b)
    cosines = torch.linalg.svdvals(q_a.T @ q_b).clamp(max=1.0)  # descending
    sines = torch.linalg.svdvals(q_b - q_a @ (q_a.T @ q_b)).clamp(max=1.0).flip(0)  # ascending
    angles = torch.where(cosines > math.sqrt(0.5), torch.arcsin(sines), torch.arccos(cosines))
    return angles


class LinearAutoencoder(nn.Module):
    """x -> z = W_enc x + b_enc -> x_hat = W_dec z + b_dec, with no nonlinearity anywhere."""

    def __init__(self, input_dim: int, latent_dim: int, seed: int = 0):
        super().__init__()
        check_positive_int(input_dim, "input_dim")
        check_positive_int(latent_dim, "latent_dim")
        self.input_dim, self.latent_dim = input_dim, latent_dim
        with torch.random.fork_rng(devices=[]):  # seeded weights, caller's RNG untouched
            torch.manual_seed(seed)
            self.encoder = nn.Linear(input_dim, latent_dim)
            self.decoder = nn.Linear(latent_dim, input_dim)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, input_dim) -> (batch, latent_dim)."""
        check_tensor(x, "x", ndim=2, last_dim=self.input_dim)
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(batch, latent_dim) -> (batch, input_dim); real values, not logits."""
        check_tensor(z, "z", ndim=2, last_dim=self.latent_dim)
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x))

    def decoder_basis(self) -> torch.Tensor:
        """The decoder's columns (input_dim, latent_dim): they span the subspace x_hat lives in."""
        return self.decoder.weight.detach()


def squared_error(x: torch.Tensor, x_hat: torch.Tensor) -> float:
    """Squared reconstruction error, summed over pixels and averaged over images."""
    check_tensor(x, "x", ndim=2)
    check_tensor(x_hat, "x_hat", ndim=2)
    if x.shape != x_hat.shape:
        raise ValueError(f"x and x_hat must have the same shape, got {tuple(x.shape)} and {tuple(x_hat.shape)}")
    total = sum(float((a.double() - b.double()).square().sum()) for a, b in zip(x.split(_CHUNK), x_hat.split(_CHUNK)))
    return total / len(x)  # chunks of rows keep the float64 temporaries small


def fit_linear(
    model: LinearAutoencoder,
    train_x: torch.Tensor,
    config: TrainConfig = TrainConfig(),
    offset: torch.Tensor | None = None,
) -> list[float]:
    """Train ``model`` in place with Adam on the squared error; return each epoch's mean training loss.

    ``offset`` (input_dim,), if given, is subtracted from every batch: pass the data mean to train on
    centred data without a centred copy of the whole data set.

    The learning rate decays from ``config.lr`` to 0 along a half cosine: the loss is nearly flat
    between principal directions of similar variance, and the decay lets the subspace settle.
    ``config.beta`` and ``config.binarize`` do not apply and must keep their defaults.
    """
    if not isinstance(model, LinearAutoencoder):
        raise TypeError(f"model must be a LinearAutoencoder, got {type(model).__name__}")
    _check_in_chunks(train_x, "train_x", last_dim=model.input_dim)
    if offset is not None:
        check_tensor(offset, "offset", ndim=1, last_dim=model.input_dim)
    if config.binarize or config.beta != 1.0:
        raise ValueError("fit_linear trains on squared error: binarize must be False and beta 1.0")
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    steps = config.num_epochs * -(-train_x.shape[0] // config.batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    losses = []
    model.train()
    with torch_threads(config.num_threads):
        for _ in range(config.num_epochs):
            total = 0.0
            for x in iterate_batches(train_x, config.batch_size, generator):
                if offset is not None:
                    x = x - offset
                loss = (model(x) - x).square().sum(dim=1).mean()  # per image
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                total += loss.item() * x.shape[0]
            losses.append(total / train_x.shape[0])
    model.eval()
    return losses
