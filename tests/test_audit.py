"""vaelib.audit: verdicts on a text's equations render as one table, and refuse what they cannot vouch for."""

import pytest

from vaelib import audit


def test_verification_table_renders_and_validates():
    good = audit.Verdict("eq. 1", r"a = a", True, "trivial")
    bad = audit.Verdict("eq. 2", r"a = -a", False, "sign", correct=r"a = a")
    notation = audit.Verdict("eq. 3", r"q \sim N", False, "reading", correct=r"z \sim N", kind="notation")
    read = audit.Verdict("eq. 3b", r"q \sim N", False, "by reading", correct=r"z \sim N", kind="notation", by_reading=True)
    fine = audit.Verdict("eq. 3c", r"z \sim N", True, "by reading", kind="notation", by_reading=True)
    table = audit.verification_table([good, bad, notation, read, fine])
    assert "✅ verified" in table and "❌ wrong" in table and "⚠️ wrong notation" in table and "✅ notation fine" in table
    rows = table.splitlines()[2:]
    assert [row.split(" | ")[4] for row in rows] == ["computation"] * 3 + ["reading"] * 2
    assert (good.decided_by, read.decided_by) == ("computation", "reading")
    with pytest.raises(ValueError, match="by reading"):
        audit.Verdict("eq. 3d", "a = a", True, "looks fine", by_reading=True)  # maths is never judged by reading
    with pytest.raises(ValueError, match="corrected form"):
        audit.Verdict("eq. 4", "a", False, "no correction given")
    with pytest.raises(ValueError, match="mid"):
        audit.verification_table([audit.Verdict("eq. 5", "p(z|x)", True, "pipe")])
    with pytest.raises(TypeError):
        audit.Verdict("eq. 6", "a", 1, "not a bool")
