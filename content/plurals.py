"""The plural rule every catalog follows, fixed in the repository rather than read from Babel.

Why a table and not `babel.messages.plurals.get_plural`: Babel's gettext plural table, which follows
CLDR, changes in minor releases (Babel 2.19 gave Spanish CLDR's third form, "many", for round
millions: "1000000 de señales"), so a check against whatever Babel is installed passes or fails by
the day it was installed. The catalogs are written to the rules below, which are those of the
*locked* Babel; `python -m content locales --check`, the languages page and the completeness count
compare catalogs with this table only, so they agree whatever Babel a user has.

When `make lock` brings a Babel with other plural rules, `tests/test_i18n.py` compares this table
with it and names the locale that changed. Then update the rule here, add or drop the forms in that
locale's catalog, and commit the table, the catalog and the lock together.

Rules are compared by what they do, not by their text: two gettext expressions are the same rule
when they choose the same form for every whole number in `SAMPLE` (all of 0..2,199, which covers
every rule's residues mod 10, 100 and 1,000, plus round and near-round millions and billions).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from functools import cache

# The Babel release whose `get_plural` gave these rules (it ships CLDR 49).
BABEL_RELEASE = "2.19.0"

PLURAL_FORMS: dict[str, str] = {
    "en": "nplurals=2; plural=(n != 1);",
    "lt": "nplurals=3; plural=n % 10 == 1 && (n % 100 < 11 || n % 100 > 19) ? 0 : "
    "n % 10 >= 2 && n % 10 <= 9 && (n % 100 < 11 || n % 100 > 19) ? 1 : 2;",
    "pl": "nplurals=3; plural=n == 1 ? 0 : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? 1 : 2;",
    "ro": "nplurals=3; plural=(n == 1 ? 0 : n == 0 || n != 1 && n % 100 >= 1 && n % 100 <= 19 ? 1 : 2);",
    "bg": "nplurals=2; plural=(n != 1);",
    "uk": "nplurals=3; plural=n % 10 == 1 && n % 100 != 11 ? 0 : "
    "n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? 1 : 2;",
    "ar": "nplurals=6; plural=(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n % 100 >= 3 && n % 100 <= 10 ? 3 : "
    "n % 100 >= 11 && n % 100 <= 99 ? 4 : 5);",
    "vi": "nplurals=1; plural=0;",
    "es": "nplurals=3; plural=(n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2);",
}

SAMPLE: tuple[int, ...] = tuple(range(2200)) + tuple(
    base * k + d for base in (10**6, 10**9) for k in (1, 2, 3, 10, 21) for d in (-1, 0, 1, 2, 11, 100)
)

_HEADER = re.compile(r"^\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*$", re.DOTALL)


class PluralFormsError(ValueError):
    """A Plural-Forms header that gettext cannot read."""


def parse(header: str) -> tuple[int, str]:
    """`nplurals=N; plural=EXPR;` to (N, EXPR), raising `PluralFormsError` on anything else."""
    match = _HEADER.match(header or "")
    if not match:
        raise PluralFormsError(f"not a Plural-Forms header: {header!r} (expected 'nplurals=N; plural=EXPR;')")
    return int(match.group(1)), match.group(2)


@cache
def _function(expr: str) -> Callable[[int], int]:
    try:
        return gettext.c2py(expr)
    except ValueError as exc:
        raise PluralFormsError(f"gettext cannot read the plural expression {expr!r}: {exc}") from exc


def choices(header: str) -> tuple[int, ...]:
    """The form a header picks for each number of `SAMPLE`."""
    _, expr = parse(header)
    rule = _function(expr)
    return tuple(rule(n) for n in SAMPLE)


def expected(code: str) -> str:
    """The Plural-Forms header the catalog of `code` must carry (by behaviour, not by text)."""
    try:
        return PLURAL_FORMS[code]
    except KeyError:
        raise KeyError(f"no plural rule recorded for locale {code!r}; add it to content/plurals.py") from None


def expected_count(code: str) -> int:
    return parse(expected(code))[0]


def same_rule(header: str, other: str) -> bool:
    """Whether two headers have as many forms and choose the same one for every sampled number."""
    try:
        return parse(header)[0] == parse(other)[0] and choices(header) == choices(other)
    except PluralFormsError:
        return False


def disagreements(header: str, other: str, limit: int = 5) -> list[int]:
    """The first numbers for which two headers pick different forms (for error messages)."""
    mine, theirs = choices(header), choices(other)
    return [n for n, a, b in zip(SAMPLE, mine, theirs, strict=True) if a != b][:limit]
