"""What every test of an exercise check asserts, in one place (imported by tests/test_checks*.py)."""

import re

import pytest


def passes(capsys, check, *args):
    """The check accepts the answer: it returns None and prints 'correct'."""
    assert check(*args) is None
    out = capsys.readouterr().out
    assert "correct" in out, out


def not_attempted(capsys, check, *args):
    """An answer left at None is not judged: the check says so and returns None."""
    assert check(*args) is None
    assert "Not attempted yet" in capsys.readouterr().out


def fails(check, *args, match):
    """The check rejects the answer with one message that starts with its exercise and names the mistake."""
    with pytest.raises(AssertionError, match=match) as info:
        check(*args)
    assert str(info.value).count("Exercise") == 1, str(info.value)
    return str(info.value)


def fails_with(check, answer, label, says):
    """The check rejects ``answer`` with a message that starts with ``label`` and names the mistake ``says``."""
    with pytest.raises(AssertionError, match=f"^{re.escape(label)}: .*{says}") as info:
        check(answer)
    assert str(info.value).count(label) == 1
