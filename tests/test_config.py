"""Settings come from the environment with typed defaults; a mapping overrides them."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.config import load_settings


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SECRET_KEY", "SUPPRESSION_K", "DEFAULT_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'planner.sqlite3'}"
    assert settings.suppression_k == 11 and settings.default_locale == "en"
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == settings.secret_key and len(settings.secret_key) == 64
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert load_settings(tmp_path).secret_key == settings.secret_key  # kept across restarts


def test_environment_then_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPRESSION_K", "5")
    monkeypatch.setenv("DEFAULT_LOCALE", "lt")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    settings = load_settings(tmp_path)
    assert (settings.suppression_k, settings.default_locale, settings.secret_key) == (5, "lt", "from-env")
    assert load_settings(tmp_path, {"SUPPRESSION_K": 7}).suppression_k == 7


@pytest.mark.parametrize("name, value, message", [
    ("SUPPRESSION_K", "ten", "SUPPRESSION_K must be a whole number"),
    ("SUPPRESSION_K", "1", "SUPPRESSION_K must be 2 or more"),
    ("DEFAULT_LOCALE", "xx", "DEFAULT_LOCALE must be one of"),
])
def test_bad_settings_are_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                    message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        load_settings(tmp_path)


def test_smtp_is_off_until_a_host_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(tmp_path)
    assert not settings.smtp_configured and settings.smtp_port == 25 and not settings.smtp_starttls
    monkeypatch.setenv("SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("SMTP_PORT", "587")
    monkeypatch.setenv("SMTP_FROM", "planner@example.org")
    monkeypatch.setenv("SMTP_USER", "planner")
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-password-value")
    monkeypatch.setenv("SMTP_STARTTLS", "on")
    settings = load_settings(tmp_path)
    assert settings.smtp_configured and settings.smtp_port == 587 and settings.smtp_starttls
    assert (settings.smtp_host, settings.smtp_from, settings.smtp_user) == (
        "mail.example.org", "planner@example.org", "planner")
    assert "smtp-password-value" not in repr(settings)


@pytest.mark.parametrize("env, message", [
    ({"SMTP_PORT": "twenty-five"}, "SMTP_PORT must be a whole number"),
    ({"SMTP_PORT": "0"}, "SMTP_PORT must be from 1 to 65535"),
    ({"SMTP_HOST": "mail.example.org"}, "SMTP_FROM must be one e-mail address"),
    ({"SMTP_HOST": "mail.example.org", "SMTP_FROM": "Planner <planner@example.org>"}, "SMTP_FROM must be one"),
    ({"SMTP_HOST": "mail.example.org", "SMTP_FROM": "planner@example.org", "SMTP_USER": "planner"},
     "SMTP_USER and SMTP_PASSWORD go together"),
    ({"SMTP_HOST": "mail.example.org", "SMTP_FROM": "planner@example.org", "SMTP_USER": "planner",
      "SMTP_PASSWORD": "x"}, "SMTP_USER needs SMTP_STARTTLS"),
])  # fmt: skip
def test_bad_smtp_settings_are_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                         message: str) -> None:  # fmt: skip
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        load_settings(tmp_path)
