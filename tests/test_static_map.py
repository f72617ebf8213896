"""The printable hot-spot map draws real boundaries in the web map's colours, without pyplot.

The PNG of the Georgia demo is kept in test-artifacts/ so a person can look at it."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas
import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from targeting.demo import load_demo_areas
from targeting.static_map import PALETTE, render_hotspot_map

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))


def _pixels(png: bytes) -> np.ndarray:
    """The PNG as an (h, w, 3) uint8 array."""
    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    return (np.asarray(image)[:, :, :3] * 255).round().astype(np.uint8)


def _count_colour(pixels: np.ndarray, hex_colour: str) -> int:
    return int(np.all(pixels == np.array(_rgb(hex_colour), dtype=np.uint8), axis=-1).sum())


@pytest.fixture(scope="module")
def georgia() -> geopandas.GeoDataFrame:
    """The 159 real counties with a fake analysis: bins cycling -3..3 and every 8th untested."""
    areas = load_demo_areas("georgia")
    n = len(areas)
    areas["gi_bin"] = pd.array([None if i % 8 == 7 else i % 8 - 3 for i in range(n)], dtype="Int64")
    areas["rank"] = areas["population"].rank(ascending=False, method="first").astype("Int64")
    return areas


@pytest.fixture(scope="module")
def georgia_png(georgia: geopandas.GeoDataFrame) -> bytes:
    top5 = georgia.nsmallest(5, "rank")["area_id"].tolist()
    png = render_hotspot_map(
        georgia, title="Georgia demo: incident hot spots", highlight=top5, label_top=10, width_in=8.0, dpi=150
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "static-map-georgia.png").write_bytes(png)
    return png


def test_png_is_a_real_image_in_the_palette(georgia_png: bytes) -> None:
    assert georgia_png.startswith(PNG_SIGNATURE)
    pixels = _pixels(georgia_png)
    height, width, _ = pixels.shape
    assert width == 8 * 150
    # Georgia is taller than wide once projected; the figure follows the shape.
    assert height > 0.8 * width
    # Every class is on the map (and in the legend) in exactly the web map's colours.
    assert _count_colour(pixels, "#d62f27") > 2000
    for colour in PALETTE.values():
        assert _count_colour(pixels, colour) > 200, colour


def test_svg_and_pdf(georgia: geopandas.GeoDataFrame) -> None:
    svg = render_hotspot_map(georgia, title="SVG", fmt="svg")
    assert b"<svg" in svg[:2000]
    assert render_hotspot_map(georgia, title="PDF", fmt="pdf").startswith(b"%PDF")


def test_projected_input_and_labels_override(georgia: geopandas.GeoDataFrame) -> None:
    projected = georgia.to_crs("EPSG:26716")
    labels = {3: "Point chaud, 99 %", None: "Non testé"}
    png = render_hotspot_map(projected, title="Projected", legend_labels=labels, width_in=5, dpi=100)
    assert _pixels(png).shape[1] == 500


def test_no_pyplot_figures_and_thread_safe(georgia: geopandas.GeoDataFrame) -> None:
    import matplotlib.pyplot as plt  # only to check that nothing registered a figure with it

    before = plt.get_fignums()
    small = georgia.head(40)
    with ThreadPoolExecutor(max_workers=4) as pool:
        images = list(pool.map(lambda i: render_hotspot_map(small, title=f"T{i}", dpi=60), range(8)))
    assert all(image.startswith(PNG_SIGNATURE) for image in images)
    assert plt.get_fignums() == before


def test_all_untested_still_draws(georgia: geopandas.GeoDataFrame) -> None:
    areas = georgia.assign(gi_bin=pd.array([None] * len(georgia), dtype="Int64"), rank=pd.NA)
    png = render_hotspot_map(areas, title="Nothing tested yet", label_top=5, dpi=60)
    assert png.startswith(PNG_SIGNATURE)


def test_empty_table_is_refused(georgia: geopandas.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="empty, there is nothing to draw"):
        render_hotspot_map(georgia.iloc[0:0], title="Empty")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gi_bin": 4}, "gi_bin must be a whole number from -3 to 3"),
        ({"gi_bin": 1.5}, "gi_bin must be a whole number from -3 to 3"),
        ({"gi_bin": "hot"}, "gi_bin must be a whole number from -3 to 3"),
    ],
)
def test_bad_bins_are_refused(georgia: geopandas.GeoDataFrame, change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_hotspot_map(georgia.head(3).assign(**change), title="Bad")


def test_missing_column_and_bad_arguments(georgia: geopandas.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['gi_bin'\]"):
        render_hotspot_map(georgia.drop(columns="gi_bin"), title="No bins")
    with pytest.raises(ValueError, match="fmt must be one of"):
        render_hotspot_map(georgia, title="Bad", fmt="gif")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be positive"):
        render_hotspot_map(georgia, title="Bad", dpi=0)
