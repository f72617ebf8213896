"""SQLite pragmas, BEGIN IMMEDIATE for writes, and the migrations up and down on both databases."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from campaigns.db import sqlite_pragmas, write_intent
from campaigns.extensions import db
from tests.conftest import USE_POSTGRES, make_app

sqlite_only = pytest.mark.skipif(USE_POSTGRES, reason="SQLite behaviour")


@sqlite_only
def test_sqlite_pragmas(app: Flask) -> None:
    with app.app_context():
        pragmas = sqlite_pragmas(db.engine)
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1, "secure_delete": 1}


def _sqlite_path(app: Flask) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


@sqlite_only
def test_write_transactions_take_the_write_lock_at_begin(app: Flask) -> None:
    """Under write intent the first statement, even a read, holds the write lock; reads do not."""
    other = sqlite3.connect(_sqlite_path(app), timeout=0, isolation_level=None)
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # deferred: another writer may still begin
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        db.session.rollback()
        with write_intent():
            db.session.execute(text("SELECT 1"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            db.session.rollback()
    other.close()


def _read_then_write(path: str, n: int, immediate: bool, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    app = make_app(Path(path).parent / "w", f"sqlite:///{path}", SECRET_KEY="x" * 32, SQLITE_BUSY_TIMEOUT_MS=10_000)
    failures = 0
    with app.app_context():
        for _ in range(n):
            try:
                if immediate:
                    with write_intent():
                        _bump()
                else:
                    _bump()
            except Exception:  # noqa: BLE001 - counting "database is locked"
                db.session.rollback()
                failures += 1
    out.put(failures)


def _bump() -> None:
    value = db.session.execute(text("SELECT v FROM counter")).scalar_one()
    db.session.execute(text("UPDATE counter SET v = :v"), {"v": value + 1})
    db.session.commit()


@sqlite_only
def test_concurrent_read_then_write_loses_nothing(tmp_path: Path) -> None:
    """4 processes x 40 read-then-write transactions: no lock errors and no lost update.
    (bench/sqlite_locking.py measures the deferred-BEGIN failure rate at full size.)"""
    path = tmp_path / "c.sqlite3"
    app = make_app(tmp_path, f"sqlite:///{path}")
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (v INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_read_then_write, args=(str(path), 40, True, queue)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    failures = sum(queue.get(timeout=5) for _ in workers)
    assert failures == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT v FROM counter").fetchone()[0] == 160


def test_migrations_up_match_the_models_and_go_down(tmp_path: Path, fresh_database_url: str) -> None:
    app = make_app(tmp_path, fresh_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "organisations", "audit_log", "areas", "incident_records"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()  # and up again from nothing
        assert db.session.scalar(select(text("count(*)")).select_from(text("users"))) == 0
        db.session.remove()
        db.engine.dispose()
