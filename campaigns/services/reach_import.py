"""Reach from a file: a spreadsheet typed by a coordinator or an ad platform's export (Meta Ads
Manager's "Day / Region / Reach / Impressions" columns), read as text, its columns mapped to the
planner's fields on a preview, then checked and stored by `services.reach` in one transaction.

Only mapped columns are read further; the others (spend, ad names, anything else) are never
stored. A mapped text column that holds e-mail addresses or phone numbers refuses the file."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import pandas as pd

from targeting.inputs import read_text_table
from targeting.privacy import find_identifier_columns

from ..models import REACH_MEASURES, Campaign
from .reach import FIELDS, CampaignRules, ReachRejected, RowProblem, coerce

MAPPABLE: Final = ("day", "period_start", "period_end", "channel", "area", "segment", "locale", *REACH_MEASURES)
"""Fields a file column can be mapped to; `day` is a one-day period (start = end)."""

_SYNONYMS: Final[Mapping[str, tuple[str, ...]]] = {
    "day": ("day", "date", "data", "diena", "reporting day"),
    "period_start": ("reporting starts", "period start", "start", "from", "starts", "start date", "week start"),
    "period_end": ("reporting ends", "period end", "end", "to", "ends", "end date", "week end"),
    "channel": ("channel", "kanalas", "kanał", "canal"),
    "area": ("region", "area", "county", "area code", "area_code", "area_id", "code", "district", "municipality",
             "location"),
    "segment": ("segment", "group", "audience", "age"),
    "locale": ("locale", "language", "lang"),
    "reached": ("reach", "people reached", "reached", "accounts center accounts reached", "unique reach"),
    "impressions": ("impressions", "views"),
    "clicks": ("link clicks", "clicks", "clicks (all)"),
    "events": ("events", "events held", "sessions"),
    "trained": ("people trained", "trained", "participants", "attendees"),
    "materials": ("materials", "materials handed out", "leaflets", "copies"),
}  # fmt: skip


@dataclass(frozen=True)
class ReachFile:
    """A file read as text: the columns as written, the cells, and the file's name."""

    name: str
    frame: pd.DataFrame

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


class FileRefused(ValueError):
    """The file cannot be read at all; `reason` says why, in English, for the log; `code` for the page."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params


def read(name: str, data: bytes) -> ReachFile:
    """The file's rows as text; refuses what is not a table (with the reader's own reason)."""
    frame, report = read_text_table((name, data))
    if frame is None or report.errors:
        reason = report.errors[0].message if report.errors else "no rows"
        raise FileRefused("unreadable", reason=reason)
    return ReachFile(name, frame)


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    return re.sub(r"\s+", " ", re.sub(r"[_\-]+", " ", text))


def guess_mapping(columns: Sequence[str]) -> dict[str, str]:
    """field -> column, by the names exports use; each column at most once, exact names first."""
    keyed = {_key(c): c for c in columns}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field_name, names in _SYNONYMS.items():
        for name in names:
            column = keyed.get(_key(name))
            if column is not None and column not in used:
                mapping[field_name] = column
                used.add(column)
                break
    if "day" in mapping and ("period_start" in mapping or "period_end" in mapping):
        mapping.pop("day")  # a file with both gives periods; the day column is then one of them
    return mapping


_SUFFIX: Final = re.compile(r"\s+(county|parish|district|municipality|rajonas|powiat|judetul)$", re.I)


def _area_lookup(campaign: Campaign | CampaignRules) -> dict[str, str]:
    """Codes and names of the campaign's areas (also without " County"), as typed → code."""
    lookup: dict[str, str] = {}
    for area in campaign.areas:
        for text in (area.area_code, area.name, _SUFFIX.sub("", area.name)):
            lookup.setdefault(_key(text), area.area_code)
    return lookup


def apply(
    campaign: Campaign | CampaignRules,
    table: ReachFile,
    mapping: Mapping[str, str],
    *,
    channel: str | None,
    today: date,
) -> pd.DataFrame:
    """Checked rows from the file under `mapping` (field -> file column); `channel` is used for
    every row when no column gives it. Raises `ReachRejected` naming rows (as a spreadsheet
    numbers them) and the file's own column names."""
    frame = table.frame
    problems: list[RowProblem] = []
    unknown = {f: c for f, c in mapping.items() if f not in MAPPABLE or c not in frame.columns}
    for column in unknown.values():
        problems.append(RowProblem(1, str(column), "missing"))
    if problems:
        raise ReachRejected(problems, len(problems))
    raw = pd.DataFrame(index=frame.index)
    names: dict[str, str] = {}
    for field_name, column in mapping.items():
        if field_name == "day":
            raw["period_start"] = raw["period_end"] = frame[column]
            names["period_start"] = names["period_end"] = column
        elif field_name == "area":
            raw["area_code"] = _areas(campaign, frame[column])
            names["area_code"] = column
        else:
            raw[field_name] = frame[column]
            names[field_name] = column
    if "channel" not in raw and channel:
        raw["channel"] = channel
    identifiers = find_identifier_columns(
        pd.DataFrame({names.get(f, f): frame[mapping[f]] for f in ("segment", "area") if f in mapping})
    )
    if identifiers:
        raise ReachRejected([RowProblem(1, i.column, "identifier", {"what": i.looks_like}) for i in identifiers],
                            len(identifiers))  # fmt: skip
    for needed in ("period_start", "period_end", "area_code", "channel"):
        if needed not in raw:
            problems.append(RowProblem(1, needed, "missing"))
    if problems:
        raise ReachRejected(problems, len(problems))
    rows = frame.index.to_numpy() + 2  # the reader's index is the data row position
    return coerce(campaign, raw[[f for f in FIELDS if f in raw]], row_numbers=rows, columns=names, today=today)


def _areas(campaign: Campaign | CampaignRules, values: pd.Series) -> pd.Series:
    """Area codes for what the file says (a code, a name, "Fulton County"); unknown text is kept
    as written, so the check names it."""
    lookup = _area_lookup(campaign)

    def resolve(text: str) -> str:
        for candidate in (text, text.split(",")[0]):  # "Fulton County, Georgia" → "Fulton County"
            key = _key(candidate)
            found = lookup.get(key) or lookup.get(_key(_SUFFIX.sub("", candidate)))
            if found:
                return found
        return text

    codes, uniques = pd.factorize(values.astype(str), use_na_sentinel=False)
    resolved = pd.Series([resolve(u) for u in uniques], dtype=object)
    return pd.Series(resolved.to_numpy()[codes], index=values.index)
