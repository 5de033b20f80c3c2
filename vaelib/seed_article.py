"""Every equation of the course's seed article (M. Jain, "Variational Autoencoder Explained"), main text and
appendix, with its verdict (the appendix notebook shows them as one table).

Each verdict on mathematics evaluates, in a model where every density has a closed form, the very
``vaelib.equations`` node that the table prints, in the article's notation (``chains.ARTICLE``,
``chains.ARTICLE_APPENDIX``). The main text is checked on the linear-Gaussian model of notebook 03, the
appendix with q = N(mu, sigma^2) and p = N(0, 1); two lines are checked as printed, by counting their
parentheses; four verdicts on notation are judgements made by reading, and labelled so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp

from . import chains, derive
from .audit import (
    DIAG_READING,
    Verdict,
    chain_verdicts,
    counted,
    nonnegative_kl_shape,
    parentheses_balance,
    printed,
)
from .chains import EVIDENCE, LIKELIHOOD, POSTERIOR, PRIOR, Line, Model, Q
from .equations import Atom, Density, Node, Pow, Relation, Sum, atoms, exp, expect, integral, kl, log

# --- nodes only these verdicts need --------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Normal(Node):
    """The Gaussian density N(variable; mean, std^2), written out."""

    variable: Node
    mean: Node
    std: Node

    def value(self, model):
        return derive.gaussian_density(self.variable.value(model), self.mean.value(model), self.std.value(model))

    def tex(self, n):
        variance = Pow(self.std, Atom(sp.Integer(2))).tex(n)
        return rf"\mathcal{{N}}({self.variable.tex(n)}; {self.mean.tex(n)}, {variance})"


@dataclass(frozen=True, eq=False)
class SumOver(Node):
    """sum_{index = lower}^{upper} body; a symbolic upper limit gets a number from ``Model.values``."""

    body: Node
    index: sp.Symbol
    lower: Node
    upper: Node

    def value(self, model):
        return sp.Sum(self.body.value(model), (self.index, self.lower.value(model), self.upper.value(model))).doit()

    def tex(self, n):
        body = rf"\left({self.body.tex(n)}\right)" if isinstance(self.body, Sum) else self.body.tex(n)
        return rf"\sum_{{{sp.latex(self.index)}={self.lower.tex(n)}}}^{{{self.upper.tex(n)}}} {body}"


@dataclass(frozen=True, eq=False)
class Minimize(Node):
    """The objective of a minimization (its value is the objective's)."""

    objective: Node

    def value(self, model):
        return self.objective.value(model)

    def tex(self, n):
        return rf"\min\ {self.objective.tex(n)}"


# two lines as the article prints them (without its \mathbf), for counting their parentheses
ARTICLE_FINAL = (
    r"\Rightarrow \log p_{\theta }(x) - D_{KL}(q_{\phi }(z|x)||p_{\theta }(z|x))) = "
    r"E_{z\sim q_{\phi }(z|x)}\log p_{\theta }(x|z) - D_{KL}(q_{\phi }(z|x)||p_{\theta }(z))"
)
ARTICLE_REPARAM = r"z = \mu + \sigma \odot \epsilon , \text{ where } \epsilon\sim N(0, I))"  # "where" is prose
LOSS = sp.Symbol(r"\mathrm{Loss}(\theta, \phi)")


def article_loss(z: sp.Symbol) -> Node:
    """The article's loss, -E_q log p(x|z) + KL(q || p(z))."""
    return -expect(log(LIKELIHOOD), z, Q) + kl(Q, PRIOR, z)


def loss_verdict(loss: Node, model: Model, z: sp.Symbol) -> Verdict:
    """The article's loss is minus the ELBO: loss + log p(x) - KL(q || p(z|x)) simplifies to 0 (the ELBO
    taken from the left side of the identity, computed from the evidence and the posterior alone)."""
    elbo = log(EVIDENCE) - kl(Q, POSTERIOR, z)
    residual = sp.simplify(loss.value(model) + elbo.value(model))
    verdict = ": the loss is minus the ELBO" if residual == 0 else ", not 0"
    return Verdict(
        "main text: the loss",
        Relation(Atom(LOSS), loss),
        residual == 0,
        r"plus $\log p_\theta(x) - D_{KL}(q \,\Vert\, p_\theta(z \mid x))$, the ELBO computed from the "
        f"evidence and the posterior (linear-Gaussian model): ${sp.latex(residual)}${verdict}",
        correct="" if residual == 0 else Relation(Atom(LOSS), article_loss(z)),
    )


def verdicts() -> list[Verdict]:
    """Every equation of the seed article, main text and appendix, with its verdict (about 45 rows)."""
    from .seed_appendix import verdicts as appendix_verdicts  # the appendix rows build on this module

    return _main_text() + appendix_verdicts()


def _main_text() -> list[Verdict]:
    z, x, w, b, mu, ell, eps = sp.symbols("z x w b mu ell epsilon", real=True)
    s, sigma = sp.symbols("s sigma", positive=True)
    lg = chains.linear_gaussian_model(z, x, w, b, s, mu, sigma)
    on_lg = " on the linear-Gaussian model"
    nonnegative = nonnegative_kl_shape()

    bayes = Relation(POSTERIOR, LIKELIHOOD * PRIOR / EVIDENCE)
    evidence = Relation(EVIDENCE, integral(LIKELIHOOD * PRIOR, z))
    objective = Minimize(kl(Q, POSTERIOR, z))
    m = lg.densities["posterior"]
    at_posterior = sp.simplify(objective.value(lg).subs({mu: m.mean, sigma: m.std}))
    identity = chains.elbo_identity(z)
    bound = Relation(expect(log(LIKELIHOOD), z, Q) - kl(Q, PRIOR, z), log(EVIDENCE), r"\le")
    gap = sp.simplify(-bound.value(lg) - kl(Q, POSTERIOR, z).value(lg))  # log p(x) - ELBO - KL(q || p(z|x))
    Z, MU, S, EPS, ELL = atoms(z, mu, sigma, eps, ell)
    reparam = Relation(Z, MU + S * EPS)
    draw = reparam.rhs.value(lg)
    moments = (
        sp.simplify(derive.gaussian_expectation(draw, eps, 0, 1) - mu) == 0
        and sp.simplify(derive.gaussian_expectation((draw - mu) ** 2, eps, 0, 1) - sigma**2) == 0
    )
    encoder, cov_model = _encoder_density()
    positive = Relation(exp(ELL), Atom(sp.Integer(0)), ">")

    rows = [
        Verdict(
            "main text: Bayes' rule",
            bayes,
            chains.holds(bayes, lg),
            "log of the left side minus log of the right side simplifies to 0" + on_lg,
        ),
        Verdict(
            "main text: the evidence",
            evidence,
            chains.holds(evidence, lg),
            r"SymPy's integral equals $\mathcal{N}(x; b, w^2 + s^2)$" + on_lg,
        ),
        Verdict(
            "main text: the objective",
            objective,
            at_posterior == 0 and nonnegative,
            r"the KL divergence is $\ge 0$ ($u - 1 - \log u \ge 0$) and 0 at the posterior"
            + on_lg
            + ": minimizing it finds the posterior",
        ),
    ]
    rows += chain_verdicts("main text: chain", chains.elbo_chain(z), lg, chains.ARTICLE, on_lg)
    rows[-2] = replace(rows[-2], check=rows[-2].check + r" (notation only: $E_q[f]$ is the integral of $q f$)")
    rows += [
        Verdict(
            "main text: the ELBO identity",
            identity,
            chains.holds(identity, lg),
            "left minus right simplifies to 0" + on_lg,
            reading="the next row, without its stray parenthesis",
        ),
        Verdict(
            "main text: the ELBO identity, as printed",
            printed(ARTICLE_FINAL),
            parentheses_balance(ARTICLE_FINAL),
            counted(ARTICLE_FINAL),
            correct=Line(identity.rhs, lead=identity.lhs),
            kind="notation",
        ),
        Verdict(
            "main text: the bound",
            bound,
            gap == 0 and nonnegative,
            r"$\log p_\theta(x) - \mathrm{ELBO}$ simplifies to $D_{KL}(q \,\Vert\, p_\theta(z \mid x))$"
            + on_lg
            + r", which is $\ge 0$",
        ),
        loss_verdict(article_loss(z), lg, z),
        Verdict(
            "main text: reparameterization",
            reparam,
            moments,
            r"with $\epsilon \sim N(0, 1)$: $z$ is a linear function of a Gaussian, so it is Gaussian, with "
            r"$E[z] = \mu$ and $E[(z - \mu)^2] = \sigma^2$ (SymPy): $z \sim N(\mu, \sigma^2)$",
            reading="the next row, one dimension",
        ),
        Verdict(
            "main text: reparameterization, as printed",
            ARTICLE_REPARAM,
            parentheses_balance(ARTICLE_REPARAM),
            counted(ARTICLE_REPARAM),
            correct=r"z = \mu + \sigma \odot \epsilon,\ \epsilon \sim N(0, I)",
            kind="notation",
        ),
        Verdict(
            "main text: the encoder's density ($K = 2$)",
            encoder,
            chains.holds(encoder, cov_model),
            r"the left side is the density of $z = \mu + \sigma \odot \epsilon$ by a change of variables; "
            r"SymPy: it equals the product of Gaussians ($K = 2$)",
            reading=r"the next row, $K = 2$",
        ),
        Verdict(
            "main text: the encoder's density, notation",
            r"z\sim q_{\phi }(z \mid x^{(i)}) = N(z; \mu ^{(i)}, "
            r"\sigma ^{2(i)}I)",
            True,
            DIAG_READING + "; accepted (the row above checks the density it stands for)",
            kind="notation",
            by_reading=True,
        ),
        Verdict(
            "main text: learn log sigma",
            positive,
            bool(positive.lhs.value(lg).is_positive),
            r"$\sigma = e^{\ell}$ is positive for every real $\ell = \log\sigma$ (SymPy's assumptions)",
            reading="the article's prose: learn $\\log\\sigma$ and exponentiate it",
        ),
    ]
    return rows


def _encoder_density() -> tuple[Relation, Model]:
    """q(z|x) for z = mu + sigma (.) eps, K = 2: by change of variables the product of N(z_k; mu_k, sigma_k^2)."""
    z1, z2, m1, m2 = sp.symbols("z_1 z_2 mu_1 mu_2", real=True)
    s1, s2 = sp.symbols("sigma_1 sigma_2", positive=True)
    Z1, Z2, M1, M2, S1, S2 = atoms(z1, z2, m1, m2, s1, s2)
    pushed = (
        derive.gaussian_density((z1 - m1) / s1, 0, 1) * derive.gaussian_density((z2 - m2) / s2, 0, 1) / (s1 * s2)
    )  # the density of eps at (z - mu) / sigma, over |det dz/deps| = s1 s2
    relation = Relation(Density("q", r"q_\phi(z \mid x)"), Normal(Z1, M1, S1) * Normal(Z2, M2, S2))
    return relation, Model({"q": pushed})
