"""vaelib.seed_article: the seed article's verdicts come out as the appendix notebook reports them, every
verdict on mathematics shows the node it checked, and the loss row can fail (issue 16: its old check could not).
"""

from collections import Counter

import pytest
import sympy as sp

from vaelib import audit, chains, seed_article
from vaelib.chains import LIKELIHOOD, PRIOR, Q
from vaelib.equations import Node, expect, kl, log


@pytest.fixture(scope="module")
def verdicts():
    return seed_article.verdicts()


def test_the_seed_article_verdicts(verdicts):
    counts = Counter((v.decided_by, v.status) for v in verdicts)
    assert counts == {
        ("computation", "✅ verified"): 37,
        ("computation", "⚠️ wrong notation"): 2,
        ("reading", "⚠️ wrong notation"): 3,
        ("computation", "❌ wrong"): 2,
        ("reading", "✅ notation fine"): 1,
    }
    assert [v.label for v in verdicts if v.status == "❌ wrong"] == ["appendix: 1-D result", "appendix: K-dim result"]
    assert all(isinstance(v.claim, (Node, chains.Line)) for v in verdicts if v.kind == "maths")
    table = audit.verification_table(verdicts)
    assert table.count("\n") == len(verdicts) + 1


def test_the_lines_counted_are_the_articles():
    assert not audit.parentheses_balance(seed_article.ARTICLE_FINAL)
    assert not audit.parentheses_balance(seed_article.ARTICLE_REPARAM)


def test_the_loss_row_can_fail():
    z, x, w, b, mu = sp.symbols("z x w b mu", real=True)
    s, sigma = sp.symbols("s sigma", positive=True)
    lg = chains.linear_gaussian_model(z, x, w, b, s, mu, sigma)
    right = seed_article.article_loss(z)
    assert seed_article.loss_verdict(right, lg, z).holds
    for wrong in (expect(log(LIKELIHOOD), z, Q) + kl(Q, PRIOR, z), -expect(log(LIKELIHOOD), z, Q) - kl(Q, PRIOR, z)):
        verdict = seed_article.loss_verdict(wrong, lg, z)
        assert not verdict.holds and verdict.status == "❌ wrong" and "not 0" in verdict.check
        assert chains.latex(verdict.claim, chains.ARTICLE) != chains.latex(
            seed_article.loss_verdict(right, lg, z).claim, chains.ARTICLE
        )


def test_the_shorthand_note_sits_on_the_line_that_prints_it(verdicts):
    # the note on sigma^2 I belongs only to a quoted line that contains sigma^2 I (the article prints it once)
    noted = [v for v in verdicts if r"\sigma^{2(i)} I" in v.check]
    assert [v.label for v in noted] == ["main text: the encoder's density, notation"]
    assert all(isinstance(v.claim, str) and "I)" in v.claim for v in noted)


def test_rewritten_lines_say_they_are_the_courses_reading(verdicts):
    read = [i for i, v in enumerate(verdicts, start=1) if v.reading]
    assert read == [13, 17, 19, 21, 45]
    table = audit.verification_table(verdicts).splitlines()[2:]
    assert all("the course's reading of" in table[i - 1] for i in read)
