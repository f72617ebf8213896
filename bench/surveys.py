"""Surveys at scale (issue 12): the effectiveness report over a million answers and a million
reach rows, and the public answer form under load, on SQLite and (given a server) on PostgreSQL.

    python bench/surveys.py --repeat 3                          # SQLite only
    python bench/surveys.py --pg postgresql+psycopg://user:pw@127.0.0.1:5432/postgres
    python bench/surveys.py --answers 200000 --reach-rows 200000 --duration 10   # a quick run

Why these two measurements: the report is the page a reviewer opens after a campaign, and it is
computed on every view from every answer (only a published report is frozen), so its time grows
with the answers unless they are aggregated in SQL: the bench gives the ended demo campaign the
size issue 12 names (1,000,000 answers over its baseline, endline and follow-up in campaign and
comparison areas, ~8 answer rows per response, plus 1,000,000 reach rows of an ad platform's
export broken down by age, gender, placement, device and language) and times `build_report` and
the report page against the same on the demo's own few thousand answers (the reference, in the
same process: the ratio says how much the report grows with the data). The public form is the
one place strangers write to the database, many at once after a poster or a post goes out, and a
lost answer is silently wrong evidence: 16 clients post answers through gunicorn with 4 workers
for --duration seconds, and every answer the server thanked for must be in the database.

For each database: a fresh one (a temporary SQLite file, or a new database on the PostgreSQL
server, dropped afterwards), the schema as `create_schema` leaves it (the tests prove it equals
the migrations), the demo, then the rows: responses through the driver's executemany with their
ids chosen up front, answers through `answers.insert_answers` (the bulk path of every import),
reach rows through `reach.coerce` and `reach.store` (the path of every reach import). None of it
goes through the per-row ORM; its time is printed as setup, not as a result.

The report: median of --repeat runs of `build_report(campaign, 11)` with a fresh session each
time, and of GET /reports/<id> through the Flask test client signed in as the demo reviewer
(timed only if the route answers 200); peak memory above the start of the large runs
(bench/memory.py) and the process's high-water mark. Target: under 2 s.

The form: an open link wave of the running demo campaign (made for the bench if there is none),
the rate limit raised through SURVEY_RATE_LIMIT (it is keyed per address, and all clients share
127.0.0.1), each client GETs the form once and then POSTs one person's answers after another.
Accepted = answered 200 with the thank-you page (or redirected to it). Afterwards the responses
and answer rows stored for the wave are counted and must equal what was accepted. The reference
is one client alone for --reference-seconds: p50 under load / p50 alone says what the load costs.
Exits 1 when an accepted answer is missing or the server answered 5xx.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import math
import os
import pstats
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
sys.path[0] = str(ROOT / "tests")  # this folder's targeting.py would shadow the package

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import requests  # noqa: E402
from conftest import create_schema, demo_client, make_app, scratch_database  # noqa: E402
from flask import Flask  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from campaigns.db import write_intent  # noqa: E402
from campaigns.extensions import db  # noqa: E402
from campaigns.models import Campaign, CampaignStatus, Organisation, ReachRow, Role  # noqa: E402
from campaigns.reports.build import WAVE_ORDER, build_report, waves_of  # noqa: E402
from campaigns.reports.counts import answer_counts  # noqa: E402
from campaigns.services import reach  # noqa: E402
from campaigns.services.audit import SYSTEM_CLI  # noqa: E402
from campaigns.services.demo import DEMO_ORGANISATION, load_demo  # noqa: E402
from campaigns.surveys import answers as survey_answers  # noqa: E402
from campaigns.surveys.models import (  # noqa: E402
    ANSWERED,
    SurveyAnswer,
    SurveyResponse,
    SurveyWave,
    WaveAccess,
    WaveKind,
    WaveStatus,
)
from content.questions import Question, bank  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_memory", ROOT / "bench" / "memory.py")
assert _spec and _spec.loader
_memory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_memory)
PeakRSS = _memory.PeakRSS
peak_rss_mib = _memory.peak_rss_mib

K = 11
REPORT_TARGET_S = 2.0
SEGMENTS = ("bank staff", "community members")
# An ad platform's export broken down as finely as it allows: 6 x 3 x 8 x 5 = 720 groups.
AGES = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
GENDERS = ("female", "male", "unknown")
PLACEMENTS = ("Facebook Feed", "Facebook Stories", "Facebook Reels", "Instagram Feed", "Instagram Stories",
              "Instagram Reels", "Messenger Inbox", "Audience Network")  # fmt: skip
DEVICES = ("iPhone", "iPad", "Android Smartphone", "Android Tablet", "Desktop")


@dataclass
class FormRun:
    clients: int
    seconds: float = 0.0
    accepted: int = 0
    accepted_rows: int = 0
    latencies: list[float] = field(default_factory=list)
    done_at: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Result:
    backend: str
    setup: dict[str, float] = field(default_factory=dict)
    answers_added: int = 0
    responses_added: int = 0
    reach_added: int = 0
    answers_in_db: int = 0
    campaign_answers: int = 0
    reach_in_db: int = 0
    campaign_reach: int = 0
    demo_answers: int = 0
    demo_reach: int = 0
    report_ref: list[float] = field(default_factory=list)
    report: list[float] = field(default_factory=list)
    report_rss: float = 0.0
    parts_ref: dict[str, list[float]] = field(default_factory=dict)
    parts: dict[str, list[float]] = field(default_factory=dict)
    profile: str = ""
    page_ref: list[float] = field(default_factory=list)
    page: list[float] = field(default_factory=list)
    page_status: int = 0
    page_rss: float = 0.0
    form_note: str = ""
    form_wave: str = ""
    form_ref: FormRun | None = None
    form: FormRun | None = None
    stored_responses: int = 0
    stored_rows: int = 0
    server_rss: float = 0.0


# --- databases ----------------------------------------------------------------------------------


def _runs(repeat: int, fn: Callable[[], Any]) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def _demo_campaign(status: CampaignStatus) -> Campaign:
    org = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))
    assert org is not None
    campaign = db.session.scalar(select(Campaign).where(
        Campaign.organisation_id == org.id, Campaign.synthetic.is_(True), Campaign.status == status,
    ).order_by(Campaign.id).limit(1))  # fmt: skip
    assert campaign is not None, f"the demo has no {status.value} campaign"
    return campaign


def _closed_waves(campaign_id: int) -> list[SurveyWave]:
    waves = db.session.scalars(select(SurveyWave).where(
        SurveyWave.campaign_id == campaign_id, SurveyWave.status == WaveStatus.CLOSED)).all()  # fmt: skip
    return sorted(waves, key=lambda w: (WAVE_ORDER[w.kind], w.opens_on, w.id))


def _count(model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# --- a million answers --------------------------------------------------------------------------


def _values(rng: np.random.Generator, q: Question, hit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row positions within `hit`, values) of one question's answers; a multiple choice gives a
    row per option chosen plus its ANSWERED row."""
    n = len(hit)
    at = np.arange(n)
    if q.kind == "yes_no":
        return at, np.where(hit, 1, 2)
    if q.kind == "single":
        good, bad = np.array(sorted(q.success)), np.array(sorted(set(q.codes()) - q.success))
        return at, np.where(hit, rng.choice(good, n), rng.choice(bad, n))
    if q.kind == "likert":
        return at, np.where(hit, rng.choice([4, 5], n, p=[0.65, 0.35]), rng.choice([1, 2, 3], n, p=[0.12, 0.38, 0.5]))
    if q.kind == "multiple":
        rows, values = [at], [np.full(n, ANSWERED)]
        for choice in q.choices:
            chosen = at[rng.random(n) < np.where(hit, 0.5, 0.2)]
            rows.append(chosen)
            values.append(np.full(len(chosen), choice.code))
        return np.concatenate(rows), np.concatenate(values)
    return at, rng.poisson(np.where(hit, 2.0, 0.6))


def survey_rows(waves: list[SurveyWave], campaign_codes: list[str], target: int,
                seed: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Responses spread evenly over the waves and their campaign and comparison areas, and their
    answers (by position `r` into the responses), vectorised; cut after the response that brings
    the answers to `target`. The share giving the hoped-for answer rises after the baseline in
    the campaign's areas only, so the report has an effect to estimate."""
    rng = np.random.default_rng(seed)
    questions = bank()
    n = int(target / (len(questions) + 1) * 1.15) + len(waves)
    frames = []
    for stage, wave in enumerate(waves):
        m = n // len(waves)
        comparison = [a["code"] for a in wave.comparison_areas]
        area = rng.choice(np.array(campaign_codes + comparison, dtype=object), m)
        days = (wave.closes_on - wave.opens_on).days + 1
        frames.append(pd.DataFrame({
            "wave_id": wave.id, "stage": min(stage, 2), "area_code": area, "comparison": np.isin(area, comparison),
            "locale": np.where(rng.random(m) < 0.22, "lt", "en"),
            "segment": np.where(rng.random(m) < 0.35, SEGMENTS[0], SEGMENTS[1]),
            "day": np.datetime64(wave.opens_on) + rng.integers(0, days, m).astype("timedelta64[D]"),
        }))  # fmt: skip
    responses = pd.concat(frames, ignore_index=True)
    n = len(responses)
    after = (responses["stage"].to_numpy() > 0) & ~responses["comparison"].to_numpy()
    parts_r, parts_q, parts_v = [], [], []
    for q in questions:
        answered = np.flatnonzero(rng.random(n) > 0.03)
        p = np.where(after[answered], 0.5, 0.27)
        at, values = _values(rng, q, rng.random(len(answered)) < p)
        parts_r.append(answered[at])
        parts_q.append(np.full(len(at), q.key, dtype=object))
        parts_v.append(values)
    r = np.concatenate(parts_r)
    order = np.argsort(r, kind="stable")
    answers = pd.DataFrame({"r": r[order], "question": np.concatenate(parts_q)[order],
                            "value": np.concatenate(parts_v)[order].astype(np.int64)})  # fmt: skip
    per_response = np.bincount(answers["r"].to_numpy(), minlength=n).cumsum()
    last = int(np.searchsorted(per_response, target))  # the response that reaches the target
    if last >= n:
        raise RuntimeError("generated too few answers; raise the estimate")
    return responses.iloc[: last + 1].reset_index(drop=True), answers[answers["r"] <= last].reset_index(drop=True)


def store_survey_rows(responses: pd.DataFrame, answers: pd.DataFrame) -> None:
    """Responses with ids chosen after the largest stored one (driver executemany), then their
    answers through `answers.insert_answers`, one call per wave, in the caller's transaction."""
    dialect = db.engine.dialect.name
    first = int(db.session.scalar(select(func.max(SurveyResponse.id))) or 0) + 1
    ids = np.arange(first, first + len(responses))
    days = responses["day"].to_numpy().astype("datetime64[D]")
    day_values = np.datetime_as_string(days, unit="D").tolist() if dialect == "sqlite" else days.astype(object).tolist()
    columns = ["id", "wave_id", "area_code", "comparison", "locale", "segment", "day", "source", "instance_id"]
    values = list(zip(
        ids.tolist(), responses["wave_id"].astype(int).tolist(), responses["area_code"].astype(str).tolist(),
        responses["comparison"].astype(bool).tolist(), responses["locale"].astype(str).tolist(),
        responses["segment"].astype(str).tolist(), day_values, ["bench"] * len(responses), [None] * len(responses),
        strict=True,
    ))  # fmt: skip
    mark = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO survey_responses ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608
    cursor = db.session.connection().connection.cursor()
    try:
        for start in range(0, len(values), 50_000):
            cursor.executemany(sql, values[start : start + 50_000])
        if dialect == "postgresql":  # ids were given: move the sequence past them for the form's inserts
            cursor.execute("SELECT setval(pg_get_serial_sequence('survey_responses', 'id'), "
                           "(SELECT max(id) FROM survey_responses))")  # fmt: skip
    finally:
        cursor.close()
    r = answers["r"].to_numpy()
    rows = pd.DataFrame({
        "response_id": ids[r], "wave_id": responses["wave_id"].to_numpy()[r],
        "area_code": responses["area_code"].to_numpy()[r], "comparison": responses["comparison"].to_numpy()[r],
        "locale": responses["locale"].to_numpy()[r], "segment": responses["segment"].to_numpy()[r],
        "question": answers["question"].to_numpy(), "value": answers["value"].to_numpy(),
    })  # fmt: skip
    for wave_id, part in rows.groupby("wave_id", sort=True):
        survey_answers.insert_answers(int(wave_id), part.drop(columns="wave_id"))


# --- a million reach rows -----------------------------------------------------------------------


def reach_rows(campaign: Campaign, rows: int, today: date, seed: int = 11) -> pd.DataFrame:
    """An ad platform's daily export for the campaign's areas, by age, gender, placement, device
    and language (as bench/campaigns.py makes its export: numpy over days x areas x groups), as
    raw rows for `reach.coerce`. Groups are never empty, so no row replaces one of the demo's."""
    assert campaign.starts is not None and campaign.ends is not None
    codes = np.array([a.area_code for a in campaign.areas], dtype=object)
    population = np.array([float(a.population or 0) for a in campaign.areas])
    groups = np.array([f"{a}, {g}, {p}, {d}" for a in AGES for g in GENDERS for p in PLACEMENTS for d in DEVICES],
                      dtype=object)  # fmt: skip
    locales = np.array(list(campaign.locales) or ["en"], dtype=object)
    days = pd.date_range(campaign.starts, min(campaign.ends, today - timedelta(days=1)), freq="D").to_numpy()
    per_day = len(codes) * len(groups) * len(locales)
    if rows > per_day * len(days):
        raise SystemExit(f"at most {per_day * len(days):,} reach rows fit the campaign's days and groups")
    i = np.arange(rows)
    day, rest = i // per_day, i % per_day
    area, group = rest // (len(groups) * len(locales)), (rest // len(locales)) % len(groups)
    locale = rest % len(locales)
    rng = np.random.default_rng(seed)
    share = rng.uniform(0.02, 0.04, len(codes))
    reached = np.rint(population[area] * share[area] / per_day * len(codes) * rng.lognormal(0, 0.4, rows))
    impressions = np.rint(reached * rng.uniform(1.2, 3.5, rows))
    clicks = rng.binomial(impressions.astype(np.int64), 0.01)
    return pd.DataFrame({
        "period_start": days[day], "period_end": days[day], "channel": "social_media", "area_code": codes[area],
        "segment": groups[group], "locale": locales[locale], "reached": reached.astype(np.int64),
        "impressions": impressions.astype(np.int64), "clicks": clicks.astype(np.int64),
    })  # fmt: skip


# --- the report ---------------------------------------------------------------------------------


def time_report(app: Flask, campaign_id: int, repeat: int) -> tuple[list[float], float, dict[str, list[float]]]:
    """`build_report` `repeat` times, each in a fresh session; (times, peak MiB above the start,
    {part: times} of its two reads of the big tables alone: the answers' GROUP BY and the reach)."""
    with app.app_context():

        def fresh() -> Campaign:
            db.session.remove()
            campaign = db.session.get(Campaign, campaign_id)
            assert campaign is not None
            return campaign

        with PeakRSS() as memory:
            times = _runs(repeat, lambda: build_report(fresh(), K))
        wave_ids = [w.id for w in waves_of(fresh())]
        parts = {
            "answer_counts (SQL GROUP BY)": _runs(repeat, lambda: answer_counts(wave_ids)),
            "reach.coverage": _runs(repeat, lambda: reach.coverage(fresh())),
        }
        db.session.remove()
    return times, memory.extra, parts


def profile_report(app: Flask, campaign_id: int, top: int = 30) -> str:
    """cProfile of one `build_report`, by cumulative time."""
    with app.app_context():
        db.session.remove()
        campaign = db.session.get(Campaign, campaign_id)
        profiler = cProfile.Profile()
        profiler.enable()
        build_report(campaign, K)
        profiler.disable()
        db.session.remove()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def time_page(app: Flask, campaign_id: int, repeat: int) -> tuple[int, list[float], float]:
    """GET /reports/<id> signed in as the demo reviewer: (first status, times if 200, peak MiB)."""
    client = demo_client(app, Role.REVIEWER)
    path = f"/reports/{campaign_id}"
    status = client.get(path).status_code
    if status != 200:
        return status, [], 0.0
    with PeakRSS() as memory:
        times = _runs(repeat, lambda: client.get(path))
    return status, times, memory.extra


# --- the public form under load -----------------------------------------------------------------


def open_wave(today: date) -> tuple[str, list[str], list[str]]:
    """(token, locales, area codes) of an open link wave of the running demo campaign; one is made
    (a follow-up, a kind the running demo campaign has no wave of) when the demo has none open."""
    campaign = _demo_campaign(CampaignStatus.RUNNING)
    wave = db.session.scalar(select(SurveyWave).where(
        SurveyWave.campaign_id == campaign.id, SurveyWave.status == WaveStatus.OPEN,
        SurveyWave.access == WaveAccess.LINK, SurveyWave.opens_on <= today, SurveyWave.closes_on >= today,
    ).limit(1))  # fmt: skip
    if wave is None:
        wave = SurveyWave(campaign_id=campaign.id, kind=WaveKind.FOLLOW_UP, opens_on=today - timedelta(days=1),
                          closes_on=today + timedelta(days=14), status=WaveStatus.OPEN,
                          token=secrets.token_urlsafe(16), access=WaveAccess.LINK, locales=["en", "lt"],
                          questions=[q.key for q in bank()], comparison_areas=[])  # fmt: skip
        db.session.add(wave)
        db.session.flush()
    codes = list(survey_answers.wave_areas(wave))
    return wave.token, list(wave.locales), codes


def _form_data(rng: random.Random, codes: list[str]) -> tuple[list[tuple[str, str]], int]:
    """One person's answers as a browser posts them, and the answer rows the server should store.
    A question is left out now and then (nothing is sent for it); the honeypot goes empty."""
    data = [("area", rng.choice(codes)), ("website", "")]
    rows = 0
    for q in bank():
        if rng.random() < 0.05:
            continue
        name = f"q-{q.key}"
        if q.kind == "multiple":
            chosen = rng.sample(list(q.codes()), rng.randint(1, 3))
            data += [(name, str(c)) for c in chosen]
            rows += 1 + len(chosen)
        elif q.kind == "number":
            data.append((name, str(rng.randint(0, 12))))
            rows += 1
        else:
            data.append((name, str(rng.choice(q.codes()))))
            rows += 1
    return data, rows


def _respondent(base: str, path: str, codes: list[str], deadline: float, run: FormRun, seed: int,
                started: float) -> None:  # fmt: skip
    http = requests.Session()
    rng = random.Random(seed)
    try:
        form = http.get(base + path, timeout=60)  # the form first, as a phone opens the link
        if form.status_code != 200 or 'name="area"' not in form.text:
            raise RuntimeError(f"GET {path} answered {form.status_code} without the form")
        while time.monotonic() < deadline:
            data, rows = _form_data(rng, codes)
            t0 = time.perf_counter()
            response = http.post(base + path, data=data, allow_redirects=False, timeout=60)
            t1 = time.perf_counter()
            thanked = (response.status_code == 200 and 'role="status"' in response.text) or (
                response.status_code in (302, 303) and "thank" in response.headers.get("Location", "").lower())
            with run.lock:
                run.latencies.append(t1 - t0)
                run.statuses[response.status_code] += 1
                if thanked:
                    run.accepted += 1
                    run.accepted_rows += rows
                    run.done_at.append(t1 - started)
                elif len(run.errors) < 10:
                    run.errors.append(f"POST {path} -> {response.status_code}")
    except Exception as exc:  # a client that breaks is a finding, not a crash of the bench
        with run.lock:
            run.errors.append(f"client {seed}: {type(exc).__name__}: {exc}")


def form_round(base: str, token: str, locales: list[str], codes: list[str], clients: int, seconds: float,
               seed: int) -> FormRun:  # fmt: skip
    run = FormRun(clients)
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=_respondent, args=(base, f"/s/{token}/{locales[i % len(locales)]}", codes,
                                                          deadline, run, seed * 100 + i, started))
               for i in range(clients)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.seconds = time.perf_counter() - started
    return run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += _children(int(child))
    except OSError:
        pass
    return found


def serve_and_post(result: Result, url: str, folder: Path, token: str, locales: list[str], codes: list[str],
                   args: argparse.Namespace) -> None:  # fmt: skip
    """gunicorn on the database, the reference round (one client) and the round under load."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-" + secrets.token_hex(8),
           "SURVEY_RATE_LIMIT": "1000000 per minute", "RATELIMIT_STORAGE_URI": "memory://"}  # fmt: skip
    log = (folder / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--preload", "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
         "--timeout", "60", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        else:
            raise RuntimeError("gunicorn did not answer /healthz")
        probe = requests.get(f"{base}/s/{token}/{locales[0]}", timeout=30)
        if probe.status_code != 200:
            result.form_note = f"GET /s/<token>/{locales[0]} answered {probe.status_code}: the form was not timed"
            return
        result.form_ref = form_round(base, token, locales, codes, 1, args.reference_seconds, seed=1)
        result.form = form_round(base, token, locales, codes, args.clients, args.duration, seed=2)
        result.server_rss = peak_rss_mib(_children(server.pid))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
    five = [line for line in (folder / "gunicorn.log").read_text(errors="replace").splitlines()
            if "Traceback" in line or "Error" in line][:5]  # fmt: skip
    if five:
        result.form_note = "server log: " + " | ".join(five)


# --- one database -------------------------------------------------------------------------------


def run_backend(label: str, server_url: str | None, args: argparse.Namespace) -> Result:
    result = Result(label)
    today = date.today()
    with tempfile.TemporaryDirectory(prefix="planner-bench-") as tmp, scratch_database(server_url, Path(tmp)) as url:
        app: Flask = make_app(Path(tmp), url)
        with app.app_context():
            t = time.perf_counter()
            create_schema()
            with write_intent():
                load_demo(SYSTEM_CLI, today=today)
                db.session.commit()
            result.setup["schema + demo"] = time.perf_counter() - t
            campaign = _demo_campaign(CampaignStatus.ENDED)
            campaign_id = campaign.id
            waves = _closed_waves(campaign_id)
            wave_ids = [w.id for w in waves]
            result.demo_answers = _count(SurveyAnswer, SurveyAnswer.wave_id.in_(wave_ids))
            result.demo_reach = reach.row_count(campaign_id)
            db.session.remove()

        # The reference: the report on the demo's own answers and reach.
        result.report_ref, _, result.parts_ref = time_report(app, campaign_id, args.repeat)
        _status, result.page_ref, _ = time_page(app, campaign_id, args.repeat)

        with app.app_context():
            campaign = db.session.get(Campaign, campaign_id)
            assert campaign is not None
            waves = _closed_waves(campaign_id)
            t = time.perf_counter()
            responses, answer_rows = survey_rows(waves, [a.area_code for a in campaign.areas], args.answers)
            result.setup["answers: generate"] = time.perf_counter() - t
            t = time.perf_counter()
            with write_intent():
                store_survey_rows(responses, answer_rows)
                db.session.commit()
            result.setup["answers: insert + commit"] = time.perf_counter() - t
            result.responses_added, result.answers_added = len(responses), len(answer_rows)
            del responses, answer_rows

            t = time.perf_counter()
            raw = reach_rows(campaign, args.reach_rows, today)
            checked = reach.coerce(campaign, raw, today=today)
            del raw
            result.setup["reach: generate + coerce"] = time.perf_counter() - t
            t = time.perf_counter()
            with write_intent():
                # An ended campaign still takes reach (reach.RECORDING); set it running should that change.
                was = campaign.status
                if was not in reach.RECORDING:
                    campaign.status = CampaignStatus.RUNNING
                reach.store(SYSTEM_CLI, campaign, checked, source="csv", file_name="bench-export.csv")
                campaign.status = was
                db.session.commit()
            result.setup["reach: store + commit"] = time.perf_counter() - t
            result.reach_added = len(checked)
            del checked
            result.answers_in_db = _count(SurveyAnswer)
            result.campaign_answers = _count(SurveyAnswer, SurveyAnswer.wave_id.in_(wave_ids))
            result.reach_in_db = _count(ReachRow)
            result.campaign_reach = reach.row_count(campaign_id)
            db.session.remove()

        result.report, result.report_rss, result.parts = time_report(app, campaign_id, args.repeat)
        if args.profile:
            result.profile = profile_report(app, campaign_id)
        result.page_status, result.page, result.page_rss = time_page(app, campaign_id, args.repeat)

        if args.duration > 0:
            with app.app_context(), write_intent():
                token, locales, codes = open_wave(today)
                db.session.commit()
                wave_id = db.session.scalar(select(SurveyWave.id).where(SurveyWave.token == token))
                before = _count(SurveyResponse, SurveyResponse.wave_id == wave_id)
                before_rows = _count(SurveyAnswer, SurveyAnswer.wave_id == wave_id)
                db.session.remove()
            result.form_wave = f"wave {wave_id} of the running demo campaign ({len(codes)} areas, {'/'.join(locales)})"
            serve_and_post(result, url, Path(tmp), token, locales, codes, args)
            with app.app_context():
                db.session.remove()
                result.stored_responses = _count(SurveyResponse, SurveyResponse.wave_id == wave_id) - before
                result.stored_rows = _count(SurveyAnswer, SurveyAnswer.wave_id == wave_id) - before_rows
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return result


# --- output -------------------------------------------------------------------------------------


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:,.0f} ms" if values else "-"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000 if ordered else math.nan


def _per_second(run: FormRun) -> float:
    """Median of the answers accepted in each whole second of the round."""
    whole = int(run.seconds)
    if whole < 1:
        return math.nan
    buckets = Counter(int(t) for t in run.done_at if t < whole)
    return float(statistics.median(buckets.get(s, 0) for s in range(whole)))


def form_lost(r: Result) -> bool:
    """Whether what the server thanked for differs from what the wave holds."""
    runs = [x for x in (r.form_ref, r.form) if x is not None]
    accepted = sum(x.accepted for x in runs)
    rows = sum(x.accepted_rows for x in runs)
    return not runs or accepted != r.stored_responses or rows != r.stored_rows


def form_5xx(r: Result) -> int:
    return sum(n for x in (r.form_ref, r.form) if x is not None for s, n in x.statuses.items() if s >= 500)


def form_ok(r: Result) -> bool:
    return not form_lost(r) and form_5xx(r) == 0


def report(r: Result) -> None:
    setup = ", ".join(f"{k} {v:.1f} s" for k, v in r.setup.items())
    print(f"{r.backend}")
    print(f"  setup (not a result): {setup}; total {sum(r.setup.values()):.1f} s")
    print(f"  added {r.answers_added:,} answers in {r.responses_added:,} responses "
          f"({r.answers_added / max(r.responses_added, 1):.1f} each), {r.reach_added:,} reach rows")  # fmt: skip
    print(f"  in the database: {r.answers_in_db:,} answers ({r.campaign_answers:,} of the ended campaign, "
          f"demo's own {r.demo_answers:,}); {r.reach_in_db:,} reach rows ({r.campaign_reach:,} of the campaign, "
          f"demo's own {r.demo_reach:,})")  # fmt: skip
    rows = [("build_report(campaign, 11)", r.report_ref, r.report, r.report_rss)]
    rows += [(f"  of which {name}", r.parts_ref[name], times, None) for name, times in r.parts.items()]
    if r.page:
        rows.append(("GET /reports/<id> (reviewer)", r.page_ref, r.page, r.page_rss))
    print(f"  {'report':40} {'demo data':>10} {'large':>10} {'ratio':>6} {'< 2 s':>7} {'peak RSS':>9}  runs (ms)")
    for name, ref, large, rss in rows:
        med = statistics.median(large)
        ratio = med / statistics.median(ref)
        met = ("met" if med < REPORT_TARGET_S else "NOT met") if rss is not None else ""
        memory = f"+{rss:.0f} MiB" if rss is not None else ""
        runs = ", ".join(f"{t * 1000:.0f}" for t in large)
        print(f"  {name:40} {_ms(ref):>10} {_ms(large):>10} {ratio:6.1f} {met:>7} {memory:>9}  {runs}")
    if not r.page:
        print(f"  GET /reports/<id> answered {r.page_status}: the report page is not built yet; "
              "timed build_report only")  # fmt: skip
    if r.form_wave:
        print(f"  public form: {r.form_wave}")
    for name, run in (("1 client (reference)", r.form_ref), (f"{r.form.clients if r.form else 0} clients", r.form)):
        if run is None:
            continue
        total = run.accepted / run.seconds if run.seconds else math.nan
        others = {s: n for s, n in sorted(run.statuses.items()) if s != 200}
        print(f"    {name:22} {run.seconds:5.1f} s: accepted {run.accepted:,} ({total:,.1f}/s overall, "
              f"median {_per_second(run):,.0f}/s per second), answer rows {run.accepted_rows:,}; "
              f"latency p50 {_pct(run.latencies, .5):,.0f} ms p95 {_pct(run.latencies, .95):,.0f} ms; "
              f"other statuses {others or 'none'}; errors {len(run.errors)}")  # fmt: skip
        for line in run.errors[:5]:
            print(f"      error: {line}")
    if r.form and r.form_ref and r.form.latencies and r.form_ref.latencies:
        ratio = statistics.median(r.form.latencies) / statistics.median(r.form_ref.latencies)
        accepted = r.form.accepted + r.form_ref.accepted
        rows = r.form.accepted_rows + r.form_ref.accepted_rows
        print(f"    p50 under load / p50 alone {ratio:.2f}; accepted {accepted:,} responses / {rows:,} answer rows, "
              f"stored {r.stored_responses:,} / {r.stored_rows:,}: {'LOST ANSWERS' if form_lost(r) else 'none lost'}; "
              f"5xx (refused, shown an error, nothing stored) {form_5xx(r)}; "
              f"peak RSS of a gunicorn process {r.server_rss:.0f} MiB")  # fmt: skip
    if r.form_note:
        print(f"  note: {r.form_note}")
    if r.profile:
        print(f"  profile of one build_report on the large data (cProfile inflates the times):\n{r.profile}")


def vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=1_000_000, help="answer rows to add (default %(default)s)")
    parser.add_argument("--reach-rows", type=int, default=1_000_000, help="reach rows to add (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="report timings per median (default %(default)s)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="a PostgreSQL server URL (default: $BENCH_DATABASE_URL; none: SQLite only)")
    parser.add_argument("--duration", type=float, default=30, help="seconds of posting answers (0: skip the form)")
    parser.add_argument("--reference-seconds", type=float, default=5, help="seconds of one client alone")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--only-pg", action="store_true", help="skip SQLite (with --pg)")
    parser.add_argument("--profile", action="store_true", help="profile one build_report on the large data")
    args = parser.parse_args()
    backends: list[tuple[str, str | None]] = [] if args.only_pg and args.pg else [("SQLite", None)]
    if args.pg:
        backends.append(("PostgreSQL", args.pg))
    results = []
    for label, url in backends:
        results.append(run_backend(label, url, args))
        report(results[-1])
    print(f"process peak RSS {vm_hwm_mib():.0f} MiB")
    bad = [r.backend for r in results if args.duration > 0 and not r.form_note.startswith("GET") and not form_ok(r)]
    if bad:
        print(f"FAILED: accepted answers missing, or 5xx answers, on {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
