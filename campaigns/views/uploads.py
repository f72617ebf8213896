"""Uploads: boundaries, incidents and indicators, each previewed before anything is stored.

Step one reads and checks the file and shows the first rows with every problem, named by row
and column. Only a file without errors can be imported, and the import (step two) is one
transaction: it lands whole or not at all. The file waits between the steps in the instance
folder under a random name bound to the uploading user (`services.parked_uploads`, which keeps
its original name too), and is deleted after the import or, never imported, by the scheduler's
`purge_parked_uploads` job. Whatever the check lets through the import can store: problems the
database would only find at the import (a null shape, a population or year no INTEGER column
holds, a set name already taken) are named at the check, and the import answers a 422 page,
never a 500, if one still slips through.

Table files (incident counts and points, indicators) whose header does not name the columns the
importer expects get a column-mapping step first: the file is parked, the page proposes which of
its columns holds each required one (`targeting.inputs.guess_columns`), and the coordinator
confirms or corrects; the check then reads the parked file with that mapping, so nothing is
uploaded twice. Every upload page offers a template with the exact header (`template`), built
from the same column definitions (`targeting.inputs.LAYOUTS`) the readers use.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import geopandas
import pandas as pd
import shapely
from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError

from targeting.csv_cells import csv_text
from targeting.demo import DEMO_SETS
from targeting.inputs import (
    FILE_KINDS,
    LAYOUTS,
    FileKind,
    Issue,
    ValidationReport,
    check_area_ids,
    find_column,
    guess_columns,
    needs_mapping,
    read_areas,
    read_columns,
    read_head,
    read_indicators,
    small_count_cells,
    template_table,
)
from targeting.privacy import published_count

from ..access import Section
from ..bounded_ints import db_int
from ..downloads import attachment
from ..extensions import db
from ..models import Area, BoundarySet, IncidentSet, Role, utcnow
from ..plain_text import strip_controls, uploaded_filename
from ..queries import org_boundary_set
from ..services import audit, imports, parked_uploads
from ..services.demo import boundary_hash
from ..services.ranking import load_shapes

bp = Section("uploads", __name__, url_prefix="/targeting", roles={Role.ADMIN, Role.COORDINATOR})

PREVIEW_ROWS: Final = 10
# Years a population count can be for: a census year, past or planned. Anything else typed in the
# field is a slip (a superscript "²", a run of nines), refused on the check with the field named.
POPULATION_YEARS: Final = range(1900, 2101)


def _park(filename: str, data: bytes) -> str:
    """Keep the checked file, with its original name, for this user's import step."""
    return parked_uploads.park(current_app.instance_path, g.user.id, filename, data)


def _take(token: str) -> parked_uploads.ParkedUpload:
    """The parked file of this user; 400 for a token that is not one (a forged form)."""
    try:
        return parked_uploads.take(current_app.instance_path, g.user.id, token)
    except ValueError:
        abort(400)


def _uploaded() -> tuple[str, bytes] | None:
    file = request.files.get("file")
    name = uploaded_filename(file.filename) if file is not None else ""
    if file is None or not name:
        return None
    return name, file.read()


def _preview(
    frame: pd.DataFrame,
    report: ValidationReport | None = None,
    upload: tuple[str, bytes] | None = None,
    layout: FileKind | None = None,
) -> dict[str, Any] | None:
    """The first rows to show under the check: the file's own rows as typed when it is a CSV
    (so a bad value is shown as the coordinator wrote it, marked), else the rows as read.

    Small counts (1 to k-1) are never echoed back, not even the uploader's own: in a counts file
    the count column's small numbers show as "•". A value that is no count ('twelve') is shown:
    a word discloses nothing, and the coordinator has to see it to fix it."""
    raw = read_head(upload, PREVIEW_ROWS) if upload is not None and layout is not None else None
    if raw is not None and len(raw.columns):
        return _raw_preview(frame, raw, report, layout)
    if frame.empty:
        return None
    table = pd.DataFrame(frame.drop(columns=["geometry"], errors="ignore")).head(PREVIEW_ROWS)
    if "count" in table.columns:  # even the uploader's own small counts are not echoed back
        k = current_app.config["SETTINGS"].suppression_k
        values = pd.to_numeric(table["count"], errors="coerce")
        table["count"] = table["count"].astype(object).where(~((values >= 1) & (values < k)), "•")
    return {
        "columns": [str(c) for c in table.columns],
        "rows": [
            {"number": None, "problem": None, "cells": [{"value": v, "problem": None} for v in row]}
            for row in table.astype(object).where(table.notna(), "").values.tolist()
        ],
        # A file of a few incidents is a small count too: the caption then gives no number.
        "total_shown": None if _few(len(frame)) else len(frame),
        "raw": False,
    }


def _raw_preview(
    frame: pd.DataFrame, raw: pd.DataFrame, report: ValidationReport | None, layout: FileKind | None
) -> dict[str, Any]:
    columns = [str(c) for c in raw.columns]
    cells: dict[tuple[int, str | None], str] = {}
    for issue in report.issues if report is not None else []:
        for row in issue.head_rows or issue.rows:
            key = (row, issue.column if issue.column in columns else None)
            if cells.get(key) != "error":
                cells[key] = issue.severity
    hidden = pd.DataFrame(False, index=raw.index, columns=raw.columns)
    if layout == "counts":
        count_c = find_column(columns, _given("counts")["count"])
        if count_c is not None:
            hidden[count_c] = small_count_cells(raw[count_c], current_app.config["SETTINGS"].suppression_k)
    rows = []
    for position, values in zip(raw.index, raw.astype(str).to_numpy().tolist(), strict=True):
        number = int(position) + 2
        rows.append({
            "number": number,
            "problem": cells.get((number, None)),
            "cells": [
                {"value": "•" if hidden.at[position, column] else value, "problem": cells.get((number, column))}
                for column, value in zip(columns, values, strict=True)
            ],
        })  # fmt: skip
    total = len(frame)
    dropped = next((i for i in (report.issues if report else []) if i.code == "rows_dropped"), None)
    if dropped is not None:
        total = int(dropped.params.get("total", total))
    mapped = {}
    if layout is not None:
        given = _given(layout)
        for spec in LAYOUTS[layout].required:
            found = find_column(columns, given[spec.name])
            if found is not None:
                mapped[found] = spec.name
    return {
        "columns": columns,
        "mapped": mapped,
        "rows": rows,
        "total_shown": None if frame.empty or _few(total) else total,
        "raw": True,
        "layout": layout,
    }


# The form field that names the file's column for each required column of a table file.
FORM_FIELDS: Final[dict[str, str]] = {
    "area_id": "area_field",
    "period": "period_field",
    "count": "count_field",
    "date": "date_field",
    "latitude": "lat_field",
    "longitude": "lon_field",
}
FIELD_LABELS: Final = {
    "area_id": _l("Area id"),
    "period": _l("Period (year)"),
    "count": _l("Number of incidents"),
    "date": _l("Date of the incident"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
}
FIELD_HINTS: Final = {
    "area_id": _l("The id of the area exactly as in this boundary set; leading zeros count."),
    "period": _l("A year, for example 2021."),
    "count": _l("A whole number, 0 or more."),
    "date": _l("A date as year-month-day, for example 2021-07-15."),
    "latitude": _l("Decimal degrees from -90 to 90, for example 33.749."),
    "longitude": _l("Decimal degrees from -180 to 180, for example -84.388."),
}


def _given(layout: FileKind) -> dict[str, str]:
    """The file's column for each required column, as the form names it (the expected name when blank)."""
    form = request.form
    return {
        spec.name: (strip_controls(form.get(FORM_FIELDS[spec.name])) or spec.name)[:200]
        for spec in LAYOUTS[layout].required
    }


def _mapping_step(
    layout: FileKind, columns: list[str], guess: bool = True
) -> dict[str, Any]:
    """What the mapping form shows: one select per required column, pre-filled with the guess."""
    given = _given(layout)
    chosen = guess_columns(columns, layout, given) if guess else {
        name: find_column(columns, value) for name, value in given.items()}  # fmt: skip
    return {
        "columns": columns,
        "fields": [
            {
                "name": FORM_FIELDS[spec.name],
                "expected": spec.name,
                "label": FIELD_LABELS[spec.name],
                "hint": FIELD_HINTS[spec.name],
                "choice": chosen.get(spec.name) or "",
            }
            for spec in LAYOUTS[layout].required
        ],
    }


def _mapping_problem(layout: FileKind, columns: list[str]) -> str | None:
    """A message when the submitted mapping leaves a required column unchosen or uses one column twice."""
    given = _given(layout)
    unchosen = [str(FIELD_LABELS[name]) for name, value in given.items() if find_column(columns, value) is None]
    if unchosen:
        return gettext(
            "Choose the file's column for: %(fields)s. If the file has no such column, add it (see the template).",
            fields=", ".join(unchosen),
        )
    by_column: dict[str, list[str]] = {}
    for name, value in given.items():
        by_column.setdefault(str(find_column(columns, value)), []).append(str(FIELD_LABELS[name]))
    twice = next(((column, names) for column, names in by_column.items() if len(names) > 1), None)
    if twice is not None:
        return gettext(
            "Column “%(column)s” is chosen for %(fields)s; each needs a column of its own.",
            column=twice[0],
            fields=" / ".join(twice[1]),
        )
    return None


def _demo_spec_title(bset: BoundarySet | None) -> str | None:
    """The demo data set's title when `bset` is one of the bundled demo sets (their ids are FIPS codes)."""
    if bset is None:
        return None
    return next(
        (
            spec.title
            for spec in DEMO_SETS.values()
            # the source as loaded; a set loaded before the demo's source text changed keeps its title
            if spec.source == bset.source or (spec.title == bset.name and "libpysal" in bset.source)
        ),
        None,
    )


def _example_ids(bset: BoundarySet | None, n: int = 3) -> list[tuple[str, str]]:
    if bset is None:
        return []
    rows = db.session.execute(
        select(Area.code, Area.name).where(Area.boundary_set_id == bset.id).order_by(Area.code).limit(n)
    ).all()
    return [(str(code), str(name)) for code, name in rows]


def _render(
    kind: str,
    report: ValidationReport | None,
    preview: dict[str, Any] | None,
    token: str | None,
    bset: BoundarySet | None = None,
    status: int = 200,
    **extra: Any,
) -> Any:
    return render_template(
        "targeting/upload.html",
        kind=kind,
        report=report,
        preview=preview,
        token=token,
        bset=bset,
        form=request.form,
        layouts=LAYOUTS,
        form_fields=FORM_FIELDS,
        field_labels=FIELD_LABELS,
        field_hints=FIELD_HINTS,
        demo_title=_demo_spec_title(bset),
        example_ids=_example_ids(bset),
        suppression_k=current_app.config["SETTINGS"].suppression_k,
        **extra,
    ), status


Check = Callable[[str, bytes], tuple[pd.DataFrame, ValidationReport]]
Prepare = Callable[[], object]


def _loader(load: Callable[[], geopandas.GeoDataFrame]) -> Callable[[], geopandas.GeoDataFrame]:
    """`load` run once per request: read from the database before a check, reused inside it."""
    loaded: list[geopandas.GeoDataFrame] = []

    def get() -> geopandas.GeoDataFrame:
        if not loaded:
            loaded.append(load())
        return loaded[0]

    return get


def _checked(check: Check, name: str, data: bytes, prepare: Prepare | None) -> tuple[pd.DataFrame, ValidationReport]:
    """Run a file check with no database transaction open.

    A POST's transaction begins with BEGIN IMMEDIATE on SQLite, so it holds the write lock from
    the sign-in lookup on; a check takes seconds on a big file, and every other writer (a
    colleague signing in) would wait behind it and fail after the busy timeout. So what the check
    needs is read first, the read transaction is ended (nothing has been written yet), and the
    store that follows opens a transaction of its own only when it writes."""
    if prepare is not None:
        prepare()
    db.session.commit()
    return check(name, data)


Store = Callable[[str, pd.DataFrame, bytes], Any]
Precheck = Callable[[], str | None]

# What an import can still raise on values the check let through: a constraint (a name taken
# between the two steps), a number the column or a cast cannot hold. Each is the file's or the
# form's fault, so it is a 422 with nothing stored, never a 500 (real bugs are logged).
_BAD_INPUT_ERRORS: Final = (IntegrityError, DataError, OverflowError, ValueError)


def _check_then_import(
    kind: str,
    check: Check,
    store: Store,
    *,
    bset: BoundarySet | None = None,
    precheck: Precheck | None = None,
    prepare: Prepare | None = None,
    layout: Callable[[], FileKind] | None = None,
) -> Any:
    """The one flow every upload follows: check and preview, then import the parked file.

    The file is read again at import (the same bytes give the same result), so nothing but the
    bytes and the original file name wait between the two requests. `precheck` returns a
    message about the form (a set name already taken, a year that is no year); it runs at both
    steps, so the import never meets a problem the check could have named.

    `layout` gives the kind of table file the form describes; a CSV whose header lacks a required
    column of it is parked and answered with the column-mapping step (a form posting
    `step=map` with the token), and the check then runs on the parked bytes with that mapping."""
    if request.method == "GET":
        return _render(kind, None, None, None, bset)
    table = layout() if layout is not None else None
    token = request.form.get("token")
    if token:
        try:
            parked = _take(token)
        except parked_uploads.UploadExpired:
            message = gettext("This upload has expired or was already imported; upload the file again.")
            return _render(kind, None, None, None, bset, status=410, form_error=message)
        problem = precheck() if precheck else None
        if problem:
            return _render(kind, None, None, None, bset, status=422, form_error=problem)
        if request.form.get("step") == "map" and table is not None:
            return _check_mapped(kind, check, (parked.name, parked.data), token, table, bset, prepare)
        frame, report = _checked(check, parked.name, parked.data, prepare)
        if not report.ok:
            return _render(kind, report, _preview(frame, report, (parked.name, parked.data), table), None, bset,
                           status=422)  # fmt: skip
        try:
            response = store(parked.name, frame, parked.data)
            db.session.flush()
        except _BAD_INPUT_ERRORS as exc:
            db.session.rollback()
            # Only the kind of error and the constraint: the message (and PostgreSQL's DETAIL line)
            # quotes the values, which are uploaded names and numbers, and logs must hold none.
            orig = getattr(exc, "orig", None)
            constraint = getattr(getattr(orig, "diag", None), "constraint_name", None) or "-"
            current_app.logger.error(
                "import of a checked %s upload failed: %s (constraint %s)", kind, type(orig or exc).__name__, constraint
            )
            message = gettext(
                "Nothing was imported: the file holds a value that cannot be stored. Check the file again; "
                "if the check finds nothing, tell your administrator."
            )
            return _render(kind, None, None, None, bset, status=422, form_error=message)
        parked.path.unlink(missing_ok=True)
        return response
    upload = _uploaded()
    if upload is None:
        return _render(kind, None, None, None, bset, status=422, missing_file=True)
    problem = precheck() if precheck else None
    if problem:
        return _render(kind, None, None, None, bset, status=422, form_error=problem)
    if table is not None:
        columns = read_columns(upload)
        if columns is not None and needs_mapping(columns, table, _given(table)):
            token = _park(*upload)
            return _render(kind, None, None, token, bset, mapping=_mapping_step(table, columns))
    frame, report = _checked(check, *upload, prepare)
    token = _park(*upload) if report.ok else None
    return _render(kind, report, _preview(frame, report, upload, table), token, bset,
                   status=200 if report.ok else 422)  # fmt: skip


def _check_mapped(
    kind: str,
    check: Check,
    upload: tuple[str, bytes],
    token: str,
    table: FileKind,
    bset: BoundarySet | None,
    prepare: Prepare | None,
) -> Any:
    """The check of a parked file with the columns the coordinator chose; the mapping form stays
    (with the same parked file) until the check passes, so a wrong choice is corrected in place."""
    columns = read_columns(upload) or []
    problem = _mapping_problem(table, columns)
    if problem:
        return _render(kind, None, None, token, bset, status=422, form_error=problem,
                       mapping=_mapping_step(table, columns, guess=False))  # fmt: skip
    frame, report = _checked(check, *upload, prepare)
    preview = _preview(frame, report, upload, table)
    if report.ok:
        return _render(kind, report, preview, token, bset)
    return _render(kind, report, preview, token, bset, status=422,
                   mapping=_mapping_step(table, columns, guess=False))  # fmt: skip


def _few(n: int) -> bool:
    """True for a count this product never shows (1 to k-1), which messages call "fewer than k"."""
    return 1 <= n < current_app.config["SETTINGS"].suppression_k


def _name_taken(model: type[BoundarySet] | type[IncidentSet], name: str) -> bool:
    return (
        db.session.scalar(select(model.id).where(model.organisation_id == g.user.organisation_id, model.name == name))
        is not None
    )


def _unique_name(model: type[IncidentSet], base: str) -> str:
    """`base`, or `base (date)`, `base (date, 2)`, ...: the first that no set of the organisation has.

    For default names only (a name the user typed is refused when taken, not changed)."""
    taken = set(
        db.session.scalars(
            select(model.name).where(
                model.organisation_id == g.user.organisation_id, model.name.startswith(base[:150], autoescape=True)
            )
        )
    )
    day = f"{utcnow():%Y-%m-%d}"
    candidates = [base, f"{base[:180]} ({day})"]
    candidates += [f"{base[:170]} ({day}, {n})" for n in range(2, len(taken) + 3)]
    return next(c for c in candidates if c not in taken)


# --- boundaries -----------------------------------------------------------------------------


def _read_boundaries(name: str, data: bytes) -> tuple[geopandas.GeoDataFrame, ValidationReport]:
    form = request.form
    areas, report = read_areas(
        (name, data),
        id_col=form.get("id_field", "").strip(),
        name_col=form.get("name_field", "").strip() or None,
        population_col=form.get("population_field", "").strip() or None,
    )
    _refuse_areas_without_shape(areas, report)
    return areas, report


def _refuse_areas_without_shape(areas: geopandas.GeoDataFrame, report: ValidationReport) -> None:
    """Turn the library's "area has no shape" warning into an error naming the features.

    The library keeps such areas (a CLI ranking can list them), but the database stores every
    area with its outline, so a feature whose "geometry" is null would pass the check and then
    fail the import. The warning's rows are the data rows (index + 2), so the ids come from there."""
    empty = [issue for issue in report.issues if issue.code == "geometry_empty"]
    if not empty:
        return
    report.issues = [issue for issue in report.issues if issue.code != "geometry_empty"]
    issue = empty[0]
    ids = areas["area_id"].reindex(pd.Index(issue.rows, dtype="int64") - 2).fillna("").astype(str)
    rows = ", ".join(str(r) for r in issue.rows) + (" …" if issue.count > len(issue.rows) else "")
    message = ngettext(
        "Feature in row %(rows)s (area id %(ids)s): its “geometry” is null or empty, but every area needs a "
        "polygon outline to be imported. Add the shape, or remove the feature from the file.",
        "Features in rows %(rows)s (area ids %(ids)s): their “geometry” is null or empty, but every area needs a "
        "polygon outline to be imported. Add the shapes, or remove these features from the file.",
        issue.count,
        rows=rows,
        ids=", ".join(f"'{i}'" for i in ids),
    )
    report.add(
        Issue(
            severity="error",
            code="geometry_missing",
            message=message,
            column="geometry",
            rows=issue.rows,
            count=issue.count,
        )
    )


@bp.route("/upload/boundaries", methods=["GET", "POST"])
def boundaries() -> Any:
    set_name = strip_controls(request.form.get("set_name"))[:200]

    def precheck() -> str | None:
        if not set_name:
            return gettext("Give the boundary set a name.")
        if _name_taken(BoundarySet, set_name):
            return gettext("Your organisation already has a boundary set with this name; choose another.")
        return _population_year_problem()

    def store(name: str, areas: pd.DataFrame, _data: bytes) -> Any:
        bset = _import_boundaries(geopandas.GeoDataFrame(areas), set_name, name)
        flash(gettext("Imported %(n)s areas into “%(name)s”.", n=len(areas), name=bset.name), "success")
        return redirect(url_for("targeting.boundary_set", set_id=bset.id))

    return _check_then_import("boundaries", _read_boundaries, store, precheck=precheck)


def _population_year_problem() -> str | None:
    """A message when the optional population year is not a plain year from 1900 to 2100.

    `int()` would read "²" as nothing useful and thirty nines as a number no INTEGER column holds;
    `db_int` reads only ASCII digits, and the range keeps out typing slips such as 20211."""
    text = (request.form.get("population_year") or "").strip()
    if not text or db_int(text, minimum=POPULATION_YEARS.start, maximum=POPULATION_YEARS.stop - 1) is not None:
        return None
    return gettext(
        "Year of the population figures: “%(value)s” is not a year. Write the year in digits from %(first)s to "
        "%(last)s, for example 2021, or leave the field empty.",
        value=strip_controls(text)[:20],
        first=POPULATION_YEARS.start,
        last=POPULATION_YEARS.stop - 1,
    )


def _import_boundaries(areas: geopandas.GeoDataFrame, set_name: str, filename: str) -> BoundarySet:
    year_text = (request.form.get("population_year") or "").strip()
    bset = BoundarySet(
        organisation_id=g.user.organisation_id,
        name=set_name or Path(filename).stem,
        source=strip_controls(request.form.get("source"))[:500] or gettext("Uploaded file %(name)s", name=filename),
        population_year=db_int(year_text, minimum=POPULATION_YEARS.start, maximum=POPULATION_YEARS.stop - 1),
        content_hash=boundary_hash(areas),
    )
    db.session.add(bset)
    db.session.flush()
    skip = {"area_id", "name", "population", "geometry"}
    numeric = [c for c in areas.columns if c not in skip and pd.api.types.is_numeric_dtype(areas[c])]
    indicators = areas[numeric].astype(float).round(6).astype(object).where(areas[numeric].notna(), None)
    population = pd.to_numeric(areas["population"], errors="coerce")
    rows = pd.DataFrame(
        {
            "boundary_set_id": bset.id,
            "code": areas["area_id"].astype(str),
            "name": areas["name"].astype(str).map(strip_controls).str.slice(0, 200),
            "population": population.round().astype("Int64").astype(object).where(population.notna(), None),
            "indicators": indicators.to_dict(orient="records") if numeric else [{} for _ in range(len(areas))],
            "geometry_wkb": shapely.to_wkb(areas.geometry.to_numpy(), output_dimension=2),
        }
    )
    db.session.execute(insert(Area), rows.to_dict(orient="records"))
    audit.record(g.actor, "boundary_set.create", "boundary_set", bset.id, areas=len(rows))
    return bset


# --- incidents ------------------------------------------------------------------------------


def _import_options(filename: str) -> dict[str, Any]:
    """What the import needs to read the file again as the check read it (kept with a queued job)."""
    form = request.form
    return {
        "kind": "counts" if form.get("incident_kind") == "counts" else "points",
        "filename": filename,
        "date_field": form.get("date_field", "date").strip() or "date",
        "lat_field": form.get("lat_field", "latitude").strip() or "latitude",
        "lon_field": form.get("lon_field", "longitude").strip() or "longitude",
        "area_field": form.get("area_field", "area_id").strip() or "area_id",
        "period_field": form.get("period_field", "period").strip() or "period",
        "count_field": form.get("count_field", "count").strip() or "count",
    }


def _read_incident_file(name: str, data: bytes, areas: geopandas.GeoDataFrame) -> tuple[pd.DataFrame, ValidationReport]:
    options = _import_options(name)
    frame, report = imports.read_incident_frame(name, data, options, areas)
    if options["kind"] == "counts":
        if report.ok and len(frame):
            report.extend(check_area_ids(frame, areas).issues)
            bad_period = ~frame["period"].astype(str).str.fullmatch(r"\d{4}")
            if bad_period.any():
                message = gettext(
                    "The planner stores yearly counts: %(n)s rows have a period that is not a year "
                    "(for example %(ex)s).",
                    n=int(bad_period.sum()),
                    ex=str(frame.loc[bad_period, "period"].iloc[0]),
                )
                report.add(_app_issue("period_not_year", message, "period"))
            _refuse_if_nothing_to_rank(frame, areas, report)
        return frame, report
    if report.ok and len(frame):
        outside = int(frame["area_id"].isna().sum())
        if outside == len(frame):  # nothing would be stored, and a ranking of it would be all zeros
            report.add(_app_issue("all_outside_areas", _all_outside_message(outside), None, count=outside))
        elif outside:
            report.add(_app_issue("outside_areas", _outside_message(outside), None, severity="warning", count=outside))
    return frame, report


def _outside_message(outside: int) -> str:
    """How many incidents fall outside the areas; "fewer than k" for a count this product never shows.

    The plural follows the number the sentence shows (k when the count is hidden)."""
    if _few(outside):
        k = current_app.config["SETTINGS"].suppression_k
        return ngettext(
            "Fewer than %(num)s incident falls outside every area of this boundary set; they are counted here and "
            "not stored.",
            "Fewer than %(num)s incidents fall outside every area of this boundary set; they are counted here and "
            "not stored.",
            k,
        )
    return ngettext(
        "%(num)s incident falls outside every area of this boundary set; it is counted here and not stored.",
        "%(num)s incidents fall outside every area of this boundary set; they are counted here and not stored.",
        outside,
    )


def _all_outside_message(total: int) -> str:
    """The refusal when no point is in an area, without revealing a small total."""
    if _few(total):
        return gettext(
            "No incident in this file (fewer than %(k)s in all) falls inside an area of this boundary set, so there "
            "is nothing to rank. Check that the points lie in the same region as the areas and that latitude and "
            "longitude are not swapped.",
            k=current_app.config["SETTINGS"].suppression_k,
        )
    return gettext(
        "No incident in this file (%(n)s in all) falls inside an area of this boundary set, so there is "
        "nothing to rank. Check that the points lie in the same region as the areas and that latitude and "
        "longitude are not swapped.",
        n=total,
    )


def _refuse_if_nothing_to_rank(counts: pd.DataFrame, areas: geopandas.GeoDataFrame, report: ValidationReport) -> None:
    """An error when no incident of a counts file would land in an area of the set.

    Zero counts are not stored, so such a file would import as an empty incident set, and
    ranking it would give every area the same score, ordered by id: refused here, where the
    coordinator can still fix the file."""
    values = pd.to_numeric(counts["count"], errors="coerce").fillna(0)
    known = counts["area_id"].astype(str).isin(set(areas["area_id"].astype(str)))
    if values[known].sum() > 0:
        return
    if values.sum() == 0:
        message = gettext(
            "Every count in this file is 0, so there is nothing to rank: every area would get the same score. "
            "Check that this is the right file and count column, and upload counts with at least one incident."
        )
        report.add(_app_issue("all_counts_zero", message, "count", count=len(counts)))
    else:
        message = gettext(
            "No count above 0 names an area of this boundary set (see the unknown ids above), so there is "
            "nothing to rank. Check that the file uses the same area ids as the boundaries."
        )
        report.add(_app_issue("all_ids_unknown", message, "area_id", count=len(counts)))


def _app_issue(code: str, message: str, column: str | None, *, severity: str = "error", count: int = 0) -> Issue:
    return Issue(severity=severity, code=code, message=message, column=column, count=count)  # type: ignore[arg-type]


@bp.route("/sets/<int:set_id>/upload/incidents", methods=["GET", "POST"])
def incidents(set_id: int) -> Any:
    bset = org_boundary_set(set_id)

    shapes = _loader(lambda: load_shapes(bset))

    def check(name: str, data: bytes) -> tuple[pd.DataFrame, ValidationReport]:
        return _read_incident_file(name, data, shapes())

    def store(name: str, frame: pd.DataFrame, data: bytes) -> Any:
        if len(frame) > current_app.config["SETTINGS"].import_inline_rows:
            inc = imports.queue(g.actor, bset, _incident_set_name() or _default_set_name(name),
                                _set_source(name), data, _import_options(name))  # fmt: skip
            db.session.commit()  # the job's thread must see the set
            imports.start(current_app._get_current_object(), inc.id)  # type: ignore[attr-defined]
            return redirect(url_for("uploads.import_progress", incident_set_id=inc.id))
        inc = _import_incidents(bset, frame, request.form.get("incident_kind", "points"), name)
        flash(gettext("Imported incident data “%(name)s”.", name=inc.name), "success")
        return redirect(url_for("rankings.rank_form", set_id=bset.id))

    def precheck() -> str | None:
        """A typed name must be new; without one the import picks a free default name."""
        set_name = _incident_set_name()
        if set_name and _name_taken(IncidentSet, set_name):
            return gettext("A set named “%(name)s” already exists; choose another name.", name=set_name)
        return None

    def layout() -> FileKind:
        return "counts" if request.form.get("incident_kind") == "counts" else "points"

    return _check_then_import(
        "incidents", check, store, bset=bset, precheck=precheck, prepare=shapes, layout=layout
    )


def _incident_set_name() -> str:
    return strip_controls(request.form.get("set_name"))[:200]


def _default_set_name(filename: str) -> str:
    return _unique_name(IncidentSet, gettext("Incidents from %(name)s", name=filename)[:200])


def _set_source(filename: str) -> str:
    return gettext("Uploaded file %(name)s", name=filename)[:500]


def _import_incidents(bset: BoundarySet, frame: pd.DataFrame, kind: str, filename: str) -> IncidentSet:
    inc = IncidentSet(
        organisation_id=g.user.organisation_id,
        boundary_set_id=bset.id,
        name=_incident_set_name() or _default_set_name(filename),
        synthetic=False,
        source=_set_source(filename),
    )
    db.session.add(inc)
    db.session.flush()
    rows = imports.incident_rows(frame, kind, inc.id, imports.area_ids(bset.id))
    imports.insert_rows(rows)
    audit.record(
        g.actor,
        "incident_set.create",
        "incident_set",
        inc.id,
        kind=kind,
        records=published_count(len(rows), current_app.config["SETTINGS"].suppression_k),
    )
    return inc


@bp.route("/imports/<int:incident_set_id>")
def import_progress(incident_set_id: int) -> Any:
    """A background import's progress; a job that died is started again from here."""
    inc = db.session.scalar(select(IncidentSet).where(
        IncidentSet.id == incident_set_id, IncidentSet.organisation_id == g.user.organisation_id))  # fmt: skip
    if inc is None:
        abort(404)
    if inc.status == "ready":
        flash(gettext("Imported incident data “%(name)s”.", name=inc.name), "success")
        return redirect(url_for("rankings.rank_form", set_id=inc.boundary_set_id))
    if inc.status == "importing" and inc.id in imports.stale_imports():
        imports.start(current_app._get_current_object(), inc.id)  # type: ignore[attr-defined]
    return render_template("targeting/import_progress.html", inc=inc), (500 if inc.status == "failed" else 200)


# --- indicators -----------------------------------------------------------------------------


@bp.route("/sets/<int:set_id>/upload/indicators", methods=["GET", "POST"])
def indicators(set_id: int) -> Any:
    bset = org_boundary_set(set_id)

    shapes = _loader(lambda: load_shapes(bset))

    def check(name: str, data: bytes) -> tuple[pd.DataFrame, ValidationReport]:
        table, report = read_indicators((name, data), area_col=_given("indicators")["area_id"])
        if report.ok and len(table):
            report.extend(check_area_ids(table, shapes()).issues)
        return table, report

    def store(_name: str, table: pd.DataFrame, _data: bytes) -> Any:
        changed = _import_indicators(bset, table)
        flash(gettext("Indicators added to %(n)s areas.", n=changed), "success")
        return redirect(url_for("rankings.rank_form", set_id=bset.id))

    return _check_then_import("indicators", check, store, bset=bset, prepare=shapes, layout=lambda: "indicators")


def _import_indicators(bset: BoundarySet, table: pd.DataFrame) -> int:
    current: dict[str, dict[str, Any]] = dict(
        db.session.execute(select(Area.code, Area.indicators).where(Area.boundary_set_id == bset.id)).all()
    )
    ids = dict(db.session.execute(select(Area.code, Area.id).where(Area.boundary_set_id == bset.id)).all())
    columns = [c for c in table.columns if c != "area_id"]
    values = table.set_index(table["area_id"].astype(str))[columns]
    values = values.astype(float).round(6).astype(object).where(values.notna(), None)
    updates = [
        {"row_id": ids[code], "new": {**(current.get(code) or {}), **record}}
        for code, record in values.to_dict(orient="index").items()
        if code in ids
    ]
    if updates:
        table_ = Area.__table__
        assert isinstance(table_, Table)
        db.session.connection().execute(
            update(table_).where(table_.c.id == bindparam("row_id")).values(indicators=bindparam("new")), updates
        )
    audit.record(g.actor, "indicators.import", "boundary_set", bset.id, areas=len(updates), columns=len(columns))
    return len(updates)


# --- templates ------------------------------------------------------------------------------


@bp.route("/sets/<int:set_id>/templates/<kind>.csv")
def template(set_id: int, kind: str) -> Response:
    """A CSV with the exact header the importer of `kind` expects and a few example rows naming
    areas of this set (points lie inside them), so it uploads back as it is."""
    bset = org_boundary_set(set_id)
    if kind not in FILE_KINDS:
        abort(404)
    layout: FileKind = next(k for k in FILE_KINDS if k == kind)
    rows = db.session.execute(
        select(Area.code, Area.name, Area.geometry_wkb).where(Area.boundary_set_id == bset.id).order_by(Area.code)
        .limit(3)
    ).all()  # fmt: skip
    if not rows:
        abort(404)
    shapes = shapely.from_wkb([wkb for _code, _name, wkb in rows])
    inside = shapely.point_on_surface(shapes)
    points = [(float(shapely.get_y(p)), float(shapely.get_x(p))) for p in inside if not shapely.is_empty(p)]
    table = template_table(
        layout,
        [str(code) for code, _name, _wkb in rows],
        area_names=[str(name) for _code, name, _wkb in rows],
        points=points,
        year=utcnow().year - 2,  # a past year, so that no example date lies in the future
    )
    text = csv_text([list(table.columns), *table.to_numpy().tolist()])
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": attachment(f"template-{kind}.csv")})
