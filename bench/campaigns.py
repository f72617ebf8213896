"""Reach at scale: a million rows of an ad platform's export imported the way the web app does it,
then the campaign page over them, on SQLite and (given a server) on PostgreSQL, in one run.

    python bench/campaigns.py                                   # SQLite only
    python bench/campaigns.py --pg postgresql+psycopg://user:pw@127.0.0.1:5432/postgres
    BENCH_DATABASE_URL=postgresql+psycopg://... python bench/campaigns.py --rows 200000 --repeat 3
    python bench/campaigns.py --profile                         # and where the import's time goes

For each database: a fresh one (a temporary SQLite file, or a new database on the PostgreSQL
server, dropped afterwards), the schema as `create_schema` leaves it (the tests prove it equals the
migrations), the demo, and a running campaign on all 159 Georgia counties. The export is a CSV of
"Day, Region, Age, Reach, Impressions, Link clicks" rows (counties × days × age groups, regions
written as "Fulton County"), read, mapped and checked by `reach_import` and stored by `reach.store`
in one transaction, as the upload page does; each phase is timed.

References in the same process, as every bench here: the driver's own executemany of the same
rows into a plain table without key or index (what storing cannot beat), and pandas.read_csv of the
same bytes as text (what reading cannot beat); the ratios say what the checks and the upsert cost.
The campaign page is timed through the Flask test client signed in as the demo coordinator
(median of --repeat), with `reach.coverage` alone, against the page of a campaign with the same
counties and days but one age group (a sixth of the rows): a ratio near 1 says the page does not
grow with the rows (it does grow with the days it charts, which both have).
Peak memory is sampled during the import (bench/memory.py) and the process's high-water mark.

Targets (issue 11): the import under 15 s on SQLite, the page under 1 s.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT / "tests")  # this folder's targeting.py (and this file) would shadow the packages

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from conftest import create_schema, demo_client, make_app, scratch_database  # noqa: E402
from flask import Flask  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from campaigns.db import write_intent  # noqa: E402
from campaigns.extensions import db  # noqa: E402
from campaigns.models import (  # noqa: E402
    Area,
    BoundarySet,
    Campaign,
    CampaignStatus,
    Organisation,
    RankingRun,
    ReachRow,
    Role,
    User,
)
from campaigns.services import campaigns as planning  # noqa: E402
from campaigns.services import reach, reach_import  # noqa: E402
from campaigns.services.audit import SYSTEM_CLI, Actor  # noqa: E402
from campaigns.services.demo import DEMO_ORGANISATION, DEMO_USERS, load_demo  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_memory", ROOT / "bench" / "memory.py")
assert _spec and _spec.loader
_memory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_memory)
PeakRSS = _memory.PeakRSS

AGES = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
IMPORT_TARGET_S = 15.0
PAGE_TARGET_S = 1.0


@dataclass
class Result:
    backend: str
    rows: int = 0
    shape: str = ""
    megabytes: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    stored: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    page: list[float] = field(default_factory=list)
    page_status: int = 0
    page_note: str = ""
    coverage: list[float] = field(default_factory=list)
    small_page: list[float] = field(default_factory=list)
    small_rows: int = 0
    import_rss: float = 0.0
    profile: str = ""


def _profile_text(profiler: cProfile.Profile, top: int = 25) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# --- the export ---------------------------------------------------------------------------------


def export_csv(names: list[str], population: np.ndarray, rows: int, last: date, seed: int = 11) -> tuple[bytes, date]:
    """An ads-manager export: one row per day, region and age group, newest day last; `rows` rows
    ending on `last`. Returns the bytes and the first day."""
    per_day = len(names) * len(AGES)
    n_days = -(-rows // per_day)
    first = last - timedelta(days=n_days - 1)
    days = pd.date_range(first, periods=n_days, freq="D").strftime("%Y-%m-%d").to_numpy()
    rng = np.random.default_rng(seed)
    day = np.repeat(np.arange(n_days), per_day)[:rows]
    region = np.tile(np.repeat(np.arange(len(names)), len(AGES)), n_days)[:rows]
    age = np.tile(np.arange(len(AGES)), n_days * len(names))[:rows]
    share = rng.uniform(0.002, 0.01, len(names))
    reach_ = np.maximum(0, np.rint(population[region] * share[region] / len(AGES) * rng.lognormal(0, 0.3, rows)))
    impressions = np.rint(reach_ * rng.uniform(1.2, 3.5, rows))
    clicks = rng.binomial(impressions.astype(np.int64), 0.01)
    frame = pd.DataFrame({
        "Day": days[day], "Region": np.asarray([f"{n} County" for n in names], dtype=object)[region],
        "Age": np.asarray(AGES, dtype=object)[age], "Reach": reach_.astype(np.int64),
        "Impressions": impressions.astype(np.int64), "Link clicks": clicks,
    })  # fmt: skip
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode(), first


# --- databases ----------------------------------------------------------------------------------


def _median_of(repeat: int, fn: Callable[[], Any]) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def _coordinator() -> Actor:
    user = db.session.scalar(select(User).where(User.email == DEMO_USERS[Role.COORDINATOR][0]))
    assert user is not None
    return Actor("web", user)


def _bench_campaign(actor: Actor, first: date, today: date, name: str) -> Campaign:
    """A running campaign of the demo organisation on every Georgia county, frozen from the demo's
    stored ranking, started on the export's first day."""
    org = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))
    bset = db.session.scalar(select(BoundarySet).where(BoundarySet.name.startswith("Georgia")))
    run = db.session.scalar(select(RankingRun).where(RankingRun.boundary_set_id == bset.id).limit(1)) if bset else None
    assert org is not None and bset is not None
    names = dict(db.session.execute(select(Area.code, Area.name).where(Area.boundary_set_id == bset.id)).all())
    campaign = Campaign(
        organisation_id=org.id, boundary_set_id=bset.id, ranking_run_id=run.id if run else None,
        name=name, starts=first, ends=today + timedelta(days=30),
        channels=["social_media"], locales=["en"], currency="USD", synthetic=True,
        created_by_id=actor.user.id if actor.user else None,
    )  # fmt: skip
    campaign.areas = planning.frozen_areas(run, sorted(names), names)
    db.session.add(campaign)
    db.session.flush()
    for status in (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING):
        planning.move(actor, campaign, status, version=campaign.version, today=today)
    return campaign


def _reference_store(rows: pd.DataFrame) -> float:
    """The driver's executemany of the same rows into a plain table (no key, no index), committed."""
    dialect = db.engine.dialect.name
    mark = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
    columns = list(reach.FIELDS)
    kinds = {c: ("DATE" if c.startswith("period_") else "VARCHAR(100)" if c in reach.KEY else "INTEGER")
             for c in columns}  # fmt: skip
    frame = rows[columns].copy()
    for c in ("period_start", "period_end"):
        if dialect == "sqlite":
            frame[c] = frame[c].map(date.isoformat)
    for c in reach.REACH_MEASURES:
        frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    tuples = list(frame.itertuples(index=False, name=None))
    sql = f"INSERT INTO bench_reference ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE bench_reference ({', '.join(f'{c} {kinds[c]}' for c in columns)})")
    started = time.perf_counter()
    with write_intent(), db.engine.begin() as conn:
        for start in range(0, len(tuples), reach.CHUNK_ROWS):
            conn.exec_driver_sql(sql, tuples[start : start + reach.CHUNK_ROWS])
    took = time.perf_counter() - started
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_reference")
    return took


def run_backend(label: str, server_url: str | None, rows: int, repeat: int, profile: bool = False) -> Result:
    result = Result(label)
    today = date.today()
    with tempfile.TemporaryDirectory(prefix="planner-bench-") as tmp, scratch_database(server_url, Path(tmp)) as url:
        app: Flask = make_app(Path(tmp), url)
        with app.app_context():
            create_schema()
            with write_intent():
                load_demo(SYSTEM_CLI, today=today)
                db.session.commit()
            areas = db.session.execute(
                select(Area.name, Area.population).join(BoundarySet)
                .where(BoundarySet.name.startswith("Georgia")).order_by(Area.code)
            ).all()  # fmt: skip
            names = [a.name for a in areas]
            data, first = export_csv(names, np.array([a.population for a in areas], dtype=float), rows,
                                     today - timedelta(days=1))  # fmt: skip
            result.megabytes = len(data) / 1e6
            result.shape = f"{len(names)} counties × {-(-rows // (len(names) * len(AGES)))} days × {len(AGES)} ages"
            export = Path(tmp) / "ads-export.csv"
            export.write_bytes(data)
            with write_intent():
                campaign_id = _bench_campaign(_coordinator(), first, today, "Bench: the large export").id
                small = _bench_campaign(_coordinator(), first, today, "Bench: one age group only").id
                db.session.commit()

            # The import, as the upload page runs it: read, map, check, store, commit.
            db.session.remove()
            profiler = cProfile.Profile() if profile else None
            with PeakRSS() as memory, write_intent():
                if profiler:
                    profiler.enable()
                t0 = time.perf_counter()
                table = reach_import.read(export.name, export.read_bytes())
                t1 = time.perf_counter()
                mapping = reach_import.guess_mapping(table.columns)
                campaign = db.session.get(Campaign, campaign_id)
                assert campaign is not None
                checked = reach_import.apply(campaign, table, mapping, channel="social_media", today=today)
                t2 = time.perf_counter()
                reach.store(_coordinator(), campaign, checked, source="csv", file_name=export.name, mapping=mapping)
                t3 = time.perf_counter()
                db.session.commit()
                t4 = time.perf_counter()
                if profiler:
                    profiler.disable()
            result.import_rss = memory.extra
            if profiler:
                result.profile = _profile_text(profiler)
            result.mapping = mapping
            result.rows = len(table.frame)
            result.phases = {"read": t1 - t0, "check": t2 - t1, "store": t3 - t2, "commit": t4 - t3, "total": t4 - t0}
            del table
            result.stored = reach.row_count(campaign_id)
            with write_intent():
                t = time.perf_counter()
                reach.refresh(campaign_id)
                db.session.commit()
                result.phases["roll-up alone"] = time.perf_counter() - t

            # References for the import: the driver alone, and pandas reading the same bytes.
            started = time.perf_counter()
            pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
            result.phases["ref read_csv"] = time.perf_counter() - started
            result.phases["ref executemany"] = _reference_store(checked)
            with write_intent():  # the page's reference: the same counties and days, a sixth of the rows
                c = db.session.get(Campaign, small)
                assert c is not None
                reach.store(_coordinator(), c, checked[checked["segment"] == AGES[0]], source="csv")
                db.session.commit()
            del checked

            # The page: reach.coverage alone, then GET /campaigns/<id> signed in.
            def coverage() -> None:
                db.session.remove()
                c = db.session.get(Campaign, campaign_id)
                assert c is not None
                reach.coverage(c)

            result.coverage = _median_of(repeat, coverage)
            db.session.remove()
            result.small_rows = reach.row_count(small)
        client = demo_client(app)
        first_page = client.get(f"/campaigns/{campaign_id}")
        result.page_status = first_page.status_code
        if first_page.status_code == 200:
            body = first_page.get_data(as_text=True)
            if "reach" not in body.lower():
                result.page_note = "the page answered 200 but shows no reach yet (timing the page as it is)"
            result.page = _median_of(repeat, lambda: client.get(f"/campaigns/{campaign_id}"))
            result.small_page = _median_of(repeat, lambda: client.get(f"/campaigns/{small}"))
        else:
            result.page_note = (f"GET /campaigns/{campaign_id} answered {first_page.status_code}: "
                                "timed reach.coverage only")  # fmt: skip
        with app.app_context():
            assert (db.session.scalar(select(func.count()).select_from(ReachRow)) or 0) >= result.stored
            db.session.remove()
            db.engine.dispose()
    return result


def vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def report(r: Result) -> None:
    p = r.phases
    total = p["total"]
    met = "met" if total < IMPORT_TARGET_S else "NOT met"
    target = f"target < {IMPORT_TARGET_S:.0f} s: {met}"
    if r.backend != "SQLite":
        target = "(the issue sets the import target for SQLite)"
    print(f"{r.backend}: {r.rows:,} reach rows ({r.shape}), CSV {r.megabytes:.0f} MB; stored {r.stored:,}")
    print(f"  mapping guessed: {', '.join(f'{k}<-{v!r}' for k, v in r.mapping.items())}")
    print(f"  import: read {p['read']:.2f} s, check {p['check']:.2f} s, store {p['store']:.2f} s, "
          f"commit {p['commit']:.2f} s; total {total:.2f} s = {r.rows / total:,.0f} rows/s; {target}")  # fmt: skip
    print(f"    of which the roll-up (run again alone): {p['roll-up alone']:.2f} s")
    print(f"  reference: driver executemany into a plain table {p['ref executemany']:.2f} s "
          f"(store+commit / reference {(p['store'] + p['commit']) / p['ref executemany']:.2f}); "
          f"pandas.read_csv as text {p['ref read_csv']:.2f} s (read / reference {p['read'] / p['ref read_csv']:.2f})")
    cov = statistics.median(r.coverage)
    print(f"  reach.coverage alone: median {cov * 1000:.0f} ms "
          f"(runs: {', '.join(f'{t * 1000:.0f}' for t in r.coverage)})")  # fmt: skip
    if r.page:
        page = statistics.median(r.page)
        met = "met" if page < PAGE_TARGET_S else "NOT met"
        runs = ", ".join(f"{t * 1000:.0f}" for t in r.page)
        print(f"  campaign page GET: median {page * 1000:.0f} ms (runs: {runs}); target < {PAGE_TARGET_S:.0f} s: {met}")
        if r.small_page:
            small = statistics.median(r.small_page)
            print(f"    reference: same counties and days, one age group ({r.small_rows:,} rows): "
                  f"median {small * 1000:.0f} ms; page over {r.stored:,} rows / reference {page / small:.2f}")
    if r.page_note:
        print(f"  note: {r.page_note}")
    print(f"  peak memory during the import: +{r.import_rss:.0f} MiB above its start")
    if r.profile:
        print(f"  profile of the import (cProfile; its overhead inflates the times above):\n{r.profile}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="page timings per median (default %(default)s)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="a PostgreSQL server URL (default: $BENCH_DATABASE_URL; none: SQLite only)")
    parser.add_argument("--profile", action="store_true", help="profile the import and print the top functions")
    args = parser.parse_args()
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.pg:
        backends.append(("PostgreSQL", args.pg))
    results = [run_backend(label, url, args.rows, args.repeat, args.profile) for label, url in backends]
    for r in results:
        report(r)
    print(f"process peak RSS {vm_hwm_mib():.0f} MiB")


if __name__ == "__main__":
    main()
