"""Tests of vaelib.claims: a lesson's claim about its own run notes, logs or raises, as the setting asks."""

import pytest

from vaelib import claims


@pytest.fixture
def learner(monkeypatch):
    """A learner's session: neither strict nor logging."""
    monkeypatch.delenv(claims.STRICT_ENV, raising=False)
    monkeypatch.delenv(claims.LOG_ENV, raising=False)


def test_a_claim_that_holds_is_silent_in_every_mode(learner, capsys, monkeypatch):
    assert claims.expect(True, "a", "b", "c") is None
    monkeypatch.setenv(claims.STRICT_ENV, "1")
    assert claims.expect(1 < 2, "a", "b", "c") is None
    assert capsys.readouterr().out == ""


def test_a_failed_claim_prints_one_line_for_a_learner(learner, capsys):
    claims.expect(False, "more than half of the grid in gaps", "48%", "Layouts change with the seed.")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "expected more than half of the grid in gaps, got 48%" in out and "Layouts change" in out


def test_a_failed_claim_raises_under_the_test_suite(learner, monkeypatch):
    monkeypatch.setenv(claims.STRICT_ENV, "1")
    with pytest.raises(claims.ClaimError, match="expected x, got y"):
        claims.expect(False, "x", "y", "z")
    assert issubclass(claims.ClaimError, AssertionError)


def test_a_failed_claim_is_logged_without_printing_when_measuring(learner, monkeypatch, tmp_path, capsys):
    log = tmp_path / "claims.log"
    monkeypatch.setenv(claims.LOG_ENV, str(log))
    claims.expect(False, "x", "y", "z")
    claims.expect(True, "u", "v", "w")
    assert capsys.readouterr().out == ""
    assert log.read_text().splitlines() == ["Not as in the stored run: expected x, got y. z"]


def test_the_test_suite_runs_strict():
    """tests/nbval_settings.py sets the variable, and the notebook kernels inherit it."""
    assert claims.strict()


@pytest.mark.parametrize("bad", ["", "  ", None, 3])
def test_a_claim_must_say_what_it_expects(learner, bad):
    with pytest.raises(TypeError, match="expected"):
        claims.expect(True, bad, "got", "why")
