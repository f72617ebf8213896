"""Whom to reach: demographic segments ranked by how over-represented they are among incidents.

An outreach campaign cannot speak to "everyone in the county". It has to choose people -- say
Romanian women aged 18-24 -- and materials in their language. The fair question is not "which
group has the most incidents" (that is mostly "which group is biggest") but "which group has more
incidents than its size explains". So each segment gets a **relative risk**: its incident rate
(incidents per person in the group) over the rate of everyone else in the chosen areas, with a
confidence interval, and segments are ranked by the interval's *lower* bound, so a group with
three incidents and a tiny denominator does not jump to the top on noise.

Alongside the ranking each segment carries what a campaign needs to act on it: an audience size
in the chosen areas given as a low-high range (never more precise than a census figure) and the
languages its materials need, from CLDR via Babel.

Small counts are suppressed with the same rule as every other output (:mod:`targeting.privacy`):
the ranking is still computed from the true counts (hiding a count must not move a group down the
list), but ``count_shown`` is what may be published.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Collection, Sequence
from typing import Any, Final

import geopandas
import numpy as np
import numpy.typing as npt
import pandas as pd
from babel.languages import get_official_languages
from scipy import stats

from .demo import AGE_BANDS, NATIONALITIES, SEXES
from .inputs.parsing import PeriodError, parse_periods, sort_periods
from .privacy import DEFAULT_K, protect_counts

__all__ = [
    "DEMO_AGE_SHARES",
    "DEMO_FOREIGN_NATIONALITY_SHARES",
    "DEMO_SEX_SHARES",
    "FALLBACK_LANGUAGE",
    "SEGMENT_COLUMNS",
    "UNKNOWN",
    "demo_population_by_group",
    "nationality_languages",
    "rank_exploitation_types",
    "rank_segments",
    "rank_segments_shown",
    "round_outward",
]

UNKNOWN: Final = "unknown"
"""The level every missing or unrecorded attribute value is mapped to."""

FALLBACK_LANGUAGE: Final = "en"
"""Appended to every nationality's languages: the planner's materials always exist in English."""

# Spellings of "not recorded" seen in case files. Deliberately short: "NA" is Namibia and "none"
# could be a real answer in some columns, so only unambiguous spellings are mapped.
_UNKNOWN_SPELLINGS: Final = frozenset({"", "unknown", "unk", "n/a", "not known", "not recorded", "nan", "<na>"})

_SEPARATOR: Final = " · "
_SORT_DIGITS: Final = 12  # significant digits of rr_low used for ordering; float noise below this is a tie

NOTE_UNKNOWN: Final = "attribute not recorded: reported, not ranked (a campaign cannot reach it)"
NOTE_NO_POPULATION: Final = "no population figure for this group"
NOTE_HALDANE: Final = "zero cell: 0.5 added to each cell of the 2x2 table (Haldane correction)"
NOTE_NO_COMPARISON: Final = "no other group to compare with"
NOTE_NO_INCIDENTS: Final = "no incidents with known attributes in scope"
NOTE_NO_EVIDENCE: Final = "no incidents: ranked after every group with incidents"
NOTE_MORE_THAN_POPULATION: Final = "more incidents than people in this group: check the population figures"


# --- small helpers -------------------------------------------------------------------------


def _z(confidence: float) -> float:
    """Two-sided normal critical value; statsmodels uses the same ``-ppf(alpha / 2)``."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return float(-stats.norm.ppf((1.0 - confidence) / 2.0))


def _period_text(values: pd.Series) -> npt.NDArray[np.object_]:
    """Canonical period labels ('2021.0' -> '2021'), the stripped text where a value is not a period."""
    parsed = parse_periods(values)
    return np.where(parsed.valid, parsed.label, values.astype(str).str.strip().to_numpy(dtype=object))


def _period_order(periods: Collection[str | int]) -> tuple[str, ...]:
    """The chosen periods in time order (as text when they are not periods of one kind)."""
    try:
        return tuple(sort_periods(periods))
    except PeriodError:
        return tuple(sorted(str(p) for p in periods))


def _restrict(
    frame: pd.DataFrame,
    *,
    areas: Collection[str] | None = None,
    periods: Collection[str | int] | None = None,
    exploitation_type: str | None = None,
) -> pd.DataFrame:
    """Rows in the chosen areas/periods/type. Ids are compared as text so 13121 and "13121" match;
    periods by their canonical label, so 2021, "2021" and "2021.0" are one year."""
    keep = pd.Series(True, index=frame.index)
    for column, wanted in (("area_id", areas), ("period", periods)):
        if wanted is None:
            continue
        if column not in frame.columns:
            raise ValueError(f"cannot restrict to chosen {column}s: the table has no {column!r} column")
        if column == "period":
            keep &= pd.Series(_period_text(frame[column]), index=frame.index).isin(
                set(_period_text(pd.Series(list(wanted), dtype=object)))
            )
        else:
            keep &= frame[column].astype(str).str.strip().isin({str(v).strip() for v in wanted})
    if exploitation_type is not None:
        if "exploitation_type" not in frame.columns:
            raise ValueError("cannot restrict to an exploitation type: incidents have no 'exploitation_type' column")
        keep &= frame["exploitation_type"].astype(str).str.strip() == exploitation_type.strip()
    return frame.loc[keep]


def _normalise_keys(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Attribute values as clean text, every spelling of "not recorded" folded into :data:`UNKNOWN`.

    Folding matters because "", NaN and "Unknown" would otherwise be three separate segments, each
    too small to see, that together may be the biggest group of all. Nationality codes are ISO
    3166 alpha-2 and therefore upper-cased, so "ro" and "RO" meet."""
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        raw = frame[column]
        text = raw.astype(str).str.strip()
        missing = raw.isna() | text.str.lower().isin(_UNKNOWN_SPELLINGS)
        if column == "nationality":
            text = text.str.upper()
        out[column] = text.mask(missing, UNKNOWN).astype(object)
    return out


def _any_unknown(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    return (frame[list(columns)] == UNKNOWN).any(axis=1)


def _add_note(notes: pd.Series, condition: pd.Series | npt.NDArray[np.bool_], text: str) -> pd.Series:
    """Append ``text`` (joined by "; ") where ``condition`` holds, for all rows at once."""
    cond = np.asarray(condition, dtype=bool)
    joined = notes.where(notes == "", notes + "; ") + text
    return notes.where(~cond, joined)


def _labels(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """The segment as a reader says it ("RO · 18-24 · female"), values in the order of ``by``."""
    return functools.reduce(lambda left, right: left + _SEPARATOR + right, (frame[c].astype(str) for c in columns))


def _protected(
    table: pd.DataFrame, columns: Sequence[str], k: int, *, protect: bool, total_known: bool
) -> tuple[pd.Series, pd.Series]:
    """The counts every derived number is computed from, and which are hidden.

    With `protect`, the published cells of :func:`targeting.privacy.protect_counts` (hidden cells
    filled from published numbers only), protected in the order of the segment key so that which
    cell is hidden never depends on row order. Without, the true counts (and the small ones
    flagged), for analysis that stays inside the organisation."""
    true = table["count"].to_numpy(dtype=np.int64)
    if not protect or table.empty:
        return pd.Series(true.astype(float), index=table.index), pd.Series((true >= 1) & (true < k), index=table.index)
    order = np.lexsort([table[c].astype(str).to_numpy() for c in reversed(list(columns))])
    protected = protect_counts(true[order], k, known_total=int(true.sum()) if total_known else None)
    published = np.empty(len(true))
    hidden = np.empty(len(true), dtype=bool)
    published[order], hidden[order] = protected.published, protected.hidden
    return pd.Series(published, index=table.index), pd.Series(hidden, index=table.index)


def _publish_counts(table: pd.DataFrame, published: pd.Series, hidden: pd.Series, *, protect: bool) -> None:
    """`count` as published (<NA> where hidden when protecting), `count_shown` and `suppressed`."""
    table["suppressed"] = hidden.astype(bool)
    shown = published.where(~hidden)
    table["count_shown"] = shown.astype(float)
    if protect:
        values = pd.array(shown.fillna(0).round().astype(np.int64), dtype="Int64")
        values[hidden.to_numpy(dtype=bool)] = pd.NA
        table["count"] = values


def round_outward(
    low: npt.ArrayLike, high: npt.ArrayLike, significant: int = 2
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Round a range outward to ``significant`` figures: low down, high up (12,345 -> 12,000-13,000).

    An audience of "12,345" suggests a precision no population estimate has; a census figure for a
    nationality x age x sex group in a county is often off by more than 10 %. Rounding *outward*
    keeps the true value inside the range while saying only what is known. Counts of people are
    whole numbers, so values below 10**significant are left at whole-number precision; NaN stays
    NaN and negative lows are clipped to 0."""
    if significant < 1:
        raise ValueError(f"significant must be at least 1, got {significant}")
    lo = np.clip(np.asarray(low, dtype=float), 0.0, None)
    hi = np.asarray(high, dtype=float)

    def magnitude(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        with np.errstate(divide="ignore", invalid="ignore"):
            exponent = np.floor(np.log10(np.where(values > 0, values, 1.0))) - (significant - 1)
        return np.power(10.0, np.clip(exponent, 0.0, None))

    lo_mag, hi_mag = magnitude(lo), magnitude(hi)
    # round the quotient first so float noise (8500.000000001) does not widen the range a step
    rounded_low = np.floor(np.round(lo / lo_mag, 9)) * lo_mag
    rounded_high = np.ceil(np.round(hi / hi_mag, 9)) * hi_mag
    return rounded_low, rounded_high


@functools.lru_cache(maxsize=512)
def nationality_languages(code: str) -> tuple[str, ...]:
    """Languages for materials aimed at nationals of ``code`` (ISO 3166 alpha-2), most spoken first.

    From Babel's CLDR territory data: the *official* languages, or, for a country that has none in
    law (Mexico, the United States), its *de facto* official ones -- so MX -> es, US -> en,
    UA -> uk, VN -> vi, RO -> ro. De facto languages are not added where an official one exists:
    CLDR lists Russian as de facto official in Ukraine, and materials for Ukrainians are written
    in Ukrainian; Swiss German is spoken, not written. ``en`` is appended when missing because the
    planner's materials always exist in English and many migrants read it. Unknown or unlisted
    codes give just ``("en",)``."""
    territory = code.strip().upper()
    languages: tuple[str, ...] = ()
    if len(territory) == 2 and territory.isalpha():
        languages = get_official_languages(territory) or get_official_languages(territory, de_facto=True)
    if FALLBACK_LANGUAGE not in languages:
        languages = (*languages, FALLBACK_LANGUAGE)
    return languages


def _languages(table: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Per segment: its ``language`` if segmented by language, else its nationality's languages.

    ``en`` alone is the fallback wherever the segment says nothing usable about language (not
    segmented by either, or the value is unknown). Looked up once per distinct value."""
    fallback: tuple[str, ...] = (FALLBACK_LANGUAGE,)
    lookup: dict[object, tuple[str, ...]]
    if "language" in columns:
        values = table["language"]
        lookup = {v: fallback if v == UNKNOWN else (str(v),) for v in values.unique()}
    elif "nationality" in columns:
        values = table["nationality"]
        lookup = {v: fallback if v == UNKNOWN else nationality_languages(str(v)) for v in values.unique()}
    else:
        return pd.Series([fallback] * len(table), index=table.index, dtype=object)
    return pd.Series([lookup[v] for v in values], index=table.index, dtype=object)


# --- segments ------------------------------------------------------------------------------

SEGMENT_COLUMNS: Final = (
    "segment",
    "rank",
    "count",
    "count_shown",
    "suppressed",
    "population",
    "incident_share",
    "population_share",
    "relative_risk",
    "rr_low",
    "rr_high",
    "p_value",
    "audience_low",
    "audience_high",
    "languages",
    "note",
)


def _population_by_segment(population: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, str]:
    """Population per segment summed over areas, with the sums the audience range needs.

    Returns the grouped frame and which uncertainty source it carries: "range" (population_low and
    population_high summed separately), "moe" (squared margins summed, so the combined margin is
    the root of the sum of squares, as the Census Bureau combines ACS margins), or "none"."""
    keys = _normalise_keys(population, columns)
    values = pd.DataFrame(index=population.index)
    for column in ("population", "population_low", "population_high", "moe"):
        if column in population.columns:
            numbers = pd.to_numeric(population[column], errors="raise").astype(float)
            if (numbers < 0).any():
                raise ValueError(f"population column {column!r} has negative values")
            values[column] = numbers
    if {"population_low", "population_high"} <= set(values.columns):
        source = "range"
        values = values.drop(columns=["moe"], errors="ignore")
    elif "moe" in values.columns:
        source = "moe"
        values["moe"] = values["moe"] ** 2
    else:
        source = "none"
    values = values[[c for c in ("population", "population_low", "population_high", "moe") if c in values.columns]]
    grouped = pd.concat([keys, values], axis=1).groupby(list(columns), sort=False).sum(min_count=1)
    return grouped.reset_index(), source


def rank_segments(
    incidents: pd.DataFrame,
    population: pd.DataFrame,
    *,
    by: Sequence[str] = ("nationality", "age_band", "sex"),
    areas: Collection[str] | None = None,
    exploitation_type: str | None = None,
    periods: Collection[str | int] | None = None,
    confidence: float = 0.95,
    k: int = DEFAULT_K,
    protect: bool = True,
    total_known: bool = False,
) -> pd.DataFrame:
    """Demographic segments ranked by how over-represented they are among incidents.

    **Inputs.** ``incidents`` has one row per incident with ``area_id``, ``period`` and the ``by``
    columns (and ``exploitation_type`` if ``exploitation_type=`` is used). ``population`` is a long
    table: ``area_id``, attribute columns and ``population`` (people in that group in that area),
    optionally ``population_low``/``population_high`` or ``moe`` (a 90 % margin of error, as the
    Census Bureau publishes). Both are restricted to ``areas`` -- the outreach areas being planned
    -- and incidents to ``periods`` and ``exploitation_type`` ("segments for labour
    exploitation"). Population is a snapshot and is not filtered by period; give one figure per
    area and group.

    **Coarser population tables.** Population by nationality alone is far easier to find than
    nationality x age x sex. Segments are therefore formed over the ``by`` columns the population
    table *also* has (in ``by`` order); the others are dropped, and listed in
    ``result.attrs["dropped_by"]``. A population table finer than the segments is summed up.
    Exploitation type is never a population attribute, which is why it is a filter, not a ``by``.

    **Unknown values.** Missing or "unknown" attribute values become the level ``"unknown"``.
    Segments with any unknown attribute are reported (how much is unrecorded matters) but never
    ranked: a campaign cannot target "nationality unknown". They are also left out of the
    comparison base below, i.e. the ranking assumes unrecorded attributes are missing at random
    rather than counting them as "outside" every segment, which would bias every RR down.

    **Relative risk.** For segment s among the comparable segments (known attributes and a
    population figure): a = incidents in s, n1 = population of s, c = incidents in the other
    comparable segments, n0 = their population; RR = (a/n1)/(c/n0). The interval is Katz's log
    method, exp(log RR +/- z * sqrt(1/a - 1/n1 + 1/c - 1/n0)), and ``p_value`` the matching Wald
    test of RR = 1: the numbers of statsmodels ``Table2x2([[a, n1-a], [c, n0-c]])``. When any of
    the four cells is 0 the RR is infinite or zero, so 0.5 is added to every cell (Haldane; note
    that statsmodels' own ``shift_zeros`` only replaces the zeros) and ``note`` says so.
    Incidents are counted over all chosen periods against one population snapshot: the RR compares
    rates, so the number of years cancels.

    **Ranking.** By ``rr_low`` descending: a segment ranks high only when it is over-represented
    *with confidence*, not because three incidents fell on a tiny denominator. Ties (to 12
    significant digits, below which float summation order makes noise) are broken by the segment
    key, so the result never depends on row order. Segments with *no* incidents come after every
    segment with some (still by ``rr_low``): zero incidents is no evidence of over-representation,
    but the Haldane 0.5 in a group of a few people can push the corrected lower bound above 1.
    Segments with incidents but no population (none in the table, or 0) have no defined RR and
    rank last, flagged in ``note``. Population groups with neither people nor incidents are
    dropped.

    **Audience.** ``population`` summed over the chosen areas, as a range: summed
    ``population_low``/``population_high`` when given; else the sum +/- the combined MOE
    (sqrt of the sum of squared MOEs, a 90 % range, low clipped at 0); else the sum itself. The
    range is then rounded outward to 2 significant figures (:func:`round_outward`), so an exact
    12,345 becomes 12,000-13,000: a group-level population is an estimate and must not look like
    a count.

    **Languages.** A tuple per segment: the ``language`` value when segmenting by language, else
    the nationality's languages (:func:`nationality_languages`), else ``("en",)``.

    **Disclosure control.** With ``protect`` (the default) the segment counts are protected by
    :func:`targeting.privacy.protect_counts`: counts 1..k-1 hidden (``count`` <NA>, ``count_shown``
    NaN, ``suppressed`` true) and *every* number in the result -- RR, intervals, p-values, shares,
    ranks -- computed from the published counts, so none can be worked back to a hidden count.
    Pass ``total_known=True`` when the total of the counts in scope is published elsewhere (the
    app's segments split the shown counts of the chosen areas): then at least two cells are
    hidden, so the total cannot be used to subtract. ``protect=False`` uses the true counts
    (``suppressed`` still flags 1..k-1), for analysis that never leaves the organisation.

    **Output.** One row per segment, ranked rows first: the segment columns, then ``segment``
    (label "RO · 18-24 · female"), ``rank`` (Int64, <NA> for unknown segments), ``count``,
    ``count_shown``, ``suppressed``, ``population`` (NaN if none), ``incident_share`` (of all
    incidents in scope, unknowns included, so the column sums to 1), ``population_share`` (of all
    population in scope), ``relative_risk``, ``rr_low``, ``rr_high``, ``p_value``,
    ``audience_low``, ``audience_high`` (Int64), ``languages``, ``note`` ("" when nothing to say).
    ``attrs`` records the segment columns, dropped columns, filters and confidence."""
    requested = list(by)
    if not requested:
        raise ValueError("by must name at least one attribute column")
    if len(set(requested)) != len(requested):
        raise ValueError(f"by names a column twice: {requested}")
    reserved = {"population", "count", "area_id", "period", *SEGMENT_COLUMNS}
    if clash := [c for c in requested if c in reserved]:
        raise ValueError(f"by cannot use reserved column names {clash}")
    if missing := [c for c in requested if c not in incidents.columns]:
        raise ValueError(f"incidents have no column(s) {missing} named in by")
    if "population" not in population.columns:
        raise ValueError("the population table needs a 'population' column")
    columns = [c for c in requested if c in population.columns]
    if not columns:
        raise ValueError(f"the population table has none of the by columns {requested}: nothing to form segments on")
    dropped = [c for c in requested if c not in columns]
    z = _z(confidence)

    chosen_incidents = _restrict(incidents, areas=areas, periods=periods, exploitation_type=exploitation_type)
    chosen_population = _restrict(population, areas=areas)

    counts = _normalise_keys(chosen_incidents, columns).groupby(columns, sort=False).size().rename("count")
    grouped_population, uncertainty = _population_by_segment(chosen_population, columns)
    table = counts.reset_index().merge(grouped_population, on=columns, how="outer")
    table["count"] = table["count"].fillna(0).astype("int64")
    table = table.loc[(table["count"] > 0) | (table["population"] > 0)].reset_index(drop=True)
    for column in columns:
        table[column] = table[column].astype(object)

    count, hidden = _protected(table, columns, k, protect=protect, total_known=total_known)
    table["_published"], table["_hidden"] = count, hidden
    people = table["population"].astype(float)
    known = ~_any_unknown(table, columns)
    has_population = people > 0
    comparable = known & has_population

    # --- relative risk, Katz interval, Wald p-value: all segments at once ---
    total_a = float(count[comparable].sum())
    total_n = float(people[comparable].sum())
    a = count.where(comparable)
    n1 = people.where(comparable)
    c = total_a - a
    n0 = total_n - n1
    defined = comparable & (n0 > 0) & (total_a > 0)
    zero_cell = defined & ((a == 0) | (n1 - a == 0) | (c == 0) | (n0 - c == 0))
    shift = np.where(zero_cell, 0.5, 0.0)
    a_, c_ = a + shift, c + shift
    n1_, n0_ = n1 + 2 * shift, n0 + 2 * shift  # each row total gains two half-cells
    with np.errstate(divide="ignore", invalid="ignore"):
        log_rr = np.log((a_ / n1_) / (c_ / n0_)).where(defined)
        variance = 1 / a_ - 1 / n1_ + 1 / c_ - 1 / n0_
        se = np.sqrt(variance.where(defined & (variance > 0)))
        rr_low = np.exp(log_rr - z * se)
        rr_high = np.exp(log_rr + z * se)
        p_value = pd.Series(2 * stats.norm.cdf(-np.abs(log_rr / se)), index=table.index).where(se.notna())
    table["relative_risk"] = np.exp(log_rr)
    table["rr_low"] = rr_low
    table["rr_high"] = rr_high
    table["p_value"] = p_value

    notes = pd.Series("", index=table.index, dtype=object)
    notes = _add_note(notes, ~known, NOTE_UNKNOWN)
    notes = _add_note(notes, known & ~has_population, NOTE_NO_POPULATION)
    notes = _add_note(notes, comparable & (total_a == 0), NOTE_NO_INCIDENTS)
    notes = _add_note(notes, comparable & (total_a > 0) & ~(n0 > 0), NOTE_NO_COMPARISON)
    notes = _add_note(notes, zero_cell, NOTE_HALDANE)
    notes = _add_note(notes, defined & (a == 0), NOTE_NO_EVIDENCE)
    notes = _add_note(notes, comparable & (count > people), NOTE_MORE_THAN_POPULATION)
    table["note"] = notes

    # --- order: confident over-representation first, then no evidence, undefined RR, unknowns ---
    # A group with no incidents shows no over-representation, yet with the Haldane correction its
    # 0.5 "incident" in a group of five people reads as a high rate and a lower bound above 1. So
    # groups with incidents come first (by rr_low), then those without (also by rr_low).
    rr_known = table["rr_low"].notna()
    tier = np.select(
        [comparable & rr_known & (count > 0), comparable & rr_known, comparable, known], [0, 1, 2, 3], default=4
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.power(10.0, np.floor(np.log10(table["rr_low"].where(table["rr_low"] > 0))) - (_SORT_DIGITS - 1))
    rr_key = (np.round(table["rr_low"] / step) * step).fillna(table["rr_low"])
    table["_tier"] = tier
    table["_order"] = np.where(tier <= 1, -rr_key, -count)
    table = table.sort_values(["_tier", "_order", *columns], kind="mergesort", ignore_index=True)
    ranked = table["_tier"] < 4
    table["rank"] = pd.array(np.where(ranked, np.cumsum(ranked), 0), dtype="Int64")
    table.loc[~ranked, "rank"] = pd.NA

    count = table["_published"]
    _publish_counts(table, count, table["_hidden"], protect=protect)

    all_incidents = float(count.sum())
    all_people = float(table["population"].sum())
    table["incident_share"] = count / all_incidents if all_incidents > 0 else np.nan
    table["population_share"] = table["population"] / all_people if all_people > 0 else np.nan

    if uncertainty == "range":
        low, high = table["population_low"], table["population_high"]
    elif uncertainty == "moe":
        margin = np.sqrt(table["moe"])
        low, high = table["population"] - margin, table["population"] + margin
    else:
        low = high = table["population"]
    audience_low, audience_high = round_outward(low, high)
    table["audience_low"] = pd.array(audience_low, dtype="Float64").astype("Int64")
    table["audience_high"] = pd.array(audience_high, dtype="Float64").astype("Int64")

    table["languages"] = _languages(table, columns)
    table["segment"] = _labels(table, columns) if len(table) else pd.Series(dtype=object)
    table["population"] = table["population"].astype(float)

    result = table[[*columns, *SEGMENT_COLUMNS]].copy()
    result.attrs.update(
        {
            "by": tuple(columns),
            "dropped_by": tuple(dropped),
            "areas": None if areas is None else tuple(sorted(str(a) for a in areas)),
            "periods": None if periods is None else _period_order(periods),
            "exploitation_type": exploitation_type,
            "confidence": confidence,
            "k": k,
            "audience_uncertainty": uncertainty,
        }
    )
    return result


def rank_segments_shown(
    incidents: pd.DataFrame,
    population: pd.DataFrame,
    *,
    by: Sequence[str] = ("nationality", "age_band", "sex"),
    top: int = 3,
    **options: Any,
) -> pd.DataFrame:
    """:func:`rank_segments` at the finest grouping whose ``top`` best groups all show their numbers.

    Why: nationality x age x sex splits a few hundred incidents into seventy cells, so in a real
    county nearly every cell is a small count and the table a coordinator acts on is a column of
    hidden marks, ordered by numbers nobody can see. A coarser grouping (nationality x sex, then
    nationality, ...) gives fewer, larger groups whose numbers can be published, and a campaign
    can still reach "Guatemalan men" with materials in Spanish. Candidates are ``by`` itself, then
    every subset one attribute shorter, and so on down to single attributes, in ``by`` order; the
    first whose ``top`` ranked rows (or all ranked rows, if fewer) are unsuppressed wins. When none
    qualifies the candidate showing the most of its top rows is returned (the finest on a tie), so
    the caller always gets a table and can say why numbers are hidden.

    Which grouping was chosen depends only on which cells of each candidate *table* would be
    hidden; the hidden counts themselves never leave :func:`rank_segments`. The result's
    ``attrs["candidates_tried"]`` lists the groupings tried before it, so a page can say "finer
    groups had too few incidents to show"."""
    columns = [c for c in by if c in incidents.columns and c in population.columns]
    if not columns:
        return rank_segments(incidents, population, by=by, **options)
    candidates = [
        list(subset) for size in range(len(columns), 0, -1) for subset in itertools.combinations(columns, size)
    ]
    best: tuple[int, pd.DataFrame] | None = None
    tried: list[tuple[str, ...]] = []
    for candidate in candidates:
        table = rank_segments(incidents, population, by=candidate, **options)
        ranked = table.loc[table["rank"].notna()].head(top)
        shown = int((~ranked["suppressed"].astype(bool)).sum())
        if len(ranked) and shown == len(ranked):
            table.attrs["candidates_tried"] = tuple(tried)
            return table
        if best is None or shown > best[0]:
            best = (shown, table)
        tried.append(tuple(candidate))
    assert best is not None
    best[1].attrs["candidates_tried"] = tuple(tried)
    return best[1]


# --- exploitation types ----------------------------------------------------------------------


def rank_exploitation_types(
    incidents: pd.DataFrame,
    *,
    areas: Collection[str] | None = None,
    periods: Collection[str | int] | None = None,
    k: int = DEFAULT_K,
    confidence: float = 0.95,
    protect: bool = True,
    total_known: bool = False,
) -> pd.DataFrame:
    """Incidents per exploitation type with a Wilson interval for each type's share.

    A campaign is usually built around one form of exploitation (labour recruitment warnings read
    differently from grooming warnings), so the first choice is which type dominates in the chosen
    areas; :func:`rank_segments` with ``exploitation_type=`` then finds whom it affects. Wilson's
    interval (the numbers of statsmodels ``proportion_confint(method="wilson")``, clipped to 0..1)
    is used because it stays sensible for small counts and shares near 0, where the normal
    approximation gives negative bounds.

    Shares are of all incidents in scope, "unknown" type included, so the column sums to 1 and the
    unknown row shows how much is unrecorded; it is reported last and never ranked. Known types are
    sorted by count (descending), ties by name. Disclosure control as in :func:`rank_segments`
    (``protect``, ``total_known``): shares, intervals and the order come from the published counts.

    Columns: exploitation_type, rank (Int64), count, count_shown, suppressed, share, share_low,
    share_high."""
    if "exploitation_type" not in incidents.columns:
        raise ValueError("incidents have no 'exploitation_type' column")
    z = _z(confidence)
    chosen = _restrict(incidents, areas=areas, periods=periods)
    keys = _normalise_keys(chosen, ["exploitation_type"])
    table = keys.groupby("exploitation_type", sort=False).size().rename("count").reset_index()
    table["count"] = table["count"].astype("int64")
    table["exploitation_type"] = table["exploitation_type"].astype(object)
    published, hidden = _protected(table, ["exploitation_type"], k, protect=protect, total_known=total_known)
    table["_published"], table["_hidden"] = published, hidden
    unknown = table["exploitation_type"] == UNKNOWN
    table["_tier"] = unknown.astype(int)
    table["_order"] = -published
    table = table.sort_values(["_tier", "_order", "exploitation_type"], kind="mergesort", ignore_index=True)
    ranked = table["_tier"] == 0
    table["rank"] = pd.array(np.where(ranked, np.cumsum(ranked), 0), dtype="Int64")
    table.loc[~ranked, "rank"] = pd.NA
    count = table["_published"]
    _publish_counts(table, count, table["_hidden"], protect=protect)

    n = float(count.sum())
    if n > 0:
        share = count / n
        z2 = z * z
        denominator = 1 + z2 / n
        centre = (share + z2 / (2 * n)) / denominator
        half = z * np.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / denominator
        table["share"] = share
        table["share_low"] = np.clip(centre - half, 0.0, 1.0)
        table["share_high"] = np.clip(centre + half, 0.0, 1.0)
    else:
        table["share"] = table["share_low"] = table["share_high"] = np.nan
    columns = ["exploitation_type", "rank", "count", "count_shown", "suppressed", "share", "share_low", "share_high"]
    result = table[columns].copy()
    result.attrs.update({"confidence": confidence, "k": k})
    return result


# --- demo denominators -------------------------------------------------------------------------

DEMO_FOREIGN_NATIONALITY_SHARES: Final[dict[str, float]] = {
    "MX": 0.50,
    "GT": 0.10,
    "HN": 0.08,
    "RO": 0.04,
    "VN": 0.20,
    "UA": 0.08,
}
"""How the demo splits each county's foreign-born residents across NATIONALITIES[1:].

Chosen for the demo, not measured: the real 1990 Georgia foreign-born population came from many
countries outside this list. The shares only need to make the demo's groups plausible in size."""

DEMO_AGE_SHARES: Final[dict[str, float]] = {
    "0-17": 0.256,
    "18-24": 0.108,
    "25-34": 0.174,
    "35-49": 0.202,
    "50+": 0.260,
}
"""Roughly the 1990 US census age structure (under 18: 25.6 %; 18-24: 10.8 %; 25-34: 17.4 %;
35-49: about 20 %; 50 and over: the rest), applied to every nationality alike."""

DEMO_SEX_SHARES: Final[dict[str, float]] = {"female": 0.513, "male": 0.487}
"""The 1990 US census sex ratio (51.3 % female)."""


def demo_population_by_group(areas: geopandas.GeoDataFrame, *, seed: int = 0) -> pd.DataFrame:
    """SYNTHETIC population by nationality x age band x sex per area, summing to the real totals.

    Why it exists: the Georgia demo has a real 1990 census population per county and a real share
    foreign-born (``pct_foreign_born``), but no breakdown by nationality, age and sex, and
    :func:`rank_segments` needs such denominators to show the method. So this builds one from
    fixed, documented shares: each county's foreign-born residents (population x
    pct_foreign_born) split by :data:`DEMO_FOREIGN_NATIONALITY_SHARES`, everyone else "US" (the
    demo equates foreign-born with foreign nationality), and every nationality split by
    :data:`DEMO_AGE_SHARES` and :data:`DEMO_SEX_SHARES`. **Nothing here describes real people**
    below the county total; every row carries ``synthetic=True``.

    Expected sizes are fractional; they are made whole by flooring and giving each county's
    leftover people to its groups one at a time, drawn without replacement with probability
    proportional to the fractional parts (``seed`` fixes the draw). That keeps each group's
    expected size exact and each county's total equal to its real population, and makes the table
    deterministic for a given seed.

    Columns: area_id, nationality, age_band, sex, population (int64), synthetic. 70 rows per area,
    zero-population groups included."""
    for column in ("area_id", "population", "pct_foreign_born"):
        if column not in areas.columns:
            raise ValueError(f"areas need a {column!r} column")
    if areas["population"].isna().any() or areas["pct_foreign_born"].isna().any():
        raise ValueError("every area needs a real population and foreign-born share; this set lacks them")
    people = areas["population"].to_numpy(dtype=np.int64)
    foreign = areas["pct_foreign_born"].to_numpy(dtype=float)
    if (people < 0).any() or not ((foreign >= 0) & (foreign <= 1)).all():
        raise ValueError("population must be non-negative and pct_foreign_born a fraction 0..1")

    foreign_mix = np.array([DEMO_FOREIGN_NATIONALITY_SHARES[n] for n in NATIONALITIES[1:]])
    age = np.array([DEMO_AGE_SHARES[a] for a in AGE_BANDS])
    sex = np.array([DEMO_SEX_SHARES[s] for s in SEXES])
    nationality = np.column_stack([1.0 - foreign, foreign[:, None] * foreign_mix[None, :]])  # areas x 7
    shares = (nationality[:, :, None, None] * age[None, None, :, None] * sex[None, None, None, :]).reshape(
        len(people), -1
    )
    shares /= shares.sum(axis=1, keepdims=True)
    expected = people[:, None] * shares
    whole = np.floor(expected).astype(np.int64)
    fraction = expected - whole
    leftover = people - whole.sum(axis=1)

    rng = np.random.default_rng(seed)
    with np.errstate(divide="ignore"):
        # Efraimidis-Spirakis keys: the top-r keys are a weighted draw of r cells without replacement
        keys = np.log(rng.random(fraction.shape)) / fraction
    order = np.argsort(-keys, axis=1, kind="stable")
    position = np.empty_like(order)
    np.put_along_axis(position, order, np.arange(order.shape[1])[None, :].repeat(len(order), axis=0), axis=1)
    counts = whole + (position < leftover[:, None])

    n_cells = shares.shape[1]
    grid = pd.MultiIndex.from_product([NATIONALITIES, AGE_BANDS, SEXES], names=["nationality", "age_band", "sex"])
    frame = pd.DataFrame(
        {
            "area_id": np.repeat(areas["area_id"].astype(str).to_numpy(), n_cells),
            "nationality": np.tile(grid.get_level_values("nationality").to_numpy(dtype=object), len(people)),
            "age_band": np.tile(grid.get_level_values("age_band").to_numpy(dtype=object), len(people)),
            "sex": np.tile(grid.get_level_values("sex").to_numpy(dtype=object), len(people)),
            "population": counts.reshape(-1).astype(np.int64),
            "synthetic": np.ones(counts.size, dtype=bool),
        }
    )
    frame.attrs["synthetic"] = True
    frame.attrs["source"] = (
        "SYNTHETIC: real 1990 county totals and foreign-born shares split by fixed demo shares "
        "(targeting.segments.DEMO_*_SHARES); not a description of real people"
    )
    return frame
