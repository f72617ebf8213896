"""`python -m targeting rank` as an analyst runs it: real files in, CSV/GeoJSON/GeoPackage out, exit 2 on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import geopandas
import numpy as np
import pandas as pd
import pytest
import shapely

from targeting.cli import main
from targeting.demo import load_demo_areas, synthetic_counts, synthetic_incidents
from targeting.ranking import rank_areas

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Files:
    areas: Path
    counts: Path
    points: Path
    points_with_names: Path
    counts_table: pd.DataFrame
    point_table: pd.DataFrame


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    folder = tmp_path_factory.mktemp("cli-inputs")
    areas = load_demo_areas("georgia")
    areas.to_file(folder / "georgia.gpkg", driver="GPKG")
    incidents = synthetic_incidents(areas)
    counts = synthetic_counts(incidents)
    counts.to_csv(folder / "counts.csv", index=False)
    # one random point inside its county for every incident of the last three years
    recent = incidents[incidents["period"] >= 2022].sort_values("area_id", kind="stable")
    sizes = recent.groupby("area_id").size().reindex(areas["area_id"], fill_value=0)
    samples = areas.set_index("area_id").geometry.sample_points(sizes.to_numpy(), rng=7)
    parts, owner = shapely.get_parts(samples.values, return_index=True)
    assert (samples.index.to_numpy()[owner] == recent["area_id"].to_numpy()).all()
    points = pd.DataFrame(
        {
            "latitude": shapely.get_y(parts).round(7),
            "longitude": shapely.get_x(parts).round(7),
            "date": recent["period"].astype(str).to_numpy() + "-06-15",
            "exploitation_type": recent["exploitation_type"].to_numpy(),
            "area_id": recent["area_id"].to_numpy(),  # kept for the test's own check, not written
        }
    )
    points.drop(columns="area_id").to_csv(folder / "points.csv", index=False)
    points.drop(columns="area_id").assign(victim_name="Jane Doe").to_csv(folder / "points_names.csv", index=False)
    return Files(
        folder / "georgia.gpkg",
        folder / "counts.csv",
        folder / "points.csv",
        folder / "points_names.csv",
        counts,
        points,
    )


def _args(
    files: Files, out: Path, *extra: str, source: Sequence[str] | None = None, id_field: str = "area_id"
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "targeting",
        "rank",
        "--areas",
        str(files.areas),
        "--id-field",
        id_field,
        "--name-field",
        "name",
        "--population-field",
        "population",
        *(source if source is not None else ["--counts", str(files.counts)]),
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=180, check=False)


def _run_all(commands: Sequence[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Run the commands a few at a time (each mostly pays the interpreter start-up), in order."""
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        return list(pool.map(_run, commands))


def _check_ranking(frame: pd.DataFrame, n: int) -> None:
    assert len(frame) == n
    assert frame["rank"].astype(int).tolist() == list(range(1, n + 1))
    assert {"area_id", "score", "count", "explanation", "gi_z", "gi_bin"} <= set(frame.columns)


@dataclass(frozen=True)
class Run:
    result: subprocess.CompletedProcess[str]
    out: Path


ERRORS = {
    "bad-suffix": r".csv, .geojson or .gpkg",
    "missing-id": "GEOID",
    "victim-name": "victim_name",
}


@pytest.fixture(scope="module")
def runs(files: Files, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every command of this module, started together: each one mostly pays the interpreter start-up."""
    out = {name: tmp_path_factory.mktemp(name) for name in ["csv", "geojson", "gpkg", "points", *ERRORS]}
    points = ["--incidents", str(files.points)]
    commands = {
        "csv": _args(files, out["csv"] / "out.csv"),
        "geojson": _args(files, out["geojson"] / "out.geojson"),
        "gpkg": _args(files, out["gpkg"] / "out.gpkg"),
        "points": _args(files, out["points"] / "out.csv", source=points),
        "bad-suffix": _args(files, out["bad-suffix"] / "out.xlsx"),
        "missing-id": _args(files, out["missing-id"] / "out.csv", id_field="GEOID"),
        "victim-name": _args(
            files, out["victim-name"] / "out.csv", source=["--incidents", str(files.points_with_names)]
        ),
    }
    results = _run_all(list(commands.values()))
    return {
        name: Run(result, Path(cmd[cmd.index("--out") + 1]))
        for (name, cmd), result in zip(commands.items(), results, strict=True)
    }


def test_counts_to_csv_geojson_and_gpkg(files: Files, runs: dict[str, Run]) -> None:
    for name in ("csv", "geojson", "gpkg"):
        run = runs[name]
        assert run.result.returncode == 0, run.result.stderr
        assert run.out.is_file() and run.out.stat().st_size > 0
        assert f"ranked 159 of 159 areas for period 2024 -> {run.out}" in run.result.stderr
    n = len(load_demo_areas("georgia"))
    table = pd.read_csv(runs["csv"].out, dtype={"area_id": str})
    _check_ranking(table, n)
    for name in ("geojson", "gpkg"):
        shapes = geopandas.read_file(runs[name].out)
        assert shapes.crs.to_epsg() == 4326
        assert shapes.geom_type.isin(["Polygon", "MultiPolygon"]).all()
        _check_ranking(shapes, n)
        assert shapes["area_id"].astype(str).tolist() == table["area_id"].tolist()
    # the same ranking as the library gives in-process
    expected = rank_areas(load_demo_areas("georgia"), counts=files.counts_table)
    assert table["area_id"].tolist() == expected["area_id"].tolist()
    np.testing.assert_allclose(table["score"], expected["score"], rtol=1e-9)
    assert table["count"].isna().tolist() == expected["count"].isna().tolist()  # suppression kept


def test_incident_points_csv(files: Files, runs: dict[str, Run]) -> None:
    run = runs["points"]
    assert run.result.returncode == 0, run.result.stderr
    assert "period 2024" in run.result.stderr
    assert "outside every area" not in run.result.stderr
    table = pd.read_csv(run.out, dtype={"area_id": str})
    _check_ranking(table, len(load_demo_areas("georgia")))
    latest = files.counts_table[files.counts_table["period"] == 2024].set_index("area_id")["count"]
    shown = table.dropna(subset=["count"]).set_index("area_id")["count"].astype(int)
    assert len(shown) > 20
    pd.testing.assert_series_equal(shown.sort_index(), latest.loc[shown.index].sort_index(), check_names=False)


def _main_in_process(files: Files, out: Path, *extra: str) -> int:
    """The same entry point without a new interpreter, for options beyond the subprocess runs."""
    return main(_args(files, out, *extra)[3:])


def test_period_and_weights_options(files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "by_volume.csv"
    # k = 2: the only hidden count is 1, which every published figure then takes as 1 (the
    # expected value of a count known to be 1), so the order by volume is the order by count.
    assert _main_in_process(files, out, "--period", "2022", "--weights", "volume=1", "--k", "2") == 0
    assert "period 2022" in capsys.readouterr().err
    table = pd.read_csv(out, dtype={"area_id": str})
    counts = files.counts_table[files.counts_table["period"] == 2022].set_index("area_id")["count"]
    ordered = counts.loc[table["area_id"]].to_numpy()
    assert (np.diff(ordered) <= 0).all()  # all weight on volume: ranked by count


def test_unknown_period_and_bad_options_exit_2(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.csv"
    assert _main_in_process(files, out, "--period", "1999") == 2
    assert "periods are 2019, 2020, 2021, 2022, 2023, 2024" in capsys.readouterr().err
    assert _main_in_process(files, out, "--weights", "popularity=1") == 2
    assert "unknown weight(s) popularity" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        _main_in_process(files, out, "--weights", "rate")
    assert info.value.code == 2
    assert "'rate' is not NAME=NUMBER" in capsys.readouterr().err
    # option values the library refuses are reported like input errors, not as a traceback
    assert _main_in_process(files, out, "--k", "1") == 2
    assert "error: k must be 2 or more" in capsys.readouterr().err
    assert _main_in_process(files, out, "--permutations", "-5") == 2
    assert "error: permutations must be 0 or more" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("case", list(ERRORS))
def test_bad_input_exits_2_and_writes_nothing(runs: dict[str, Run], case: str) -> None:
    run = runs[case]
    assert run.result.returncode == 2, run.result.stderr
    assert ERRORS[case] in run.result.stderr
    assert "Traceback" not in run.result.stderr
    assert not run.out.exists()
    assert list(run.out.parent.iterdir()) == []
