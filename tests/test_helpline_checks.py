"""Helpline checks: a coordinator records the day they checked a library helpline's number; the
check is audited, reaches the organisation's toolkits (`assemble(checked=...)`) and so takes
the "verify before printing" notice off the preview and download pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AuditEntry, HelplineCheck, Organisation, Role
from campaigns.services import helpline_checks
from campaigns.services.demo import DEMO_ORGANISATION
from content.library import default_library
from tests.conftest import csrf_token, demo_client

PREVIEW = "/toolkits/bank/lt?country=LT&lang=en"


def _to_verify_in_lithuania() -> list[str]:
    today = dt.date.today()
    return [h.id for h in default_library().helplines_for("LT") if h.needs_verifying(today)]


def _record(client: FlaskClient, helpline_id: str, day: str) -> Any:
    token = csrf_token(client, "/toolkits/helplines")
    return client.post("/toolkits/helplines", data={"csrf_token": token, "helpline_id": helpline_id, "checked_on": day})


def _notice(html: str) -> str:
    found = re.search(r'<div class="notice notice-warning" id="verify-warning">.*?</div>', html, re.S)
    return found.group(0) if found else ""


@pytest.fixture
def coordinator(demo_app: Flask) -> FlaskClient:
    return demo_client(demo_app, Role.COORDINATOR)


def test_the_page_lists_each_helpline_with_number_source_and_check(demo_app: Flask) -> None:
    trainer = demo_client(demo_app, Role.TRAINER)
    html = trainer.get("/toolkits/helplines?lang=en").get_data(as_text=True)
    for helpline in default_library().helplines:
        assert f'id="helpline-{helpline.id}"' in html
    first = default_library().helplines_for("LT")[1]
    assert first.number in html and (first.url or first.source) in html
    assert "Nobody has recorded checking this number." in html
    assert 'name="checked_on"' not in html  # trainers read; coordinators record
    only = trainer.get("/toolkits/helplines?country=LT").get_data(as_text=True)
    assert 'id="helpline-lt-anti-trafficking-line"' in only and 'id="helpline-gb-emergency-999"' not in only
    assert 'id="helpline-checks-link"' in trainer.get("/toolkits/").get_data(as_text=True)


def test_recording_a_check_is_audited_and_ends_the_warning(demo_app: Flask, coordinator: FlaskClient) -> None:
    waiting = _to_verify_in_lithuania()
    assert waiting, "the library's Lithuanian lines have no check date yet"
    before = _notice(coordinator.get(PREVIEW).get_data(as_text=True))
    assert "Files print with a DRAFT mark until the number" in before and "check is recorded" in before
    assert "nobody has recorded checking it" in before and 'href="/toolkits/helplines"' in before
    for helpline_id in waiting:
        assert f'data-helpline="{helpline_id}"' in before
    version = re.search(r'id="toolkit-version">(\w+)<', coordinator.get(PREVIEW).get_data(as_text=True))

    yesterday = dt.date.today() - dt.timedelta(days=1)
    response = _record(coordinator, waiting[0], yesterday.isoformat())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#helpline-{waiting[0]}")
    after = _notice(coordinator.get(PREVIEW).get_data(as_text=True))
    assert f'data-helpline="{waiting[0]}"' not in after
    with demo_app.app_context():
        (check,) = db.session.scalars(select(HelplineCheck)).all()
        assert check.helpline_id == waiting[0] and check.checked_on == yesterday and check.checked_by_id is not None
        number = next(h.number for h in default_library().helplines if h.id == waiting[0])
        assert check.number_checked == number
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "helpline.check")).all()
        assert entry.target_id == waiting[0] and entry.details["checked_on"] == yesterday.isoformat()
        assert entry.organisation_id == check.organisation_id

    for helpline_id in waiting[1:]:
        assert _record(coordinator, helpline_id, dt.date.today().isoformat()).status_code == 302
    html = coordinator.get(PREVIEW).get_data(as_text=True)
    assert 'id="verify-warning"' not in html
    assert re.search(r'id="toolkit-version">(\w+)<', html) != version  # a new version: the files are rebuilt
    page = coordinator.get("/toolkits/helplines?country=LT&lang=en").get_data(as_text=True)
    assert "(recorded by your organisation)" in page


def test_a_future_or_bad_date_is_refused_and_nothing_is_stored(demo_app: Flask, coordinator: FlaskClient) -> None:
    helpline_id = _to_verify_in_lithuania()[0]
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    response = _record(coordinator, helpline_id, tomorrow)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "cannot be in the future" in html
    assert f'href="#checked-on-{helpline_id}"' in html and 'data-error-summary' in html
    assert f'value="{tomorrow}"' in html
    bad = _record(coordinator, helpline_id, "last week")
    assert bad.status_code == 422 and "year-month-day" in bad.get_data(as_text=True)
    unknown = _record(coordinator, "xx-no-such-line", dt.date.today().isoformat())
    assert unknown.status_code == 422
    with demo_app.app_context():
        assert db.session.scalars(select(HelplineCheck)).all() == []
        assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "helpline.check")).all() == []


def test_trainers_cannot_record(demo_app: Flask) -> None:
    trainer = demo_client(demo_app, Role.TRAINER)
    token = csrf_token(trainer, "/toolkits/helplines")
    helpline_id = _to_verify_in_lithuania()[0]
    response = trainer.post("/toolkits/helplines", data={"csrf_token": token, "helpline_id": helpline_id,
                                                          "checked_on": dt.date.today().isoformat()})
    assert response.status_code == 403


def test_checks_belong_to_the_organisation_that_made_them(
    demo_app: Flask, coordinator: FlaskClient, client_for: Any
) -> None:
    helpline_id = _to_verify_in_lithuania()[0]
    assert _record(coordinator, helpline_id, dt.date.today().isoformat()).status_code == 302
    stranger = client_for("coordinator", "Another Org")
    assert f'data-helpline="{helpline_id}"' in _notice(stranger.get(PREVIEW).get_data(as_text=True))


def test_a_check_of_an_earlier_number_no_longer_counts(demo_app: Flask) -> None:
    helpline = next(h for h in default_library().helplines_for("LT") if h.id in _to_verify_in_lithuania())
    with demo_app.app_context():
        org = db.session.scalar(select(Organisation.id).where(Organisation.name == DEMO_ORGANISATION))
        today = dt.date.today()
        db.session.add(HelplineCheck(organisation_id=org, helpline_id=helpline.id, number_checked="+370 000 00000",
                                     checked_on=today))  # fmt: skip
        db.session.commit()
        assert helpline.id not in helpline_checks.latest(org)
        (status,) = helpline_checks.statuses(org, [helpline], today)
        assert status.checked_on is None and status.needs_verifying and status.void_check is not None
        spaced = helpline.number.replace(" ", "")  # the same number written without spaces still counts
        db.session.add(HelplineCheck(organisation_id=org, helpline_id=helpline.id, number_checked=spaced,
                                     checked_on=today - dt.timedelta(days=3)))  # fmt: skip
        db.session.commit()
        assert helpline_checks.latest(org)[helpline.id] == today - dt.timedelta(days=3)
    page = demo_client(demo_app, Role.COORDINATOR).get("/toolkits/helplines?country=LT&lang=en").get_data(as_text=True)
    assert "was of an earlier number (+370 000 00000) and no longer counts" in page


def test_a_check_older_than_a_year_warns_again(demo_app: Flask, coordinator: FlaskClient) -> None:
    helpline_id = _to_verify_in_lithuania()[0]
    old = dt.date.today() - dt.timedelta(days=400)
    assert _record(coordinator, helpline_id, old.isoformat()).status_code == 302
    notice = _notice(coordinator.get(PREVIEW).get_data(as_text=True))
    assert f'data-helpline="{helpline_id}"' in notice and "last checked on" in notice


def test_the_download_pages_show_the_notice(demo_app: Flask, coordinator: FlaskClient) -> None:
    from campaigns.models import Campaign, CampaignStatus

    with demo_app.app_context():
        campaign_id = db.session.scalars(select(Campaign.id).where(Campaign.status == CampaignStatus.RUNNING)).first()
    url = f"/campaigns/{campaign_id}"
    assert 'id="verify-warning"' in coordinator.get(url).get_data(as_text=True)
    published = coordinator.post(url + "/toolkits", data={"csrf_token": csrf_token(coordinator, url),
                                                          "audience": "bank", "locale": "en", "country": "LT"})
    assert published.status_code == 302
    index = _notice(coordinator.get("/toolkits/?lang=en").get_data(as_text=True))
    waiting = _to_verify_in_lithuania()
    for helpline_id in waiting:
        assert f'data-helpline="{helpline_id}"' in index
    for helpline_id in waiting:
        assert _record(coordinator, helpline_id, dt.date.today().isoformat()).status_code == 302
    index = _notice(coordinator.get("/toolkits/?lang=en").get_data(as_text=True))
    assert not any(f'data-helpline="{helpline_id}"' in index for helpline_id in waiting)
    campaign_page = _notice(coordinator.get(url + "?lang=en").get_data(as_text=True))
    assert not any(f'data-helpline="{helpline_id}"' in campaign_page for helpline_id in waiting)
