"""Run the disclosure attacks of tests/disclosure_attacks.py on a checkout's ranking output.

    python bench/disclosure_attacks.py            # this checkout
    PYTHONPATH=/path/to/old/checkout python bench/disclosure_attacks.py   # another one

The ranking is made by that checkout's `rank_areas` with its default (published) settings on the
demo data of both states, written out by its own CSV writer and read back as an outsider would.
Prints, per attack, hidden counts recovered exactly against the best guess from published facts,
and the time and peak memory of the attacks themselves.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

# This directory holds bench/targeting.py, which would shadow the package: tests/ goes first instead.
sys.path[0] = str(Path(__file__).resolve().parents[1] / "tests")

import disclosure_attacks as attack  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from targeting import rank_areas  # noqa: E402
from targeting.contiguity import queen_contiguity  # noqa: E402
from targeting.demo import load_demo_areas, synthetic_incidents  # noqa: E402
from targeting.export import ranking_bytes  # noqa: E402


def main() -> None:
    import targeting

    print(f"targeting from {Path(targeting.__file__).parent}")
    for state in ("georgia",):  # the demo state with populations
        areas = load_demo_areas(state)
        incidents = synthetic_incidents(areas)
        truth = rank_areas(areas, incidents, suppress=False)
        true_counts = dict(zip(truth["area_id"], truth["count"].astype(int), strict=True))
        published = rank_areas(areas, incidents)
        order = areas["area_id"].astype(str).to_numpy()
        pub = attack.read_ranking(ranking_bytes(published, "csv"), "csv").aligned(order)
        guess = attack.population_guess(pub)
        neighbours = queen_contiguity(areas.geometry.values, ids=list(order)).matrix
        withheld = attack.PublishedRanking(
            pub.area_id, pub.count, pub.population, np.where(pub.hidden, np.nan, pub.eb_rate), pub.gi_z, pub.hidden
        )
        tracemalloc.start()
        start = time.perf_counter()
        by_rate = attack.recovery(attack.eb_inversion(pub), true_counts, guess)
        by_z = attack.recovery(attack.z_least_squares(withheld, neighbours), true_counts, guess)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"{state}: {int(pub.hidden.sum())} of {len(pub.hidden)} areas hidden")
        print(f"  smoothed-rate inversion (CSV): {by_rate}")
        print(f"  least squares on Gi* z (CSV):  {by_z}")
        print(f"  attacks took {seconds:.1f} s, peak {peak:.0f} MiB")
        # What the protection costs the ranking: the published ranking against one on true counts.
        ranks = published.set_index("area_id")["rank"].astype(float)
        true_ranks = truth.set_index("area_id")["rank"].astype(float).loc[ranks.index]
        overlap = [len(set(published["area_id"].head(n)) & set(truth["area_id"].head(n))) for n in (10, 20)]
        print(f"  ranking against true counts: Spearman {stats.spearmanr(ranks, true_ranks).statistic:.2f}, "
              f"top 10 shared {overlap[0]}/10, top 20 shared {overlap[1]}/20")


if __name__ == "__main__":
    main()
