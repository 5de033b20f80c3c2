"""vaelib.chains: the seed article's derivations hold where they should and fail where they should, and
a chain's table prints each line from the very node that was checked.

The mutation tests plant the mistakes named in issue 16: a sign error in line 7 or line 9 of the ELBO
chain and in the result of the appendix's term (i). Each changes the printed line *and* makes the
check fail, so a table can no longer show a wrong line as verified.
"""

import pytest
import sympy as sp

from vaelib import chains
from vaelib.chains import ARTICLE, COURSE, EVIDENCE, LIKELIHOOD, POSTERIOR, PRIOR, Line, Q
from vaelib.equations import Atom, Relation, atoms, expect, integral, kl, log

z, x, w, b, mu = sp.symbols("z x w b mu", real=True)
s, sigma = sp.symbols("s sigma", positive=True)

# what a reader sees, in the seed article's notation: its ten lines, only its typography changed
ARTICLE_LINES = [
    r"D_{KL}(q_\phi(z \mid x) \,\Vert\, p_\theta(z \mid x))",
    r"\int q_\phi(z \mid x) \log \frac{q_\phi(z \mid x)}{p_\theta(z \mid x)}\, dz",
    r"\int q_\phi(z \mid x) \log \frac{q_\phi(z \mid x) p_\theta(x)}{p_\theta(z, x)}\, dz",
    r"\int q_\phi(z \mid x) \left[\log p_\theta(x) + \log \frac{q_\phi(z \mid x)}{p_\theta(z, x)}\right]\, dz",
    r"\int q_\phi(z \mid x) \log p_\theta(x)\, dz + \int q_\phi(z \mid x) \log \frac{q_\phi(z \mid x)}{p_\theta(z, x)}\, dz",
    r"\log p_\theta(x) + \int q_\phi(z \mid x) \log \frac{q_\phi(z \mid x)}{p_\theta(x \mid z) p_\theta(z)}\, dz",
    r"\log p_\theta(x) + \int q_\phi(z \mid x) \left[\log \frac{q_\phi(z \mid x)}{p_\theta(z)} - \log p_\theta(x \mid z)\right]\, dz",
    r"\log p_\theta(x) + \int q_\phi(z \mid x) \log \frac{q_\phi(z \mid x)}{p_\theta(z)}\, dz - \int q_\phi(z \mid x) \log p_\theta(x \mid z)\, dz",
    r"\log p_\theta(x) + E_{z \sim q_\phi(z \mid x)}\log \frac{q_\phi(z \mid x)}{p_\theta(z)} - E_{z \sim q_\phi(z \mid x)}\log p_\theta(x \mid z)",
    r"\log p_\theta(x) + D_{KL}(q_\phi(z \mid x) \,\Vert\, p_\theta(z)) - E_{z \sim q_\phi(z \mid x)}\log p_\theta(x \mid z)",
]


@pytest.fixture(scope="module")
def lg():
    return chains.linear_gaussian_model(z, x, w, b, s, mu, sigma)


@pytest.fixture(scope="module")
def elbo_residuals(lg):
    return chains.residuals(chains.elbo_chain(z), lg)


def test_the_elbo_chain_prints_the_articles_lines(lg):
    assert [chains.latex(line, ARTICLE) for line in chains.elbo_chain(z)] == ARTICLE_LINES


def test_every_step_of_the_elbo_chain_holds_on_the_linear_gaussian_model(elbo_residuals):
    assert elbo_residuals[0] is None and all(r == 0 for r in elbo_residuals[1:])
    assert len(elbo_residuals) == 10


def test_the_elbo_identity_holds_and_is_what_the_chain_rearranges(lg):
    identity = chains.elbo_identity(z)
    assert chains.holds(identity, lg)
    assert chains.latex(identity) == (
        r"\log p_\theta(x) - D_{\mathrm{KL}}(q_\phi(z \mid x) \,\Vert\, p_\theta(z \mid x)) = "
        r"\mathbb{E}_{z \sim q_\phi(z \mid x)}\left[\log p_\theta(x \mid z)\right] - D_{\mathrm{KL}}(q_\phi(z \mid x) \,\Vert\, p(z))"
    )
    wrong = Relation(identity.lhs, expect(log(LIKELIHOOD), z, Q) + kl(Q, PRIOR, z))
    assert not chains.holds(wrong, lg)


def _plant(lines, k, wrong):
    planted = list(lines)
    planted[k] = wrong
    return planted


def test_a_sign_error_planted_in_line_7_is_shown_and_fails(lg):
    """Issue 16: '+ integral q log p(x|z)' where the article has '-': the table shows it, and shows it failing."""
    lines = chains.elbo_chain(z)
    wrong = log(EVIDENCE) + integral(Q * log(Q / PRIOR), z) + integral(Q * log(LIKELIHOOD), z)
    planted = _plant(lines, 7, wrong)
    shown = chains.latex(wrong, ARTICLE)
    assert shown == ARTICLE_LINES[7].replace(r"dz - \int", r"dz + \int")  # the display moved with the expression
    residuals = chains.residuals(planted, lg)
    assert residuals[7] != 0 and residuals[8] != 0  # the step into the slip and the step out of it both fail
    table = chains.table(planted, residuals, ARTICLE)
    assert table.count("❌") == 2 and shown in table


def test_a_sign_error_planted_in_line_9_is_shown_and_fails(lg):
    lines = chains.elbo_chain(z)
    wrong = log(EVIDENCE) - kl(Q, PRIOR, z) - expect(log(LIKELIHOOD), z, Q)
    planted = _plant(lines, 9, wrong)
    assert chains.latex(wrong, ARTICLE) == ARTICLE_LINES[9].replace(r"+ D_{KL}", r"- D_{KL}")
    residuals = chains.residuals(planted, lg)
    assert residuals[9] != 0
    assert "❌" in chains.table(planted, residuals, ARTICLE).splitlines()[-1]


def test_the_appendix_term_chains_hold_and_the_articles_result_does_not():
    chains_ = chains.kl_term_chains(z, mu, sigma)
    model = chains.kl_model(z, mu, sigma)
    for name in ("(i)", "(ii)"):
        assert all(r == 0 for r in chains.residuals(chains_[name], model)[1:]), name
    total = chains.residuals(chains_["sum"], model)
    assert all(r == 0 for r in total[1:4]) and total[4] != 0
    assert sp.simplify(total[4] + (mu**2 + sigma**2 - sp.log(sigma**2) - 1)) == 0  # twice the KL, negated
    assert (
        chains.latex(chains_["(i)"][-1])
        == r"-\frac{1}{2} \left(1 + \log\left(2 \pi \sigma^{2}\right)\right) \quad \text{(i)}"
    )


def test_a_sign_error_planted_in_the_term_i_result_is_shown_and_fails():
    """Issue 16: the result of term (i) with its sign flipped."""
    term_i = chains.kl_term_chains(z, mu, sigma)["(i)"]
    half, two_pi_var = atoms(sp.Rational(1, 2), 2 * sp.pi * sigma**2)
    wrong = Line(half * (1 + log(two_pi_var)), tag="(i)")
    assert chains.latex(wrong) == chains.latex(term_i[-1])[1:]  # the same line without its leading minus
    residuals = chains.residuals(_plant(term_i, len(term_i) - 1, wrong), chains.kl_model(z, mu, sigma))
    assert residuals[-1] != 0


def test_the_table_prints_each_line_from_its_node_with_its_verdict():
    lines = [Atom(sp.Integer(1)), Line(Atom(sp.Integer(1)), tag="(a)"), Atom(sp.Integer(2))]
    table = chains.table(lines, chains.residuals(lines, chains.kl_model(z, mu, sigma)))
    rows = table.splitlines()
    assert rows[2] == "| 0 | $1$ | (start) |  |"
    assert rows[3] == r"| 1 | $= 1 \quad \text{(a)}$ | $0$ | ✅ |"
    assert rows[4] == "| 2 | $= 2$ | $1$ | ❌ |"
    with pytest.raises(ValueError, match="one residual per line"):
        chains.table(lines, [None])


def test_holds_compares_densities_through_their_logs_and_refuses_inequalities(lg):
    assert chains.holds(Relation(POSTERIOR, LIKELIHOOD * PRIOR / EVIDENCE), lg)  # Bayes' rule
    assert not chains.holds(Relation(POSTERIOR, LIKELIHOOD * PRIOR), lg)
    with pytest.raises(ValueError, match="decides equations"):
        chains.holds(Relation(POSTERIOR, PRIOR, r"\le"), lg)


def test_course_and_article_notation_differ_only_in_how_they_write():
    line = chains.elbo_chain(z)[9]
    assert chains.latex(line, COURSE) != chains.latex(line, ARTICLE)
    assert "p(z)" in chains.latex(line, COURSE) and r"p_\theta(z)" in chains.latex(line, ARTICLE)
    assert chains.latex(Q, chains.ARTICLE_APPENDIX) == r"q_\phi(z)"
