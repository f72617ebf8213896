"""Read-then-write transactions from several processes on one SQLite file (WAL), as gunicorn
workers and the scheduler do: deferred BEGIN (the reference) against BEGIN IMMEDIATE (what the
planner uses for writes). Prints failed transactions, wall time, their ratio and peak memory.

    python bench/sqlite_locking.py [--processes 4] [--transactions 300]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def worker(path: str, n: int, immediate: bool, start: multiprocessing.synchronize.Event,  # type: ignore[name-defined]
           out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from campaigns import create_app
    from campaigns.db import set_write_intent
    from campaigns.extensions import db

    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench" * 8,
                      "INSTANCE_PATH": str(Path(path).parent / "instance")})
    failed = 0
    set_write_intent(immediate)
    start.wait()
    with app.app_context():
        for _ in range(n):
            try:
                value = db.session.execute(text("SELECT v FROM counter")).scalar_one()
                db.session.execute(text("UPDATE counter SET v = :v"), {"v": value + 1})
                db.session.commit()
            except OperationalError:
                db.session.rollback()
                failed += 1
    out.put(failed)


def run(processes: int, transactions: int, immediate: bool) -> tuple[int, int, float]:
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.sqlite3")
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE counter (v INTEGER)")
            conn.execute("INSERT INTO counter VALUES (0)")
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        start = ctx.Event()
        procs = [ctx.Process(target=worker, args=(path, transactions, immediate, start, queue))
                 for _ in range(processes)]
        for p in procs:
            p.start()
        time.sleep(3)  # let every process import and build its app before the clock starts
        t0 = time.perf_counter()
        start.set()
        failed = sum(queue.get() for _ in procs)
        elapsed = time.perf_counter() - t0
        for p in procs:
            p.join()
        with sqlite3.connect(path) as conn:
            final = conn.execute("SELECT v FROM counter").fetchone()[0]
    return failed, final, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--transactions", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    total = args.processes * args.transactions
    rows = {}
    for label, immediate in (("deferred BEGIN (reference)", False), ("BEGIN IMMEDIATE (planner)", True)):
        runs = [run(args.processes, args.transactions, immediate) for _ in range(args.repeats)]
        failed = sorted(r[0] for r in runs)
        times = sorted(r[2] for r in runs)
        ok = all(r[1] == total - r[0] for r in runs)
        rows[label] = times[len(times) // 2]
        print(f"{label:<28} failed {failed} of {total} (runs), median {times[len(times) // 2]:.2f} s, "
              f"committed count consistent: {ok}")
    ref, ours = rows.values()
    print(f"time ratio immediate/deferred (median): {ours / ref:.2f}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory of one worker process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
