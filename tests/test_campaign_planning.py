"""Planning campaigns through the HTTP app (issue 11, plan and lifecycle): a campaign from a draft
saved on a ranking, its areas frozen as ranked, the lifecycle and its refusals, the version check
between two coordinators, copying, the audit trail and who may see what."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import pytest
from conftest import demo_client, georgia_id
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from test_ranking_pages import _page_token, _rank

from campaigns.extensions import db
from campaigns.models import AuditEntry, Campaign, CampaignStatus

AREAS = ["13137", "13139", "13257"]  # Habersham, Hall, Stephens: the demo's north-east cluster


def _planned(app: Flask, client: FlaskClient, **rank_fields: str) -> int:
    """Rank, save a draft of three areas and one group, plan the campaign; its id."""
    run_url = _rank(client, georgia_id(app), **rank_fields)
    client.post(run_url + "/plan", data={"csrf_token": _page_token(client, run_url + "/plan?area=13137"), "area": AREAS,
                                         "segment": ["RO · female"], "name": "North-east outreach", "then": "draft"})
    page = client.get("/campaigns/").get_data(as_text=True)
    form = re.search(r'action="(/campaigns/from-draft/\d+)"', page)
    assert form, page[-3000:]
    response = client.post(form.group(1), data={"csrf_token": _page_token(client, "/campaigns/")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/edit")
    return int(response.headers["Location"].split("/")[-2])


def _campaign(app: Flask, campaign_id: int) -> Campaign:
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None
        _ = list(campaign.areas), list(campaign.targets)  # loaded before the session closes
        db.session.expunge_all()
        return campaign


def _edit(client: FlaskClient, campaign_id: int, version: int | None = None, **fields: object) -> tuple[int, str]:
    url = f"/campaigns/{campaign_id}/edit"
    page = client.get(url).get_data(as_text=True)
    current = re.search(r'name="version" value="(\d+)"', page)
    assert current
    data = {"csrf_token": _page_token(client, url), "version": str(version or current.group(1)),
            "name": "North-east outreach", "currency": "EUR", **fields}
    response = client.post(url, data=data)
    return response.status_code, response.get_data(as_text=True)


def _move(client: FlaskClient, campaign_id: int, to: str) -> str:
    url = f"/campaigns/{campaign_id}"
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    client.post(url + "/status", data={"csrf_token": _page_token(client, url), "version": version.group(1), "to": to})
    return client.get(url + "?lang=en").get_data(as_text=True)


def test_a_campaign_planned_from_a_draft_keeps_its_areas_as_ranked(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _planned(demo_app, client)
    campaign = _campaign(demo_app, campaign_id)
    assert campaign.status == CampaignStatus.DRAFT and campaign.ranking_period == "2024"
    assert [a.area_code for a in campaign.areas] == AREAS  # in rank order
    assert [a.rank for a in campaign.areas] == [1, 2, 3]
    assert all(a.reasons and a.population for a in campaign.areas)
    assert campaign.locales == ["ro", "en"] and campaign.segments[0]["segment"] == "RO · female"
    assert campaign.segments[0]["audience_low"] is not None
    client.get(f"/campaigns/{campaign_id}")  # shows (and so clears) the "planned" message
    page = client.get(f"/campaigns/{campaign_id}?lang=en").get_data(as_text=True)
    assert "Habersham" in page and "hot spot" in page and 'id="campaign-areas"' in page
    # A later ranking with other weights ranks these areas differently; the campaign does not move.
    later = _rank(client, georgia_id(demo_app), w_rate="0", w_hotspot="0", w_trend="0", w_volume="1")
    ranks = pd.read_csv(io.BytesIO(client.get(later + "/export.csv").data), dtype={"area_id": str}).set_index("area_id")
    assert ranks.loc[AREAS, "rank"].tolist() != [1, 2, 3]  # the new ranking does differ
    def areas_table(html: str) -> str:
        return html.split('id="campaign-areas"', 1)[1].split("</table>", 1)[0]

    assert areas_table(client.get(f"/campaigns/{campaign_id}?lang=en").get_data(as_text=True)) == areas_table(page)
    listing = client.get("/campaigns/").get_data(as_text=True)
    assert f'href="/campaigns/{campaign_id}"' in listing and "planned" in listing


def test_the_lifecycle_and_its_refusals(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _planned(demo_app, client)
    page = _move(client, campaign_id, "scheduled")
    assert "Choose at least one channel" in page  # nothing to schedule yet
    status, page = _edit(client, campaign_id, starts="2027-03-10", ends="2027-03-01", channel="radio")
    assert status == 422 and "The end date is before the start date" in page
    later = date.today() + timedelta(days=30)
    status, _page = _edit(client, campaign_id, starts=later.isoformat(), ends=(later + timedelta(days=60)).isoformat(),
                          channel=["frontline_training", "social_media"], budget="12 500,50",
                          partners="Regional bank association\nCounty social services")  # fmt: skip
    assert status == 302
    campaign = _campaign(demo_app, campaign_id)
    assert campaign.budget_cents == 1_250_050 and campaign.partners == ["Regional bank association",
                                                                         "County social services"]  # fmt: skip
    assert "Scheduled" in _move(client, campaign_id, "scheduled")
    page = _move(client, campaign_id, "running")  # no button for it, and a forged request is refused
    assert 'value="running"' not in page and "it can be started from that day on" in page
    assert _campaign(demo_app, campaign_id).status == "scheduled"
    assert _move(client, campaign_id, "ended") and _campaign(demo_app, campaign_id).status == "scheduled"  # no skip
    _move(client, campaign_id, "draft")
    today = date.today()
    _edit(client, campaign_id, starts=today.isoformat(), ends=(today + timedelta(days=60)).isoformat(), channel="radio")
    for step in ("scheduled", "running", "ended", "evaluated"):
        _move(client, campaign_id, step)
        assert _campaign(demo_app, campaign_id).status == step
    page = client.get(f"/campaigns/{campaign_id}?lang=en").get_data(as_text=True)
    assert f'/campaigns/{campaign_id}/edit"' not in page  # read-only: no edit button, no moves
    status, page = _edit(client, campaign_id, name="Renamed", channel="radio")
    assert status == 409 and "has been evaluated and can no longer be changed" in page
    assert _campaign(demo_app, campaign_id).name == "North-east outreach"
    with demo_app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(campaign_id))).all()
    assert actions.count("campaign.status") == 6 and "campaign.create" in actions and "campaign.update" in actions


def test_the_second_of_two_saves_is_refused_not_lost(demo_app: Flask) -> None:
    first = demo_client(demo_app)
    campaign_id = _planned(demo_app, first)
    second = demo_client(demo_app)
    opened = _campaign(demo_app, campaign_id).version
    status, _page = _edit(first, campaign_id, version=opened, objective="Reach bank staff first", channel="radio")
    assert status == 302
    status, page = _edit(second, campaign_id, version=opened, objective="Radio only", channel="radio")
    assert status == 409 and "Someone else saved this campaign after you opened it" in page
    campaign = _campaign(demo_app, campaign_id)
    assert campaign.objective == "Reach bank staff first" and campaign.version == opened + 1


def test_copy_as_a_template(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _planned(demo_app, client)
    _edit(client, campaign_id, starts="2027-01-01", ends="2027-02-01", channel="radio", objective="Template me")
    url = f"/campaigns/{campaign_id}"
    response = client.post(url + "/copy", data={"csrf_token": _page_token(client, url)})
    twin_id = int(response.headers["Location"].split("/")[-2])
    twin = _campaign(demo_app, twin_id)
    assert twin.name == "North-east outreach (2)" and twin.status == "draft" and twin.starts is None
    assert twin.objective == "Template me" and twin.channels == ["radio"]
    assert [a.area_code for a in twin.areas] == AREAS


def test_campaigns_are_for_coordinators_of_the_organisation(
    demo_app: Flask, client_for: Callable[..., FlaskClient]
) -> None:
    campaign_id = _planned(demo_app, demo_client(demo_app))
    assert client_for("trainer").get(f"/campaigns/{campaign_id}").status_code == 403
    stranger = client_for("coordinator", org_name="Another Org")
    assert stranger.get(f"/campaigns/{campaign_id}").status_code == 404
    token = _page_token(stranger, "/targeting/upload/boundaries")
    assert stranger.post(f"/campaigns/{campaign_id}/copy", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("budget", ["-5", "abc", "1e99"])
def test_a_bad_budget_names_the_field(demo_app: Flask, budget: str) -> None:
    client = demo_client(demo_app)
    campaign_id = _planned(demo_app, client)
    status, page = _edit(client, campaign_id, budget=budget)
    assert status == 422 and 'id="budget-error"' in page


def test_the_scheduler_starts_and_ends_campaigns_on_their_dates_once(demo_app: Flask) -> None:
    from datetime import UTC, datetime

    from campaigns.scheduler import run_job

    client = demo_client(demo_app)
    campaign_id = _planned(demo_app, client)
    today = date.today()
    _edit(client, campaign_id, starts=today.isoformat(), ends=(today + timedelta(days=7)).isoformat(), channel="radio")
    _move(client, campaign_id, "scheduled")
    now = datetime.now(UTC)
    assert "skipped" not in run_job(demo_app, "advance_campaigns", now=now)
    assert _campaign(demo_app, campaign_id).status == "running"
    assert "already done, skipped" in run_job(demo_app, "advance_campaigns", now=now)
    with demo_app.app_context():  # a week later (the dates moved back instead of the clock forward)
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.starts, campaign.ends = today - timedelta(days=8), today - timedelta(days=1)
        db.session.commit()
    assert "ended" in run_job(demo_app, "advance_campaigns", now=now + timedelta(hours=1))
    assert _campaign(demo_app, campaign_id).status == "ended"
    with demo_app.app_context():
        actors = db.session.scalars(select(AuditEntry.actor_kind).where(
            AuditEntry.target_id == str(campaign_id), AuditEntry.action == "campaign.status")).all()  # fmt: skip
    assert actors == ["web", "scheduler", "scheduler"]


def test_the_home_page_lists_current_campaigns_with_what_comes_next(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _planned(demo_app, client)
    home = client.get("/?lang=en").get_data(as_text=True)
    assert f'href="/campaigns/{campaign_id}"' not in home  # a draft is not current
    starts = date.today() + timedelta(days=3)
    _edit(client, campaign_id, starts=starts.isoformat(), ends=(starts + timedelta(days=30)).isoformat(),
          channel="radio")  # fmt: skip
    _move(client, campaign_id, "scheduled")
    home = client.get("/?lang=en").get_data(as_text=True)
    assert f'href="/campaigns/{campaign_id}"' in home and "Starts in 3 days." in home
    assert "Starts in 3 days." not in client.get("/?lang=lt").get_data(as_text=True)  # translated


def _targets(client: FlaskClient, campaign_id: int, **cells: str) -> tuple[int, str]:
    url = f"/campaigns/{campaign_id}/targets"
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    response = client.post(url, data={"csrf_token": _page_token(client, url), "version": version.group(1),
                                      **{f"t:{k.replace('_', ':', 1)}": v for k, v in cells.items()}})  # fmt: skip
    return response.status_code, response.get_data(as_text=True)


def test_targets_per_area_and_channel(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _planned(demo_app, client)
    _edit(client, campaign_id, channel=["frontline_training", "radio"])
    status, _page = _targets(client, campaign_id, **{"13137_frontline_training": "400", "13139_frontline_training":
                                                     "1 200", "13137_radio": "20000"})  # fmt: skip
    assert status == 302
    page = client.get(f"/campaigns/{campaign_id}?lang=en").get_data(as_text=True)
    table = page.split('id="campaign-targets"', 1)[1].split("</table>", 1)[0]
    assert "1,600" in table and "20,000" in table  # per-channel totals over areas
    # A target above the area's population names the area and channel, and nothing is saved.
    status, page = _targets(client, campaign_id, **{"13137_radio": "30000"})
    assert status == 422 and "Habersham, Radio: 30,000 people is more than the 27,621 who live there." in page
    status, page = _targets(client, campaign_id, **{"13139_radio": "-5"})
    assert status == 422 and "Hall, Radio: write the number of people as a whole number" in page
    with demo_app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None
        assert sorted((t.area_code, t.channel, t.target_reach) for t in campaign.targets) == [
            ("13137", "frontline_training", 400), ("13137", "radio", 20000), ("13139", "frontline_training", 1200)]
    # Dropping a channel drops its targets.
    _edit(client, campaign_id, channel=["frontline_training"])
    with demo_app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None and {t.channel for t in campaign.targets} == {"frontline_training"}


def test_targets_saved_on_an_old_version_are_refused(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _planned(demo_app, client)
    _edit(client, campaign_id, channel="radio")
    url = f"/campaigns/{campaign_id}/targets"
    opened = re.search(r'name="version" value="(\d+)"', client.get(url).get_data(as_text=True))
    assert opened
    _edit(client, campaign_id, channel="radio", objective="changed meanwhile")  # a colleague saves
    response = client.post(url, data={"csrf_token": _page_token(client, url), "version": opened.group(1),
                                      "t:13137:radio": "100"})  # fmt: skip
    assert response.status_code == 409 and "Someone else saved this campaign" in response.get_data(as_text=True)
    assert _campaign(demo_app, campaign_id).targets == []
