"""Input checks shared by the public API: clear errors that say what was expected."""

from __future__ import annotations

import torch


def check_tensor(value, name: str, ndim: int | None = None, last_dim: int | None = None) -> torch.Tensor:
    """Check that ``value`` is a finite floating-point tensor of the expected shape; return it."""
    if not torch.is_tensor(value):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if ndim is not None and value.dim() != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(value.shape)}")
    if last_dim is not None and value.shape[-1] != last_dim:
        raise ValueError(
            f"{name} must have last dimension {last_dim}, got shape {tuple(value.shape)}"
        )
    # one cheap reduction first (NaN and +-inf survive a sum); the elementwise test only if it fails,
    # so that a sum that merely overflows does not reject finite values
    if not torch.isfinite(value.sum()) and not torch.isfinite(value).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return value


def check_same_shape(a: torch.Tensor, b: torch.Tensor, name_a: str, name_b: str) -> None:
    """Raise ValueError unless two tensors have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )


def check_positive_int(value, name: str) -> int:
    """Return ``value`` if it is a positive int (bool excluded), else raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def check_beta(beta) -> float:
    """Return ``beta`` as a float if it is a finite number >= 0, else raise."""
    if isinstance(beta, bool) or not isinstance(beta, (int, float)):
        raise TypeError(f"beta must be a number, got {type(beta).__name__}")
    if not beta >= 0 or beta == float("inf"):
        raise ValueError(f"beta must be a finite number >= 0, got {beta}")
    return float(beta)
