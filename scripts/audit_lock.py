"""Audit the locked dependency set for known vulnerabilities (pip-audit, PyPI's advisory data).

Why a wrapper round pip-audit:
- pip-audit fails on every advisory, including those no release fixes yet, which would block CI
  with nothing anyone here can do. This fails only where a fixed version exists (then `make lock`,
  or a raised lower bound in pyproject.toml, is the fix) and lists the rest as warnings.
- pip-audit reports a package whose advisory data it could not fetch as "skipped" and still
  says "No known vulnerabilities found". This counts the skipped packages and says so in one
  line, so an audit that saw nothing is never read as a clean one. `--require-data` makes that
  a failure; without it (the default, because some networks serve PyPI's package index but not
  its JSON API) it is a warning.

Usage: python scripts/audit_lock.py [--require-data] requirements/dev.txt [more lock files]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Verdict:
    audited: int = 0
    fixable: list[str] = field(default_factory=list)
    unfixed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def exit_code(self, require_data: bool) -> int:
        if self.fixable:
            return 1
        if self.skipped and require_data:
            return 3
        return 0

    def lines(self) -> list[str]:
        out = [f"warning: {line}" for line in self.unfixed]
        out += [f"vulnerable: {line}" for line in self.fixable]
        if self.skipped:
            out.append(f"warning: no advisory data for {len(self.skipped)} of {self.audited + len(self.skipped)} "
                       f"locked packages (first: {self.skipped[0]}); they were NOT audited")
        if self.fixable:
            out.append(f"{len(self.fixable)} known vulnerabilities with a fixed release: run `make lock` "
                       "(or raise the lower bound in pyproject.toml) and commit the new lock.")
        else:
            out.append(f"{self.audited} locked packages audited: no known vulnerability with a fix available"
                       + (f" ({len(self.unfixed)} without a fix, listed above)" if self.unfixed else ""))
        return out


def judge(report: dict[str, Any]) -> Verdict:
    """Sort pip-audit's JSON report into what fails the build and what is only shown."""
    verdict = Verdict()
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            verdict.skipped.append(f"{dep['name']}: {dep['skip_reason']}")
            continue
        verdict.audited += 1
        for vuln in dep.get("vulns", []):
            line = f"{dep['name']} {dep['version']}: {vuln['id']}"
            if vuln.get("fix_versions"):
                verdict.fixable.append(f"{line} (fixed in {', '.join(vuln['fix_versions'])})")
            else:
                verdict.unfixed.append(f"{line} (no fixed release yet)")
    return verdict


def run_pip_audit(lock_files: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        args = [sys.executable, "-m", "pip_audit", "--disable-pip", "--require-hashes", "--progress-spinner", "off",
                "--format", "json", "--output", str(report)]
        for lock in lock_files:
            args += ["--requirement", lock]
        done = subprocess.run(args, capture_output=True, text=True)  # noqa: S603 - our own interpreter
        if not report.exists():
            sys.stderr.write(done.stderr)
            raise RuntimeError(f"pip-audit could not audit {', '.join(lock_files)} (exit {done.returncode})")
        return dict(json.loads(report.read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("locks", nargs="+", help="hashed requirement files (requirements/*.txt)")
    parser.add_argument("--require-data", action="store_true", help="fail when a package could not be audited")
    args = parser.parse_args(argv)
    try:
        verdict = judge(run_pip_audit(args.locks))
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    print("\n".join(verdict.lines()))
    return verdict.exit_code(args.require_data)


if __name__ == "__main__":
    sys.exit(main())
