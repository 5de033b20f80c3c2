"""Exercise checks of notebook 02 (the KL divergence): KL written by hand, a narrow code widened, two uniforms."""

from __future__ import annotations

import math
import warnings

import numpy as np

from .core import NOT_WRITTEN, call_learner, close, correct, diagnose, exercise, fail, not_attempted, to_numpy

# (p, q) pairs the learner's function is run on: two ordinary ones, then the two conventions of section 1
_PAIRS = [
    ([0.9, 0.1], [0.5, 0.5]),
    ([0.2, 0.5, 0.3], [0.4, 0.4, 0.2]),
    ([1.0, 0.0], [0.5, 0.5]),
    ([0.5, 0.5], [1.0, 0.0]),
]


def _kl(p, q) -> float:
    """The reference, written out: sum over p_i > 0 of p_i log(p_i / q_i), infinite if such a q_i is 0."""
    p, q = np.asarray(p), np.asarray(q)
    keep = p > 0
    return math.inf if np.any(q[keep] == 0) else float(np.sum(p[keep] * np.log(p[keep] / q[keep])))


@exercise(2, 1)
def kl_by_hand(name: str, function) -> None:
    """Exercise 02.1: a function kl(p, q) -> KL(p || q) in nats for two probability vectors (lists of floats),
    with 0 log 0 counted as 0 and math.inf where p_i > 0 but q_i = 0. A function returning None is not attempted."""
    with warnings.catch_warnings():  # log(0) and 0/0 in a learner's first try are diagnosed below, not printed
        warnings.simplefilter("ignore", RuntimeWarning)
        results = [call_learner(name, function, list(p), list(q)) for p, q in _PAIRS[:2]]
        if results[0] is None:
            return not_attempted(name, NOT_WRITTEN)
        for p, q in _PAIRS[2:]:
            try:
                results.append(function(list(p), list(q)))
            except Exception as error:  # the learner's code: a zero probability is the usual culprit
                fail(
                    name,
                    f"your function raised {type(error).__name__} ({error}) for p = {p}, q = {q}: with a zero "
                    "probability, skip the terms where p_i = 0 (0 log 0 = 0) and return math.inf where p_i > 0 = q_i.",
                )
    try:
        got = [float(to_numpy(r)) for r in results]
    except (TypeError, ValueError):
        fail(name, f"expected one number per call, got {type(results[0]).__name__}.")
    want = [_kl(p, q) for p, q in _PAIRS]
    if not np.allclose(got[:2], want[:2], rtol=1e-6):
        p, q = _PAIRS[0]
        mistake = diagnose(
            got[0],
            {
                "you computed KL(q || p): the average is taken under the first argument, sum_i p_i log(p_i / q_i)": _kl(
                    q, p
                ),
                "the sign: it is p_i log(p_i / q_i), not p_i log(q_i / p_i)": -want[0],
                "that is in bits: the course measures in nats, with the natural logarithm np.log": want[0]
                / math.log(2),
                "each log-ratio must be weighted by its probability p_i before summing": float(
                    np.sum(np.log(np.array(p) / np.array(q)))
                ),
            },
            rtol=1e-6,
        )
        fail(
            name,
            mistake + "." if mistake else f"for p = {p}, q = {q} expected {want[0]:.6g}, got {got[0]:.6g}.",
            "" if mistake else "Sum p_i log(p_i / q_i) over the outcomes, with natural logarithms.",
        )
    if not math.isclose(got[2], want[2], rel_tol=1e-6):
        fail(
            name,
            f"KL(p || q) for p = (1, 0), q = (1/2, 1/2) should be log 2 = {want[2]:.6g}, got {got[2]:.6g}: "
            "an outcome with p_i = 0 contributes 0 (0 log 0 = 0), so leave out the terms where p_i = 0.",
        )
    if got[3] != math.inf:
        fail(
            name,
            f"KL(p || q) for p = (1/2, 1/2), q = (1, 0) should be math.inf, got {got[3]:.6g}: where p_i > 0 "
            "but q_i = 0, q calls impossible something that happens, and the divergence is infinite.",
        )
    correct(name, "including both conventions")


@exercise(2, 2)
def widened_code(name: str, answer) -> None:
    """Exercise 02.2: the change in KL(N(mu, sigma^2) || N(0, 1)), in nats, when sigma doubles from e^-3 (mu = 1)."""
    sigma = math.exp(-3.0)
    change = 0.5 * (4 * sigma**2 - sigma**2) - math.log(2)  # 1/2 (sigma'^2 - sigma^2) - (log sigma' - log sigma)
    try:
        single = np.size(to_numpy(answer)) == 1
    except (TypeError, ValueError):
        single = False  # close() below says what was expected
    mistake = (
        diagnose(
            answer,
            {
                "the sign: widening a narrow code makes it cheaper, the penalty goes down": -change,
                "the sign: widening a narrow code makes it cheaper (and the sigma^2 / 2 part moves a little too)": math.log(
                    2
                ),
                "almost: -log 2 is the change of the -log sigma part; the sigma^2 / 2 part changes too, by a little "
                "(3 sigma^2 / 2 with sigma = e^-3): give the exact change": -math.log(2),
                "the factor 1/2: the spread term is 1/2 (sigma^2 - 1 - log sigma^2), and log sigma^2 changes by 2 log 2": 2
                * change,
            },
            rtol=1e-3,
            atol=1e-9,
        )
        if single
        else ""
    )
    if mistake:
        fail(name, mistake + ".")
    close(
        name,
        answer,
        change,
        rtol=1e-3,
        atol=1e-9,
        hint="Subtract the penalty at sigma = e^-3 from the penalty at 2 e^-3; the mu^2 / 2 part does not move.",
    )


@exercise(2, 3)
def uniform_kl(name: str, answer) -> None:
    """Exercise 02.3: [KL(U(0, 1) || U(0, 2)), KL(U(0, 2) || U(0, 1))] in nats (math.inf allowed)."""
    forward = np.log(1.0 / 0.5)  # the integral over [0, 1] of p log(p / q) with p = 1 and q = 1/2
    # q = U(0, 2) puts mass 1/2 on (1, 2], where U(0, 1) has density 0: log(q / 0) there is infinite
    try:
        got = to_numpy(answer)
    except (TypeError, ValueError):
        got = np.zeros(0)
    if got.shape == (2,):
        if got[0] == np.inf and np.isclose(got[1], forward):
            fail(name, "the two values look swapped: first KL(U(0, 1) || U(0, 2)), then KL(U(0, 2) || U(0, 1)).")
        if np.isclose(got[0], 1.0) and got[1] == np.inf:
            fail(name, "1 is log 2 measured in bits; the course uses nats (natural logarithms).")
        if np.isclose(got[0], forward) and np.isfinite(got[1]):
            fail(
                name,
                f"the second value should be infinite, got {got[1]:.6g}: U(0, 2) puts mass 1/2 on (1, 2], where "
                "U(0, 1) has density 0, so the log-ratio is infinite on a set of positive probability.",
            )
    close(
        name,
        answer,
        [forward, np.inf],
        rtol=1e-3,
        hint="Integrate p log(p / q) over where p > 0; what happens where p > 0 but q = 0?",
    )
