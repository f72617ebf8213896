"""Languages a toolkit ships in: catalogs, CLDR formatting, direction and completeness.

Translations are read straight from `translations/<locale>/LC_MESSAGES/messages.po` with
Babel (no compile step needed for the CLI or a notebook), so the library can tell a missing or
fuzzy string from one translated identically to English and mark the fallback visibly: a
reader must see that a line is still in English, and never an empty one.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import hashlib
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polib
from babel import Locale
from babel.dates import format_date as _format_date
from babel.lists import format_list
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from . import plurals

LOCALES: tuple[str, ...] = ("en", "lt", "pl", "ro", "bg", "uk", "ar", "vi", "es")
SOURCE_LOCALE = "en"
TRANSLATIONS_DIR = Path(
    os.environ.get("CONTENT_TRANSLATIONS_DIR", Path(__file__).resolve().parents[1] / "translations")
)

# Letters each locale's text must show in a rendered PDF (the test of fonts and of encoding).
LOCALE_LETTERS: dict[str, str] = {
    "lt": "ąčęėįšųūž",
    "pl": "ąćęłńóśźż",
    "ro": "ăâîșț",
    "bg": "абвгдежзийклмнопрстуфхцчшщъюя",
    "uk": "єіїґ",
    "ar": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "vi": "ăâđêôơư",
    "es": "áéíñóú",
}


class UnknownLocale(ValueError):
    pass


def check_locale(code: str) -> str:
    if code not in LOCALES:
        raise UnknownLocale(f"Unknown locale {code!r}; expected one of: {', '.join(LOCALES)}")
    return code


def direction(code: str) -> str:
    return "rtl" if Locale.parse(code).text_direction == "rtl" else "ltr"


def language_name(code: str, in_locale: str | None = None) -> str:
    name = str(Locale.parse(code).get_display_name(in_locale or code))
    return name[:1].upper() + name[1:]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def po_path(code: str, directory: Path = TRANSLATIONS_DIR) -> Path:
    return directory / code / "LC_MESSAGES" / "messages.po"


@cache
def _catalog(path: str, mtime_ns: int) -> Catalog | None:
    if mtime_ns < 0:
        return None
    with open(path, "rb") as handle:
        return read_po(handle)


def catalog(code: str, directory: Path = TRANSLATIONS_DIR) -> Catalog | None:
    path = po_path(code, directory)
    return _catalog(str(path), mtime_ns(path))


def mtime_ns(path: Path) -> int:
    return path.stat().st_mtime_ns if path.exists() else -1


@cache
def _file_digest(path: str, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes() if mtime_ns >= 0 else b"").hexdigest()


def catalog_digest(code: str, directory: Path = TRANSLATIONS_DIR) -> str:
    """Hash of the locale's catalog, re-read only when the file changes (one stat per toolkit)."""
    path = po_path(code, directory)
    return _file_digest(str(path), mtime_ns(path))


def _one_full_stop(text: str, variables: dict[str, Any]) -> str:
    """A value that ends with its own full stop ends the sentence too: Lithuanian and Ukrainian
    long dates end with an abbreviation ("29 d.", "2026 р."), and "made on %(date)s." must not
    print "29 d..". Only a placeholder directly followed by "." is touched."""
    for name, value in variables.items():
        if isinstance(value, str) and value.endswith("."):
            text = text.replace(f"%({name})s.", f"%({name})s")
    return text


@dataclass
class Translator:
    """gettext for one locale, for one kind of output.

    `html=True` returns Markup: parameters are escaped, and an English fallback comes wrapped
    in `<span class="untranslated" lang="en">` so the page shows it as such; in plain text
    (social posts, the manifest) a fallback is prefixed "[EN] ". `fallbacks` collects the
    English strings used, so a toolkit can say how many there were.
    """

    locale: str
    html: bool = True
    directory: Path = TRANSLATIONS_DIR

    def __post_init__(self) -> None:
        check_locale(self.locale)
        self.fallbacks: set[str] = set()
        self._catalog = None if self.locale == SOURCE_LOCALE else catalog(self.locale, self.directory)
        if self._catalog is not None:
            expr = self._catalog.plural_expr
        else:
            expr = plurals.parse(plurals.expected(self.locale))[1]
        self._plural: Callable[[int], int] = _gettext.c2py(expr)

    def _lookup(self, msgid: str, plural: str | None, n: int) -> tuple[str, bool]:
        english = msgid if plural is None or n == 1 else plural
        if self.locale == SOURCE_LOCALE:
            return english, True
        message = self._catalog.get(msgid) if self._catalog is not None else None
        if message is None or message.fuzzy or not message.string:
            return english, False
        if plural is None:
            string = message.string if isinstance(message.string, str) else message.string[0]
        else:
            forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
            index = self._plural(n)
            string = forms[index] if index < len(forms) else ""
        return (string, True) if string else (english, False)

    def _finish(self, text: str, found: bool, source: str, variables: dict[str, Any]) -> Any:
        if not found:
            self.fallbacks.add(source)
        text = _one_full_stop(text, variables)
        if self.html:
            # Catalog text is trusted markup, as with Jinja's i18n extension; parameters are escaped
            # by %. The English fallback is source text, not markup, so it is escaped first.
            trusted = Markup(nfc(text)) if found else escape(nfc(text))  # noqa: S704
            result: Any = trusted % variables if variables else trusted
            if not found:
                result = Markup('<span class="untranslated" lang="en" dir="ltr" title="Not yet translated">') + (
                    result
                ) + Markup("</span>")
            return result
        result = nfc(text) % variables if variables else nfc(text)
        return result if found else f"[EN] {result}"

    def gettext(self, message: str, **variables: Any) -> Any:
        text, found = self._lookup(message, None, 1)
        return self._finish(text, found, message, variables)

    def ngettext(self, singular: str, plural: str, n: int, **variables: Any) -> Any:
        variables.setdefault("num", n)
        text, found = self._lookup(singular, plural, n)
        return self._finish(text, found, singular, variables)

    # Helpers that keep templates free of Babel imports.
    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def date(self, value: dt.date, format: str = "long") -> str:  # noqa: A002 - Babel's name
        return nfc(_format_date(value, format=format, locale=self.locale))

    @staticmethod
    def bidi(text: str) -> str:
        """The direction of a text by its first strong letter: a helpline's Latin name inside
        Arabic must be set left to right or its '&' and parentheses land on the wrong side."""
        for char in text:
            kind = unicodedata.bidirectional(char)
            if kind in ("R", "AL"):
                return "rtl"
            if kind == "L":
                return "ltr"
        return "ltr"

    def join(self, items: Any) -> str:
        return nfc(format_list([str(item) for item in items], locale=self.locale))

    @property
    def direction(self) -> str:
        return direction(self.locale)


@dataclass(frozen=True)
class Completeness:
    locale: str
    total: int
    translated: int
    fuzzy: int
    missing: int
    plural_forms: str
    expected_plurals: int
    plural_forms_ok: bool
    plural_problem: str = ""

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


def completeness(code: str, directory: Path = TRANSLATIONS_DIR) -> Completeness:
    """Counted with polib, and stricter than `pybabel --statistics`: a plural entry counts as
    translated only when every form is filled, and a fuzzy entry never counts. The plural rule is
    checked against the project's table (`content.plurals`), not the installed Babel, so the
    answer does not change with a Babel release. Parsed again only when the catalog file changes."""
    check_locale(code)
    path = directory / "messages.pot" if code == SOURCE_LOCALE else po_path(code, directory)
    return _completeness(code, str(directory), mtime_ns(path))


def _plural_problem(header: str, code: str, plural_entries: list[Any]) -> str:
    """Empty when the catalog follows the recorded rule, else one sentence saying what is wrong."""
    rule = plurals.expected(code)
    count = plurals.expected_count(code)
    try:
        found = plurals.parse(header)[0]
        plurals.choices(header)
    except plurals.PluralFormsError as exc:
        return str(exc)
    if found != count:
        return f"header has nplurals={found}, the rule for {code} has {count}: {rule}"
    if not plurals.same_rule(header, rule):
        numbers = ", ".join(str(n) for n in plurals.disagreements(header, rule))
        return f"header picks other forms than the rule for {code} ({rule}) for n = {numbers}"
    wrong = [e.msgid for e in plural_entries if len(e.msgstr_plural) != count]
    if wrong:
        return f"{len(wrong)} plural entries do not have {count} forms, the first: {wrong[0]!r}"
    return ""


@cache
def _completeness(code: str, directory_name: str, mtime_ns: int) -> Completeness:
    directory = Path(directory_name)
    expected = plurals.expected_count(code)
    if code == SOURCE_LOCALE:
        pot = polib.pofile(str(directory / "messages.pot"))
        total = len([e for e in pot if not e.obsolete])
        return Completeness(code, total, total, 0, 0, "", expected, True)
    po = polib.pofile(str(po_path(code, directory)))
    entries = [e for e in po if not e.obsolete]
    fuzzy = sum(1 for e in entries if "fuzzy" in e.flags)
    translated = 0
    for entry in entries:
        if "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural:
            forms = entry.msgstr_plural
            if len(forms) == expected and all(v.strip() for v in forms.values()):
                translated += 1
        elif entry.msgstr.strip():
            translated += 1
    header = po.metadata.get("Plural-Forms", "")
    problem = _plural_problem(header, code, [e for e in entries if e.msgid_plural])
    return Completeness(
        locale=code,
        total=len(entries),
        translated=translated,
        fuzzy=fuzzy,
        missing=len(entries) - translated - fuzzy,
        plural_forms=header,
        expected_plurals=expected,
        plural_forms_ok=not problem,
        plural_problem=problem,
    )
