"""The English text of every issue a reader can report, by stable code.

Kept apart from the readers so that the whole vocabulary a coordinator can meet is in one
place: the web app and the tests look messages up by code, and a translator (or a reviewer
checking the tone) reads one file rather than four kinds of table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

MESSAGES: Final[Mapping[str, str]] = {
    # the file as a whole
    "file_unreadable": "'{file}' could not be read as {expected}: {reason}.",
    "not_csv": (
        "'{file}' is {found}, not a CSV file. Only CSV is accepted: in Excel or LibreOffice use "
        "File > Save As and choose 'CSV UTF-8 (comma delimited)', then upload that file."
    ),
    "not_geo_file": (
        "'{file}' is {found}, not a map file. Areas need their shapes: upload a GeoPackage (.gpkg), "
        "a GeoJSON file (.geojson) or a zipped Shapefile (a .zip holding the .shp, .shx, .dbf and .prj files)."
    ),
    "shapefile_not_zipped": (
        "'{file}' is only the .shp part of a Shapefile. Put the .shp, .shx, .dbf and .prj files "
        "together in one .zip file and upload the zip."
    ),
    "zip_too_large": (
        "The zip file '{file}' unpacks to {size} MB, more than the {limit} MB the planner reads "
        "from one upload. Simplify the shapes (for example with mapshaper.org) or upload fewer areas."
    ),
    "zip_no_map_file": (
        "The zip file '{file}' holds no map file (it holds: {members}). Expected a Shapefile "
        "(.shp with its .shx, .dbf and .prj), a GeoPackage or a GeoJSON file inside."
    ),
    "zip_shapefile_incomplete": (
        "The Shapefile '{member}' in '{file}' has no {missing} file; a Shapefile needs its .shp, .shx "
        "and .dbf files (and .prj for its coordinate system). Zip all of its files together."
    ),
    "several_layers": (
        "'{file}' holds {n} layers or map files ({layers}); only '{layer}' was read. "
        "If that is not the right one, save the one you want on its own and upload it."
    ),
    "encoding_fallback": (
        "The file is not UTF-8 text, so it was read as {encoding}. If letters such as ă, ș, ł or é "
        "look wrong, save it as 'CSV UTF-8' and upload it again."
    ),
    "csv_extra_cells": (
        "{where} have more cells than the header row ({n_columns} columns) and were left out. "
        "A value probably contains the separator '{delimiter}': put such values in quotes or remove the character."
    ),
    "empty_file": "'{file}' has no data rows (only a header row, or nothing at all).",
    "missing_column": ("Column '{column}' ({purpose}) was not found. The file has the columns: {available}."),
    "missing_columns": (
        "The columns {purposes} were not found. The file has the columns: {available}. Choose which of "
        "them holds each, rename them in the file, or start from the template."
    ),
    "personal_identifier": (
        "Column '{column}' looks like {looks_like} (judged by {evidence}); files with personal "
        "identifiers are refused — remove the column and upload again."
    ),
    "columns_dropped": (
        "Column(s) {columns} are not used and were left out; from this file the planner reads only: {kept}."
    ),
    "column_renamed": (
        "Column '{column}' has the same name as a column the planner creates, so it was kept as '{new_name}'."
    ),
    # coordinate systems
    "crs_missing": (
        "The file does not say which coordinate system it uses, and its coordinates (for example "
        "x = {x}, y = {y}) are not longitude/latitude degrees. For a Shapefile include its .prj file "
        "in the zip; otherwise export the file again with its coordinate reference system."
    ),
    "crs_assumed_wgs84": (
        "The file does not say which coordinate system it uses; its coordinates look like "
        "longitude/latitude degrees, so WGS 84 (EPSG:4326) was assumed. Check on the map that the "
        "areas are where they should be."
    ),
    "crs_unusable": "The coordinate system of the file ({crs}) could not be converted to longitude/latitude: {reason}.",
    "crs_wrong": (
        "{where}: after converting from {crs} the coordinates fall outside longitude -180..180 or "
        "latitude -90..90. The coordinate system stated in the file is probably wrong."
    ),
    # areas
    "missing_id": "{where}: column '{column}' is empty; every row needs an area id.",
    "duplicate_id": "{where}: column '{column}' repeats the id(s) {ids}; each area id may appear only once.",
    "missing_name": "{where}: column '{column}' is empty; the area id is shown as the name instead.",
    "population_missing": (
        "{where}: column '{column}' has no population or zero; these areas are kept on the map, left out of rates."
    ),
    "population_not_numeric": "{where}: column '{column}' should hold a number of people but has {examples}.",
    "population_negative": (
        "{where}: column '{column}' has a negative population ({examples}); a population cannot be below zero."
    ),
    "population_too_large": (
        "{where}: column '{column}' has a population above {max} ({examples}); an area cannot have more "
        "people than that. Check that this is the population column and that it counts people, not a "
        "value in another unit."
    ),
    "geometry_empty": (
        "{where}: the area has no shape (missing or empty geometry). It is kept in the list, but it "
        "cannot be drawn on the map or have neighbours."
    ),
    "geometry_repaired": (
        "{where}: the shape was invalid (for example its outline crosses itself) or mixed with lines "
        "or points; it was repaired automatically and only its polygons kept. Check these areas on the map."
    ),
    "geometry_not_polygon": "{where}: the shape is {found}, but areas must be polygons (outlines with an inside).",
    # incidents
    "date_missing": (
        "{where}: column '{column}' is empty; these incidents were left out because they cannot be put in a period."
    ),
    "date_unparseable": (
        "{where}: column '{column}' has values that are not dates ({examples}); these incidents were "
        "left out. Write dates as year-month-day, for example 2021-07-15."
    ),
    "date_in_future": "{where}: column '{column}' has dates after today ({examples}); these incidents were left out.",
    "date_too_coarse": (
        "{where}: column '{column}' gives only {precision} ({examples}), which is not enough for "
        "{period} periods; these incidents were left out."
    ),
    "date_order_assumed": (
        "Column '{column}' has dates such as '{example}' that could be day/month or month/day; they "
        "were read as {order}. If that is wrong, write dates as year-month-day, for example 2021-07-15."
    ),
    "coordinates_missing": (
        "{where}: {what} empty; these incidents were left out because they cannot be placed on the map."
    ),
    "coordinates_not_numeric": (
        "{where}: column '{column}' has values that are not numbers ({examples}); these incidents were "
        "left out. Write coordinates as decimal degrees, for example 33.749."
    ),
    "latitude_out_of_range": (
        "{where}: column '{column}' has latitudes outside -90..90 ({examples}); these incidents were left out."
    ),
    "longitude_out_of_range": (
        "{where}: column '{column}' has longitudes outside -180..180 ({examples}); these incidents were left out."
    ),
    "coordinates_swapped": (
        "Every latitude in column '{lat}' is outside -90..90 while every longitude in column '{lon}' "
        "fits inside it: the two columns look swapped. Check which column is which and upload again."
    ),
    "coordinates_zero": (
        "{where}: latitude and longitude are both 0, a point in the Atlantic Ocean that usually means "
        "the location was not filled in; these incidents were left out."
    ),
    "geometry_not_point": "{where}: the shape is {found}, but incidents must be points; these incidents were left out.",
    "rows_dropped": (
        "{where} were left out, {count} of {total} rows in all (see the issues above); {kept} incidents were read."
    ),
    "no_usable_rows": "None of the {total} rows could be used (see the issues above), so the file cannot be used.",
    # counts
    "period_missing": "{where}: column '{column}' is empty; every count needs a period.",
    "period_unparseable": (
        "{where}: column '{column}' has values that are not a year, a quarter or a month ({examples}). "
        "Write periods as a year (2021), a quarter (2021-Q3) or a month (2021-07)."
    ),
    "period_mixed": (
        "{where}: column '{column}' has {found}, but the rest of the file has {expected} (such as '{example}'). "
        "A file must use one kind of period, so that periods can be put in order: write every period as "
        "{expected_one}, for example {form}."
    ),
    "count_missing": "{where}: column '{column}' is empty; write 0 where there were no incidents.",
    "count_not_integer": "{where}: column '{column}' should hold whole numbers but has {examples}.",
    "count_suppressed": (
        "{where}: column '{column}' says 'suppressed': the planner's download hides counts from 1 to "
        "k-1 and writes this word instead, so the real number is not in the file. Type the true count "
        "from your own records in these cells (deleting the rows would count them as 0), then upload again."
    ),
    "count_negative": "{where}: column '{column}' has negative counts ({examples}); a count cannot be below zero.",
    "duplicate_area_period": (
        "{where}: the same area and period (columns '{column}' and '{period_column}') appear more than once "
        "({pairs}); each area and period may appear only once."
    ),
    # indicators
    "not_numeric": "{where}: column '{column}' should hold numbers but has {examples}.",
    "value_missing": "{where}: column '{column}' is empty; these areas have no value for this indicator.",
    "share_percent_converted": (
        "Column '{column}' holds values up to {max}, so it was read as percentages and divided by 100 "
        "to give shares between 0 and 1."
    ),
    "share_out_of_range": (
        "{where}: column '{column}' is a share but has {examples}; shares must be between 0 and 1 "
        "(or 0 and 100 as percentages)."
    ),
    "no_indicator_columns": (
        "The file has no indicator columns besides '{column}'; add at least one column of numbers per area."
    ),
    # cross-file
    "unknown_area": (
        "{where}: column '{column}' names an area id that is not in the area file ({count} row(s) with "
        "{n_ids} unknown id(s): {ids}); those rows cannot be placed on the map or ranked. Check these ids "
        "against the area file's id column (leading zeros count: '01001' is not '1001')."
    ),
}
