"""Organisations, users, login sessions, the sign-in throttle and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal, cast

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult
from werkzeug.security import check_password_hash, generate_password_hash

from ..config import SUPPORTED_LOCALES, Settings
from ..db import side_write
from ..extensions import db
from ..models import ApiToken, LoginAttempt, Organisation, Role, User, UserSession, utcnow
from ..plain_text import strip_controls
from . import audit
from .audit import Actor

MIN_PASSWORD_LENGTH = 12


@cache
def _dummy_hash() -> str:
    """A hash to check against when the account does not exist, so both paths take the same time.
    Made on first use: scrypt is slow on purpose, and every CLI call and worker would pay for it."""
    return generate_password_hash("not-a-real-password-" + secrets.token_hex(8), method="scrypt")


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says what to fix."""


def normalise_email(email: str) -> str:
    """One spelling per address: invisible characters (a bidi override, a zero-width space)
    removed, so they can neither make a second account look like the first nor dodge the
    throttle's per-account count."""
    return strip_controls(email).lower()


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def get_or_create_organisation(actor: Actor, name: str, *, is_demo: bool = False) -> Organisation:
    name = strip_controls(name)
    if not name:
        raise AccountError("organisation name is empty")
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, is_demo=is_demo)
        db.session.add(org)
        db.session.flush()
        audit.record(actor, "organisation.create", "organisation", org.id, organisation_id=org.id)
    return org


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")


def create_user(actor: Actor, email: str, password: str, role: Role | str, organisation: Organisation) -> User:
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise AccountError(f"{email!r} is not an e-mail address")
    try:
        role = Role(role)
    except ValueError as exc:
        raise AccountError(f"role must be one of {', '.join(r.value for r in Role)}, got {role!r}") from exc
    check_password_policy(password)
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise AccountError(f"a user with e-mail {email} already exists")
    user = User(
        email=email,
        password_hash=generate_password_hash(password, method="scrypt"),
        role=role,
        organisation=organisation,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, organisation_id=organisation.id, role=role.value)
    return user


def set_password(actor: Actor, user: User, password: str) -> None:
    check_password_policy(password)
    user.password_hash = generate_password_hash(password, method="scrypt")
    # Changing the password ends every open session of the account.
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    audit.record(actor, "user.password_set", "user", user.id, organisation_id=user.organisation_id)


def set_locale(actor: Actor, user: User, locale: str | None) -> None:
    if locale is not None and locale not in SUPPORTED_LOCALES:
        raise AccountError(f"language must be one of {', '.join(SUPPORTED_LOCALES)}")
    user.locale = locale
    audit.record(actor, "user.locale_set", "user", user.id, locale=locale)


def set_active(actor: Actor, user: User, active: bool) -> None:
    user.active = active
    if not active:
        db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    audit.record(actor, "user.activate" if active else "user.deactivate", "user", user.id,
                 organisation_id=user.organisation_id)


# --- login ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    """What a sign-in attempt came to. `throttle` says which limit refused it ("account": this
    client on this account, "client": this client on any account) and `retry_after` when it
    lifts, in seconds; neither is set when the password was checked."""

    user: User | None
    session_token: str | None = None
    throttle: Literal["account", "client"] | None = None
    retry_after: int = 0

    @property
    def throttled(self) -> bool:
        return self.throttle is not None


def account_key(settings: Settings, email: str) -> str:
    return hmac.new(settings.secret_key.encode(), normalise_email(email).encode(), hashlib.sha256).hexdigest()


def client_network(address: str | None) -> str:
    """The network a client signs in from: its IPv4 address, or the /64 of its IPv6 address
    (one subscriber gets a whole /64, so counting single IPv6 addresses would let one client
    take a fresh address per guess). An address that cannot be read counts as one client."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_key(settings: Settings, address: str | None) -> str:
    """An HMAC of the client's network, so the database holds no IP addresses."""
    network = "client:" + client_network(address)
    return hmac.new(settings.secret_key.encode(), network.encode(), hashlib.sha256).hexdigest()


def _lock_keys(*keys: str) -> None:
    """On PostgreSQL, serialise concurrent attempts on one account or from one client so the
    counts cannot race; taken in sorted order, so two requests never wait on each other in a
    cycle. SQLite needs nothing: the login POST runs under BEGIN IMMEDIATE, one writer at a time."""
    if db.session.get_bind().dialect.name == "postgresql":
        for key in sorted(set(keys)):
            db.session.execute(select(func.pg_advisory_xact_lock(int(key[:15], 16))))


def _retry_after(times: Sequence[datetime], limit: int, window: timedelta, now: datetime) -> int | None:
    """Seconds until fewer than `limit` of these failures (newest first) are inside the window,
    or None when they already are."""
    if len(times) < limit:
        return None
    return max(1, math.ceil((times[limit - 1] + window - now).total_seconds()))


def _recent_failures(*conditions: Any, since: datetime) -> list[datetime]:
    return list(db.session.scalars(
        select(LoginAttempt.attempted_at).where(*conditions, LoginAttempt.attempted_at >= since)
        .order_by(LoginAttempt.attempted_at.desc())
    ))


def authenticate(settings: Settings, email: str, password: str, client: str | None = None) -> LoginResult:
    """Check a password under the sign-in throttle and open a new server-side session.

    The throttle counts failed attempts in the database (so it holds across workers), keyed by
    the account (an HMAC of the e-mail) and by the client (an HMAC of its network address, as
    ProxyFix resolves it with BEHIND_PROXY; `client` is that address):

    * per account and client: after `login_max_failures` (5) failures on one account from one
      client within `login_window_seconds` (60 s), that client waits out the window before it
      may try that account again, the right password included;
    * per client: after `login_client_max_failures` (20) failures from one client on any
      accounts within `login_client_window_seconds` (15 min), that client waits, which is what
      limits spraying one password across many addresses.

    There is deliberately no limit per account alone: it would let anyone who knows an e-mail
    address lock its owner out by failing on purpose. Failures caused by other clients never
    block the right password from the owner's client. Guessing one account from many networks
    at once is bounded per network, by the password policy and by scrypt, and every failure on
    a real account is in the audit log. A success clears this client's failures on this account
    only, so a client cannot reset its spraying count by signing in to an account of its own.

    A failed attempt is recorded and committed here, on purpose, although the request then
    fails: otherwise the request wrapper would roll it back and the throttle would never count."""
    key = account_key(settings, email)
    client_id = client_key(settings, client)
    _lock_keys(key, client_id)
    now = utcnow()
    account_window = timedelta(seconds=settings.login_window_seconds)
    client_window = timedelta(seconds=settings.login_client_window_seconds)
    on_account = _recent_failures(LoginAttempt.account_key == key, LoginAttempt.client_key == client_id,
                                  since=now - account_window)
    wait = _retry_after(on_account, settings.login_max_failures, account_window, now)
    if wait is not None:
        return LoginResult(user=None, throttle="account", retry_after=wait)
    from_client = _recent_failures(LoginAttempt.client_key == client_id, since=now - client_window)
    wait = _retry_after(from_client, settings.login_client_max_failures, client_window, now)
    if wait is not None:
        return LoginResult(user=None, throttle="client", retry_after=wait)
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if not ok or user is None or not user.active:
        db.session.add(LoginAttempt(account_key=key, client_key=client_id, attempted_at=now))
        if user is not None:
            audit.record(Actor("web", None), "auth.login_failed", "user", user.id,
                         organisation_id=user.organisation_id)
        db.session.commit()
        return LoginResult(user=None)
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.account_key == key, LoginAttempt.client_key == client_id)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(
        token_hash=sha256_hex(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_hours),
    ))
    audit.record(Actor("web", user), "auth.login", "user", user.id)
    return LoginResult(user=user, session_token=token)


def resolve_session(settings: Settings, token: str) -> User | None:
    """The user behind a session cookie, or None when expired, idle too long, or logged out."""
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == sha256_hex(token)))
    if row is None:
        return None
    now = utcnow()
    idle_limit = timedelta(minutes=settings.session_idle_minutes)
    if row.expires_at <= now or now - row.last_seen_at > idle_limit or not row.user.active:
        return None
    # Touch at most once a minute, outside a read-only request's own transaction.
    if now - row.last_seen_at > timedelta(minutes=1):
        side_write(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    return row.user


def end_session(token: str, user: User | None) -> None:
    db.session.execute(delete(UserSession).where(UserSession.token_hash == sha256_hex(token)))
    if user is not None:
        audit.record(Actor("web", user), "auth.logout", "user", user.id)


def purge_expired(settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Delete sessions past their lifetime and login attempts past the longer throttle window."""
    now = now or utcnow()
    sessions = cast(CursorResult[Any], db.session.execute(
        delete(UserSession).where(
            (UserSession.expires_at <= now)
            | (UserSession.last_seen_at < now - timedelta(minutes=settings.session_idle_minutes))
        )
    )).rowcount
    keep_seconds = max(settings.login_window_seconds, settings.login_client_window_seconds)
    attempts = cast(CursorResult[Any], db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.attempted_at < now - timedelta(seconds=keep_seconds))
    )).rowcount
    return {"sessions": sessions or 0, "login_attempts": attempts or 0}


# --- API tokens ----------------------------------------------------------------------------

TOKEN_PREFIX = "cpt_"  # noqa: S105 - a public marker that tells tokens apart, not a secret


def create_token(actor: Actor, user: User, name: str) -> tuple[ApiToken, str]:
    """Return the row and the secret, which is shown once and stored only as a hash."""
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(user=user, name=strip_controls(name)[:100] or "token", prefix=prefix,
                     token_hash=sha256_hex(secret))
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "token.create", "api_token", token.id, organisation_id=user.organisation_id,
                 prefix=prefix)
    return token, secret


def revoke_token(actor: Actor, prefix: str) -> ApiToken:
    token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
    if token is None:
        raise AccountError(f"no token with prefix {prefix!r}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(actor, "token.revoke", "api_token", token.id,
                     organisation_id=token.user.organisation_id, prefix=prefix)
    return token


def resolve_token(secret: str) -> User | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256_hex(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        side_write(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return token.user
