"""vaelib.checks: every exercise check, against references written out independently of the checks.

Unattempted answers pass quietly, right ones print "correct", wrong ones raise with the exercise's
label, what was expected, what came back and a hint; each wrong answer below is a planted mistake a
learner could make, and the test asserts the message names it.
"""

import math
import re

import numpy as np
import pytest
import sympy as sp
import torch
from torch.distributions import Normal, kl_divergence

import vaelib
from vaelib import divergence, evaluate, linear, pretrained
from vaelib.checks import core, nb00, nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08
from vaelib.training import torch_threads


def passes(capsys, check, *args):
    """The check accepts the answer: it returns None and prints 'correct'."""
    assert check(*args) is None
    out = capsys.readouterr().out
    assert "correct" in out, out


# --- the core ------------------------------------------------------------------------------------


def test_none_means_not_attempted(capsys):
    assert core.close("Exercise 1", None, 3.0) is None
    assert "Not attempted yet" in capsys.readouterr().out


def test_correct_answers_pass_and_return_nothing(capsys):
    passes(capsys, core.close, "Exercise 1", torch.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7]))


def test_wrong_answer_says_expected_got_and_hint():
    with pytest.raises(AssertionError) as info:
        core.close("Exercise 2", 2.5, 3.0, hint="Did you sum over dimensions?")
    message = str(info.value)
    assert "Exercise 2" in message and "expected 3," in message and "got 2.5" in message and "sum over" in message
    assert "relative error" in message  # the learner is told how close is close enough


def test_wrong_shape_is_reported():
    with pytest.raises(AssertionError, match="shape"):
        core.close("Exercise 3", [1.0, 2.0], [1.0, 2.0, 3.0])


def test_true(capsys):
    passes(capsys, core.true, "Exercise 4", 5, lambda a: a > 3, "must exceed 3")
    with pytest.raises(AssertionError, match="must exceed 3"):
        core.true("Exercise 4", 1, lambda a: a > 3, "must exceed 3")
    assert core.true("Exercise 4", None, lambda a: a > 3, "must exceed 3") is None


def test_non_numeric_answer_is_a_check_message_not_a_crash():
    for answer in ["three", {"a": 1}, [1.0, "x"]]:
        with pytest.raises(AssertionError, match="Exercise 5: expected a number or an array of numbers"):
            core.close("Exercise 5", answer, 3.0, hint="Give a float.")


def test_tolerance_is_described_as_the_check_applies_it():
    with pytest.raises(AssertionError, match=r"allowed: absolute error 0\.5\)"):
        core.close("Exercise 6", 12, 20, rtol=0, atol=0.5)
    with pytest.raises(AssertionError, match=r"allowed: absolute error 0\.1 plus relative error 0\.01\)"):
        core.close("Exercise 6", 12, 20, rtol=0.01, atol=0.1)


def test_close_but_wrong_numbers_never_print_the_same():
    with pytest.raises(AssertionError) as info:
        core.close("Exercise 7", -1000.75, -1000.7496, rtol=0, atol=1e-6)
    message = str(info.value)
    assert "expected -1000.7496" in message and "got -1000.75 " in message


def test_every_check_is_labelled_with_its_exercise_and_returns_none_unattempted(capsys):
    """One label format, "Exercise NN.k", and the not-attempted outcome, for every check of every lesson."""
    import inspect

    from vaelib import checks

    labels = []
    for lesson in checks.LESSONS:
        module = getattr(checks, lesson)
        number = int(lesson[2:])
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            exercise = function.exercise  # set by core.exercise: the label every message starts with
            assert exercise.startswith(f"Exercise {number:02d}.") and function.__doc__.startswith(exercise + ":"), (lesson, name)
            extra = [None] * (len(inspect.signature(function).parameters) - 1)
            assert function(None, *extra) is None
            assert capsys.readouterr().out.startswith(f"{exercise}: Not attempted yet"), (lesson, name)
            labels.append(exercise)
    assert len(labels) >= 27 and len(set(labels)) == len(labels), "every exercise has exactly one check"


def test_lessons_are_loaded_on_first_use_and_unknown_names_say_where_checks_are():
    from vaelib import checks

    with pytest.raises(AttributeError, match="nb00"):
        checks.check_close  # noqa: B018  (the old flat API is gone)


# --- notebook 00 ---------------------------------------------------------------------------------


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


# --- notebook 01 ---------------------------------------------------------------------------------


def test_notebook_01_principal_angles_and_variance(capsys):
    passes(capsys, nb01.principal_angles_example, [0.0, 45.0])  # e2 against (e2 + e3) / sqrt(2): cos = 1 / sqrt(2)
    with pytest.raises(AssertionError):
        nb01.principal_angles_example([0.0, 90.0])
    with pytest.raises(AssertionError, match="look swapped"):
        nb01.principal_angles_example([45.0, 0.0])
    with pytest.raises(AssertionError, match="degrees"):
        nb01.principal_angles_example([0.0, math.pi / 4])
    with pytest.raises(AssertionError, match="expected a number"):
        nb01.principal_angles_example("forty-five")
    with torch_threads(1):  # one thread: no slowdown when the test suite shares the cores
        result = linear.pca(vaelib.load_mnist("train").images, 2)
        passes(capsys, nb01.explained_variance, result.variances.sum().item() / result.total_variance)
        with pytest.raises(AssertionError, match="01.1"):
            nb01.explained_variance(0.5)


def test_notebook_01_rescaled_autoencoder(capsys):
    """Against a reference written out: codes z' = A z, and decode(A^{-1} z') = decode(z)."""
    model = vaelib.Autoencoder(vaelib.ModelConfig(input_dim=784, hidden_dims=(32,), latent_dim=2), seed=3)
    before = [p.clone() for p in model.parameters()]
    a = torch.tensor([[10.0, 0.0], [3.0, 0.5]], dtype=torch.float64)
    with torch.no_grad():
        z = model.encode(vaelib.load_mnist("test").images[:1000]).double()
    rms = lambda c: float(((c - c.mean(0)) ** 2).sum(1).mean().sqrt())  # noqa: E731
    ratio = rms(z @ a.T) / rms(z)
    passes(capsys, nb01.rescaled_autoencoder, [0.0, ratio], model)
    assert all(torch.equal(p, q) for p, q in zip(before, model.parameters()))  # the check edits a copy
    with pytest.raises(AssertionError, match="float32 rounding"):
        nb01.rescaled_autoencoder([0.1, ratio], model)
    with pytest.raises(AssertionError, match="Exercise 01.3: expected"):
        nb01.rescaled_autoencoder([0.0, 1.0], model)
    with pytest.raises(AssertionError, match="two numbers"):
        nb01.rescaled_autoencoder(ratio, model)


# --- notebook 02 ---------------------------------------------------------------------------------


def test_notebook_02(capsys):
    passes(capsys, nb02.coin_kl, [divergence.kl_discrete([0.9, 0.1], [0.5, 0.5]), divergence.kl_discrete([0.5, 0.5], [0.9, 0.1])])
    with pytest.raises(AssertionError):
        nb02.coin_kl([0.5, 0.5])
    with pytest.raises(AssertionError, match="look swapped"):  # 0.5 log(5/9) + 0.5 log 5 first, then 0.9 log 1.8 + 0.1 log 0.2
        nb02.coin_kl([0.5 * math.log(5 / 9) + 0.5 * math.log(5), 0.9 * math.log(1.8) + 0.1 * math.log(0.2)])
    passes(capsys, nb02.encoder_kl, 0.5 + 0.5 * (5 + math.exp(-2)))  # 1/2 (1 + 1 - 0 - 1) + 1/2 (4 + e^-2 + 2 - 1)
    with pytest.raises(AssertionError, match="02.2"):
        nb02.encoder_kl(0.5 * (5 + math.exp(-2)))
    passes(capsys, nb02.uniform_kl, [math.log(2), math.inf])
    with pytest.raises(AssertionError, match="02.3"):
        nb02.uniform_kl([math.log(2), 1e6])


# --- notebook 03 ---------------------------------------------------------------------------------


def test_notebook_03(capsys):
    # w = 2, b = 0.5, s = 0.8, x = 1.5, q = N(0, 0.5^2): the ELBO written out
    expected_log_lik = -0.5 * math.log(2 * math.pi * 0.64) - ((1.5 - 0.5) ** 2 + 4 * 0.25) / (2 * 0.64)
    elbo = expected_log_lik - 0.5 * (0.25 - math.log(0.25) - 1)
    passes(capsys, nb03.monte_carlo_elbo, elbo + 0.01)
    with pytest.raises(AssertionError, match="03.1"):
        nb03.monte_carlo_elbo(elbo + 0.1)
    x, w, b = sp.symbols("x w b", real=True)
    s = sp.Symbol("s", positive=True)
    passes(capsys, nb03.optimal_q, (w * (x - b) / (w**2 + s**2), sp.sqrt(s**2 / (w**2 + s**2))))
    with pytest.raises(AssertionError, match="03.2"):
        nb03.optimal_q((w * (x - b) / (w**2 + s**2), sp.Integer(1)))
    px, pw, pb, ps = sp.symbols("x w b s")  # no assumptions: still accepted, compared at random points
    passes(capsys, nb03.optimal_q, (pw * (px - pb) / (pw**2 + ps**2), ps / sp.sqrt(pw**2 + ps**2)))
    with pytest.raises(AssertionError, match="contains sigma"):
        nb03.optimal_q((sp.Symbol("sigma"), s))
    with pytest.raises(AssertionError, match="pair"):
        nb03.optimal_q(w)
    passes(capsys, nb03.gap_at_double_width, 0.5 * (3 - math.log(4)))
    with pytest.raises(AssertionError, match="03.3"):
        nb03.gap_at_double_width(math.log(2))


# --- notebook 04 ---------------------------------------------------------------------------------


def test_notebook_04(capsys):
    mu, sigma, lam = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True), sp.Symbol("lambda", positive=True)
    passes(capsys, nb04.kl_wider_prior, sp.log(lam / sigma) + (sigma**2 + mu**2) / (2 * lam**2) - sp.Rational(1, 2))
    # the same answer with symbols named differently or declared without assumptions is accepted
    plain_mu, plain_sigma, plain_lam = sp.symbols("mu sigma lam")
    passes(capsys, nb04.kl_wider_prior,
           sp.log(plain_lam) - sp.log(plain_sigma) + (plain_sigma**2 + plain_mu**2) / (2 * plain_lam**2) - sp.Rational(1, 2))
    with pytest.raises(AssertionError, match="04.1"):
        nb04.kl_wider_prior(-(mu**2 + sigma**2 - sp.log(sigma**2) - 1) / 2)
    with pytest.raises(AssertionError, match="contains tau"):
        nb04.kl_wider_prior(sp.log(sp.Symbol("tau", positive=True) / sigma))
    with pytest.raises(AssertionError, match="SymPy expression"):
        nb04.kl_wider_prior([mu])
    # q = N(2, 0.5^2), p = N(0, 1), the formula written out in both directions
    forward = math.log(1 / 0.5) + (0.25 + 4) / 2 - 0.5
    reverse = math.log(0.5 / 1) + (1 + 4) / (2 * 0.25) - 0.5
    passes(capsys, nb04.reverse_kl, [forward, reverse])
    with pytest.raises(AssertionError, match="look swapped"):
        nb04.reverse_kl([reverse, forward])
    with pytest.raises(AssertionError, match="04.2"):
        nb04.reverse_kl([forward, forward])
    passes(capsys, nb04.kl_from_log_variance, lambda m, lv: -0.5 * torch.sum(1 + lv - m**2 - lv.exp(), dim=1))
    with pytest.raises(AssertionError, match="04.3"):  # the article's sign
        nb04.kl_from_log_variance(lambda m, lv: 0.5 * torch.sum(1 + lv - m**2 - lv.exp(), dim=1))
    with pytest.raises(AssertionError, match="function"):
        nb04.kl_from_log_variance(1.0)


# --- notebook 05 ---------------------------------------------------------------------------------


def test_notebook_05(capsys):
    mu, sigma = sp.symbols("mu sigma")
    passes(capsys, nb05.cubic_gradient, 3 * (1 + 4))  # d/dmu (mu^3 + 3 mu sigma^2) = 3 mu^2 + 3 sigma^2 at (1, 2)
    with pytest.raises(AssertionError, match="05.1"):
        nb05.cubic_gradient(12.0)
    passes(capsys, nb05.sigma_gradient_of_quartic, 12 * mu**2 * sigma + 12 * sigma**3)
    with pytest.raises(AssertionError, match="not the derivative"):
        nb05.sigma_gradient_of_quartic(12 * mu**2 * sigma)
    with pytest.raises(AssertionError, match="only on symbols named mu and sigma"):
        nb05.sigma_gradient_of_quartic(sp.Symbol("tau"))
    passes(capsys, nb05.baseline, 11.25)
    with pytest.raises(AssertionError, match="05.3"):
        nb05.baseline(0.0)
    with pytest.raises(AssertionError, match="times larger"):
        nb05.baseline(100.0)


# --- notebook 06 ---------------------------------------------------------------------------------


def test_notebook_06_loss_units(capsys):
    passes(capsys, nb06.blank_image_reconstruction, 784 * math.log1p(math.exp(-3.0)))  # 784 log(1 + e^-3)
    passes(capsys, nb06.blank_image_reconstruction, 38.1)  # worked by hand to one decimal
    with pytest.raises(AssertionError, match="Exercise 06.1"):
        nb06.blank_image_reconstruction(784 * math.log(2))
    with pytest.raises(AssertionError):
        nb06.blank_image_reconstruction(38.0)
    passes(capsys, nb06.pixel_and_latent_mean_beta, 39.2)
    with pytest.raises(AssertionError, match="06.2"):
        nb06.pixel_and_latent_mean_beta(784)


def test_notebook_06_informative_dimensions_against_torch_distributions(capsys):
    model = vaelib.VAE(vaelib.ModelConfig(input_dim=6, hidden_dims=(8,), latent_dim=5), seed=0)
    with torch.no_grad():
        model.fc_log_sigma.bias[:2] = -2.0  # two dimensions with small sigma: they carry KL
        model.fc_log_sigma.bias[2:] = 0.0
    x = torch.rand(50, 6, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        mu, log_sigma = model.encode(x)
    kl = kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).mean(dim=0)
    count = int((kl > 0.1).sum())
    assert 2 <= count < 5
    passes(capsys, nb06.informative_dimensions, count, model, x)
    with pytest.raises(AssertionError, match="absolute error 0.5"):
        nb06.informative_dimensions(count + 1, model, x)


# --- notebook 07 ---------------------------------------------------------------------------------


def test_notebook_07(capsys):
    from scipy.stats import norm

    passes(capsys, nb07.quantile_coordinate, norm.ppf(0.05 + 3 * 0.9 / 14))
    with pytest.raises(AssertionError, match="07.1"):
        nb07.quantile_coordinate(norm.ppf(0.05 + 4 * 0.9 / 14))
    model = vaelib.VAE(vaelib.ModelConfig(input_dim=784, hidden_dims=(16,), latent_dim=2), seed=0)
    x = vaelib.load_mnist("test").images[:500]
    with torch.no_grad():
        mu, log_sigma = model.encode(x)
    aggregate = np.var(mu[:, 0].double().numpy()) + np.mean(np.exp(2 * log_sigma[:, 0].double().numpy()))
    passes(capsys, nb07.aggregate_variance, aggregate, model, x)
    with pytest.raises(AssertionError, match="07.2"):
        nb07.aggregate_variance(np.var(mu[:, 0].double().numpy()), model, x)  # the means alone
    labels = vaelib.load_mnist("test").labels[:500]
    decoded = torch.sigmoid(model.decode(torch.zeros(1, 2))).detach()
    nearest = int(labels[((x - decoded) ** 2).sum(1).argmin()])
    passes(capsys, nb07.digit_at_origin, nearest, model, x, labels)
    with pytest.raises(AssertionError, match="07.3"):
        nb07.digit_at_origin((nearest + 1) % 10, model, x, labels)


# --- notebook 08 ---------------------------------------------------------------------------------


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


# --- the code-writing exercises: each planted mistake is named -----------------------------------


def _kl(mu, log_sigma, sigma_power=2, log_factor=2, half=0.5):
    return half * (mu**2 + torch.exp(sigma_power * log_sigma) - log_factor * log_sigma - 1).sum(1)


def _bce(logits, x):
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)


NEGATIVE_ELBO_MISTAKES = {
    "wrong sign": lambda lo, x, mu, ls: (_bce(lo, x) - _kl(mu, ls)).mean(),
    "averaged over the 784 pixels": lambda lo, x, mu, ls: (
        torch.nn.functional.binary_cross_entropy_with_logits(lo, x) + _kl(mu, ls).mean()),
    "sigma appears where sigma^2 belongs": lambda lo, x, mu, ls: (_bce(lo, x) + _kl(mu, ls, sigma_power=1)).mean(),
    "log sigma appears where log sigma^2": lambda lo, x, mu, ls: (_bce(lo, x) + _kl(mu, ls, log_factor=1)).mean(),
    "factor 1/2": lambda lo, x, mu, ls: (_bce(lo, x) + _kl(mu, ls, half=1.0)).mean(),
    "summed over the batch": lambda lo, x, mu, ls: (_bce(lo, x) + _kl(mu, ls)).sum(),
    "KL term is missing": lambda lo, x, mu, ls: _bce(lo, x).mean(),
    "through a sigmoid": lambda lo, x, mu, ls: (_bce(torch.sigmoid(lo), x) + _kl(mu, ls)).mean(),
    "one value per image": lambda lo, x, mu, ls: _bce(lo, x) + _kl(mu, ls),
    "batch of 2": lambda lo, x, mu, ls: (_bce(lo, x) + _kl(mu, ls)).sum() / 8,
    "raised ZeroDivisionError": lambda lo, x, mu, ls: 1 / 0,
}


def test_notebook_06_negative_elbo_by_hand(capsys):
    passes(capsys, nb06.negative_elbo, lambda lo, x, mu, ls: (_bce(lo, x) + _kl(mu, ls)).mean())
    passes(capsys, nb06.negative_elbo,  # the notebook's own version returns (total, reconstruction, kl)
           lambda lo, x, mu, ls: ((_bce(lo, x) + _kl(mu, ls)).mean(), _bce(lo, x).mean(), _kl(mu, ls).mean()))
    assert nb06.negative_elbo(lambda lo, x, mu, ls: None) is None
    assert "write the body of the function" in capsys.readouterr().out
    for mistake, function in NEGATIVE_ELBO_MISTAKES.items():
        with pytest.raises(AssertionError, match=f"Exercise 06.1: .*{re.escape(mistake)}") as info:
            nb06.negative_elbo(function)
        assert str(info.value).count("Exercise 06.1") == 1, mistake


def test_notebook_05_reparameterize_by_hand(capsys):
    passes(capsys, nb05.reparameterize, lambda mu, log_sigma, eps: mu + torch.exp(log_sigma) * eps)
    assert nb05.reparameterize(lambda mu, log_sigma, eps: None) is None
    assert "write the body" in capsys.readouterr().out
    mistakes = {
        "sigma\\^2 = exp\\(2 log_sigma\\) appears": lambda mu, ls, eps: mu + torch.exp(2 * ls) * eps,
        "log_sigma is used as if it were sigma": lambda mu, ls, eps: mu + ls * eps,
        "log-variance": lambda mu, ls, eps: mu + torch.exp(ls / 2) * eps,
        "mu is missing": lambda mu, ls, eps: torch.exp(ls) * eps,
        "no gradient can flow back": lambda mu, ls, eps: (mu + torch.exp(ls) * eps).detach(),
        "part of the computation detached": lambda mu, ls, eps: mu + torch.exp(ls.detach()) * eps,
        "expected a tensor of shape": lambda mu, ls, eps: (mu + torch.exp(ls) * eps).sum(),
    }
    for mistake, function in mistakes.items():
        with pytest.raises(AssertionError, match=f"Exercise 05.4: .*{mistake}"):
            nb05.reparameterize(function)


def test_notebook_07_latent_grid_by_hand(capsys):
    from scipy.stats import norm

    def grid(n, edge, values=None, flip=True, swap=False):
        v = norm.ppf(np.linspace(edge, 1 - edge, n)) if values is None else values(n, edge)
        a, b = np.meshgrid(v, v[::-1] if flip else v)
        points = np.stack([a.ravel(), b.ravel()], axis=1)
        return points[:, ::-1] if swap else points

    passes(capsys, nb07.latent_grid, grid)
    mistakes = {
        "probabilities themselves": lambda n, e: grid(n, e, values=lambda n, e: np.linspace(e, 1 - e, n)),
        "evenly spaced in z": lambda n, e: grid(n, e, values=lambda n, e: np.linspace(norm.ppf(e), norm.ppf(1 - e), n)),
        "run from the bottom up": lambda n, e: grid(n, e, flip=False),
        "swapped": lambda n, e: grid(n, e, swap=True),
        "use the arguments": lambda n, e: grid(5, 0.05),
        "expected shape": lambda n, e: grid(n, e)[:-1],
    }
    for mistake, function in mistakes.items():
        with pytest.raises(AssertionError, match=f"Exercise 07.4: .*{mistake}"):
            nb07.latent_grid(function)


class _TinyHandVAE(torch.nn.Module):
    """The notebook's HandVAE, written again here: the check builds one and trains it with the learner's step."""

    def __init__(self, input_dim=784, hidden_dim=16, latent_dim=3):
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Linear(input_dim, hidden_dim), torch.nn.ReLU())
        self.fc_mu, self.fc_log_sigma = torch.nn.Linear(hidden_dim, latent_dim), torch.nn.Linear(hidden_dim, latent_dim)
        self.decoder = torch.nn.Sequential(torch.nn.Linear(latent_dim, hidden_dim), torch.nn.ReLU(),
                                           torch.nn.Linear(hidden_dim, input_dim))

    def forward(self, x, eps):
        h = self.encoder(x)
        mu, log_sigma = self.fc_mu(h), self.fc_log_sigma(h)
        return self.decoder(mu + torch.exp(log_sigma) * eps), mu, log_sigma


def _step(model, optimizer, x, eps, zero=True, update=True, sign=1.0, as_tensor=False):
    logits, mu, log_sigma = model(x, eps)
    loss = (_bce(logits, x) + _kl(mu, log_sigma)).mean()
    if zero:
        optimizer.zero_grad()
    (sign * loss).backward()
    if update:
        optimizer.step()
    return loss if as_tensor else loss.item()


def test_notebook_06_training_step_by_hand(capsys):
    passes(capsys, nb06.training_step, _step, _TinyHandVAE)
    assert nb06.training_step(lambda *a: None, _TinyHandVAE) is None
    mistakes = {
        "call optimizer.step()": lambda *a: _step(*a, update=False),
        "call optimizer.zero_grad()": lambda *a: _step(*a, zero=False),
        "moved uphill": lambda *a: _step(*a, sign=-1.0),
        "Python float": lambda *a: _step(*a, as_tensor=True),
        "not where two correct steps": lambda m, o, x, e: _step(m, o, x.round(), e),
    }
    for mistake, function in mistakes.items():
        with pytest.raises(AssertionError, match=f"Exercise 06.6: .*{re.escape(mistake)}"):
            nb06.training_step(function, _TinyHandVAE)


def test_notebook_06_gaussian_fit_share(capsys):
    """With the shipped autoencoder and classifier, against the share counted here without the check's code."""
    ae, classifier = pretrained.load_pretrained("ae-20d"), pretrained.load_pretrained("digit-classifier")
    pixels = vaelib.load_mnist("test").pixels[:2000]
    z = torch.randn(500, 20, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        codes = ae.encode(pixels / 255)
        confident = lambda images: (classifier(images).softmax(1).max(1).values >= 0.9).double().mean().item()  # noqa: E731
        share = confident(torch.sigmoid(ae.decode(codes.mean(0) + codes.std(0) * z)))
        raw_share = confident(torch.sigmoid(ae.decode(z)))
    assert share - raw_share > 0.1, "the planted 'raw draws' mistake must be distinguishable"
    passes(capsys, nb06.gaussian_fit_share, share, ae, classifier, z, pixels)
    with pytest.raises(AssertionError, match="raw draws"):
        nb06.gaussian_fit_share(raw_share, ae, classifier, z, pixels)
    with pytest.raises(AssertionError, match="percentage"):
        nb06.gaussian_fit_share(100 * share, ae, classifier, z, pixels)
