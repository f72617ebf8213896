"""`python -m content`: build a toolkit, list audiences, report translation completeness.

Errors (unknown audience, locale, format, paper, a malformed library or campaign file) print
one line saying what was expected and exit with status 2 before anything is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from .bundle import FORMATS, ToolkitCache, build, check_format
from .library import LibraryError, default_library
from .locales import LOCALES, UnknownLocale, completeness, language_name
from .logos import check_logo
from .toolkit import Campaign, Logo, assemble


def _campaign(path: str | None) -> Campaign | None:
    """A campaign file (YAML or JSON): name, helpline_name, helpline_number, helpline_verified,
    partners, starts, ends, areas, survey_url, public_url, and logos as a list of
    {file, name} (a PNG or SVG path relative to the campaign file, checked like an upload);
    all optional."""
    if not path:
        return None
    data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of campaign fields")
    known = set(Campaign.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{path}: unknown field(s) {', '.join(unknown)}; expected: {', '.join(sorted(known))}")
    for key in ("helpline_verified", "starts", "ends"):
        value = data.get(key)
        if isinstance(value, str):
            try:
                data[key] = dt.date.fromisoformat(value)
            except ValueError as exc:
                raise ValueError(f"{path}: field '{key}': expected a date like 2026-05-01, got {value!r}") from exc
    for key in ("partners", "areas"):
        if key in data:
            data[key] = tuple(str(v) for v in (data[key] or []))
    if "logos" in data:
        data["logos"] = tuple(_logo(Path(path).parent, entry, number)
                              for number, entry in enumerate(data["logos"] or [], start=1))
    return Campaign(**data)


def _logo(folder: Path, entry: Any, number: int) -> Logo:
    if not isinstance(entry, dict) or "file" not in entry:
        raise ValueError(f"logos, entry {number}: expected a mapping with 'file' (and 'name', the partner)")
    file = folder / str(entry["file"])
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ValueError(f"logos, entry {number}: cannot read {file}: {exc.strerror}") from exc
    return check_logo(file.name, data, name=str(entry.get("name") or ""))


def default_cache_dir() -> Path:
    """Where built toolkits are kept between runs: `$TOOLKIT_CACHE_DIR`, else the user's cache
    folder (`$XDG_CACHE_HOME`, else ~/.cache). Files are keyed by the toolkit's version (library,
    catalog and campaign), so a changed translation never serves a stale file."""
    if explicit := os.environ.get("TOOLKIT_CACHE_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "campaign-planner" / "toolkits"


def _build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    toolkit = assemble(args.audience, args.locale, country=args.country, campaign=_campaign(args.campaign))
    cache = None if args.no_cache else ToolkitCache(args.cache_dir or default_cache_dir())
    hit = cache is not None and cache.get(toolkit, args.format, check_format(args.format, args.paper)) is not None
    artifact = build(toolkit, args.format, args.paper, cache=cache)
    out = Path(args.out)
    if out.is_dir():
        out = out / artifact.filename
    out.write_bytes(artifact.data)
    elapsed = time.perf_counter() - started
    origin = ", from the cache" if hit else ""
    print(f"{out} ({len(artifact.data):,} bytes, version {artifact.version}{origin}, {elapsed:.2f} s)")
    return 0


def _audiences(_: argparse.Namespace) -> int:
    library = default_library()
    print(f"{'id':<10} {'signs':>5}  title")
    for audience in library.audiences:
        print(f"{audience.id:<10} {len(library.indicators_for(audience.id)):>5}  {audience.title}")
    return 0


def _locales(args: argparse.Namespace) -> int:
    print(f"{'locale':<7} {'language':<12} {'translated':>10} {'fuzzy':>6} {'missing':>8} {'total':>6} "
          f"{'%':>6}  plural forms")
    incomplete = False
    for code in LOCALES:
        c = completeness(code)
        plural = "ok" if c.plural_forms_ok else c.plural_problem
        print(f"{code:<7} {language_name(code, 'en'):<12} {c.translated:>10} {c.fuzzy:>6} {c.missing:>8} "
              f"{c.total:>6} {c.percent:>6.1f}  {plural}")
        incomplete |= c.percent < 100 or not c.plural_forms_ok
    return 1 if incomplete and args.check else 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m content", description="Red-flag toolkits.")
    sub = main.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build one format of one toolkit")
    b.add_argument("--audience", required=True, help="audience id (see `python -m content audiences`)")
    b.add_argument("--locale", required=True, choices=LOCALES)
    b.add_argument("--format", required=True, choices=FORMATS)
    b.add_argument("--paper", choices=("a4", "letter", "a3"), help="pdf: a4|letter; poster: a4|a3")
    b.add_argument("--country", help="ISO country code whose helplines to show (default: from the locale)")
    b.add_argument("--campaign", help="YAML/JSON file with the campaign's helpline, partners, dates and areas")
    b.add_argument("--out", required=True, help="output file, or a directory to write the default name into")
    b.add_argument("--cache-dir", help="keep built files here (default: $TOOLKIT_CACHE_DIR or ~/.cache/...)")
    b.add_argument("--no-cache", action="store_true", help="render again and keep nothing")
    b.set_defaults(run=_build)
    a = sub.add_parser("audiences", help="list audiences and how many signs each toolkit has")
    a.set_defaults(run=_audiences)
    loc = sub.add_parser("locales", help="translated, fuzzy and missing strings per locale")
    loc.add_argument("--check", action="store_true", help="exit 1 if any locale is incomplete")
    loc.set_defaults(run=_locales)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (LibraryError, UnknownLocale, KeyError, ValueError, OSError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
