"""Input checks shared by the public API: clear errors that say what was expected."""

from __future__ import annotations

import math

import torch


def check_tensor(value, name: str, ndim: int | None = None, last_dim: int | None = None) -> torch.Tensor:
    """Check that ``value`` is a finite floating-point tensor of the expected shape; return it."""
    if not torch.is_tensor(value):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        hint = " (MNIST bytes 0..255: vaelib.data.as_images converts them)" if value.dtype == torch.uint8 else ""
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}{hint}")
    if ndim is not None and value.dim() != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(value.shape)}")
    if last_dim is not None and value.shape[-1] != last_dim:
        raise ValueError(f"{name} must have last dimension {last_dim}, got shape {tuple(value.shape)}")
    # one cheap reduction first (NaN and +-inf survive a sum); the elementwise test only if it fails,
    # so that a sum that merely overflows does not reject finite values
    if not torch.isfinite(value.sum()) and not torch.isfinite(value).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return value


def check_images(value, name: str, last_dim: int | None = None, unit_interval: bool = True) -> torch.Tensor:
    """Images as ``fit`` and the evaluators take them: uint8 bytes 0..255 (converted batch by batch)
    or a floating tensor, of shape (n, last_dim), with values in [0, 1] when ``unit_interval``."""
    if torch.is_tensor(value) and value.dtype == torch.uint8:
        if value.dim() != 2 or (last_dim is not None and value.shape[-1] != last_dim):
            raise ValueError(f"{name} must have shape (n, {last_dim or 'input_dim'}), got {tuple(value.shape)}")
        return value
    check_tensor(value, name, ndim=2, last_dim=last_dim)
    if unit_interval:
        check_unit_interval(value, name)
    return value


def check_unit_interval(x: torch.Tensor, name: str) -> None:
    """Raise unless every value of ``x`` lies in [0, 1]: pixel intensities, Bernoulli targets."""
    if x.numel() == 0:
        return
    low, high = (v.item() for v in torch.aminmax(x))
    if low < 0 or high > 1:
        hint = " MNIST's bytes run from 0 to 255: divide by 255 first." if 1 < high <= 255 and low >= 0 else ""
        raise ValueError(
            f"{name} must hold pixel intensities in [0, 1], got values from {low:.4g} to {high:.4g}.{hint}"
        )


def check_model_dtype(x: torch.Tensor, name: str, model: torch.nn.Module) -> None:
    """Raise unless ``x`` has the dtype of the model's weights, saying how to convert either."""
    dtype = next(model.parameters()).dtype
    if x.dtype != dtype:
        raise TypeError(
            f"{name} is {x.dtype} but the model's weights are {dtype}: convert the data "
            f"({name}.to({dtype}), e.g. {name}.float()) or the model (model.to({x.dtype}))"
        )


def check_same_shape(a: torch.Tensor, b: torch.Tensor, name_a: str, name_b: str) -> None:
    """Raise ValueError unless two tensors have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")


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


def check_finite_number(value, name: str, positive: bool = False, unit: str = "") -> float:
    """Return ``value`` as a float if it is a finite number (> 0 if ``positive``, else >= 0), else raise."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if not (ok and (value > 0 if positive else value >= 0)):
        kind = "positive number" if positive else "number >= 0"
        raise ValueError(f"{name} must be a finite {kind}{unit}, got {value!r}")
    return float(value)


def check_nonnegative_int(value, name: str) -> int:
    """Return ``value`` if it is an int >= 0 (bool excluded), else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return value


def check_labels_for(model, labels: torch.Tensor | None, x: torch.Tensor) -> None:
    """A conditional model needs one int64 label per row of ``x``; an unconditional one takes none."""
    if not getattr(model, "conditional", False):
        if labels is not None:
            raise ValueError(f"{type(model).__name__} is not conditional: it takes no labels")
        return
    if not torch.is_tensor(labels) or labels.dtype != torch.int64 or labels.shape != (x.shape[0],):
        raise ValueError(
            f"{type(model).__name__} is conditional: give labels, an int64 tensor of shape "
            f"({x.shape[0]},), one per image"
        )
