"""The database connection as an operator meets it: one line for every bad DATABASE_URL, from every
`flask` command and from gunicorn; a bounded pool with timeouts on PostgreSQL; and a server
restart under a running app that costs at most the requests in flight."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from campaigns import connection
from campaigns.connection import StartupError
from campaigns.extensions import db
from tests.conftest import SERVER_URL, USE_POSTGRES, demo_client, make_app

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
needs_postgres = pytest.mark.skipif(not USE_POSTGRES, reason="needs a PostgreSQL server (DATABASE_URL)")


def _flask(database_url: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "wsgi", "SECRET_KEY": "test"}
    return subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_urls_people_paste_mean_the_installed_driver() -> None:
    assert connection.normalise_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert connection.normalise_url("postgresql://u:p@h:5433/db") == "postgresql+psycopg://u:p@h:5433/db"
    assert connection.normalise_url("postgresql+psycopg://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert connection.normalise_url("sqlite:///x.db") == "sqlite:///x.db"
    assert connection.safe_url("postgresql+psycopg://planner:s3cret@h/db") == "postgresql+psycopg://planner:***@h/db"


def test_postgres_pool_is_bounded_with_timeouts_and_sqlite_keeps_its_own() -> None:
    limits = {"pool_size": 4, "max_overflow": 2, "pool_timeout_s": 9, "connect_timeout_s": 3,
              "statement_timeout_ms": 45000}
    pg = connection.engine_options(make_url("postgresql+psycopg://u:p@h/db"), **limits)
    assert pg["pool_pre_ping"] and (pg["pool_size"], pg["max_overflow"], pg["pool_timeout"]) == (4, 2, 9)
    assert pg["connect_args"]["connect_timeout"] == 3
    assert pg["connect_args"]["options"] == "-c statement_timeout=45000"
    sqlite = connection.engine_options(make_url("sqlite:///x.db"), **limits)
    assert sqlite == {"pool_pre_ping": True, "hide_parameters": True}


@pytest.mark.parametrize("url, expected", [
    ("postgresql+psycopg2://planner:s3cret@127.0.0.1/planner", "write postgresql+psycopg:// instead"),
    ("postgresql+psycopg://planner:s3cret@127.0.0.1:1/planner", "does not answer (connection refused"),
    ("mysql://planner:s3cret@127.0.0.1/planner", "the planner runs on SQLite or PostgreSQL"),
    ("not a url", "is not a database URL"),
    ("sqlite:////nonexistent-folder/planner.sqlite3", "check that its folder '/nonexistent-folder' exists"),
])
def test_every_flask_command_explains_a_bad_database_url_in_one_line(tmp_path: Path, url: str, expected: str) -> None:
    for command in (["db", "upgrade"], ["users", "list"], ["demo", "load"]):
        done = _flask(url, *command, tmp_path=tmp_path)
        line = _one_line(done)
        assert done.returncode == 4, (command, done.returncode)
        assert line.startswith("error: ") and expected in line, line
        assert "s3cret" not in done.stderr + done.stdout  # the password is never printed


def test_a_command_on_an_unmigrated_database_says_to_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    done = _flask(url, "users", "list", tmp_path=tmp_path)
    assert done.returncode == 1 and "empty (no tables yet)" in _one_line(done)
    assert "run `flask db upgrade`" in done.stderr
    assert _flask(url, "db", "upgrade", tmp_path=tmp_path).returncode == 0
    assert _flask(url, "users", "list", tmp_path=tmp_path).returncode == 0


def _gunicorn(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": "postgresql+psycopg://planner:s3cret@127.0.0.1:1/planner",
           "SECRET_KEY": "test"}
    return subprocess.run([str(BIN / "gunicorn"), *args, "--workers", "2", "--bind", "127.0.0.1:0", "wsgi:app"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_gunicorn_as_make_run_starts_it_stops_with_one_line() -> None:
    """`make run` preloads the app in the master, so the check runs once, before any worker forks."""
    done = _gunicorn("--preload")
    assert done.returncode == 4
    assert "does not answer (connection refused" in _one_line(done)
    assert "s3cret" not in done.stderr + done.stdout


def test_gunicorn_without_preload_stops_instead_of_restarting_workers() -> None:
    """Each worker prints the line and exits 4, gunicorn's "app failed to load", and the master
    gives up rather than booting workers for ever (gunicorn itself may add a traceback of its own
    halt when both workers die at once, which is why `make run` preloads)."""
    started = time.monotonic()
    done = _gunicorn()
    assert done.returncode != 0
    assert "does not answer (connection refused" in done.stderr and "s3cret" not in done.stderr
    assert "App failed to load" in done.stderr, done.stderr
    assert done.stderr.count("Booting worker") <= 2  # no worker was booted again
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("message, expected", [
    ('connection to server at "db", port 5432 failed: FATAL:  password authentication failed for user "p"',
     "refused the credentials of user 'planner'"),
    ('connection to server at "db", port 5432 failed: FATAL:  database "planner" does not exist',
     "has no database 'planner'"),
    ("connection failed: connection timeout expired", "does not answer (no answer in time"),
    ("failed to resolve host 'db': [Errno -2] Name or service not known", "not a known host name"),
])
def test_driver_messages_become_a_fix(message: str, expected: str) -> None:
    exc = OperationalError("SELECT 1", {}, Exception(message))
    assert expected in connection.connection_problem("postgresql+psycopg://planner:x@db/planner", exc)


def test_a_request_that_loses_the_database_gets_a_503_and_a_retry(demo_app: Flask,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    client = demo_client(demo_app)

    def server_gone(*_args: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                               connection_invalidated=True)

    monkeypatch.setattr("campaigns.views.home.language_choices", server_gone)
    page = client.get("/account?lang=en")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "The database is not answering" in page.get_data(as_text=True)
    lt = client.get("/account?lang=lt").get_data(as_text=True)
    assert "The database is not answering" not in lt  # translated, like every other page
    monkeypatch.undo()
    assert client.get("/account").status_code == 200  # the next request is served


def test_other_database_errors_stay_errors(app: Flask) -> None:
    """Only an unavailable server is a 503: a broken query is a bug and must not hide as 'retry'."""
    assert not connection.is_unavailable(ProgrammingError("SELECT x", {}, Exception("syntax error")))
    assert connection.is_unavailable(OperationalError("SELECT 1", {}, Exception("terminating connection")))


def test_startup_error_for_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="DB_POOL_SIZE must be 1 or more, got 0"):
        make_app(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}", DB_POOL_SIZE=0)


@needs_postgres
def test_refused_credentials_and_a_missing_database_are_named(tmp_path: Path) -> None:
    server = make_url(SERVER_URL)
    wrong = server.set(password="not-the-password").render_as_string(hide_password=False)
    line = _one_line(_flask(wrong, "users", "list", tmp_path=tmp_path))
    assert f"refused the credentials of user '{server.username}'" in line and "not-the-password" not in line
    missing = server.set(database="planner_no_such_db").render_as_string(hide_password=False)
    assert "has no database 'planner_no_such_db'" in _one_line(_flask(missing, "users", "list", tmp_path=tmp_path))


@needs_postgres
def test_the_pool_and_statement_timeout_reach_the_server(app: Flask) -> None:
    with app.app_context():
        assert db.engine.pool.size() == 5  # type: ignore[attr-defined]
        with db.engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "1min"
            assert conn.execute(text("SHOW application_name")).scalar() == "campaign-planner"


@needs_postgres
def test_a_server_restart_costs_at_most_the_requests_in_flight(demo_app: Flask) -> None:
    """What a restart does to a running app: every pooled connection dies. The server here is shared
    by the suite, so the restart is made as the server makes it, by ending every backend of this
    app's database (`scripts/smoke-run --restart-postgres`, in CI, restarts the real cluster)."""
    client: FlaskClient = demo_client(demo_app)
    pages = ["/", "/targeting/", "/campaigns/", "/toolkits/", "/account", "/healthz"]
    assert all(client.get(page).status_code == 200 for page in pages)
    with demo_app.app_context():
        database = db.engine.url.database
        checked_in = db.engine.pool.checkedin()  # type: ignore[attr-defined]
    assert checked_in >= 1  # there are pooled connections to lose
    admin = create_engine(make_url(SERVER_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        ended = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database}).scalar()
    admin.dispose()
    assert ended and ended >= checked_in
    statuses = {page: client.get(page).status_code for page in pages}
    assert statuses == {page: 200 for page in pages}  # nothing was in flight, so nothing fails


@pytest.mark.skipif(USE_POSTGRES, reason="SQLite behaviour")
def test_a_locked_database_gives_a_503_page_not_a_500(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock longer than the busy timeout: a sign-in (a write)
    answers 503 with Retry-After and says to try again, and succeeds once the lock is gone."""
    from tests.conftest import create_member, csrf_token, login

    database = tmp_path / "locked.sqlite3"
    app = make_app(tmp_path, f"sqlite:///{database}", SQLITE_BUSY_TIMEOUT_MS=200)
    with app.app_context():
        from tests.conftest import create_schema

        create_schema()
    create_member(app, "coordinator", "c@test.example")
    client = app.test_client()
    token = csrf_token(client)
    import sqlite3

    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        page = client.post("/login", data={"csrf_token": token, "email": "c@test.example", "password": "x"})
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        assert "The database is not answering" in page.get_data(as_text=True)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert login(client, "c@test.example").status_code == 302
