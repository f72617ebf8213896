"""Where and whom to reach: ranking areas and segments for outreach (a pure library).

No Flask and no database here: functions take and return plain data (GeoDataFrames, DataFrames,
dataclasses) so they run the same in the application, a notebook or a script.
"""

from .privacy import (
    DEFAULT_K,
    ProtectedCounts,
    fill_value,
    find_identifier_columns,
    protect_counts,
    suppress_table,
    total_range,
)
from .ranking import DEFAULT_WEIGHTS, NothingToRankError, RankingInputError, explain, rank_areas
from .segments import rank_exploitation_types, rank_segments

__all__ = [
    "DEFAULT_K",
    "DEFAULT_WEIGHTS",
    "NothingToRankError",
    "RankingInputError",
    "explain",
    "find_identifier_columns",
    "rank_areas",
    "rank_exploitation_types",
    "rank_segments",
    "ProtectedCounts",
    "fill_value",
    "protect_counts",
    "suppress_table",
    "total_range",
]
