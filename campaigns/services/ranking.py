"""Run `targeting.rank_areas` on stored data, cache the result by its inputs, report progress.

A ranking is identified by a hash of everything that decides it: the boundaries, the counts, the
indicators and the options. Asking again for the same inputs returns the stored run, so a
coordinator flipping between pages never waits twice. Small sets (up to `INLINE_AREAS` areas)
rank inside the request, which takes well under a second; larger ones run on a background thread
of the web process and the page shows their progress, read from the run's row.

What is stored is already suppressed: the run's rows are an output like any page or download.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas
import numpy as np
import pandas as pd
import shapely
from flask import Flask, current_app
from sqlalchemy import func, select, update

from targeting.direction import compass_direction
from targeting.inputs.parsing import PeriodError, sort_periods
from targeting.privacy import protect_counts
from targeting.ranking import DEFAULT_WEIGHTS, FACTORS, RankingInputError, check_rankable, rank_areas
from targeting.segments import rank_exploitation_types, rank_segments_shown

from ..db import side_write, write_intent
from ..extensions import db
from ..models import Area, BoundarySet, IncidentRecord, IncidentSet, RankingRun, utcnow
from . import audit
from .audit import Actor

log = logging.getLogger(__name__)

INLINE_AREAS: Final = 5_000
SEGMENT_AREAS: Final = 10  # segments are sized for the top-ranked areas a campaign would pick
SEGMENT_YEARS: Final = 3  # groups are counted over the ranked year and the two before it
POPULATION_PREFIX: Final = "pop_"
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ranking")


@dataclass(frozen=True)
class RankingParams:
    """What a coordinator chooses; part of the cache key."""

    period: str | None = None
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    smoothing: str = "global"
    indicators: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["weights"] = {k: float(v) for k, v in sorted(self.weights.items())}
        data["indicators"] = list(self.indicators)
        return data


def load_areas(bset: BoundarySet) -> geopandas.GeoDataFrame:
    """The stored areas as the library wants them: area_id, name, population, indicators, shapes."""
    rows = db.session.execute(
        select(Area.code, Area.name, Area.population, Area.indicators, Area.geometry_wkb)
        .where(Area.boundary_set_id == bset.id)
        .order_by(Area.code)
    ).all()
    codes, names, pops, indicators, wkb = zip(*rows, strict=True) if rows else ((), (), (), (), ())
    frame = pd.DataFrame({"area_id": list(codes), "name": list(names)})
    frame["population"] = pd.array([p if p is not None else None for p in pops], dtype="Float64").astype(float)
    extra = pd.DataFrame.from_records(list(indicators), index=frame.index) if rows else pd.DataFrame()
    frame = pd.concat([frame, extra.drop(columns=[c for c in extra.columns if c in frame.columns])], axis=1)
    return geopandas.GeoDataFrame(frame, geometry=shapely.from_wkb(list(wkb)), crs=4326)


def load_shapes(bset: BoundarySet) -> geopandas.GeoDataFrame:
    """Only ids and shapes, for maps and geo exports (no indicators to unpack)."""
    rows = db.session.execute(
        select(Area.code, Area.geometry_wkb).where(Area.boundary_set_id == bset.id).order_by(Area.code)
    ).all()
    return geopandas.GeoDataFrame(
        {"area_id": [code for code, _ in rows]}, geometry=shapely.from_wkb([wkb for _, wkb in rows]), crs=4326
    )


def indicator_columns(bset: BoundarySet) -> list[str]:
    """Numeric indicators a coordinator can weight (population-by-group columns excluded)."""
    names: dict[str, None] = {}
    for record in db.session.scalars(select(Area.indicators).where(Area.boundary_set_id == bset.id)):
        for key, value in (record or {}).items():
            if not key.startswith(POPULATION_PREFIX) and isinstance(value, int | float) and not isinstance(value, bool):
                names.setdefault(key)
    return list(names)


def top_area_ids(ranked: pd.DataFrame, n: int = SEGMENT_AREAS) -> list[str]:
    """The best-ranked areas a campaign would pick first (segments are sized for these)."""
    return ranked.loc[ranked["rank"].notna()].nsmallest(n, "rank")["area_id"].tolist()


def load_counts(incident_set: IncidentSet) -> pd.DataFrame:
    rows = db.session.execute(
        select(Area.code, IncidentRecord.period, func.sum(IncidentRecord.count))
        .join(Area, Area.id == IncidentRecord.area_id)
        .where(IncidentRecord.incident_set_id == incident_set.id)
        .group_by(Area.code, IncidentRecord.period)
        .order_by(Area.code, IncidentRecord.period)
    ).all()
    frame = pd.DataFrame(rows, columns=["area_id", "period", "count"])
    frame["period"] = frame["period"].astype(str)
    return frame


def load_incident_attributes(incident_set: IncidentSet) -> pd.DataFrame:
    """One row per recorded incident with its non-identifying attributes (for segments)."""
    rows = db.session.execute(
        select(Area.code, IncidentRecord.period, IncidentRecord.count, IncidentRecord.attributes)
        .join(Area, Area.id == IncidentRecord.area_id)
        .where(IncidentRecord.incident_set_id == incident_set.id)
    ).all()
    if not rows:
        return pd.DataFrame(columns=["area_id", "period"])
    codes, periods, counts, attrs = zip(*rows, strict=True)
    frame = pd.DataFrame.from_records(list(attrs))
    frame.insert(0, "area_id", list(codes))
    frame.insert(1, "period", [str(p) for p in periods])
    return frame.loc[frame.index.repeat(np.asarray(counts, dtype=np.int64))].reset_index(drop=True)


def population_by_group(areas: pd.DataFrame) -> pd.DataFrame:
    """Long population table from indicator columns named pop_<nationality>_<age band>_<sex>.

    The convention lets one indicators CSV carry the denominators segments need; coarser columns
    (pop_<nationality>) work too."""
    columns = [c for c in areas.columns if c.startswith(POPULATION_PREFIX)]
    if not columns:
        return pd.DataFrame()
    long = areas[["area_id", *columns]].melt(id_vars="area_id", var_name="group", value_name="population")
    parts = long["group"].str.slice(len(POPULATION_PREFIX)).str.split("_", n=2, expand=True)
    names = ["nationality", "age_band", "sex"][: parts.shape[1]]
    parts.columns = names
    out = pd.concat([long[["area_id"]], parts, long[["population"]]], axis=1)
    out["population"] = pd.to_numeric(out["population"], errors="coerce").fillna(0)
    return out.dropna(subset=names)


def input_hash(areas: pd.DataFrame, counts: pd.DataFrame, params: RankingParams, bset: BoundarySet) -> str:
    digest = hashlib.sha256()
    digest.update(bset.content_hash.encode())
    digest.update(pd.util.hash_pandas_object(counts, index=False).to_numpy().tobytes())
    indicator_cols = [c for c in areas.columns if c not in {"geometry"}]
    digest.update(pd.util.hash_pandas_object(areas[indicator_cols].astype(str), index=False).to_numpy().tobytes())
    digest.update(json.dumps(params.as_json(), sort_keys=True).encode())
    return digest.hexdigest()


def latest_incident_set(bset: BoundarySet) -> IncidentSet | None:
    return db.session.scalar(
        select(IncidentSet)
        .where(IncidentSet.boundary_set_id == bset.id, IncidentSet.status == "ready")
        .order_by(IncidentSet.id.desc())
        .limit(1)
    )


def available_periods(incident_set: IncidentSet | None) -> list[str]:
    if incident_set is None:
        return []
    rows = db.session.scalars(
        select(IncidentRecord.period).where(IncidentRecord.incident_set_id == incident_set.id).distinct()
    ).all()
    return [str(p) for p in sorted(int(p) for p in rows)]  # years in time order, not as text


def request_ranking(actor: Actor, bset: BoundarySet, incident_set: IncidentSet, params: RankingParams) -> RankingRun:
    """The run for these inputs: the cached one if it exists, else a new one (inline or queued).

    Raises `targeting.ranking.RankingInputError` (no run is created) when the library would
    refuse the inputs, for example an incident set without any incident in these areas."""
    areas = load_areas(bset)
    counts = load_counts(incident_set)
    key = input_hash(areas, counts, params, bset)
    existing = db.session.scalar(
        select(RankingRun).where(RankingRun.organisation_id == bset.organisation_id, RankingRun.input_hash == key)
    )
    if existing is not None and existing.status != "failed":
        return existing
    # Inputs the library would refuse are refused here, before a run exists, whatever the size
    # (a queued run would otherwise only fail later on its thread).
    check_rankable(areas, counts=counts, period=params.period)
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
    run = RankingRun(
        organisation_id=bset.organisation_id,
        boundary_set_id=bset.id,
        incident_set_id=incident_set.id,
        input_hash=key,
        params=params.as_json(),
        status="queued",
        progress=0.0,
        message="queued",
        created_by_id=actor.user.id if actor.user else None,
    )
    db.session.add(run)
    db.session.flush()
    audit.record(actor, "ranking.request", "ranking_run", run.id, boundary_set_id=bset.id, areas=len(areas))
    if len(areas) <= INLINE_AREAS:
        _execute(run, areas, counts, incident_set, params)
    else:
        db.session.commit()  # the worker thread must see the row
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        _executor.submit(run_in_background, app, run.id)
    return run


def run_in_background(app: Flask, run_id: int) -> None:
    with app.app_context(), write_intent():
        run = db.session.get(RankingRun, run_id)
        if run is None or run.status != "queued":
            return
        bset = run.boundary_set
        incident_set = db.session.get(IncidentSet, run.incident_set_id)
        if incident_set is None:
            return
        params = RankingParams(
            period=run.params.get("period"),
            weights=run.params.get("weights", DEFAULT_WEIGHTS),
            smoothing=run.params.get("smoothing", "global"),
            indicators=tuple(run.params.get("indicators", ())),
        )
        try:
            _execute(run, load_areas(bset), load_counts(incident_set), incident_set, params)
            db.session.commit()
        except RankingInputError as exc:  # the inputs cannot be ranked: the page shows why
            db.session.rollback()
            side_write(
                update(RankingRun)
                .where(RankingRun.id == run_id)
                .values(status="failed", error=str(exc)[:1000], finished_at=utcnow())
            )
        except Exception:
            db.session.rollback()
            log.exception("ranking run %s failed", run_id)
            side_write(
                update(RankingRun)
                .where(RankingRun.id == run_id)
                .values(
                    status="failed",
                    error="The ranking stopped with an internal error; it has been logged.",
                    finished_at=utcnow(),
                )
            )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", double_precision=10))
    return records


def segment_periods(periods: Sequence[str], period: str, years: int = SEGMENT_YEARS) -> list[str]:
    """The ranked period and the ones just before it: the window groups are counted over.

    One year of a few hundred incidents split by nationality, age and sex leaves nearly every
    group a small, hidden count; three years give numbers that can be shown while staying
    recent enough to describe who is at risk now."""
    try:
        ordered = sort_periods([str(p) for p in periods])
    except PeriodError:
        ordered = sorted(str(p) for p in periods)
    if period not in ordered:
        return [period]
    end = ordered.index(period) + 1
    return ordered[max(0, end - years) : end]


def _shown_throughout(
    counts: pd.DataFrame, areas: pd.DataFrame, top: list[str], window: list[str], k: int
) -> list[str]:
    """The areas of `top` whose count is shown in every period of `window` in the published
    area-by-year table (the boundary set's page protects the same table the same way).

    The groups table splits these areas' incidents over the window; were one of its cells hidden
    on that page, the groups' total (published when every group shows) minus the shown cells
    would give the hidden one back."""
    ids = areas["area_id"].astype(str).to_numpy()
    periods = np.unique(counts["period"].astype(str).to_numpy())
    table = np.zeros((len(ids), len(periods)), dtype=np.int64)
    rows = pd.Index(ids).get_indexer(counts["area_id"].astype(str))
    cols = np.searchsorted(periods, counts["period"].astype(str).to_numpy())
    found = rows >= 0
    np.add.at(table, (rows[found], cols[found]), counts["count"].to_numpy(dtype=np.int64)[found])
    hidden = protect_counts(table, k).hidden
    in_window = np.isin(periods, window)
    clean = set(ids[~hidden[:, in_window].any(axis=1)])
    return [a for a in top if a in clean]


def _segments(
    incidents: pd.DataFrame, areas: pd.DataFrame, top: list[str], periods: list[str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The groups table of a run and what the page needs to say how it was made."""
    population = population_by_group(areas)
    out: list[dict[str, Any]] = []
    if population.empty or not {"nationality", "age_band", "sex"} & set(incidents.columns):
        return out, {}
    by = [c for c in ("nationality", "age_band", "sex") if c in incidents.columns and c in population.columns]
    k = current_app.config["SETTINGS"].suppression_k
    segments = rank_segments_shown(incidents, population, by=by, areas=top, periods=periods, k=k, total_known=True)
    # Anything that would let a reader work back to a hidden count is blanked for hidden rows.
    hidden = segments["suppressed"].to_numpy(dtype=bool)
    for col in ("count", "incident_share", "relative_risk", "rr_low", "rr_high", "p_value"):
        segments[col] = segments[col].astype(float)
        segments.loc[hidden, col] = np.nan
    segments["languages"] = segments["languages"].map(list)
    about = {
        "segment_by": list(segments.attrs.get("by", ())),
        "segment_finer": [list(c) for c in segments.attrs.get("candidates_tried", ())],
        "segment_periods": periods,
    }
    out = _records(segments.drop(columns=["count_shown"], errors="ignore"))
    return out, about


def _execute(
    run: RankingRun,
    areas: geopandas.GeoDataFrame,
    counts: pd.DataFrame,
    incident_set: IncidentSet,
    params: RankingParams,
) -> None:
    run_id = run.id

    def progress(fraction: float, message: str) -> None:
        side_write(
            update(RankingRun)
            .where(RankingRun.id == run_id)
            .values(status="running", progress=round(fraction, 3), message=message[:200])
        )

    settings = current_app.config["SETTINGS"]
    cache_dir = Path(current_app.instance_path) / "cache" / "contiguity"
    ranked = rank_areas(
        areas,
        counts=counts,
        period=params.period,
        weights=dict(params.weights),
        indicators=params.indicators,
        smoothing="spatial" if params.smoothing == "spatial" else "global",
        k=settings.suppression_k,
        suppress=True,
        cache_dir=cache_dir,
        progress=progress,
    )
    period = str(ranked.attrs["period"])
    types = pd.DataFrame()
    incidents = load_incident_attributes(incident_set)
    # Segments and types split the incidents of the best-ranked areas whose count is shown: their
    # total is then the sum of shown counts, a published number, and the tables are protected
    # against it (targeting.privacy); an area with a hidden count would let the two tables be
    # subtracted from each other.
    top = [a for a in top_area_ids(ranked) if not ranked.loc[ranked["area_id"] == a, "suppressed"].iloc[0]]
    if "exploitation_type" in incidents.columns:
        types = rank_exploitation_types(
            incidents, areas=top, periods=[period], k=settings.suppression_k, total_known=True
        )
        hidden = types["suppressed"].to_numpy(dtype=bool)
        for col in ("count", "share", "share_low", "share_high"):
            types[col] = types[col].astype(float)
            types.loc[hidden, col] = np.nan
    meta = {key: (value if not isinstance(value, np.generic) else value.item()) for key, value in ranked.attrs.items()}
    meta["exploitation_types"] = _records(types.drop(columns=["count_shown"], errors="ignore")) if len(types) else []
    meta["synthetic"] = bool(incident_set.synthetic)
    window = segment_periods(meta.get("periods") or [period], period)
    top = _shown_throughout(counts, areas, top, window, settings.suppression_k)
    meta["segment_areas"] = top
    run.segments, about = _segments(incidents, areas, top, window)
    meta.update(about)
    ranked_ids = set(top_area_ids(ranked))
    meta["top_direction"] = compass_direction(areas, areas["area_id"].astype(str).isin(ranked_ids).to_numpy())
    run.rows = _records(ranked.drop(columns=[c for c in ranked.columns if c.startswith("factor_")]))
    run.meta = json.loads(json.dumps(meta, default=float))
    run.status = "done"
    run.progress = 1.0
    run.message = "done"
    run.finished_at = utcnow()
    db.session.flush()


def run_frame(run: RankingRun) -> pd.DataFrame:
    """The stored (suppressed) ranking back as a DataFrame, best rank first."""
    frame = pd.DataFrame.from_records(run.rows or [])
    if "rank" in frame.columns:
        frame["rank"] = frame["rank"].astype("Int64")
        frame["count"] = frame["count"].astype("Int64")
        frame["gi_bin"] = frame["gi_bin"].astype("Int8")
    return frame


def weights_from_form(values: Mapping[str, str], indicators: Sequence[str]) -> tuple[dict[str, float], list[str]]:
    """Weights typed by a coordinator on the form's 0-10 scale, with an error per field that is not
    a number from 0 to 10. Returned as proportions (summing to 1, when any is above 0), so 4-3-2-1
    and 8-6-4-2 are the same ranking and find the same stored run."""
    weights: dict[str, float] = {}
    errors: list[str] = []
    for name in (*FACTORS, *indicators):
        raw = (values.get(f"w_{name}") or "").strip().replace(",", ".")
        if raw == "":
            weights[name] = float(DEFAULT_WEIGHTS.get(name, 0.0)) * 10
            continue
        try:
            value = float(raw)
        except ValueError:
            errors.append(name)
            continue
        if not 0 <= value <= 10:
            errors.append(name)
            continue
        weights[name] = value
    total = sum(weights.values())
    if total > 0 and not errors:
        weights = {name: round(value / total, 6) for name, value in weights.items()}
    return weights, errors
