"""In headless Chromium on a phone-sized screen: a respondent answers the Lithuanian form without
horizontal scrolling, sends it, reads the thank-you page, and the answer is in the database.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import secrets
import shutil
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from campaigns.db import write_intent
from campaigns.extensions import db
from campaigns.models import Campaign
from campaigns.surveys.models import (
    ANSWERED,
    SurveyAnswer,
    SurveyResponse,
    SurveyWave,
    WaveAccess,
    WaveKind,
    WaveStatus,
)
from content.questions import bank
from tests.conftest import CHROMIUM
from tests.test_browser import ARTIFACTS

PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser

if not shutil.which(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip(f"no Chromium at {CHROMIUM} (CI installs it)", allow_module_level=True)


def make_wave(app: Flask) -> tuple[int, str, str]:
    """(wave id, token, an area code) of a wave of the demo's first campaign open today, asking
    every bank question in English, Lithuanian and Arabic (as tests/test_survey_public.py does)."""
    today = date.today()
    with app.app_context(), write_intent():
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.id))
        assert campaign is not None
        wave = SurveyWave(
            campaign_id=campaign.id, kind=WaveKind.BASELINE, opens_on=today - timedelta(days=1),
            closes_on=today + timedelta(days=7), status=WaveStatus.OPEN, token=secrets.token_urlsafe(18)[:24],
            access=WaveAccess.LINK, locales=["en", "lt", "ar"], questions=[q.key for q in bank()],
        )  # fmt: skip
        db.session.add(wave)
        db.session.commit()
        return wave.id, wave.token, campaign.areas[0].area_code


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px screen"


def test_a_respondent_answers_the_lithuanian_form_on_a_phone(demo_app: Flask, live_server: str, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    wave_id, token, area = make_wave(demo_app)
    page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server}/s/{token}")
    page.locator("a[hreflang=lt]").click()  # the language chooser
    page.wait_for_load_state()
    assert page.url.endswith(f"/s/{token}/lt")
    assert (page.locator("html").get_attribute("lang"), page.locator("html").get_attribute("dir")) == ("lt", "ltr")
    _fits(page)
    page.screenshot(path=str(ARTIFACTS / "survey-form-lt-390.png"), full_page=True)

    page.locator("select[name=area]").select_option(area)
    page.locator("label.option:has(input[name='q-signs-two'][value='1'])").tap()  # the whole row is the target
    page.locator("label.option:has(input[name='q-act-differently'][value='4'])").click()
    page.locator("input[name='q-seen-where'][value='2']").check()
    page.locator("input[name='q-seen-where'][value='4']").check()
    page.locator("input[name='q-people-told']").fill("3")
    assert page.locator("input[name='q-signs-two'][value='1']").is_checked()
    page.locator("button.send").click()
    page.wait_for_load_state()

    assert page.locator("h1").inner_text() == page.title()  # the thank-you page
    assert page.locator("form").count() == 0
    assert page.locator(".helpline a[href^='tel:']").count() == 1
    _fits(page)
    page.screenshot(path=str(ARTIFACTS / "survey-thanks-lt-390.png"), full_page=True)
    assert not errors, errors  # a CSP violation would show here

    with demo_app.app_context():
        (response,) = db.session.scalars(select(SurveyResponse).where(SurveyResponse.wave_id == wave_id)).all()
        assert (response.area_code, response.locale, response.source) == (area, "lt", "form")
        assert response.day == date.today()
        query = select(SurveyAnswer.question, SurveyAnswer.value).where(SurveyAnswer.wave_id == wave_id)
        stored = {(question, value) for question, value in db.session.execute(query)}
    assert stored == {("signs-two", 1), ("act-differently", 4), ("seen-where", ANSWERED), ("seen-where", 2),
                      ("seen-where", 4), ("people-told", 3)}  # fmt: skip

    page.goto(f"{live_server}/s/{token}/ar")  # right to left, and still no sideways scrolling
    assert page.locator("html").get_attribute("dir") == "rtl"
    _fits(page)
    page.screenshot(path=str(ARTIFACTS / "survey-form-ar-390.png"), full_page=True)
    page.close()
