"""The Content-Disposition header of every download, built the way Werkzeug's send_file does.

A file name in a header must be ASCII and may not hold quotes, backslashes, semicolons or line
breaks; names with other letters go in RFC 5987's `filename*` (UTF-8, percent-encoded), which
every current browser prefers, with an ASCII `filename` beside it for the rest (RFC 6266).
Building the header by hand from an f-string let a name with a quote or a bidi control end
up in the header as it was.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final
from urllib.parse import quote

from werkzeug.http import dump_options_header

from .plain_text import strip_controls

__all__ = ["attachment"]

# RFC 5987 attr-char: what may stand unencoded in filename*.
_ATTR_CHARS: Final = "!#$&+-.^_`|~"
_UNSAFE_ASCII: Final = re.compile(r"[^A-Za-z0-9._() -]+")


def _ascii(part: str) -> str:
    plain = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode("ascii")
    return _UNSAFE_ASCII.sub("_", plain).strip(" ._")


def _ascii_fallback(name: str) -> str:
    """Letters lose their accents (NFKD, as send_file does), anything else unsafe becomes `_`,
    and a name with nothing ASCII left keeps its extension: `отчёт.csv` -> `download.csv`."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return _ascii(name) or "download"
    return f"{_ascii(stem) or 'download'}.{_ascii(extension)}".rstrip(".")


def attachment(filename: str, *, inline: bool = False) -> str:
    """`attachment; filename=ASCII; filename*=UTF-8''...` (or `inline; ...`) for `filename`,
    with control and bidi characters removed first and path separators made harmless."""
    name = strip_controls(filename).replace("/", "_").replace("\\", "_") or "download"
    return dump_options_header(
        "inline" if inline else "attachment",
        {"filename": _ascii_fallback(name), "filename*": "UTF-8''" + quote(name, safe=_ATTR_CHARS)},
    )
