"""Load the red-flag indicator library from `content/library/*.yaml` and check it.

The library is data an editor changes without touching code, so every load is checked
against `content.schema` and for references (an indicator's category, audiences and sources
must exist; an indicator for workers needs second-person wording). A broken file raises
`LibraryError` naming the file, the entry and the field, before anything is rendered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .schema import SCHEMAS

LIBRARY_DIR = Path(__file__).resolve().parent / "library"
FILES = ("categories", "audiences", "indicators", "actions", "helplines", "sources")
VERIFY_AFTER_DAYS = 365


class LibraryError(ValueError):
    """The indicator library is malformed; the message says where and what was expected."""


@dataclass(frozen=True)
class Category:
    id: str
    title: str
    description: str


@dataclass(frozen=True)
class Audience:
    id: str
    title: str
    short: str
    address: str
    headline: str
    intro: str
    card_title: str
    leads_with: tuple[str, ...] = ()  # category ids this audience's toolkit shows first

    @property
    def second_person(self) -> bool:
        return self.address == "second"


@dataclass(frozen=True)
class Indicator:
    id: str
    category: str
    sign: str
    explanation: str
    audiences: tuple[str, ...]
    act_alone: bool
    sources: tuple[str, ...]
    worker_sign: str | None = None
    worker_explanation: str | None = None
    examples: tuple[tuple[str, str], ...] = ()  # (audience id, example), sorted by audience id

    def example_for(self, audience_id: str) -> str | None:
        """What this sign can look like for one audience, or None; the explanation stays
        audience-neutral so a bank toolkit never reads about hotel rooms."""
        return dict(self.examples).get(audience_id)

    def wording(self, audience: Audience) -> tuple[str, str]:
        """(sign, explanation) as the audience should read them: people at risk are addressed
        directly ("Your employer keeps your passport"), everyone else reads about others."""
        if audience.second_person and self.worker_sign and self.worker_explanation:
            return self.worker_sign, self.worker_explanation
        return self.sign, self.explanation


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    text: str


@dataclass(frozen=True)
class Helpline:
    id: str
    country: str
    kind: str
    name: str
    number: str
    tel: str
    description: str
    hours: str
    url: str | None
    source: str
    verified: dt.date | None

    def needs_verifying(self, today: dt.date) -> bool:
        """A number nobody has checked for a year (or ever) may have changed: print it only
        with a warning, because a wrong number on a poster fails the person who calls it."""
        return self.verified is None or (today - self.verified).days > VERIFY_AFTER_DAYS


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    year: int | None
    url: str
    about: str


@dataclass(frozen=True)
class Library:
    categories: tuple[Category, ...]
    audiences: tuple[Audience, ...]
    indicators: tuple[Indicator, ...]
    actions: dict[str, tuple[Step, ...]]
    helplines: tuple[Helpline, ...]
    sources: tuple[Source, ...]
    digest: str = field(default="", compare=False)

    def audience(self, audience_id: str) -> Audience:
        for audience in self.audiences:
            if audience.id == audience_id:
                return audience
        known = ", ".join(a.id for a in self.audiences)
        raise KeyError(f"Unknown audience {audience_id!r}; expected one of: {known}")

    def categories_for(self, audience_id: str) -> tuple[Category, ...]:
        """All categories, the audience's `leads_with` first (in that order), then the rest in
        the file's order. Categories with no indicator for the audience are not left out here."""
        leads = self.audience(audience_id).leads_with
        first = tuple(c for lead in leads for c in self.categories if c.id == lead)
        return first + tuple(c for c in self.categories if c.id not in leads)

    def indicators_for(self, audience_id: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if audience_id in i.audiences)

    def helplines_for(self, country: str) -> tuple[Helpline, ...]:
        return tuple(h for h in self.helplines if h.country == country)

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(sorted({h.country for h in self.helplines}))


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay strings until the schema has seen them."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _where(path: Iterable[Any]) -> str:
    parts = []
    for part in path:
        parts.append(f"entry {part + 1}" if isinstance(part, int) else f"field '{part}'")
    return ", ".join(parts) or "top level"


def _read(directory: Path, name: str) -> Any:
    path = directory / f"{name}.yaml"
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - safe loader subclass
    except FileNotFoundError as exc:
        raise LibraryError(f"{path.name}: missing; the library needs {', '.join(FILES)}") from exc
    except yaml.YAMLError as exc:
        raise LibraryError(f"{path.name}: not valid YAML: {exc}") from exc
    validator = jsonschema.Draft202012Validator(SCHEMAS[name], format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        entry = data[error.absolute_path[0]] if isinstance(data, list) and error.absolute_path else None
        label = f" (id '{entry['id']}')" if isinstance(entry, dict) and "id" in entry else ""
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise LibraryError(f"{path.name}: {_where(error.absolute_path)}{label}: {error.message}{more}")
    return data


def _unique(name: str, items: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        if item["id"] in seen:
            raise LibraryError(f"{name}.yaml: entry {number}: id '{item['id']}' is used twice; ids must be unique")
        seen.add(item["id"])


def _check_references(raw: dict[str, Any]) -> None:
    for name in ("categories", "audiences", "indicators", "helplines", "sources"):
        _unique(name, raw[name])
    for audience, steps in raw["actions"].items():
        _unique(f"actions.yaml: {audience}", steps)
        kinds = {step["kind"] for step in steps}
        for needed in ("safety", "no-confront", "record", "report"):
            if needed not in kinds and not (audience == "workers" and needed == "no-confront"):
                raise LibraryError(f"actions.yaml: '{audience}' has no '{needed}' step; every audience needs one")
    categories = {c["id"] for c in raw["categories"]}
    for number, audience in enumerate(raw["audiences"], start=1):
        unknown = [c for c in audience.get("leads_with", ()) if c not in categories]
        if unknown:
            raise LibraryError(
                f"audiences.yaml: entry {number} (id '{audience['id']}'): field 'leads_with': "
                f"{', '.join(unknown)} not in categories.yaml"
            )
    sources = {s["id"] for s in raw["sources"]}
    second_person = {a["id"] for a in raw["audiences"] if a["address"] == "second"}
    for number, indicator in enumerate(raw["indicators"], start=1):
        where = f"indicators.yaml: entry {number} (id '{indicator['id']}')"
        unknown = [s for s in indicator["sources"] if s not in sources]
        if unknown:
            raise LibraryError(f"{where}: field 'sources': {', '.join(unknown)} not in sources.yaml")
        if second_person & set(indicator["audiences"]) and not (
            indicator.get("worker_sign") and indicator.get("worker_explanation")
        ):
            raise LibraryError(
                f"{where}: applies to workers, so it needs 'worker_sign' and 'worker_explanation' in the second person"
            )
        stray = sorted(a for a in indicator.get("examples", {}) if a not in indicator["audiences"])
        if stray:
            raise LibraryError(
                f"{where}: field 'examples': {', '.join(stray)} not in this indicator's audiences; "
                "give an example only for an audience the indicator applies to"
            )
    covered = {a for i in raw["indicators"] for a in i["audiences"]}
    for audience in raw["audiences"]:
        if audience["id"] not in covered:
            raise LibraryError(f"indicators.yaml: no indicator applies to audience '{audience['id']}'")


def digest_of(directory: Path = LIBRARY_DIR) -> str:
    """Hash of the six files; they are read again only when one of them changes (six stats)."""
    paths = [directory / f"{name}.yaml" for name in FILES]
    return _digest(tuple((str(p), p.stat().st_mtime_ns if p.exists() else -1) for p in paths))


@cache
def _digest(files: tuple[tuple[str, int], ...]) -> str:
    sha = hashlib.sha256()
    for path_name, mtime_ns in files:
        path = Path(path_name)
        sha.update(path.stem.encode() + b"\0" + (path.read_bytes() if mtime_ns >= 0 else b"") + b"\0")
    return sha.hexdigest()


def load_library(directory: Path | str = LIBRARY_DIR) -> Library:
    """Read and check the six YAML files; raises LibraryError with the first problem found."""
    directory = Path(directory)
    raw = {name: _read(directory, name) for name in FILES}
    _check_references(raw)
    return Library(
        categories=tuple(Category(**c) for c in raw["categories"]),
        audiences=tuple(Audience(**{**a, "leads_with": tuple(a.get("leads_with", ()))}) for a in raw["audiences"]),
        indicators=tuple(
            Indicator(**{
                **i,
                "audiences": tuple(i["audiences"]),
                "sources": tuple(i["sources"]),
                "examples": tuple(sorted(i.get("examples", {}).items())),
            })
            for i in raw["indicators"]
        ),
        actions={a: tuple(Step(**s) for s in steps) for a, steps in raw["actions"].items()},
        helplines=tuple(
            Helpline(**{**h, "verified": dt.date.fromisoformat(h["verified"]) if h["verified"] else None})
            for h in raw["helplines"]
        ),
        sources=tuple(Source(**s) for s in raw["sources"]),
        digest=digest_of(directory),
    )


@cache
def _cached(directory: str, digest: str) -> Library:
    return load_library(directory)


def default_library() -> Library:
    """The shipped library, re-read when a file changes (the digest is part of the cache key)."""
    return _cached(str(LIBRARY_DIR), digest_of(LIBRARY_DIR))
