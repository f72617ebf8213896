"""Database engine behaviour that must hold on every connection, and the one place a request commits.

SQLite is the default store, and several gunicorn workers plus the scheduler share one file. With
WAL and a deferred BEGIN, a transaction that reads and then writes cannot upgrade its lock when a
peer wrote in between, and fails with "database is locked" at once, whatever the busy timeout
(measured by `bench/sqlite_locking.py`). Write transactions therefore start with BEGIN IMMEDIATE,
which waits in the busy handler instead. Read-only requests keep a deferred BEGIN so readers
never queue behind writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def set_write_intent(value: bool) -> None:
    """Declare whether the next transaction on this thread/context will write."""
    _write_intent.set(value)


@contextmanager
def write_intent() -> Iterator[None]:
    """For CLI commands and scheduler jobs: transactions begun inside start with BEGIN IMMEDIATE."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Pragmas and explicit BEGIN for pysqlite (SQLAlchemy's documented recipe for transaction control)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN, so we can choose IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def sqlite_pragmas(engine: Engine) -> dict[str, Any]:
    """Read back the pragmas (for the tests and `flask db info`)."""
    with engine.connect() as conn:
        return {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "secure_delete")
        }


def has_write_intent() -> bool:
    return _write_intent.get()


def side_write(stmt: Any) -> None:
    """Run a small bookkeeping UPDATE (a session's last-seen time) without making a read-only
    request a read-then-write transaction: in a write request it joins the request's transaction,
    otherwise it commits on its own short BEGIN IMMEDIATE transaction."""
    from .extensions import db

    if has_write_intent():
        db.session.execute(stmt)
        return
    with write_intent(), db.engine.begin() as conn:
        conn.execute(stmt)
