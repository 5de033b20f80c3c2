"""The appendix of the course's seed article, equation by equation: the verdicts of
:mod:`vaelib.seed_article` on the appendix's derivation of the Gaussian KL divergence.

Checked with q = N(mu, sigma^2) and p = N(0, 1) (``chains.kl_model``), in the article's notation
(``chains.ARTICLE_APPENDIX``); the rows follow the article's order.
"""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from . import chains, derive
from .audit import (
    SIM_RULE,
    Verdict,
    chain_verdicts,
)
from .chains import PRIOR, Gaussian, Line, Model, Q
from .equations import Atom, Density, Relation, atoms, exp, integral, kl, log
from .seed_article import SumOver


def verdicts() -> list[Verdict]:
    """The appendix's verdicts, in the order the article prints its lines."""
    z, x, mu, _ell = sp.symbols("z x mu ell", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    k, K = sp.symbols("k K", integer=True, positive=True)
    model, notation = chains.kl_model(z, mu, sigma), chains.ARTICLE_APPENDIX
    terms = chains.kl_term_chains(z, mu, sigma)
    total = terms["sum"]
    X, MU, S = atoms(x, mu, sigma)
    half = Atom(sp.Rational(1, 2))
    p_x = Density("p", "p(x)")
    properties = [
        Relation(integral(f, x), Atom(sp.sympify(v)))
        for f, v in [(p_x, 1), (X * p_x, mu), ((X - MU) ** 2 * p_x, sigma**2)]
    ]
    normal_model = Model({"p": Gaussian(x, mu, sigma)})

    sum_residuals = chains.residuals(total, model)
    correct_1d = Line(half * (MU**2 + S**2 - log(S**2) - 1), lead=kl(Q, PRIOR, z))
    assert chains.residuals([total[3], correct_1d], model)[1] == 0, "the corrected 1-D form must equal (i) + (ii)"
    article_1d = total[-1].expr.value(model)

    mus, sigmas = sp.IndexedBase("mu"), sp.IndexedBase("sigma")
    MUk, Sk = atoms(mus[k], sigmas[k])
    sum_k = SumOver(MUk**2 + Sk**2 - log(Sk**2) - 1, k, Atom(sp.Integer(1)), Atom(K))
    article_k, correct_k = Line(-half * sum_k, lead=kl(Q, PRIOR, z)), Line(half * sum_k, lead=kl(Q, PRIOR, z))
    four = Model({}, values={K: 4})
    mu4, sigma4 = sp.symbols("mu_1:5", real=True), sp.symbols("sigma_1:5", positive=True)
    by_integral = derive.kl_diagonal_integral(mu4, sigma4)  # a genuine 4-dimensional integral

    def four_dims(line):  # the line's value for K = 4, written in plain symbols
        value = line.expr.value(four).subs({mus[i]: mu4[i - 1] for i in range(1, 5)})
        return sp.expand_log(value.subs({sigmas[i]: sigma4[i - 1] for i in range(1, 5)}))

    assert sp.simplify(four_dims(correct_k) - by_integral) == 0, "the corrected K-dim form must equal the integral"
    residual_k = sp.simplify(four_dims(article_k) - by_integral)
    z_mean, z_stddev = sp.IndexedBase(r"\mathtt{z\_mean}"), sp.IndexedBase(r"\mathtt{z\_stddev}")
    ZM, ZS = atoms(z_mean[k], z_stddev[k])
    tf_line = Atom(sp.Float(0.5)) * SumOver(ZM**2 + exp(2 * ZS) - 2 * ZS - 1, k, Atom(sp.Integer(1)), Atom(K))
    ells = sp.symbols("ell_1:5", real=True)
    tf_value = tf_line.value(four).subs({z_mean[i]: mu4[i - 1] for i in range(1, 5)})
    tf_value = tf_value.subs({z_stddev[i]: ells[i - 1] for i in range(1, 5)})
    kl_in_ell = sum(derive.kl_standard_normal(m, sp.exp(e)) for m, e in zip(mu4, ells, strict=True))

    rows = [
        Verdict(
            "appendix: set-up",
            r"q_{\phi}(z)\sim N(\mu, \sigma ^{2}) \text{ and } p_{\theta}(z)\sim N(0, 1)",
            False,
            SIM_RULE + " (and $q$ depends on $x$)",
            correct=r"z \sim q_\phi(z \mid x) = \mathcal{N}(z; \mu, \sigma^2),\ p(z) = \mathcal{N}(z; 0, 1)",
            kind="notation",
            by_reading=True,
        ),
        Verdict(
            "appendix: properties",
            r"p(x)\sim N(\mu, \sigma ^{2})",
            False,
            SIM_RULE,
            correct=r"p(x) = \mathcal{N}(x; \mu, \sigma^2)",
            kind="notation",
            by_reading=True,
        ),
    ]
    rows += [
        Verdict(
            "appendix: properties",
            r,
            chains.holds(r, normal_model),
            r"SymPy integrates against $\mathcal{N}(x; \mu, \sigma^2)$",
            notation=notation,
        )
        for r in properties
    ]
    rows += [
        Verdict(
            "appendix: definition",
            Relation(total[0], total[1]),
            sum_residuals[1] == 0,
            "the integral minus the closed form of the KL divergence: 0",
            notation=notation,
        ),
        Verdict(
            "appendix: equation (1)",
            replace(total[2], continued=True),
            sum_residuals[2] == 0,
            f"minus the line above: ${sp.latex(sum_residuals[2])}$",
            notation=notation,
        ),
    ]
    rows += chain_verdicts("appendix: term (i)", terms["(i)"], model, notation)
    rows += chain_verdicts("appendix: term (ii)", terms["(ii)"], model, notation)
    rows += [
        Verdict(
            "appendix: (i) + (ii)",
            replace(total[3], continued=True),
            sum_residuals[3] == 0,
            f"minus equation (1): ${sp.latex(sum_residuals[3])}$",
            notation=notation,
        ),
        Verdict(
            "appendix: 1-D result",
            total[4],
            sum_residuals[4] == 0,
            f"minus (i) + (ii): ${sp.latex(sum_residuals[4])}$, not 0; the article's formula at "
            f"$\\mu = \\sigma = 1$ is ${sp.latex(article_1d.subs({mu: 1, sigma: 1}))} < 0$",
            correct=correct_1d,
            notation=notation,
        ),
        Verdict(
            "appendix: K-dim result",
            article_k,
            residual_k == 0,
            f"minus the $K$-dimensional KL integral ($K = 4$): ${sp.latex(residual_k)}$, not 0; the same sign error",
            correct=correct_k,
            notation=notation,
        ),
        Verdict(
            "appendix: K-dim set-up",
            r"q_{\phi}(z)\sim N(\mu, \sigma ^{2}) \text{ and } p_{\theta}(z)\sim N(0, I)",
            False,
            SIM_RULE + r" (as in the 1-D set-up); with vectors $\mu$ and $\sigma^2$, $N(\mu, \sigma^2)$ is read "
            r"as the diagonal Gaussian",
            correct=r"z \sim q_\phi(z \mid x) = "
            r"\mathcal{N}(z; \mu, \operatorname{diag}\sigma^2),\ p(z) = \mathcal{N}(z; 0, I)",
            kind="notation",
            by_reading=True,
        ),
        Verdict(
            "appendix: TensorFlow latent_loss",
            tf_line,
            sp.simplify(tf_value - kl_in_ell) == 0,
            r"with `z_stddev` $= \log\sigma$ it equals the *correct* KL divergence ($K = 4$, SymPy); the name "
            "`z_stddev` is misleading",
            notation=notation,
            reading="the code line, as a sum over $k$",
        ),
    ]
    return rows
