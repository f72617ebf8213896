"""The campaigns API (issue 11): campaigns, reach rows and imports as JSON, and reach posted in
bulk with an Idempotency-Key so a retried request never counts twice; the OpenAPI document
that describes it is valid OpenAPI 3.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import create_member
from flask import Flask
from openapi_spec_validator import validate
from sqlalchemy import func, select
from test_api import _token

from campaigns.db import write_intent
from campaigns.extensions import db
from campaigns.models import (
    BoundarySet,
    Campaign,
    CampaignArea,
    CampaignStatus,
    CampaignTarget,
    IdempotentRequest,
    ReachImport,
    ReachRow,
    Role,
)
from campaigns.services import accounts
from campaigns.services.audit import SYSTEM_CLI

TODAY = date.today()
AREAS = (("GA-1", "Hall", 20_000, 41, False), ("GA-2", "Habersham", 45_000, None, True), ("GA-3", "Stephens", 26_000,
                                                                                           None, False))  # fmt: skip


def make_campaign(
    app: Flask,
    org_name: str,
    *,
    name: str = "North-east outreach",
    status: CampaignStatus = CampaignStatus.RUNNING,
    channels: Sequence[str] = ("social_media", "radio"),
) -> int:
    """A campaign of three areas that began 30 days ago and ends in 30, straight in the database
    (the planning pages are tested elsewhere); its id."""
    with app.app_context(), write_intent():
        org = accounts.get_or_create_organisation(SYSTEM_CLI, org_name)
        bset = db.session.scalar(select(BoundarySet).where(BoundarySet.organisation_id == org.id))
        if bset is None:
            bset = BoundarySet(organisation_id=org.id, name="Test areas", source="tests", content_hash="0" * 64)
            db.session.add(bset)
            db.session.flush()
        campaign = Campaign(
            organisation_id=org.id, boundary_set_id=bset.id, name=name, status=status, objective="Reach job seekers",
            starts=TODAY - timedelta(days=30), ends=TODAY + timedelta(days=30), budget_cents=1_250_050,
            channels=list(channels), partners=["County social services"], locales=["en", "ro"],
        )  # fmt: skip
        campaign.areas = [
            CampaignArea(position=i, area_code=code, name=area, rank=i + 1, population=people, count=count,
                         hidden=hidden)
            for i, (code, area, people, count, hidden) in enumerate(AREAS)
        ]  # fmt: skip
        campaign.targets = [CampaignTarget(area_code="GA-1", channel=channels[0], target_reach=5_000)]
        db.session.add(campaign)
        db.session.commit()
        return campaign.id


def member_token(app: Flask, role: Role, org_name: str) -> dict[str, str]:
    email = f"{role.value}.{abs(hash(org_name)) % 10_000}@api.example"
    create_member(app, role, email=email, org_name=org_name)
    return {"Authorization": f"Bearer {_token(app, email)}"}


def row(days_ago: int = 7, length: int = 7, **fields: Any) -> dict[str, Any]:
    """A valid row for the campaign above: a week that ended `days_ago` days ago."""
    end = TODAY - timedelta(days=days_ago)
    return {"period_start": (end - timedelta(days=length - 1)).isoformat(), "period_end": end.isoformat(),
            "channel": "social_media", "area_code": "GA-1", "reached": 1_200, "impressions": 5_000, **fields}


def post(app: Flask, campaign_id: int, headers: dict[str, str], body: Any, key: str | None = "batch-1",
         **kwargs: Any) -> Any:  # fmt: skip
    sent = dict(headers, **({"Idempotency-Key": key} if key is not None else {}))
    if "data" not in kwargs:
        kwargs["json"] = body
    return app.test_client().post(f"/api/v1/campaigns/{campaign_id}/reach", headers=sent, **kwargs)


def counts(app: Flask, campaign_id: int) -> tuple[int, int, int]:
    """(rows, imports, stored idempotency keys)."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).where(ReachRow.campaign_id == campaign_id)) or 0,
            db.session.scalar(select(func.count()).where(ReachImport.campaign_id == campaign_id)) or 0,
            db.session.scalar(select(func.count()).select_from(IdempotentRequest)) or 0,
        )


@pytest.fixture
def coordinator(app: Flask) -> dict[str, str]:
    return member_token(app, Role.COORDINATOR, "Org A")


@pytest.fixture
def running(app: Flask) -> int:
    return make_campaign(app, "Org A")


def test_campaigns_are_listed_and_detailed_for_the_own_organisation_only(
    app: Flask, coordinator: dict[str, str], running: int
) -> None:
    other = make_campaign(app, "Org B", name="Their campaign")
    client = app.test_client()
    listed = client.get("/api/v1/campaigns", headers=coordinator)
    assert listed.status_code == 200
    (summary,) = listed.get_json()["campaigns"]
    assert summary == {
        "id": running, "name": "North-east outreach", "status": "running",
        "starts": (TODAY - timedelta(days=30)).isoformat(), "ends": (TODAY + timedelta(days=30)).isoformat(),
        "channels": ["social_media", "radio"], "locales": ["en", "ro"], "areas": 3, "synthetic": False, "version": 1,
    }  # fmt: skip
    detail = client.get(f"/api/v1/campaigns/{running}", headers=coordinator).get_json()
    assert detail["budget"] == {"cents": 1_250_050, "currency": "EUR"}
    assert detail["objective"] == "Reach job seekers" and detail["partners"] == ["County social services"]
    assert [a["code"] for a in detail["areas"]] == ["GA-1", "GA-2", "GA-3"]
    assert detail["areas"][0]["incidents"] == 41
    assert detail["areas"][1]["incidents"] is None and detail["areas"][1]["incidents_hidden"] is True
    assert detail["targets"] == [{"area_code": "GA-1", "channel": "social_media", "target_reach": 5_000}]
    assert [c["channel"] for c in detail["coverage"]] == ["social_media", "radio"]
    assert detail["coverage"][0]["reached"] is None and detail["last_day"] is None and detail["reach_rows"] == 0
    for path in (f"/api/v1/campaigns/{other}", f"/api/v1/campaigns/{other}/reach",
                 f"/api/v1/campaigns/{other}/reach-imports", "/api/v1/campaigns/999999",
                 "/api/v1/campaigns/99999999999999999999"):  # fmt: skip
        answer = client.get(path, headers=coordinator)
        assert answer.status_code == 404 and answer.get_json()["error"]["status"] == 404, path
    refused = post(app, other, coordinator, {"rows": [row()]})
    assert refused.status_code == 404 and counts(app, other)[:2] == (0, 0)


@pytest.mark.parametrize("role", [Role.TRAINER, Role.REVIEWER])
def test_trainers_and_reviewers_are_refused(app: Flask, running: int, role: Role) -> None:
    headers = member_token(app, role, "Org A")
    client = app.test_client()
    for path in ("/api/v1/campaigns", f"/api/v1/campaigns/{running}", f"/api/v1/campaigns/{running}/reach",
                 f"/api/v1/campaigns/{running}/reach-imports"):  # fmt: skip
        answer = client.get(path, headers=headers)
        assert answer.status_code == 403 and role.value in answer.get_json()["error"]["message"]
    assert post(app, running, headers, {"rows": [row()]}).status_code == 403
    assert counts(app, running) == (0, 0, 0)


def test_a_bulk_post_is_stored_and_a_retry_counts_once(app: Flask, coordinator: dict[str, str], running: int) -> None:
    body = {"rows": [row(), row(area_code="GA-2", reached=800, impressions=2_400),
                     row(days_ago=14, channel="radio", reached=None, impressions=None, events=3, segment="18-24",
                         locale="ro")]}  # fmt: skip
    first = post(app, running, coordinator, body, key="2027-03-batch:1")
    assert first.status_code == 201, first.get_json()
    answer = first.get_json()
    assert answer["added"] == 3 and answer["replaced"] == 0 and "Idempotent-Replay" not in first.headers
    assert counts(app, running) == (3, 1, 1)
    # The same request again, as a client that lost the answer sends it (here with other spacing
    # and key order): the first answer, and nothing changes.
    again = post(app, running, coordinator, None, key="2027-03-batch:1", content_type="application/json",
                 data=json.dumps({"rows": [dict(reversed(r.items())) for r in body["rows"]]}, indent=2))
    assert again.status_code == 201 and again.get_json() == answer
    assert again.headers["Idempotent-Replay"] == "true"
    assert counts(app, running) == (3, 1, 1)

    client = app.test_client()
    page = client.get(f"/api/v1/campaigns/{running}/reach?limit=2", headers=coordinator).get_json()
    assert page["total"] == 3 and page["limit"] == 2 and len(page["rows"]) == 2
    assert {r["import"] for r in page["rows"]} == {answer["import"]}
    rest = client.get(f"/api/v1/campaigns/{running}/reach?offset=2", headers=coordinator).get_json()
    assert [r["channel"] for r in rest["rows"]] == ["radio"]  # the oldest period comes last
    assert rest["rows"][0]["segment"] == "18-24" and rest["rows"][0]["events"] == 3
    assert rest["rows"][0]["reached"] is None and rest["rows"][0]["period_start"].count("-") == 2
    imports = client.get(f"/api/v1/campaigns/{running}/reach-imports", headers=coordinator).get_json()["imports"]
    assert [(i["id"], i["source"], i["added"], i["replaced"]) for i in imports] == [(answer["import"], "api", 3, 0)]
    detail = client.get(f"/api/v1/campaigns/{running}", headers=coordinator).get_json()
    social = detail["coverage"][0]
    assert social["reached"] == 2_000 and social["population"] == 65_000 and social["measures"]["impressions"] == 7_400
    assert social["coverage"] == pytest.approx(2_000 / 65_000) and social["frequency"] == pytest.approx(7_400 / 2_000)
    assert detail["last_day"] == (TODAY - timedelta(days=7)).isoformat() and detail["reach_rows"] == 3

    # A correction under a new key replaces the stored row with the same key fields.
    corrected = post(app, running, coordinator, {"rows": [row(reached=1_300, impressions=5_100)]}, key="batch-2")
    assert corrected.status_code == 201 and corrected.get_json()["replaced"] == 1
    assert counts(app, running) == (3, 2, 2)


def test_the_same_key_with_another_body_is_refused(app: Flask, coordinator: dict[str, str], running: int) -> None:
    assert post(app, running, coordinator, {"rows": [row()]}).status_code == 201
    for campaign_id, body in ((running, {"rows": [row(reached=1)]}), (make_campaign(app, "Org A", name="Other"),
                                                                      {"rows": [row()]})):  # fmt: skip
        refused = post(app, campaign_id, coordinator, body)
        error = refused.get_json()["error"]
        assert refused.status_code == 422 and error["code"] == "idempotency_key_reused"
        assert "Idempotency-Key" in error["message"]
    assert counts(app, running) == (1, 1, 1)


def test_rejected_rows_name_row_and_column_and_store_nothing(
    app: Flask, coordinator: dict[str, str], running: int
) -> None:
    body = {"rows": [row(), row(days_ago=-3), row(channel="television", area_code="GA-2"), row(reached="1200")]}
    refused = post(app, running, coordinator, body)
    error = refused.get_json()["error"]
    assert refused.status_code == 422 and error["code"] == "rows_rejected"
    assert [(p["row"], p["column"], p["code"]) for p in error["problems"]] == [(4, "reached", "not_number")]
    assert "Row 4" in error["message"] and "reached" in error["message"]
    body["rows"][3] = row(reached=1_300, area_code="GA-3")
    refused = post(app, running, coordinator, body)
    error = refused.get_json()["error"]
    assert refused.status_code == 422 and error["total"] == 2
    assert [(p["row"], p["column"], p["code"]) for p in error["problems"]] == [
        (2, "period_end", "after_end"), (3, "channel", "channel_unknown")]
    assert "television" in error["problems"][1]["message"] and "Row 2" in error["message"]
    assert counts(app, running) == (0, 0, 0)  # nothing stored, not even the key
    body["rows"][1:3] = []
    assert post(app, running, coordinator, body).status_code == 201  # the same key, now accepted
    assert counts(app, running) == (2, 1, 1)


def test_a_campaign_that_takes_no_reach_answers_409(app: Flask, coordinator: dict[str, str]) -> None:
    draft = make_campaign(app, "Org A", name="Planned", status=CampaignStatus.DRAFT)
    refused = post(app, draft, coordinator, {"rows": [row()]})
    error = refused.get_json()["error"]
    assert refused.status_code == 409 and error["code"] == "reach_not_running" and "running" in error["message"]
    evaluated = make_campaign(app, "Org A", name="Done", status=CampaignStatus.EVALUATED)
    refused = post(app, evaluated, coordinator, {"rows": [row()]}, key="batch-2")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "read_only"
    assert counts(app, draft)[:2] == counts(app, evaluated)[:2] == (0, 0)


@pytest.mark.parametrize("key", [None, "", "a" * 101, "no spaces", "ünïcode", "semi;colon"])
def test_a_missing_or_malformed_idempotency_key_is_a_400(
    app: Flask, coordinator: dict[str, str], running: int, key: str | None
) -> None:
    refused = post(app, running, coordinator, {"rows": [row()]}, key=key)
    assert refused.status_code == 400 and "Idempotency-Key" in refused.get_json()["error"]["message"]
    assert counts(app, running) == (0, 0, 0)


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ("{", 400, "json_invalid"),
        ('{"rows": [{"reached": NaN}]}', 400, "json_invalid"),
        ("[" * 100_000 + "]" * 100_000, 400, "json_invalid"),
        ('{"rows": [{"reached": 1' + "0" * 5000 + "}]}", 400, "json_invalid"),
        (b'{"rows": "\xff"}', 400, "json_invalid"),
        ("null", 422, "body_invalid"),
        ("[]", 422, "body_invalid"),
        ('{"rows": []}', 422, "body_invalid"),
        ('{"rows": {}}', 422, "body_invalid"),
        ('{"rows": [], "more": 1}', 422, "body_invalid"),
        ('{"rows": [1, [], null]}', 422, "rows_rejected"),
        ('{"rows": [{"period_start": "2020-01-01", "reach": 5}]}', 422, "rows_rejected"),
        ('{"rows": [{"period_start": 20200101, "channel": ["radio"], "reached": true, "segment": "\\ud800"}]}',
         422, "rows_rejected"),
        ('{"rows": [{"period_start": "1/3/2027", "period_end": "2027-03-01T00:00", "channel": "radio", '
         '"area_code": "GA-1", "reached": 2.5, "impressions": -1, "clicks": 1e300}]}', 422, "rows_rejected"),
    ],
)
def test_malformed_bodies_say_what_is_wrong(
    app: Flask, coordinator: dict[str, str], running: int, data: str | bytes, status: int, code: str
) -> None:
    refused = post(app, running, coordinator, None, data=data, content_type="application/json")
    error = refused.get_json()["error"]
    assert refused.status_code == status and error["code"] == code, error
    if code == "rows_rejected":
        assert error["problems"] and all(p["message"] and p["row"] >= 1 for p in error["problems"])
    assert counts(app, running) == (0, 0, 0)


def test_problems_of_json_types_are_listed_per_row(app: Flask, coordinator: dict[str, str], running: int) -> None:
    body = {"rows": [row(), 5, row(stray=1), {"period_start": "2020-01-01"}, row(reached=True, period_end="1.3.27")]}
    error = post(app, running, coordinator, body).get_json()["error"]
    assert [(p["row"], p["column"], p["code"]) for p in error["problems"]] == [(2, "", "not_an_object")]
    body["rows"][1] = row()
    error = post(app, running, coordinator, body).get_json()["error"]
    assert [(p["row"], p["column"], p["code"]) for p in error["problems"]] == [(3, "stray", "unknown_field")]
    body["rows"][2] = row()
    error = post(app, running, coordinator, body).get_json()["error"]
    assert [(p["row"], p["column"], p["code"]) for p in error["problems"]] == [
        (4, "area_code", "required"), (4, "channel", "required"), (4, "period_end", "required"),
        (5, "period_end", "date_invalid"), (5, "reached", "not_number")]  # fmt: skip
    assert error["total"] == 5 and "1.3.27" in error["problems"][3]["message"]


def test_other_content_types_and_too_many_rows(
    app: Flask, coordinator: dict[str, str], running: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = post(app, running, coordinator, None, data="rows=1")
    assert refused.status_code == 415 and refused.get_json()["error"]["code"] == "content_type"
    monkeypatch.setattr("campaigns.views.api_reach.MAX_ROWS", 2)
    refused = post(app, running, coordinator, {"rows": [row(), row(area_code="GA-2"), row(area_code="GA-3")]})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "too_many_rows"


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "offset=-1", "offset=1.5",
                                   "offset=99999999999999999999"])  # fmt: skip
def test_a_page_out_of_range_is_a_400(app: Flask, coordinator: dict[str, str], running: int, query: str) -> None:
    answer = app.test_client().get(f"/api/v1/campaigns/{running}/reach?{query}", headers=coordinator)
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "query_invalid"


def test_a_key_stored_by_a_concurrent_request_is_answered_from_the_store(
    app: Flask, coordinator: dict[str, str], running: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race of two first requests with one key: the second finds no key when it looks, then
    fails to insert its own (the unique constraint) and answers with the stored one."""
    body = {"rows": [row()]}
    first = post(app, running, coordinator, body)
    assert first.status_code == 201
    import campaigns.views.api_reach as api

    looked: list[str] = []
    real = api._stored

    def late(organisation_id: int, key: str) -> IdempotentRequest | None:
        looked.append(key)
        return None if len(looked) == 1 else real(organisation_id, key)

    monkeypatch.setattr(api, "_stored", late)
    again = post(app, running, coordinator, body)
    assert looked == ["batch-1", "batch-1"]  # missed, then found after the failed insert
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replay"] == "true"
    assert counts(app, running) == (1, 1, 1)


def test_two_concurrent_first_requests_with_one_key_store_once(
    app: Flask, coordinator: dict[str, str], running: int
) -> None:
    body = {"rows": [row(), row(area_code="GA-2"), row(area_code="GA-3", channel="radio")]}
    assert app.test_client().get("/api/v1/me", headers=coordinator).status_code == 200  # the token's write, below
    start = threading.Barrier(4)
    answers: list[Any] = []

    def send() -> None:
        start.wait()
        answers.append(post(app, running, coordinator, body, key="same"))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [201] * 4
    assert len({json.dumps(a.get_json(), sort_keys=True) for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replay") == "true" for a in answers) == 3
    assert counts(app, running) == (3, 1, 1)


def test_concurrent_batches_with_their_own_keys_are_all_stored(
    app: Flask, coordinator: dict[str, str], running: int
) -> None:
    """Two imports into one campaign at once rebuild its roll-ups; the API queues them on the
    campaign's row (PostgreSQL would otherwise refuse the second with a duplicate roll-up key)."""
    # Once used, the token is not written again for minutes; a first use would queue the requests
    # on its last-used time and hide the race.
    assert app.test_client().get("/api/v1/me", headers=coordinator).status_code == 200
    start = threading.Barrier(3)
    answers: list[Any] = []

    def send(area: str) -> None:
        start.wait()
        answers.append(post(app, running, coordinator, {"rows": [row(area_code=area)]}, key=f"area-{area}"))

    threads = [threading.Thread(target=send, args=(code,)) for code, *_ in AREAS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [201] * 3, [a.get_json() for a in answers]
    assert counts(app, running) == (3, 3, 3)


def test_the_document_is_valid_openapi_3_1(app: Flask, coordinator: dict[str, str]) -> None:
    document = app.test_client().get("/api/v1/openapi.json", headers=coordinator).get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises, naming the member, when the document is not valid OpenAPI 3.1
    post_op = document["paths"]["/api/v1/campaigns/{campaign_id}/reach"]["post"]
    batch = document["components"]["schemas"]["ReachBatch"]["properties"]["rows"]
    assert batch["maxItems"] == 50_000 and "50,000" in post_op["description"]
    assert document["components"]["parameters"]["IdempotencyKey"]["required"] is True
