"""vaelib.audit: verdicts on a text's equations render as one table and refuse what they cannot vouch for:
a verdict on mathematics carries the checked node itself, so the table shows what was checked.
"""

import pytest
import sympy as sp

from vaelib import audit, chains
from vaelib.equations import Atom, log

A = Atom(sp.Symbol("a"))


def test_verification_table_renders_and_validates():
    good = audit.Verdict("eq. 1", A - A, True, "trivial")
    bad = audit.Verdict("eq. 2", A + A, False, "sign", correct=A - A)
    notation = audit.Verdict("eq. 3", r"q \sim N", False, "counting", correct=r"z \sim N", kind="notation")
    read = audit.Verdict(
        "eq. 3b", r"q \sim N", False, "by reading", correct=r"z \sim N", kind="notation", by_reading=True
    )
    fine = audit.Verdict("eq. 3c", r"z \sim N", True, "by reading", kind="notation", by_reading=True)
    table = audit.verification_table([good, bad, notation, read, fine])
    assert (
        "✅ verified" in table and "❌ wrong" in table and "⚠️ wrong notation" in table and "✅ notation fine" in table
    )
    rows = table.splitlines()[2:]
    assert [row.split(" | ")[4] for row in rows] == ["computation"] * 3 + ["reading"] * 2
    assert rows[0].split(" | ")[2] == "$a - a$" and rows[1].split(" | ")[5] == "$a - a$"  # printed from the nodes
    with pytest.raises(TypeError, match="shows the checked node"):
        audit.Verdict("eq. 3d", "a = a", True, "typed, not checked")  # maths is shown from its node
    with pytest.raises(ValueError, match="by reading"):
        audit.Verdict("eq. 3e", "a = a", True, "looks fine", kind="maths", by_reading=True)
    with pytest.raises(ValueError, match="corrected form"):
        audit.Verdict("eq. 4", A, False, "no correction given")
    with pytest.raises(ValueError, match="mid"):
        audit.verification_table([audit.Verdict("eq. 5", "p(z|x)", True, "pipe", kind="notation")])
    with pytest.raises(TypeError):
        audit.Verdict("eq. 6", A, 1, "not a bool")


def test_printed_lines_keep_their_parentheses_and_lose_their_pipes():
    assert audit.printed(r"D(q(z|x)||p(z))") == r"D(q(z \mid x) \Vert p(z))"
    assert audit.parentheses_balance(audit.printed(r"D(q(z|x)||p(z))")) and not audit.parentheses_balance("f(x))")
    assert audit.counted("f(x))") == "the line as printed has 1 '(' and 2 ')'"


def test_a_sign_error_in_a_chain_row_turns_its_verdict():
    z, mu = sp.symbols("z mu", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    term_i = chains.kl_term_chains(z, mu, sigma)["(i)"]
    half, two_pi_var = Atom(sp.Rational(1, 2)), Atom(2 * sp.pi * sigma**2)
    planted = [*term_i[:-1], chains.Line(half * (1 + log(two_pi_var)), tag="(i)")]
    rows = audit.chain_verdicts("appendix: term (i)", planted, chains.kl_model(z, mu, sigma), chains.ARTICLE_APPENDIX)
    assert [r.holds for r in rows] == [True] * 4 + [False]
    assert chains.latex(rows[-1].correct) == chains.latex(chains.Line(term_i[-2], continued=True))  # the line above


def test_a_reading_is_labelled_and_rows_keep_their_numbers():
    reading = audit.Verdict("eq. 7", A - A, True, "trivial", reading="the next row")
    plain = audit.Verdict("eq. 8", A - A, True, "trivial")
    rows = audit.verification_table([reading, plain], numbers=[7, 12]).splitlines()[2:]
    assert (
        rows[0].split(" | ")[5] == "(the course's reading of the next row)"
        and rows[1].split(" | ")[5] == "(as written)"
    )
    assert [row.split(" | ")[0] for row in rows] == ["| 7", "| 12"]
    with pytest.raises(ValueError, match="row numbers"):
        audit.verification_table([plain], numbers=[1, 2])
