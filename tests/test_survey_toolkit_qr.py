"""A toolkit published from a campaign carries the QR code and link of its survey, so printed
materials lead respondents to the form in the toolkit's own language."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import Campaign, CampaignStatus, Role, ToolkitPublication
from campaigns.surveys.models import SurveyWave, WaveStatus
from content.qr import qr_svg
from tests.conftest import csrf_token, demo_client


def _publish(app: Flask, campaign_id: int, locale: str) -> ToolkitPublication:
    client = demo_client(app, Role.COORDINATOR)
    url = f"/campaigns/{campaign_id}"
    response = client.post(url + "/toolkits", data={"csrf_token": csrf_token(client, url), "audience": "bank",
                                                    "locale": locale, "country": "US"})  # fmt: skip
    assert response.status_code in (302, 303)
    with app.app_context():
        mine = (ToolkitPublication.campaign_id == campaign_id, ToolkitPublication.locale == locale)
        found = db.session.scalars(select(ToolkitPublication).where(*mine)).one()
        db.session.expunge(found)
        return found


def test_the_published_toolkit_leads_to_the_next_waves_form_in_its_language(demo_app: Flask) -> None:
    with demo_app.app_context():
        running = db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING)).one()
        planned = (SurveyWave.campaign_id == running.id, SurveyWave.status == WaveStatus.PLANNED)
        endline = db.session.scalars(select(SurveyWave).where(*planned)).one()
        campaign_id, token = running.id, endline.token
    publication = _publish(demo_app, campaign_id, "lt")
    assert publication.survey_url.endswith(f"/s/{token}/lt")
    html = demo_client(demo_app, Role.COORDINATOR).get(f"/p/{publication.slug}/download/html").get_data(as_text=True)
    assert publication.survey_url in html
    svg = re.search(r"<svg[^>]*class=\"qr\"[^>]*>.*?</svg>", html, re.S)
    assert svg is not None and svg.group(0).count("<path") >= 1


def test_no_survey_no_box(demo_app: Flask) -> None:
    with demo_app.app_context():
        running = db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING)).one()
        for wave in db.session.scalars(select(SurveyWave).where(SurveyWave.campaign_id == running.id)):
            wave.status = WaveStatus.CLOSED
        db.session.commit()
        campaign_id = running.id
    publication = _publish(demo_app, campaign_id, "en")
    assert publication.survey_url == ""
    html = demo_client(demo_app, Role.COORDINATOR).get(f"/p/{publication.slug}/download/html").get_data(as_text=True)
    assert 'class="survey-box"' not in html


def test_the_qr_code_survives_a_smudge() -> None:
    """No decoder ships with segno; what is checked is the drawing and the error level (M or
    better: segno raises it when the version has room) that lets a creased card still scan."""
    import segno

    url = "https://planner.example/s/abc/lt"
    svg = qr_svg(url, title="Survey link")
    assert svg.startswith("<svg") and 'class="qr"' in svg and "<title>Survey link</title>" in svg
    assert segno.make(url, error="m", micro=False).designator.split("-")[1] in {"M", "Q", "H"}
