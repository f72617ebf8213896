"""`rank_areas` against the reference pipeline a careful analyst would write with the PySAL stack.

Builds a Voronoi tessellation of N areas (85,000 by default) and M incident points (1,000,000)
spread over 6 years with a few planted clusters, then runs, each in a fresh process so peak memory
is its own:

* reference: ``geopandas.sjoin`` (every point within an area) and a count per area and year,
  ``libpysal.weights.Queen.from_dataframe``, ``esda.smoothing.Empirical_Bayes`` and
  ``esda.getisord.G_Local(transform="B", star=True)`` (analytic) for the latest year;
* planner: ``targeting.rank_areas`` on all six years: counts, queen contiguity, EB rates for every
  year, Gi* for every year with FDR, Mann-Kendall trends, emerging-hot-spot patterns, suppression,
  the score and an explanation for every area.

It prints the median wall time of `--repeat` runs of each, their ratio, the peak resident memory
of each (ru_maxrss of the child process, minus the same child's RSS after loading the data), and
the same for a small set (3,000 areas by default).

    python bench/targeting.py [--areas 85000] [--points 1000000] [--small 3000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from memory import PeakRSS  # noqa: E402 - bench/ is the script's own folder

YEARS = [str(y) for y in range(2019, 2025)]


def build(n_areas: int, n_points: int, folder: Path, seed: int = 7) -> Path:
    """Areas (Voronoi cells in a 1,000 km square, metres) and points, saved for the child processes."""
    import geopandas
    import numpy as np
    import shapely

    rng = np.random.default_rng(seed)
    side = 1_000_000.0
    seeds = shapely.points(rng.uniform(0, side, size=(n_areas, 2)))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=shapely.box(0, 0, side, side))
    )
    cells = shapely.intersection(cells, shapely.box(0, 0, side, side))
    areas = geopandas.GeoDataFrame(
        {
            "area_id": [f"A{i:06d}" for i in range(len(cells))],
            "name": [f"Area {i}" for i in range(len(cells))],
            "population": rng.integers(500, 60_000, size=len(cells)),
        },
        geometry=cells,
        crs=3857,
    )
    # Points: 80 % uniform, 20 % in a few clusters that grow over the years.
    uniform = rng.uniform(0, side, size=(int(n_points * 0.8), 2))
    centres = rng.uniform(0.1 * side, 0.9 * side, size=(8, 2))
    n_cluster = n_points - len(uniform)
    which = rng.integers(0, len(centres), size=n_cluster)
    clustered = np.clip(centres[which] + rng.normal(0, 25_000, size=(n_cluster, 2)), 0, side - 1)
    xy = np.vstack([uniform, clustered])
    year_weights = np.linspace(0.8, 1.2, len(YEARS))
    years = np.r_[
        rng.integers(0, len(YEARS), size=len(uniform)),
        rng.choice(len(YEARS), size=n_cluster, p=year_weights / year_weights.sum()),
    ]
    points = geopandas.GeoDataFrame({"period": np.asarray(YEARS)[years]}, geometry=shapely.points(xy), crs=3857)
    path = folder / f"bench-{n_areas}-{n_points}.pkl"
    import pickle

    with path.open("wb") as fh:
        pickle.dump((areas, points), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _load(path: str):  # type: ignore[no-untyped-def]
    import pickle

    with open(path, "rb") as fh:
        return pickle.load(fh)  # noqa: S301 - our own file, written above




def reference(path: str) -> dict[str, float]:
    import warnings

    import esda
    import geopandas
    import numpy as np
    from libpysal.weights import Queen

    areas, points = _load(path)
    memory = PeakRSS().__enter__()
    t0 = time.perf_counter()
    joined = geopandas.sjoin(points, areas[["area_id", "geometry"]], predicate="within", how="inner")
    table = joined.groupby(["area_id", "period"]).size().unstack(fill_value=0).reindex(areas["area_id"], fill_value=0)
    counts = table[YEARS[-1]].to_numpy()
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Queen.from_dataframe(areas, use_index=False, silence_warnings=True)
    t2 = time.perf_counter()
    eb = esda.smoothing.Empirical_Bayes(counts, areas["population"].to_numpy()).r.ravel()
    g = esda.getisord.G_Local(eb, w, transform="B", star=True, permutations=0)
    t3 = time.perf_counter()
    memory.__exit__()
    assert np.isfinite(g.Zs).all()
    return {"total": t3 - t0, "sjoin": t1 - t0, "queen": t2 - t1, "eb+gi": t3 - t2, "rss": memory.extra}


def planner(path: str) -> dict[str, float]:
    from targeting import contiguity
    from targeting.ranking import rank_areas

    areas, points = _load(path)
    contiguity._MEMORY_CACHE.clear()  # measure the cold path: no cached neighbours
    with PeakRSS() as memory:
        t0 = time.perf_counter()
        ranked = rank_areas(areas, points)
        t1 = time.perf_counter()
    assert ranked["rank"].notna().all()
    return {"total": t1 - t0, "rss": memory.extra}


def _child(func_name: str, path: str, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    out.put(globals()[func_name](path))


def run(func_name: str, path: Path, repeat: int) -> list[dict[str, float]]:
    ctx = multiprocessing.get_context("spawn")
    results = []
    for _ in range(repeat):
        queue = ctx.Queue()
        proc = ctx.Process(target=_child, args=(func_name, str(path), queue))
        proc.start()
        results.append(queue.get())
        proc.join()
    return results


def report(label: str, path: Path, repeat: int, *, with_reference: bool = True) -> None:
    mine = run("planner", path, repeat)
    mine_t = statistics.median(r["total"] for r in mine)
    mine_m = max(r["rss"] for r in mine)
    runs = ", ".join(f"{r['total']:.2f}" for r in mine)
    print(f"{label}: rank_areas    median {mine_t:6.2f} s  (runs: {runs})  peak RSS above start {mine_m:6.0f} MiB")
    if not with_reference:
        return
    ref = run("reference", path, repeat)
    ref_t = statistics.median(r["total"] for r in ref)
    ref_m = max(r["rss"] for r in ref)
    parts = ", ".join(f"{k} {statistics.median(r[k] for r in ref):.2f} s" for k in ("sjoin", "queen", "eb+gi"))
    print(f"{label}: reference     median {ref_t:6.2f} s  ({parts})  peak RSS above start {ref_m:6.0f} MiB")
    print(f"{label}: ratio rank_areas / reference: time {mine_t / ref_t:.2f}, peak memory {mine_m / ref_m:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--areas", type=int, default=85_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=3_000)
    parser.add_argument("--small-points", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        small = build(args.small, args.small_points, folder)
        large = build(args.areas, args.points, folder)
        took = time.perf_counter() - t
        print(f"built {args.small:,} + {args.areas:,} Voronoi areas and {args.points:,} points in {took:.1f} s")
        report(f"{args.small:,} areas", small, args.repeat)
        report(f"{args.areas:,} areas", large, args.repeat)


if __name__ == "__main__":
    main()
