"""`python -m targeting rank ...`: rank areas from files, for analysts who work outside the web app.

Problems with the input files are printed with their row and column and the command exits with
status 2 before any output is written, so a half-made file never looks like a result.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from .export import format_for_path, write_ranking
from .inputs import ValidationReport, check_area_ids, read_areas, read_counts, read_incidents, read_indicators
from .privacy import DEFAULT_K
from .ranking import FACTORS, RankingInputError, rank_areas

__all__ = ["main"]


def _weights(text: str) -> dict[str, float]:
    """`rate=0.5,hotspot=0.3` -> a dict; a clear argparse error otherwise."""
    out: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{item}' is not NAME=NUMBER (for example rate=0.4)") from None
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m targeting", description=__doc__.splitlines()[0] if __doc__ else "")
    sub = parser.add_subparsers(dest="command", required=True)
    rank = sub.add_parser("rank", help="rank areas for outreach and write CSV, GeoJSON or GeoPackage")
    rank.add_argument("--areas", required=True, type=Path, help="boundaries: .gpkg, .geojson or zipped shapefile")
    rank.add_argument("--id-field", required=True, help="column with each area's unique id")
    rank.add_argument("--name-field", help="column with each area's name (default: the id)")
    rank.add_argument("--population-field", required=True, help="column with each area's population")
    source = rank.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--incidents", type=Path, help="incident points: CSV with latitude/longitude and date, or a geo file"
    )
    source.add_argument("--counts", type=Path, help="counts per area and period: CSV area_id,period,count")
    rank.add_argument("--indicators", type=Path, help="per-area indicators CSV (area_id plus numeric columns)")
    rank.add_argument("--period", help="period to rank (default: the latest)")
    rank.add_argument(
        "--period-by", choices=("year", "quarter", "month"), default="year", help="how dates become periods"
    )
    rank.add_argument("--date-field", default="date")
    rank.add_argument("--lat-field", default="latitude")
    rank.add_argument("--lon-field", default="longitude")
    rank.add_argument(
        "--weights",
        type=_weights,
        help=f"e.g. rate=0.4,hotspot=0.3,trend=0.2,volume=0.1 ({', '.join(FACTORS)} or an indicator column)",
    )
    rank.add_argument("--smoothing", choices=("global", "spatial"), default="global")
    rank.add_argument(
        "--permutations", type=int, default=0, help="permutation p-values instead of analytic (small sets)"
    )
    rank.add_argument("--seed", type=int, default=0)
    rank.add_argument("--k", type=int, default=DEFAULT_K, help="hide counts below this (default %(default)s)")
    rank.add_argument("--cache-dir", type=Path, help="keep neighbour matrices here between runs")
    rank.add_argument("--out", required=True, type=Path, help="OUT.csv, OUT.geojson or OUT.gpkg")
    rank.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _show(report: ValidationReport, what: str) -> bool:
    for issue in report.issues:
        print(f"{what}: {issue.severity}: {issue.message}", file=sys.stderr)
    return report.ok


def _rank(args: argparse.Namespace) -> int:
    try:
        format_for_path(args.out)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    areas, report = read_areas(
        args.areas, id_col=args.id_field, name_col=args.name_field, population_col=args.population_field
    )
    ok = _show(report, str(args.areas))
    areas_ok = ok
    incidents = counts = None
    if args.incidents is not None:
        incidents, report = read_incidents(
            args.incidents,
            date_col=args.date_field,
            lat_col=args.lat_field,
            lon_col=args.lon_field,
            period=args.period_by,
        )
        ok = _show(report, str(args.incidents)) and ok
    else:
        counts, report = read_counts(args.counts)
        if report.ok and areas_ok:  # name the rows and ids that match no area, not just how many
            report.extend(check_area_ids(counts, areas).issues)
        ok = _show(report, str(args.counts)) and ok
    indicator_cols: list[str] = []
    if args.indicators is not None:
        table, report = read_indicators(args.indicators)
        ok = _show(report, str(args.indicators)) and ok
        if report.ok:
            indicator_cols = [c for c in table.columns if c != "area_id"]
            areas = areas.merge(table, on="area_id", how="left", suffixes=("", "_indicator"))
    if not ok:
        print("nothing written: fix the errors above and run again", file=sys.stderr)
        return 2
    weights = args.weights
    with tqdm(total=100, disable=args.quiet, unit="%", desc="ranking", file=sys.stderr) as bar:

        def progress(fraction: float, message: str) -> None:
            bar.set_postfix_str(message)
            bar.update(round(fraction * 100) - bar.n)

        try:
            ranked = rank_areas(
                areas,
                incidents,
                counts=counts,
                population_col="population",
                period=args.period,
                weights=weights,
                indicators=indicator_cols,
                smoothing=args.smoothing,
                permutations=args.permutations,
                seed=args.seed,
                k=args.k,
                cache_dir=args.cache_dir,
                progress=progress,
            )
        except (RankingInputError, ValueError) as exc:  # also options the library refuses (--k 1, --permutations)
            print(f"error: {exc}", file=sys.stderr)
            return 2
    write_ranking(ranked, args.out, areas=areas)
    meta = ranked.attrs
    print(
        f"ranked {int(ranked['rank'].notna().sum()):,} of {len(ranked):,} areas for period {meta['period']} "
        f"-> {args.out}",
        file=sys.stderr,
    )
    if meta["points_outside"]:
        print(
            f"warning: {meta['points_outside']:,} incident points fall outside every area and are not counted",
            file=sys.stderr,
        )
    if meta["unmatched_records"]:
        print(
            f"warning: {meta['unmatched_records']:,} incidents name an area id that is not in the boundaries",
            file=sys.stderr,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "rank":
        return _rank(args)
    return 2  # pragma: no cover - argparse requires a command
