"""A process killed with SIGKILL in the middle of an import or a scheduled job leaves nothing half
done, and running the same work again does it exactly once (issue 10).

Each test starts the real app in a child process on the same database, lets it get past the
point where rows are written but not committed, and kills it there (SIGKILL: no handler, no
clean-up, as an out-of-memory kill or a pulled plug). The parent then reads the database and
runs the work again.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import make_demo_app
from flask import Flask
from sqlalchemy import func, select

from campaigns.db import write_intent
from campaigns.extensions import db
from campaigns.models import IncidentRecord, IncidentSet, JobRun, User, UserSession, utcnow
from campaigns.scheduler import run_job

TESTS = Path(__file__).resolve().parent
SET_NAME = "Killed import"


@pytest.fixture
def shared(tmp_path: Path, fresh_database_url: str) -> Iterator[tuple[Flask, dict[str, str]]]:
    """The demo in a database both this process and a child process use."""
    secret = secrets.token_hex(16)
    app = make_demo_app(tmp_path, fresh_database_url, SECRET_KEY=secret)
    env = {**os.environ, "FAULT_DATABASE_URL": fresh_database_url, "FAULT_INSTANCE": str(tmp_path / "instance"),
           "FAULT_SECRET": secret, "PYTHONPATH": f"{TESTS}{os.pathsep}{TESTS.parent}"}  # fmt: skip
    yield app, env
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


CHILD_PRELUDE = """
import os, sys, time
from conftest import make_app
from pathlib import Path
app = make_app(Path(os.environ["FAULT_INSTANCE"]).parent, os.environ["FAULT_DATABASE_URL"],
               SECRET_KEY=os.environ["FAULT_SECRET"])

def stop_here():
    print("READY", flush=True)
    time.sleep(120)
"""


def _run_until_killed(code: str, env: dict[str, str]) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD_PRELUDE + textwrap.dedent(code)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if line.strip() != "READY":
            child.kill()
            _out, err = child.communicate(timeout=30)
            pytest.fail(f"the child never reached the kill point: {line!r}\n{err[-3000:]}")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()


IMPORT_CHILD = """
from campaigns.views import uploads
from test_faults import import_counts
original = uploads._import_incidents

def import_then_stop(*args, **kwargs):
    result = original(*args, **kwargs)  # every row inserted and flushed, not committed
    stop_here()
    return result

uploads._import_incidents = import_then_stop
import_counts(app)
"""


def import_counts(app: Flask) -> None:
    """Upload and import a counts file through the HTTP app (the import must succeed)."""
    from conftest import demo_client, georgia_id
    from test_input_pitfalls import _confirm, _csv, _upload

    client = demo_client(app)
    path = f"/targeting/sets/{georgia_id(app)}/upload/incidents"
    rows = [(f"13{n:03d}", 2015 + n % 4, 20 + n % 30) for n in range(1, 200, 2)]
    status, page = _upload(client, path, "counts.csv", _csv(rows), incident_kind="counts", set_name=SET_NAME)
    assert status == 200, page[-2000:]
    _confirm(client, path, page, incident_kind="counts", set_name=SET_NAME)


def _stored(app: Flask) -> tuple[int, int]:
    with app.app_context():
        sets = db.session.scalar(select(func.count()).select_from(IncidentSet).where(IncidentSet.name == SET_NAME))
        rows = db.session.scalar(
            select(func.count()).select_from(IncidentRecord)
            .join(IncidentSet, IncidentSet.id == IncidentRecord.incident_set_id)
            .where(IncidentSet.name == SET_NAME)
        )  # fmt: skip
        db.session.remove()
    return int(sets or 0), int(rows or 0)


def test_an_import_killed_mid_way_stores_nothing_and_runs_again_once(shared: tuple[Flask, dict[str, str]]) -> None:
    app, env = shared
    _run_until_killed(IMPORT_CHILD, env)
    assert _stored(app) == (0, 0)  # the killed transaction left no set and no row
    import_counts(app)  # the user uploads again after the crash
    sets, rows = _stored(app)
    assert sets == 1 and rows > 50
    with app.app_context():  # the database is whole: no orphan rows of a set that does not exist
        orphans = db.session.scalar(
            select(func.count()).select_from(IncidentRecord)
            .where(~IncidentRecord.incident_set_id.in_(select(IncidentSet.id)))
        )  # fmt: skip
        assert orphans == 0


JOB_CHILD = """
from datetime import datetime
from campaigns import scheduler
original = scheduler.purge_expired_sessions

def purge_then_stop():
    result = original()  # expired sessions deleted, the claim row inserted; nothing committed
    stop_here()
    return result

jobs = list(scheduler.JOBS)
index = next(i for i, j in enumerate(jobs) if j.id == "purge_expired_sessions")
jobs[index] = scheduler.Job(jobs[index].id, jobs[index].every_minutes, purge_then_stop, jobs[index].doc)
scheduler.JOBS = tuple(jobs)
scheduler.run_job(app, "purge_expired_sessions", now=datetime.fromisoformat(os.environ["FAULT_NOW"]))
"""


def test_a_job_killed_mid_way_is_not_claimed_and_runs_once_after(shared: tuple[Flask, dict[str, str]]) -> None:
    app, env = shared
    now = utcnow().replace(microsecond=0)
    with app.app_context(), write_intent():
        user_id = db.session.scalar(select(User.id).limit(1))
        for n in range(3):
            db.session.add(UserSession(token_hash=f"{n:064d}", user_id=user_id, created_at=now - timedelta(days=30),
                                       last_seen_at=now - timedelta(days=30), expires_at=now - timedelta(days=1)))
        db.session.commit()
        db.session.remove()
    _run_until_killed(JOB_CHILD, {**env, "FAULT_NOW": now.isoformat()})

    def state() -> tuple[int, int]:
        with app.app_context():
            runs = db.session.scalar(
                select(func.count()).select_from(JobRun).where(JobRun.job_id == "purge_expired_sessions")
            )
            expired = db.session.scalar(
                select(func.count()).select_from(UserSession).where(UserSession.expires_at < now)
            )
            db.session.remove()
        return int(runs or 0), int(expired or 0)

    assert state() == (0, 3)  # no claim and no deletion survived the kill
    assert "skipped" not in run_job(app, "purge_expired_sessions", now=now)  # so the restarted scheduler runs it
    assert state() == (1, 0)
    assert "already done, skipped" in run_job(app, "purge_expired_sessions", now=now)  # and only once
    assert state() == (1, 0)


BACKGROUND_CHILD = """
from campaigns.services import imports
imports.CHUNK_ROWS = 10

def stop_after_two_chunks(set_id, stored):
    if stored >= 20:  # two chunks committed, the rest not yet stored
        stop_here()

imports.chunk_stored = stop_after_two_chunks
imports.run(app, int(os.environ["FAULT_SET_ID"]))
"""


def test_a_background_import_killed_mid_way_resumes_and_stores_each_row_once(
    shared: tuple[Flask, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import demo_client, georgia_id
    from test_background_imports import ROWS
    from test_input_pitfalls import _csv, _upload, confirm_import

    from campaigns.services import imports

    app, env = shared
    app.config["SETTINGS"] = app.config["SETTINGS"].__class__(
        **{**app.config["SETTINGS"].__dict__, "import_inline_rows": 10})
    monkeypatch.setattr(imports, "start", lambda _app, _id: None)  # the job runs in the child, not here
    client = demo_client(app)
    path = f"/targeting/sets/{georgia_id(app)}/upload/incidents"
    counts_url = f"/targeting/sets/{georgia_id(app)}/counts.csv"
    before = client.get(counts_url).data
    status, page = _upload(client, path, "big.csv", _csv(ROWS), incident_kind="counts", set_name=SET_NAME)
    assert status == 200
    queued = confirm_import(client, path, page, incident_kind="counts", set_name=SET_NAME)
    assert queued.status_code == 302
    set_id = int(queued.headers["Location"].rstrip("/").rsplit("/", 1)[-1])

    _run_until_killed(BACKGROUND_CHILD, {**env, "FAULT_SET_ID": str(set_id)})
    assert _stored(app) == (1, 20)  # two chunks were committed before the kill ...
    assert client.get(counts_url).data == before  # ... and none of them shows
    monkeypatch.setattr(imports, "STALE", timedelta(0))  # as if a minute had passed without a heartbeat
    with app.app_context():
        assert imports.stale_imports() == [set_id]
        db.session.remove()
    imports.run(app, set_id)  # what the progress page or the scheduler starts
    with app.app_context():
        known = imports.area_ids(georgia_id(app))
        status = db.session.get(IncidentSet, set_id).status
        db.session.remove()
    assert status == "ready"
    assert _stored(app) == (1, sum(code in known for code, _p, _n in ROWS))  # every row once
    assert client.get(counts_url).data != before
