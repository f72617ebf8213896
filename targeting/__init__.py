"""Where and whom to reach: ranking areas and segments for outreach (a pure library).

No Flask and no database here: functions take and return plain data (GeoDataFrames, DataFrames,
dataclasses) so they run the same in the application, a notebook or a script.
"""

from .privacy import DEFAULT_K, find_identifier_columns, suppress_series, suppress_table

__all__ = ["DEFAULT_K", "find_identifier_columns", "suppress_series", "suppress_table"]
