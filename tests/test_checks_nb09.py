"""vaelib.checks.nb09 against references written out here: right answers pass, planted mistakes are named."""

import math

import numpy as np
import pytest
import torch
from checking import fails, not_attempted, passes
from torch.distributions import Normal, kl_divergence

from vaelib.checks import nb09

# --- 09.1: L_k from the log-weights -----------------------------------------------------------------


def numpy_bound(log_w):
    a = np.asarray(log_w, dtype=float)
    top = a.max(axis=0)
    return top + np.log(np.exp(a - top).mean(axis=0))


def test_09_1_iwae_bound(capsys):
    not_attempted(capsys, nb09.iwae_bound, None)
    not_attempted(capsys, nb09.iwae_bound, lambda log_w: None)  # the body is still `return None`
    passes(capsys, nb09.iwae_bound, lambda log_w: torch.as_tensor(numpy_bound(log_w.numpy())))
    passes(capsys, nb09.iwae_bound, lambda log_w: torch.logsumexp(log_w, 0) - math.log(log_w.shape[0]))
    planted = {
        "the mean of the log-weights": lambda log_w: log_w.mean(0),
        "missing its - log k": lambda log_w: torch.logsumexp(log_w, 0),
        "largest log-weight alone": lambda log_w: log_w.max(0).values,
        "divided the log of the sum by k": lambda log_w: torch.logsumexp(log_w, 0) / log_w.shape[0],
        "reduce over the k samples": lambda log_w: torch.logsumexp(log_w, 1) - math.log(log_w.shape[1]),
        "not finite": lambda log_w: log_w.float().exp().mean(0).log() * 0 + torch.log(torch.zeros(log_w.shape[1])),
        "raised ZeroDivisionError": lambda log_w: 1 / 0,
    }
    for mistake, function in planted.items():
        fails(nb09.iwae_bound, function, match=f"Exercise 09.1: .*{mistake}")
    fails(
        nb09.iwae_bound,
        lambda log_w: torch.logsumexp(log_w, 0) - math.log(log_w.shape[0]) + 0.1,
        match="Exercise 09.1: expected",
    )


def test_09_1_the_check_uses_float32_log_weights_where_exp_underflows():
    log_w = nb09._log_weights()
    assert log_w.dtype == torch.float32
    assert torch.all(torch.exp(log_w) == 0), "every weight must underflow, or the naive formula could pass"


def test_09_1_naive_formula_is_named(capsys):
    """The formula written out directly, log(mean(exp(log_w))), gives -inf in float32 and the check says why."""
    naive = lambda log_w: torch.log(torch.exp(log_w).mean(0))
    message = fails(nb09.iwae_bound, naive, match="Exercise 09.1: .*not finite")
    assert "log(mean(exp(log_w)))" in message and "underflows" in message and "logsumexp" in message, message


def test_09_1_float32_logsumexp_passes(capsys):
    """A correct bound computed in float32 is accepted: the tolerance allows for float32 rounding at -110."""
    passes(capsys, nb09.iwae_bound, lambda log_w: torch.logsumexp(log_w.float(), 0) - math.log(log_w.shape[0]))
    passes(
        capsys,
        nb09.iwae_bound,
        lambda log_w: (log_w.max(0).values + torch.log(torch.exp(log_w - log_w.max(0).values).mean(0))).float(),
    )


def test_09_1_float64_exp_is_finite_but_float32_is_not():
    """Only the dtype decides: the same numbers in float64 give the right bound with the naive formula."""
    log_w = nb09._log_weights()
    assert torch.all(torch.isinf(torch.log(torch.exp(log_w).mean(0))))
    assert torch.allclose(
        torch.log(torch.exp(log_w.double()).mean(0)), torch.as_tensor(numpy_bound(log_w.numpy())), atol=1e-9
    )


# --- 09.2: the free-bits KL ---------------------------------------------------------------------------


def reference_free_bits(mu, log_sigma, lam):
    q = Normal(mu, log_sigma.exp())
    kl = kl_divergence(q, Normal(torch.zeros_like(mu), torch.ones_like(mu)))  # (n, K)
    return torch.maximum(kl.mean(0), torch.tensor(lam)).sum()


def _kl(mu, log_sigma):
    return kl_divergence(Normal(mu, log_sigma.exp()), Normal(torch.zeros_like(mu), torch.ones_like(mu)))


def test_09_2_free_bits_kl(capsys):
    not_attempted(capsys, nb09.free_bits_kl, None)
    not_attempted(capsys, nb09.free_bits_kl, lambda mu, log_sigma, free_bits: None)
    passes(capsys, nb09.free_bits_kl, reference_free_bits)
    passes(capsys, nb09.free_bits_kl, lambda mu, ls, lam: float(reference_free_bits(mu, ls, lam)))
    passes(capsys, nb09.free_bits_kl, reference_free_bits, 1.0)
    planted = {
        "clamped before averaging": lambda mu, ls, lam: _kl(mu, ls).clamp(min=lam).mean(0).sum(),
        "clamping the total": lambda mu, ls, lam: _kl(mu, ls).mean(0).sum().clamp(min=lam),
        "min instead of max": lambda mu, ls, lam: _kl(mu, ls).mean(0).clamp(max=lam).sum(),
        "plain KL term": lambda mu, ls, lam: _kl(mu, ls).mean(0).sum(),
        "max\\(0, KL_j - lambda\\)": lambda mu, ls, lam: (_kl(mu, ls).mean(0) - lam).clamp(min=0).sum(),
        "summed over the batch": lambda mu, ls, lam: _kl(mu, ls).sum(0).clamp(min=lam).sum(),
        "expected one number": lambda mu, ls, lam: _kl(mu, ls).mean(0).clamp(min=lam),
    }
    for mistake, function in planted.items():
        fails(nb09.free_bits_kl, function, match=f"Exercise 09.2: .*{mistake}")
    fails(
        nb09.free_bits_kl, lambda mu, ls, lam: reference_free_bits(mu, ls, lam) + 0.3, match="Exercise 09.2: expected"
    )


def test_09_2_the_planted_mistakes_differ_on_the_check_batch():
    """Every mistake gives a different number on the batch the check uses, so none hides another."""
    mu, log_sigma = nb09._posterior_batch()
    kl = _kl(mu, log_sigma)
    values = [
        reference_free_bits(mu, log_sigma, 0.5),
        kl.clamp(min=0.5).mean(0).sum(),
        kl.mean(0).clamp(max=0.5).sum(),
        kl.mean(0).sum(),
        (kl.mean(0) - 0.5).clamp(min=0).sum(),
        kl.sum(0).clamp(min=0.5).sum(),
    ]
    values = [float(v) for v in values]
    assert min(abs(a - b) for i, a in enumerate(values) for b in values[i + 1 :]) > 1e-3, values


# --- 09.3: the gaps of a 10-epoch model (runs inference.gaps, about 10 s) -------------------------------


@pytest.fixture(scope="module")
def gaps_beta_1():
    from vaelib import evaluate, inference, pretrained

    measured = inference.gaps(
        pretrained.load_pretrained("vae-beta-1"), evaluate.binarized_test_set()[:100], k=1000, steps=200
    )
    return measured.approximation_gap, measured.amortization_gap


def test_09_3_gaps_of_short_training(capsys, gaps_beta_1):
    approximation, amortization = gaps_beta_1
    assert approximation > 0 and amortization > 0
    not_attempted(capsys, nb09.gaps_of_short_training, None)
    passes(capsys, nb09.gaps_of_short_training, [approximation, amortization])
    passes(capsys, nb09.gaps_of_short_training, (round(approximation, 2), round(amortization, 2)))
    fails(nb09.gaps_of_short_training, [amortization, approximation], match="Exercise 09.3: .*swapped")
    fails(nb09.gaps_of_short_training, [-approximation, -amortization], match="Exercise 09.3: .*wrong sign")
    fails(nb09.gaps_of_short_training, approximation, match="Exercise 09.3: expected two numbers")
    fails(nb09.gaps_of_short_training, [approximation + 1, amortization], match="Exercise 09.3: expected")
