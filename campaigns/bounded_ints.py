"""Whole numbers from URLs, query strings and forms, bounded to what the database can hold.

Python's `int` has no upper limit, but every id and year column is a SQL INTEGER: 32 bits on
PostgreSQL, 64 on SQLite. A number past that reaches the driver and fails there (SQLite raises
OverflowError, PostgreSQL "integer out of range"), so `/targeting/sets/99999999999999999999999`
was a 500. Numbers are checked here, where they enter the app, instead of in each view:

* `DatabaseIntConverter` replaces Werkzeug's `int` URL converter for every route of the app
  (`register`), so an id no row can have does not match the route and answers 404;
* `int_arg` reads a query-string or form number and clamps it, for page numbers;
* `db_int` reads one and says None when it is not a storable whole number, for ids and years.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from typing import Any, Final

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

__all__ = ["DB_INT_MAX", "DatabaseIntConverter", "db_int", "int_arg", "register"]

# The largest value a portable INTEGER column holds (PostgreSQL's 4-byte integer; SQLite's is wider).
DB_INT_MAX: Final = 2**31 - 1

# ASCII digits only: `int()` also reads Arabic-Indic digits, "1_000" and " 7 ", none of which
# anyone means in an address or a form, and refuses more than 4,300 digits with a ValueError.
_DIGITS: Final = re.compile(r"[0-9]+")
_SATURATED: Final = 10**18


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` for this app: ASCII digits from 0 to `DB_INT_MAX` unless the rule narrows it.

    A larger value makes the route not match, which Flask answers with its 404 page (JSON under
    /api/), exactly like an id that names no row."""

    regex = r"[0-9]+"

    def __init__(
        self,
        map: Map,  # noqa: A002 - Werkzeug passes the map under this name
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002 - Werkzeug's keyword names, usable in rules: <int(min=1):x>
        max: int | None = DB_INT_MAX,  # noqa: A002
        signed: bool = False,
    ) -> None:
        bound = DB_INT_MAX if max is None else builtins.min(max, DB_INT_MAX)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)


def register(app: Flask) -> None:
    """Make `<int:...>` bounded for every route; call before any blueprint adds its rules."""
    app.url_map.converters["int"] = DatabaseIntConverter


def _digits_value(value: Any) -> int | None:
    """Plain ASCII digits as an int; past 18 significant digits (far beyond any column) the value
    saturates at 10**18, so no string is too long to read."""
    text = value.strip() if isinstance(value, str) else ""
    if not _DIGITS.fullmatch(text):
        return None
    significant = text.lstrip("0") or "0"
    return int(significant) if len(significant) <= 18 else _SATURATED


def db_int(value: Any, *, minimum: int = 0, maximum: int = DB_INT_MAX) -> int | None:
    """`value` as an int when it is plain ASCII digits within [minimum, maximum], else None."""
    number = _digits_value(value)
    return number if number is not None and minimum <= number <= maximum else None


def int_arg(
    source: Mapping[str, Any], name: str, default: int, *, minimum: int = 1, maximum: int = DB_INT_MAX
) -> int:
    """A number from the query string (or a form), clamped to [minimum, maximum]; `default`
    when it is missing or not a whole number. For page numbers: ?page=99999999999999999999
    shows the last page instead of asking the database for an impossible offset."""
    number = _digits_value(source.get(name))
    return default if number is None else max(minimum, min(number, maximum))
