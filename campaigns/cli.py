"""`flask --app wsgi ...` commands: users, tokens, demo data, the scheduler.

(`db upgrade` and the other migration commands come from Flask-Migrate.) Each command that
writes runs in one transaction under BEGIN IMMEDIATE and commits once at the end.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .db import write_intent
from .extensions import db
from .models import ApiToken, Role, User
from .services import accounts
from .services.audit import SYSTEM_CLI


def _transactional(fn: Callable[..., Any]) -> Callable[..., Any]:
    """One transaction per command: commit when it returns, roll back and explain when it fails."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with write_intent():
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
                return result
            except accounts.AccountError as exc:
                db.session.rollback()
                raise click.ClickException(str(exc)) from exc
            except BaseException:
                db.session.rollback()
                raise

    return wrapper


def _read_password() -> str:
    """From a hidden prompt on a terminal, else the first line of standard input; never an argument,
    which would land in shell history and the process list."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.ClickException("no password on standard input")
    return line


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    return user


def _require_schema() -> None:
    """Before any command of these groups: the database must be migrated, or say what to run."""
    from . import PACKAGE_DIR
    from .connection import schema_problem

    problem = schema_problem(db.engine, PACKAGE_DIR / "migrations")
    if problem:
        raise click.ClickException(problem)


def _group(name: str, help_text: str) -> AppGroup:
    group = AppGroup(name, help=help_text)
    group.callback = with_appcontext(_require_schema)
    return group


users_cli = _group("users", "Create and list user accounts.")
tokens_cli = _group("tokens", "Create, list and revoke API tokens.")
demo_cli = _group("demo", "Demo data: real boundaries and populations, synthetic incidents.")
scheduler_cli = _group("scheduler", "The one process that runs periodic jobs.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--org", "org_name", required=True, help="Organisation name; created if new.")
@_transactional
def users_create(email: str, role: str, org_name: str) -> None:
    """Create a user. The password is read from a prompt, or from standard input when piped."""
    password = _read_password()
    org = accounts.get_or_create_organisation(SYSTEM_CLI, org_name)
    user = accounts.create_user(SYSTEM_CLI, email, password, role, org)
    click.echo(f"created {user.email} ({user.role.value}) in {org.name}")


@users_cli.command("list")
def users_list() -> None:
    for user in db.session.scalars(select(User).order_by(User.organisation_id, User.email)):
        state = "active" if user.active else "inactive"
        click.echo(f"{user.email}\t{user.role.value}\t{user.organisation.name}\t{state}")


@users_cli.command("set-password")
@click.argument("email")
@_transactional
def users_set_password(email: str) -> None:
    """Set a new password (from a prompt or standard input); ends the user's open sessions."""
    accounts.set_password(SYSTEM_CLI, _user(email), _read_password())
    click.echo(f"password changed for {email}; their sessions were ended")


@users_cli.command("deactivate")
@click.argument("email")
@_transactional
def users_deactivate(email: str) -> None:
    accounts.set_active(SYSTEM_CLI, _user(email), False)
    click.echo(f"deactivated {email}")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="cli", help="A label to recognise the token by.")
@_transactional
def tokens_create(email: str, name: str) -> None:
    """Print a new API token for EMAIL. It is shown once; only its hash is stored."""
    _token, secret = accounts.create_token(SYSTEM_CLI, _user(email), name)
    click.echo(secret)


@tokens_cli.command("list")
@click.argument("email")
def tokens_list(email: str) -> None:
    user = _user(email)
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)):
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        click.echo(f"{token.prefix}\t{token.name}\t{token.created_at:%Y-%m-%d}\t{state}")


@tokens_cli.command("revoke")
@click.argument("prefix")
@_transactional
def tokens_revoke(prefix: str) -> None:
    """Revoke the token whose prefix (as in `tokens list`) is PREFIX."""
    accounts.revoke_token(SYSTEM_CLI, prefix)
    click.echo(f"revoked {prefix}")


@demo_cli.command("load")
@_transactional
def demo_load() -> None:
    """Load the demo organisation, its users and data. Running it again changes nothing."""
    from .services.demo import load_demo

    report = load_demo(SYSTEM_CLI)
    click.echo(report.describe())


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the scheduler in the foreground (one such process per deployment)."""
    from flask import current_app

    from .scheduler import build_scheduler

    scheduler = build_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo("scheduler started; jobs: " + ", ".join(job.id for job in scheduler.get_jobs()))
    scheduler.start()


@scheduler_cli.command("list")
def scheduler_list() -> None:
    from .scheduler import JOBS

    for job in JOBS:
        click.echo(f"{job.id}\tevery {job.every_minutes} min\t{job.doc}")


@scheduler_cli.command("run-once")
@click.argument("job_id")
def scheduler_run_once(job_id: str) -> None:
    """Run one job now, for its current period (skipped if that period already ran)."""
    from flask import current_app

    from .scheduler import run_job

    result = run_job(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]
    click.echo(result)


def register_cli(app: Flask) -> None:
    for group in (users_cli, tokens_cli, demo_cli, scheduler_cli):
        app.cli.add_command(group)
