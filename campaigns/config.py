"""Settings for the planner, read once from the environment into a typed object.

Why a dataclass and not module globals: tests build their own settings and pass them to
`create_app`, and nothing reads the environment after start-up, so two apps in one process
(a test and a CLI call, say) never see each other's configuration.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from content.locales import LOCALES

from .connection import normalise_url

# The pages ship in exactly the languages the toolkits do: one list, kept by the content library.
SUPPORTED_LOCALES: tuple[str, ...] = LOCALES


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything the application reads from its environment, with typed defaults."""

    instance_path: Path
    database_url: str = ""
    secret_key: str = ""
    suppression_k: int = 11
    default_locale: str = "en"
    sqlite_busy_timeout_ms: int = 5000
    db_pool_size: int = 5
    db_max_overflow: int = 5
    db_pool_timeout: int = 10
    db_connect_timeout: int = 5
    db_statement_timeout_ms: int = 60000
    session_hours: int = 12
    session_idle_minutes: int = 120
    parked_upload_hours: int = 24  # uploads checked but never imported are removed after this
    import_inline_rows: int = 50_000  # larger incident files are stored by a background job
    login_max_failures: int = 5  # per account from one client, in login_window_seconds
    login_window_seconds: int = 60
    login_client_max_failures: int = 20  # from one client over all accounts, in login_client_window_seconds
    login_client_window_seconds: int = 900
    behind_proxy: bool = False
    force_https_cookies: bool = False
    # Reminder e-mails (the scheduler's remind_missing_reach): sent only when smtp_host is set.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = ""
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)  # never in a log line or a traceback's locals repr
    smtp_starttls: bool = False
    # The public survey form: posts per client address (Flask-Limiter's notation), and where the
    # counts live (memory:// counts per worker process; redis://… counts once for all of them).
    survey_rate_limit: str = "10 per minute;100 per hour"
    ratelimit_storage_uri: str = "memory://"
    testing: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def smtp_configured(self) -> bool:
        """Whether reminders go out by e-mail too (they always show on the home page)."""
        return bool(self.smtp_host)


_ENV_NAMES: dict[str, str] = {
    "database_url": "DATABASE_URL",
    "secret_key": "SECRET_KEY",
    "suppression_k": "SUPPRESSION_K",
    "default_locale": "DEFAULT_LOCALE",
    "sqlite_busy_timeout_ms": "SQLITE_BUSY_TIMEOUT_MS",
    "db_pool_size": "DB_POOL_SIZE",
    "db_max_overflow": "DB_MAX_OVERFLOW",
    "db_pool_timeout": "DB_POOL_TIMEOUT",
    "db_connect_timeout": "DB_CONNECT_TIMEOUT",
    "db_statement_timeout_ms": "DB_STATEMENT_TIMEOUT_MS",
    "session_hours": "SESSION_HOURS",
    "session_idle_minutes": "SESSION_IDLE_MINUTES",
    "parked_upload_hours": "PARKED_UPLOAD_HOURS",
    "import_inline_rows": "IMPORT_INLINE_ROWS",
    "behind_proxy": "BEHIND_PROXY",
    "force_https_cookies": "FORCE_HTTPS_COOKIES",
    "smtp_host": "SMTP_HOST",
    "smtp_port": "SMTP_PORT",
    "smtp_from": "SMTP_FROM",
    "smtp_user": "SMTP_USER",
    "smtp_password": "SMTP_PASSWORD",
    "smtp_starttls": "SMTP_STARTTLS",
    "survey_rate_limit": "SURVEY_RATE_LIMIT",
    "ratelimit_storage_uri": "RATELIMIT_STORAGE_URI",
}


def _coerce(name: str, raw: Any) -> Any:
    """Convert an environment string (or a test's value) to the field's type, naming the variable on error."""
    target = {f.name: f.type for f in fields(Settings)}[name]
    if not isinstance(raw, str):
        return raw
    try:
        if target == "int":
            return int(raw)
        if target == "bool":
            return _bool(raw)
    except ValueError as exc:
        env = _ENV_NAMES.get(name, name.upper())
        raise ValueError(f"{env} must be a whole number, got {raw!r}") from exc
    return raw


def _secret_key(instance_path: Path) -> str:
    """Generate the key once into the instance folder, so restarts keep sessions and no key lives in code."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_settings(instance_path: Path, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Environment first, then `overrides` (keys are field names or their environment names)."""
    values: dict[str, Any] = {}
    for name, env in _ENV_NAMES.items():
        if env in os.environ and os.environ[env] != "":
            values[name] = _coerce(name, os.environ[env])
    extra: dict[str, Any] = {}
    env_to_field = {v: k for k, v in _ENV_NAMES.items()}
    for key, value in (overrides or {}).items():
        name = env_to_field.get(key, key.lower() if key.isupper() else key)
        if name in {f.name for f in fields(Settings)} and name not in {"extra", "instance_path"}:
            values[name] = _coerce(name, value)
        else:
            extra[key] = value
    settings = Settings(instance_path=instance_path, extra=extra, **values)
    if not settings.database_url:
        instance_path.mkdir(parents=True, exist_ok=True)
        settings = replace(settings, database_url=f"sqlite:///{instance_path / 'planner.sqlite3'}")
    else:
        settings = replace(settings, database_url=normalise_url(settings.database_url))
    if not settings.secret_key:
        settings = replace(settings, secret_key=_secret_key(instance_path))
    if settings.default_locale not in SUPPORTED_LOCALES:
        raise ValueError(
            f"DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}, got {settings.default_locale!r}"
        )
    for name in ("db_pool_size", "db_pool_timeout", "db_connect_timeout", "db_statement_timeout_ms",
                 "parked_upload_hours", "import_inline_rows"):
        if getattr(settings, name) < 1:
            raise ValueError(f"{_ENV_NAMES[name]} must be 1 or more, got {getattr(settings, name)}")
    if settings.db_max_overflow < 0:
        raise ValueError(f"DB_MAX_OVERFLOW must be 0 or more, got {settings.db_max_overflow}")
    if settings.suppression_k < 2:
        raise ValueError(f"SUPPRESSION_K must be 2 or more, got {settings.suppression_k}")
    _check_smtp(settings)
    return settings


def _check_smtp(settings: Settings) -> None:
    """Refuse an e-mail setup that would fail at the first reminder, days after start-up, or
    that would send the SMTP password over the network in clear."""
    if not 1 <= settings.smtp_port <= 65535:
        raise ValueError(f"SMTP_PORT must be from 1 to 65535, got {settings.smtp_port}")
    if not settings.smtp_host:
        return
    sender = settings.smtp_from.strip()
    if "@" not in sender or any(c.isspace() or c in "<>,;" for c in sender):
        raise ValueError(f"SMTP_FROM must be one e-mail address (the reminders' sender) when SMTP_HOST is set, "
                         f"got {settings.smtp_from!r}")  # fmt: skip
    if bool(settings.smtp_user) != bool(settings.smtp_password):
        raise ValueError("SMTP_USER and SMTP_PASSWORD go together: set both or neither")
    if settings.smtp_user and not settings.smtp_starttls:
        raise ValueError("SMTP_USER needs SMTP_STARTTLS=on: without it the password would cross the network in clear")
