"""SymPy building blocks for deriving the ELBO and the Gaussian KL divergence (notebooks 03-05).

Follows Kingma & Welling (2013), "Auto-Encoding Variational Bayes", section 2.2 and appendix B.
Inside:

- ``gaussian_density``, ``gaussian_log_density``: N(z; mean, std^2) as SymPy expressions;
- ``standard_normal_moment``, ``gaussian_expectation``, ``diagonal_gaussian_expectation``: E[f(z)]
  under a Gaussian, computed by substituting z = mean + std * t and integrating against the standard
  normal density term by term in powers of t (far faster than integrating the raw density);
- ``integrate_real_line``: an integral over the real line, by completing the square when it can;
- ``kl_gaussian_integral`` / ``kl_gaussian_closed_form``: KL(N(mu_q, sigma_q^2) || N(mu_p, sigma_p^2));
  ``kl_standard_normal``: the VAE latent loss; ``kl_diagonal_integral`` / ``kl_diagonal_closed_form``:
  the K-dimensional diagonal case;
- ``is_identity`` (``sp.simplify(a - b) == 0``) and ``to_function`` (lambdify into NumPy or PyTorch).

(``vaelib.equations`` writes a derivation's lines so that what is printed is what these functions
check; ``vaelib.chains`` holds the seed article's derivations, ``vaelib.audit`` its verdict table.)

Scales must be known positive (``sp.Symbol("sigma", positive=True)``): that assumption is what lets
log(sqrt(2*pi*sigma**2)) split into log(2*pi)/2 + log(sigma).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import sympy as sp

_T = sp.Dummy("t", real=True)  # the standard normal variable of the moments
_STANDARD_NORMAL = sp.exp(-(_T**2) / 2) / sp.sqrt(2 * sp.pi)


def _expr(value, name: str) -> sp.Expr:
    """``value`` as a SymPy expression, or a TypeError that says what was expected."""
    try:
        expr = sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError):
        expr = None
    if not isinstance(expr, sp.Expr):
        raise TypeError(f"{name} must be a SymPy expression or a number, got {type(value).__name__}")
    return expr


def _scale(value, name: str) -> sp.Expr:
    expr = _expr(value, name)
    if expr.is_positive is not True:
        raise ValueError(f"{name} must be known to be positive, e.g. sp.Symbol('sigma', positive=True); got {expr}")
    return expr


def _variable(value, name: str) -> sp.Symbol:
    if not isinstance(value, sp.Symbol):
        raise TypeError(f"{name} must be a SymPy Symbol, got {type(value).__name__}")
    if value.is_real is not True:
        raise ValueError(f"{name} must be a real symbol, e.g. sp.Symbol('{value}', real=True)")
    return value


def gaussian_density(z, mean, std) -> sp.Expr:
    """N(z; mean, std^2) = exp(-(z - mean)^2 / (2 std^2)) / sqrt(2 pi std^2)."""
    z, mean, std = _expr(z, "z"), _expr(mean, "mean"), _scale(std, "std")
    return sp.exp(-((z - mean) ** 2) / (2 * std**2)) / sp.sqrt(2 * sp.pi * std**2)


def gaussian_log_density(z, mean, std) -> sp.Expr:
    """log N(z; mean, std^2) = -(z - mean)^2 / (2 std^2) - log(std) - log(2 pi) / 2."""
    z, mean, std = _expr(z, "z"), _expr(mean, "mean"), _scale(std, "std")
    return -((z - mean) ** 2) / (2 * std**2) - sp.log(std) - sp.log(2 * sp.pi) / 2


@functools.cache
def standard_normal_moment(n: int) -> sp.Expr:
    """E[t^n] for t ~ N(0, 1), by integrating t^n exp(-t^2/2) / sqrt(2 pi) over the real line."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    return sp.integrate(_T**n * _STANDARD_NORMAL, (_T, -sp.oo, sp.oo))


def _normalize(expr: sp.Expr) -> sp.Expr:
    """Split logs of products (valid: every factor is known positive) and multiply out."""
    return sp.expand(sp.expand_log(expr))


def diagonal_gaussian_expectation(expr, zs: Sequence, means: Sequence, stds: Sequence) -> sp.Expr:
    """E[expr] for independent z_k ~ N(means[k], stds[k]^2), k = 1..K.

    Each z_k is replaced by means[k] + stds[k] * t_k. When the result is a polynomial in the t_k
    (true for any log-density of Gaussians), the expectation is a sum of products of standard
    normal moments; otherwise the integral against the standard normal densities is done directly.
    """
    expr = _expr(expr, "expr")
    if not (len(zs) == len(means) == len(stds)) or len(zs) == 0:
        raise ValueError(f"zs, means and stds must have the same length >= 1, got {len(zs)}, {len(means)}, {len(stds)}")
    zs = [_variable(z, f"zs[{k}]") for k, z in enumerate(zs)]
    means = [_expr(m, f"means[{k}]") for k, m in enumerate(means)]
    stds = [_scale(s, f"stds[{k}]") for k, s in enumerate(stds)]
    ts = [sp.Dummy(f"t{k}", real=True) for k in range(len(zs))]
    substituted = _normalize(expr.subs({z: m + s * t for z, m, s, t in zip(zs, means, stds, ts)}, simultaneous=True))
    if substituted.is_polynomial(*ts):
        terms = sp.Poly(substituted, *ts).terms()
        return sp.Add(*[c * sp.Mul(*[standard_normal_moment(int(p)) for p in powers]) for powers, c in terms])
    density = sp.Mul(*[_STANDARD_NORMAL.subs(_T, t) for t in ts])
    return sp.integrate(substituted * density, *[(t, -sp.oo, sp.oo) for t in ts])


def gaussian_expectation(expr, z, mean=0, std=1) -> sp.Expr:
    """E[expr] for z ~ N(mean, std^2): substitute z = mean + std * t, integrate against N(t; 0, 1)."""
    return diagonal_gaussian_expectation(expr, [z], [mean], [std])


@functools.cache
def _centred_gaussian_integral() -> tuple[sp.Symbol, sp.Symbol, sp.Expr]:
    """SymPy's value of the integral of exp(-a (u - h)^2) over the real line, for a > 0."""
    a, h, u = sp.Dummy("a", positive=True), sp.Dummy("h", real=True), sp.Dummy("u", real=True)
    return a, h, sp.integrate(sp.exp(-a * (u - h) ** 2), (u, -sp.oo, sp.oo))


def integrate_real_line(expr, z) -> sp.Expr:
    """Integral of ``expr`` over z in (-oo, oo); fast when ``expr`` = C * exp(quadratic in z).

    The exponentials are combined into one, exp(E(z)), and the square completed:
    E = -a (z - h)^2 + k with a > 0. SymPy integrates the centred Gaussian exp(-a (u - h)^2) once, in
    a fraction of a second, where the raw product of densities takes it several seconds. Integrands
    of any other form are handed to ``sp.integrate`` unchanged.
    """
    expr, z = _expr(expr, "expr"), _variable(z, "z")
    factor, rest = sp.powsimp(sp.expand(expr)).as_independent(z, as_Add=False)
    if isinstance(rest, sp.exp):
        exponent = sp.expand(rest.args[0])
        if exponent.is_polynomial(z) and sp.degree(exponent, z) == 2:
            a = -exponent.coeff(z, 2)
            if a.is_positive:
                h = exponent.coeff(z, 1) / (2 * a)
                k = exponent.coeff(z, 0) + a * h**2
                if sp.cancel(-a * (z - h) ** 2 + k - exponent) != 0:  # the completed square
                    raise ArithmeticError(f"completing the square failed for {exponent}")
                a_, h_, value = _centred_gaussian_integral()
                return factor * sp.exp(k) * value.subs({a_: a, h_: h})
    return sp.integrate(expr, (z, -sp.oo, sp.oo))


def kl_gaussian_integral(mu_q, sigma_q, mu_p, sigma_p) -> sp.Expr:
    """KL(N(mu_q, sigma_q^2) || N(mu_p, sigma_p^2)) = E_q[log q(z) - log p(z)], integrated by SymPy."""
    z = sp.Dummy("z", real=True)
    log_ratio = gaussian_log_density(z, mu_q, sigma_q) - gaussian_log_density(z, mu_p, sigma_p)
    return gaussian_expectation(log_ratio, z, mu_q, sigma_q)


def kl_gaussian_closed_form(mu_q, sigma_q, mu_p, sigma_p) -> sp.Expr:
    """The formula: log(sigma_p / sigma_q) + (sigma_q^2 + (mu_q - mu_p)^2) / (2 sigma_p^2) - 1/2."""
    mu_q, mu_p = _expr(mu_q, "mu_q"), _expr(mu_p, "mu_p")
    sigma_q, sigma_p = _scale(sigma_q, "sigma_q"), _scale(sigma_p, "sigma_p")
    return sp.log(sigma_p / sigma_q) + (sigma_q**2 + (mu_q - mu_p) ** 2) / (2 * sigma_p**2) - sp.Rational(1, 2)


def kl_standard_normal(mu, sigma) -> sp.Expr:
    """KL(N(mu, sigma^2) || N(0, 1)) = (mu^2 + sigma^2 - log sigma^2 - 1) / 2, the VAE latent loss."""
    mu, sigma = _expr(mu, "mu"), _scale(sigma, "sigma")
    return (mu**2 + sigma**2 - sp.log(sigma**2) - 1) / 2


def _prior_defaults(mus, sigmas, mus_p, sigmas_p):
    if len(mus) != len(sigmas) or len(mus) == 0:
        raise ValueError(f"mus and sigmas must have the same length >= 1, got {len(mus)} and {len(sigmas)}")
    mus_p = [sp.Integer(0)] * len(mus) if mus_p is None else list(mus_p)
    sigmas_p = [sp.Integer(1)] * len(mus) if sigmas_p is None else list(sigmas_p)
    if len(mus_p) != len(mus) or len(sigmas_p) != len(mus):
        raise ValueError(f"the prior needs {len(mus)} means and scales, got {len(mus_p)} and {len(sigmas_p)}")
    return mus_p, sigmas_p


def kl_diagonal_integral(mus, sigmas, mus_p=None, sigmas_p=None) -> sp.Expr:
    """KL between K-dimensional diagonal Gaussians (default p = N(0, I)), as one K-dimensional integral."""
    mus_p, sigmas_p = _prior_defaults(mus, sigmas, mus_p, sigmas_p)
    zs = [sp.Dummy(f"z{k}", real=True) for k in range(len(mus))]
    log_q = sp.Add(*[gaussian_log_density(z, m, s) for z, m, s in zip(zs, mus, sigmas)])
    log_p = sp.Add(*[gaussian_log_density(z, m, s) for z, m, s in zip(zs, mus_p, sigmas_p)])
    return diagonal_gaussian_expectation(log_q - log_p, zs, mus, sigmas)


def kl_diagonal_closed_form(mus, sigmas, mus_p=None, sigmas_p=None) -> sp.Expr:
    """Sum over k of the one-dimensional closed form (default p = N(0, I))."""
    mus_p, sigmas_p = _prior_defaults(mus, sigmas, mus_p, sigmas_p)
    return sp.Add(*[kl_gaussian_closed_form(*args) for args in zip(mus, sigmas, mus_p, sigmas_p)])


def is_identity(a, b) -> bool:
    """True when SymPy proves a == b, i.e. ``sp.simplify(a - b) == 0``."""
    return sp.simplify(_expr(a, "a") - _expr(b, "b")) == 0


def to_function(expr, args: Sequence[sp.Symbol], backend: str = "numpy") -> Callable:
    """A numeric function of ``args`` computing ``expr``, via ``sp.lambdify`` ("numpy" or "torch").

    The torch version takes tensors (Python numbers fail inside torch.log and friends).
    """
    if backend not in ("numpy", "torch"):
        raise ValueError(f"backend must be 'numpy' or 'torch', got {backend!r}")
    for a in args:
        if not isinstance(a, sp.Symbol):
            raise TypeError(f"args must be SymPy Symbols, got {type(a).__name__}")
    expr = _expr(expr, "expr")
    if backend == "torch":  # torch.log(2) fails on a Python number: evaluate constants like log(2*pi) first
        expr = expr.replace(lambda e: isinstance(e, sp.Function) and e.is_number, lambda e: e.evalf(20))
    return sp.lambdify(list(args), expr, modules=backend)
