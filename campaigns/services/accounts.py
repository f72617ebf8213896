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

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import CursorResult
from werkzeug.security import check_password_hash, generate_password_hash

from ..config import SUPPORTED_LOCALES, Settings
from ..db import has_write_intent, side_write
from ..extensions import db
from ..models import ApiToken, LoginAttempt, Organisation, Role, User, UserSession, utcnow
from ..plain_text import strip_controls
from . import audit
from .audit import Actor

MIN_PASSWORD_LENGTH = 12
PASSWORD_LINK_HOURS = 72  # how long a set-password link works: a long weekend, not a month


@cache
def _dummy_hash() -> str:
    """A hash to check against when the account does not exist, so both paths take the same time.
    Made on first use: scrypt is slow on purpose, and every CLI call and worker would pay for it."""
    return generate_password_hash("not-a-real-password-" + secrets.token_hex(8), method="scrypt")


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says what to fix.

    The message is English, for the command line; `code` names the problem so web pages can say
    the same thing in the reader's language (see views/admin.py and views/auth.py)."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


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
        raise AccountError("organisation name is empty", "organisation_empty")
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, is_demo=is_demo)
        db.session.add(org)
        db.session.flush()
        audit.record(actor, "organisation.create", "organisation", org.id, organisation_id=org.id)
    return org


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters", "password_short")


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        raise AccountError(f"role must be one of {', '.join(r.value for r in Role)}, got {role!r}",
                           "role_invalid") from exc


def create_user(
    actor: Actor, email: str, password: str | None, role: Role | str, organisation: Organisation
) -> User:
    """Create an account. Without a password (an admin inviting someone in the browser) the
    account gets the scrypt hash of a random secret nobody knows: it cannot sign in until its
    owner chooses a password through a set-password link, and signing in to it costs as much
    time as to any other account, so the timing does not tell invited accounts apart."""
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise AccountError(f"{email!r} is not an e-mail address", "email_invalid")
    role = _role(role)
    if password is not None:
        check_password_policy(password)
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise AccountError(f"a user with e-mail {email} already exists", "email_taken")
    user = User(
        email=email,
        password_hash=generate_password_hash(password or secrets.token_urlsafe(32), method="scrypt"),
        role=role,
        organisation=organisation,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, organisation_id=organisation.id, role=role.value)
    return user


def invite_user(actor: Actor, email: str, role: Role | str, organisation: Organisation,
                hours: int = PASSWORD_LINK_HOURS) -> tuple[User, str]:
    """Create an account with no password and give out its first set-password link: the admin
    never types or learns a password, and passes the link on (it is shown once)."""
    user = create_user(actor, email, None, role, organisation)
    return user, issue_password_link(actor, user, hours=hours)


def set_password(actor: Actor, user: User, password: str, *, via: str | None = None) -> None:
    """Change the password, end every open session of the account and any set-password link
    still out (a link must not outlive the password it was given to replace)."""
    check_password_policy(password)
    user.password_hash = generate_password_hash(password, method="scrypt")
    user.password_link_hash = None
    user.password_link_expires_at = None
    # Changing the password ends every open session of the account.
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    extra = {"via": via} if via else {}
    audit.record(actor, "user.password_set", "user", user.id, organisation_id=user.organisation_id, **extra)


def set_locale(actor: Actor, user: User, locale: str | None) -> None:
    if locale is not None and locale not in SUPPORTED_LOCALES:
        raise AccountError(f"language must be one of {', '.join(SUPPORTED_LOCALES)}")
    user.locale = locale
    audit.record(actor, "user.locale_set", "user", user.id, locale=locale)


def _keep_an_admin(actor: Actor, user: User, *, action: str) -> None:
    """Refuse to take the admin role (by demotion or deactivation) from oneself, or from the
    organisation's last active admin: nobody would be left to manage its accounts in the browser.

    The organisation's active admins are locked (FOR UPDATE on PostgreSQL; SQLite's write
    transaction is already exclusive), so two admins demoting each other at the same moment
    cannot both succeed."""
    if actor.user is not None and actor.user.id == user.id:
        raise AccountError(f"you cannot {action} your own account; ask another administrator", "self")
    if user.role != Role.ADMIN or not user.active:
        return
    admins = db.session.scalars(
        select(User.id).where(User.organisation_id == user.organisation_id, User.role == Role.ADMIN,
                              User.active.is_(True)).with_for_update()
    ).all()
    if not set(admins) - {user.id}:
        raise AccountError(f"{user.email} is the organisation's last active administrator; "
                           "make another account an administrator first", "last_admin")


def set_active(actor: Actor, user: User, active: bool) -> None:
    """Deactivate (ending the account's sessions and any set-password link; its API tokens stop
    working because they check the flag) or reactivate an account. Doing what is already done
    changes nothing and records nothing."""
    if user.active == active:
        return
    if not active:
        _keep_an_admin(actor, user, action="deactivate")
    user.active = active
    if not active:
        db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
        user.password_link_hash = None
        user.password_link_expires_at = None
    audit.record(actor, "user.activate" if active else "user.deactivate", "user", user.id,
                 organisation_id=user.organisation_id)


def set_role(actor: Actor, user: User, role: Role | str) -> None:
    """Change an account's role; pages read the role on every request, so it takes effect at
    the user's next click without ending their sessions."""
    new = _role(role)
    if new == user.role:
        return
    if user.role == Role.ADMIN:
        _keep_an_admin(actor, user, action="demote")
    previous = user.role
    user.role = new
    audit.record(actor, "user.role_set", "user", user.id, organisation_id=user.organisation_id,
                 role=new.value, previous_role=previous.value)


# --- set-password links --------------------------------------------------------------------


def issue_password_link(actor: Actor, user: User, hours: int = PASSWORD_LINK_HOURS) -> str:
    """Give out a one-time set-password link's secret (the caller builds the URL and shows it
    once). Only its SHA-256 is stored, in the user's row, so issuing a new link overwrites, and
    so ends, the previous one; using it or deactivating the account clears it."""
    if not user.active:
        raise AccountError(f"{user.email} is deactivated; reactivate the account first", "inactive")
    secret = secrets.token_urlsafe(32)
    user.password_link_hash = sha256_hex(secret)
    user.password_link_expires_at = utcnow() + timedelta(hours=hours)
    audit.record(actor, "user.password_link", "user", user.id, organisation_id=user.organisation_id, hours=hours)
    return secret


def user_for_password_link(secret: str) -> User | None:
    """The active account a set-password link belongs to, or None when the link is unknown,
    used, replaced by a newer one, expired or its account deactivated: the page says the same
    thing in every case, so it tells a stranger nothing about which."""
    if not secret or len(secret) > 200:
        return None
    user = db.session.scalar(select(User).where(User.password_link_hash == sha256_hex(secret)))
    if user is None or not user.active or user.password_link_expires_at is None:
        return None
    if user.password_link_expires_at <= utcnow():
        return None
    return user


def use_password_link(secret: str, password: str) -> User:
    """Set the password through a link, which ends the link (and the account's sessions)."""
    user = user_for_password_link(secret)
    if user is None:
        raise AccountError("this set-password link is not valid", "link_invalid")
    set_password(Actor("web", user), user, password, via="link")
    return user


def _link_throttle_key(settings: Settings) -> str:
    """The account key failed link look-ups are stored under: one shared key, as a link names
    no account."""
    return hmac.new(settings.secret_key.encode(), b"set-password-link", hashlib.sha256).hexdigest()


def password_link_retry_after(settings: Settings, client: str | None) -> int | None:
    """Seconds this client must wait before trying links again, or None. Failed link look-ups
    count in the sign-in throttle's per-client budget (`login_client_max_failures` in
    `login_client_window_seconds`), so guessing links and guessing passwords share one limit."""
    now = utcnow()
    window = timedelta(seconds=settings.login_client_window_seconds)
    failures = _recent_failures(LoginAttempt.client_key == client_key(settings, client), since=now - window)
    return _retry_after(failures, settings.login_client_max_failures, window, now)


def note_password_link_failure(settings: Settings, client: str | None) -> None:
    """Count a request with an unknown or dead link against the client. Stored on its own
    short transaction in a GET (kept read-only), and committed here in a POST, whose own
    transaction is rolled back because the request fails, as `authenticate` does."""
    side_write(insert(LoginAttempt).values(account_key=_link_throttle_key(settings),
                                           client_key=client_key(settings, client), attempted_at=utcnow()))
    if has_write_intent():
        db.session.commit()


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
