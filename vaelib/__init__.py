"""vaelib: the small helper package of the VAE course.

Modules, one concept each: ``data`` (MNIST from the shipped IDX files), ``models`` (Autoencoder,
VAE), ``losses`` (reconstruction NLL, Gaussian KL, negative ELBO), ``training`` (fit), ``plotting``,
``checkpoints`` (safetensors weights with their configuration), ``claims`` (a lesson's claims about its
own run) and ``checks`` (exercise checks, one module per notebook, loaded on first use). Importing it
sets up glibc's allocator (``allocator``) so that a lesson's freed tensors go back to the system.
"""

import importlib

from . import allocator, claims, plotting
from .checkpoints import CheckpointError, load_model, save_model
from .data import MNIST, ChecksumError, binarize, iterate_batches, load_mnist
from .losses import ELBOTerms, bernoulli_nll, kl_to_standard_normal, negative_elbo
from .models import VAE, Autoencoder, ModelConfig
from .training import History, TrainConfig, evaluate_loss, fit

allocator.install()

__version__ = "0.1.0"
__all__ = [
    "MNIST",
    "VAE",
    "Autoencoder",
    "CheckpointError",
    "ChecksumError",
    "ELBOTerms",
    "History",
    "ModelConfig",
    "TrainConfig",
    "bernoulli_nll",
    "binarize",
    "claims",
    "evaluate_loss",
    "fit",
    "iterate_batches",
    "kl_to_standard_normal",
    "load_mnist",
    "load_model",
    "negative_elbo",
    "plotting",
    "save_model",
]


def __getattr__(name: str):
    if name == "checks":  # vaelib.checks.nb06...: imported when an exercise first asks for it
        return importlib.import_module(".checks", __name__)
    raise AttributeError(f"module 'vaelib' has no attribute {name!r}")
