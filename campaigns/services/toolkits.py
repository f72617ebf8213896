"""Toolkits in the application: build through the `content` library with an on-disk cache,
count downloads without personal data, and publish a toolkit at a public link."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import abort, current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from content import Artifact, Campaign, Toolkit, ToolkitCache, assemble, build
from content.bundle import check_format
from content.library import default_library
from content.locales import LOCALES
from content.toolkit import ListedHelpline, listed_helplines
from targeting.privacy import protect_counts

from ..db import side_write
from ..extensions import db
from ..models import Area, CampaignDraft, ToolkitDownload, ToolkitPublication
from . import helpline_checks, logos
from .audit import Actor, record

_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def cache() -> ToolkitCache:
    return ToolkitCache(Path(current_app.instance_path) / "cache" / "toolkits")


def toolkit_or_404(
    audience: str, locale: str, country: str | None = None, campaign: Campaign | None = None, *,
    organisation_id: int | None,
) -> Toolkit:
    """The toolkit a URL names, as `organisation_id` prints it (with the helpline checks its
    coordinators recorded); an unknown audience, language or country is a 404, not a 500."""
    if locale not in LOCALES:
        abort(404)
    try:
        return assemble(audience, locale, country=country or None, campaign=campaign,
                        checked=helpline_checks.latest(organisation_id))
    except KeyError:
        abort(404)


def artifact_or_404(toolkit: Toolkit, fmt: str, paper: str | None) -> Artifact:
    try:
        check_format(fmt, paper)
    except ValueError:
        abort(404)
    return build(toolkit, fmt, paper, cache=cache())


def embed_policy(html: str) -> str:
    """CSP for a toolkit page shown as is: its one inline stylesheet by hash, nothing else, and
    framing only by our own pages (the preview)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii") + "'"
        for style in _STYLE.findall(html)
    )
    return "; ".join(
        [
            "default-src 'none'",
            f"style-src {hashes}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self'",
        ]
    )


def count_download(organisation_id: int, toolkit: Toolkit, fmt: str, paper: str, *, public: bool) -> None:
    """Add one to today's counter for this toolkit, format and paper, in one atomic upsert
    (`side_write`: a download is a GET and must not turn the request into a write)."""
    values = {
        "organisation_id": organisation_id,
        "day": dt.date.today(),
        "audience": toolkit.audience.id,
        "locale": toolkit.locale,
        "country": toolkit.country,
        "format": fmt,
        "paper": paper,
        "public": public,
        "count": 1,
    }
    table = ToolkitDownload.__table__
    insert: Any = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    key = ["organisation_id", "day", "audience", "locale", "country", "format", "paper", "public"]
    stmt = insert(table).values(**values).on_conflict_do_update(index_elements=key, set_={"count": table.c.count + 1})
    side_write(stmt)


@dataclass(frozen=True)
class DownloadRow:
    day: dt.date
    audience: str
    locale: str
    count: int | None  # None: hidden (1 to k-1), like every small count the planner shows


def download_stats(organisation_id: int, days: int = 30) -> list[DownloadRow]:
    """Downloads per toolkit (audience), locale and day over the last `days` days, all formats
    together, newest first."""
    since = dt.date.today() - dt.timedelta(days=days - 1)
    d = ToolkitDownload
    rows = db.session.execute(
        select(d.day, d.audience, d.locale, func.sum(d.count))
        .where(d.organisation_id == organisation_id, d.day >= since)
        .group_by(d.day, d.audience, d.locale)
        .order_by(d.day.desc(), d.audience, d.locale)
    ).all()
    protected = protect_counts([int(total) for *_key, total in rows], current_app.config["SETTINGS"].suppression_k)
    return [
        DownloadRow(day, audience, locale, shown)
        for (day, audience, locale, _total), shown in zip(rows, protected.shown_values(), strict=True)
    ]


def campaign_of(publication: ToolkitPublication) -> Campaign:
    """What a publication prints: the details stored when it was published, its campaign's
    partner logos as they are now (a logo added later reaches every toolkit of the campaign),
    and its own public page for the poster's QR code when no survey is open."""
    return Campaign(
        name=publication.campaign_name,
        helpline_name=publication.helpline_name,
        helpline_number=publication.helpline_number,
        helpline_verified=publication.helpline_verified,
        partners=tuple(publication.partners or ()),
        starts=publication.starts,
        ends=publication.ends,
        areas=tuple(publication.areas or ()),
        survey_url=publication.survey_url or "",
        public_url=url_for("public_toolkits.public_page", slug=publication.slug, _external=True),
        logos=logos.content_logos(publication.campaign_id),
    )


def helplines_to_verify(
    organisation_id: int,
    publications: Iterable[ToolkitPublication] = (),
    planned: Iterable[tuple[str, Campaign]] = (),
) -> list[ListedHelpline]:
    """The helplines printed with "verify before printing" (and a DRAFT mark) on the given
    publications and planned toolkits (country, campaign), each once. Helplines depend on the
    country, the campaign's own helpline and the organisation's checks only, so no toolkit is
    assembled for this."""
    library = default_library()
    checked = helpline_checks.latest(organisation_id)
    today = dt.date.today()
    wanted = [
        (p.country, Campaign(name=p.campaign_name, helpline_name=p.helpline_name,
                             helpline_number=p.helpline_number, helpline_verified=p.helpline_verified))
        for p in publications
    ]  # fmt: skip
    found: dict[tuple[str, str, str], ListedHelpline] = {}
    for country, campaign in dict.fromkeys([*wanted, *planned]):
        if country not in library.countries:  # a country the library no longer has: nothing printed
            continue
        for listed in listed_helplines(library, country, campaign, checked, today):
            if listed.verify:
                found.setdefault((listed.helpline.country, listed.helpline.id, listed.helpline.number), listed)
    return list(found.values())


def draft_area_names(draft: CampaignDraft) -> list[str]:
    """Names of a draft's areas, in the draft's order, to print on its toolkits."""
    names = dict(
        db.session.execute(
            select(Area.code, Area.name).where(
                Area.boundary_set_id == draft.boundary_set_id, Area.code.in_(draft.area_codes)
            )
        ).all()
    )
    return [names[code] for code in draft.area_codes if code in names]


def publish(actor: Actor, organisation_id: int, toolkit: Toolkit, campaign: Campaign) -> ToolkitPublication:
    publication = ToolkitPublication(
        organisation_id=organisation_id,
        slug=secrets.token_urlsafe(12),
        audience=toolkit.audience.id,
        locale=toolkit.locale,
        country=toolkit.country,
        campaign_name=campaign.name,
        helpline_name=campaign.helpline_name,
        helpline_number=campaign.helpline_number,
        helpline_verified=campaign.helpline_verified,
        partners=list(campaign.partners),
        areas=list(campaign.areas),
        starts=campaign.starts,
        ends=campaign.ends,
        survey_url=campaign.survey_url,
        created_by_id=actor.user.id if actor.user else None,
    )
    db.session.add(publication)
    db.session.flush()
    record(
        actor,
        "toolkit.publish",
        "toolkit_publication",
        publication.id,
        audience=toolkit.audience.id,
        locale=toolkit.locale,
        country=toolkit.country,
    )
    return publication


def revoke(actor: Actor, publication: ToolkitPublication) -> None:
    publication.revoked_at = dt.datetime.now(dt.UTC)
    record(actor, "toolkit.revoke", "toolkit_publication", publication.id)


def publications(organisation_id: int) -> list[ToolkitPublication]:
    return list(
        db.session.scalars(
            select(ToolkitPublication)
            .where(ToolkitPublication.organisation_id == organisation_id, ToolkitPublication.revoked_at.is_(None))
            .order_by(ToolkitPublication.id.desc())
        )
    )


def published_toolkit_or_404(slug: str) -> tuple[ToolkitPublication, Toolkit]:
    """A live (not revoked) publication and its toolkit with the campaign's details filled in."""
    found = db.session.scalar(
        select(ToolkitPublication).where(ToolkitPublication.slug == slug, ToolkitPublication.revoked_at.is_(None))
    )
    if found is None:
        abort(404)
    toolkit = toolkit_or_404(found.audience, found.locale, found.country, campaign_of(found),
                             organisation_id=found.organisation_id)
    return found, toolkit


def audience_choices() -> list[dict[str, Any]]:
    library = default_library()
    return [
        {"id": a.id, "title": a.title, "short": a.short, "signs": len(library.indicators_for(a.id))}
        for a in library.audiences
    ]


def countries() -> tuple[str, ...]:
    return default_library().countries
