"""Names as people typed them, without the invisible characters that change how text reads.

Bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F) make a name display differently
from what it is: `invoice\u202Efdp.exe` shows as `invoiceexe.pdf`, a label can swallow the
text after it, and the same characters end up in CSVs, map titles and download headers. Other
control and format characters (zero-width spaces, the byte-order mark, NUL, escape) are just as
invisible. Every name that comes from outside goes through `strip_controls` once, where it is
read (sets, campaigns, users, organisations, tokens, uploaded file names), so what is stored,
shown and exported is only the visible text.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PureWindowsPath
from typing import Final

__all__ = ["strip_controls", "uploaded_filename"]

# Unicode categories removed: Cc (controls such as NUL, ESC, CR, LF), Cf (format: bidi
# embeddings, overrides and isolates, LRM/RLM, zero-width characters, the BOM, soft hyphen),
# Cs (lone surrogates, which cannot even be encoded), Co (private use) and Cn (unassigned).
# Line and paragraph separators (Zl, Zp) become ordinary spaces.
_REMOVED: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_SPACES: Final = re.compile(r"[ \u2028\u2029]+")


def strip_controls(text: str | None, *, newlines: bool = False) -> str:
    """`text` without control, format and other invisible characters, trimmed.

    Tab and newline are kept only where the text may hold several lines (`newlines=True`, for
    a list of partners, one per line); elsewhere they become spaces, as do line separators.
    Runs of spaces inside one-line text collapse to one."""
    if not text:
        return ""
    kept: list[str] = []
    for ch in text:
        if newlines and ch in "\t\n":
            kept.append(ch)
        elif ch in "\t\n\r\u2028\u2029":
            kept.append(" ")
        elif unicodedata.category(ch) not in _REMOVED:
            kept.append(ch)
    cleaned = "".join(kept)
    if newlines:
        return "\n".join(line.strip() for line in cleaned.split("\n")).strip()
    return _SPACES.sub(" ", cleaned).strip()


def uploaded_filename(name: str | None) -> str:
    """The last part of a browser-sent file name (some send `C:\\fakepath\\x.csv`), stripped of
    controls, at most 200 characters, so it can stand in a set's name and source."""
    base = PureWindowsPath(strip_controls(name)).name  # splits on both / and \\
    return base[:200]
