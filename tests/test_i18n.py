"""The shell in every shipped language: catalogs complete, plural rules right, direction set."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from babel import Locale
from babel.messages.plurals import get_plural
from flask.testing import FlaskClient

from campaigns.config import SUPPORTED_LOCALES

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
def test_plural_forms_header_agrees_with_babel(code: str) -> None:
    po = polib.pofile(str(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"))
    expected = get_plural(code)
    header = po.metadata["Plural-Forms"].replace(" ", "")
    assert header.startswith(f"nplurals={expected.num_plurals};")
    for entry in po:
        if entry.msgid_plural:
            assert len(entry.msgstr_plural) == expected.num_plurals


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
