"""The shell in every shipped language: catalogs complete, plural rules right, direction set."""

from __future__ import annotations

from pathlib import Path

import babel
import polib
import pytest
from babel import Locale
from babel.core import get_cldr_version
from babel.messages.plurals import get_plural
from flask.testing import FlaskClient

from campaigns.config import SUPPORTED_LOCALES
from content import plurals

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
TRANSLATED = [code for code in SUPPORTED_LOCALES if code != "en"]


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalog_is_complete(code: str) -> None:
    po = polib.pofile(str(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"))
    assert po.percent_translated() == 100, [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries()
    for entry in po.translated_entries():
        if entry.msgid_plural:  # polib counts an entry with one filled form as translated
            assert all(v.strip() for v in entry.msgstr_plural.values()), entry.msgid


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalog_follows_the_recorded_plural_rule(code: str) -> None:
    po = polib.pofile(str(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"))
    rule, header = plurals.expected(code), po.metadata["Plural-Forms"]
    assert plurals.same_rule(header, rule), plurals.disagreements(header, rule)
    for entry in po:
        if entry.msgid_plural:
            assert len(entry.msgstr_plural) == plurals.expected_count(code), entry.msgid


@pytest.mark.parametrize("code", SUPPORTED_LOCALES)
def test_recorded_plural_rules_are_those_of_the_locked_babel(code: str) -> None:
    """The one test that reads Babel's CLDR plural data. Babel is pinned in requirements/*.txt, so it
    fails only when `make lock` brings new CLDR data: then update content/plurals.py and that catalog."""
    babel_rule = get_plural(code).plural_forms
    assert plurals.same_rule(plurals.expected(code), babel_rule), (
        f"Babel {babel.__version__} (CLDR {get_cldr_version()}) has another plural rule for {code}: {babel_rule} "
        f"(differs for n = {plurals.disagreements(plurals.expected(code), babel_rule)}); content/plurals.py records "
        f"Babel {plurals.BABEL_RELEASE}'s. Update the table and the {code} catalog's forms together."
    )


def test_spanish_round_millions_take_the_cldr_many_form(demo_app) -> None:  # type: ignore[no-untyped-def]
    """Through Flask-Babel's compiled catalog, as a page would: 1000000 "de señales", 2 "señales"."""
    from flask_babel import force_locale, ngettext

    with demo_app.test_request_context(), force_locale("es"):
        words = {n: ngettext("%(num)s warning sign", "%(num)s warning signs", n) for n in (1, 2, 1_000_000, 1_000_001)}
    assert words == {1: "1 señal de alerta", 2: "2 señales de alerta",
                     1_000_000: "1000000 de señales de alerta", 1_000_001: "1000001 señales de alerta"}


@pytest.mark.parametrize("code", SUPPORTED_LOCALES)
def test_login_page_in_each_language(client: FlaskClient, code: str) -> None:
    html = client.get(f"/login?lang={code}").get_data(as_text=True)
    direction = Locale.parse(code).text_direction
    assert f'<html lang="{code}" dir="{direction}">' in html
    title = html.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert (title == "Sign in") == (code == "en"), (code, title)


def test_arabic_is_right_to_left(client: FlaskClient) -> None:
    html = client.get("/login?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in html and "تسجيل" in html


def test_choice_is_remembered_then_accept_language_decides(app, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    client.get("/login?lang=lt")
    assert '<html lang="lt"' in client.get("/login").get_data(as_text=True)
    fresh = app.test_client()
    html = fresh.get("/login", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="pl"' in html
    unknown = app.test_client().get("/login", headers={"Accept-Language": "xx"})
    assert '<html lang="en"' in unknown.get_data(as_text=True)


def test_numbers_and_plurals_follow_cldr(demo_app) -> None:  # type: ignore[no-untyped-def]
    from campaigns.models import Role
    from campaigns.services.demo import DEMO_USERS
    from tests.conftest import login

    client = demo_app.test_client()
    login(client, *DEMO_USERS[Role.COORDINATOR])
    assert "6,478,216" in client.get("/targeting/?lang=en").get_data(as_text=True)
    assert "6\u00a0478\u00a0216" in client.get("/targeting/?lang=lt").get_data(as_text=True)
    assert "6.478.216" in client.get("/targeting/?lang=es").get_data(as_text=True)
    assert "2 boundary sets" in client.get("/?lang=en").get_data(as_text=True)
    lt_home = client.get("/?lang=lt").get_data(as_text=True)
    assert "2 " in lt_home and "boundary sets" not in lt_home


def test_language_switcher_names_each_language_in_itself(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    for native in ("Lietuvių", "Polski", "Română", "Български", "Українська", "العربية", "Tiếng Việt", "Español"):
        assert native in html, native
