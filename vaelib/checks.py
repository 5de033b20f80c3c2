"""Answer checks for the exercises: the learner passes an answer, the check says right or wrong and why.

Each exercise cell in a notebook ends with ``check_...(answer)``. While the answer is still ``None``
the check says so and returns None (so nothing like ``False`` appears under the cell), so a notebook runs top to bottom before anyone has tried; a
wrong answer raises ``AssertionError`` with what was expected, what came back and a hint. The worked
solutions (``notebooks/solutions/``) call the same checks with real answers, and CI runs them.
"""

from __future__ import annotations

import numpy as np
import torch

NOT_ATTEMPTED = "Not attempted yet: replace None with your answer and run the cell again."


def _to_numpy(value) -> np.ndarray:
    if torch.is_tensor(value):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)


def _show(value: np.ndarray, digits: int = 6) -> str:
    return f"{value.item():.{digits}g}" if value.size == 1 else np.array2string(value, precision=digits - 2)


def _show_pair(want: np.ndarray, got: np.ndarray) -> tuple[str, str]:
    """Expected and got as text, with enough digits that two different numbers never print the same."""
    for digits in (6, 10, 14):
        shown = _show(want, digits), _show(got, digits)
        if shown[0] != shown[1]:
            break
    return shown


def _tolerance(rtol: float, atol: float) -> str:
    """The tolerance of ``np.allclose(got, want, rtol, atol)`` in words (atol <= 1e-6 counts as none)."""
    if rtol == 0:
        return f"absolute error {atol:g}"
    if atol <= 1e-6:
        return f"relative error {rtol:g}"
    return f"absolute error {atol:g} plus relative error {rtol:g}"


def check_close(name: str, answer, expected, *, rtol: float = 1e-3, atol: float = 1e-6, hint: str = "") -> bool:
    """Compare a numeric answer (scalar or array) with the expected value.

    Returns None (and prints a reminder) when ``answer`` is None, True when it matches; raises
    ``AssertionError`` with the expected value, the answer and ``hint`` when it does not.
    """
    if answer is None:
        print(f"{name}: {NOT_ATTEMPTED}")
        return None  # nothing to show under the cell: the learner has not answered yet
    try:
        got = _to_numpy(answer)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{name}: expected a number or an array of numbers, got {type(answer).__name__} {answer!r:.60}. {hint}".strip()
        ) from None
    want = _to_numpy(expected)
    if got.shape != want.shape:
        raise AssertionError(f"{name}: expected shape {want.shape}, got {got.shape}. {hint}".strip())
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        want_text, got_text = _show_pair(want, got)
        raise AssertionError(
            f"{name}: expected {want_text}, got {got_text} (allowed: {_tolerance(rtol, atol)}). {hint}".strip()
        )
    print(f"{name}: correct.")
    return True


def check_true(name: str, answer, condition, message: str) -> bool:
    """For answers judged by a property rather than a value: ``condition(answer)`` must hold."""
    if answer is None:
        print(f"{name}: {NOT_ATTEMPTED}")
        return None  # nothing to show under the cell: the learner has not answered yet
    if not condition(answer):
        raise AssertionError(f"{name}: {message}")
    print(f"{name}: correct.")
    return True


# --- notebook 00 -------------------------------------------------------------------------------


def check_fraction_of_blank_pixels(answer) -> bool:
    """Exercise 00.1: the fraction of all training-set pixels that are exactly 0."""
    from .data import load_mnist_pixels

    if answer is None:
        return check_close("Exercise 00.1", None, 0.0)
    pixels = load_mnist_pixels("train")  # uint8: a quarter of the memory of the float images
    expected = np.count_nonzero(pixels == 0) / pixels.size
    return check_close(
        "Exercise 00.1", answer, expected, rtol=1e-4,
        hint="Give a fraction between 0 and 1 (not a percentage), computed exactly: compare the images "
        "tensor with 0 and average the booleans over all 60,000 x 784 pixels.",
    )


def check_most_frequent_digit(answer) -> bool:
    """Exercise 00.2: the digit that occurs most often among the training labels."""
    from .data import load_mnist

    if answer is None:
        return check_true("Exercise 00.2", None, bool, "")
    counts = torch.bincount(load_mnist("train").labels, minlength=10)
    if isinstance(answer, (float, torch.Tensor, np.number)) and float(answer) == int(answer):
        answer = int(answer)  # 1.0 or tensor(1) mean the digit 1
    if answer not in range(10):
        raise AssertionError(f"Exercise 00.2: expected one digit, an int from 0 to 9, got {answer!r}")
    message = (
        f"digit {answer} occurs {int(counts[answer])} times, but another digit occurs "
        f"{int(counts.max())} times. Hint: torch.bincount(labels) counts each digit."
    )
    return check_true("Exercise 00.2", answer, lambda a: a == int(counts.argmax()), message)


# --- notebook 01 -------------------------------------------------------------------------------


def check_explained_variance(answer) -> bool:
    """Exercise 01.1: fraction of the training images' pixel variance along the top 2 principal components."""
    from .data import load_mnist

    if answer is None:
        return check_close("Exercise 01.1", None, 0.0)
    x = load_mnist("train").images
    centred = x - x.mean(dim=0)  # float32: one fast product, ample for rtol 1e-3
    eigenvalues = torch.linalg.eigvalsh((centred.T @ centred).double() / len(x)).numpy()  # ascending
    return check_close(
        "Exercise 01.1", answer, eigenvalues[-2:].sum() / eigenvalues.sum(), rtol=1e-3,
        hint="Divide the two largest variances (pca(...).variances) by the total variance over all 784 pixels.",
    )


def check_principal_angles_example(answer) -> bool:
    """Exercise 01.2: principal angles, in degrees and ascending, between span(e1, e2) and span(e1, e2 + e3)."""
    from scipy.linalg import subspace_angles

    if answer is None:
        return check_close("Exercise 01.2", None, 0.0)
    a = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    b = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    expected = np.sort(np.degrees(subspace_angles(a, b)))
    hint = "e1 lies in both planes; for the second angle, compare e2 with the unit vector (e2 + e3) / sqrt(2)."
    got = _to_numpy(answer) if isinstance(answer, (list, tuple, np.ndarray, torch.Tensor)) else None
    if got is not None and got.shape == expected.shape:
        if np.allclose(got, expected[::-1], atol=0.1) and not np.allclose(got, expected, atol=0.1):
            hint = "The two values look swapped: give the smaller angle first. " + hint
        elif np.allclose(got, np.radians(expected), atol=1e-3):
            hint = "These look like radians: degrees? (np.degrees converts.) " + hint
    return check_close("Exercise 01.2", answer, expected, atol=0.1, hint=hint)


def check_rescaled_autoencoder(answer, model) -> bool:
    """Exercise 01.3: [largest |difference| of the pixel probabilities, ratio of code spreads] for a copy of
    ``model`` with A = [[10, 0], [3, 0.5]] folded into the encoder's last layer and A^{-1} into the
    decoder's first layer, on the first 1,000 test images; the spread is the root mean square distance
    of the codes from their mean (new over old)."""
    import copy

    from .data import load_mnist

    name = "Exercise 01.3"
    if answer is None:
        return check_close(name, None, 0.0)
    try:
        got = _to_numpy(answer)
    except (TypeError, ValueError):
        got = np.zeros(0)
    if got.shape != (2,):
        raise AssertionError(f"{name}: expected two numbers [largest difference, spread ratio], got {answer!r:.80}")
    a = torch.tensor([[10.0, 0.0], [3.0, 0.5]])
    x = load_mnist("test").images[:1000]
    edited = copy.deepcopy(model)  # the learner's model is left untouched
    with torch.no_grad():
        edited.encoder[-1].weight.copy_(a @ edited.encoder[-1].weight)
        edited.encoder[-1].bias.copy_(a @ edited.encoder[-1].bias)
        edited.decoder[0].weight.copy_(edited.decoder[0].weight @ torch.linalg.inv(a))
        z, z_new = model.encode(x), edited.encode(x)
        spread = lambda c: (c - c.mean(dim=0)).square().sum(dim=1).mean().sqrt().item()  # noqa: E731
        ratio = spread(z_new) / spread(z)
    if not 0 <= got[0] < 1e-3:
        raise AssertionError(
            f"{name}: the reconstructions should agree up to float32 rounding (largest difference below 1e-3), "
            f"got {got[0]:.3g}. Hint: the encoder's last layer becomes (A W, A b), the decoder's first layer W A^(-1) "
            "with its bias unchanged; compare torch.sigmoid(model(x)) with torch.sigmoid(edited(x)).")
    return check_close(name, got[1], ratio, rtol=1e-2,
                       hint="The spread is the root mean square distance of the 1,000 codes from their mean; divide the "
                       "edited model's spread by the original's.")


# --- notebook 02 -------------------------------------------------------------------------------


def check_coin_kl(answer) -> bool:
    """Exercise 02.1: [KL(p || q), KL(q || p)] in nats for p = (0.9, 0.1) and q = (0.5, 0.5)."""
    from scipy.stats import entropy

    if answer is None:
        return check_close("Exercise 02.1", None, 0.0)
    p, q = [0.9, 0.1], [0.5, 0.5]
    expected = np.array([entropy(p, q), entropy(q, p)])
    hint = "Sum p_i log(p_i / q_i) with natural logs, then swap the roles of p and q."
    got = _to_numpy(answer) if isinstance(answer, (list, tuple, np.ndarray, torch.Tensor)) else None
    if got is not None and got.shape == (2,) and np.allclose(got, expected[::-1], rtol=1e-3):
        hint = "The two values look swapped: first KL(p || q), then KL(q || p). " + hint
    return check_close("Exercise 02.1", answer, expected, rtol=1e-3, hint=hint)


def check_encoder_kl(answer) -> bool:
    """Exercise 02.2: KL(N(mu, diag sigma^2) || N(0, I)) in nats for mu = (1, -2), log_sigma = (0, -1)."""
    from torch.distributions import Normal, kl_divergence

    if answer is None:
        return check_close("Exercise 02.2", None, 0.0)
    mu, log_sigma = torch.tensor([1.0, -2.0], dtype=torch.float64), torch.tensor([0.0, -1.0], dtype=torch.float64)
    expected = kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).sum().item()
    return check_close(
        "Exercise 02.2", answer, expected, rtol=1e-3,
        hint="Use 1/2 (mu^2 + sigma^2 - 2 log sigma - 1) for each dimension and add the two dimensions.",
    )


def check_uniform_kl(answer) -> bool:
    """Exercise 02.3: [KL(U(0, 1) || U(0, 2)), KL(U(0, 2) || U(0, 1))] in nats (math.inf allowed)."""
    if answer is None:
        return check_close("Exercise 02.3", None, 0.0)
    forward = np.log(1.0 / 0.5)  # the integral over [0, 1] of p log(p / q) with p = 1 and q = 1/2
    # q = U(0, 2) puts mass 1/2 on (1, 2], where U(0, 1) has density 0: log(q / 0) there is infinite
    return check_close(
        "Exercise 02.3", answer, [forward, np.inf], rtol=1e-3,
        hint="Integrate p log(p / q) over where p > 0; what happens where p > 0 but q = 0?",
    )


# --- notebooks 03 and 04: the ELBO and the Gaussian KL -----------------------------------------


def _symbolic_match(name: str, answer, expected, symbols: dict, hint: str) -> bool:
    """check_true for SymPy answers, compared numerically so that symbol names and assumptions don't matter.

    ``symbols`` maps each symbol name of ``expected`` to (accepted names, "real" or "positive"). The
    learner's symbols are matched by name (``lam`` and ``lambda`` alike, with or without assumptions)
    and both expressions are evaluated at 6 random points (positive values for the scales).
    """
    import sympy as sp

    if answer is None:
        return check_true(name, None, bool, "")
    try:
        got = sp.sympify(answer, strict=True)
    except (sp.SympifyError, TypeError):
        got = None
    if not isinstance(got, sp.Expr):
        raise AssertionError(f"{name}: expected a SymPy expression, got {type(answer).__name__}. {hint}".strip())
    by_name = {alias: key for key, (aliases, _) in symbols.items() for alias in aliases}
    unknown = sorted(str(s) for s in got.free_symbols if str(s) not in by_name)
    if unknown:
        allowed = ", ".join(" or ".join(aliases) for aliases, _ in symbols.values())
        raise AssertionError(f"{name}: your expression contains {', '.join(unknown)}; use only the symbols {allowed}. {hint}".strip())
    reference = {str(s): s for s in expected.free_symbols}
    rng = np.random.default_rng(0)
    for _ in range(6):
        point = {key: rng.uniform(-2.0, 2.0) if kind == "real" else rng.uniform(0.2, 3.0) for key, (_, kind) in symbols.items()}
        want = complex(expected.subs({reference[k]: v for k, v in point.items() if k in reference}).evalf())
        value = complex(got.subs({s: point[by_name[str(s)]] for s in got.free_symbols}).evalf())
        if not np.isclose(value, want, rtol=1e-9, atol=1e-12):
            at = ", ".join(f"{k} = {v:.3f}" for k, v in point.items())
            raise AssertionError(
                f"{name}: at {at} the expected value is {want.real:.6g}, your expression gives {value.real:.6g}"
                f"{'' if abs(value.imag) < 1e-12 else f' + {value.imag:.3g}i'}. {hint}".strip()
            )
    print(f"{name}: correct.")
    return True


def check_monte_carlo_elbo(answer) -> bool:
    """Exercise 03.1: a Monte Carlo estimate of the ELBO of q = N(0, 0.5^2), model w=2, b=0.5, s=0.8, x=1.5."""
    from .linear_gaussian import LinearGaussian

    if answer is None:
        return check_close("Exercise 03.1", None, 0.0)
    model = LinearGaussian.scalar(w=2.0, b=0.5, s=0.8)
    one = torch.ones(1, 1, dtype=torch.float64)
    expected = model.elbo(1.5 * one, 0.0 * one, 0.5 * one).item()
    return check_close(
        "Exercise 03.1", answer, expected, rtol=0, atol=0.02,
        hint="Draw z = mu + sigma * eps of shape (samples, n, K) = (100000, 1, 1) and average "
        "log p(x, z) - log q(z | x) over the draws (the logs, not the ratio p / q).",
    )


def check_optimal_q(answer) -> bool:
    """Exercise 03.2: (mu, sigma) maximizing the ELBO of the scalar linear-Gaussian model, in x, w, b, s."""
    import sympy as sp

    from .linear_gaussian import symbolic_model

    name = "Exercise 03.2"
    if answer is None:
        return check_true(name, None, bool, "")
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2):
        raise AssertionError(f"{name}: expected a pair (mu, sigma) of SymPy expressions, got {answer!r}")
    z, x, w, b = sp.symbols("z x w b", real=True)
    model = symbolic_model(z, x, w, b, sp.Symbol("s", positive=True))
    symbols = {"x": (("x",), "real"), "w": (("w",), "real"), "b": (("b",), "real"), "s": (("s",), "positive")}
    hint = ("Solve d ELBO / d mu = 0 and d ELBO / d sigma = 0 for (mu, sigma) with the notebook's symbols: "
            "x, w, b, mu real; s, sigma positive. The answer may contain only x, w, b and s.")
    return _symbolic_match(f"{name} (mu)", answer[0], model.posterior_mean, symbols, hint) and _symbolic_match(
        f"{name} (sigma)", answer[1], model.posterior_std, symbols, hint
    )


def check_gap_at_double_width(answer) -> bool:
    """Exercise 03.3: log p(x) - ELBO in nats when q has the posterior's mean and twice its standard deviation."""
    from .linear_gaussian import LinearGaussian

    if answer is None:
        return check_close("Exercise 03.3", None, 0.0)
    model = LinearGaussian.scalar(w=2.0, b=0.5, s=0.8)
    x = torch.tensor([[1.5]], dtype=torch.float64)
    mean, cov = model.posterior(x)
    expected = model.kl_to_posterior(x, mean, 2 * cov.sqrt()).item()
    return check_close(
        "Exercise 03.3", answer, expected, rtol=1e-4,
        hint="The gap is KL(q || p(z|x)); for equal means only the ratio of the variances matters.",
    )


def check_kl_wider_prior(answer) -> bool:
    """Exercise 04.1: KL(N(mu, sigma^2) || N(0, lambda^2)) as a SymPy expression in mu, sigma, lambda."""
    import sympy as sp

    from .derive import kl_gaussian_integral

    mu, sigma, lam = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True), sp.Symbol("lambda", positive=True)
    symbols = {"mu": (("mu", "μ"), "real"), "sigma": (("sigma", "σ"), "positive"), "lambda": (("lambda", "lam", "λ"), "positive")}
    return _symbolic_match(
        "Exercise 04.1", answer, kl_gaussian_integral(mu, sigma, 0, lam), symbols,
        "Use the symbols mu = sp.Symbol('mu', real=True), sigma = sp.Symbol('sigma', positive=True) and "
        "lam = sp.Symbol('lambda', positive=True), and the two-Gaussian formula with mu_2 = 0, sigma_2 = lambda.",
    )


def check_reverse_kl(answer) -> bool:
    """Exercise 04.2: [KL(q || p), KL(p || q)] in nats for q = N(2, 0.5^2) and p = N(0, 1)."""
    from torch.distributions import Normal, kl_divergence

    if answer is None:
        return check_close("Exercise 04.2", None, 0.0)
    q, p = Normal(2.0, 0.5), Normal(0.0, 1.0)
    expected = [kl_divergence(q, p).item(), kl_divergence(p, q).item()]
    hint = "In log(sigma_2 / sigma_1) + (sigma_1^2 + (mu_1 - mu_2)^2) / (2 sigma_2^2) - 1/2 the first argument is N(mu_1, sigma_1^2)."
    if np.shape(_to_numpy(answer)) == (2,) and np.allclose(_to_numpy(answer), expected[::-1], rtol=1e-4):
        hint = "Your two numbers are in the wrong order: first KL(q || p), then KL(p || q). " + hint
    return check_close("Exercise 04.2", answer, expected, rtol=1e-4, hint=hint)


def check_kl_from_log_variance(answer) -> bool:
    """Exercise 04.3: a function (mu, log_var) -> KL(N(mu, diag exp(log_var)) || N(0, I)) per row."""
    from .losses import kl_to_standard_normal

    name = "Exercise 04.3"
    if answer is None:
        return check_true(name, None, bool, "")
    if not callable(answer):
        raise AssertionError(f"{name}: expected a function of (mu, log_var), got {type(answer).__name__}")
    g = torch.Generator().manual_seed(0)
    mu, log_var = torch.randn(2, 8, 5, generator=g, dtype=torch.float64)
    got = answer(mu, log_var)
    expected = kl_to_standard_normal(mu, 0.5 * log_var)  # log sigma = log_var / 2
    return check_close(
        name, got, expected, rtol=1e-6,
        hint="sigma^2 = exp(log_var) and log sigma^2 = log_var; sum over dim=1, one value per row.",
    )


# --- notebook 08 -------------------------------------------------------------------------------


def check_bits_per_dim(answer) -> bool:
    """Exercise 08.1: Burda et al.'s 84.78 nats per binarized MNIST image, in bits per dimension."""
    if answer is None:
        return check_close("Exercise 08.1", None, 0.0)
    expected = 84.78 / np.log(2.0) / 784  # nats -> bits (divide by ln 2), then per pixel
    return check_close(
        "Exercise 08.1", answer, expected, rtol=1e-3,
        hint="One bit is ln 2 nats; an image has 28 x 28 = 784 dimensions.",
    )


def check_bound_from_log_weights(answer) -> bool:
    """Exercise 08.2: L_3 = log((w_1 + w_2 + w_3) / 3) from log-weights -1000, -1001, -1003."""
    if answer is None:
        return check_close("Exercise 08.2", None, 0.0)
    log_w = np.array([-1000.0, -1001.0, -1003.0])
    expected = log_w.max() + np.log(np.exp(log_w - log_w.max()).sum()) - np.log(len(log_w))
    hint = "Factor out the largest log-weight before exponentiating (logsumexp), then subtract log 3."
    if np.isfinite(answer) and abs(answer - log_w.mean()) < 1e-6:
        hint = "That is the mean of the log-weights (the ELBO estimate); L_k is the log of the mean weight. " + hint
    elif not np.isfinite(answer):
        hint = "exp(-1000) underflows to 0 in floating point. " + hint
    return check_close("Exercise 08.2", answer, expected, rtol=0, atol=5e-3, hint=hint)  # 2 decimals suffice


def check_effective_beta(answer) -> bool:
    """Exercise 08.3: the beta implied by averaging the reconstruction over a 32x32 colour image's values."""
    if answer is None:
        return check_close("Exercise 08.3", None, 0.0)
    return check_close(
        "Exercise 08.3", answer, 32 * 32 * 3, rtol=1e-6,
        hint="Count the values per image (pixels times colour channels) and multiply the whole loss by it.",
    )


def check_active_units_at_threshold(answer) -> bool:
    """Exercise 08.4: active units of the shipped vae-beta-1 with threshold 0.1 instead of 0.01."""
    from .evaluate import active_units, binarized_test_set, encode_all
    from .pretrained import load_pretrained

    if answer is None:
        return check_close("Exercise 08.4", None, 0.0)
    mu, _ = encode_all(load_pretrained("vae-beta-1"), binarized_test_set())
    expected, _ = active_units(mu, threshold=0.1)
    return check_close(
        "Exercise 08.4", answer, expected, rtol=0, atol=0.5,
        hint="The activity of unit j is the variance of column j of mu over the test images; count those above 0.1.",
    )


# --- notebook 06 -------------------------------------------------------------------------------


def check_blank_image_reconstruction(answer) -> bool:
    """Exercise 06.1: the reconstruction term for an all-black image when every logit is -3."""
    from .losses import bernoulli_nll

    x = torch.zeros(1, 784)
    expected = bernoulli_nll(torch.full_like(x, -3.0), x)[0].item()
    return check_close("Exercise 06.1", answer, expected, rtol=1e-3,  # 38.1 (worked by hand) passes
                       hint="A pixel with value 0 costs -log(1 - sigmoid(logit)) = log(1 + e^logit) nats; sum over 784 pixels.")


def check_pixel_and_latent_mean_beta(answer) -> bool:
    """Exercise 06.2: the beta implied by averaging the reconstruction over 784 pixels and the KL over 20 latents."""
    return check_close("Exercise 06.2", answer, 784 / 20, rtol=1e-6,
                       hint="Write the loss as (reconstruction / 784) + (KL / 20) and multiply through by 784.")


def check_informative_dimensions(answer, model, x) -> bool:
    """Exercise 06.3: how many latent dimensions of ``model`` carry more than 0.1 nats of KL on average over ``x``."""
    from .evaluate import encode_all, kl_per_dimension

    if answer is None:
        return check_close("Exercise 06.3", None, 0.0)
    expected = int((kl_per_dimension(*encode_all(model, x)) > 0.1).sum())
    return check_close("Exercise 06.3", answer, expected, rtol=0, atol=0.5,
                       hint="Compute the KL formula per dimension (do not sum over k), average over the images "
                       "(a vector of one number per latent dimension), count the entries above 0.1.")
