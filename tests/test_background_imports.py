"""Large incident files are stored by a background job: progress page, nothing visible until
every row is stored, the same rows as an import in the request (issue 10, §2)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import demo_client, georgia_id, make_demo_app
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from test_input_pitfalls import _confirm, _csv, _upload, confirm_import

from campaigns.extensions import db
from campaigns.models import IncidentRecord, IncidentSet
from campaigns.services import imports

ROWS = [(f"13{n:03d}", 2015 + n % 4, 11 + n % 30) for n in range(1, 120, 2)]  # 60 rows, all above 0


@pytest.fixture
def small_inline(tmp_path: Path, fresh_database_url: str) -> Iterator[Flask]:
    """The demo with IMPORT_INLINE_ROWS = 10, so a 60-row file goes to the background."""
    app = make_demo_app(tmp_path, fresh_database_url, IMPORT_INLINE_ROWS=10)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _start_import(app: Flask, client: FlaskClient, name: str) -> str:
    """Check and import ROWS as a counts file; the progress page the import redirects to."""
    path = f"/targeting/sets/{georgia_id(app)}/upload/incidents"
    status, page = _upload(client, path, "big.csv", _csv(ROWS), incident_kind="counts", set_name=name)
    assert status == 200, page[-2000:]
    response = confirm_import(client, path, page, incident_kind="counts", set_name=name)
    assert response.status_code == 302 and "/targeting/imports/" in response.headers["Location"]
    return str(response.headers["Location"])


def _rows(app: Flask, name: str) -> tuple[str, int]:
    with app.app_context():
        inc = db.session.scalar(select(IncidentSet).where(IncidentSet.name == name))
        assert inc is not None
        n = db.session.scalar(select(func.count()).select_from(IncidentRecord).where(
            IncidentRecord.incident_set_id == inc.id))  # fmt: skip
        status = inc.status
        db.session.remove()
    return status, int(n or 0)


def test_a_large_file_is_imported_in_the_background_and_shows_only_when_whole(
    small_inline: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = small_inline
    client = demo_client(app)
    counts_url = f"/targeting/sets/{georgia_id(app)}/counts.csv"
    before = client.get(counts_url).data
    monkeypatch.setattr(imports, "CHUNK_ROWS", 10)
    halfway, go_on = threading.Event(), threading.Event()

    def pause(_set_id: int, stored: int) -> None:
        if stored == 20:
            halfway.set()
            go_on.wait(timeout=30)

    monkeypatch.setattr(imports, "chunk_stored", pause)
    progress_url = _start_import(app, client, "Background set")
    assert halfway.wait(timeout=30), "the job never stored its second chunk"
    assert _rows(app, "Background set") == ("importing", 20)  # committed chunks, yet:
    assert client.get(counts_url).data == before  # nothing of the set shows anywhere
    page = client.get(progress_url)
    assert page.status_code == 200 and b'id="import-progress"' in page.data and b"Background set" in page.data
    go_on.set()
    for _ in range(100):
        response = client.get(progress_url)
        if response.status_code == 302:
            break
        time.sleep(0.1)
    assert response.status_code == 302 and "/rank" in response.headers["Location"]
    with app.app_context():
        known = imports.area_ids(georgia_id(app))
    assert _rows(app, "Background set") == ("ready", sum(code in known for code, _p, _n in ROWS))
    assert client.get(counts_url).data != before


def test_background_and_inline_imports_store_the_same_rows(small_inline: Flask) -> None:
    app = small_inline
    client = demo_client(app)
    progress_url = _start_import(app, client, "Queued")
    for _ in range(200):
        if client.get(progress_url).status_code == 302:
            break
        time.sleep(0.05)
    app.config["SETTINGS"] = app.config["SETTINGS"].__class__(
        **{**app.config["SETTINGS"].__dict__, "import_inline_rows": 1000})
    path = f"/targeting/sets/{georgia_id(app)}/upload/incidents"
    status, page = _upload(client, path, "big.csv", _csv(ROWS), incident_kind="counts", set_name="Inline")
    _confirm(client, path, page, incident_kind="counts", set_name="Inline")
    with app.app_context():
        def stored(name: str) -> list[tuple[int, int, int]]:  # (area, year, count) rows
            return sorted(tuple(row) for row in db.session.execute(
                select(IncidentRecord.area_id, IncidentRecord.period, IncidentRecord.count)
                .join(IncidentSet, IncidentSet.id == IncidentRecord.incident_set_id).where(IncidentSet.name == name)
            ).all())  # fmt: skip

        assert stored("Queued") == stored("Inline") and len(stored("Inline")) > 50
