"""vaelib: the small helper package of the VAE course.

Modules, one concept each: ``data`` (MNIST from the shipped IDX files), ``models`` (Autoencoder,
VAE), ``losses`` (reconstruction NLL, Gaussian KL, negative ELBO), ``training`` (fit), ``plotting``,
``checkpoints`` (safetensors weights with their configuration) and ``checks`` (exercise checks).
"""

from . import checks, plotting
from .checkpoints import CheckpointError, load_model, save_model
from .data import MNIST, ChecksumError, binarize, iterate_batches, load_mnist
from .losses import ELBOTerms, bernoulli_nll, kl_to_standard_normal, negative_elbo
from .models import VAE, Autoencoder, ModelConfig
from .training import History, TrainConfig, evaluate_loss, fit, seed_everything

__version__ = "0.1.0"
