"""The API fuzzed from its own OpenAPI document (schemathesis): no 5xx, every answer as documented.

Requests are generated for every operation, valid and invalid (ids of every size, other types,
bodies and headers that break the schema), and sent through the real app with a coordinator's
token; schemathesis' checks then require no server error, a documented status code and content
type, and a body matching the schema. Campaign operations are also sent to campaigns that exist
(a running one that takes reach, a draft that refuses it), and valid batches of reach rows are
posted and posted again, so the 201 and its replay are checked against the document too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import schemathesis
from conftest import own_demo_app
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from test_api import _token
from test_api_campaigns import AREAS, make_campaign

from campaigns.models import CampaignStatus, Role
from campaigns.services.demo import DEMO_ORGANISATION, DEMO_USERS

SERVER_ERRORS = tuple(f" 5{n:02d}" for n in range(100))
CHANNELS = ("social_media", "radio")


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The demo on its own database, of the kind under test (posting rows differs between them)."""
    with own_demo_app(tmp_path_factory.mktemp("fuzz")) as app:
        yield app


@pytest.fixture(scope="module")
def headers(api_app: Flask) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(api_app, DEMO_USERS[Role.COORDINATOR][0])}"}


@pytest.fixture(scope="module")
def campaign_ids(api_app: Flask) -> list[int]:
    """A running campaign of the demo organisation that takes reach, and a draft that does not."""
    return [
        make_campaign(api_app, DEMO_ORGANISATION, name="Fuzzed running campaign", channels=CHANNELS),
        make_campaign(api_app, DEMO_ORGANISATION, name="Fuzzed draft", status=CampaignStatus.DRAFT),
    ]


def rows_take_checks_the_schema_cannot_state(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """Valid by the schema is not valid for a campaign: whether a channel is one of this
    campaign's, a date within its days, a key not given twice, impressions not below reach. So a
    generated batch the schema allows may be refused with 422 (naming the rows) or 409 (the
    campaign takes no reach), but never with a 400: that would say the request was malformed."""
    if case.meta is not None and case.meta.generation.mode.is_positive:
        assert response.status_code in (201, 401, 403, 404, 409, 422), response.status_code
    return None


def fuzz(strategy: st.SearchStrategy[schemathesis.Case], headers: dict[str, str], *, rows: bool) -> list[str]:
    """Send 60 generated cases with schemathesis' checks; "METHOD path status" of each."""
    calls: list[str] = []
    excluded = [positive_data_acceptance] if rows else []
    additional = [rows_take_checks_the_schema_cannot_state] if rows else []

    @given(case=strategy)
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def send(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=headers, excluded_checks=excluded, additional_checks=additional)
        calls.append(f"{case.method} {case.formatted_path} {response.status_code}")

    send()
    return calls


def test_api_answers_as_documented(api_app: Flask, headers: dict[str, str], campaign_ids: list[int]) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app, headers=dict(headers))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7  # schemathesis leaves out the document itself
    calls: list[str] = []

    for operation in operations:
        posts_rows = operation.method.upper() == "POST"
        # What negative generation can break, the token being fixed: parameters and the body.
        negatable = {p.name for p in operation.iter_parameters()} - {"Authorization"}
        if posts_rows:
            negatable.add("body")
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies = []
            if mode == GenerationMode.POSITIVE or negatable:
                strategies.append(operation.as_strategy(generation_mode=mode, headers=dict(headers)))
            if "campaign_id" in negatable and (mode == GenerationMode.POSITIVE or negatable - {"campaign_id"}):
                strategies += [
                    operation.as_strategy(generation_mode=mode, headers=dict(headers),
                                          path_parameters={"campaign_id": campaign_id})
                    for campaign_id in campaign_ids
                ]  # fmt: skip
            if not strategies:
                continue
            calls += fuzz(st.one_of(*strategies), headers, rows=posts_rows)
    assert len(calls) >= 7 * 40 + 5 * 40
    assert not [c for c in calls if c.endswith(SERVER_ERRORS)]
    posted = [c for c in calls if c.startswith("POST")]
    assert {c.rsplit(" ", 1)[1] for c in posted} >= {"400", "404", "409", "422"}


@st.composite
def reach_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Batches the running campaign takes: its channels and areas, whole weeks from its first
    day to yesterday, figures with impressions at least the reach; each key once."""
    today = date.today()
    keys = draw(st.lists(
        st.tuples(st.integers(1, 4), st.sampled_from(CHANNELS), st.sampled_from([code for code, *_ in AREAS]),
                  st.sampled_from(["", "18-24", "25-34"]), st.sampled_from(["", "en", "ro"])),
        min_size=1, max_size=30, unique=True,
    ))  # fmt: skip
    rows = []
    for weeks_ago, channel, area, segment, locale in keys:
        end = today - timedelta(days=7 * weeks_ago - 6)
        reached = draw(st.none() | st.integers(0, 10**6))
        impressions = draw(st.none() | st.integers(reached or 0, 10**7))
        figures = st.integers(0, 50) if reached is None and impressions is None else st.none() | st.integers(0, 50)
        events = draw(figures)  # at least one figure per row
        rows.append({"period_start": (end - timedelta(days=6)).isoformat(), "period_end": end.isoformat(),
                     "channel": channel, "area_code": area, "segment": segment, "locale": locale,
                     "reached": reached, "impressions": impressions, "events": events})  # fmt: skip
    return rows


def test_valid_batches_are_stored_and_replayed_as_documented(
    api_app: Flask, headers: dict[str, str], campaign_ids: list[int]
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app, headers=dict(headers))
    operation = schema["/api/v1/campaigns/{campaign_id}/reach"]["POST"]
    answers: list[int] = []

    @given(rows=reach_rows(), key=st.from_regex(re.compile(r"[A-Za-z0-9._:-]{1,90}"), fullmatch=True))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def post_twice(rows: list[dict[str, Any]], key: str) -> None:
        key = f"{key}:{len(answers)}"  # hypothesis draws "00000000" more than once, with other rows
        case = operation.Case(path_parameters={"campaign_id": campaign_ids[0]}, headers={"Idempotency-Key": key},
                              body={"rows": rows}, media_type="application/json")  # fmt: skip
        first = case.call_and_validate(headers=headers)
        assert first.status_code == 201, first.text
        again = case.call_and_validate(headers=headers)
        assert again.status_code == first.status_code and again.json() == first.json()
        if first.status_code == 201:
            assert "idempotent-replay" not in first.headers and again.headers["idempotent-replay"] == ["true"]
        answers.append(first.status_code)

    post_twice()
    assert len(answers) >= 20


def test_the_document_is_served_and_names_every_route(api_app: Flask, headers: dict[str, str]) -> None:
    document = api_app.test_client().get("/api/v1/openapi.json", headers=headers).get_json()
    routes = {rule.rule for rule in api_app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    documented = {re.sub(r"\{(\w+)\}", r"<int:\1>", p) for p in document["paths"]}
    assert routes == documented
