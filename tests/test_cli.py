"""The flask commands, through the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import Area, AuditEntry, IncidentRecord, User

ROOT = Path(__file__).resolve().parents[1]


def test_flask_help_lists_the_commands(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "k" * 32}
    out = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "--help"], cwd=ROOT, env=env,
        capture_output=True, text=True, check=True,
    ).stdout
    for command in ("db", "users", "tokens", "demo", "scheduler"):
        assert f"  {command} " in out, out
    db_help = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "--help"], cwd=ROOT, env=env,
        capture_output=True, text=True, check=True,
    ).stdout
    assert "upgrade" in db_help


def test_users_create_reads_the_password_from_stdin(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "New@Example.org", "--role", "trainer", "--org", "Org A"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "created new@example.org (trainer) in Org A" in result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user is not None and user.email == "new@example.org" and user.organisation.name == "Org A"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create"))
        assert entry is not None and entry.actor_kind == "cli" and "example.org" not in str(entry.details)


def test_users_create_has_no_password_argument(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "a@b.org", "--role", "trainer", "--org", "O", "--password", "x" * 20]
    )
    assert result.exit_code != 0 and "No such option" in result.output


def test_users_create_explains_bad_input_and_writes_nothing(app: Flask) -> None:
    runner = app.test_cli_runner()
    short = runner.invoke(args=["users", "create", "a@b.org", "--role", "trainer", "--org", "O"], input="short\n")
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    bad_role = runner.invoke(args=["users", "create", "a@b.org", "--role", "boss", "--org", "O"], input="x" * 20)
    assert bad_role.exit_code != 0 and "boss" in bad_role.output
    runner.invoke(args=["users", "create", "a@b.org", "--role", "trainer", "--org", "O"], input="x" * 20 + "\n")
    dup = runner.invoke(args=["users", "create", "A@b.org", "--role", "admin", "--org", "O"], input="y" * 20 + "\n")
    assert dup.exit_code != 0 and "already exists" in dup.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_demo_load_is_idempotent_and_prints_logins(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    for role in ("admin", "coordinator", "trainer", "reviewer"):
        assert f"{role}@demo.example" in first.output
    assert "synthetic incidents" in first.output
    with app.app_context():
        counts = (db.session.scalar(select(func.count()).select_from(Area)),
                  db.session.scalar(select(func.count()).select_from(IncidentRecord)),
                  db.session.scalar(select(func.count()).select_from(User)))
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "nothing changed" in second.output
    with app.app_context():
        assert counts == (db.session.scalar(select(func.count()).select_from(Area)),
                          db.session.scalar(select(func.count()).select_from(IncidentRecord)),
                          db.session.scalar(select(func.count()).select_from(User)))
    assert counts[0] == 159 + 136 and counts[1] > 1000 and counts[2] == 4


def test_demo_users_can_sign_in(demo_app: Flask) -> None:
    from campaigns.services.demo import DEMO_USERS
    from tests.conftest import login

    for email, password in DEMO_USERS.values():
        assert login(demo_app.test_client(), email, password).status_code == 302


def test_scheduler_list(app: Flask) -> None:
    out = app.test_cli_runner().invoke(args=["scheduler", "list"]).output
    assert "purge_expired_sessions" in out
