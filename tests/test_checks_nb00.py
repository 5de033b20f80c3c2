"""vaelib.checks.nb00 against references written out here: right answers pass, planted mistakes are named."""

import numpy as np
import pytest
from checking import passes

import vaelib
from vaelib.checks import nb00


def test_notebook_00(capsys):
    pixels = vaelib.data.load_mnist_pixels("train")
    passes(capsys, nb00.fraction_of_blank_pixels, float((pixels == 0).mean()))
    with pytest.raises(AssertionError, match="not a percentage"):
        nb00.fraction_of_blank_pixels(100 * float((pixels == 0).mean()))
    counts = np.bincount(vaelib.load_mnist("train").labels.numpy(), minlength=10)
    passes(capsys, nb00.most_frequent_digit, int(counts.argmax()))
    passes(capsys, nb00.most_frequent_digit, float(counts.argmax()))  # 1.0 means the digit 1
    with pytest.raises(AssertionError, match="occurs"):
        nb00.most_frequent_digit(int(counts.argmin()))
    with pytest.raises(AssertionError, match="one digit"):
        nb00.most_frequent_digit(12)
