"""Planning campaigns: from a draft (areas chosen on a ranking) or blank, edited under a version
check, moved through draft → scheduled → running → ended → evaluated by rules users expect.

Every change is audited in the same transaction. Errors are `CampaignError` with a code the web
layer phrases in the user's language (`PROBLEMS` lists them) and the field to point at."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import pandas as pd
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Campaign, CampaignArea, CampaignDraft, CampaignStatus, CampaignTarget, RankingRun, utcnow
from . import audit
from .logos import copy_logos
from .ranking import run_frame

S = CampaignStatus

PHONE: Final = re.compile(r"^\+?[0-9][0-9 ()-]{2,30}$")
CHANNELS: Final = ("social_media", "community_events", "frontline_training", "printed_materials", "radio", "other")

TRANSITIONS: Final[Mapping[CampaignStatus, frozenset[CampaignStatus]]] = {
    S.DRAFT: frozenset({S.SCHEDULED}),
    S.SCHEDULED: frozenset({S.DRAFT, S.RUNNING}),
    S.RUNNING: frozenset({S.ENDED}),
    S.ENDED: frozenset({S.EVALUATED}),
    S.EVALUATED: frozenset(),
}
"""Which status may follow which. Back from scheduled to draft is allowed (plans change); nothing
goes back once a campaign has run, and an evaluated campaign is read-only."""

PROBLEMS: Final = (
    "name_missing", "name_taken", "ends_before_starts", "dates_missing", "no_areas", "no_channels",
    "starts_in_future", "not_allowed", "read_only", "stale", "budget_invalid", "currency_invalid",
    "target_invalid", "target_above_population", "reach_not_running", "helpline_invalid",
)  # fmt: skip


class CampaignError(ValueError):
    """A change the rules refuse: `code` (one of PROBLEMS), the `field` to point at, and values."""

    def __init__(self, code: str, field: str | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code, self.field, self.params = code, field, params


@dataclass(frozen=True)
class Plan:
    """The editable fields of a campaign, as a form gives them (already parsed)."""

    name: str
    objective: str = ""
    starts: date | None = None
    ends: date | None = None
    budget_cents: int | None = None
    currency: str = "EUR"
    channels: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    helpline_name: str = ""
    helpline_number: str = ""
    helpline_verified: date | None = None


def _check_plan(plan: Plan) -> None:
    if not plan.name.strip():
        raise CampaignError("name_missing", "name")
    if plan.starts and plan.ends and plan.ends < plan.starts:
        raise CampaignError("ends_before_starts", "ends", starts=plan.starts, ends=plan.ends)
    if plan.budget_cents is not None and plan.budget_cents < 0:
        raise CampaignError("budget_invalid", "budget")
    if plan.helpline_number and not PHONE.match(plan.helpline_number):
        raise CampaignError("helpline_invalid", "helpline_number")
    if len(plan.currency) != 3 or not plan.currency.isalpha() or not plan.currency.isupper():
        raise CampaignError("currency_invalid", "currency")
    unknown = [c for c in plan.channels if c not in CHANNELS]
    if unknown:
        raise CampaignError("not_allowed", "channels", value=", ".join(unknown))


def _name_taken(organisation_id: int, name: str, except_id: int | None = None) -> bool:
    query = select(Campaign.id).where(Campaign.organisation_id == organisation_id, Campaign.name == name)
    if except_id is not None:
        query = query.where(Campaign.id != except_id)
    return db.session.scalar(query) is not None


def frozen_areas(run: RankingRun | None, codes: Sequence[str], names: Mapping[str, str]) -> list[CampaignArea]:
    """The chosen areas with their rank, score, population, published count and reason codes as
    the ranking had them, in rank order (areas without a ranking row keep the order given)."""
    frame = run_frame(run) if run is not None and run.rows else pd.DataFrame()
    rows = frame.set_index("area_id") if len(frame) else pd.DataFrame()
    out: list[CampaignArea] = []
    for position, code in enumerate(codes):
        row = rows.loc[code] if code in rows.index else None

        def value(column: str, row: Any = row) -> Any:
            if row is None or column not in row.index or pd.isna(row[column]):
                return None
            return row[column]

        rank, score, population, count = value("rank"), value("score"), value("population"), value("count")
        out.append(CampaignArea(
            position=position, area_code=code, name=str(value("name") or names.get(code, code))[:200],
            rank=None if rank is None else int(rank), score=None if score is None else float(score),
            population=None if population is None else int(population),
            count=None if count is None else int(count), hidden=bool(value("suppressed") or False),
            reasons=str(value("reasons") or "")[:500],
        ))  # fmt: skip
    out.sort(key=lambda a: (a.rank is None, a.rank or 0, a.position))
    for position, area in enumerate(out):
        area.position = position
    return out


def from_draft(actor: audit.Actor, draft: CampaignDraft, *, name: str | None = None) -> Campaign:
    """A draft campaign from the areas, groups and languages saved on a ranking."""
    assert actor.user is not None
    run = db.session.get(RankingRun, draft.ranking_run_id) if draft.ranking_run_id else None
    wanted = (name or draft.name).strip()[:200]
    campaign_name = _free_name(draft.organisation_id, wanted)
    names = {a.code: a.name for a in draft.boundary_set.areas}
    segments = _segments(run, draft.segments)
    campaign = Campaign(
        organisation_id=draft.organisation_id, boundary_set_id=draft.boundary_set_id,
        ranking_run_id=draft.ranking_run_id, draft_id=draft.id, name=campaign_name,
        segments=segments, locales=list(draft.languages or ["en"]),
        ranking_period=str((run.meta or {}).get("period", "")) if run else "",
        created_by_id=actor.user.id, updated_by_id=actor.user.id,
    )  # fmt: skip
    campaign.areas = frozen_areas(run, list(draft.area_codes), names)
    db.session.add(campaign)
    db.session.flush()
    audit.record(actor, "campaign.create", "campaign", campaign.id, draft=draft.id, areas=len(campaign.areas))
    return campaign


def _segments(run: RankingRun | None, chosen: Sequence[str]) -> list[dict[str, Any]]:
    """The chosen groups with their audience ranges, as the ranking sized them."""
    by_label = {s.get("segment"): s for s in (run.segments or [])} if run is not None else {}
    out = []
    for label in chosen:
        seg = by_label.get(label, {})
        out.append({
            "segment": label, "audience_low": seg.get("audience_low"), "audience_high": seg.get("audience_high"),
            "languages": list(seg.get("languages") or []),
        })  # fmt: skip
    return out


def _free_name(organisation_id: int, wanted: str) -> str:
    """`wanted`, or `wanted (2)`, `(3)`…: names are unique per organisation."""
    candidate, n = wanted, 1
    while _name_taken(organisation_id, candidate):
        n += 1
        candidate = f"{wanted[:190]} ({n})"
    return candidate


def _check_editable(campaign: Campaign, version: int) -> None:
    """Every change goes through here: an evaluated campaign is read-only, and a change made on a
    version someone has saved over since is refused (the UPDATE checks the version again)."""
    if campaign.status == S.EVALUATED:
        raise CampaignError("read_only")
    if campaign.version != version:
        raise CampaignError("stale")


def _watched(campaign: Campaign) -> dict[str, Any]:
    return {"starts": campaign.starts, "ends": campaign.ends, "channels": list(campaign.channels)}


def update(actor: audit.Actor, campaign: Campaign, plan: Plan, *, version: int) -> Campaign:
    """Save an edit made on `version`; refused when someone saved since (`stale`) or read-only."""
    assert actor.user is not None
    _check_editable(campaign, version)
    _check_plan(plan)
    if _name_taken(campaign.organisation_id, plan.name.strip(), except_id=campaign.id):
        raise CampaignError("name_taken", "name", name=plan.name)
    if campaign.status != S.DRAFT and (plan.starts is None or plan.ends is None):
        raise CampaignError("dates_missing", "starts")
    before = _watched(campaign)
    campaign.name = plan.name.strip()[:200]
    campaign.objective = plan.objective.strip()[:4000]
    campaign.starts, campaign.ends = plan.starts, plan.ends
    campaign.budget_cents, campaign.currency = plan.budget_cents, plan.currency
    campaign.channels = list(dict.fromkeys(plan.channels))
    campaign.partners = [p.strip()[:200] for p in plan.partners if p.strip()][:50]
    campaign.locales = list(dict.fromkeys(plan.locales)) or campaign.locales
    campaign.helpline_name, campaign.helpline_number = plan.helpline_name.strip()[:200], plan.helpline_number[:40]
    campaign.helpline_verified = plan.helpline_verified
    campaign.updated_at, campaign.updated_by_id = utcnow(), actor.user.id
    after = _watched(campaign)
    changed = [key for key in before if before[key] != after[key]]
    with db.session.no_autoflush:  # loading the targets must not flush half an edit (two version bumps)
        for target in [t for t in campaign.targets if t.channel not in campaign.channels]:
            campaign.targets.remove(target)  # a channel dropped takes its targets with it
    db.session.flush()  # the version check of the UPDATE itself: a concurrent save raises StaleDataError
    audit.record(actor, "campaign.update", "campaign", campaign.id, version=campaign.version, changed=changed)
    return campaign


def move(actor: audit.Actor, campaign: Campaign, to: CampaignStatus, *, version: int, today: date) -> Campaign:
    """Change the status if the rules allow it from here, and the campaign is ready for it."""
    _check_editable(campaign, version)
    if to not in TRANSITIONS[campaign.status]:
        raise CampaignError("not_allowed", "status", current=campaign.status.value, to=to.value)
    if to in (S.SCHEDULED, S.RUNNING):
        if not campaign.areas:
            raise CampaignError("no_areas", "areas")
        if not campaign.channels:
            raise CampaignError("no_channels", "channels")
        if campaign.starts is None or campaign.ends is None:
            raise CampaignError("dates_missing", "starts")
        if campaign.ends < campaign.starts:
            raise CampaignError("ends_before_starts", "ends", starts=campaign.starts, ends=campaign.ends)
    if to == S.RUNNING and campaign.starts is not None and campaign.starts > today:
        raise CampaignError("starts_in_future", "starts", starts=campaign.starts)
    before = campaign.status
    campaign.status = to
    campaign.updated_at = utcnow()
    campaign.updated_by_id = actor.user.id if actor.user else None
    db.session.flush()
    audit.record(actor, "campaign.status", "campaign", campaign.id, before=before.value, after=to.value)
    if to == S.EVALUATED:
        from ..reports import freeze  # the report reads reach through this package's services

        freeze.freeze(actor, campaign, current_app.config["SETTINGS"].suppression_k)
    return campaign


def copy(actor: audit.Actor, campaign: Campaign) -> Campaign:
    """A new draft with the same plan and areas (as frozen then), no dates: a template."""
    assert actor.user is not None
    twin = Campaign(
        organisation_id=campaign.organisation_id, boundary_set_id=campaign.boundary_set_id,
        ranking_run_id=campaign.ranking_run_id, name=_free_name(campaign.organisation_id, campaign.name),
        objective=campaign.objective, budget_cents=campaign.budget_cents, currency=campaign.currency,
        channels=list(campaign.channels), partners=list(campaign.partners), segments=list(campaign.segments),
        locales=list(campaign.locales), ranking_period=campaign.ranking_period,
        helpline_name=campaign.helpline_name, helpline_number=campaign.helpline_number,
        helpline_verified=campaign.helpline_verified, created_by_id=actor.user.id, updated_by_id=actor.user.id,
    )  # fmt: skip
    twin.areas = [
        CampaignArea(position=a.position, area_code=a.area_code, name=a.name, rank=a.rank, score=a.score,
                     population=a.population, count=a.count, hidden=a.hidden, reasons=a.reasons)
        for a in campaign.areas
    ]  # fmt: skip
    db.session.add(twin)
    db.session.flush()
    copy_logos(campaign, twin, actor.user.id)
    audit.record(actor, "campaign.copy", "campaign", twin.id, source=campaign.id)
    return twin


def advance(actor: audit.Actor, today: date) -> dict[str, int]:
    """Start scheduled campaigns whose first day has come and end running ones whose last day has
    passed (the scheduler's `advance_campaigns`). Safe to run again: it only moves what is due."""
    started = ended = 0
    for campaign in db.session.scalars(
        select(Campaign).where(Campaign.status == S.SCHEDULED, Campaign.starts <= today).order_by(Campaign.id)
    ).all():
        move(actor, campaign, S.RUNNING, version=campaign.version, today=today)
        started += 1
    for campaign in db.session.scalars(
        select(Campaign).where(Campaign.status == S.RUNNING, Campaign.ends < today).order_by(Campaign.id)
    ).all():
        move(actor, campaign, S.ENDED, version=campaign.version, today=today)
        ended += 1
    return {"started": started, "ended": ended}


def set_targets(
    actor: audit.Actor, campaign: Campaign, targets: Mapping[tuple[str, str], int | None], *, version: int
) -> Campaign:
    """Replace the campaign's targets with `targets` ((area code, channel) -> people, None = no
    target). Refused when stale or read-only, when a target is negative, or larger than the
    area's population (a target nobody could reach is a typing error, not a plan)."""
    _check_editable(campaign, version)
    areas = {a.area_code: a for a in campaign.areas}
    kept: dict[tuple[str, str], int] = {}
    for (code, channel), people in targets.items():
        if code not in areas or channel not in campaign.channels or people is None:
            continue
        if people < 0:
            raise CampaignError("target_invalid", f"t:{code}:{channel}", area=areas[code].name, channel=channel)
        population = areas[code].population
        if population is not None and people > population:
            raise CampaignError("target_above_population", f"t:{code}:{channel}", area=areas[code].name,
                                channel=channel, people=people, population=population)  # fmt: skip
        kept[(code, channel)] = people
    existing = {(t.area_code, t.channel): t for t in campaign.targets}
    campaign.targets = [t for key, t in existing.items() if key in kept]
    for key, people in kept.items():
        if key in existing:
            existing[key].target_reach = people
        else:
            campaign.targets.append(CampaignTarget(area_code=key[0], channel=key[1], target_reach=people))
    campaign.updated_at = utcnow()  # and the version moves: the next save must have seen these targets
    campaign.updated_by_id = actor.user.id if actor.user else None
    db.session.flush()
    audit.record(actor, "campaign.targets", "campaign", campaign.id, targets=len(kept), version=campaign.version)
    return campaign


def target_totals(campaign: Campaign) -> dict[str, int]:
    """People to reach per channel, summed over areas (different people, so the sum is honest)."""
    totals: dict[str, int] = {}
    for t in campaign.targets:
        totals[t.channel] = totals.get(t.channel, 0) + t.target_reach
    return totals
