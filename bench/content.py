"""How fast toolkits render, per format, and how fast a cached download comes through the app.

    python bench/content.py [--repeat 5] [--audience bank] [--locale lt] [--requests 200]

Render times are medians of `--repeat` runs with no cache, after one warm-up run (fonts and
templates loaded). The reference is WeasyPrint rendering a one-page document in the same
fonts, in the same process: the floor any PDF pays. Cached downloads go through the real Flask
app (login, access gate, version lookup, counter upsert) as a signed-in trainer; the reference
is the public health check through the same app. Peak memory is resident memory above the
level before each stage, sampled every 2 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from memory import PeakRSS  # noqa: E402 - bench/ is the script's own folder

FORMATS = (("html", ""), ("pdf", "a4"), ("pdf", "letter"), ("card", ""), ("poster", "a4"), ("poster", "letter"),
           ("poster", "a3"), ("social", ""), ("zip", ""))


def _timed(func: Callable[[], object], repeat: int) -> tuple[float, list[float], float]:
    func()  # warm-up
    runs = []
    with PeakRSS() as memory:
        for _ in range(repeat):
            started = time.perf_counter()
            func()
            runs.append(time.perf_counter() - started)
    return statistics.median(runs), runs, memory.extra


def reference_pdf(locale: str) -> bytes:
    from weasyprint import HTML

    from content.locales import direction

    html = (f'<html lang="{locale}" dir="{direction(locale)}"><head><style>@page {{ size: A4 }} '
            'html { font-family: "Noto Sans", "Noto Sans Arabic", sans-serif }</style></head>'
            "<body><h1>Reference</h1><p>ąčęėįšųūž абв ăâî ấầẩ عربي</p></body></html>")
    return bytes(HTML(string=html).write_pdf())


def render_stage(audience: str, locale: str, repeat: int) -> None:
    from content import assemble
    from content.bundle import render_format

    toolkit = assemble(audience, locale)
    ref, ref_runs, ref_mem = _timed(lambda: reference_pdf(locale), repeat)
    print(f"Render, {audience}/{locale}, version {toolkit.version}, median of {repeat} runs (no cache)")
    print(f"  {'reference one-page PDF':<24} {ref:7.3f} s  runs {', '.join(f'{r:.3f}' for r in ref_runs)}"
          f"  peak +{ref_mem:.0f} MiB")
    for fmt, paper in FORMATS:
        median, runs, memory = _timed(lambda fmt=fmt, paper=paper: render_format(toolkit, fmt, paper), repeat)
        label = f"{fmt} {paper}".strip()
        print(f"  {label:<24} {median:7.3f} s  runs {', '.join(f'{r:.3f}' for r in runs)}"
              f"  ratio {median / ref:5.1f}  peak +{memory:.0f} MiB")


def download_stage(audience: str, locale: str, requests: int) -> None:
    from campaigns import create_app
    from campaigns.extensions import db
    from campaigns.models import Role
    from campaigns.services import accounts
    from campaigns.services.audit import SYSTEM_CLI

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"INSTANCE_PATH": f"{folder}/instance", "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                          "SECRET_KEY": "bench", "testing": True})
        password = "bench-password-123456"  # noqa: S105 - a throwaway user in a temporary database
        with app.app_context():
            db.create_all()
            org = accounts.get_or_create_organisation(SYSTEM_CLI, "Bench Org")
            accounts.create_user(SYSTEM_CLI, "trainer@bench.example", password, Role.TRAINER, org)
            db.session.commit()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"email": "trainer@bench.example", "password": password, "csrf_token": token})
        url = f"/toolkits/{audience}/{locale}/download/pdf?paper=a4"
        started = time.perf_counter()
        first = client.get(url)
        cold = time.perf_counter() - started
        assert first.status_code == 200, first.status_code

        def rate(path: str) -> tuple[float, float]:
            batches = []
            with PeakRSS() as memory:
                for _ in range(3):
                    started = time.perf_counter()
                    for _ in range(requests):
                        response = client.get(path)
                        assert response.status_code == 200
                    batches.append(requests / (time.perf_counter() - started))
            return statistics.median(batches), memory.extra

        cached, cached_mem = rate(url)
        health, health_mem = rate("/healthz")
        size = len(first.data) / 1024
        print(f"Downloads through the app (Flask test client, SQLite), {requests} requests x 3 batches, median")
        print(f"  first PDF download (renders, fills cache)  {cold:.3f} s, {size:.0f} KiB")
        print(f"  cached PDF download   {cached:8.1f} requests/s  peak +{cached_mem:.0f} MiB")
        print(f"  reference /healthz    {health:8.1f} requests/s  peak +{health_mem:.0f} MiB")
        print(f"  ratio cached download / reference: {cached / health:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--audience", default="bank")
    parser.add_argument("--locale", default="lt")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    render_stage(args.audience, args.locale, args.repeat)
    download_stage(args.audience, args.locale, args.requests)


if __name__ == "__main__":
    main()
