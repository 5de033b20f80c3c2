"""vaelib.derive against SciPy quadrature, torch.distributions, Monte Carlo and formulas written out."""

import math

import numpy as np
import pytest
import sympy as sp
import torch
from scipy import integrate, stats
from torch.distributions import Normal, kl_divergence

from vaelib import derive, losses
from vaelib.linear_gaussian import symbolic_model

z, x, w, b, mu, mu_p = sp.symbols("z x w b mu mu_p", real=True)
s, sigma, sigma_p = sp.symbols("s sigma sigma_p", positive=True)


def _number(expr, values) -> float:
    return float(sp.N(expr.subs(values), 30))


def test_gaussian_density_and_log_density_match_scipy():
    for point, m, sd in [(0.3, -1.2, 0.7), (2.5, 0.0, 1.0), (-4.0, 1.5, 3.2)]:
        values = {z: point, mu: m, sigma: sd}
        density, log_density = derive.gaussian_density(z, mu, sigma), derive.gaussian_log_density(z, mu, sigma)
        assert _number(density, values) == pytest.approx(stats.norm.pdf(point, m, sd), rel=1e-12)
        assert _number(log_density, values) == pytest.approx(stats.norm.logpdf(point, m, sd), rel=1e-12)
    assert derive.is_identity(sp.expand_log(sp.log(density)), log_density)


@pytest.mark.parametrize("n", range(9))
def test_standard_normal_moments_match_quadrature(n):
    reference, _ = integrate.quad(lambda t: t**n * stats.norm.pdf(t), -np.inf, np.inf)
    assert float(derive.standard_normal_moment(n)) == pytest.approx(reference, abs=1e-9)


def test_gaussian_expectation_of_polynomials_and_of_exp():
    assert derive.is_identity(derive.gaussian_expectation(z, z, mu, sigma), mu)
    assert derive.is_identity(derive.gaussian_expectation((z - mu) ** 2, z, mu, sigma), sigma**2)
    assert derive.is_identity(derive.gaussian_expectation((z - mu) ** 4, z, mu, sigma), 3 * sigma**4)
    lognormal_mean = derive.gaussian_expectation(sp.exp(z), z, mu, sigma)  # not polynomial: direct integral
    assert derive.is_identity(lognormal_mean, sp.exp(mu + sigma**2 / 2))
    # a numeric reference for a mixed expression
    f = z**3 - 2 * z + sp.log(sigma) * z**2
    value = _number(derive.gaussian_expectation(f, z, mu, sigma), {mu: 0.4, sigma: 1.7})
    integrand = lambda t: (t**3 - 2 * t + math.log(1.7) * t**2) * stats.norm.pdf(t, 0.4, 1.7)
    reference, _ = integrate.quad(integrand, -np.inf, np.inf)
    assert value == pytest.approx(reference, rel=1e-9)


def test_diagonal_expectation_matches_gauss_hermite_quadrature():
    z1, z2 = sp.symbols("z1 z2", real=True)
    f = z1**2 * z2 + 3 * z1 * z2**2 - z2
    means, stds = (0.5, -1.0), (0.8, 1.3)
    exact_means, exact_stds = [sp.Rational(1, 2), -1], [sp.Rational(4, 5), sp.Rational(13, 10)]
    value = float(derive.diagonal_gaussian_expectation(f, [z1, z2], exact_means, exact_stds))
    nodes, weights = np.polynomial.hermite_e.hermegauss(10)  # exact for polynomials of degree < 20
    weights = weights / math.sqrt(2 * math.pi)
    a, c = np.meshgrid(means[0] + stds[0] * nodes, means[1] + stds[1] * nodes, indexing="ij")
    reference = np.sum(np.outer(weights, weights) * (a**2 * c + 3 * a * c**2 - c))
    assert value == pytest.approx(reference, rel=1e-12)


def test_integrate_real_line_gives_the_evidence_of_the_linear_gaussian_model():
    model = symbolic_model(z, x, w, b, s)
    evidence = derive.integrate_real_line(model.likelihood * model.prior, z)
    values = {x: 1.3, w: -0.7, b: 0.4, s: 0.6}
    joint = lambda t: stats.norm.pdf(1.3, -0.7 * t + 0.4, 0.6) * stats.norm.pdf(t)
    reference, _ = integrate.quad(joint, -np.inf, np.inf)
    assert _number(evidence, values) == pytest.approx(reference, rel=1e-10)
    assert derive.is_identity(evidence, derive.gaussian_density(x, b, sp.sqrt(w**2 + s**2)))


def test_integrate_real_line_falls_back_to_sympy_for_other_integrands():
    value = derive.integrate_real_line(z**2 * sp.exp(-(z**2) / 2), z)
    assert derive.is_identity(value, sp.sqrt(2 * sp.pi))


def test_kl_integral_equals_closed_form_and_torch():
    integral = derive.kl_gaussian_integral(mu, sigma, mu_p, sigma_p)
    closed = derive.kl_gaussian_closed_form(mu, sigma, mu_p, sigma_p)
    assert derive.is_identity(integral, closed)
    g = torch.Generator().manual_seed(0)
    params = torch.randn(20, 4, generator=g, dtype=torch.float64)
    m_q, m_p, s_q, s_p = params[:, 0], params[:, 1], params[:, 2].exp(), params[:, 3].exp()
    ours = derive.to_function(closed, [mu, sigma, mu_p, sigma_p], backend="torch")(m_q, s_q, m_p, s_p)
    torch.testing.assert_close(ours, kl_divergence(Normal(m_q, s_q), Normal(m_p, s_p)), rtol=1e-12, atol=1e-12)


def test_kl_closed_form_matches_quadrature_of_the_definition():
    m_q, s_q, m_p, s_p = 0.7, 0.4, -0.3, 1.6

    def integrand(t):
        return stats.norm.pdf(t, m_q, s_q) * (stats.norm.logpdf(t, m_q, s_q) - stats.norm.logpdf(t, m_p, s_p))

    reference, _ = integrate.quad(integrand, -np.inf, np.inf)
    values = {mu: m_q, sigma: s_q, mu_p: m_p, sigma_p: s_p}
    value = _number(derive.kl_gaussian_closed_form(mu, sigma, mu_p, sigma_p), values)
    assert value == pytest.approx(reference, rel=1e-9)


def test_kl_standard_normal_is_the_special_case_and_matches_vaelib_losses():
    assert derive.is_identity(derive.kl_standard_normal(mu, sigma), derive.kl_gaussian_closed_form(mu, sigma, 0, 1))
    g = torch.Generator().manual_seed(1)
    m, log_sigma = torch.randn(2, 30, 3, generator=g, dtype=torch.float64)
    ours = derive.to_function(derive.kl_standard_normal(mu, sigma), [mu, sigma], "torch")(m, log_sigma.exp()).sum(1)
    torch.testing.assert_close(ours, losses.kl_to_standard_normal(m, log_sigma), rtol=1e-12, atol=1e-12)


def test_kl_standard_normal_matches_monte_carlo():
    g = torch.Generator().manual_seed(2)
    n, m, sd = 400_000, 0.8, 0.5
    t = m + sd * torch.randn(n, generator=g, dtype=torch.float64)
    log_ratio = Normal(m, sd).log_prob(t) - Normal(0.0, 1.0).log_prob(t)
    estimate, stderr = log_ratio.mean().item(), (log_ratio.std() / math.sqrt(n)).item()
    exact = float(derive.kl_standard_normal(sp.Float(m), sp.Float(sd)))
    assert abs(estimate - exact) < 5 * stderr


@pytest.mark.parametrize("k", [1, 2, 3])
def test_kl_diagonal_integral_equals_sum_of_closed_forms(k):
    mus, sigmas = sp.symbols(f"m1:{k + 1}", real=True), sp.symbols(f"s1:{k + 1}", positive=True)
    mus_p, sigmas_p = sp.symbols(f"a1:{k + 1}", real=True), sp.symbols(f"c1:{k + 1}", positive=True)
    assert derive.is_identity(derive.kl_diagonal_integral(mus, sigmas), derive.kl_diagonal_closed_form(mus, sigmas))
    assert derive.is_identity(
        derive.kl_diagonal_integral(mus, sigmas, mus_p, sigmas_p),
        derive.kl_diagonal_closed_form(mus, sigmas, mus_p, sigmas_p),
    )


def test_kl_diagonal_matches_torch_independent_normals():
    mus, sigmas = sp.symbols("m1:4", real=True), sp.symbols("s1:4", positive=True)
    f = derive.to_function(derive.kl_diagonal_integral(mus, sigmas), [*mus, *sigmas], "numpy")
    g = torch.Generator().manual_seed(3)
    m, log_sigma = torch.randn(2, 3, generator=g, dtype=torch.float64)
    value = f(*m.tolist(), *log_sigma.exp().tolist())
    reference = kl_divergence(Normal(m, log_sigma.exp()), Normal(0.0, 1.0)).sum().item()
    assert value == pytest.approx(reference, rel=1e-12)


def test_is_identity_can_fail_on_the_seed_articles_sign():
    correct = derive.kl_standard_normal(mu, sigma)
    article = -(mu**2 + sigma**2 - sp.log(sigma**2) - 1) / 2
    assert not derive.is_identity(article, correct)
    assert derive.is_identity(article, -correct)


def test_to_function_numpy_and_torch_agree_with_evalf():
    expr = derive.kl_gaussian_closed_form(mu, sigma, mu_p, sigma_p)
    args = [mu, sigma, mu_p, sigma_p]
    point = [0.3, 0.9, -1.1, 2.0]
    exact = _number(expr, dict(zip(args, point)))
    assert derive.to_function(expr, args, "numpy")(*point) == pytest.approx(exact, rel=1e-14)
    tensors = [torch.tensor(v, dtype=torch.float64) for v in point]
    assert derive.to_function(expr, args, "torch")(*tensors).item() == pytest.approx(exact, rel=1e-14)
    log_density = derive.gaussian_log_density(z, mu, sigma)  # has the constant log(2*pi)
    values = torch.tensor([0.3, -0.5, 1.7], dtype=torch.float64)
    torch.testing.assert_close(
        derive.to_function(log_density, [z, mu, sigma], "torch")(values, *values.new_tensor([0.2, 0.9])),
        Normal(values.new_tensor(0.2), values.new_tensor(0.9)).log_prob(values),
        rtol=1e-14,
        atol=1e-14,
    )
    with pytest.raises(ValueError):
        derive.to_function(expr, args, "jax")
    with pytest.raises(TypeError):
        derive.to_function(expr, ["mu"], "numpy")


def test_bad_inputs_are_refused_with_a_clear_message():
    plain_sigma = sp.Symbol("sigma")  # no positivity assumption
    with pytest.raises(ValueError, match="positive"):
        derive.gaussian_density(z, mu, plain_sigma)
    with pytest.raises(ValueError, match="positive"):
        derive.kl_standard_normal(mu, -1)
    with pytest.raises(TypeError, match="Symbol"):
        derive.gaussian_expectation(z, "z", mu, sigma)
    with pytest.raises(ValueError, match="real"):
        derive.gaussian_expectation(z, sp.Symbol("y"), mu, sigma)
    with pytest.raises(TypeError, match="SymPy expression"):
        derive.gaussian_density(z, object(), sigma)
    with pytest.raises(ValueError, match="same length"):
        derive.diagonal_gaussian_expectation(z, [z], [mu, mu], [sigma])
    with pytest.raises(ValueError, match="n must be"):
        derive.standard_normal_moment(-1)
    with pytest.raises(ValueError, match="prior needs"):
        derive.kl_diagonal_closed_form([mu], [sigma], [0, 0], [1, 1])


@pytest.mark.parametrize("k", range(6))
def test_gaussian_expectation_of_monomials_matches_scipy(k):
    v = sp.Symbol("v", real=True)
    got = float(derive.gaussian_expectation(v**k, v, sp.Rational(3, 10), sp.Rational(7, 5)))
    want = stats.norm(0.3, 1.4).moment(k)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_gradient_identities_hold_for_a_generic_cubic():
    z, mu = sp.symbols("z mu", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    eps = sp.Symbol("epsilon", real=True)
    a = sp.symbols("a0:4", real=True)
    f = sum(a[k] * z**k for k in range(4))
    lhs = sp.diff(derive.gaussian_expectation(f.subs(z, mu + sigma * eps), eps), mu)
    assert sp.simplify(lhs - derive.gaussian_expectation(sp.diff(f, z), z, mu, sigma)) == 0
    assert sp.simplify(lhs - derive.gaussian_expectation(f * (z - mu) / sigma**2, z, mu, sigma)) == 0
    # a wrong identity must fail the same comparison
    assert sp.simplify(lhs - derive.gaussian_expectation(sp.diff(f, z) * z, z, mu, sigma)) != 0
