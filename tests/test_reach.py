"""Reach and coverage (issue 11): rows through the form, a file and its column mapping, corrections;
what adds up and what does not (a Hypothesis property against true sets of people); coverage
with its denominator, flags above 100 %, the gap, the map, and toolkits published from a campaign."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest
from conftest import demo_client
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from test_campaign_planning import AREAS, _edit, _move, _planned
from test_ranking_pages import _page_token

from campaigns.db import write_intent
from campaigns.extensions import db
from campaigns.models import AuditEntry, Campaign, CampaignStatus, ReachRow, ToolkitPublication
from campaigns.services import audit, reach
from campaigns.services.campaigns import CampaignError

TODAY = date.today()
START = TODAY - timedelta(days=20)


CHANNELS = ("social_media", "frontline_training")


def _running(app: Flask, client: FlaskClient, channels: tuple[str, ...] = CHANNELS) -> int:
    campaign_id = _planned(app, client)
    status, page = _edit(client, campaign_id, name=f"Outreach {campaign_id}", starts=START.isoformat(),
                         ends=(TODAY + timedelta(days=30)).isoformat(),
                         channel=list(channels), locale=["en", "lt"], helpline_name="Test line",
                         helpline_number="+1 555 0100", partners="Peach State Savings (fictional)")  # fmt: skip
    assert status == 302, page[-2000:]
    _move(client, campaign_id, "scheduled")
    page = _move(client, campaign_id, "running")
    assert 'id="campaign-status">Running' in page.replace("\n", ""), page[:3000]
    return campaign_id


def _rows(app: Flask, campaign_id: int) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).where(ReachRow.campaign_id == campaign_id)) or 0)


def _upload(client: FlaskClient, campaign_id: int, csv: str, name: str = "export.csv") -> str:
    url = f"/campaigns/{campaign_id}/reach/import"
    response = client.post(url, data={"csrf_token": _page_token(client, url),
                                      "file": (io.BytesIO(csv.encode()), name)},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    return response.get_data(as_text=True)


def _confirm(client: FlaskClient, campaign_id: int, page: str, **mapping: str) -> Any:
    token = re.search(r'name="token" value="([0-9a-f]+)"', page)
    assert token
    chosen = {}
    for block in re.findall(r'<select id="map-[^"]+" name="map:[^"]+">.*?</select>', page, re.S):
        name = re.search(r'name="(map:[^"]+)"', block)
        selected = re.search(r'<option value="([^"]*)" selected', block)
        if name and selected:
            chosen[name.group(1)] = selected.group(1)
    data = {"csrf_token": _page_token(client, f"/campaigns/{campaign_id}/reach/import"), "token": token.group(1),
            **chosen, **{f"map:{k}": v for k, v in mapping.items() if k != "channel"}}
    if "channel" in mapping:
        data["channel"] = mapping["channel"]
    return client.post(f"/campaigns/{campaign_id}/reach/import", data=data)


def _meta_export(days: int = 5, reach_value: int = 300, area: str = "Habersham County") -> str:
    lines = ["Day,Region,Reach,Impressions,Amount spent (EUR),Campaign name"]
    for i in range(days):
        day = START + timedelta(days=i)
        lines.append(f"{day.isoformat()},{area},{reach_value + i},\"{(reach_value + i) * 3:,}\",12.50,North-east")
    return "\n".join(lines) + "\n"


def test_a_meta_export_is_mapped_on_a_preview_and_imported_once(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _running(demo_app, client)
    page = _upload(client, campaign_id, _meta_export())
    assert 'id="reach-preview"' in page and "Amount spent (EUR)" in page  # shown, but never stored
    for field, column in (("day", "Day"), ("area", "Region"), ("reached", "Reach"), ("impressions", "Impressions")):
        assert re.search(rf'name="map:{field}">.*?<option value="{re.escape(column)}" selected', page, re.S), field
    response = _confirm(client, campaign_id, page, channel="social_media")
    errors = re.findall(r"id=\"import-errors\">(.*?)</div>", response.get_data(as_text=True), re.S)
    assert response.status_code == 302, errors
    assert _rows(demo_app, campaign_id) == 5
    # The same export again replaces its rows instead of counting them twice.
    response = _confirm(client, campaign_id, _upload(client, campaign_id, _meta_export()), channel="social_media")
    assert response.status_code == 302 and _rows(demo_app, campaign_id) == 5
    with demo_app.app_context():
        stored = db.session.scalars(select(ReachRow).where(ReachRow.campaign_id == campaign_id)).all()
        assert {r.area_code for r in stored} == {"13137"} and {r.impressions for r in stored} >= {900}
        details = [e.details for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reach.import"))]
        assert details[-1]["replaced"] == 5 and details[-1]["added"] == 0


def test_a_bad_file_stores_nothing_and_names_each_row_and_column(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _running(demo_app, client)
    csv = (
        "Day,Region,Reach,Impressions\n"
        f"{START.isoformat()},Habersham,100,300\n"
        f"{START.isoformat()},Atlantis,100,300\n"  # row 3: no such area
        f"{(START + timedelta(days=1)).isoformat()},Hall,lots,300\n"  # row 4: not a number
        f"{(TODAY + timedelta(days=3)).isoformat()},Hall,100,300\n"  # row 5: a day still to come
        f"{(START + timedelta(days=2)).isoformat()},Hall,500,20\n"  # row 6: fewer impressions than people
        f"{START.isoformat()},Habersham,120,300\n"  # row 7: the same key as row 2
    )
    response = _confirm(client, campaign_id, _upload(client, campaign_id, csv), channel="social_media")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    for row, column in ((3, "Region"), (4, "Reach"), (5, "Day"), (6, "Impressions"), (7, "Day")):
        assert re.search(rf"Row {row}, column “{column}”", text), (row, column, text[-3000:])
    assert "Atlantis" in text and "Nothing was stored" in text
    assert _rows(demo_app, campaign_id) == 0


def test_no_reach_on_a_draft_and_an_evaluated_campaign_is_read_only(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    draft_id = _planned(demo_app, client)
    url = f"/campaigns/{draft_id}/reach"
    response = client.post(url, data={"csrf_token": _page_token(client, f"/campaigns/{draft_id}"),
                                      "period_start": TODAY.isoformat(), "channel": "social_media",
                                      "area_code": AREAS[0], "reached": "10"})
    assert response.status_code == 409 and "once the campaign is running" in response.get_data(as_text=True)
    campaign_id = _running(demo_app, client)
    _move(client, campaign_id, "ended")
    _move(client, campaign_id, "evaluated")
    url = f"/campaigns/{campaign_id}/reach"
    response = client.post(url, data={"csrf_token": _page_token(client, f"/campaigns/{campaign_id}"),
                                      "period_start": START.isoformat(),
                                      "channel": "social_media", "area_code": AREAS[0], "reached": "10"})
    assert response.status_code == 409 and _rows(demo_app, campaign_id) == 0


def test_a_correction_replaces_the_row_and_the_audit_keeps_the_figures_before(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _running(demo_app, client)
    url = f"/campaigns/{campaign_id}/reach"
    form = {"period_start": START.isoformat(), "period_end": (START + timedelta(days=6)).isoformat(),
            "channel": "frontline_training", "area_code": AREAS[1], "events": "3", "trained": "45"}
    assert client.post(url, data={"csrf_token": _page_token(client, url), **form}).status_code == 302
    form["trained"] = "54"  # the same key again: a correction
    assert client.post(url, data={"csrf_token": _page_token(client, url), **form}).status_code == 302
    with demo_app.app_context():
        (row,) = db.session.scalars(select(ReachRow).where(ReachRow.campaign_id == campaign_id)).all()
        assert row.trained == 54
        row_id = row.id
    edit = f"/campaigns/{campaign_id}/reach/{row_id}"
    response = client.post(edit, data={"csrf_token": _page_token(client, edit), "events": "3", "trained": "50"})
    assert response.status_code == 302
    with demo_app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reach.correct")).all()[-1]
        assert entry.details["before"]["trained"] == 54 and entry.details["after"]["trained"] == 50


def test_the_campaign_page_shows_coverage_with_its_denominator_the_chart_the_map_and_the_gap(
    demo_app: Flask,
) -> None:
    client = demo_client(demo_app)
    campaign_id = _running(demo_app, client)
    with demo_app.app_context(), write_intent():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None
        population = {a.area_code: a.population for a in campaign.areas}
        daily = pd.DataFrame({
            "period_start": [(START + timedelta(days=i)).isoformat() for i in range(7)],
            "channel": "social_media", "area_code": AREAS[0], "reached": [1000 + i for i in range(7)],
            "impressions": [3000] * 7,
        })  # fmt: skip
        daily["period_end"] = daily["period_start"]
        weekly = pd.DataFrame({"period_start": [START.isoformat()], "period_end": [(START + timedelta(6)).isoformat()],
                               "channel": ["social_media"], "area_code": [AREAS[0]], "reached": [4000]})
        over = pd.DataFrame({"period_start": [START.isoformat()], "period_end": [START.isoformat()],
                             "channel": ["social_media"], "area_code": [AREAS[2]],
                             "reached": [int(population[AREAS[2]] or 0) + 500]})  # fmt: skip
        actor = audit.Actor("web", campaign.created_by if hasattr(campaign, "created_by") else None)
        for frame in (daily, weekly, over):
            reach.store(audit.SYSTEM_CLI, campaign, reach.coerce(campaign, frame, today=TODAY), source="csv")
        db.session.commit()
        _ = actor
    page = client.get(f"/campaigns/{campaign_id}?lang=en").get_data(as_text=True)
    assert 'id="channel-coverage"' in page and "<svg" in page and 'id="coverage-map"' in page
    # Certainly reached in Habersham: the weekly 4,000, never the daily figures added up (7,021).
    share = f"{4000 / population[AREAS[0]]:.1%}".replace("%", " %")
    assert f"4,000 of {population[AREAS[0]]:,}" in page, page[:200]
    assert share.split()[0] in page
    assert 'id="over-reach"' in page and "over" in page
    assert 'id="gap-list"' in page and "Hall" in page  # in the top three, nothing recorded there
    geo = json.loads(client.get(f"/campaigns/{campaign_id}/coverage.geojson?lang=en").get_data(as_text=True))
    classes = {f["properties"]["area_id"]: f["properties"]["map_class"] for f in geo["features"]}
    assert classes[AREAS[2]] == "over" and classes[AREAS[1]] == "none" and classes["13121"] == "outside"
    assert classes[AREAS[0]] in {"c0", "c1", "c2", "c3"}


def test_a_toolkit_published_from_the_campaign_carries_its_helpline_partners_areas_and_dates(
    demo_app: Flask,
) -> None:
    client = demo_client(demo_app)
    campaign_id = _running(demo_app, client)
    url = f"/campaigns/{campaign_id}"
    response = client.post(url + "/toolkits", data={"csrf_token": _page_token(client, url), "audience": "bank",
                                                    "locale": "lt", "country": "US"})
    assert response.status_code == 302
    with demo_app.app_context():
        publication = db.session.scalars(
            select(ToolkitPublication).where(ToolkitPublication.campaign_id == campaign_id)).one()
        assert publication.locale == "lt" and publication.helpline_number == "+1 555 0100"
        assert publication.partners == ["Peach State Savings (fictional)"]
        assert publication.areas == ["Habersham", "Hall", "Stephens"] and publication.starts == START
        slug = publication.slug
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert f"/p/{slug}" in page
    assert client.get(f"/p/{slug}").status_code == 200
    html = client.get(f"/p/{slug}/download/html").get_data(as_text=True)
    assert "+1 555 0100" in html and "Peach State Savings (fictional)" in html and "Habersham" in html


# --- what adds up: a property against true sets of people --------------------------------------


@st.composite
def _people_by_day(draw: st.DrawFn) -> list[set[int]]:
    days = draw(st.integers(min_value=1, max_value=9))
    return [draw(st.sets(st.integers(0, 60), max_size=25)) for _ in range(days)]


@pytest.fixture
def property_campaign(demo_app: Flask) -> int:
    client = demo_client(demo_app)
    return _running(demo_app, client, channels=("social_media",))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=_people_by_day(), weekly=st.booleans())
def test_summed_unique_reach_is_never_called_reach(
    demo_app: Flask, property_campaign: int, people: list[set[int]], weekly: bool
) -> None:
    """Whatever the platform's daily (and weekly) figures, the figure called "reached" is at most
    the people truly reached over the period, at least the best single period's, and the summed
    figure is the sum of the periods' figures, labelled as such."""
    truth = set().union(*people)
    frame = pd.DataFrame({
        "period_start": [(START + timedelta(days=i)).isoformat() for i in range(len(people))],
        "channel": "social_media", "area_code": AREAS[0], "reached": [len(p) for p in people],
        "impressions": [2 * len(p) for p in people],
    })  # fmt: skip
    frame["period_end"] = frame["period_start"]
    weekly = weekly and len(people) > 1  # a one-day "week" would be the daily row's own key
    if weekly:
        frame = pd.concat([frame, pd.DataFrame({
            "period_start": [START.isoformat()], "period_end": [(START + timedelta(len(people) - 1)).isoformat()],
            "channel": ["social_media"], "area_code": [AREAS[0]], "reached": [len(truth)]})], ignore_index=True)
    frame = frame[frame["reached"] > 0]
    with demo_app.app_context(), write_intent():
        campaign = db.session.get(Campaign, property_campaign)
        assert campaign is not None
        db.session.query(ReachRow).filter(ReachRow.campaign_id == campaign.id).delete()
        if len(frame):
            reach.store(audit.SYSTEM_CLI, campaign, reach.coerce(campaign, frame, today=TODAY), source="api")
        reach.refresh(campaign.id)
        cov = reach.coverage(campaign)
        cell = cov.areas[0].cells["social_media"]
        db.session.rollback()
    if not len(frame):
        assert cell.reached_low is None
        return
    assert cell.reached_low is not None and cell.reached_low <= len(truth)
    assert cell.reached_low >= max(len(p) for p in people)
    assert cell.reached_summed == int(frame["reached"].sum())
    assert cell.measures["impressions"] == int(frame["impressions"].fillna(0).sum())
    if weekly:
        assert cell.reached_low == len(truth)


def test_coerce_names_every_problem_by_row_and_the_files_own_column(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _running(demo_app, client)
    raw = pd.DataFrame({
        "period_start": ["2020-01-01", "not a day", START.isoformat(), START.isoformat(), START.isoformat()],
        "period_end": [START.isoformat(), START.isoformat(), (START - timedelta(1)).isoformat(), START.isoformat(),
                       START.isoformat()],
        "channel": ["social_media", "social_media", "social_media", "radio", "social_media"],
        "area_code": [AREAS[0]] * 5, "locale": ["", "", "", "", "xx"], "reached": ["1", "1", "1", "1", ""],
    })  # fmt: skip
    with demo_app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None
        with pytest.raises(reach.ReachRejected) as caught:
            reach.coerce(campaign, raw, row_numbers=range(2, 7), columns={"period_start": "From", "channel": "Via"},
                         today=TODAY)  # fmt: skip
    found = {(p.row, p.column, p.code) for p in caught.value.problems}
    assert {(2, "From", "before_start"), (3, "From", "date_invalid"), (4, "period_end", "period_reversed"),
            (5, "Via", "channel_unknown"), (6, "locale", "locale_unknown"), (6, "reached", "nothing_reported")} <= found


def test_reach_is_refused_on_a_scheduled_campaign_by_the_service(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _planned(demo_app, client)
    with demo_app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status == CampaignStatus.DRAFT
        with pytest.raises(CampaignError) as caught:
            reach.check_open(campaign)
        assert caught.value.code == "reach_not_running"


def test_the_home_page_asks_for_reach_when_a_running_campaign_has_had_none_for_a_week(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _running(demo_app, client)
    home = client.get("/?lang=en").get_data(as_text=True)
    assert "No reach recorded since it started 20 days ago." in home
    assert f'href="/campaigns/{campaign_id}#coverage"' in home
    page = client.get(f"/campaigns/{campaign_id}?lang=en").get_data(as_text=True)
    assert 'id="stale-reach"' in page and "20 days" in page
    url = f"/campaigns/{campaign_id}/reach"
    client.post(url, data={"csrf_token": _page_token(client, url), "period_start": (TODAY - timedelta(1)).isoformat(),
                           "channel": "social_media", "area_code": AREAS[0], "reached": "10"})  # fmt: skip
    home = client.get("/?lang=en").get_data(as_text=True)
    assert "No reach recorded" not in home.split('id="current-campaigns"')[1].split("</table>")[0]


def test_frequency_pairs_impressions_with_the_reach_of_the_same_rows_and_text_is_cleaned(demo_app: Flask) -> None:
    """Frequency never divides one area's impressions by another's reach; a group's name loses
    invisible characters like every other name; a date with text after it is not a date."""
    client = demo_client(demo_app)
    campaign_id = _running(demo_app, client)
    week = [START.isoformat(), (START + timedelta(days=6)).isoformat()]
    frame = pd.DataFrame({"period_start": [week[0]] * 2, "period_end": [week[1]] * 2, "channel": "social_media",
                          "area_code": AREAS[:2], "segment": ["a\x00b\u202e", ""], "reached": [1200, 800],
                          "impressions": [5000, None]})  # fmt: skip
    with demo_app.app_context(), write_intent():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None
        rows = reach.coerce(campaign, frame, today=TODAY)
        assert rows["segment"].tolist() == ["ab", ""]
        reach.store(audit.SYSTEM_CLI, campaign, rows, source="api")
        (social,) = [c for c in reach.coverage(campaign).channels if c.channel == "social_media"]
        assert social.frequency == pytest.approx(5000 / 1200)
        garbage = frame.head(1).assign(period_start=week[0] + "garbage", segment="")
        with pytest.raises(reach.ReachRejected) as caught:
            reach.coerce(campaign, garbage, today=TODAY)
        assert [p.code for p in caught.value.problems] == ["date_invalid"]
        spreadsheet = frame.head(1).assign(period_start=week[0] + " 00:00:00", period_end=week[1] + "T00:00:00Z")
        assert len(reach.coerce(campaign, spreadsheet, today=TODAY)) == 1
        db.session.rollback()


def test_a_file_that_is_no_table_a_missing_column_and_personal_data_are_refused(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    campaign_id = _running(demo_app, client)
    url = f"/campaigns/{campaign_id}/reach/import"
    response = client.post(url, data={"csrf_token": _page_token(client, url),
                                      "file": (io.BytesIO(b"%PDF-1.7\x00\x01binary"), "report.pdf")},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 422 and "could not be read as a table" in response.get_data(as_text=True)
    day = START.isoformat()
    page = _upload(client, campaign_id, f"Day,Reach\n{day},100\n")
    response = _confirm(client, campaign_id, page, channel="social_media")
    assert response.status_code == 422 and "choose the file&#39;s column for it" in response.get_data(as_text=True)
    emails = "".join(f"{day},Hall,{100 + i},person{i}@example.org\n" for i in range(5))
    page = _upload(client, campaign_id, "Day,Region,Reach,Contact\n" + emails)
    response = _confirm(client, campaign_id, page, channel="social_media", segment="Contact")
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "Contact" in text and "personal data" in text
    assert _rows(demo_app, campaign_id) == 0
