"""vaelib.checks.nb02 against references written out here: right answers pass, planted mistakes are named."""

import math

import numpy as np
from checking import fails_with, passes

from vaelib.checks import nb02


def _kl_numpy(p, q):  # written out: sum over p > 0 of p log(p / q), infinite where q = 0 < p
    p, q = np.array(p), np.array(q)
    keep = p > 0
    return math.inf if np.any(q[keep] == 0) else float(np.sum(p[keep] * np.log(p[keep] / q[keep])))


def test_02_1_kl_by_hand(capsys):
    passes(capsys, nb02.kl_by_hand, _kl_numpy)
    passes(
        capsys,
        nb02.kl_by_hand,
        lambda p, q: sum(a * math.log(a / b) if b > 0 else math.inf for a, b in zip(p, q) if a > 0),
    )
    assert nb02.kl_by_hand(lambda p, q: None) is None and "write the body" in capsys.readouterr().out
    label = "Exercise 02.1"
    naive = lambda p, q: float(np.sum(np.array(p) * np.log(np.array(p) / np.array(q))))  # no conventions
    mistakes = {
        "you computed KL\\(q \\|\\| p\\)": lambda p, q: _kl_numpy(q, p),
        "the sign": lambda p, q: -_kl_numpy(p, q),
        "in bits": lambda p, q: _kl_numpy(p, q) / math.log(2),
        "weighted by its probability": lambda p, q: float(np.sum(np.log(np.array(p) / np.array(q)))),
        "0 log 0 = 0": naive,  # nan for p = (1, 0)
        "the divergence is infinite": lambda p, q: sum(a * math.log(a / max(b, 1e-12)) for a, b in zip(p, q) if a > 0),
        "raised ValueError \\(math domain error\\) for p = \\[1.0, 0.0\\]": lambda p, q: sum(
            a * math.log(a / b) for a, b in zip(p, q)
        ),
    }
    for says, function in mistakes.items():
        fails_with(nb02.kl_by_hand, function, label, says)


def test_02_2_widened_code(capsys):
    sigma = math.exp(-3)
    exact = 0.5 * (2 * sigma) ** 2 - math.log(2 * sigma) - (0.5 * sigma**2 - math.log(sigma))  # difference of penalties
    passes(capsys, nb02.widened_code, exact)
    passes(capsys, nb02.widened_code, round(exact, 4))
    label = "Exercise 02.2"
    fails_with(nb02.widened_code, -exact, label, "the sign")
    fails_with(nb02.widened_code, math.log(2), label, "the sign")
    fails_with(nb02.widened_code, -math.log(2), label, "almost: -log 2 is the change of the -log sigma part")
    fails_with(nb02.widened_code, 2 * exact, label, "the factor 1/2")
    fails_with(nb02.widened_code, -0.5, label, "expected -0.6894")
    fails_with(nb02.widened_code, "small", label, "expected a number")


def test_02_3_uniform_kl(capsys):
    passes(capsys, nb02.uniform_kl, [math.log(2), math.inf])
    label = "Exercise 02.3"
    fails_with(nb02.uniform_kl, [math.inf, math.log(2)], label, "look swapped")
    fails_with(nb02.uniform_kl, [1.0, math.inf], label, "bits")
    fails_with(nb02.uniform_kl, [math.log(2), 1e6], label, "should be infinite")
    fails_with(nb02.uniform_kl, [0.5, math.inf], label, "expected")
