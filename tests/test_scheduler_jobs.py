"""The scheduler's campaign jobs (issue 11): the daily reach roll-up, the missing-reach reminder and
the nightly snapshot. Each run twice in a period gives one result; each killed (SIGKILL in a child
process) or failing part-way, then run again, gives what a clean run gives; a failure is recorded
so /admin/jobs can show it, and its period can still be run."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import create_schema, make_app
from flask import Flask
from sqlalchemy import delete, select, update

from campaigns import scheduler
from campaigns.db import write_intent
from campaigns.extensions import db
from campaigns.models import (
    AuditEntry,
    BoundarySet,
    Campaign,
    CampaignArea,
    CampaignSnapshot,
    CampaignStatus,
    CampaignTarget,
    JobRun,
    Organisation,
    ReachPeriodTotal,
    ReachSummary,
    Role,
    User,
)
from campaigns.scheduler import FAILED_MARK, JOBS, run_job
from campaigns.services import accounts, reach, reminders
from campaigns.services.audit import SYSTEM_CLI

TODAY = datetime.now(UTC).date()
NOON = datetime.combine(TODAY, datetime.min.time(), UTC).replace(hour=12)
SMTP = {"SMTP_HOST": "mail.test.example", "SMTP_PORT": 2525, "SMTP_FROM": "planner@test.example"}
NEW_JOBS = ("rollup_reach", "remind_missing_reach", "snapshot_campaigns")
TESTS_DIR = Path(__file__).resolve().parent


# --- building campaigns with reach ---------------------------------------------------------------


def add_campaign(app: Flask, org_name: str, name: str, *, status: CampaignStatus = CampaignStatus.RUNNING,
                 starts: date | None = None, demo: bool = False) -> int:  # fmt: skip
    """A campaign with two areas (1,000 and 4,000 people), two channels and targets; its id."""
    with app.app_context(), write_intent():
        org = accounts.get_or_create_organisation(SYSTEM_CLI, org_name, is_demo=demo)
        boundaries = BoundarySet(organisation_id=org.id, name=f"Areas of {name}", source="test", content_hash="0" * 64)
        db.session.add(boundaries)
        db.session.flush()
        start = starts or TODAY - timedelta(days=20)
        campaign = Campaign(
            organisation_id=org.id, boundary_set_id=boundaries.id, name=name, status=status, starts=start,
            ends=TODAY + timedelta(days=30), channels=["social_media", "frontline_training"],
            areas=[CampaignArea(position=0, area_code="A1", name="North", rank=1, population=1000),
                   CampaignArea(position=1, area_code="A2", name="South", rank=2, population=4000)],
            targets=[CampaignTarget(area_code="A1", channel="social_media", target_reach=500)],
        )  # fmt: skip
        db.session.add(campaign)
        db.session.commit()
        return campaign.id


def add_reach(app: Flask, campaign_id: int, *, scale: int = 1, recorded_days_ago: int = 0,
              start: date | None = None, days: int = 7) -> None:  # fmt: skip
    """Two periods of `days` days of reach on both channels (from two weeks ago by default),
    stored as an import made `recorded_days_ago` days ago (negative: in the days to come)."""
    start = start or TODAY - timedelta(days=2 * days)
    first, second = start, start + timedelta(days=days)
    end_first, end_second = start + timedelta(days=days - 1), start + timedelta(days=2 * days - 1)
    raw = pd.DataFrame({
        "period_start": [first.isoformat(), second.isoformat(), first.isoformat(), first.isoformat()],
        "period_end": [end_first.isoformat(), end_second.isoformat(), end_first.isoformat(), end_second.isoformat()],
        "channel": ["social_media", "social_media", "social_media", "frontline_training"],
        "area_code": ["A1", "A1", "A2", "A2"],
        "reached": [300 * scale, 250 * scale, 900 * scale, 40 * scale],
        "impressions": [1200 * scale, 900 * scale, 2500 * scale, None],
        "trained": [None, None, None, 35 * scale],
    })  # fmt: skip
    with app.app_context(), write_intent():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None
        batch = reach.store(SYSTEM_CLI, campaign, reach.coerce(campaign, raw, today=TODAY), source="form")
        batch.created_at = batch.created_at - timedelta(days=recorded_days_ago)
        db.session.commit()


def add_member(app: Flask, org_name: str, role: Role, email: str, *, active: bool = True) -> None:
    with app.app_context(), write_intent():
        org = accounts.get_or_create_organisation(SYSTEM_CLI, org_name)
        user = accounts.create_user(SYSTEM_CLI, email, "correct horse battery staple", role, org)
        user.active = active
        db.session.commit()


def roll_ups(app: Flask) -> dict[int, Any]:
    """Every campaign's roll-up rows, without ids and refresh times: what the pages read."""
    with app.app_context():
        summaries = db.session.scalars(select(ReachSummary).order_by(
            ReachSummary.campaign_id, ReachSummary.area_code, ReachSummary.channel)).all()  # fmt: skip
        totals = db.session.scalars(select(ReachPeriodTotal).order_by(
            ReachPeriodTotal.campaign_id, ReachPeriodTotal.channel, ReachPeriodTotal.period_start)).all()  # fmt: skip
        out: dict[int, Any] = {}
        for s in summaries:
            out.setdefault(s.campaign_id, {"summaries": [], "totals": []})["summaries"].append(
                (s.area_code, s.channel, s.rows, s.reached_low, s.reached_summed, s.reached_periods, s.impressions,
                 s.trained, s.first_day, s.last_day))  # fmt: skip
        for t in totals:
            out.setdefault(t.campaign_id, {"summaries": [], "totals": []})["totals"].append(
                (t.channel, t.period_start, t.period_end, t.rows, t.reached, t.impressions, t.trained))
        db.session.remove()
    return out


def snapshots(app: Flask) -> dict[tuple[int, date], dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalars(select(CampaignSnapshot).order_by(CampaignSnapshot.id)).all()
        out = {(s.campaign_id, s.day): s.figures for s in rows}
        assert len(out) == len(rows)
        db.session.remove()
    return out


def runs(app: Flask, job_id: str) -> list[tuple[str, dict[str, Any]]]:
    with app.app_context():
        found = [(r.period_key, r.result) for r in db.session.scalars(
            select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id))]  # fmt: skip
        db.session.remove()
    return found


def wipe_roll_ups(app: Flask) -> None:
    """Roll-ups gone stale (as after an upgrade that changed them): the job must rebuild them."""
    with app.app_context(), write_intent():
        db.session.execute(update(ReachSummary).values(reached_low=1, rows=99))
        db.session.execute(delete(ReachPeriodTotal))
        db.session.commit()


@pytest.fixture
def campaigns_with_reach(app: Flask) -> dict[str, int]:
    """Two organisations' running campaigns with reach, an ended one, a draft and a running one
    without any reach yet."""
    ids = {
        "a1": add_campaign(app, "Org A", "A running one"),
        "a2": add_campaign(app, "Org A", "A running two"),
        "a_ended": add_campaign(app, "Org A", "A ended", status=CampaignStatus.RUNNING),
        "a_draft": add_campaign(app, "Org A", "A draft", status=CampaignStatus.DRAFT),
        "b1": add_campaign(app, "Org B", "B running"),
        "b_silent": add_campaign(app, "Org B", "B silent"),
    }
    add_reach(app, ids["a1"])
    add_reach(app, ids["a2"], scale=2)
    add_reach(app, ids["a_ended"], scale=3)
    add_reach(app, ids["b1"], scale=5)
    with app.app_context(), write_intent():
        db.session.execute(update(Campaign).where(Campaign.id == ids["a_ended"]).values(status=CampaignStatus.ENDED))
        db.session.commit()
    return ids


# --- the jobs are scheduled ----------------------------------------------------------------------


def test_the_new_jobs_are_daily_and_looked_at_hourly(app: Flask) -> None:
    jobs = {job.id: job for job in JOBS}
    for job_id in NEW_JOBS:
        assert jobs[job_id].every_minutes == 1440 and jobs[job_id].look_minutes == 60
        assert jobs[job_id].period_key(NOON) == f"{TODAY.isoformat()}T00:00"
        assert jobs[job_id].period_key(NOON + timedelta(hours=11, minutes=59)) == f"{TODAY.isoformat()}T00:00"
    triggers = {job.id: job.trigger.interval for job in scheduler.build_scheduler(app).get_jobs()}
    assert triggers["rollup_reach"] == timedelta(hours=1) and triggers["resume_imports"] == timedelta(minutes=5)


# --- roll-up -------------------------------------------------------------------------------------


def test_the_rollup_run_twice_is_one_run_and_the_same_roll_ups(
    app: Flask, campaigns_with_reach: dict[str, int]
) -> None:
    ids = campaigns_with_reach
    clean = roll_ups(app)
    assert set(clean) == {ids["a1"], ids["a2"], ids["a_ended"], ids["b1"]}
    wipe_roll_ups(app)
    assert roll_ups(app) != clean
    first = run_job(app, "rollup_reach", NOON)
    assert "skipped" not in first
    assert roll_ups(app) == clean  # rebuilt from the rows, the draft and the silent one untouched
    assert "already done, skipped" in run_job(app, "rollup_reach", NOON + timedelta(hours=5))
    assert roll_ups(app) == clean
    ((key, result),) = runs(app, "rollup_reach")
    assert key == f"{TODAY.isoformat()}T00:00"
    assert result["campaigns"] == sorted([ids["a1"], ids["a2"], ids["a_ended"], ids["b1"]])
    assert result["summaries"] == sum(len(c["summaries"]) for c in clean.values())
    assert "skipped" not in run_job(app, "rollup_reach", NOON + timedelta(days=1))  # the next day runs again
    assert roll_ups(app) == clean and len(runs(app, "rollup_reach")) == 2


def test_a_rollup_failing_part_way_keeps_nothing_and_the_rerun_is_a_clean_run(
    app: Flask, campaigns_with_reach: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = roll_ups(app)
    wipe_roll_ups(app)
    stale = roll_ups(app)
    original, calls = reach.refresh, []

    def refresh_then_fail(campaign_id: int) -> dict[str, int]:
        calls.append(campaign_id)
        if len(calls) == 3:  # two campaigns rebuilt, not committed
            raise RuntimeError("disk full while reading someone@example.org's row")
        return original(campaign_id)

    monkeypatch.setattr(reach, "refresh", refresh_then_fail)
    with pytest.raises(RuntimeError):
        run_job(app, "rollup_reach", NOON)
    assert roll_ups(app) == stale  # the first two rebuilds were rolled back with the claim
    ((key, result),) = runs(app, "rollup_reach")
    assert key.startswith(f"{TODAY.isoformat()}T00:00{FAILED_MARK}") and result == {"error": "RuntimeError"}
    with app.app_context():  # the failure is audited without its message, which may quote data
        details = db.session.scalars(select(AuditEntry.details).where(AuditEntry.action == "job.rollup_reach.failed"))
        assert list(details) == [{"error": "RuntimeError"}]
        db.session.remove()
    monkeypatch.setattr(reach, "refresh", original)
    assert "skipped" not in run_job(app, "rollup_reach", NOON + timedelta(hours=1))  # the period is still free
    assert roll_ups(app) == clean
    assert [k for k, _r in runs(app, "rollup_reach")][1] == f"{TODAY.isoformat()}T00:00"


# --- snapshots -----------------------------------------------------------------------------------


def test_the_snapshot_run_twice_is_one_row_per_campaign_with_the_same_figures(
    app: Flask, campaigns_with_reach: dict[str, int]
) -> None:
    ids = campaigns_with_reach
    assert "skipped" not in run_job(app, "snapshot_campaigns", NOON)
    first = snapshots(app)
    running = [ids["a1"], ids["a2"], ids["b1"], ids["b_silent"]]
    assert sorted(first) == [(i, TODAY) for i in sorted(running)]  # running ones only
    assert "already done, skipped" in run_job(app, "snapshot_campaigns", NOON + timedelta(hours=3))
    assert snapshots(app) == first
    with app.app_context(), write_intent():  # the function itself also upserts: one row per day
        scheduler.snapshot_campaigns()
        scheduler.snapshot_campaigns()
        db.session.commit()
    assert snapshots(app) == first
    figures = first[(ids["a1"], TODAY)]
    social = next(c for c in figures["channels"] if c["channel"] == "social_media")
    # reached: the largest single week per area (300 in North), areas added (+900 in South)
    assert social["reached"] == 1200 and social["reached_summed"] == 1450 and social["population"] == 5000
    assert social["coverage"] == pytest.approx(0.24) and social["target"] == 500
    assert social["frequency"] == pytest.approx((1200 + 900 + 2500) / (300 + 250 + 900))
    assert social["measures"]["impressions"] == 4600
    training = next(c for c in figures["channels"] if c["channel"] == "frontline_training")
    assert training["reached"] == 40 and training["measures"]["trained"] == 35 and training["frequency"] is None
    assert figures["rows"] == 4 and figures["last_day"] == (TODAY - timedelta(days=1)).isoformat()
    silent = first[(ids["b_silent"], TODAY)]
    assert silent["rows"] == 0 and silent["last_day"] is None
    assert {c["reached"] for c in silent["channels"]} == {None}
    add_reach(app, ids["a1"], scale=2)  # corrections later the same day do not touch tonight's row ...
    assert snapshots(app) == first
    assert "skipped" not in run_job(app, "snapshot_campaigns", NOON + timedelta(days=1))  # ... the next night's has
    later = snapshots(app)
    assert later[(ids["a1"], TODAY)] == figures
    next_day = later[(ids["a1"], TODAY + timedelta(days=1))]
    assert next(c for c in next_day["channels"] if c["channel"] == "social_media")["reached"] == 2400


def test_a_snapshot_failing_part_way_keeps_nothing_and_the_rerun_is_a_clean_run(
    app: Flask, campaigns_with_reach: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = campaigns_with_reach
    with app.app_context(), write_intent():  # what a clean run writes, then forgotten again
        scheduler.snapshot_campaigns()
        db.session.flush()
        clean = {(s.campaign_id, s.day): s.figures for s in db.session.scalars(select(CampaignSnapshot))}
        db.session.rollback()
    assert snapshots(app) == {}
    original, calls = scheduler.snapshot_figures, []

    def figures_then_fail(campaign: Campaign) -> dict[str, Any]:
        calls.append(campaign.id)
        if len(calls) == 3:
            raise ValueError("bad figure")
        return original(campaign)

    monkeypatch.setattr(scheduler, "snapshot_figures", figures_then_fail)
    with pytest.raises(ValueError):
        run_job(app, "snapshot_campaigns", NOON)
    assert snapshots(app) == {}  # two snapshots were flushed, none kept
    assert [r for _k, r in runs(app, "snapshot_campaigns")] == [{"error": "ValueError"}]
    monkeypatch.setattr(scheduler, "snapshot_figures", original)
    assert "skipped" not in run_job(app, "snapshot_campaigns", NOON + timedelta(minutes=30))
    assert snapshots(app) == clean and len(clean) == 4
    assert "already done, skipped" in run_job(app, "snapshot_campaigns", NOON + timedelta(hours=2))
    assert len(runs(app, "snapshot_campaigns")) == 2 and ids  # one failure, one run


# --- killed with SIGKILL in a child process -------------------------------------------------------


@pytest.fixture
def shared(tmp_path: Path, fresh_database_url: str) -> Iterator[tuple[Flask, dict[str, str]]]:
    """An app on a database a child process uses too (see test_faults.py)."""
    secret = secrets.token_hex(16)
    app = make_app(tmp_path, fresh_database_url, SECRET_KEY=secret)
    with app.app_context():
        create_schema()
    env = {**os.environ, "FAULT_DATABASE_URL": fresh_database_url, "FAULT_INSTANCE": str(tmp_path / "instance"),
           "FAULT_SECRET": secret, "PYTHONPATH": f"{TESTS_DIR}{os.pathsep}{TESTS_DIR.parent}",
           "FAULT_NOW": NOON.isoformat()}  # fmt: skip
    yield app, env
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


KILLED_JOB_CHILD = """
from datetime import datetime
from campaigns import scheduler
from campaigns.services import reach
calls = []

def stop_at_the_third(original):
    def wrapped(*args):
        calls.append(args)
        if len(calls) == 3:  # two campaigns' work written (flushed), nothing committed
            stop_here()
        return original(*args)
    return wrapped

if os.environ["FAULT_JOB"] == "rollup_reach":
    reach.refresh = stop_at_the_third(reach.refresh)
else:
    scheduler.snapshot_figures = stop_at_the_third(scheduler.snapshot_figures)
scheduler.run_job(app, os.environ["FAULT_JOB"], now=datetime.fromisoformat(os.environ["FAULT_NOW"]))
"""


@pytest.mark.parametrize("job_id", ["rollup_reach", "snapshot_campaigns"])
def test_a_job_killed_mid_way_then_rerun_gives_what_a_clean_run_gives(
    shared: tuple[Flask, dict[str, str]], job_id: str
) -> None:
    from test_faults import _run_until_killed

    app, env = shared
    for n, org in enumerate(["Org A", "Org A", "Org B", "Org B"]):
        add_reach(app, add_campaign(app, org, f"Campaign {n}"), scale=n + 1)
    clean_roll_ups = roll_ups(app)
    wipe_roll_ups(app)
    before = (roll_ups(app), snapshots(app))
    _run_until_killed(KILLED_JOB_CHILD, {**env, "FAULT_JOB": job_id})
    assert (roll_ups(app), snapshots(app)) == before  # nothing of the killed run survived ...
    assert runs(app, job_id) == []  # ... not even its claim (and no failure: it never got to say)
    assert "skipped" not in run_job(app, job_id, NOON)  # so the restarted scheduler runs the period
    if job_id == "rollup_reach":
        assert roll_ups(app) == clean_roll_ups
    else:
        taken = snapshots(app)
        assert len(taken) == 4 and all(day == TODAY for _c, day in taken)
        with app.app_context():
            for (campaign_id, _day), figures in taken.items():
                campaign = db.session.get(Campaign, campaign_id)
                assert campaign is not None and figures == scheduler.snapshot_figures(campaign)
            db.session.remove()
    assert "already done, skipped" in run_job(app, job_id, NOON)
    assert len(runs(app, job_id)) == 1


# --- reminders -----------------------------------------------------------------------------------


class FakeSMTP:
    """Records what would be sent, in place of smtplib.SMTP."""

    sent: list[EmailMessage] = []
    connections: list[dict[str, Any]] = []
    fail_after: int | None = None

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.connection: dict[str, Any] = {"host": host, "port": port, "timeout": timeout, "tls": False, "login": None}
        FakeSMTP.connections.append(self.connection)

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def starttls(self, context: Any = None) -> None:
        self.connection["tls"] = True

    def login(self, user: str, password: str) -> None:
        self.connection["login"] = user

    def send_message(self, message: EmailMessage) -> None:
        if FakeSMTP.fail_after is not None and len(FakeSMTP.sent) >= FakeSMTP.fail_after:
            raise OSError("connection reset")
        FakeSMTP.sent.append(message)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> type[FakeSMTP]:
    FakeSMTP.sent, FakeSMTP.connections, FakeSMTP.fail_after = [], [], None
    monkeypatch.setattr(reminders.smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


def with_smtp(app: Flask, **extra: Any) -> None:
    settings = app.config["SETTINGS"]
    values = {"smtp_host": SMTP["SMTP_HOST"], "smtp_port": SMTP["SMTP_PORT"], "smtp_from": SMTP["SMTP_FROM"]}
    app.config["SETTINGS"] = replace(settings, **values, **extra)


@pytest.fixture
def silent_campaigns(app: Flask) -> dict[str, int]:
    """Org A: two silent campaigns (one recorded 10 days ago, one never since its start 9 days ago)
    and a fresh one; Org B: one silent; a demo organisation: one silent. With their people."""
    ids = {
        "a_old": add_campaign(app, "Org A", "Harvest workers, north"),
        "a_never": add_campaign(app, "Org A", "Bus stations", starts=TODAY - timedelta(days=9)),
        "a_fresh": add_campaign(app, "Org A", "Fresh"),
        "a_new": add_campaign(app, "Org A", "Started three days ago", starts=TODAY - timedelta(days=3)),
        "b_old": add_campaign(app, "Org B", "Care homes"),
        "demo": add_campaign(app, "Demo Org", "Demo campaign", demo=True),
    }
    add_reach(app, ids["a_old"], recorded_days_ago=10)
    add_reach(app, ids["a_fresh"], recorded_days_ago=2)
    add_reach(app, ids["b_old"], recorded_days_ago=8)
    for org, role, email, active in [
        ("Org A", Role.COORDINATOR, "coord.a@test.example", True),
        ("Org A", Role.ADMIN, "admin.a@test.example", True),
        ("Org A", Role.COORDINATOR, "gone.a@test.example", False),  # inactive: not told
        ("Org A", Role.TRAINER, "trainer.a@test.example", True),  # a trainer does not record reach
        ("Org B", Role.COORDINATOR, "coord.b@test.example", True),
        ("Demo Org", Role.ADMIN, "admin.demo@test.example", True),
    ]:
        add_member(app, org, role, email, active=active)
    return ids


def test_without_smtp_the_reminder_only_lists_the_campaigns(
    app: Flask, silent_campaigns: dict[str, int], smtp: type[FakeSMTP]
) -> None:
    ids = silent_campaigns
    assert not app.config["SETTINGS"].smtp_configured
    run_job(app, "remind_missing_reach", NOON)
    ((_key, result),) = runs(app, "remind_missing_reach")
    assert sorted(result["campaigns"]) == sorted([ids["a_old"], ids["a_never"], ids["b_old"], ids["demo"]])
    assert result["emailed"] == [] and result["emails"] == 0 and result["smtp"] is False
    assert smtp.sent == [] and smtp.connections == []


def _by_recipients(messages: Sequence[EmailMessage]) -> dict[str, EmailMessage]:
    return {str(m["To"]): m for m in messages}


def test_with_smtp_each_organisation_gets_one_e_mail_once(
    app: Flask, silent_campaigns: dict[str, int], smtp: type[FakeSMTP]
) -> None:
    ids = silent_campaigns
    with_smtp(app)
    run_job(app, "remind_missing_reach", NOON)
    mails = _by_recipients(smtp.sent)
    assert set(mails) == {"admin.a@test.example, coord.a@test.example", "coord.b@test.example"}  # no demo org
    assert smtp.connections == [{"host": "mail.test.example", "port": 2525, "timeout": 30, "tls": False,
                                 "login": None}]  # one connection for all  # fmt: skip
    a = mails["admin.a@test.example, coord.a@test.example"]
    assert a["From"] == "planner@test.example"
    assert a["Subject"] == "2 running campaigns have had no reach recorded for 7 days"
    body = a.get_content()
    recorded = (TODAY - timedelta(days=10)).isoformat()
    assert f"- Harvest workers, north: last recorded on {recorded} (10 days ago)\n  /campaigns/{ids['a_old']}" in body
    started = (TODAY - timedelta(days=9)).isoformat()
    assert f"- Bus stations: no reach recorded yet since it started on {started}\n  /campaigns/{ids['a_never']}" in body
    assert "Fresh" not in body and "Care homes" not in body and "Started three days ago" not in body
    assert "Care homes" in mails["coord.b@test.example"].get_content()
    ((_key, result),) = runs(app, "remind_missing_reach")
    assert result["emails"] == 2 and result["smtp"] is True
    assert result["emailed"] == sorted([ids["a_old"], ids["a_never"], ids["b_old"]])
    assert "@" not in str(result)  # counts and ids only, no address
    with app.app_context():
        audited = db.session.scalars(select(AuditEntry.details).where(AuditEntry.action == "job.remind_missing_reach"))
        assert "@" not in str(list(audited))
        db.session.remove()

    assert "already done, skipped" in run_job(app, "remind_missing_reach", NOON + timedelta(hours=6))
    assert len(smtp.sent) == 2  # twice in a day: one e-mail each
    run_job(app, "remind_missing_reach", NOON + timedelta(days=1))
    assert len(smtp.sent) == 2  # the next day: still silent, but reminded of yesterday
    add_campaign(app, "Org B", "Newly silent", starts=TODAY - timedelta(days=5))  # 7 days without reach on day 2
    run_job(app, "remind_missing_reach", NOON + timedelta(days=2))
    assert [str(m["To"]) for m in smtp.sent[2:]] == ["coord.b@test.example"]  # its organisation only, both listed
    assert "Newly silent" in smtp.sent[2].get_content() and "Care homes" in smtp.sent[2].get_content()
    run_job(app, "remind_missing_reach", NOON + timedelta(days=7))
    assert [str(m["To"]) for m in smtp.sent[3:]] == ["admin.a@test.example, coord.a@test.example"]  # a week on
    add_reach(app, ids["a_old"], recorded_days_ago=-10)  # Org A records reach on day 10 ...
    add_reach(app, ids["a_never"], recorded_days_ago=-10, start=TODAY - timedelta(days=9), days=4)
    run_job(app, "remind_missing_reach", NOON + timedelta(days=14))  # ... so on day 14 it is not listed
    mails = _by_recipients(smtp.sent[4:])
    body = mails["admin.a@test.example, coord.a@test.example"].get_content()  # its other two went silent since
    assert "Harvest workers" not in body and "Bus stations" not in body and "Fresh" in body
    assert set(mails) == {"admin.a@test.example, coord.a@test.example", "coord.b@test.example"}


def test_a_reminder_failing_part_way_sends_nothing_twice(
    app: Flask, silent_campaigns: dict[str, int], smtp: type[FakeSMTP], monkeypatch: pytest.MonkeyPatch
) -> None:
    with_smtp(app, smtp_user="planner", smtp_password="s3cret-pw", smtp_starttls=True)
    original, calls = reminders.compose, []

    def compose_then_fail(*args: Any) -> EmailMessage:
        calls.append(args)
        if len(calls) == 2:
            raise KeyError("template")
        return original(*args)

    monkeypatch.setattr(reminders, "compose", compose_then_fail)
    with pytest.raises(KeyError):
        run_job(app, "remind_missing_reach", NOON)
    assert smtp.sent == []  # the e-mails go last: the failure came before any was sent
    assert [r for _k, r in runs(app, "remind_missing_reach")] == [{"error": "KeyError"}]
    monkeypatch.setattr(reminders, "compose", original)
    run_job(app, "remind_missing_reach", NOON + timedelta(hours=1))
    assert len(smtp.sent) == 2 and smtp.connections[-1]["tls"] and smtp.connections[-1]["login"] == "planner"
    run_job(app, "remind_missing_reach", NOON + timedelta(hours=2))
    assert len(smtp.sent) == 2


def test_an_smtp_error_fails_the_run_visibly_and_the_retry_sends(
    app: Flask, silent_campaigns: dict[str, int], smtp: type[FakeSMTP]
) -> None:
    with_smtp(app)
    smtp.fail_after = 0
    with pytest.raises(OSError):
        run_job(app, "remind_missing_reach", NOON)
    assert [r for _k, r in runs(app, "remind_missing_reach")] == [{"error": "OSError"}]
    smtp.fail_after = None
    run_job(app, "remind_missing_reach", NOON + timedelta(hours=1))
    assert len(smtp.sent) == 2
    assert [r["emails"] for _k, r in runs(app, "remind_missing_reach") if "emails" in r] == [2]


def test_the_reminders_e_mail_is_plain_and_names_are_cleaned(app: Flask) -> None:
    notice = reminders.OrganisationReminder(
        1, "Org\nA", (reminders.Reminder(7, 1, "Line one\r\nBcc: x@evil.example", TODAY, None),), ("a@test.example",))
    with app.app_context():
        with_smtp(app)
        message = reminders.compose(app.config["SETTINGS"], notice, TODAY)
    assert message["Subject"] == "A running campaign has had no reach recorded for 7 days"
    assert message.get_content_type() == "text/plain" and message["Auto-Submitted"] == "auto-generated"
    assert message["Bcc"] is None
    assert "- Line one Bcc: x@evil.example: no reach recorded yet since it started on" in message.get_content()
    assert "of Org A have" in message.get_content()


# --- advance_campaigns names what it moved --------------------------------------------------------


def test_advance_campaigns_reports_the_ids_it_moved(app: Flask) -> None:
    due = add_campaign(app, "Org A", "Due", status=CampaignStatus.SCHEDULED, starts=TODAY)
    later = add_campaign(app, "Org A", "Later", status=CampaignStatus.SCHEDULED, starts=TODAY + timedelta(days=3))
    run_job(app, "advance_campaigns", NOON)
    ((_key, result),) = runs(app, "advance_campaigns")
    assert result == {"started": 1, "ended": 0, "campaigns": [due]} and later != due
    with app.app_context():
        assert db.session.get(Campaign, due).status == CampaignStatus.RUNNING  # type: ignore[union-attr]
        db.session.remove()


def test_no_personal_data_in_job_results(app: Flask, silent_campaigns: dict[str, int], smtp: type[FakeSMTP]) -> None:
    with_smtp(app)
    for job_id in NEW_JOBS:
        run_job(app, job_id, NOON)
    with app.app_context():
        emails = set(db.session.scalars(select(User.email)))
        names = set(db.session.scalars(select(Organisation.name)))
        for run in db.session.scalars(select(JobRun)):
            text = str(run.result)
            assert not any(e in text for e in emails) and not any(n in text for n in names), run.job_id
        db.session.remove()
