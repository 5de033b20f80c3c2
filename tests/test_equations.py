"""vaelib.equations: each node prints in the order written, and its value is the mathematics it prints.

The values are compared with references written out independently (closed forms, SymPy's own
integrals); the LaTeX with the exact strings a reader sees. A sign planted in an expression must
change both, which is what ties a displayed equation to its check.
"""

import pytest
import sympy as sp

from vaelib import derive
from vaelib.chains import ARTICLE, COURSE, PRIOR, Gaussian, Model, Q, kl_model
from vaelib.equations import Atom, Bracket, Density, Relation, atoms, exp, expect, integral, kl, latex, log, node

z, x, mu = sp.symbols("z x mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
Z, MU, S = atoms(z, mu, sigma)
HALF = Atom(sp.Rational(1, 2))
MODEL = kl_model(z, mu, sigma)  # q = N(mu, sigma^2), prior = N(0, 1)


def test_terms_print_in_the_order_written_with_their_signs():
    assert latex(MU - S + Z, COURSE) == r"\mu - \sigma + z"
    assert latex(-(MU + S), COURSE) == r"-\left(\mu + \sigma\right)"
    assert latex(MU - (S - Z), COURSE) == r"\mu - \left(\sigma - z\right)"
    assert latex(-HALF * (1 + log(S**2)), COURSE) == r"-\frac{1}{2} \left(1 + \log \sigma^{2}\right)"
    assert latex(1 / (2 * S**2) * S**2 + HALF * 1, COURSE) == r"\frac{1}{2 \sigma^{2}} \sigma^{2} + \frac{1}{2} \cdot 1"
    assert latex((Z - MU) ** 2, COURSE) == r"\left(z - \mu\right)^{2}"
    assert latex(exp(-(Z**2 / 2)), COURSE) == r"e^{-\frac{z^{2}}{2}}"


def test_logs_integrals_expectations_and_kl_print_as_written_in_each_notation():
    assert latex(log(Q / PRIOR), COURSE) == r"\log \frac{q_\phi(z \mid x)}{p(z)}"
    assert latex(log(Atom(2 * sp.pi)), COURSE) == r"\log\left(2 \pi\right)"
    assert latex(log(Atom(2 * sp.pi) ** HALF), COURSE) == r"\log\left[\left(2 \pi\right)^{\frac{1}{2}}\right]"
    assert latex(integral(Q * Bracket(log(Q) - log(PRIOR)), z), COURSE) == (
        r"\int q_\phi(z \mid x) \left[\log q_\phi(z \mid x) - \log p(z)\right]\, dz"
    )
    assert latex(expect(log(PRIOR), z, Q), COURSE) == r"\mathbb{E}_{z \sim q_\phi(z \mid x)}\left[\log p(z)\right]"
    assert latex(expect(log(PRIOR), z, Q), ARTICLE) == r"E_{z \sim q_\phi(z \mid x)}\log p_\theta(z)"
    assert latex(kl(Q, PRIOR, z), ARTICLE) == r"D_{KL}(q_\phi(z \mid x) \,\Vert\, p_\theta(z))"
    assert latex(Relation(Atom(sp.exp(z)), node(0), ">"), COURSE) == r"e^{z} > 0"


def test_values_are_the_mathematics_printed():
    # integral against the Gaussian q: an expectation; E_q[(z - mu)^2] = sigma^2
    assert sp.simplify(integral((Z - MU) ** 2 * Q, z).value(MODEL) - sigma**2) == 0
    # the KL between two Gaussians is the closed form, and equals its definition as an integral
    closed = derive.kl_gaussian_closed_form(mu, sigma, 0, 1)
    assert sp.simplify(kl(Q, PRIOR, z).value(MODEL) - closed) == 0
    assert sp.simplify(integral(Q * log(Q / PRIOR), z).value(MODEL) - closed) == 0
    assert sp.simplify(expect(log(Q) - log(PRIOR), z, Q).value(MODEL) - closed) == 0
    # arithmetic: the value of a printed expression, written out by hand
    expr = -HALF * (1 + log(Atom(2 * sp.pi * sigma**2)))
    assert sp.simplify(expr.value(MODEL) + (1 + sp.log(2 * sp.pi * sigma**2)) / 2) == 0


def test_integrals_not_against_one_gaussian_fall_back_to_integration():
    w, b = sp.symbols("w b", real=True)
    s = sp.Symbol("s", positive=True)
    model = Model({"likelihood": Gaussian(x, w * z + b, s), "prior": Gaussian(z, 0, 1)})
    evidence = integral(Density("likelihood") * PRIOR, z).value(model)  # two densities: completing the square
    assert derive.is_identity(evidence, derive.gaussian_density(x, b, sp.sqrt(w**2 + s**2)))
    other = Model({"q": Gaussian(z, mu, sigma), "r": sp.exp(-(z**2)) / sp.sqrt(sp.pi)})  # not declared Gaussian
    by_definition = derive.gaussian_expectation(
        sp.log(derive.gaussian_density(z, mu, sigma)) + z**2 + sp.log(sp.pi) / 2, z, mu, sigma
    )
    assert sp.simplify(kl(Q, Density("r"), z).value(other) - by_definition) == 0


def test_model_values_substitute_plain_symbols_and_unknown_densities_are_named():
    K = sp.Symbol("K", positive=True, integer=True)
    assert (Atom(K) * 2).value(Model({}, values={K: 4})) == 8
    with pytest.raises(KeyError, match="no density named 'posterior'"):
        Density("posterior").value(MODEL)


@pytest.mark.parametrize("planted", ["sign", "factor", "density"])
def test_a_slip_planted_in_an_expression_changes_both_its_latex_and_its_value(planted):
    right = integral(Q * log(Q), z) - integral(Q * log(PRIOR), z)
    wrong = {
        "sign": integral(Q * log(Q), z) + integral(Q * log(PRIOR), z),
        "factor": integral(Q * log(Q), z) - 2 * integral(Q * log(PRIOR), z),
        "density": integral(Q * log(Q), z) - integral(Q * log(Q), z),
    }[planted]
    assert latex(wrong, COURSE) != latex(right, COURSE)
    assert sp.simplify(wrong.value(MODEL) - right.value(MODEL)) != 0
