"""The public answer form: what it stores (and does not), who may reach it, and how it refuses.

Waves are made directly with the models on the demo's first campaign: open today, in English,
Lithuanian and Arabic, asking every bank question, with one comparison area.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select

from campaigns.db import write_intent
from campaigns.extensions import db
from campaigns.models import Campaign, Role
from campaigns.surveys import codes
from campaigns.surveys.models import (
    ANSWERED,
    SurveyAnswer,
    SurveyCode,
    SurveyResponse,
    SurveyWave,
    WaveAccess,
    WaveKind,
    WaveStatus,
)
from content.locales import Translator
from content.questions import bank
from tests.conftest import demo_client

COMPARISON = {"code": "CMP-001", "name": "Aaa comparison county"}
PROBE_UA = "SurveyProbe/9.9 (marker-ua-7f3a51)"
PROBE_IP = "203.0.113.77"


def make_wave(app: Flask, **overrides: Any) -> tuple[int, str]:
    """(wave id, token) of a new wave of the demo's first campaign; open today unless overridden."""
    today = date.today()
    values: dict[str, Any] = {
        "kind": WaveKind.BASELINE, "opens_on": today - timedelta(days=3), "closes_on": today + timedelta(days=10),
        "status": WaveStatus.OPEN, "token": secrets.token_urlsafe(18)[:24], "access": WaveAccess.LINK,
        "locales": ["en", "lt", "ar"], "questions": [q.key for q in bank()], "comparison_areas": [COMPARISON],
    }  # fmt: skip
    values.update(overrides)
    with app.app_context(), write_intent():
        campaign_id = db.session.scalar(select(Campaign.id).order_by(Campaign.id))
        wave = SurveyWave(campaign_id=campaign_id, **values)
        db.session.add(wave)
        db.session.commit()
        return wave.id, wave.token


def area_codes(app: Flask) -> list[str]:
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.id))
        assert campaign is not None
        return [a.area_code for a in campaign.areas]


def responses(app: Flask, wave_id: int) -> list[SurveyResponse]:
    with app.app_context():
        rows = list(db.session.scalars(select(SurveyResponse).where(SurveyResponse.wave_id == wave_id)))
        db.session.expunge_all()
        return rows


def answers(app: Flask, wave_id: int) -> set[tuple[str, int]]:
    with app.app_context():
        query = select(SurveyAnswer.question, SurveyAnswer.value).where(SurveyAnswer.wave_id == wave_id)
        rows = db.session.execute(query)
        return {(q, v) for q, v in rows}


def answer_count(app: Flask, wave_id: int) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).where(SurveyAnswer.wave_id == wave_id)) or 0)


def tag(soup: BeautifulSoup, element: str, **attrs: str) -> Tag:
    """The first `element` with these attributes; fails the test when there is none."""
    found = soup.find(element, attrs=dict[str, Any](attrs))
    assert isinstance(found, Tag), f"no <{element} {attrs}>"
    return found


FULL = {"q-signs-two": "1", "q-knows-report": "2", "q-act-differently": "4", "q-trusts-helpline": "5",
        "q-seen-material": "1", "q-seen-where": ["1", "3"], "q-people-told": "3"}  # fmt: skip


def test_a_stored_answer_has_the_codes_and_the_day_only(demo_app: Flask) -> None:
    wave_id, token = make_wave(demo_app)
    area = area_codes(demo_app)[0]
    page = demo_app.test_client().post(f"/s/{token}/lt", data={"area": area, **FULL})
    assert page.status_code == 200, page.get_data(as_text=True)
    assert 'lang="lt"' in page.get_data(as_text=True) and "<form" not in page.get_data(as_text=True)
    (row,) = responses(demo_app, wave_id)
    assert (row.area_code, row.locale, row.segment, row.source, row.comparison) == (area, "lt", "", "form", False)
    assert row.day == date.today() and type(row.day) is date  # a day, never a time
    assert row.instance_id is None
    assert answers(demo_app, wave_id) == {
        ("signs-two", 1), ("knows-report", 2), ("act-differently", 4), ("trusts-helpline", 5), ("seen-material", 1),
        ("seen-where", ANSWERED), ("seen-where", 1), ("seen-where", 3), ("people-told", 3),
    }


def test_the_tables_hold_only_the_allowed_columns(demo_app: Flask) -> None:
    """A new column on these tables (an address, a time, a device) must be argued for here."""
    with demo_app.app_context():
        tables = ("survey_responses", "survey_answers")
        columns = {t: {c["name"] for c in inspect(db.engine).get_columns(t)} for t in tables}
    assert columns["survey_responses"] == {"id", "wave_id", "area_code", "comparison", "locale", "segment", "day",
                                           "source", "instance_id"}  # fmt: skip
    assert columns["survey_answers"] == {"id", "response_id", "wave_id", "area_code", "comparison", "locale",
                                         "segment", "question", "value"}  # fmt: skip


def test_no_address_user_agent_or_cookie_is_kept(demo_app: Flask, tmp_path: Path) -> None:
    wave_id, token = make_wave(demo_app)
    client = demo_app.test_client()
    environ = {"REMOTE_ADDR": PROBE_IP, "HTTP_USER_AGENT": PROBE_UA}
    form = client.get(f"/s/{token}/en", environ_base=environ)
    assert form.status_code == 200
    assert "Set-Cookie" not in form.headers  # no session: nothing ties two visits together
    sent = client.post(f"/s/{token}/en", data={"area": COMPARISON["code"], **FULL}, environ_base=environ)
    assert sent.status_code == 200 and "Set-Cookie" not in sent.headers
    (row,) = responses(demo_app, wave_id)
    assert row.comparison is True
    with demo_app.app_context():  # every value of every table, on either database
        for table in db.metadata.sorted_tables:
            for values in db.session.execute(select(table)):
                dumped = repr(tuple(values))
                assert PROBE_IP not in dumped and "marker-ua-7f3a51" not in dumped, table.name
    files = list(tmp_path.glob("test.sqlite3*"))
    for path in files:  # SQLite: the file's bytes too, free pages and the write-ahead log included
        data = path.read_bytes()
        assert PROBE_IP.encode() not in data and b"marker-ua-7f3a51" not in data, path.name
    if files:
        assert any(b"CMP-001" in p.read_bytes() for p in files)  # the scan does see what was stored


def test_skipped_questions_store_no_rows(demo_app: Flask) -> None:
    wave_id, token = make_wave(demo_app)
    client = demo_app.test_client()
    assert client.post(f"/s/{token}/en", data={"area": area_codes(demo_app)[0]}).status_code == 200
    data = {"area": area_codes(demo_app)[1], "q-signs-two": "2", "q-people-told": "", "q-seen-where": []}
    assert client.post(f"/s/{token}/en", data=data).status_code == 200
    assert len(responses(demo_app, wave_id)) == 2
    assert answers(demo_app, wave_id) == {("signs-two", 2)}


def test_multiple_choice_stores_answered_and_each_option(demo_app: Flask) -> None:
    wave_id, token = make_wave(demo_app)
    data = {"area": area_codes(demo_app)[0], "q-seen-where": ["2", "5", "2"]}
    assert demo_app.test_client().post(f"/s/{token}/en", data=data).status_code == 200
    with demo_app.app_context():
        values = sorted(db.session.scalars(
            select(SurveyAnswer.value).where(SurveyAnswer.wave_id == wave_id, SurveyAnswer.question == "seen-where")
        ))
    assert values == [ANSWERED, 2, 5]


def test_an_answer_it_cannot_have_stores_nothing_and_keeps_the_form(demo_app: Flask) -> None:
    wave_id, token = make_wave(demo_app)
    area = area_codes(demo_app)[0]
    page = demo_app.test_client().post(
        f"/s/{token}/en", data={"area": area, "q-signs-two": "1", "q-knows-report": "99", "q-people-told": "10001"}
    )
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Choose one of the answers" in html and "whole number from 0 to 10000" in html
    soup = BeautifulSoup(html, "html.parser")
    assert tag(soup, "input", name="q-signs-two", value="1").has_attr("checked")  # kept
    assert tag(soup, "option", value=area).has_attr("selected")
    assert responses(demo_app, wave_id) == [] and answer_count(demo_app, wave_id) == 0


def test_the_area_is_needed(demo_app: Flask) -> None:
    wave_id, token = make_wave(demo_app)
    page = demo_app.test_client().post(f"/s/{token}/en", data={"area": "NOT-AN-AREA", "q-signs-two": "1"})
    assert page.status_code == 422 and "Choose where you live or work." in page.get_data(as_text=True)
    assert responses(demo_app, wave_id) == []


def test_the_honeypot_thanks_and_stores_nothing(demo_app: Flask) -> None:
    wave_id, token = make_wave(demo_app)
    page = demo_app.test_client().post(
        f"/s/{token}/en", data={"area": area_codes(demo_app)[0], "website": "http://spam.example", **FULL}
    )
    assert page.status_code == 200 and "Thank you" in page.get_data(as_text=True)
    assert responses(demo_app, wave_id) == [] and answer_count(demo_app, wave_id) == 0


def test_the_rate_limit_answers_429_and_stores_nothing_beyond(
    demo_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    demo_app.config["SURVEY_RATE_LIMIT"] = "2 per minute"
    wave_id, token = make_wave(demo_app)
    client = demo_app.test_client()
    client.environ_base["REMOTE_ADDR"] = PROBE_IP
    data = {"area": area_codes(demo_app)[0], "q-signs-two": "1"}
    assert [client.post(f"/s/{token}/ar", data=data).status_code for _ in range(2)] == [200, 200]
    caplog.set_level(logging.INFO)
    refused = client.post(f"/s/{token}/ar", data=data)
    assert any("exceeded" in r.getMessage() for r in caplog.records)  # the breach is logged...
    assert PROBE_IP not in caplog.text  # ...without the address
    assert refused.status_code == 429
    busy = ("Many answers came from this connection in a short time, so this one was not saved. Please wait a "
            "minute and send it again.")
    arabic = str(Translator("ar", html=False).gettext(busy))
    assert not arabic.startswith("[EN]")  # the catalog has it, so the page must show the Arabic
    assert html.unescape(arabic) in html.unescape(refused.get_data(as_text=True)) and refused.headers["Retry-After"]
    assert 'dir="rtl"' in refused.get_data(as_text=True)  # in the survey's language and direction
    assert len(responses(demo_app, wave_id)) == 2
    assert client.get(f"/s/{token}/ar").status_code == 200  # reading the form is not limited
    other = demo_app.test_client().post(f"/s/{token}/ar", data=data)
    assert other.status_code == 200  # per client address
    assert len(responses(demo_app, wave_id)) == 3


@pytest.mark.parametrize(
    ("status", "opens", "closes", "words"),
    [
        (WaveStatus.PLANNED, 2, 20, "This survey has not opened yet"),
        (WaveStatus.OPEN, 2, 20, "This survey has not opened yet"),  # open, but its first day is to come
        (WaveStatus.CLOSED, -20, 20, "This survey is closed"),
        (WaveStatus.OPEN, -20, -1, "This survey is closed"),  # its last day has passed
    ],
)
def test_a_wave_not_open_shows_no_form_and_stores_nothing(
    demo_app: Flask, status: WaveStatus, opens: int, closes: int, words: str
) -> None:
    today = date.today()
    wave_id, token = make_wave(
        demo_app, status=status, opens_on=today + timedelta(days=opens), closes_on=today + timedelta(days=closes)
    )
    client = demo_app.test_client()
    lithuanian = str(Translator("lt", html=False).gettext(words)).split("%(")[0]
    posted = client.post(f"/s/{token}/en", data={"area": area_codes(demo_app)[0], **FULL})
    for page, expected in ((client.get(f"/s/{token}"), words), (client.get(f"/s/{token}/lt"), lithuanian),
                           (posted, words)):  # fmt: skip
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and expected in text and "<form" not in text
    assert responses(demo_app, wave_id) == []


def test_an_unknown_token_is_a_plain_404(demo_app: Flask) -> None:
    make_wave(demo_app)
    client = demo_app.test_client()
    for path in ("/s/nosuchtoken", "/s/nosuchtoken/en", "/s/" + "x" * 40 + "/en", "/s/bad%20token/en"):
        page = client.get(path)
        assert page.status_code == 404, path
        main = page.get_data(as_text=True).split("<main", 1)[1].split("</main>", 1)[0]
        assert "survey" not in main.lower()  # the page says nothing of a survey (the footer is every page's)
    assert client.post("/s/nosuchtoken/en", data={"area": "x"}).status_code == 404


def test_the_chooser_lists_the_languages_or_goes_to_the_only_one(demo_app: Flask) -> None:
    _wave_id, token = make_wave(demo_app)
    client = demo_app.test_client()
    soup = BeautifulSoup(client.get(f"/s/{token}").get_data(as_text=True), "html.parser")
    links = {a["href"]: a["lang"] for a in soup.select("ul.language-list a")}
    assert links == {f"/s/{token}/en": "en", f"/s/{token}/lt": "lt", f"/s/{token}/ar": "ar"}
    _wave_id, single = make_wave(demo_app, locales=["lt"])
    assert client.get(f"/s/{single}").headers["Location"].endswith(f"/s/{single}/lt")
    assert client.get(f"/s/{single}/ar").headers["Location"].endswith(f"/s/{single}")  # not one of its languages


def test_the_arabic_form_is_right_to_left_whatever_the_browser_says(demo_app: Flask) -> None:
    _wave_id, token = make_wave(demo_app)
    client = demo_app.test_client()
    arabic = BeautifulSoup(client.get(f"/s/{token}/ar", headers={"Accept-Language": "lt"}).data, "html.parser")
    assert (tag(arabic, "html")["lang"], tag(arabic, "html")["dir"]) == ("ar", "rtl")
    lithuanian = BeautifulSoup(client.get(f"/s/{token}/lt", headers={"Accept-Language": "ar"}).data, "html.parser")
    assert (tag(lithuanian, "html")["lang"], tag(lithuanian, "html")["dir"]) == ("lt", "ltr")


def test_every_question_is_in_a_fieldset_with_a_legend(demo_app: Flask) -> None:
    _wave_id, token = make_wave(demo_app)
    soup = BeautifulSoup(demo_app.test_client().get(f"/s/{token}/en").data, "html.parser")
    for question in bank():
        inputs = soup.find_all("input", attrs={"name": f"q-{question.key}"})
        assert inputs, question.key
        for element in inputs:
            fieldset = element.find_parent("fieldset")
            assert fieldset is not None, question.key
            legend = fieldset.find("legend", recursive=False)
            assert legend is not None and legend.get_text(strip=True), question.key
        kinds = {i["type"] for i in inputs}
        expected = {"multiple": {"checkbox"}, "number": {"number"}}.get(question.kind, {"radio"})
        assert kinds == expected, question.key
        if question.kind == "number":
            (number,) = inputs
            assert (number["min"], number["max"], number["inputmode"]) == ("0", "10000", "numeric")
        else:
            assert len(inputs) == len(question.choices)
    trap = tag(soup, "input", name="website")
    assert trap["tabindex"] == "-1" and trap["autocomplete"] == "off"
    assert trap.find_parent(attrs={"aria-hidden": "true"}) is not None
    names = [o.get_text(strip=True) for o in soup.select("select[name=area] option") if o["value"]]
    assert names == sorted(names, key=str.casefold) and names[0] == COMPARISON["name"]  # comparison areas too
    assert not any(code in names for code in area_codes(demo_app))  # names only, no codes


def test_a_post_from_another_site_is_refused(demo_app: Flask) -> None:
    wave_id, token = make_wave(demo_app)
    client = demo_app.test_client()
    data = {"area": area_codes(demo_app)[0], "q-signs-two": "1"}
    for origin in ("https://evil.example", "null"):
        assert client.post(f"/s/{token}/en", data=data, headers={"Origin": origin}).status_code == 403
    assert responses(demo_app, wave_id) == []
    assert client.post(f"/s/{token}/en", data=data, headers={"Origin": "http://localhost"}).status_code == 200
    assert len(responses(demo_app, wave_id)) == 1


def test_the_group_is_asked_when_the_campaign_has_segments(demo_app: Flask) -> None:
    with demo_app.app_context(), write_intent():
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.id))
        assert campaign is not None
        campaign.segments = [{"segment": "Students"}, {"segment": "Seasonal workers"}]
        db.session.commit()
    wave_id, token = make_wave(demo_app)
    client = demo_app.test_client()
    soup = BeautifulSoup(client.get(f"/s/{token}/en").data, "html.parser")
    assert [i["value"] for i in soup.find_all("input", attrs={"name": "group"})] == ["Students", "Seasonal workers", ""]
    area = area_codes(demo_app)[0]
    assert client.post(f"/s/{token}/en", data={"area": area, "group": "Nobody"}).status_code == 422
    assert client.post(f"/s/{token}/en", data={"area": area, "group": "Seasonal workers"}).status_code == 200
    (row,) = responses(demo_app, wave_id)
    assert row.segment == "Seasonal workers"


def test_the_thank_you_page_gives_the_helpline(demo_app: Flask) -> None:
    _wave_id, token = make_wave(demo_app)
    page = demo_app.test_client().post(f"/s/{token}/en", data={"area": area_codes(demo_app)[0]})
    soup = BeautifulSoup(page.data, "html.parser")
    with demo_app.app_context():
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.id))
        assert campaign is not None and campaign.helpline_number
        number, name = campaign.helpline_number, campaign.helpline_name
    tel = soup.select_one(".helpline a[href^='tel:']")
    assert tel is not None and tel.get_text(strip=True) == number
    assert name in soup.get_text()
    assert not soup.find("form") and not soup.select("a[href*='report']")


# One-time codes


def test_issued_codes_are_short_unambiguous_and_stored_as_hashes_only(demo_app: Flask) -> None:
    wave_id, _token = make_wave(demo_app, access=WaveAccess.CODES)
    with demo_app.app_context(), write_intent():
        wave = db.session.get(SurveyWave, wave_id)
        assert wave is not None
        issued = codes.issue_codes(wave, 50)
        db.session.commit()
        hashes = set(db.session.scalars(select(SurveyCode.code_hash).where(SurveyCode.wave_id == wave_id)))
        with pytest.raises(ValueError, match="from 1 to 5000"):
            codes.issue_codes(wave, 5001)
    assert len(set(issued)) == 50 and len(hashes) == 50
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", c) for c in issued)
    assert not {c.replace("-", "") for c in issued} & hashes and all(len(h) == 64 for h in hashes)


def code_wave(app: Flask) -> tuple[int, str, str]:
    wave_id, token = make_wave(app, access=WaveAccess.CODES)
    with app.app_context(), write_intent():
        wave = db.session.get(SurveyWave, wave_id)
        assert wave is not None
        (code,) = codes.issue_codes(wave, 1)
        db.session.commit()
    return wave_id, token, code


def test_a_code_answers_once(demo_app: Flask) -> None:
    wave_id, token, code = code_wave(demo_app)
    client = demo_app.test_client()
    area = area_codes(demo_app)[0]
    form = BeautifulSoup(client.get(f"/s/{token}/en").data, "html.parser")
    assert form.find("input", attrs={"name": "code"}) is not None
    missing = client.post(f"/s/{token}/en", data={"area": area, "q-signs-two": "1"})
    assert missing.status_code == 422 and "Type the code printed on your card" in missing.get_data(as_text=True)
    wrong = client.post(f"/s/{token}/en", data={"area": area, "code": "2222-2222", "q-signs-two": "1"})
    assert wrong.status_code == 422 and "not one of this survey" in wrong.get_data(as_text=True)
    typed = code.lower().replace("-", " ")  # as someone types it from the card
    assert client.post(f"/s/{token}/en", data={"area": area, "code": typed, "q-signs-two": "1"}).status_code == 200
    again = client.post(f"/s/{token}/en", data={"area": area, "code": code, "q-signs-two": "2"})
    assert again.status_code == 422
    soup = BeautifulSoup(again.data, "html.parser")
    assert "already been used" in soup.get_text()
    assert tag(soup, "input", name="q-signs-two", value="2").has_attr("checked")  # answers kept
    assert tag(soup, "input", name="code")["value"] == code
    assert len(responses(demo_app, wave_id)) == 1 and answers(demo_app, wave_id) == {("signs-two", 1)}
    with demo_app.app_context():
        assert db.session.scalar(select(SurveyCode.used_on).where(SurveyCode.wave_id == wave_id)) == date.today()


def test_a_rejected_answer_leaves_the_code_unused(demo_app: Flask) -> None:
    wave_id, token, code = code_wave(demo_app)
    client = demo_app.test_client()
    bad = client.post(f"/s/{token}/en", data={"area": "NOWHERE", "code": code})
    assert bad.status_code == 422
    with demo_app.app_context():
        assert db.session.scalar(select(SurveyCode.used_on).where(SurveyCode.wave_id == wave_id)) is None
    assert client.post(f"/s/{token}/en", data={"area": area_codes(demo_app)[0], "code": code}).status_code == 200


def test_concurrent_redeems_of_one_code_let_one_win(demo_app: Flask) -> None:
    """Two sessions redeem the same code at once: the second UPDATE waits for the first
    transaction (SQLite's write lock, PostgreSQL's row lock) and then finds the code used."""
    wave_id, _token, code = code_wave(demo_app)
    first_redeemed = threading.Event()
    results: dict[str, bool] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with demo_app.app_context(), write_intent():
                wave = db.session.get(SurveyWave, wave_id)
                assert wave is not None
                if name == "second":
                    first_redeemed.wait(10)
                results[name] = codes.redeem(wave, code)
                if name == "first":
                    first_redeemed.set()
                    time.sleep(0.5)  # hold the transaction open while the second one tries
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
            first_redeemed.set()

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert results == {"first": True, "second": False}
    with demo_app.app_context():
        assert db.session.scalar(select(SurveyCode.used_on).where(SurveyCode.wave_id == wave_id)) == date.today()
        assert codes.is_used(db.session.get(SurveyWave, wave_id), code)  # type: ignore[arg-type]


# Who may reach what


def test_the_public_pages_need_no_sign_in_and_the_coordinator_pages_do(demo_app: Flask) -> None:
    wave_id, token = make_wave(demo_app, access=WaveAccess.CODES)
    with demo_app.app_context():
        campaign_id = db.session.scalar(select(SurveyWave.campaign_id).where(SurveyWave.id == wave_id))
    anonymous = demo_app.test_client()
    assert anonymous.get(f"/s/{token}").status_code == 200
    assert anonymous.get(f"/s/{token}/lt").status_code == 200
    base = f"/campaigns/{campaign_id}/surveys/{wave_id}"
    for method, path in (("get", f"{base}/qr.svg"), ("post", f"{base}/codes")):
        page = getattr(anonymous, method)(path, data={"n": "3"} if method == "post" else None)
        assert page.status_code == 302 and "/login" in page.headers["Location"], path
    trainer = demo_client(demo_app, Role.TRAINER)
    assert trainer.get(f"{base}/qr.svg").status_code == 403
    assert _post_codes(trainer, base, n="3").status_code == 403
    with demo_app.app_context():
        assert db.session.scalar(select(func.count()).where(SurveyCode.wave_id == wave_id)) == 0


def _post_codes(client: FlaskClient, base: str, **data: str) -> Any:
    from tests.conftest import csrf_token

    return client.post(f"{base}/codes", data={"csrf_token": csrf_token(client, "/"), **data})


def test_the_coordinator_gets_a_qr_code_and_printable_codes(demo_app: Flask) -> None:
    wave_id, token = make_wave(demo_app, access=WaveAccess.CODES)
    with demo_app.app_context():
        campaign_id = db.session.scalar(select(SurveyWave.campaign_id).where(SurveyWave.id == wave_id))
    base = f"/campaigns/{campaign_id}/surveys/{wave_id}"
    coordinator = demo_client(demo_app, Role.COORDINATOR)
    svg = coordinator.get(f"{base}/qr.svg?locale=lt")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert coordinator.get(f"/campaigns/{campaign_id}/surveys/{wave_id + 999}/qr.svg").status_code == 404
    page = _post_codes(coordinator, base, n="4")
    assert page.status_code == 200
    shown = re.findall(r"\b[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}\b", page.get_data(as_text=True))
    assert len(set(shown)) == 4 and f"/s/{token}" in page.get_data(as_text=True)
    csv_file = _post_codes(coordinator, base, n="3", format="csv")
    assert csv_file.status_code == 200 and csv_file.mimetype == "text/csv"
    lines = csv_file.get_data(as_text=True).split()
    assert lines[0] == "code" and len(lines) == 4 and "attachment" in csv_file.headers["Content-Disposition"]
    for n in ("0", "5001", "many"):
        assert _post_codes(coordinator, base, n=n).status_code == 400
    with demo_app.app_context():
        assert db.session.scalar(select(func.count()).where(SurveyCode.wave_id == wave_id)) == 7
    # a printed code works on the public form
    answered = demo_app.test_client().post(f"/s/{token}/en", data={"area": area_codes(demo_app)[0], "code": lines[1]})
    assert answered.status_code == 200
    link_wave, _t = make_wave(demo_app)
    assert _post_codes(coordinator, f"/campaigns/{campaign_id}/surveys/{link_wave}", n="2").status_code == 400
