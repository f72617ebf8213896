"""Printable hot-spot map: the web map's picture as PNG, SVG or PDF bytes.

Why a second renderer: reports, PDF exports and handouts for field teams need the map without a
browser, and the Leaflet map cannot be embedded in a PDF. This draws the same thing from the same
data -- areas coloured by their Getis-Ord Gi* bin with the same hot/cold palette as
``campaigns/static/js/area-map.js``, selected areas outlined, the best-ranked areas numbered --
on the boundaries alone: no background tiles, so nothing leaves the machine and it works offline.

Why it is written this way:

* matplotlib's object-oriented API (``Figure`` + ``FigureCanvasAgg``) and never ``pyplot``:
  pyplot keeps global state (the current figure, a registry of open figures) that is not
  thread-safe and leaks memory in a long-running multi-threaded web server. Each call owns its
  figure, and nothing global is opened or closed. No ``rcParams`` are changed for the same reason.
* Geographic coordinates are projected to a local UTM zone first, so areas are not stretched
  east-west the further they are from the equator.
* One ``GeoDataFrame.plot`` call per colour class (not one per area) keeps a 3,000-area map fast.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping
from typing import Final, Literal

import geopandas
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.legend import Legend
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke
from matplotlib.text import Text

__all__ = ["DEFAULT_LEGEND_LABELS", "PALETTE", "UNTESTED_COLOUR", "render_hotspot_map"]

# Gi* bin -> fill colour (ArcGIS-like diverging palette). Keep in sync with area-map.js/.css.
PALETTE: Final[Mapping[int, str]] = {
    3: "#d62f27",
    2: "#ed7551",
    1: "#fab984",
    0: "#f7f7f7",
    -1: "#c0ccbe",
    -2: "#849eba",
    -3: "#4575b5",
}
UNTESTED_COLOUR: Final = "#dddddd"

DEFAULT_LEGEND_LABELS: Final[Mapping[int | None, str]] = {
    3: "Hot spot, 99 % confidence",
    2: "Hot spot, 95 % confidence",
    1: "Hot spot, 90 % confidence",
    0: "Not significant",
    -1: "Cold spot, 90 % confidence",
    -2: "Cold spot, 95 % confidence",
    -3: "Cold spot, 99 % confidence",
    None: "Not tested",
}

_REQUIRED_COLUMNS: Final = ("area_id", "name", "gi_bin", "rank")
_BORDER: Final = "#444444"
_BORDER_WIDTH: Final = 0.4  # points; thin enough that 159 small counties stay readable
_HIGHLIGHT_WIDTH: Final = 1.8
_MARGIN_IN: Final = 0.3  # strip at the bottom for the note
_PADS_IN: Final = 0.35  # constrained layout's padding around the map, legend and title
_METADATA: Final[Mapping[str, Mapping[str, str | None]]] = {
    # Drop timestamps so the same data gives the same bytes (cacheable, diffable).
    "png": {},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
}


def render_hotspot_map(
    areas: geopandas.GeoDataFrame,
    *,
    title: str,
    legend_labels: Mapping[int | None, str] | None = None,
    highlight: Collection[str] = (),
    label_top: int = 0,
    width_in: float = 8.0,
    dpi: int = 150,
    fmt: Literal["png", "svg", "pdf"] = "png",
    highlight_label: str = "Selected area",
    note: str = "Boundaries only; no background map",
) -> bytes:
    """Draw ``areas`` coloured by hot-spot class and return the image file's bytes.

    ``areas`` needs columns ``area_id``, ``name``, ``gi_bin`` (integer -3..3 or missing, where
    missing means "not tested"), ``rank`` (1 = best, or missing) and a polygon geometry in any
    CRS. ``legend_labels`` overrides some or all of :data:`DEFAULT_LEGEND_LABELS` (pass the
    translated strings). Areas whose ``area_id`` is in ``highlight`` get a black outline and
    ``highlight_label`` in the legend; the ``label_top`` best-ranked areas are numbered with
    their rank. ``width_in`` and ``dpi`` set the output size; the height follows the shape of
    the areas. ``note`` is printed small in the bottom corner.

    Raises ``ValueError`` for an empty table, missing columns, ``gi_bin`` values outside
    -3..3, or bad size arguments."""
    if fmt not in _METADATA:
        raise ValueError(f"fmt must be one of {sorted(_METADATA)}, not {fmt!r}")
    if not width_in > 0 or dpi <= 0 or label_top < 0:
        raise ValueError("width_in and dpi must be positive and label_top must not be negative")
    if areas is None or len(areas) == 0:
        raise ValueError("render_hotspot_map: the area table is empty, there is nothing to draw")
    missing = [column for column in _REQUIRED_COLUMNS if column not in areas.columns]
    if missing:
        raise ValueError(f"render_hotspot_map: the area table lacks column(s) {missing}")

    # A fresh 0..n-1 index so positions and labels agree whatever index the caller used.
    drawable = areas[areas.geometry.notna() & ~areas.geometry.is_empty].reset_index(drop=True)
    if drawable.empty:
        raise ValueError("render_hotspot_map: no area has a geometry, there is nothing to draw")
    if drawable.crs is not None and drawable.crs.is_geographic:
        drawable = drawable.to_crs(drawable.estimate_utm_crs())

    bins = _gi_bins(drawable["gi_bin"])
    ranks = pd.to_numeric(drawable["rank"], errors="raise").astype("Float64")
    ids = drawable["area_id"].astype(str)
    labels = {**DEFAULT_LEGEND_LABELS, **(legend_labels or {})}

    fig = Figure(figsize=(width_in, width_in), dpi=dpi)  # height is set by _fit_height below
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.margins(0.02)  # the default 5 % would leave a wide white frame around an axis-less map

    # Fill classes; the "not tested" fill is hatched and gets a dashed outline, like the web map.
    for gi_bin, colour in PALETTE.items():
        subset = drawable[(bins == gi_bin).to_numpy(dtype=bool, na_value=False)]
        if not subset.empty:
            subset.plot(ax=ax, color=colour, edgecolor=_BORDER, linewidth=_BORDER_WIDTH)
    untested = drawable[bins.isna().to_numpy()]
    if not untested.empty:
        untested.plot(ax=ax, facecolor=UNTESTED_COLOUR, edgecolor="#b0b0b0", linewidth=0, hatch="////")
        untested.plot(ax=ax, facecolor="none", edgecolor=_BORDER, linewidth=_BORDER_WIDTH, linestyle=(0, (3, 2)))

    selected = drawable[ids.isin({str(area_id) for area_id in highlight}).to_numpy()]
    if not selected.empty:
        selected.plot(ax=ax, facecolor="none", edgecolor="black", linewidth=_HIGHLIGHT_WIDTH, zorder=3)

    if label_top:
        ranked = ranks.dropna().sort_values(kind="stable").head(label_top)
        halo = [withStroke(linewidth=2.2, foreground="white")]
        for index, rank in ranked.items():
            point = drawable.geometry.loc[index].representative_point()
            ax.text(
                point.x,
                point.y,
                f"{int(rank)}",
                ha="center",
                va="center",
                fontsize=7,
                fontweight="bold",
                color="black",
                path_effects=halo,
                zorder=4,
            )

    handles = [
        Patch(facecolor=colour, edgecolor=_BORDER, linewidth=0.6, label=labels[b]) for b, colour in PALETTE.items()
    ]
    handles.append(
        Patch(
            facecolor=UNTESTED_COLOUR,
            edgecolor=_BORDER,
            linewidth=0.6,
            linestyle="--",
            hatch="////",
            label=labels[None],
        )
    )
    if not selected.empty:
        handles.append(Patch(facecolor="white", edgecolor="black", linewidth=_HIGHLIGHT_WIDTH, label=highlight_label))
    legend = fig.legend(
        handles=handles,
        loc="outside right center",
        frameon=False,
        fontsize=8,
        handlelength=1.6,
        handleheight=1.2,
        borderaxespad=0.2,
    )
    heading = fig.suptitle(title, fontsize=13, fontweight="bold", wrap=True)
    _fit_height(fig, drawable, legend, heading)
    fig.text(0.99, 0.01, note, ha="right", va="bottom", fontsize=7, color="#555555")

    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, facecolor="white", metadata=dict(_METADATA[fmt]))
    return buffer.getvalue()


def _gi_bins(values: pd.Series) -> pd.Series:
    """``gi_bin`` as nullable Int64, refusing anything but whole numbers -3..3 or missing."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    present = numbers.dropna()
    bad_values = present[(present != np.round(present)) | (present.abs() > 3)]
    if bad.any() or not bad_values.empty:
        shown = sorted({str(v) for v in values[bad]} | {str(v) for v in bad_values})[:5]
        raise ValueError(f"render_hotspot_map: gi_bin must be a whole number from -3 to 3 or missing, got {shown}")
    return numbers.astype("Int64")


def _fit_height(fig: Figure, areas: geopandas.GeoDataFrame, legend: Legend, title: Text) -> None:
    """Give the figure the height that suits the areas' shape, then hand it to constrained layout.

    The map keeps equal x/y scale, so a figure of the wrong shape only adds white space. The
    legend and title are measured (their size is in points, independent of the figure's height,
    and translated labels can be much longer), the map gets the remaining width, and the height
    follows the areas' bounds, clamped so a thin strip or a tall sliver still fits the legend."""
    width_in = float(fig.get_figwidth())
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    legend_box = legend.get_window_extent(renderer)
    title_in = title.get_window_extent(renderer).height / fig.dpi
    legend_w, legend_h = legend_box.width / fig.dpi, legend_box.height / fig.dpi
    minx, miny, maxx, maxy = areas.total_bounds
    aspect = (maxy - miny) / (maxx - minx) if maxx > minx and maxy > miny else 1.0
    map_width = max(width_in - legend_w - _PADS_IN, width_in * 0.4)
    chrome = title_in + _PADS_IN + _MARGIN_IN
    height = float(np.clip(map_width * aspect + chrome, legend_h + chrome, 2.5 * width_in))
    fig.set_size_inches(width_in, height)
    # rect keeps the bottom strip free for the note, which constrained layout does not know about.
    bottom = _MARGIN_IN / height
    fig.set_layout_engine(ConstrainedLayoutEngine(rect=(0.0, bottom, 1.0, 1.0 - bottom)))
