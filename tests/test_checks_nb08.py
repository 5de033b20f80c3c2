"""vaelib.checks.nb08 against references written out here: right answers pass, planted mistakes are named."""

import math

import pytest
import torch
from checking import passes

from vaelib import evaluate, pretrained
from vaelib.checks import nb08


def test_notebook_08(capsys):
    passes(capsys, nb08.bits_per_dim, 84.78 * math.log2(math.e) / 784)
    with pytest.raises(AssertionError, match="ln 2"):
        nb08.bits_per_dim(84.78 / 784)
    exact = float(torch.logsumexp(torch.tensor([-1000.0, -1001.0, -1003.0], dtype=torch.float64), 0)) - math.log(3)
    passes(capsys, nb08.bound_from_log_weights, exact)
    with pytest.raises(AssertionError, match="mean of the log-weights"):
        nb08.bound_from_log_weights(-3004.0 / 3)
    with pytest.raises(AssertionError, match="underflows"):
        nb08.bound_from_log_weights(-math.inf)
    passes(capsys, nb08.effective_beta, 32 * 32 * 3)
    with pytest.raises(AssertionError, match="08.3"):
        nb08.effective_beta(784)


def test_notebook_08_active_units_uses_the_shipped_model(capsys):
    mu, _ = evaluate.encode_all(pretrained.load_pretrained("vae-beta-1"), evaluate.binarized_test_set())
    expected = int((mu.double().numpy().var(axis=0) > 0.1).sum())  # numpy population variance
    passes(capsys, nb08.active_units_at_threshold, expected)
    with pytest.raises(AssertionError, match="08.4"):
        nb08.active_units_at_threshold(expected + 1)
