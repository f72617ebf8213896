"""Incident imports: small ones at once, large ones as background jobs that survive a restart.

A million incident points take longer to store than a web worker may take for a request, and
one transaction holding SQLite's write lock for that long would stop every other writer (a
colleague signing in). So a file with more than `IMPORT_INLINE_ROWS` rows is stored by a job:

* The set is created `importing`, with the uploaded bytes beside it in the instance folder.
  Every query that reads incidents takes `ready` sets only, so nothing of it shows meanwhile.
* The job claims the set by stamping `heartbeat_at` (only if no live job holds it), deletes any
  rows a dead attempt left, reads the file again, and inserts the rows in chunks, each chunk
  with its own short transaction that also moves the progress and the heartbeat.
* The last transaction marks the set `ready`. All or nothing: until then no row is visible, and
  a job that fails deletes its rows and marks the set `failed`.
* A job killed mid-way (a restart, a SIGKILL) stops stamping its heartbeat; after `STALE` the
  next look at its progress page, or the scheduler's `resume_imports` job, claims it again and
  starts over from the file, so every row is stored once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, cast

import geopandas
import numpy as np
import pandas as pd
from flask import Flask, current_app
from sqlalchemy import CursorResult, Result, delete, insert, select, update

from targeting.assign import points_to_areas
from targeting.inputs import ALLOWED_ATTRIBUTES, ValidationReport, read_counts, read_incidents
from targeting.privacy import published_count

from ..db import write_intent
from ..extensions import db
from ..models import Area, BoundarySet, IncidentRecord, IncidentSet, User, utcnow
from . import audit
from .ranking import load_shapes

log = logging.getLogger(__name__)

STALE: Final = timedelta(seconds=60)
CHUNK_ROWS: Final = 20_000
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import")
Progress = Callable[[int, int], None]


def read_incident_frame(
    name: str, data: bytes, options: dict[str, Any], areas: geopandas.GeoDataFrame
) -> tuple[pd.DataFrame, ValidationReport]:
    """The incidents of an uploaded file as the import stores them: counts as read, points with
    the id of the area each falls in (None outside every area). The web check adds its own
    checks on top; the background job reads the same bytes with the same options again."""
    if options.get("kind") == "counts":
        return read_counts(
            (name, data),
            area_col=options.get("area_field") or "area_id",
            period_col=options.get("period_field") or "period",
            count_col=options.get("count_field") or "count",
        )
    points, report = read_incidents(
        (name, data),
        date_col=options.get("date_field") or "date",
        lat_col=options.get("lat_field") or "latitude",
        lon_col=options.get("lon_field") or "longitude",
        period="year",
    )
    if report.ok and len(points):
        index = points_to_areas(points.geometry.values, areas.geometry.values)
        points = points.assign(area_id=np.where(index >= 0, areas["area_id"].to_numpy()[np.maximum(index, 0)], None))
    return points, report


def incident_rows(frame: pd.DataFrame, kind: str, set_id: int, ids: dict[str, int]) -> pd.DataFrame:
    """The `incident_records` rows of a checked frame: counts summed per area and year (zeros are
    not stored), points one row each with their non-identifying attributes."""
    if kind == "counts":
        table = frame.assign(area=frame["area_id"].astype(str).map(ids)).dropna(subset=["area"])
        table = table.groupby(["area", "period"], as_index=False)["count"].sum()
        table = table[table["count"] > 0]
        return pd.DataFrame({
            "incident_set_id": set_id,
            "area_id": table["area"].astype(int),
            "period": table["period"].astype(int),
            "count": table["count"].astype(int),
            "attributes": [{} for _ in range(len(table))],
        })  # fmt: skip
    table = pd.DataFrame(frame.drop(columns=["geometry"], errors="ignore")).dropna(subset=["area_id"])
    attrs = [c for c in ALLOWED_ATTRIBUTES if c in table.columns]
    attributes = (
        table[attrs].astype(object).where(table[attrs].notna(), None).to_dict(orient="records")
        if attrs
        else [{} for _ in range(len(table))]
    )
    return pd.DataFrame({
        "incident_set_id": set_id,
        "area_id": table["area_id"].astype(str).map(ids).astype(int),
        "period": table["period"].astype(str).str.slice(0, 4).astype(int),
        "count": 1,
        "attributes": attributes,
    })  # fmt: skip


def area_ids(boundary_set_id: int) -> dict[str, int]:
    return dict(db.session.execute(select(Area.code, Area.id).where(Area.boundary_set_id == boundary_set_id)).all())


def insert_rows(rows: pd.DataFrame, after_chunk: Progress | None = None) -> None:
    """Insert in chunks of CHUNK_ROWS (dicts for one chunk at a time, not a million at once);
    `after_chunk(stored, total)` runs after each, in its transaction (the job commits there)."""
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows.iloc[start : start + CHUNK_ROWS]
        db.session.execute(insert(IncidentRecord), chunk.to_dict(orient="records"))
        if after_chunk is not None:
            after_chunk(start + len(chunk), len(rows))


class _SetGone(LookupError):
    """The set being imported was deleted meanwhile: the job stops and keeps nothing."""


# --- background jobs ---------------------------------------------------------------------------


def upload_path(instance_path: str | Path, set_id: int) -> Path:
    folder = Path(instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{int(set_id)}.upload"


def queue(
    actor: audit.Actor, bset: BoundarySet, set_name: str, source: str, data: bytes, options: dict[str, Any]
) -> IncidentSet:
    """Create the `importing` set and keep its bytes for the job (the caller commits, then `start`s)."""
    assert actor.user is not None
    inc = IncidentSet(
        organisation_id=actor.user.organisation_id, boundary_set_id=bset.id, name=set_name, synthetic=False,
        source=source, status="importing", progress=0.0,
        import_options={**options, "user_id": actor.user.id},
    )  # fmt: skip
    db.session.add(inc)
    db.session.flush()
    path = upload_path(current_app.instance_path, inc.id)
    temporary = path.with_suffix(".partial")
    temporary.write_bytes(data)
    temporary.replace(path)
    audit.record(actor, "incident_set.import_queued", "incident_set", inc.id, kind=options.get("kind"))
    return inc


def start(app: Flask, set_id: int) -> None:
    _executor.submit(run, app, set_id)


def _rowcount(result: Result[Any]) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


def _claim(set_id: int, now: datetime) -> bool:
    """Take the job unless a live one holds it: an atomic compare-and-set on the heartbeat."""
    with write_intent():
        claimed = _rowcount(db.session.execute(
            update(IncidentSet)
            .where(
                IncidentSet.id == set_id,
                IncidentSet.status == "importing",
                (IncidentSet.heartbeat_at.is_(None)) | (IncidentSet.heartbeat_at < now - STALE),
            )
            .values(heartbeat_at=now)
        ))
        db.session.commit()
    return bool(claimed)


def _delete_rows(set_id: int) -> None:
    """Rows of an earlier attempt, in short transactions (a million rows must not hold the lock)."""
    while True:
        with write_intent():
            batch = select(IncidentRecord.id).where(IncidentRecord.incident_set_id == set_id).limit(CHUNK_ROWS)
            gone = _rowcount(db.session.execute(delete(IncidentRecord).where(IncidentRecord.id.in_(batch))))
            db.session.commit()
        if not gone:
            return


def run(app: Flask, set_id: int) -> None:
    """Store one queued import (see the module docstring); returns at once if another job has it."""
    with app.app_context():
        if not _claim(set_id, utcnow()):
            return
        try:
            _run_claimed(set_id)
        except Exception:
            db.session.rollback()
            log.exception("background import of incident set %s failed", set_id)  # ids only, no names
            _delete_rows(set_id)
            with write_intent():
                db.session.execute(update(IncidentSet).where(IncidentSet.id == set_id).values(
                    status="failed", heartbeat_at=None, error="internal error (logged); nothing stored"))  # fmt: skip
                db.session.commit()
        finally:
            db.session.remove()


def _run_claimed(set_id: int) -> None:
    _delete_rows(set_id)
    inc = db.session.get(IncidentSet, set_id)
    assert inc is not None and inc.import_options is not None
    options = dict(inc.import_options)
    boundary_set_id, organisation_id = inc.boundary_set_id, inc.organisation_id
    path = upload_path(current_app.instance_path, set_id)
    bset = db.session.get(BoundarySet, boundary_set_id)
    assert bset is not None
    shapes = load_shapes(bset)
    ids = area_ids(boundary_set_id)
    db.session.commit()  # no transaction while the file is read
    frame, report = read_incident_frame(str(options.get("filename", "upload")), path.read_bytes(), options, shapes)
    if not report.ok:
        raise ValueError(f"the file of incident set {set_id} no longer passes its check")
    rows = incident_rows(frame, str(options.get("kind")), set_id, ids)
    def after_chunk(stored: int, total: int) -> None:
        alive = _rowcount(db.session.execute(
            update(IncidentSet)
            .where(IncidentSet.id == set_id, IncidentSet.status == "importing")
            .values(progress=round(stored / total * 0.99, 3), heartbeat_at=utcnow())
        ))  # fmt: skip
        if not alive:
            raise _SetGone(set_id)
        db.session.commit()  # each chunk its own short transaction; the next begins IMMEDIATE again
        chunk_stored(set_id, stored)

    try:
        with write_intent():
            insert_rows(rows, after_chunk)
    except _SetGone:
        db.session.rollback()
        _delete_rows(set_id)
        return
    with write_intent():
        user = db.session.get(User, options.get("user_id")) if options.get("user_id") else None
        actor = audit.Actor("web", user) if user is not None else audit.SCHEDULER
        db.session.execute(update(IncidentSet).where(IncidentSet.id == set_id).values(
            status="ready", progress=1.0, heartbeat_at=None, import_options=None))  # fmt: skip
        k = current_app.config["SETTINGS"].suppression_k
        audit.record(actor, "incident_set.create", "incident_set", set_id, organisation_id=organisation_id,
                     kind=options.get("kind"), records=published_count(len(rows), k), background=True)  # fmt: skip
        db.session.commit()
    path.unlink(missing_ok=True)


def chunk_stored(set_id: int, rows: int) -> None:
    """Called after each committed chunk (tests stop a job here to kill it mid-way)."""


def stale_imports(now: datetime | None = None) -> list[int]:
    now = now or utcnow()
    return list(db.session.scalars(select(IncidentSet.id).where(
        IncidentSet.status == "importing",
        (IncidentSet.heartbeat_at.is_(None)) | (IncidentSet.heartbeat_at < now - STALE),
    )))  # fmt: skip


def resume_stale(app: Flask, now: datetime | None = None) -> dict[str, Any]:
    """Start a job for every import whose job died (the scheduler's `resume_imports`).

    On threads, not here: the scheduler holds its claim transaction open while a job function
    runs, and on SQLite the import's own transactions would wait for it."""
    ids = stale_imports(now)
    for set_id in ids:
        start(app, set_id)
    return {"resumed": len(ids)}
