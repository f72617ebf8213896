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
