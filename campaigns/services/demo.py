"""Load the demo: a fictional organisation, one user per role, real boundaries and populations
from the libpysal wheel, incidents that are synthetic and marked so everywhere, and two synthetic
campaigns on the Georgia set (one running with reach up to yesterday, one ended last year).

Idempotent: a second run finds everything in place and writes nothing, so `make run` can call it
every time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

import geopandas
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import insert, select

from content.library import Helpline, default_library
from targeting.demo import DEMO_SETS, load_demo_areas, synthetic_incidents
from targeting.privacy import published_count
from targeting.segments import demo_population_by_group

from ..extensions import db
from ..models import (
    Area,
    BoundarySet,
    Campaign,
    CampaignStatus,
    IncidentRecord,
    IncidentSet,
    Organisation,
    RankingRun,
    Role,
    User,
)
from . import accounts, audit, demo_surveys, ranking, reach
from . import campaigns as planning
from .audit import Actor

DEMO_ORGANISATION = "Demo Outreach Network (fictional)"
# Demo passwords are public on purpose: they are printed, documented in the README, and exist
# only in the demo organisation. Never load the demo into a production database.
DEMO_USERS: dict[Role, tuple[str, str]] = {
    Role.ADMIN: ("admin@demo.example", "demo-admin-password"),
    Role.COORDINATOR: ("coordinator@demo.example", "demo-coordinator-password"),
    Role.TRAINER: ("trainer@demo.example", "demo-trainer-password"),
    Role.REVIEWER: ("reviewer@demo.example", "demo-reviewer-password"),
}
SYNTHETIC_LABEL = "SYNTHETIC demo incidents"


@dataclass
class DemoReport:
    organisation: str
    created: list[str] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"Demo organisation: {self.organisation}"]
        lines += [f"  created {item}" for item in self.created] or ["  already loaded; nothing changed"]
        lines.append("Demo logins (demo data only; do not use in production):")
        lines += [f"  {role:<12} {email:<28} {password}" for role, email, password in self.logins]
        return "\n".join(lines)


def boundary_hash(areas: geopandas.GeoDataFrame) -> str:
    """A content hash of a boundary set: ids, populations and geometry, in a fixed order."""
    ordered = areas.sort_values("area_id")
    digest = hashlib.sha256()
    digest.update("\x1f".join(ordered["area_id"].astype(str)).encode())
    digest.update(ordered["population"].astype("Float64").to_numpy(na_value=np.nan).tobytes())
    for wkb in shapely.to_wkb(ordered.geometry.to_numpy(), output_dimension=2):
        digest.update(wkb)
    return digest.hexdigest()


def _indicator_records(areas: pd.DataFrame, columns: list[str]) -> list[dict[str, float]]:
    if not columns:
        return [{} for _ in range(len(areas))]
    return areas[columns].round(6).astype(float).to_dict(orient="records")


def _with_group_population(areas: geopandas.GeoDataFrame) -> geopandas.GeoDataFrame:
    """Add SYNTHETIC population by nationality, age band and sex as pop_<nat>_<age>_<sex> indicators.

    The segment ranking needs denominators the demo's census file does not have; the split is
    generated from the real totals (see `targeting.segments.demo_population_by_group`)."""
    groups = demo_population_by_group(areas)
    wide = groups.pivot_table(
        index="area_id", columns=["nationality", "age_band", "sex"], values="population", aggfunc="sum", fill_value=0
    )
    wide.columns = [f"pop_{n}_{a}_{s}" for n, a, s in wide.columns]
    return areas.merge(wide.reset_index(), on="area_id", how="left")


def _store_areas(
    org: Organisation, key: str, actor: Actor, report: DemoReport
) -> tuple[BoundarySet, geopandas.GeoDataFrame]:
    spec = DEMO_SETS[key]
    areas = load_demo_areas(key)
    if areas["population"].notna().all():
        areas = _with_group_population(areas)
    existing = db.session.scalar(
        select(BoundarySet).where(BoundarySet.organisation_id == org.id, BoundarySet.name == spec.title)
    )
    if existing is not None:
        return existing, areas
    bset = BoundarySet(
        organisation_id=org.id,
        name=spec.title,
        source=spec.source,
        population_year=spec.population_year,
        content_hash=boundary_hash(areas),
    )
    db.session.add(bset)
    db.session.flush()
    indicator_cols = [c for c in areas.columns if c not in {"area_id", "name", "population", "geometry"}]
    population = areas["population"].astype("Int64")
    rows = pd.DataFrame(
        {
            "boundary_set_id": bset.id,
            "code": areas["area_id"].astype(str),
            "name": areas["name"].astype(str),
            "population": population.astype(object).where(population.notna(), None),
            "indicators": _indicator_records(areas, indicator_cols),
            "geometry_wkb": shapely.to_wkb(areas.geometry.to_numpy(), output_dimension=2),
        }
    )
    db.session.execute(insert(Area), rows.to_dict(orient="records"))
    audit.record(
        actor, "boundary_set.create", "boundary_set", bset.id, organisation_id=org.id, areas=len(rows), demo=True
    )
    report.created.append(f"boundary set '{spec.title}' ({len(rows)} areas)")
    return bset, areas


def _store_incidents(
    org: Organisation, bset: BoundarySet, areas: geopandas.GeoDataFrame, actor: Actor, report: DemoReport
) -> None:
    name = f"{SYNTHETIC_LABEL}: {bset.name}"
    if db.session.scalar(select(IncidentSet).where(IncidentSet.organisation_id == org.id, IncidentSet.name == name)):
        return
    incidents = synthetic_incidents(areas)
    inc_set = IncidentSet(
        organisation_id=org.id,
        boundary_set_id=bset.id,
        name=name,
        synthetic=True,
        source="Generated by targeting.demo.synthetic_incidents (seeded); not real cases.",
    )
    db.session.add(inc_set)
    db.session.flush()
    area_ids = dict(db.session.execute(select(Area.code, Area.id).where(Area.boundary_set_id == bset.id)).all())
    attribute_cols = [c for c in incidents.columns if c not in {"area_id", "period"}]
    rows = pd.DataFrame(
        {
            "incident_set_id": inc_set.id,
            "area_id": incidents["area_id"].map(area_ids).astype(int),
            "period": incidents["period"].astype(int),
            "attributes": incidents[attribute_cols].to_dict(orient="records"),
        }
    )
    db.session.execute(insert(IncidentRecord), rows.to_dict(orient="records"))
    audit.record(
        actor,
        "incident_set.create",
        "incident_set",
        inc_set.id,
        organisation_id=org.id,
        records=published_count(len(rows)),
        synthetic=True,
    )
    report.created.append(f"incident set '{name}' ({len(rows)} synthetic incidents)")


# --- demo campaigns -----------------------------------------------------------------------------

CAMPAIGN_SEED: Final = 2011
RUNNING_AREAS: Final = 12
ENDED_AREAS: Final = 8
CAMPAIGN_CHANNELS: Final = ("frontline_training", "community_events", "social_media")
CAMPAIGN_LOCALES: Final = ("en", "lt")
CAMPAIGN_CURRENCY: Final = "USD"
HELPLINE_COUNTRY: Final = "US"  # the demo's boundaries are Georgia's counties
FICTIONAL: Final = "(fictional)"
DEMO_PARTNERS: Final = (
    "Peach State Savings (fictional)",
    "Okefenokee Tellers' Guild (fictional)",
    "Red Clay Neighbours Network (fictional)",
    "Sweetgum Social Studio (fictional)",
)
"""Partners of the demo campaigns: invented names, each marked, so no real organisation is named."""
TRAINED_SEGMENT: Final = "bank staff"
CAMPAIGN_OBJECTIVE: Final = (
    "SYNTHETIC demo campaign; every figure is generated. Bank staff are trained to recognise the money "
    "trail of trafficking and exploitation, and community events and geo-targeted social media in English "
    "and Lithuanian tell people in the top-ranked counties the signs and where to call."
)


@dataclass(frozen=True)
class DemoCampaign:
    """One synthetic demo campaign: its plan and how its reach is generated."""

    name: str
    starts: date
    ends: date
    status: CampaignStatus
    areas: int
    budget_cents: int
    partners: tuple[str, ...]
    daily_social: bool  # daily social-media rows (a running campaign) or weekly ones only


def demo_campaigns(today: date) -> tuple[DemoCampaign, DemoCampaign]:
    """The running campaign (started 60 days before `today`, ends in 45) and last year's, ended."""
    year = today.year - 1
    return (
        DemoCampaign("Know the signs: Georgia banks and communities (synthetic demo)", today - timedelta(days=60),
                     today + timedelta(days=45), CampaignStatus.RUNNING, RUNNING_AREAS, 4_850_000, DEMO_PARTNERS,
                     daily_social=True),
        DemoCampaign(f"Know the signs: Georgia pilot {year} (synthetic demo)", date(year, 4, 1), date(year, 6, 30),
                     CampaignStatus.ENDED, ENDED_AREAS, 2_400_000, DEMO_PARTNERS[:2], daily_social=False),
    )  # fmt: skip


def _helpline() -> Helpline | None:
    """The content library's helpline for the demo's country, an anti-trafficking line first."""
    lines = sorted(default_library().helplines_for(HELPLINE_COUNTRY), key=lambda h: h.kind != "trafficking")
    return lines[0] if lines else None


def _targets(campaign: Campaign) -> dict[tuple[str, str], int]:
    """People to reach per area and channel, each below the area's population."""
    out: dict[tuple[str, str], int] = {}
    for area in campaign.areas:
        if not area.population:
            continue
        out[(area.area_code, "social_media")] = int(round(area.population * 0.6, -2))
        out[(area.area_code, "community_events")] = max(50, round(area.population * 0.02))
        out[(area.area_code, "frontline_training")] = max(10, round(area.population / 2000))
    return out


def _rows(
    start: Any, end: Any, area: Any, channel: str, segment: str = "", locale: Any = "", **measures: Any
) -> pd.DataFrame:
    """Raw reach rows as an import gives them to `reach.coerce`: the key columns and some measures."""
    frame = pd.DataFrame({"period_start": pd.to_datetime(start), "period_end": pd.to_datetime(end), "area_code": area})
    frame["channel"], frame["segment"], frame["locale"] = channel, segment, locale
    for measure, values in measures.items():
        frame[measure] = pd.array(np.asarray(values, dtype=np.int64), dtype="Int64")
    return frame


def _social_media(
    rng: np.random.Generator, codes: np.ndarray, population: np.ndarray, first: date, last: date, gap: int,
    *, daily: bool,
) -> pd.DataFrame:
    """An ad platform's reach per area: daily rows (running) or weekly ones (ended), Monday-to-Sunday
    weekly rows whose unique reach is well below the sum of their days, and one row for the whole
    campaign so far. The area at `gap` is barely reached."""
    days = pd.date_range(first, last, freq="D")
    n_areas, n_days = len(codes), len(days)
    pop = population.astype(float)
    share = rng.uniform(0.025, 0.045, n_areas)
    share[gap] = 0.002
    ramp = np.minimum(1.0, 0.4 + 0.1 * np.arange(n_days))
    weekend = np.where(days.day_of_week >= 5, 0.85, 1.0)
    noise = rng.lognormal(0.0, 0.15, (n_areas, n_days))
    reached = np.maximum(1.0, np.rint(pop[:, None] * share[:, None] * ramp * weekend * noise))
    frequency = rng.uniform(2.0, 4.0, reached.shape) if daily else rng.uniform(1.2, 2.0, reached.shape)
    impressions = np.rint(reached * frequency)
    clicks = rng.binomial(impressions.astype(np.int64), rng.uniform(0.006, 0.014, (n_areas, 1)))

    mondays = np.flatnonzero((days.day_of_week == 0) & (np.arange(n_days) + 6 < n_days))

    def per_week(values: np.ndarray) -> np.ndarray:
        running = np.concatenate([np.zeros((n_areas, 1)), values.cumsum(axis=1)], axis=1)
        return np.asarray(running[:, mondays + 7] - running[:, mondays])

    weekly = np.rint(per_week(reached) * rng.uniform(0.5, 0.65, (n_areas, len(mondays))))
    addressable = rng.uniform(0.55, 0.7, n_areas)  # people on the platform at all
    seen = reached.sum(axis=1)
    to_date = np.rint(pop * addressable * (1 - np.exp(-seen / (addressable * pop))))
    to_date = np.maximum(to_date, weekly.max(axis=1, initial=0))

    week_start = np.tile(days[mondays].to_numpy(), n_areas)
    frames = [_rows(first, last, codes, "social_media", reached=to_date)]
    if daily:
        day = np.tile(days.to_numpy(), n_areas)
        frames.append(_rows(day, day, np.repeat(codes, n_days), "social_media", reached=reached.ravel(),
                            impressions=impressions.ravel(), clicks=clicks.ravel()))  # fmt: skip
        frames.append(_rows(week_start, week_start + np.timedelta64(6, "D"), np.repeat(codes, len(mondays)),
                            "social_media", reached=weekly.ravel()))  # fmt: skip
    else:  # without daily rows the weeks carry the impressions and clicks (they add up over weeks)
        frames.append(_rows(week_start, week_start + np.timedelta64(6, "D"), np.repeat(codes, len(mondays)),
                            "social_media", reached=weekly.ravel(), impressions=per_week(impressions).ravel(),
                            clicks=per_week(clicks).ravel()))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def _sessions(
    rng: np.random.Generator, codes: np.ndarray, first: date, last: date, *, every: int, held: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day, area, mask): one candidate session per area every `every` days on a random day of
    that stretch; `mask` keeps those held (probability `held`) by the last day."""
    starts = pd.date_range(first, last, freq=f"{every}D").to_numpy()
    day = starts[None, :] + rng.integers(0, every, (len(codes), len(starts))).astype("timedelta64[D]")
    mask = (rng.random(day.shape) < held) & (day <= np.datetime64(last))
    return day.ravel(), np.repeat(codes, len(starts)), mask.ravel()


def _community_events(rng: np.random.Generator, codes: np.ndarray, first: date, last: date) -> pd.DataFrame:
    """About one event a week per area, each held in English or Lithuanian, with leaflets handed out."""
    day, area, mask = _sessions(rng, codes, first, last, every=7, held=0.8)
    events = 1 + (rng.random(len(day)) < 0.25)
    reached = events * rng.poisson(90, len(day)) + 15
    materials = np.rint(reached * rng.uniform(0.6, 1.3, len(day)))
    locale = np.where(rng.random(len(day)) < 0.3, "lt", "en")
    return _rows(day[mask], day[mask], area[mask], "community_events", locale=locale[mask], events=events[mask],
                 reached=reached[mask], materials=materials[mask])  # fmt: skip


def _bank_staff_training(rng: np.random.Generator, codes: np.ndarray, first: date, last: date) -> pd.DataFrame:
    day, area, mask = _sessions(rng, codes, first, last, every=14, held=0.9)
    trained = rng.integers(8, 31, len(day))
    return _rows(day[mask], day[mask], area[mask], "frontline_training", segment=TRAINED_SEGMENT,
                 events=np.ones(int(mask.sum())), trained=trained[mask])  # fmt: skip


def _plan(
    actor: Actor, org: Organisation, bset: BoundarySet, run: RankingRun, spec: DemoCampaign, today: date
) -> Campaign:
    """The campaign as a coordinator would plan it from the ranking: checked by the planning
    rules, areas frozen from the stored run, targets set, then scheduled and started."""
    plan = planning.Plan(
        name=spec.name, objective=CAMPAIGN_OBJECTIVE, starts=spec.starts, ends=spec.ends,
        budget_cents=spec.budget_cents, currency=CAMPAIGN_CURRENCY, channels=CAMPAIGN_CHANNELS,
        partners=spec.partners, locales=CAMPAIGN_LOCALES,
    )  # fmt: skip
    planning._check_plan(plan)
    helpline = _helpline()
    campaign = Campaign(
        organisation_id=org.id, boundary_set_id=bset.id, ranking_run_id=run.id, name=plan.name,
        objective=plan.objective, starts=plan.starts, ends=plan.ends, budget_cents=plan.budget_cents,
        currency=plan.currency, channels=list(plan.channels), partners=list(plan.partners),
        locales=list(plan.locales), ranking_period=str((run.meta or {}).get("period", "")), synthetic=True,
        helpline_name=helpline.name[:200] if helpline else "", helpline_number=helpline.number[:40] if helpline else "",
        helpline_verified=helpline.verified if helpline else None,
    )  # fmt: skip
    names = dict(db.session.execute(select(Area.code, Area.name).where(Area.boundary_set_id == bset.id)).all())
    campaign.areas = planning.frozen_areas(run, ranking.top_area_ids(ranking.run_frame(run), spec.areas), names)
    db.session.add(campaign)
    db.session.flush()
    audit.record(actor, "campaign.create", "campaign", campaign.id, organisation_id=org.id,
                 areas=len(campaign.areas), synthetic=True)  # fmt: skip
    planning.set_targets(actor, campaign, _targets(campaign), version=campaign.version)
    for status in (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING):
        planning.move(actor, campaign, status, version=campaign.version, today=today)
    return campaign


def _record_reach(actor: Actor, campaign: Campaign, spec: DemoCampaign, rng: np.random.Generator, today: date) -> int:
    """Reach up to yesterday (or the last day), through the checks and the store every import
    uses: the social-media export as a file, events and training as typed in a form."""
    last = min(spec.ends, today - timedelta(days=1))
    codes = np.array([a.area_code for a in campaign.areas], dtype=object)
    population = np.array([a.population or 0 for a in campaign.areas], dtype=np.int64)
    gap = min(3, len(codes) - 1)  # a large area the ads hardly reach: the page's coverage gap
    others = np.delete(codes, gap)
    social = _social_media(rng, codes, population, spec.starts, last, gap, daily=spec.daily_social)
    on_site = pd.concat([_community_events(rng, others[:5], spec.starts, last),
                         _bank_staff_training(rng, others[::2][:6], spec.starts, last)], ignore_index=True)  # fmt: skip
    stored = 0
    for rows, source, file_name in ((social, "csv", "ads-export-synthetic.csv"), (on_site, "form", "")):
        checked = reach.coerce(campaign, rows, today=today)
        reach.store(actor, campaign, checked, source=source, file_name=file_name)
        stored += len(checked)
    return stored


def _has_campaigns(org: Organisation) -> bool:
    query = select(Campaign.id).where(Campaign.organisation_id == org.id, Campaign.synthetic.is_(True)).limit(1)
    return db.session.scalar(query) is not None


def _store_campaigns(
    org: Organisation, bset: BoundarySet, actor: Actor, report: DemoReport, today: date,
    helpline_set: IncidentSet | None,
) -> None:
    """Two synthetic campaigns on the set's latest-year ranking, with survey waves and answers,
    unless the demo has some already."""
    if _has_campaigns(org):
        return
    incident_set = ranking.latest_incident_set(bset)
    periods = ranking.available_periods(incident_set)
    if incident_set is None or not periods:
        return
    run = ranking.request_ranking(actor, bset, incident_set, ranking.RankingParams(period=periods[-1]))
    rng = np.random.default_rng(CAMPAIGN_SEED)
    for spec in demo_campaigns(today):
        campaign = _plan(actor, org, bset, run, spec, today)
        rows = _record_reach(actor, campaign, spec, rng, today)
        if spec.status != campaign.status:
            planning.move(actor, campaign, spec.status, version=campaign.version, today=today)
        answered = demo_surveys.add_surveys(actor, campaign, today)
        report.created.append(
            f"campaign '{campaign.name}' ({campaign.status.value}, {len(campaign.areas)} areas, {rows} synthetic "
            f"reach rows, {answered} synthetic survey responses)"
        )
        if helpline_set is not None and campaign.status == CampaignStatus.ENDED:
            reports = demo_surveys.add_helpline_reports(helpline_set, campaign, today)
            report.created.append(f"incident set '{helpline_set.name}' ({reports} synthetic helpline reports)")


def load_demo(actor: Actor, *, today: date | None = None) -> DemoReport:
    """Load (or complete) the demo; `today` dates the demo campaigns (default: the local date)."""
    today = today or date.today()
    org = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))
    report = DemoReport(DEMO_ORGANISATION)
    if org is None:
        org = accounts.get_or_create_organisation(actor, DEMO_ORGANISATION, is_demo=True)
        report.created.append(f"organisation '{DEMO_ORGANISATION}'")
    for role, (email, password) in DEMO_USERS.items():
        if db.session.scalar(select(User).where(User.email == email)) is None:
            accounts.create_user(actor, email, password, role, org)
            report.created.append(f"user {email} ({role.value})")
        report.logins.append((role.value, email, password))
    for key in DEMO_SETS:
        bset, areas = _store_areas(org, key, actor, report)
        helpline_set = None
        if key == "georgia" and not _has_campaigns(org):
            helpline_set = demo_surveys.reserve_helpline_set(org.id, bset.id)
        if areas["population"].notna().all():
            _store_incidents(org, bset, areas, actor, report)
        if key == "georgia":
            _store_campaigns(org, bset, actor, report, today, helpline_set)
        if helpline_set is not None and helpline_set.status != "ready":
            db.session.delete(helpline_set)  # no ended campaign to report on
    return report
