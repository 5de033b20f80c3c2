"""The seed article's two derivations, written in ``vaelib.equations``, and how a chain of equalities is checked.

- ``Notation``: how densities, KL and expectations are written: ``COURSE``, ``ARTICLE`` (the article's
  p_theta(z) for the prior, D_KL, E without brackets) and ``ARTICLE_APPENDIX`` (q_phi(z) without the x);
- ``Gaussian`` and ``Model``: what the densities stand for; ``linear_gaussian_model`` and ``kl_model``,
  the two models the article's lines are checked in;
- ``Line``, ``residuals`` and ``table``: a chain's lines, each minus the line above simplified by SymPy,
  and a Markdown table that prints every line from the very node that was evaluated;
- ``elbo_chain`` and ``elbo_identity``: from KL(q(z|x) || p(z|x)) to the ELBO, the article's main text
  (notebook 03); ``kl_term_chains``: its appendix, the Gaussian KL from terms (i) and (ii) (notebook 04).

Each step of the ELBO chain holds for any densities (Bayes' rule, a rule of logarithms, linearity of the
integral, a definition); SymPy checks the steps in one model family, where every integral has a closed form.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import sympy as sp

from . import derive
from .equations import Bracket, Density, Node, Relation, atoms, exp, expect, integral, kl, log, node


@dataclass(frozen=True)
class Notation:
    """How densities (by name), the KL divergence and expectations are written."""

    densities: Mapping[str, str]
    kl: str = r"D_{\mathrm{KL}}"
    expectation: str = r"\mathbb{E}"
    expectation_brackets: bool = True  # E[...] (course) or E log ... (the seed article)


COURSE = Notation(
    {
        "q": r"q_\phi(z \mid x)",
        "prior": "p(z)",
        "likelihood": r"p_\theta(x \mid z)",
        "evidence": r"p_\theta(x)",
        "joint": r"p_\theta(z, x)",
        "posterior": r"p_\theta(z \mid x)",
    }
)
ARTICLE = replace(
    COURSE,
    densities={**COURSE.densities, "prior": r"p_\theta(z)"},
    kl="D_{KL}",
    expectation="E",
    expectation_brackets=False,
)
ARTICLE_APPENDIX = replace(ARTICLE, densities={**ARTICLE.densities, "q": r"q_\phi(z)"})  # the appendix drops the x

Q, PRIOR, LIKELIHOOD = Density("q"), Density("prior"), Density("likelihood")
EVIDENCE, JOINT, POSTERIOR = Density("evidence"), Density("joint"), Density("posterior")


def holds(relation: Relation, model: Model) -> bool:
    """Whether SymPy proves the equation lhs = rhs in ``model`` (comparing logs when both sides are
    positive, as densities are: SymPy simplifies a difference of logs more reliably)."""
    if relation.op != "=":
        raise ValueError(f"holds() decides equations; a relation {relation.op!r} needs its own argument")
    left, right = relation.lhs.value(model), relation.rhs.value(model)
    if sp.simplify(left - right) == 0:
        return True
    if left.is_positive and right.is_positive:
        return sp.simplify(sp.expand_log(sp.log(left)) - sp.expand_log(sp.log(right))) == 0
    return False


def latex(item, notation: Notation = COURSE) -> str:
    """The LaTeX of a node or a :class:`Line` (without $), in the course's notation unless told otherwise."""
    return item.tex(notation) if hasattr(item, "tex") else node(item).tex(notation)


@dataclass(frozen=True)
class Gaussian:
    """N(variable; mean, std^2)."""

    variable: sp.Symbol
    mean: sp.Expr
    std: sp.Expr

    def density(self) -> sp.Expr:
        return derive.gaussian_density(self.variable, self.mean, self.std)


@dataclass(frozen=True)
class Model:
    """What the densities of a line stand for, by name: a :class:`Gaussian` or any SymPy expression.
    ``values`` gives plain symbols a value (e.g. the number of dimensions K)."""

    densities: Mapping[str, Gaussian | sp.Expr]
    values: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)

    def density(self, name: str) -> sp.Expr:
        if name not in self.densities:
            raise KeyError(f"the model has no density named {name!r}; it has {sorted(self.densities)}")
        d = self.densities[name]
        return d.density() if isinstance(d, Gaussian) else d

    def is_gaussian(self, name: str, variable: sp.Symbol) -> bool:
        d = self.densities.get(name)
        return isinstance(d, Gaussian) and d.variable == variable

    def expectation(self, name: str, expr: sp.Expr) -> sp.Expr:
        d = self.densities[name]
        return derive.gaussian_expectation(expr, d.variable, d.mean, d.std)


def linear_gaussian_model(z, x, w, b, s, mu, sigma) -> Model:
    """The scalar linear-Gaussian model of notebook 03 (z ~ N(0, 1), x|z ~ N(w z + b, s^2)), with
    q(z|x) = N(mu, sigma^2): every density of the ELBO chain in closed form."""
    from .linear_gaussian import symbolic_model  # linear_gaussian imports derive, as this module does

    m = symbolic_model(z, x, w, b, s)
    return Model(
        {
            "q": Gaussian(z, mu, sigma),
            "prior": Gaussian(z, 0, 1),
            "likelihood": Gaussian(x, w * z + b, s),
            "evidence": Gaussian(x, b, sp.sqrt(w**2 + s**2)),
            "joint": m.likelihood * m.prior,
            "posterior": Gaussian(z, m.posterior_mean, m.posterior_std),
        }
    )


def kl_model(z, mu, sigma) -> Model:
    """q(z) = N(mu, sigma^2) and the prior N(0, 1): the setting of the seed article's appendix."""
    return Model({"q": Gaussian(z, mu, sigma), "prior": Gaussian(z, 0, 1)})


# --- chains of equalities ------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of a chain: ``= expr``, or ``\\Rightarrow lead = expr`` when ``lead`` is given, and a tag."""

    expr: Node
    lead: Node | None = None
    tag: str = ""  # plain text shown at the right, e.g. "(i)"
    continued: bool = False  # True: printed "= expr", as a line that continues a chain

    def tex(self, n: Notation) -> str:
        text = self.expr.tex(n)
        if self.lead is not None:
            text = rf"\Rightarrow {self.lead.tex(n)} = {text}"
        elif self.continued:
            text = "= " + text
        return text + (rf" \quad \text{{{self.tag}}}" if self.tag else "")


def _line(item) -> Line:
    return item if isinstance(item, Line) else Line(node(item))


def residuals(lines: Sequence, model: Model) -> list:
    """``[None, simplify(v1 - v0), simplify(v2 - v1), ...]`` for the lines' values: all 0 when every step holds."""
    values = [_line(item).expr.value(model) for item in lines]
    return [None] + [sp.simplify(b - a) for a, b in itertools.pairwise(values)]


def table(lines: Sequence, residual_list: Sequence, notation: Notation = COURSE) -> str:
    """A Markdown table of a chain: each line as printed from its node, and its residual against the line above."""
    if len(lines) != len(residual_list):
        raise ValueError(f"need one residual per line, got {len(lines)} lines and {len(residual_list)} residuals")
    rows = ["| step | line | this line minus the line above | |", "| --- | --- | --- | --- |"]
    for i, (item, r) in enumerate(zip(lines, residual_list, strict=True)):
        line = _line(item)
        text = replace(line, continued=i > 0).tex(notation)
        verdict = "" if r is None else ("✅" if r == 0 else "❌")
        rows.append(f"| {i} | ${text}$ | {'(start)' if r is None else f'${sp.latex(r)}$'} | {verdict} |")
    return "\n".join(rows)


# --- the seed article's derivations ---------------------------------------------------------------


def elbo_chain(z: sp.Symbol) -> list[Node]:
    """The seed article's chain from KL(q(z|x) || p(z|x)) to the ELBO: line 0 and its nine rewritings."""
    q, prior, lik, evidence, joint, posterior = Q, PRIOR, LIKELIHOOD, EVIDENCE, JOINT, POSTERIOR
    return [
        kl(q, posterior, z),
        integral(q * log(q / posterior), z),
        integral(q * log(q * evidence / joint), z),  # Bayes' rule: p(z|x) = p(z, x) / p(x)
        integral(q * Bracket(log(evidence) + log(q / joint)), z),
        integral(q * log(evidence), z) + integral(q * log(q / joint), z),
        log(evidence) + integral(q * log(q / (lik * prior)), z),
        log(evidence) + integral(q * Bracket(log(q / prior) - log(lik)), z),
        log(evidence) + integral(q * log(q / prior), z) - integral(q * log(lik), z),
        log(evidence) + expect(log(q / prior), z, q) - expect(log(lik), z, q),
        log(evidence) + kl(q, prior, z) - expect(log(lik), z, q),
    ]


def elbo_identity(z: sp.Symbol) -> Relation:
    """The chain's conclusion: log p(x) - KL(q || p(z|x)) = E_q log p(x|z) - KL(q || p(z))."""
    return Relation(log(EVIDENCE) - kl(Q, POSTERIOR, z), expect(log(LIKELIHOOD), z, Q) - kl(Q, PRIOR, z))


def kl_term_chains(z: sp.Symbol, mu: sp.Symbol, sigma: sp.Symbol) -> dict[str, list]:
    """The seed article's appendix: term (i), the integral of q log q; term (ii), minus the integral of
    q log p; and their sum, ending with the article's printed result (which has the wrong sign)."""
    q, prior = Q, PRIOR
    Z, MU, S = atoms(z, mu, sigma)
    half, two_pi, two_pi_var = atoms(sp.Rational(1, 2), 2 * sp.pi, 2 * sp.pi * sigma**2)
    term_i = [
        integral(q * log(q), z),
        integral(q * log(1 / two_pi_var**half * exp(-((Z - MU) ** 2 / (2 * S**2)))), z),
        integral(q * Bracket(-((Z - MU) ** 2 / (2 * S**2)) - log(two_pi_var**half)), z),
        -(1 / (2 * S**2) * integral((Z - MU) ** 2 * q, z) + half * log(two_pi_var) * integral(q, z)),
        -(1 / (2 * S**2) * S**2 + half * log(two_pi_var) * 1),
        Line(-half * (1 + log(two_pi_var)), tag="(i)"),
    ]
    term_ii = [
        -integral(q * log(prior), z),
        -integral(q * log(1 / two_pi**half * exp(-(Z**2 / 2))), z),
        -integral(q * Bracket(-(Z**2 / 2) - half * log(two_pi)), z),
        half * (integral(Z**2 * q, z) + log(two_pi) * integral(q, z)),
        half * (integral(Bracket((Z - MU) ** 2 + 2 * MU * Z - MU**2) * q, z) + log(two_pi) * 1),
        half * (integral((Z - MU) ** 2 * q, z) + 2 * MU * integral(Z * q, z) - MU**2 * integral(q, z) + log(two_pi)),
        half * (S**2 + 2 * MU**2 - MU**2 + log(two_pi)),
        Line(half * (S**2 + MU**2 + log(two_pi)), tag="(ii)"),
    ]
    total = [
        kl(q, prior, z),
        integral(q * log(q / prior), z),
        Line(integral(q * log(q), z) - integral(q * log(prior), z), tag="(1)"),
        Line(term_i[-1].expr + term_ii[-1].expr, tag="(i) + (ii)"),
        Line(-half * (MU**2 + S**2 - log(S**2) - 1), lead=kl(q, prior, z), tag="(the seed article)"),
    ]
    return {"(i)": term_i, "(ii)": term_ii, "sum": total}
