"""Demo data for the planner: real boundaries and populations, synthetic incidents.

A planner shown on made-up maps teaches nothing, and real incident records must never leave the
NGOs that hold them. So the demo uses real public boundaries and census populations that ship
*inside* the libpysal wheel (no download, works offline, same bytes everywhere) and draws
incidents from a documented random model whose hot spots and trends are known in advance, so
the hot-spot and trend analyses have something real to find.

What the two bundled sets contain (read from the files, not assumed):

* ``georgia`` -- ``libpysal/examples/georgia/G_utm.shp``, 159 counties. Fields: AREA, PERIMETER,
  G_UTM_, G_UTM_ID, Latitude, Longitud, TotPop90, PctRural, PctBach, PctEld, PctFB, PctPov,
  PctBlack, X, Y, AreaKey. AreaKey is the 5-digit county FIPS code (13001..13321); TotPop90 is
  the 1990 census count (sum 6,478,216). The Pct* fields are percentages 0..100 and are
  returned as fractions 0..1. The file has **no county-name field** and **no .prj**:

  - Names come from the US Census Bureau FIPS county code list (ANSI INCITS 31) kept below and
    are checked against the data (Fulton 13121 is the most populous county, 648,951;
    Taliaferro 13265 the least, 1,915).
  - The coordinates are UTM zone **16N**, not 17N: eastings run 627-1082 km, which only zone 16
    puts inside Georgia, and the file's own Latitude/Longitud points then fall inside their own
    counties (zone 17 puts them 6 degrees east). The datum is not recorded; NAD27
    (EPSG:26716) is used because the 1990 Census boundary files were NAD27 and it matches the
    state's known extent to ~100 m, where NAD83 (EPSG:26916) leaves it ~300 m off.
  - PctBlack, PctBach and PctEld are left out on purpose: the planner must not steer outreach
    by race, and the other two say little about exploitation risk.

* ``virginia`` -- ``libpysal/examples/virginia/virginia.shp``, 136 localities (95 counties and 41
  independent cities; South Boston, Clifton Forge and Bedford City are still cities, so the
  boundaries predate 1995). Fields: POLY_ID, NAME, STATE_NAME, STATE_FIPS, CNTY_FIPS, FIPS, Key;
  WGS 84 per its .prj. It has **no population and no indicator fields** and libpysal does not
  say where it comes from. Population is therefore missing (``<NA>``) rather than invented, and
  :func:`synthetic_incidents` refuses it: without a real denominator a rate means nothing. The
  set is there to show boundaries without population. One misspelt name in the file
  ("Falls Chruch", FIPS 51610) is corrected.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import geopandas
import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "AGE_BANDS",
    "DEMO_SETS",
    "EXPLOITATION_TYPES",
    "INCIDENT_COLUMNS",
    "NATIONALITIES",
    "RECRUITMENT_CHANNELS",
    "SEXES",
    "DemoSpec",
    "load_demo_areas",
    "synthetic_counts",
    "synthetic_incidents",
]

EXPLOITATION_TYPES: Final = ("labour", "sexual", "criminal", "domestic_servitude", "other")
RECRUITMENT_CHANNELS: Final = ("job_offer", "online", "acquaintance", "agency", "other")
AGE_BANDS: Final = ("0-17", "18-24", "25-34", "35-49", "50+")
SEXES: Final = ("female", "male")
NATIONALITIES: Final = ("US", "MX", "GT", "HN", "RO", "VN", "UA")
INCIDENT_COLUMNS: Final = (
    "area_id",
    "period",
    "exploitation_type",
    "recruitment",
    "age_band",
    "sex",
    "nationality",
    "synthetic",
)


@dataclass(frozen=True)
class DemoSpec:
    """Where one demo set lives and how to read it, so provenance travels with the data.

    ``source_crs`` is only set when the file lacks a .prj and the CRS had to be worked out;
    ``name_overrides`` supplies names the file lacks or gets wrong (keyed by area_id)."""

    key: str
    title: str
    source: str
    dataset: str
    file_name: str
    id_field: str
    name_field: str | None
    population_field: str | None
    population_year: int | None
    indicator_fields: Mapping[str, str] = field(default_factory=dict)
    indicators_in_percent: bool = True
    source_crs: str | None = None
    name_overrides: Mapping[str, str] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        """The file inside the installed libpysal package, never a downloaded copy.

        ``libpysal.examples.get_path`` also searches downloaded data sets and costs a 1.6 s import;
        locating the package without importing it pins the bundled bytes and stays fast."""
        spec = importlib.util.find_spec("libpysal")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("libpysal is not installed; the demo boundaries ship inside it")
        path = Path(next(iter(spec.submodule_search_locations))) / "examples" / self.dataset / self.file_name
        if not path.is_file():
            raise FileNotFoundError(f"{path} is not in the installed libpysal wheel")
        return path


# US Census Bureau FIPS county codes for Georgia (state 13); 041 and 203 are unused since the
# 1932 merger of Campbell and Milton into Fulton. G_utm.shp has codes but no names.
_GEORGIA_COUNTY_NAMES: Final[dict[str, str]] = {
    f"13{code}": name
    for code, name in (
        line.split(" ", 1)
        for line in """
001 Appling
003 Atkinson
005 Bacon
007 Baker
009 Baldwin
011 Banks
013 Barrow
015 Bartow
017 Ben Hill
019 Berrien
021 Bibb
023 Bleckley
025 Brantley
027 Brooks
029 Bryan
031 Bulloch
033 Burke
035 Butts
037 Calhoun
039 Camden
043 Candler
045 Carroll
047 Catoosa
049 Charlton
051 Chatham
053 Chattahoochee
055 Chattooga
057 Cherokee
059 Clarke
061 Clay
063 Clayton
065 Clinch
067 Cobb
069 Coffee
071 Colquitt
073 Columbia
075 Cook
077 Coweta
079 Crawford
081 Crisp
083 Dade
085 Dawson
087 Decatur
089 DeKalb
091 Dodge
093 Dooly
095 Dougherty
097 Douglas
099 Early
101 Echols
103 Effingham
105 Elbert
107 Emanuel
109 Evans
111 Fannin
113 Fayette
115 Floyd
117 Forsyth
119 Franklin
121 Fulton
123 Gilmer
125 Glascock
127 Glynn
129 Gordon
131 Grady
133 Greene
135 Gwinnett
137 Habersham
139 Hall
141 Hancock
143 Haralson
145 Harris
147 Hart
149 Heard
151 Henry
153 Houston
155 Irwin
157 Jackson
159 Jasper
161 Jeff Davis
163 Jefferson
165 Jenkins
167 Johnson
169 Jones
171 Lamar
173 Lanier
175 Laurens
177 Lee
179 Liberty
181 Lincoln
183 Long
185 Lowndes
187 Lumpkin
189 McDuffie
191 McIntosh
193 Macon
195 Madison
197 Marion
199 Meriwether
201 Miller
205 Mitchell
207 Monroe
209 Montgomery
211 Morgan
213 Murray
215 Muscogee
217 Newton
219 Oconee
221 Oglethorpe
223 Paulding
225 Peach
227 Pickens
229 Pierce
231 Pike
233 Polk
235 Pulaski
237 Putnam
239 Quitman
241 Rabun
243 Randolph
245 Richmond
247 Rockdale
249 Schley
251 Screven
253 Seminole
255 Spalding
257 Stephens
259 Stewart
261 Sumter
263 Talbot
265 Taliaferro
267 Tattnall
269 Taylor
271 Telfair
273 Terrell
275 Thomas
277 Tift
279 Toombs
281 Towns
283 Treutlen
285 Troup
287 Turner
289 Twiggs
291 Union
293 Upson
295 Walker
297 Walton
299 Ware
301 Warren
303 Washington
305 Wayne
307 Webster
309 Wheeler
311 White
313 Whitfield
315 Wilcox
317 Wilkes
319 Wilkinson
321 Worth
""".strip().splitlines()
    )
}

DEMO_SETS: Final[dict[str, DemoSpec]] = {
    "georgia": DemoSpec(
        key="georgia",
        title="Georgia counties (US Census 1990)",
        source=(
            "US Census Bureau, 1990: counties, population and socio-economic shares. "
            "Area ids are the counties' FIPS codes. "
            "From libpysal's example data set 'georgia' (G_utm.shp, in the libpysal wheel, BSD-3): "
            "the data of Fotheringham, Brunsdon & Charlton (2002), Geographically Weighted "
            "Regression, Wiley; 1990 census counts and the Census Bureau's 1990 county boundaries."
        ),
        dataset="georgia",
        file_name="G_utm.shp",
        id_field="AreaKey",
        name_field=None,
        population_field="TotPop90",
        population_year=1990,
        indicator_fields={"pct_foreign_born": "PctFB", "pct_rural": "PctRural", "pct_poverty": "PctPov"},
        indicators_in_percent=True,
        source_crs="EPSG:26716",
        name_overrides=_GEORGIA_COUNTY_NAMES,
    ),
    "virginia": DemoSpec(
        key="virginia",
        title="Virginia counties and independent cities (boundaries only, no population)",
        source=(
            "Virginia counties and independent cities, boundaries only. "
            "From the libpysal example data set 'virginia' (virginia.shp, bundled in the libpysal wheel, "
            "BSD-3), described by libpysal only as 'Virginia counties shapefile'; its original "
            "source is not documented. 95 counties and 41 independent cities (pre-1995 "
            "boundaries). No population or socio-economic fields."
        ),
        dataset="virginia",
        file_name="virginia.shp",
        id_field="FIPS",
        name_field="NAME",
        population_field=None,
        population_year=None,
        name_overrides={"51610": "Falls Church"},
    ),
}

_OUTPUT_CRS: Final = "EPSG:4326"


def load_demo_areas(key: str) -> geopandas.GeoDataFrame:
    """One demo set as the planner's area table, in WGS 84 so it drops straight onto a web map.

    Columns: area_id (5-digit FIPS code, str), name (str), population (nullable Int64, because the
    Virginia set has none), the set's indicator columns as fractions 0..1 (Georgia:
    pct_foreign_born, pct_rural, pct_poverty), geometry. Values are checked on the way in so a
    changed upstream file fails here instead of producing quietly wrong maps."""
    try:
        spec = DEMO_SETS[key]
    except KeyError:
        raise KeyError(f"unknown demo set {key!r}; choose from {sorted(DEMO_SETS)}") from None
    raw = geopandas.read_file(spec.path, engine="pyogrio")
    if raw.crs is None:
        if spec.source_crs is None:
            raise ValueError(f"{spec.file_name} has no CRS and the demo spec gives none")
        raw = raw.set_crs(spec.source_crs)

    ids = raw[spec.id_field].astype(str).str.zfill(5)
    if not ids.is_unique:
        raise ValueError(f"{spec.file_name}: {spec.id_field} is not unique")
    names = raw[spec.name_field].astype(str) if spec.name_field else pd.Series(pd.NA, index=raw.index)
    overrides = ids.map(dict(spec.name_overrides))
    names = overrides.where(overrides.notna(), names)
    if names.isna().any():
        raise ValueError(f"{spec.file_name}: no name for {sorted(ids[names.isna()])}")

    out = pd.DataFrame({"area_id": ids, "name": names.astype(str)}, index=raw.index)
    if spec.population_field:
        population = raw[spec.population_field].astype("Int64")
        if (population.isna() | (population <= 0)).any():
            raise ValueError(f"{spec.file_name}: {spec.population_field} must be a positive count")
        out["population"] = population
    else:
        out["population"] = pd.array([pd.NA] * len(raw), dtype="Int64")
    scale = 0.01 if spec.indicators_in_percent else 1.0
    for column, source_field in spec.indicator_fields.items():
        values = raw[source_field].astype(float) * scale
        if not values.between(0.0, 1.0).all():
            raise ValueError(f"{spec.file_name}: {source_field} is outside 0..1 after scaling by {scale}")
        out[column] = values

    areas = geopandas.GeoDataFrame(out, geometry=raw.geometry.to_crs(_OUTPUT_CRS), crs=_OUTPUT_CRS)
    return areas.sort_values("area_id", ignore_index=True)


# --- synthetic incidents -------------------------------------------------------------------
# The model below is the "ground truth" a demo run should recover; every number is a choice,
# kept here in one place so the expected findings can be read off.

_RATE_PER_100K: Final = 12.0  # expected incidents per 100,000 residents per year, state-wide
# log-risk per standard deviation of each indicator; absent indicators contribute nothing
_INDICATOR_EFFECTS: Final[dict[str, float]] = {
    "pct_foreign_born": 0.35,
    "pct_rural": 0.25,
    "pct_poverty": 0.20,
}
_HOTSPOT_AMPLITUDE: Final = 2.5  # risk at a hot-spot centre is up to 1 + 2.5 x intensity times the rest
_HOTSPOT_RADIUS_SHARE: Final = 0.10  # kernel sd as a share of sqrt(study-area size): ~39 km in Georgia
# three hot spots: one steady, one emerging, one fading (intensity at first and last period)
_HOTSPOT_INTENSITY: Final[tuple[tuple[float, float], ...]] = ((1.0, 1.0), (0.1, 1.6), (1.6, 0.1))
_TREND_SHARES: Final = (0.2, 0.2)  # shares of areas rising / falling; the rest are flat
_TREND_SLOPES: Final = (0.15, -0.12)  # change in log-risk per period for rising / falling areas
_OVERDISPERSION_SHAPE: Final = 8.0  # gamma noise on each area-period's risk (mean 1)

# conditional distributions of the record attributes, rows in EXPLOITATION_TYPES order
_TYPE_WEIGHTS: Final = np.array([0.34, 0.36, 0.12, 0.10, 0.08])
_RECRUITMENT_GIVEN_TYPE: Final = np.array(
    [
        [0.45, 0.10, 0.15, 0.22, 0.08],  # labour
        [0.15, 0.35, 0.35, 0.05, 0.10],  # sexual
        [0.15, 0.20, 0.45, 0.05, 0.15],  # criminal
        [0.30, 0.05, 0.30, 0.30, 0.05],  # domestic servitude
        [0.20, 0.20, 0.25, 0.15, 0.20],  # other
    ]
)
_ONLINE_GROWTH: Final = 0.12  # online recruitment weight grows by this share each period
_AGE_GIVEN_TYPE: Final = np.array(
    [
        [0.04, 0.22, 0.35, 0.29, 0.10],
        [0.25, 0.35, 0.25, 0.12, 0.03],
        [0.35, 0.35, 0.18, 0.10, 0.02],
        [0.08, 0.20, 0.30, 0.30, 0.12],
        [0.10, 0.25, 0.30, 0.25, 0.10],
    ]
)
_FEMALE_GIVEN_TYPE: Final = np.array([0.30, 0.90, 0.35, 0.85, 0.50])
_FOREIGN_FACTOR_GIVEN_TYPE: Final = np.array([1.6, 1.0, 0.6, 1.8, 1.0])
_FOREIGN_MIX_GIVEN_TYPE: Final = np.array(  # over NATIONALITIES[1:]: MX GT HN RO VN UA
    [
        [0.40, 0.22, 0.18, 0.05, 0.10, 0.05],
        [0.30, 0.10, 0.10, 0.15, 0.20, 0.15],
        [0.35, 0.15, 0.20, 0.10, 0.10, 0.10],
        [0.30, 0.20, 0.15, 0.05, 0.20, 0.10],
        [0.30, 0.15, 0.15, 0.15, 0.15, 0.10],
    ]
)


def _draw(rng: np.random.Generator, probs: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """One categorical draw per row of ``probs`` (rows need not sum to 1), all rows at once."""
    cdf = np.cumsum(probs, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(probs))
    return np.minimum((u[:, None] > cdf).sum(axis=1), probs.shape[1] - 1)


def _standardised(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    sd = values.std()
    z = (values - values.mean()) / sd if sd > 0 else np.zeros_like(values)
    return np.clip(z, -2.5, 2.5)  # one extreme county must not swallow the whole state's incidents


def _hotspot_kernels(
    areas: geopandas.GeoDataFrame, rng: np.random.Generator, n_spots: int
) -> npt.NDArray[np.float64]:
    """Gaussian kernels (spots x areas) around well-separated, population-weighted seed areas.

    Weighting by population puts hot spots where there are enough people for them to show;
    separation keeps the spots distinct so each one's trend can be found on its own."""
    projected = areas.geometry.to_crs(areas.estimate_utm_crs())
    centroids = np.column_stack([projected.centroid.x, projected.centroid.y])
    radius = _HOTSPOT_RADIUS_SHARE * float(np.sqrt(projected.area.sum()))
    distance = np.linalg.norm(centroids[:, None, :] - centroids[None, :, :], axis=2)
    weights = np.sqrt(areas["population"].to_numpy(dtype=float))
    kernels = np.zeros((n_spots, len(areas)))
    for spot in range(n_spots):
        p = weights / weights.sum()
        seed_area = rng.choice(len(areas), p=p)
        kernels[spot] = np.exp(-0.5 * (distance[seed_area] / radius) ** 2)
        far = distance[seed_area] > 3 * radius
        if far.any():
            weights = np.where(far, weights, 0.0)
    return kernels


def synthetic_incidents(
    areas: geopandas.GeoDataFrame,
    *,
    periods: Sequence[int] = range(2019, 2025),
    seed: int = 20261121,
) -> pd.DataFrame:
    """Synthetic incident records with known structure, so analyses can be checked against truth.

    One row per incident: area_id, period (year), exploitation_type, recruitment, age_band, sex,
    nationality and synthetic (always True, so a demo record can never pass for a real one).
    There is no person-level identifier of any kind. The same ``seed`` gives the same frame.

    Yearly counts are Poisson (with mild gamma over-dispersion) around a risk that rises with the
    foreign-born, rural and poverty shares, three spatially smooth hot spots (one steady, one
    emerging, one fading) and per-area trends (a fifth rising, a fifth falling). The overall rate
    is scaled to 12 per 100,000 per year, which leaves many small counties below a
    suppression threshold of 11. Attributes depend on the incident's type, the area's rurality
    and foreign-born share, and the period (online recruitment grows), so segment analyses also
    have something to find.

    ``areas`` needs area_id, population (all positive) and geometry with a CRS; indicator columns
    are used when present. ``frame.attrs`` records the area ids and periods so
    :func:`synthetic_counts` can add the zero cells."""
    if areas.crs is None:
        raise ValueError("areas need a CRS: hot spots are placed by distance")
    if "population" not in areas or areas["population"].isna().any():
        raise ValueError("synthetic incidents need a real population for every area; this set has none")
    population = areas["population"].to_numpy(dtype=float)
    if (population <= 0).any():
        raise ValueError("every area needs a positive population")
    periods = [int(p) for p in periods]
    if not periods or len(set(periods)) != len(periods):
        raise ValueError("periods must be non-empty and distinct")

    rng = np.random.default_rng(seed)
    n_areas, n_periods = len(areas), len(periods)

    log_risk = np.zeros(n_areas)
    for column, effect in _INDICATOR_EFFECTS.items():
        if column in areas:
            log_risk += effect * _standardised(areas[column].to_numpy(dtype=float))

    n_spots = min(len(_HOTSPOT_INTENSITY), n_areas)
    kernels = _hotspot_kernels(areas, rng, n_spots)
    intensity = np.array([np.linspace(a, b, n_periods) for a, b in _HOTSPOT_INTENSITY[:n_spots]])
    hotspot = 1.0 + _HOTSPOT_AMPLITUDE * (intensity.T @ kernels)  # periods x areas

    trend_kind = rng.choice(3, size=n_areas, p=[*_TREND_SHARES, 1.0 - sum(_TREND_SHARES)])
    slope = np.select([trend_kind == 0, trend_kind == 1], list(_TREND_SLOPES), 0.0)
    slope = slope + rng.normal(0.0, 0.02, n_areas)
    t = np.arange(n_periods) - (n_periods - 1) / 2.0  # centred, so trends do not shift the total

    relative = np.exp(log_risk[None, :] + np.outer(t, slope)) * hotspot  # periods x areas
    relative *= rng.gamma(_OVERDISPERSION_SHAPE, 1.0 / _OVERDISPERSION_SHAPE, size=relative.shape)
    expected = population[None, :] * relative
    expected *= _RATE_PER_100K / 1e5 * population.sum() * n_periods / expected.sum()
    counts = rng.poisson(expected)  # periods x areas

    area_index = np.concatenate([np.repeat(np.arange(n_areas), counts[p]) for p in range(n_periods)])
    period_index = np.repeat(np.arange(n_periods), counts.sum(axis=1))
    n = len(area_index)

    rural = areas["pct_rural"].to_numpy(dtype=float) if "pct_rural" in areas else np.full(n_areas, 0.5)
    foreign = (
        areas["pct_foreign_born"].to_numpy(dtype=float) if "pct_foreign_born" in areas else np.zeros(n_areas)
    )

    type_probs = np.tile(_TYPE_WEIGHTS, (n, 1))
    type_probs[:, 0] *= 0.6 + 0.8 * rural[area_index]  # labour exploitation leans rural
    type_probs[:, 1] *= 1.4 - 0.8 * rural[area_index]  # sexual exploitation leans urban
    kind = _draw(rng, type_probs)

    recruitment_probs = _RECRUITMENT_GIVEN_TYPE[kind].copy()
    recruitment_probs[:, 1] *= (1.0 + _ONLINE_GROWTH) ** period_index
    recruitment = _draw(rng, recruitment_probs)

    age = _draw(rng, _AGE_GIVEN_TYPE[kind])
    female = rng.random(n) < _FEMALE_GIVEN_TYPE[kind]

    p_foreign = np.clip((0.2 + 5.0 * foreign[area_index]) * _FOREIGN_FACTOR_GIVEN_TYPE[kind], 0.05, 0.85)
    nationality_probs = np.column_stack([1.0 - p_foreign, p_foreign[:, None] * _FOREIGN_MIX_GIVEN_TYPE[kind]])
    nationality = _draw(rng, nationality_probs)

    frame = pd.DataFrame(
        {
            "area_id": areas["area_id"].astype(str).to_numpy()[area_index],
            "period": np.asarray(periods, dtype=np.int64)[period_index],
            "exploitation_type": np.asarray(EXPLOITATION_TYPES)[kind],
            "recruitment": np.asarray(RECRUITMENT_CHANNELS)[recruitment],
            "age_band": np.asarray(AGE_BANDS)[age],
            "sex": np.where(female, SEXES[0], SEXES[1]),
            "nationality": np.asarray(NATIONALITIES)[nationality],
            "synthetic": np.ones(n, dtype=bool),
        },
        columns=list(INCIDENT_COLUMNS),
    )
    frame.attrs["area_ids"] = tuple(areas["area_id"].astype(str))
    frame.attrs["periods"] = tuple(periods)
    return frame


def synthetic_counts(
    incidents: pd.DataFrame,
    *,
    area_ids: Sequence[str] | None = None,
    periods: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Area x period counts with explicit zeros, because a missing row is not the same as none.

    Hot-spot and trend statistics need every cell; an area with no incidents in a year must count
    as 0. The grid comes from ``area_ids``/``periods`` when given, else from the ids and periods
    :func:`synthetic_incidents` recorded in ``incidents.attrs``, else from the values present
    (which misses areas with no incident at all). Returns area_id, period, count (int64), sorted."""
    ids = area_ids if area_ids is not None else incidents.attrs.get("area_ids")
    if ids is None:
        ids = incidents["area_id"].unique()
    years = periods if periods is not None else incidents.attrs.get("periods")
    if years is None:
        years = incidents["period"].unique()
    grid = pd.MultiIndex.from_product(
        [sorted({str(i) for i in ids}), sorted({int(p) for p in years})], names=["area_id", "period"]
    )
    observed = incidents.groupby(
        [incidents["area_id"].astype(str), incidents["period"].astype("int64")]
    ).size()
    outside = observed.index.difference(grid)
    if len(outside):
        raise ValueError(f"incidents fall outside the area x period grid, e.g. {list(outside[:3])}")
    counts = observed.reindex(grid, fill_value=0).astype("int64")
    return counts.rename("count").reset_index()
