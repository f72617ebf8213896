"""Reach: what a campaign's channels did per reporting period, area, group and language, and the
coverage that honestly follows from it.

Why the rules look like this:
- **Unique reach is not additive over time.** A platform's reach for a week is not the sum of its
  daily reach: the same person sees the ad on Monday and Tuesday. So every row keeps the period
  it covers, and the only reach figure called "reached" for an area and channel is the largest
  single-period figure (`reached_low`: those people were certainly reached). Adding the periods up
  gives `reached_summed`, which pages label "may count a person more than once".
- **Within one period, areas, groups and languages are different people**, so rows of one period
  add up across them (a platform export broken down by region and age); areas add up in every
  total (an area's people live nowhere else). Channels of one area never add up: one person may
  see an ad and attend an event.
- **Counts of things done add up**: impressions, clicks, events, people trained, materials.
- **Coverage is reached ÷ the area's population**, always shown with both numbers. Above 100 % is
  flagged, not capped: it means a wrong region mapping, a wrong population or a double count, and
  a coordinator must see it to fix it.
- **Frequency is impressions ÷ reach of the same period**, never of different periods.

Pages read the roll-ups (`ReachSummary`, `ReachPeriodTotal`), refreshed by every import and by
the scheduler's daily job, so a campaign page over a million rows reads a few hundred.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import Integer, case, cast, delete, func, insert, literal, select

from content.locales import LOCALES

from ..extensions import db
from ..models import (
    ADDITIVE_MEASURES,
    REACH_MEASURES,
    Campaign,
    CampaignArea,
    CampaignStatus,
    ReachImport,
    ReachPeriodTotal,
    ReachRow,
    ReachSummary,
    utcnow,
)
from ..plain_text import strip_controls
from . import audit
from .campaigns import CampaignError

KEY: Final = ("period_start", "period_end", "channel", "area_code", "segment", "locale")
FIELDS: Final = (*KEY, *REACH_MEASURES)
RECORDING: Final = frozenset({CampaignStatus.RUNNING, CampaignStatus.ENDED})
MAX_INT: Final = 2**31 - 1
CHUNK_ROWS: Final = 20_000
MAX_PROBLEMS: Final = 20
SILENT_DAYS: Final = 7
"""A running campaign without reach for this many days needs attention (page notice, e-mail)."""


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one row: `row` as the user counts it, the `column` (the file's own
    column name when there is one), a `code` the web layer phrases, and the values to name."""

    row: int
    column: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


class ReachRejected(ValueError):
    """Rows that cannot be stored: nothing of the batch was. `problems` lists the first few,
    `total` how many there are in all."""

    def __init__(self, problems: Sequence[RowProblem], total: int) -> None:
        super().__init__(f"{total} problem(s) in the reach rows")
        self.problems, self.total = list(problems), total


@dataclass(frozen=True)
class AreaRef:
    area_code: str
    name: str


@dataclass(frozen=True)
class CampaignRules:
    """What checking rows needs of a campaign, read before a long check so that no database
    transaction (on SQLite: the write lock) stays open while a big file is checked."""

    starts: date | None
    ends: date | None
    channels: tuple[str, ...]
    areas: tuple[AreaRef, ...]

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignRules:
        return cls(campaign.starts, campaign.ends, tuple(campaign.channels),
                   tuple(AreaRef(a.area_code, a.name) for a in campaign.areas))  # fmt: skip


def check_open(campaign: Campaign) -> None:
    """Reach is recorded on running and ended campaigns only: a draft or scheduled campaign has
    reached nobody yet, and an evaluated one is read-only."""
    if campaign.status == CampaignStatus.EVALUATED:
        raise CampaignError("read_only")
    if campaign.status not in RECORDING:
        raise CampaignError("reach_not_running", "status", status=campaign.status.value)


# --- turning raw values into typed rows ---------------------------------------------------------

_SEPARATORS: Final = re.compile(r"(?<=\d)[\s\u00a0\u202f',](?=\d{3}(?!\d))")


def _per_distinct(raw: pd.Series, convert: Any) -> Any:
    """`convert` applied to each distinct value once and spread back: a million rows of a reach
    export hold a few hundred dates, channels and areas, so this is what makes checking fast."""
    codes, uniques = pd.factorize(raw.astype(object).where(raw.notna(), ""), use_na_sentinel=False)
    converted = convert(pd.Series(uniques, dtype=object))
    if isinstance(converted, tuple):
        return tuple(pd.Series(np.asarray(part)[codes], index=raw.index) for part in converted)
    return pd.Series(np.asarray(converted)[codes], index=raw.index)


def _whole_numbers(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values as nullable integers, mask of cells that are not a whole number of 0 or more).

    Accepts what exports hold: 12345, "12,345", "12 345", 12345.0; blank is "not reported"."""
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = raw.astype(float)
        blank = values.isna()
    else:
        text = raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
        blank = text.isin(("", "-", "–", "nan", "None", "null"))
        values = pd.to_numeric(text.str.replace(_SEPARATORS, "", regex=True), errors="coerce").astype(float)
    bad = ~blank & (values.isna() | (values < 0) | (values != np.floor(values)) | (values > MAX_INT))
    return values.where(~bad & ~blank).astype("Int64"), bad


def _dates(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(dates, mask of cells that are not a date): ISO dates, or day/month/year with slashes or dots."""
    text = raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
    # A date, or a date with a midnight-style time as spreadsheets export it; nothing else after it.
    iso = text.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$")[0]
    values = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    retry = values.isna() & text.str.match(r"^\d{1,2}[./]\d{1,2}[./]\d{4}$")
    if retry.any():
        values[retry] = pd.to_datetime(text[retry].str.replace(".", "/"), format="%d/%m/%Y", errors="coerce")
    return values, values.isna()


def coerce(
    campaign: Campaign | CampaignRules,
    raw: pd.DataFrame,
    *,
    row_numbers: Sequence[int] | None = None,
    columns: Mapping[str, str] | None = None,
    today: date,
) -> pd.DataFrame:
    """Typed, checked reach rows from raw values (text from a file, JSON from the API, a form).

    `raw` has the columns of FIELDS that were given; `columns` names each field's column in the
    user's file, for messages; `row_numbers` says how the user counts the rows (a spreadsheet's
    row 2 is its first data row). Raises `ReachRejected` naming every bad row (the first
    MAX_PROBLEMS of them) and nothing is stored; vectorised, so a million rows take seconds."""
    n = len(raw)
    rows = np.asarray(row_numbers if row_numbers is not None else np.arange(1, n + 1))
    label = {f: (columns or {}).get(f, f) for f in FIELDS}
    problems: list[tuple[np.ndarray, str, str, dict[str, Any], pd.Series | None]] = []

    def flag(mask: pd.Series | np.ndarray, fld: str, code: str, values: pd.Series | None = None, **params: Any) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            problems.append((mask, fld, code, params, values))

    out = pd.DataFrame(index=raw.index)
    for fld in ("period_start", "period_end"):
        if fld not in raw:
            flag(np.ones(n, bool), fld, "missing")
            out[fld] = pd.NaT
            continue
        out[fld], bad = _per_distinct(raw[fld], _dates)
        out[fld] = pd.to_datetime(out[fld])
        flag(bad, fld, "date_invalid", raw[fld])
    ok_dates = out["period_start"].notna() & out["period_end"].notna()
    flag(ok_dates & (out["period_end"] < out["period_start"]), "period_end", "period_reversed")
    if campaign.starts is not None:
        flag(ok_dates & (out["period_start"] < pd.Timestamp(campaign.starts)), "period_start", "before_start",
             raw.get("period_start"), starts=campaign.starts)  # fmt: skip
    last = min(d for d in (campaign.ends, today) if d is not None)
    flag(ok_dates & (out["period_end"] > pd.Timestamp(last)), "period_end", "after_end", raw.get("period_end"),
         last=last)  # fmt: skip

    def text(fld: str, limit: int) -> pd.Series:
        if fld not in raw:
            return pd.Series("", index=raw.index)
        values = _per_distinct(raw[fld], lambda u: u.astype(str).map(strip_controls))
        flag(values.str.len() > limit, fld, "too_long", values, limit=limit)
        return values.str.slice(0, limit)

    out["channel"] = text("channel", 30)
    flag(~out["channel"].isin(campaign.channels), "channel", "channel_unknown", out["channel"],
         allowed=", ".join(campaign.channels))  # fmt: skip
    out["area_code"] = text("area_code", 64)
    codes = [a.area_code for a in campaign.areas]
    flag(~out["area_code"].isin(codes), "area_code", "area_unknown", out["area_code"])
    out["segment"] = text("segment", 100)
    out["locale"] = text("locale", 8)
    flag(~out["locale"].isin(["", *LOCALES]), "locale", "locale_unknown", out["locale"])

    given = np.zeros(n, bool)
    for measure in REACH_MEASURES:
        if measure not in raw:
            out[measure] = pd.array([pd.NA] * n, dtype="Int64")
            continue
        if pd.api.types.is_numeric_dtype(raw[measure]):
            out[measure], bad = _whole_numbers(raw[measure])
        else:
            values, bad = _per_distinct(raw[measure], _whole_numbers)
            out[measure] = values.astype("Int64")
        flag(bad, measure, "number_invalid", raw[measure])
        given |= out[measure].notna().to_numpy() | np.asarray(bad, dtype=bool)
    flag(~given, label["reached"], "nothing_reported")
    both = out["reached"].notna() & out["impressions"].notna()
    flag(both & (out["impressions"].fillna(0) < out["reached"].fillna(0)), "impressions", "impressions_below_reach")

    key = out[list(KEY)]
    dup = key.duplicated(keep=False) & ok_dates.to_numpy()
    if dup.any():
        first = key[dup].astype(str).agg("|".join, axis=1)
        firsts = pd.Series(rows[np.asarray(dup)], index=first.index).groupby(first.to_numpy()).transform("min")
        mask = np.asarray(dup).copy()
        mask[np.asarray(dup)] = (rows[np.asarray(dup)] != firsts.to_numpy())
        flag(mask, "period_start", "duplicate", pd.Series(firsts.reindex(raw.index).to_numpy(), index=raw.index))

    if problems:
        found: list[RowProblem] = []
        total = 0
        for mask, fld, code, params, values in problems:
            total += int(mask.sum())
            for i in np.flatnonzero(mask)[:MAX_PROBLEMS]:
                extra = dict(params)
                if values is not None:
                    extra["value"] = str(values.iloc[i])[:80]
                found.append(RowProblem(int(rows[i]), label.get(fld, fld), code, extra))
        found.sort(key=lambda p: (p.row, p.column))
        raise ReachRejected(found[:MAX_PROBLEMS], total)
    out["period_start"] = out["period_start"].dt.date
    out["period_end"] = out["period_end"].dt.date
    return out.reset_index(drop=True)


# --- storing ------------------------------------------------------------------------------------


def _upsert_sql(columns: Sequence[str]) -> str:
    """INSERT … ON CONFLICT (key) DO UPDATE, in the driver's own parameter style: a row with the
    key of a stored row replaces it. Written as SQL because a million rows go through the
    driver's executemany directly, without SQLAlchemy building a statement per row."""
    mark = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
    replaced = ", ".join(f"{c} = excluded.{c}" for c in (*REACH_MEASURES, "import_id", "updated_at"))
    names, marks = ", ".join(columns), ", ".join([mark] * len(columns))
    conflict = ", ".join(("campaign_id", *KEY))
    # Names come from the model, values are parameters: nothing a user typed is in the text.
    return f"INSERT INTO reach_rows ({names}) VALUES ({marks}) ON CONFLICT ({conflict}) DO UPDATE SET {replaced}"  # noqa: S608


def _copy_upsert(rows: pd.DataFrame, constants: Mapping[str, Any], *, replacing: bool) -> None:
    """PostgreSQL: COPY the rows (written as CSV by pandas, in C) into a temporary table, then
    one INSERT … SELECT with the constants as parameters: four times faster than the driver's
    executemany over a million rows. ON CONFLICT only when some rows replace stored ones (it
    costs an index probe per row). Every cell but a number is quoted; FORCE_NULL reads the empty
    measures as NULL and leaves an empty group or language the empty text it is."""
    frame = rows.copy()
    for name in ("period_start", "period_end"):
        frame[name] = _per_distinct(frame[name], lambda u: u.map(date.isoformat))
    names = ", ".join(frame.columns)
    text = frame.to_csv(header=False, index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    nullable = ", ".join(REACH_MEASURES)
    replaced = ", ".join(f"{c} = excluded.{c}" for c in (*REACH_MEASURES, "import_id", "updated_at"))
    conflict = ", ".join(("campaign_id", *KEY))
    fixed = ", ".join(constants)
    raw = db.session.connection().connection.driver_connection
    # Only names from the model are put into these statements; the values come as COPY data or parameters.
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(f"CREATE TEMP TABLE reach_rows_in AS SELECT {names} FROM reach_rows WITH NO DATA")  # noqa: S608
        with cursor.copy(f"COPY reach_rows_in ({names}) FROM STDIN WITH (FORMAT csv, FORCE_NULL ({nullable}))") as copy:
            copy.write(text)
        upsert = f" ON CONFLICT ({conflict}) DO UPDATE SET {replaced}" if replacing else ""
        cursor.execute(f"INSERT INTO reach_rows ({fixed}, {names}) SELECT {', '.join(['%s'] * len(constants))}, "  # noqa: S608
                       f"{names} FROM reach_rows_in{upsert}", list(constants.values()))  # fmt: skip
        cursor.execute("DROP TABLE reach_rows_in")


def _bound(frame: pd.DataFrame, constants: Mapping[str, Any]) -> pd.DataFrame:
    """The frame's values and `constants` as the driver takes them, through each column's own
    SQLAlchemy bind processor (dates as SQLite stores them, for one), once per distinct value."""
    dialect = db.engine.dialect
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        column = frame[name]
        processor = ReachRow.__table__.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if pd.api.types.is_integer_dtype(column) or str(column.dtype) == "Int64":
            out[name] = column.astype(object).where(column.notna(), None)
        elif processor is not None:
            distinct = pd.unique(column)
            lookup = {v: (None if v is None else processor(v)) for v in distinct}
            out[name] = column.map(lookup)
        else:
            out[name] = column
    for name, value in constants.items():
        processor = ReachRow.__table__.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        out[name] = pd.Series([processor(value) if processor else value] * len(out), index=out.index, dtype=object)
    return out


def _existing_keys(campaign_id: int, rows: pd.DataFrame) -> int:
    """How many of `rows` replace a stored row (0 without a query when the campaign has none)."""
    stored = db.session.scalar(select(func.count()).select_from(ReachRow).where(ReachRow.campaign_id == campaign_id))
    if not stored:
        return 0
    old = pd.DataFrame(
        db.session.execute(
            select(*[getattr(ReachRow, k) for k in KEY]).where(
                ReachRow.campaign_id == campaign_id,
                ReachRow.period_start >= min(rows["period_start"]),
                ReachRow.period_end <= max(rows["period_end"]),
            )
        ).all(),
        columns=list(KEY),
    )
    if old.empty:
        return 0
    return int(rows[list(KEY)].merge(old, on=list(KEY), how="inner").shape[0])


def store(
    actor: audit.Actor,
    campaign: Campaign,
    rows: pd.DataFrame,
    *,
    source: str,
    file_name: str = "",
    mapping: Mapping[str, Any] | None = None,
) -> ReachImport:
    """Store checked rows (from `coerce`) in the caller's transaction: new keys are added, known
    keys replaced; then the roll-ups are refreshed and the import audited. The caller commits,
    so a failure anywhere stores nothing."""
    check_open(campaign)
    lock(campaign.id)
    replaced = _existing_keys(campaign.id, rows) if len(rows) else 0
    batch = ReachImport(
        campaign_id=campaign.id, source=source, file_name=file_name[:200], mapping=dict(mapping or {}),
        added=len(rows) - replaced, replaced=replaced, created_by_id=actor.user.id if actor.user else None,
    )  # fmt: skip
    db.session.add(batch)
    db.session.flush()
    # In key order, the unique index grows at its end instead of being written all over: a
    # million rows in a file sorted another way took 29 s to store on SQLite instead of 21 s.
    ordered = rows[list(FIELDS)].sort_values(list(KEY), kind="stable")
    constants = {"campaign_id": campaign.id, "import_id": batch.id, "updated_at": utcnow()}
    if db.engine.dialect.name == "postgresql":
        _copy_upsert(ordered, constants, replacing=replaced > 0)
    else:
        frame = _bound(ordered, constants)
        # Tuples zipped from column arrays: 0.4 s per million rows, where itertuples took 2.1 s.
        columns = [frame[name].to_numpy(dtype=object) for name in frame.columns]
        sql, connection = _upsert_sql(list(frame.columns)), db.session.connection()
        for start in range(0, len(frame), CHUNK_ROWS):
            connection.exec_driver_sql(sql, list(zip(*(c[start : start + CHUNK_ROWS] for c in columns), strict=True)))
    refresh(campaign.id)
    audit.record(actor, "reach.import", "campaign", campaign.id, source=source, batch=batch.id,
                 added=batch.added, replaced=replaced)  # fmt: skip
    return batch


def correct(actor: audit.Actor, campaign: Campaign, row: ReachRow, values: Mapping[str, int | None]) -> ReachRow:
    """Replace one row's figures (a correction), auditing the figures before and after."""
    check_open(campaign)
    lock(campaign.id)
    before = {m: getattr(row, m) for m in REACH_MEASURES}
    for measure in REACH_MEASURES:
        setattr(row, measure, values.get(measure))
    row.updated_at = utcnow()
    db.session.flush()
    refresh(campaign.id)
    audit.record(actor, "reach.correct", "reach_row", row.id, campaign=campaign.id, before=before,
                 after={m: getattr(row, m) for m in REACH_MEASURES})  # fmt: skip
    return row


def remove(actor: audit.Actor, campaign: Campaign, row: ReachRow) -> None:
    """Delete a row entered by mistake, auditing what it said."""
    check_open(campaign)
    lock(campaign.id)
    figures = {m: getattr(row, m) for m in REACH_MEASURES}
    key = {"period_start": row.period_start.isoformat(), "period_end": row.period_end.isoformat(),
           "channel": row.channel, "area_code": row.area_code}  # fmt: skip
    db.session.delete(row)
    db.session.flush()
    refresh(campaign.id)
    audit.record(actor, "reach.remove", "reach_row", row.id, campaign=campaign.id, key=key, before=figures)


# --- roll-ups -----------------------------------------------------------------------------------


def lock(campaign_id: int) -> None:
    """Take the campaign's row lock for the rest of the transaction (PostgreSQL; SQLite has one
    writer anyway): two imports into one campaign at once would otherwise both rebuild its
    roll-ups and the second would trip over the first's rows."""
    db.session.execute(select(Campaign.id).where(Campaign.id == campaign_id).with_for_update())


def refresh(campaign_id: int) -> dict[str, int]:
    """Rebuild the campaign's roll-ups from its rows in two INSERT … SELECTs (the database does
    the grouping). Safe to run any number of times: the result depends on the rows only."""
    lock(campaign_id)
    db.session.execute(delete(ReachSummary).where(ReachSummary.campaign_id == campaign_id))
    db.session.execute(delete(ReachPeriodTotal).where(ReachPeriodTotal.campaign_id == campaign_id))
    r = ReachRow
    additive = [func.sum(getattr(r, m)).label(m) for m in ADDITIVE_MEASURES]
    per_period = (
        select(r.area_code, r.channel, r.period_start, r.period_end, func.count().label("n"),
               func.sum(r.reached).label("reached"), *additive)
        .where(r.campaign_id == campaign_id)
        .group_by(r.area_code, r.channel, r.period_start, r.period_end)
        .subquery()
    )  # fmt: skip
    p = per_period.c
    db.session.execute(
        insert(ReachSummary).from_select(
            ["campaign_id", "area_code", "channel", "rows", "reached_low", "reached_summed", "reached_periods",
             *ADDITIVE_MEASURES, "first_day", "last_day", "refreshed_at"],
            select(literal(campaign_id), p.area_code, p.channel, cast(func.sum(p.n), Integer), func.max(p.reached),
                   cast(func.sum(p.reached), Integer), func.count(p.reached),
                   *[cast(func.sum(getattr(p, m)), Integer) for m in ADDITIVE_MEASURES],
                   func.min(p.period_start), func.max(p.period_end), literal(utcnow(), ReachSummary.refreshed_at.type))
            .group_by(p.area_code, p.channel),
        )
    )  # fmt: skip
    both = r.reached.is_not(None) & r.impressions.is_not(None)
    db.session.execute(
        insert(ReachPeriodTotal).from_select(
            ["campaign_id", "channel", "period_start", "period_end", "rows", "reached", *ADDITIVE_MEASURES,
             "paired_reached", "paired_impressions"],
            select(literal(campaign_id), r.channel, r.period_start, r.period_end, func.count(),
                   cast(func.sum(r.reached), Integer),
                   *[cast(func.sum(getattr(r, m)), Integer) for m in ADDITIVE_MEASURES],
                   cast(func.sum(case((both, r.reached))), Integer),
                   cast(func.sum(case((both, r.impressions))), Integer))
            .where(r.campaign_id == campaign_id)
            .group_by(r.channel, r.period_start, r.period_end),
        )
    )  # fmt: skip
    summaries = db.session.scalar(select(func.count()).where(ReachSummary.campaign_id == campaign_id)) or 0
    return {"campaign": campaign_id, "summaries": int(summaries)}


# --- reading: coverage ----------------------------------------------------------------------------


def _share(part: int | None, whole: int | None) -> float | None:
    """part ÷ whole, or None when either is unknown (or the whole is 0): never a made-up 0 %."""
    return None if part is None or not whole else part / whole


@dataclass(frozen=True)
class Cell:
    """Reach of one channel in one area, from the roll-up."""

    channel: str
    reached_low: int | None
    reached_summed: int | None
    periods: int
    target: int | None
    population: int | None
    measures: Mapping[str, int | None]
    last_day: date | None

    @property
    def coverage(self) -> float | None:
        """Share of the area's people certainly reached (may be above 1: flagged, not capped)."""
        return _share(self.reached_low, self.population)

    @property
    def over(self) -> bool:
        return self.reached_low is not None and self.population is not None and self.reached_low > self.population

    @property
    def progress(self) -> float | None:
        """Share of the target reached."""
        return _share(self.reached_low, self.target)

    @property
    def summed_differs(self) -> bool:
        """True when the summed figure adds several periods (and may count people twice)."""
        return self.periods > 1 and self.reached_summed != self.reached_low


@dataclass(frozen=True)
class AreaCoverage:
    code: str
    name: str
    rank: int | None
    population: int | None
    cells: Mapping[str, Cell]

    @property
    def reached_low(self) -> int | None:
        """People certainly reached in the area by any channel: the largest channel's figure
        (channels overlap, so they are not added)."""
        values = [c.reached_low for c in self.cells.values() if c.reached_low is not None]
        return max(values) if values else None

    @property
    def coverage(self) -> float | None:
        return _share(self.reached_low, self.population)

    @property
    def over(self) -> bool:
        return any(c.over for c in self.cells.values())


@dataclass(frozen=True)
class ChannelTotal:
    """One channel over all the campaign's areas: areas are different people, so their certain
    reach adds up; `population` is the people of the areas with reach figures."""

    channel: str
    reached_low: int | None
    reached_summed: int | None
    population: int
    target: int | None
    measures: Mapping[str, int | None]
    frequency: float | None
    several_periods: bool

    @property
    def coverage(self) -> float | None:
        return _share(self.reached_low, self.population)


@dataclass(frozen=True)
class CampaignCoverage:
    areas: list[AreaCoverage]
    channels: list[ChannelTotal]
    timeline: pd.DataFrame  # channel, period_start, period_end, reached, impressions, …
    last_day: date | None
    rows: int

    @property
    def any_over(self) -> bool:
        return any(a.over for a in self.areas)


def _sum(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def coverage(campaign: Campaign) -> CampaignCoverage:
    """The campaign's reach and coverage per area and channel, per channel and over time, read
    from the roll-ups (a few hundred rows whatever the number of reach rows)."""
    summaries = db.session.scalars(select(ReachSummary).where(ReachSummary.campaign_id == campaign.id)).all()
    by_key = {(s.area_code, s.channel): s for s in summaries}
    targets = {(t.area_code, t.channel): t.target_reach for t in campaign.targets}
    channels = list(dict.fromkeys([*campaign.channels, *(s.channel for s in summaries)]))
    areas: list[AreaCoverage] = []
    for a in campaign.areas:
        cells: dict[str, Cell] = {}
        for channel in channels:
            s = by_key.get((a.area_code, channel))
            cells[channel] = Cell(
                channel=channel, reached_low=s.reached_low if s else None,
                reached_summed=s.reached_summed if s else None, periods=s.reached_periods if s else 0,
                target=targets.get((a.area_code, channel)), population=a.population,
                measures={m: getattr(s, m) for m in ADDITIVE_MEASURES} if s else {},
                last_day=s.last_day if s else None,
            )  # fmt: skip
        areas.append(AreaCoverage(a.area_code, a.name, a.rank, a.population, cells))
    timeline = pd.DataFrame(
        db.session.execute(
            select(ReachPeriodTotal.channel, ReachPeriodTotal.period_start, ReachPeriodTotal.period_end,
                   ReachPeriodTotal.reached, *[getattr(ReachPeriodTotal, m) for m in ADDITIVE_MEASURES],
                   ReachPeriodTotal.paired_reached, ReachPeriodTotal.paired_impressions)
            .where(ReachPeriodTotal.campaign_id == campaign.id)
            .order_by(ReachPeriodTotal.channel, ReachPeriodTotal.period_start, ReachPeriodTotal.period_end)
        ).all(),
        columns=["channel", "period_start", "period_end", "reached", *ADDITIVE_MEASURES, "paired_reached",
                 "paired_impressions"],
    )  # fmt: skip
    totals: list[ChannelTotal] = []
    for channel in channels:
        column = [a.cells[channel] for a in areas]
        reached = [c for c in column if c.reached_low is not None]
        series = timeline[timeline["channel"] == channel]
        seen = series["paired_reached"].sum() if len(series) else 0
        frequency = float(series["paired_impressions"].sum() / seen) if seen else None
        target_values = [targets[(a.code, channel)] for a in areas if (a.code, channel) in targets]
        totals.append(ChannelTotal(
            channel=channel, reached_low=_sum(c.reached_low for c in column),
            reached_summed=_sum(c.reached_summed for c in column),
            population=sum(c.population or 0 for c in reached), target=sum(target_values) if target_values else None,
            measures={m: _sum(c.measures.get(m) for c in column) for m in ADDITIVE_MEASURES},
            frequency=frequency, several_periods=any(c.summed_differs for c in column),
        ))  # fmt: skip
    last_days = [s.last_day for s in summaries if s.last_day is not None]
    return CampaignCoverage(areas, totals, timeline, max(last_days) if last_days else None,
                            sum(s.rows for s in summaries))  # fmt: skip


def over_population(campaign_id: int) -> bool:
    """Whether any area's certainly-reached figure is above its population: one query, for the
    home page, instead of the campaign's whole coverage."""
    query = select(ReachSummary.id).join(
        CampaignArea,
        (CampaignArea.campaign_id == ReachSummary.campaign_id) & (CampaignArea.area_code == ReachSummary.area_code),
    ).where(ReachSummary.campaign_id == campaign_id, ReachSummary.reached_low > CampaignArea.population)
    return db.session.scalar(query.exists().select()) or False


def last_recorded(campaign_ids: Sequence[int]) -> dict[int, Any]:
    """When reach was last recorded for each campaign (its newest import), for the reminders."""
    if not campaign_ids:
        return {}
    return dict(
        db.session.execute(
            select(ReachImport.campaign_id, func.max(ReachImport.created_at))
            .where(ReachImport.campaign_id.in_(campaign_ids))
            .group_by(ReachImport.campaign_id)
        ).all()
    )


def silence(campaign: Campaign, recorded: datetime | None, today: date) -> int | None:
    """Days a running campaign has gone without reach: since its newest import (`recorded`), or
    since it started when it has none. None for a campaign that is not running. The one rule
    behind the home page's notice, the campaign page's banner and the scheduler's reminder."""
    if campaign.status != CampaignStatus.RUNNING:
        return None
    since = recorded.date() if recorded is not None else campaign.starts
    return None if since is None else (today - since).days


def stale_campaigns(today: date, days: int = SILENT_DAYS) -> list[tuple[Campaign, date | None]]:
    """Running campaigns with no reach recorded for `days` days (counted from their start when
    they have none yet): the reminder's list, oldest silence first."""
    running = db.session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.RUNNING).order_by(Campaign.id)
    ).all()
    last = last_recorded([c.id for c in running])
    out: list[tuple[Campaign, date | None]] = []
    for campaign in running:
        recorded = last.get(campaign.id)
        silent = silence(campaign, recorded, today)
        if silent is not None and silent >= days:
            out.append((campaign, recorded.date() if recorded is not None else None))
    out.sort(key=lambda pair: pair[1] or pair[0].starts or today)
    return out


def rows_page(campaign_id: int, *, offset: int = 0, limit: int = 100) -> list[ReachRow]:
    """Stored rows, newest period first, a page at a time (for the rows table and the API)."""
    return list(
        db.session.scalars(
            select(ReachRow).where(ReachRow.campaign_id == campaign_id)
            .order_by(ReachRow.period_end.desc(), ReachRow.channel, ReachRow.area_code, ReachRow.id)
            .offset(offset).limit(limit)
        )
    )  # fmt: skip


def row_count(campaign_id: int) -> int:
    return int(db.session.scalar(select(func.count()).where(ReachRow.campaign_id == campaign_id)) or 0)


