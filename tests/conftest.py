"""Fixtures: an app on a fresh database, and signed-in clients per role.

The database is SQLite (a new file per test) unless DATABASE_URL names a PostgreSQL server, in
which case the run creates its own database there, empties it between tests and drops it at the
end. CI runs the whole suite both ways.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from campaigns import PACKAGE_DIR, TRANSLATIONS_DIR, create_app
from campaigns.connection import migration_heads
from campaigns.extensions import db
from campaigns.models import BoundarySet, Organisation, Role, User
from campaigns.services import accounts
from campaigns.services.audit import SYSTEM_CLI

SERVER_URL = os.environ.get("DATABASE_URL", "")
USE_POSTGRES = SERVER_URL.startswith("postgresql")
PASSWORD = "correct horse battery staple"
LOG_PATH = Path(os.environ.get("PLANNER_TEST_LOG", "")) if os.environ.get("PLANNER_TEST_LOG") else (
    Path(__file__).resolve().parents[1] / "test-artifacts" / f"test-run-{os.getpid()}.log"
)


_LOG_HANDLERS: list[logging.Handler] = []
# Modules that never open the database: the toolkit library renders files from YAML and catalogs.
# Run once, on SQLite; on PostgreSQL they would build the same 54 toolkits again for nothing.
DATABASE_FREE = frozenset({"test_content_formats", "test_content_layout", "test_content_arabic_text"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not USE_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs no database: run in the SQLite pass")
    for item in items:
        if item.module is not None and item.module.__name__.rsplit(".", 1)[-1] in DATABASE_FREE:
            item.add_marker(skip)


def pytest_configure(config: pytest.Config) -> None:
    """Everything the app logs during the run goes to LOG_PATH too, at INFO and above, as an
    operator's log would; tests/test_zz_logs.py then checks it holds no secret."""
    LOG_PATH.parent.mkdir(parents=True, exist_ok=True)
    LOG_PATH.write_text("", encoding="utf-8")
    # Appending: logging.config.fileConfig (alembic's env.py) closes every handler, and a closed
    # FileHandler in "w" mode would drop records instead of opening the file again.
    handler = logging.FileHandler(LOG_PATH, mode="a", encoding="utf-8", delay=True)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    _LOG_HANDLERS.append(handler)
    _keep_logging()


def _keep_logging() -> None:
    root = logging.getLogger()
    if _LOG_HANDLERS and _LOG_HANDLERS[0] not in root.handlers:
        root.addHandler(_LOG_HANDLERS[0])
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


@pytest.fixture(autouse=True)
def _log_to_the_run_log() -> None:
    """Alembic's env.py (run in-process by the migration tests) replaces the root handlers with
    those of alembic.ini: put the run's log handler back before every test."""
    _keep_logging()


def compile_catalogs() -> None:
    """Compile .po to .mo when stale, so `pytest` alone (without make) serves translated pages."""
    for po in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with mo.open("wb") as fh:
            write_mo(fh, catalog)


compile_catalogs()


def new_postgres_database(server_url: str = SERVER_URL) -> str:
    """Create an empty database on the server (the configured one by default) and return its URL."""
    url = make_url(server_url)
    name = f"planner_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(db_url: str) -> None:
    url = make_url(db_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@contextlib.contextmanager
def scratch_database(server_url: str | None, folder: Path) -> Iterator[str]:
    """A fresh SQLite file in `folder`, or a new database on the PostgreSQL server at `server_url`
    (dropped afterwards): what the benchmarks run on."""
    if not server_url:
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    db_url = new_postgres_database(server_url)
    try:
        yield db_url
    finally:
        drop_postgres_database(db_url)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    if not USE_POSTGRES:
        yield None
        return
    db_url = new_postgres_database()
    yield db_url
    drop_postgres_database(db_url)


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind under test, for tests that build the schema themselves."""
    if USE_POSTGRES:
        db_url = new_postgres_database()
        yield db_url
        drop_postgres_database(db_url)
    else:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"


def make_app(tmp_path: Path, database_url: str, **overrides: Any) -> Flask:
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(16),
        "testing": True,
    }
    config.update(overrides)
    return create_app(config)


def make_demo_app(tmp_path: Path, database_url: str, **overrides: Any) -> Flask:
    """An app on a database holding the demo (for module fixtures and child processes)."""
    application = make_app(tmp_path, database_url, **overrides)
    with application.app_context():
        create_schema()
        restore_rows(demo_rows(tmp_path / "demo-snapshot"))
    return application


@contextlib.contextmanager
def own_demo_app(folder: Path) -> Iterator[Flask]:
    """The demo on a database of its own, of the kind under test, dropped afterwards: for a
    module that shares one demo between its tests."""
    url = new_postgres_database() if USE_POSTGRES else f"sqlite:///{folder / 'demo.sqlite3'}"
    application = make_demo_app(folder, url)
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
        if USE_POSTGRES:
            drop_postgres_database(url)


@functools.cache
def migration_head() -> str:
    (head,) = migration_heads(PACKAGE_DIR / "migrations")
    return head


def create_schema() -> None:
    """`create_all` and a stamp of the migration head (as `flask db upgrade` leaves it), in
    milliseconds rather than the seconds the migrations take; test_database proves they agree."""
    db.create_all()
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        if conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0:
            conn.execute(text("INSERT INTO alembic_version VALUES (:head)"), {"head": migration_head()})


@pytest.fixture
def app(tmp_path: Path, postgres_url: str | None) -> Iterator[Flask]:
    database_url = postgres_url or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    application = make_app(tmp_path, database_url)
    with application.app_context():
        create_schema()
    yield application
    with application.app_context():
        db.session.remove()
        if USE_POSTGRES:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def create_member(app: Flask, role: Role | str, email: str | None = None, org_name: str = "Test Org") -> User:
    with app.app_context():
        org = accounts.get_or_create_organisation(SYSTEM_CLI, org_name)
        user = accounts.create_user(SYSTEM_CLI, email or f"{Role(role).value}@test.example", PASSWORD, role, org)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def client_for(app: Flask) -> Callable[..., FlaskClient]:
    """client_for("trainer") -> a client signed in as a new trainer of "Test Org"."""
    made: dict[str, FlaskClient] = {}

    def factory(role: str, org_name: str = "Test Org") -> FlaskClient:
        key = f"{role}@{org_name}"
        if key not in made:
            email = f"{role}.{uuid.uuid4().hex[:6]}@test.example"
            create_member(app, role, email=email, org_name=org_name)
            c = app.test_client()
            response = login(c, email)
            assert response.status_code == 302, response.get_data(as_text=True)
            made[key] = c
        return made[key]

    return factory


_DEMO_ROWS: dict[date, dict[str, list[dict[str, Any]]]] = {}


def demo_rows(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of a freshly loaded demo, table by table, built once per day of the run.

    Loading the demo computes areas, synthetic incidents, a ranking, campaigns and survey answers
    (2.6 s on SQLite, 3.4 s on PostgreSQL); putting its rows back takes a tenth of that on
    SQLite and a third on PostgreSQL, over some 150 tests that want the demo. Keyed by the date
    because the demo dates its campaigns from today: a run that crosses midnight builds it again."""
    from campaigns.db import write_intent
    from campaigns.services.demo import load_demo

    today = date.today()
    if today not in _DEMO_ROWS:
        folder.mkdir(parents=True, exist_ok=True)
        with scratch_database(SERVER_URL if USE_POSTGRES else None, folder) as url:
            application = make_app(folder, url)
            with application.app_context():
                create_schema()
                with write_intent():
                    load_demo(SYSTEM_CLI)
                    db.session.commit()
                with db.engine.connect() as conn:
                    _DEMO_ROWS[today] = {
                        t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in db.metadata.sorted_tables
                    }
                db.session.remove()
                db.engine.dispose()
    return _DEMO_ROWS[today]


def restore_rows(rows: dict[str, list[dict[str, Any]]]) -> None:
    """Insert `rows` into the (empty) tables of the current app and move PostgreSQL's id
    sequences past them, so later inserts get fresh ids as after a real load."""
    from campaigns.db import write_intent

    with write_intent():
        for table in db.metadata.sorted_tables:
            if rows.get(table.name):
                db.session.execute(table.insert(), rows[table.name])
        if db.engine.dialect.name == "postgresql":  # not USE_POSTGRES: some modules keep SQLite in a PG run
            for table in db.metadata.sorted_tables:
                if rows.get(table.name) and "id" in table.c and table.c.id.autoincrement in (True, "auto"):
                    name = table.name  # from the models' metadata, not from input
                    db.session.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), (SELECT max(id) FROM \"{name}\"))"  # noqa: S608
                    ))
        db.session.commit()


@pytest.fixture
def demo_app(app: Flask, tmp_path: Path) -> Flask:
    """The app with the demo organisation, users and data loaded (from the run's snapshot)."""
    with app.app_context():
        restore_rows(demo_rows(tmp_path / "demo-snapshot"))
    return app


def organisation_id(app: Flask, name: str) -> int:
    with app.app_context():
        return int(db.session.scalar(db.select(Organisation.id).where(Organisation.name == name)))


def demo_client(app: Flask, role: Role = Role.COORDINATOR) -> FlaskClient:
    """A client signed in through the login form as the demo user of `role`."""
    from campaigns.services.demo import DEMO_USERS

    client = app.test_client()
    email, password = DEMO_USERS[role]
    assert login(client, email, password).status_code == 302
    return client


def georgia_id(app: Flask) -> int:
    """The id of the demo's Georgia boundary set."""
    with app.app_context():
        return int(db.session.scalar(db.select(BoundarySet.id).where(BoundarySet.name.startswith("Georgia"))))


# --- the browser tests' server and Chromium (Debian's, driven by Playwright) ------------------------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture
def live_server(demo_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()
