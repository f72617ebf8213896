"""Load the demo: a fictional organisation, one user per role, real boundaries and populations
from the libpysal wheel, and incidents that are synthetic and marked so everywhere.

Idempotent: a second run finds everything in place and writes nothing, so `make run` can call it
every time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import geopandas
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import insert, select

from targeting.demo import DEMO_SETS, load_demo_areas, synthetic_incidents
from targeting.privacy import published_count
from targeting.segments import demo_population_by_group

from ..extensions import db
from ..models import Area, BoundarySet, IncidentRecord, IncidentSet, Organisation, Role, User
from . import accounts, audit
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


def load_demo(actor: Actor) -> DemoReport:
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
        if areas["population"].notna().all():
            _store_incidents(org, bset, areas, actor, report)
    return report
