"""Reading what campaign coordinators upload: area boundaries, incident points, counts and indicators.

The people uploading are NGO coordinators, not data scientists, and the files come from whatever
their partners could export. So every reader returns ``(data, report)`` and never raises on bad
*content*: it collects everything wrong with the file into one :class:`ValidationReport`, so a
coordinator can fix all problems in one go instead of meeting them one upload at a time. Only a
wrong *call* (an unknown period, an attribute outside the allowed list) raises, because that is
a programming error, not the user's. ``report.raise_for_errors()`` turns errors into an
:class:`InputError` for callers that want an exception.

How problems are reported:

* Every :class:`Issue` has a stable ``code`` and ``params``; ``message`` is
  ``MESSAGES[code].format(**params)`` in English, so the web app can translate the template and
  fill in the same parameters.
* Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
  Map files use the same rule (the first feature is "row 2") and also name the area id, because a
  GIS attribute table numbers features differently. For many bad rows an issue carries the count
  and the first five row numbers, never one issue per row.
* Errors mean the file cannot be used as it is; warnings mean it was used with the stated repair
  or with the stated rows left out. Nothing is dropped silently: every row left out of an output
  is counted in a warning.

Privacy: files with columns that look like personal identifiers (names, phone numbers, addresses,
free-text notes; see :func:`targeting.privacy.find_identifier_columns`) are refused as a whole,
and an incident file keeps only the period, the point and a short allow-list of attributes. The
exact date is not kept: analyses work by period, and a precise date next to a precise point
makes a record easier to link to a person.

Output frames keep the file's row order, and their index is the 0-based data row position in the
file (row number minus 2), so rows left out of incident files leave gaps rather than renumbering.

The package is split by what it reads, so each reader can be read on its own:

* :mod:`~targeting.inputs.files` - what kind of file an upload is; decoding text and CSV dialects;
  opening map files (GeoPackage, GeoJSON, zipped Shapefile).
* :mod:`~targeting.inputs.parsing` - text, numbers, dates and periods as people type them.
* :mod:`~targeting.inputs.geometry` - coordinate systems and polygon clean-up.
* :mod:`~targeting.inputs.identifiers` - refusing columns that look like personal identifiers.
* :mod:`~targeting.inputs.areas`, :mod:`~targeting.inputs.incidents`,
  :mod:`~targeting.inputs.counts`, :mod:`~targeting.inputs.indicators` - one reader per kind of file
  (and :func:`check_area_ids` across files).
* :mod:`~targeting.inputs.columns` - the columns of each kind of table file in one place: guessing
  which of a file's columns holds each one, and templates with the exact header.
* :mod:`~targeting.inputs.report` and :mod:`~targeting.inputs.messages` - issues, reports and the
  English text of every issue code.

Import the public names from ``targeting.inputs``; the submodules' ``_`` helpers are internal.
"""

from __future__ import annotations

from .areas import check_area_ids, read_areas
from .columns import (
    FILE_KINDS,
    LAYOUTS,
    ColumnSpec,
    FileKind,
    Layout,
    find_column,
    guess_columns,
    needs_mapping,
    reader_arguments,
    small_count_cells,
    template_table,
)
from .counts import SUPPRESSED_CELL, read_counts
from .files import read_columns, read_head, read_text_table
from .incidents import ALLOWED_ATTRIBUTES, read_incidents
from .indicators import read_indicators
from .messages import MESSAGES
from .parsing import GRANULARITIES, ParsedPeriods, PeriodError, parse_periods, sort_periods
from .report import InputError, Issue, ValidationReport

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "FILE_KINDS",
    "LAYOUTS",
    "SUPPRESSED_CELL",
    "ColumnSpec",
    "FileKind",
    "Layout",
    "find_column",
    "guess_columns",
    "needs_mapping",
    "read_columns",
    "read_head",
    "reader_arguments",
    "small_count_cells",
    "template_table",
    "read_text_table",
    "GRANULARITIES",
    "MESSAGES",
    "InputError",
    "Issue",
    "ParsedPeriods",
    "PeriodError",
    "ValidationReport",
    "check_area_ids",
    "parse_periods",
    "read_areas",
    "read_counts",
    "read_incidents",
    "read_indicators",
    "sort_periods",
]
