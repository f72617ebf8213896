"""The API fuzzed from its own OpenAPI document (schemathesis): no 5xx, every answer as documented.

Requests are generated for every operation, valid and invalid (ids of every size, other types),
and sent through the real app with a coordinator's token; schemathesis' checks then require no
server error, a documented status code and content type, and a body matching the schema."""

from __future__ import annotations

import pytest
import schemathesis
from conftest import make_demo_app
from flask import Flask
from hypothesis import HealthCheck, given, settings
from test_api import _token

from campaigns.models import Role
from campaigns.services.demo import DEMO_USERS


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    path = tmp_path_factory.mktemp("fuzz")
    return make_demo_app(path, f"sqlite:///{path / 'fuzz.db'}")


@pytest.fixture(scope="module")
def headers(api_app: Flask) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(api_app, DEMO_USERS[Role.COORDINATOR][0])}"}


def test_api_answers_as_documented(api_app: Flask, headers: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app, headers=dict(headers))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3  # schemathesis leaves out the document itself
    calls: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=headers)
            calls.append(f"{case.method} {case.formatted_path} {response.status_code}")

        fuzz()
    assert len(calls) >= 40
    assert not [c for c in calls if c.endswith(tuple(f" 5{n:02d}" for n in range(100)))]


def test_the_document_is_served_and_names_every_route(api_app: Flask, headers: dict[str, str]) -> None:
    document = api_app.test_client().get("/api/v1/openapi.json", headers=headers).get_json()
    routes = {rule.rule for rule in api_app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    documented = {p.replace("{set_id}", "<int:set_id>") for p in document["paths"]}
    assert routes == documented
