"""A large incident-point CSV through the web app: check, import (queued), background job.

    python bench/import_large.py [--points 1000000] [--reference 50000]

The file is a CSV of points inside the demo's Georgia counties (latitude, longitude, date and
two attributes). It goes through the real HTTP flow with Flask's test client on SQLite: the
check request, the import request (which queues the job and answers at once) and the job
itself, which stores the rows in chunks. The same flow runs first with `--reference` points, in
the same process; the ratio of time per row says how the job scales. Peak memory is the
process's resident high-water mark.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT / "tests")  # this folder's targeting.py would shadow the package

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from conftest import create_schema, demo_client, georgia_id, make_app  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from campaigns.db import write_intent  # noqa: E402
from campaigns.extensions import db  # noqa: E402
from campaigns.models import IncidentRecord, IncidentSet  # noqa: E402
from campaigns.services.audit import SYSTEM_CLI  # noqa: E402
from campaigns.services.demo import load_demo  # noqa: E402
from targeting.demo import load_demo_areas  # noqa: E402


def points_csv(n: int, seed: int = 7) -> bytes:
    areas = load_demo_areas("georgia")
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = areas.total_bounds
    xs = rng.uniform(minx, maxx, n * 2)
    ys = rng.uniform(miny, maxy, n * 2)
    inside = shapely.contains_xy(areas.union_all(), xs, ys)
    xs, ys = xs[inside][:n], ys[inside][:n]
    years = rng.integers(2019, 2025, len(xs))
    kinds = np.array(["labour", "sexual", "domestic"])[rng.integers(0, 3, len(xs))]
    lines = [f"{y:.6f},{x:.6f},{year}-06-15,{kind}" for x, y, year, kind in zip(xs, ys, years, kinds, strict=True)]
    return ("latitude,longitude,date,exploitation_type\n" + "\n".join(lines) + "\n").encode()


def vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_run(n: int, name: str) -> dict[str, float]:
    data = points_csv(n)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), f"sqlite:///{Path(tmp) / 'big.sqlite3'}", IMPORT_INLINE_ROWS=1000)
        with app.app_context():
            create_schema()
            with write_intent():
                load_demo(SYSTEM_CLI)
                db.session.commit()
        client = demo_client(app)
        path = f"/targeting/sets/{georgia_id(app)}/upload/incidents"
        page = client.get(path).get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page)
        assert csrf
        started = time.perf_counter()
        checked = client.post(path, data={"csrf_token": csrf.group(1), "incident_kind": "points", "set_name": name,
                                          "file": (io.BytesIO(data), "points.csv")}, content_type="multipart/form-data")
        check_s = time.perf_counter() - started
        body = checked.get_data(as_text=True)
        token = re.search(r'name="token" value="([0-9a-f]+)"', body)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', body)
        assert checked.status_code == 200 and token and csrf, body[-2000:]
        started = time.perf_counter()
        queued = client.post(path, data={"csrf_token": csrf.group(1), "token": token.group(1),
                                         "incident_kind": "points", "set_name": name})
        queue_s = time.perf_counter() - started
        assert queued.status_code == 302, queued.get_data(as_text=True)[-2000:]
        progress = queued.headers["Location"]
        started = time.perf_counter()
        while client.get(progress).status_code != 302:
            time.sleep(0.2)
        job_s = time.perf_counter() - started
        with app.app_context():
            stored = db.session.scalar(select(func.count()).select_from(IncidentRecord).join(IncidentSet).where(
                IncidentSet.name == name))
            db.engine.dispose()
    return {"points": len(data.splitlines()) - 1, "check_s": check_s, "queue_s": queue_s, "job_s": job_s,
            "stored": float(stored or 0), "mb": len(data) / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--reference", type=int, default=50_000)
    args = parser.parse_args()
    runs = [one_run(args.reference, "reference"), one_run(args.points, "large")]
    for r in runs:
        print(f"{int(r['points']):>9,} points ({r['mb']:.0f} MB): check request {r['check_s']:.1f} s, import request "
              f"{r['queue_s']:.2f} s, background job {r['job_s']:.1f} s, rows stored {int(r['stored']):,}")
    per_row = [r["job_s"] / r["points"] for r in runs]
    print(f"job time per row, large / reference: {per_row[1] / per_row[0]:.2f}; peak RSS {vm_hwm_mib():.0f} MiB")


if __name__ == "__main__":
    main()
