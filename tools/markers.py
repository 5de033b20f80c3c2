"""Generated sections of text files: the part between ``<!-- name:start -->`` and ``<!-- name:end -->``.

The README's contents and results tables, models/README.md's tables and the benchmark reports are
written by tools; each replaces only its own marked section, so hand-written text around it survives.
"""

from __future__ import annotations

from pathlib import Path


def replace_section(text: str, name: str, body: str, append: bool = False) -> str:
    """``text`` with the section ``name`` replaced by ``body``.

    A missing section is an error, or, with ``append``, is added at the end (benchmark reports).
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    i, j = text.find(start), text.find(end)
    if i == -1 and j == -1 and append:
        return (text.rstrip() + "\n\n" if text.strip() else "") + block + "\n"
    if i == -1 or j == -1 or j < i:
        raise ValueError(f"no well-formed section {start} ... {end}")
    return text[:i] + block + text[j + len(end) :]


def write_section(path: Path, name: str, body: str) -> bool:
    """Replace the section ``name`` of the file at ``path``; return True if the file changed."""
    text = Path(path).read_text(encoding="utf-8")
    new = replace_section(text, name, body)
    if new != text:
        Path(path).write_text(new, encoding="utf-8")
    return new != text
