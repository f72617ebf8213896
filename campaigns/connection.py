"""How the app reaches its database: the URL, the driver, the pool, and what to say when it cannot.

Why this exists: a coordinator who sets `DATABASE_URL` and gets a forty-line traceback ending in
`ModuleNotFoundError` learns nothing. Every way the first connection can fail (no driver, no
server, refused credentials, no such database, a SQLite folder that is missing) becomes one
sentence naming the problem and the fix, raised as `StartupError` by `create_app`, which
`wsgi.py` prints as one line for `flask` commands and for gunicorn alike.

The pool settings are for PostgreSQL behind several gunicorn workers on several hosts: a
bounded pool per worker (so workers x hosts x (size + overflow) stays under the server's
`max_connections`), a liveness ping on checkout (so a server restart costs only the requests in
flight, not every pooled connection once more), a connect timeout (so a dead host fails a request
in seconds instead of hanging a worker) and a statement timeout (so one runaway query cannot hold
a worker and its locks for ever).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError

SUPPORTED = "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE"


class StartupError(RuntimeError):
    """A setting the app cannot start with; the message is one line that says what to fix."""


def normalise_url(raw: str) -> str:
    """`postgres://` (as many hosts print it) and a bare `postgresql://` (which SQLAlchemy maps to
    psycopg2, not installed) both mean the psycopg 3 driver the planner ships with."""
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def safe_url(raw: str) -> str:
    """The URL with its password masked, for messages and logs."""
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", raw)


def parse(raw: str) -> URL:
    """The URL, if it is one the planner runs on (SQLite or PostgreSQL); else `StartupError`."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise StartupError(f"DATABASE_URL {safe_url(raw)!r} is not a database URL; expected {SUPPORTED}") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StartupError(f"DATABASE_URL {safe_url(raw)!r} names {url.get_backend_name()!r}; the planner runs on "
                           f"SQLite or PostgreSQL: {SUPPORTED}")
    return url


def engine_options(url: URL, *, pool_size: int, max_overflow: int, pool_timeout_s: int,
                   connect_timeout_s: int, statement_timeout_ms: int) -> dict[str, Any]:
    """SQLAlchemy engine options for this URL (see the module docstring for why each)."""
    # hide_parameters: a failed statement's exception (and so the log) would otherwise quote its
    # values: uploaded set and file names, e-mail addresses.
    options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
    if url.get_backend_name() == "postgresql":
        options.update(
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout_s,
            pool_recycle=1800,  # below the idle cut-off of common poolers and firewalls
            connect_args={
                "connect_timeout": connect_timeout_s,
                "application_name": "campaign-planner",
                "options": f"-c statement_timeout={int(statement_timeout_ms)}",
            },
        )
    return options


def driver_problem(raw: str, exc: BaseException) -> str:
    """The sentence for a URL whose driver cannot be loaded."""
    url = parse(raw)
    driver = url.get_driver_name()
    if url.get_backend_name() == "postgresql" and driver != "psycopg":
        return f"DATABASE_URL {safe_url(raw)!r} asks for the PostgreSQL driver {driver!r}, which is not installed; " \
               f"write postgresql+psycopg:// instead (psycopg 3 is installed with the planner)"
    missing = getattr(exc, "name", None) or str(exc)
    return f"DATABASE_URL {safe_url(raw)!r} needs the Python package {missing!r}, which is not installed: install " \
           f"the locked set (`make run`, or pip install --require-hashes -r requirements/runtime.txt)"


def connection_problem(raw: str, exc: BaseException) -> str:
    """The sentence for a first connection that failed, by what the driver said."""
    url = parse(raw)
    shown = safe_url(raw)
    text = str(getattr(exc, "orig", None) or exc)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        return f"cannot open the SQLite database {str(path)!r} ({text.splitlines()[0]}): check that its folder " \
               f"{str(path.parent)!r} exists and is writable, or set DATABASE_URL"
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    user, database = url.username or "(none)", url.database or "(none)"
    lowered = text.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered or \
            "authentication failed" in lowered or "pg_hba.conf" in lowered:
        return f"the PostgreSQL server at {where} refused the credentials of user {user!r} ({shown}): fix the user " \
               f"or password in DATABASE_URL, or create the role (createuser --pwprompt {user})"
    if "does not exist" in lowered and "database" in lowered:
        return f"the PostgreSQL server at {where} has no database {database!r} ({shown}): create it " \
               f"(createdb -O {user} {database}) or fix the name in DATABASE_URL"
    if "resolve host" in lowered or "translate host name" in lowered:
        return f"the database host {url.host!r} in DATABASE_URL is not a known host name ({shown}): fix the host"
    if "refused" in lowered or "timeout" in lowered or "timed out" in lowered or "no route" in lowered or \
            "could not connect" in lowered or "connection failed" in lowered:
        reason = "connection refused" if "refused" in lowered else "no answer in time"
        return f"the PostgreSQL server at {where} does not answer ({reason}; {shown}): start it " \
               f"(pg_ctlcluster 15 main start), or fix the host and port in DATABASE_URL"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"cannot connect to the database {shown}: {first}"


def check(engine: Engine, raw: str) -> None:
    """Open and return one connection, so a bad URL fails at start-up with one line, not at the first
    request with a traceback. The pool is emptied afterwards: a process that forks workers next
    (gunicorn --preload) must not hand one socket to several of them."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        raise StartupError(connection_problem(raw, exc)) from None
    finally:
        engine.dispose()


def migration_heads(migrations: Path) -> set[str]:
    """The revision(s) `flask db upgrade` leaves a database at, read from the migration scripts."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations))
    return set(ScriptDirectory.from_config(config).get_heads())


def schema_problem(engine: Engine, migrations: Path) -> str:
    """Empty when the database is at the code's migration head; else what to run. (A command on an
    unmigrated database would otherwise die on "relation users does not exist".)"""
    from alembic.runtime.migration import MigrationContext

    heads = migration_heads(migrations)
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current == heads:
        return ""
    where = safe_url(engine.url.render_as_string(hide_password=False))
    state = f"at revision {', '.join(sorted(current))}" if current else "empty (no tables yet)"
    return f"the database {where} is {state}; this code needs {', '.join(sorted(heads))}: run `flask db upgrade`"


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error raised during a request means the database is gone for now (restarting,
    unreachable) rather than a bug: those requests get a 503 and the next ones reconnect."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError)
