"""The CI's vulnerability gate: what fails the build, what is only shown, and an audit that saw nothing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "audit_lock.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_lock", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit_lock"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_vulnerability_with_a_fixed_release_fails_and_names_the_fix() -> None:
    verdict = _script().judge({"dependencies": [
        {"name": "jinja2", "version": "3.1.2", "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}]},
        {"name": "flask", "version": "3.1.3", "vulns": []},
    ]})
    assert verdict.exit_code(require_data=False) == 1
    assert "vulnerable: jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in verdict.lines()
    assert "make lock" in verdict.lines()[-1]


def test_an_advisory_without_a_fix_is_shown_but_does_not_fail() -> None:
    verdict = _script().judge({"dependencies": [
        {"name": "pyyaml", "version": "6.0.4", "vulns": [{"id": "PYSEC-0000-1", "fix_versions": []}]},
    ]})
    assert verdict.exit_code(require_data=True) == 0
    assert verdict.lines()[0] == "warning: pyyaml 6.0.4: PYSEC-0000-1 (no fixed release yet)"
    assert "1 without a fix" in verdict.lines()[-1]


def test_packages_without_advisory_data_are_never_reported_as_clean() -> None:
    verdict = _script().judge({"dependencies": [
        {"name": "alembic", "skip_reason": "Dependency not found on PyPI and could not be audited"},
        {"name": "flask", "version": "3.1.3", "vulns": []},
    ]})
    assert verdict.audited == 1
    assert any("NOT audited" in line and "1 of 2" in line for line in verdict.lines())
    assert verdict.exit_code(require_data=False) == 0
    assert verdict.exit_code(require_data=True) == 3
