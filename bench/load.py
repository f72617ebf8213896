"""Load: gunicorn with 4 workers on loopback, 16 clients signing in, reading, uploading, importing.

    python bench/load.py                                  # SQLite in a temporary folder
    python bench/load.py --database-url postgresql+psycopg://user:pw@127.0.0.1/db   # an empty database
    python bench/load.py --clients 4 --requests 120 --duration 60                   # the small CI run

Each client signs in through the form, then runs a bounded number of actions (or until the time
is up), picked in a fixed mix: page reads, the counts CSV, upload checks of a small counts file,
imports of a checked file (each under a unique set name), and sign-ins again. Afterwards the rows
stored for the imported sets are counted in the database and compared with the rows the server
accepted. Prints throughput, latency percentiles per kind of action, the 5xx count and the rows,
and, as the reference run in the same process, one client alone doing the same mix: the ratio of
the p50 under load to that p50 says what the load costs. Peak memory is the largest resident
size any gunicorn process reached. Exits 1 on any 5xx or lost row.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_memory", ROOT / "bench" / "memory.py")
assert _spec and _spec.loader
_memory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_memory)
peak_rss_mib = _memory.peak_rss_mib
VENV_BIN = Path(sys.executable).parent
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
TOKEN_RE = re.compile(r'name="token" value="([0-9a-f]+)"')
EMAIL, PASSWORD = "coordinator@demo.example", "demo-coordinator-password"
MIX = (("read", 0.45), ("csv", 0.15), ("check", 0.2), ("import", 0.12), ("sign_in", 0.08))
ROWS_PER_FILE = 40


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[int] = field(default_factory=Counter)
    accepted_rows: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1) or match.group(2)


class Client:
    def __init__(self, base: str, tally: Tally, set_id: int, name: str, seed: int) -> None:
        self.base, self.tally, self.set_id, self.name = base, tally, set_id, name
        self.http = requests.Session()
        self.random = random.Random(seed)
        self.imports = 0
        self.codes: list[str] = []

    def _timed(self, kind: str, method: str, path: str, **kwargs: object) -> requests.Response:
        started = time.perf_counter()
        response = self.http.request(method, self.base + path, allow_redirects=False, timeout=60, **kwargs)
        self.tally.record(kind, time.perf_counter() - started, response.status_code)
        if response.status_code >= 500:
            with self.tally.lock:
                self.tally.errors.append(f"{method} {path} -> {response.status_code}")
        return response

    def sign_in(self) -> None:
        self.http.cookies.clear()
        page = self.http.get(self.base + "/login", timeout=60).text
        response = self._timed(
            "sign_in", "POST", "/login", data={"csrf_token": _csrf(page), "email": EMAIL, "password": PASSWORD}
        )
        if response.status_code != 302:
            raise RuntimeError(f"sign-in answered {response.status_code}")

    def _file(self) -> bytes:
        """A counts file of distinct areas (each area and year may appear once), some counts 0."""
        areas = self.random.sample(self.codes, ROWS_PER_FILE)
        rows = [f"{code},{2018 - i % 5},{self.random.randint(0, 60)}" for i, code in enumerate(areas)]
        return ("area_id,period,count\n" + "\n".join(rows) + "\n").encode()

    def _check(self, kind: str) -> tuple[str, str, bytes] | None:
        path = f"/targeting/sets/{self.set_id}/upload/incidents"
        page = self.http.get(self.base + path, timeout=60).text
        self.imports += 1
        set_name = f"load {self.name} {self.imports}"
        data = self._file()
        response = self._timed(
            kind, "POST", path,
            data={"csrf_token": _csrf(page), "incident_kind": "counts", "set_name": set_name},
            files={"file": ("load.csv", data, "text/csv")},
        )  # fmt: skip
        token = TOKEN_RE.search(response.text)
        if response.status_code != 200 or not token:
            if os.environ.get("LOAD_DEBUG"):
                print(re.sub(r"<[^>]+>", " ", response.text)[-1500:])
            return None
        return set_name, token.group(1), data

    def import_file(self) -> None:
        checked = self._check("check")
        if checked is None:
            return
        set_name, token, data = checked
        path = f"/targeting/sets/{self.set_id}/upload/incidents"
        page = self.http.get(self.base + path, timeout=60).text
        response = self._timed(
            "import", "POST", path,
            data={"csrf_token": _csrf(page), "token": token, "incident_kind": "counts", "set_name": set_name},
        )  # fmt: skip
        if response.status_code == 302:
            lines = data.decode().strip().splitlines()[1:]
            # The server stores one row per area and year with a count above zero (summed).
            cells: dict[tuple[str, str], int] = defaultdict(int)
            for line in lines:
                code, period, count = line.split(",")
                cells[(code, period)] += int(count)
            with self.tally.lock:
                self.tally.accepted_rows += sum(1 for n in cells.values() if n > 0)

    def run(self, actions: int, deadline: float) -> None:
        self.sign_in()
        counts = self.http.get(f"{self.base}/targeting/sets/{self.set_id}/counts.csv", timeout=60).text
        self.codes = [line.split(",")[0] for line in counts.splitlines()[2:] if line[:1].isdigit()]
        reads = ["/", "/targeting/", f"/targeting/sets/{self.set_id}", "/campaigns/", "/toolkits/"]
        kinds, weights = zip(*MIX, strict=True)
        for _ in range(actions):
            if time.monotonic() > deadline:
                return
            kind = self.random.choices(kinds, weights)[0]
            if kind == "read":
                self._timed("read", "GET", self.random.choice(reads))
            elif kind == "csv":
                self._timed("csv", "GET", f"/targeting/sets/{self.set_id}/counts.csv")
            elif kind == "check":
                self._check("check")
            elif kind == "import":
                self.import_file()
            else:
                self.sign_in()


def _prepare(database_url: str, env: dict[str, str]) -> None:
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([str(VENV_BIN / "flask"), *command], cwd=ROOT, env=env, check=True, capture_output=True)


def _children(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            found += _children(int(child))
    return found


def _stored_rows(database_url: str) -> int:
    """Rows stored for the sets this run imported (all named 'load …')."""
    engine = create_engine(database_url)
    query = text(
        "SELECT count(*) FROM incident_records r JOIN incident_sets s ON s.id = r.incident_set_id "
        "WHERE s.name LIKE 'load %'"
    )
    with engine.connect() as connection:
        stored = int(connection.execute(query).scalar() or 0)
    engine.dispose()
    return stored


def _set_id(base: str) -> int:
    http = requests.Session()
    page = http.get(base + "/login", timeout=60).text
    http.post(base + "/login", data={"csrf_token": _csrf(page), "email": EMAIL, "password": PASSWORD}, timeout=60)
    listing = http.get(base + "/targeting/", timeout=60).text
    match = re.search(r'href="/targeting/sets/(\d+)"[^>]*>\s*Georgia', listing) or re.search(
        r'/targeting/sets/(\d+)"', listing
    )
    if not match:
        raise RuntimeError("no boundary set on /targeting/")
    return int(match.group(1))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000 if ordered else float("nan")


def _round(base: str, set_id: int, clients: int, actions: int, seconds: float, seed: int) -> tuple[Tally, float]:
    tally = Tally()
    deadline = time.monotonic() + seconds
    workers = [Client(base, tally, set_id, f"c{seed}-{i}", seed * 100 + i) for i in range(clients)]

    def run(client: Client) -> None:
        try:
            client.run(actions, deadline)
        except Exception as exc:  # a client that breaks is a finding, not a crash of the bench
            with tally.lock:
                tally.errors.append(f"{client.name}: {type(exc).__name__}: {exc}")

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(c,)) for c in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="an empty database (default: SQLite in a temp folder)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=60, help="actions per client (default %(default)s)")
    parser.add_argument("--duration", type=float, default=120, help="seconds at most (default %(default)s)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="planner-load-") as tmp:
        database_url = args.database_url or f"sqlite:///{Path(tmp) / 'load.sqlite3'}"
        port = _free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "load-test-" + os.urandom(8).hex()}
        _prepare(database_url, env)
        server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--preload", "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
             "--timeout", "30", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                try:
                    if requests.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    time.sleep(0.5)
            set_id = _set_id(base)
            reference, _ = _round(base, set_id, 1, min(args.requests, 40), args.duration, seed=1)
            tally, elapsed = _round(base, set_id, args.clients, args.requests, args.duration, seed=2)
            peak = peak_rss_mib(_children(server.pid))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        stored = _stored_rows(database_url)

    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    total = sum(tally.statuses.values())
    every = [s for values in tally.latencies.values() for s in values]
    solo = [s for values in reference.latencies.values() for s in values]
    accepted = reference.accepted_rows + tally.accepted_rows
    fives = sum(n for status, n in tally.statuses.items() if status >= 500) + sum(
        n for status, n in reference.statuses.items() if status >= 500
    )
    print(f"{backend}, gunicorn {args.workers} workers, {args.clients} clients, {elapsed:.1f} s")
    print(f"  requests: {total} ({total / elapsed:.1f}/s); statuses: {dict(sorted(tally.statuses.items()))}")
    print(f"  latency ms p50 / p95 / p99: {_percentile(every, .5):.0f} / {_percentile(every, .95):.0f} / "
          f"{_percentile(every, .99):.0f}")  # fmt: skip
    for kind, values in sorted(tally.latencies.items()):
        print(f"    {kind:8} n={len(values):4}  p50 {_percentile(values, .5):6.0f}  p95 {_percentile(values, .95):6.0f}"
              f"  p99 {_percentile(values, .99):6.0f}")  # fmt: skip
    ratio = statistics.median(every) / statistics.median(solo) if every and solo else float("nan")
    print(f"  p50 under load / p50 of one client alone: {ratio:.2f}")
    print(f"  5xx: {fives}; rows accepted {accepted}, stored {stored}; peak RSS of a gunicorn process {peak:.0f} MiB")
    for line in (reference.errors + tally.errors)[:10]:
        print(f"  error: {line}")
    ok = fives == 0 and stored == accepted and not tally.errors and not reference.errors
    print("  OK" if ok else "  FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
