"""Exercise checks of notebook 00 (start here): counting in MNIST."""

from __future__ import annotations

import numpy as np
import torch

from ..data import load_mnist, load_mnist_pixels
from .core import close, exercise, fail, true


@exercise(0, 1)
def fraction_of_blank_pixels(name: str, answer) -> None:
    """Exercise 00.1: the fraction of all training-set pixels that are exactly 0."""
    pixels = load_mnist_pixels("train")  # uint8: a quarter of the memory of the float images
    expected = np.count_nonzero(pixels == 0) / pixels.size
    close(
        name,
        answer,
        expected,
        rtol=1e-4,
        hint="Give a fraction between 0 and 1 (not a percentage), computed exactly: compare the images "
        "tensor with 0 and average the booleans over all 60,000 x 784 pixels.",
    )


@exercise(0, 2)
def most_frequent_digit(name: str, answer) -> None:
    """Exercise 00.2: the digit that occurs most often among the training labels."""
    counts = torch.bincount(load_mnist("train").labels, minlength=10)
    if isinstance(answer, (float, torch.Tensor, np.number)) and float(answer) == int(answer):
        answer = int(answer)  # 1.0 or tensor(1) mean the digit 1
    if answer not in range(10):
        fail(name, f"expected one digit, an int from 0 to 9, got {answer!r}")
    message = (
        f"digit {answer} occurs {int(counts[answer])} times, but another digit occurs "
        f"{int(counts.max())} times. Hint: torch.bincount(labels) counts each digit."
    )
    true(name, answer, lambda a: a == int(counts.argmax()), message)
