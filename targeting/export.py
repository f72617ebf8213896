"""Write a ranking as CSV, GeoJSON or GeoPackage, the same bytes from the CLI and the web app.

Outputs leave the planner, so they carry only what `rank_areas` has already suppressed: the
writer refuses a ranking made with ``suppress=False`` rather than trusting every caller.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Final, Literal

import geopandas
import pandas as pd

from .csv_cells import csv_bytes

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "Format",
    "format_for_path",
    "ranking_bytes",
    "ranking_geodataframe",
    "write_ranking",
]

Format = Literal["csv", "geojson", "gpkg"]
FORMATS: Final[dict[str, Format]] = {".csv": "csv", ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg"}
MEDIA_TYPES: Final[dict[Format, str]] = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
}


def format_for_path(path: str | Path) -> Format:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot write '{path}': use a .csv, .geojson or .gpkg file name")
    return FORMATS[suffix]


def ranking_geodataframe(
    ranked: pd.DataFrame, areas: geopandas.GeoDataFrame, *, id_col: str = "area_id"
) -> geopandas.GeoDataFrame:
    """The ranking joined to the area shapes (EPSG:4326), best rank first."""
    shapes = areas[[id_col, "geometry"]].copy()
    shapes[id_col] = shapes[id_col].astype(str)
    merged = ranked.merge(shapes.rename(columns={id_col: "area_id"}), on="area_id", how="left")
    gdf = geopandas.GeoDataFrame(merged, geometry="geometry", crs=areas.crs)
    return gdf.to_crs(4326) if gdf.crs is not None else gdf


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object and col != "geometry":
            out[col] = out[col].astype("string")
    return out


def ranking_bytes(
    ranked: pd.DataFrame, fmt: Format, *, areas: geopandas.GeoDataFrame | None = None, layer: str = "ranking"
) -> bytes:
    """The ranking as file bytes; GeoJSON and GeoPackage need the areas for their shapes."""
    if ranked["suppressed"].any() and ranked.loc[ranked["suppressed"], "count"].notna().any():
        raise ValueError("this ranking shows small counts; rank with suppress=True before writing it out")
    if fmt == "csv":
        return csv_bytes(_plain(ranked))  # names and ids from uploads: formulas neutralised
    if areas is None:
        raise ValueError(f"{fmt} output needs the area shapes")
    gdf = ranking_geodataframe(_plain(ranked), areas)
    if fmt == "geojson":
        return gdf.to_json(drop_id=True, na="null").encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ranking.gpkg"
        gdf.to_file(path, layer=layer, driver="GPKG")
        return path.read_bytes()


def write_ranking(ranked: pd.DataFrame, path: str | Path, *, areas: geopandas.GeoDataFrame | None = None) -> None:
    data = ranking_bytes(ranked, format_for_path(path), areas=areas)
    Path(path).write_bytes(data)
