"""A small classifier: logistic regression or an MLP, trained with cross-entropy on any features.

Two uses in the course: a digit classifier on pixels is a *measuring instrument* (notebook 06 asks it
how confidently it recognizes a generated image as a digit), and the same classifier on a VAE's codes
measures what the codes know about the digits (how well the label can be read from mu).

Units: the loss is the cross-entropy in nats per example, averaged over the batch; ``accuracy`` is the
fraction of examples whose most probable class is the label.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .data import NUM_PIXELS, as_images, iterate_batches
from .training import TrainConfig, torch_threads
from .validation import check_images, check_model_dtype, check_positive_int, check_tensor


@dataclass(frozen=True)
class ClassifierConfig:
    """Sizes of a classifier: input_dim -> hidden_dims -> num_classes (no hidden layer: logistic regression)."""

    input_dim: int = NUM_PIXELS  # features per example: 784 pixels, or the latent_dim of a VAE's codes
    hidden_dims: tuple[int, ...] = (256,)  # widths of the ReLU hidden layers; () for logistic regression
    num_classes: int = 10  # the ten digits

    def __post_init__(self):
        check_positive_int(self.input_dim, "input_dim")
        check_positive_int(self.num_classes, "num_classes")
        if not isinstance(self.hidden_dims, tuple):
            raise TypeError(f"hidden_dims must be a tuple of ints, got {type(self.hidden_dims).__name__}")
        for width in self.hidden_dims:
            check_positive_int(width, "each hidden_dims entry")


class Classifier(nn.Module):
    """An MLP from features to class logits, with seeded initial weights."""

    config_class = ClassifierConfig

    def __init__(self, config: ClassifierConfig = ClassifierConfig(), seed: int = 0):
        super().__init__()
        self.config = config
        sizes = [config.input_dim, *config.hidden_dims, config.num_classes]
        layers: list[nn.Module] = []
        with torch.random.fork_rng(devices=[]):  # seeded weights, caller's RNG untouched
            torch.manual_seed(seed)
            for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
                layers.append(nn.Linear(n_in, n_out))
                if i < len(sizes) - 2:
                    layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, input_dim) -> logits (batch, num_classes)."""
        check_tensor(x, "x", ndim=2, last_dim=self.config.input_dim)
        check_model_dtype(x, "x", self)
        return self.net(x)


def _check_labels(labels: torch.Tensor, n: int, num_classes: int) -> None:
    if not torch.is_tensor(labels) or labels.dtype != torch.int64 or labels.shape != (n,):
        raise ValueError(
            f"labels must be an int64 tensor of shape ({n},), got {getattr(labels, 'dtype', type(labels))} "
            f"{tuple(getattr(labels, 'shape', ()))}"
        )
    if n and not (int(labels.min()) >= 0 and int(labels.max()) < num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}, got {int(labels.min())}..{int(labels.max())}")


def fit_classifier(
    model: Classifier, x: torch.Tensor, labels: torch.Tensor, config: TrainConfig = TrainConfig()
) -> list[float]:
    """Train ``model`` in place with Adam on the cross-entropy; return each epoch's mean training loss (nats).

    ``x`` holds features (floats) or uint8 pixels (converted batch by batch). The batches are drawn
    from a generator seeded with ``config.seed``; ``config.beta`` and ``config.binarize`` do not apply.
    """
    if not isinstance(model, Classifier):
        raise TypeError(f"model must be a vaelib Classifier, got {type(model).__name__}")
    check_images(x, "x", last_dim=model.config.input_dim, unit_interval=False)
    _check_labels(labels, len(x), model.config.num_classes)
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    index = torch.arange(len(x))
    losses = []
    model.train()
    with torch_threads(config.num_threads):
        for _ in range(config.num_epochs):
            total = 0.0
            for batch in iterate_batches(index, config.batch_size, generator):  # shuffled row numbers
                features = as_images(x[batch])
                loss = F.cross_entropy(model(features), labels[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            losses.append(total / len(x))
    model.eval()
    return losses


@torch.no_grad()
def probabilities(model: Classifier, x: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Class probabilities (n, num_classes) of features or uint8 pixels ``x``."""
    check_images(x, "x", last_dim=model.config.input_dim, unit_interval=False)
    return torch.cat([F.softmax(model(batch), dim=1) for batch in iterate_batches(x, batch_size, shuffle=False)])


def accuracy(model: Classifier, x: torch.Tensor, labels: torch.Tensor) -> float:
    """The fraction of examples whose most probable class is their label."""
    _check_labels(labels, len(x), model.config.num_classes)
    return (probabilities(model, x).argmax(dim=1) == labels).double().mean().item()
