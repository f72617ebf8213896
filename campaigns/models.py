"""Typed SQLAlchemy models.

Staff accounts are the only people in the database. Incident data is stored as non-identifying
records and counts (see `targeting.privacy`); nothing here holds a victim's or a survey
respondent's identity.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .extensions import Base, db

if TYPE_CHECKING:  # db.Model is made at run time; to the type checker it is the typed Base
    Model = Base
else:
    Model = db.Model


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both databases (SQLite hands back naive datetimes otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    TRAINER = "trainer"
    REVIEWER = "reviewer"


class Organisation(Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Model):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("password_link_hash", name="uq_users_password_link_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, name="role", native_enum=False, length=20))
    locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The one set-password link an admin gave out (services.accounts.issue_password_link): only
    # the SHA-256 of its secret is kept, so the database cannot hand out a working link; a new
    # link overwrites it, and using it, deactivating the account or expiry ends it.
    password_link_hash: Mapped[str | None] = mapped_column(String(64))
    password_link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="users")


class UserSession(Model):
    """A server-side login session: the cookie carries a random id whose hash is stored here,
    so logging out (or an admin deactivating the account) ends the session for real."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    user: Mapped[User] = relationship()


class LoginAttempt(Model):
    """Failed logins per account and client, kept in the database so the limits hold across
    workers (the rule is in `services.accounts.authenticate`).

    `account_key` is an HMAC of the normalised e-mail, so unknown addresses are throttled too
    and no raw address typed by a stranger is stored; `client_key` is an HMAC of the client's
    network address (an IPv6 client's /64), so no IP address is stored either."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_key_at", "account_key", "attempted_at"),
        Index("ix_login_attempts_client_at", "client_key", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    client_key: Mapped[str] = mapped_column(String(64), default="", server_default="")
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class AuditEntry(Model):
    """Who did what, when. `details` holds ids, counts and names of things, never personal data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_org_at", "organisation_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_kind: Mapped[str] = mapped_column(String(20))  # web, api, cli, scheduler
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str | None] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class BoundarySet(Model):
    """A set of areas (counties, municipalities) that rankings and campaigns refer to."""

    __tablename__ = "boundary_sets"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(500))
    population_year: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    areas: Mapped[list[Area]] = relationship(back_populates="boundary_set", cascade="all, delete-orphan")


class Area(Model):
    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("boundary_set_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    boundary_set_id: Mapped[int] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    population: Mapped[int | None] = mapped_column(Integer)
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    geometry_wkb: Mapped[bytes] = mapped_column(LargeBinary)  # EPSG:4326, WKB: portable without PostGIS

    boundary_set: Mapped[BoundarySet] = relationship(back_populates="areas")


class IncidentSet(Model):
    """A batch of incident records for one boundary set.

    Small files are imported in one transaction and are `ready` at once. A large one is imported
    by a background job in chunks (`services.imports`): the set is `importing` meanwhile, and
    every query that reads incidents takes `ready` sets only, so nobody sees it half imported; a
    job that dies is found by its old `heartbeat_at`, its rows are deleted and it starts again."""

    __tablename__ = "incident_sets"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    boundary_set_id: Mapped[int] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="ready", server_default="ready", index=True)
    progress: Mapped[float | None] = mapped_column(Float, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    import_options: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)

    boundary_set: Mapped[BoundarySet] = relationship()
    records: Mapped[list[IncidentRecord]] = relationship(cascade="all, delete-orphan")


class IncidentRecord(Model):
    """One incident, reduced to non-identifying attributes and the area it fell in."""

    __tablename__ = "incident_records"
    __table_args__ = (Index("ix_incident_set_period", "incident_set_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_set_id: Mapped[int] = mapped_column(ForeignKey("incident_sets.id", ondelete="CASCADE"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    period: Mapped[int] = mapped_column(Integer)
    # One row per incident (count 1) from point uploads; one row per area and year from count uploads.
    count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class JobRun(Model):
    """One row per (job, period): the unique key that makes a scheduled job idempotent."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(80))
    period_key: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RankingRun(Model):
    """One ranking of a boundary set: its inputs' hash, progress, and the (suppressed) result.

    The hash covers the boundaries, the counts, the indicators and the options, so asking again
    for the same ranking returns the stored one instead of computing it twice."""

    __tablename__ = "ranking_runs"
    __table_args__ = (UniqueConstraint("organisation_id", "input_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    boundary_set_id: Mapped[int] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"), index=True)
    incident_set_id: Mapped[int | None] = mapped_column(ForeignKey("incident_sets.id", ondelete="CASCADE"))
    input_hash: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued, running, done, failed
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str | None] = mapped_column(Text)
    rows: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    segments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    boundary_set: Mapped[BoundarySet] = relationship()


class CampaignDraft(Model):
    """Areas and groups chosen from a ranking, waiting to become a campaign (the campaigns module)."""

    __tablename__ = "campaign_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    boundary_set_id: Mapped[int] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"))
    ranking_run_id: Mapped[int | None] = mapped_column(ForeignKey("ranking_runs.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    area_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    segments: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    boundary_set: Mapped[BoundarySet] = relationship()


class CampaignStatus(enum.StrEnum):
    """A campaign's lifecycle, in order; `services.campaigns.TRANSITIONS` says which moves are allowed."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    ENDED = "ended"
    EVALUATED = "evaluated"


class Campaign(Model):
    """An outreach campaign: where (frozen areas), whom, how (channels), when and with what budget.

    `version` is SQLAlchemy's version counter: every UPDATE checks the version the editor loaded,
    so of two coordinators saving the same campaign the second is refused, never silently wins."""

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    boundary_set_id: Mapped[int] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"), index=True)
    ranking_run_id: Mapped[int | None] = mapped_column(ForeignKey("ranking_runs.id", ondelete="SET NULL"))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_drafts.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[CampaignStatus] = mapped_column(
        Enum(CampaignStatus, name="campaign_status", native_enum=False, length=12), default=CampaignStatus.DRAFT,
        index=True,
    )
    starts: Mapped[date | None] = mapped_column(Date)
    ends: Mapped[date | None] = mapped_column(Date)
    budget_cents: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    partners: Mapped[list[str]] = mapped_column(JSON, default=list)
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    locales: Mapped[list[str]] = mapped_column(JSON, default=list)
    ranking_period: Mapped[str] = mapped_column(String(20), default="")
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    boundary_set: Mapped[BoundarySet] = relationship()
    areas: Mapped[list[CampaignArea]] = relationship(
        cascade="all, delete-orphan", order_by="CampaignArea.position", back_populates="campaign"
    )
    targets: Mapped[list[CampaignTarget]] = relationship(cascade="all, delete-orphan", back_populates="campaign")
    helpline_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    helpline_number: Mapped[str] = mapped_column(String(40), default="", server_default="")
    helpline_verified: Mapped[date | None] = mapped_column(Date)

    __mapper_args__ = {"version_id_col": version}


class CampaignArea(Model):
    """An area of a campaign with why it was chosen, frozen when it was planned: a later ranking
    of the same areas must not rewrite the reasons a campaign went where it went."""

    __tablename__ = "campaign_areas"
    __table_args__ = (UniqueConstraint("campaign_id", "area_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    area_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    rank: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    count: Mapped[int | None] = mapped_column(Integer)  # as published: None when hidden
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[str] = mapped_column(String(500), default="")

    campaign: Mapped[Campaign] = relationship(back_populates="areas")


class CampaignTarget(Model):
    """How many people a campaign means to reach in one area through one channel.

    Targets add up across areas (different people) but not across channels of one area (the same
    person may see an ad and attend an event), which is why pages total them per channel only."""

    __tablename__ = "campaign_targets"
    __table_args__ = (UniqueConstraint("campaign_id", "area_code", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    area_code: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(30))
    target_reach: Mapped[int] = mapped_column(Integer)

    campaign: Mapped[Campaign] = relationship(back_populates="targets")


class CampaignLogo(Model):
    """A partner's logo, printed on the campaign's toolkits (at most `services.logos.MAX_LOGOS`).

    The bytes are kept in the database, not on disk, so a backup of the database is a backup of
    the logos and both databases hold them the same way; `content.logos.check_logo` checked them
    before they got here. `sha256` tells a second upload of the same file."""

    __tablename__ = "campaign_logos"
    __table_args__ = (UniqueConstraint("campaign_id", "sha256", name="uq_campaign_logos_campaign_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))  # the partner's name: the logo's text alternative
    media_type: Mapped[str] = mapped_column(String(40))  # image/png or image/svg+xml
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class HelplineCheck(Model):
    """A coordinator's record that they checked a library helpline's number on a day.

    Per organisation: each organisation answers for what it prints. `number_checked` is the number
    as it was checked; when the library's number changes, the check no longer counts (a check of
    the old number says nothing about the new one). Rows are only added, never edited, so the
    list is also the history."""

    __tablename__ = "helpline_checks"
    __table_args__ = (Index("ix_helpline_checks_org_helpline", "organisation_id", "helpline_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    helpline_id: Mapped[str] = mapped_column(String(64))  # content/library/helplines.yaml `id`
    number_checked: Mapped[str] = mapped_column(String(40))
    checked_on: Mapped[date] = mapped_column(Date)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


REACH_MEASURES: tuple[str, ...] = ("reached", "impressions", "clicks", "events", "trained", "materials")
"""What a reach row may report. Only `reached` is unique people (not additive across periods);
the others are counts of things done, which add up over periods, areas and channels."""

ADDITIVE_MEASURES: tuple[str, ...] = REACH_MEASURES[1:]


class ReachImport(Model):
    """One import of reach rows (a CSV file or an API batch): what came in and what it did."""

    __tablename__ = "reach_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(10))  # form, csv, api
    file_name: Mapped[str] = mapped_column(String(200), default="")
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    added: Mapped[int] = mapped_column(Integer, default=0)
    replaced: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReachRow(Model):
    """What one channel did in one area over one reporting period (inclusive dates), optionally
    for one group and language ('' when not broken down).

    The period is kept because unique reach depends on it: a platform's reach for a week is not
    the sum of its daily reach. A row with the same key as an earlier one replaces it (a
    correction, audited with the old figures)."""

    __tablename__ = "reach_rows"
    __table_args__ = (
        UniqueConstraint("campaign_id", "period_start", "period_end", "channel", "area_code", "segment", "locale",
                         name="uq_reach_rows_key"),
    )  # fmt: skip
    # No other index: the roll-up reads all of a campaign's rows through the key's first column,
    # and the two other indexes first planned made a million-row store take 21 s instead of 12 s.

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("reach_imports.id", ondelete="SET NULL"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(30))
    area_code: Mapped[str] = mapped_column(String(64))
    segment: Mapped[str] = mapped_column(String(100), default="", server_default="")
    locale: Mapped[str] = mapped_column(String(8), default="", server_default="")
    reached: Mapped[int | None] = mapped_column(Integer)
    impressions: Mapped[int | None] = mapped_column(Integer)
    clicks: Mapped[int | None] = mapped_column(Integer)
    events: Mapped[int | None] = mapped_column(Integer)
    trained: Mapped[int | None] = mapped_column(Integer)
    materials: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReachSummary(Model):
    """Reach per campaign, area and channel, rolled up from the rows (`services.reach.refresh`):
    the pages read this, so a campaign page over a million rows reads a few hundred.

    `reached_low` is the largest single figure of unique people (certainly reached);
    `reached_summed` adds all periods up and may count a person more than once."""

    __tablename__ = "reach_summaries"
    __table_args__ = (UniqueConstraint("campaign_id", "area_code", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    area_code: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(30))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    reached_low: Mapped[int | None] = mapped_column(Integer)
    reached_summed: Mapped[int | None] = mapped_column(Integer)
    reached_periods: Mapped[int] = mapped_column(Integer, default=0)
    impressions: Mapped[int | None] = mapped_column(Integer)
    clicks: Mapped[int | None] = mapped_column(Integer)
    events: Mapped[int | None] = mapped_column(Integer)
    trained: Mapped[int | None] = mapped_column(Integer)
    materials: Mapped[int | None] = mapped_column(Integer)
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReachPeriodTotal(Model):
    """Reach per campaign, channel and reporting period, summed over areas, groups and languages
    (different people): the points of the campaign page's chart, rolled up with the summaries."""

    __tablename__ = "reach_period_totals"
    __table_args__ = (UniqueConstraint("campaign_id", "channel", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(30))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    reached: Mapped[int | None] = mapped_column(Integer)
    impressions: Mapped[int | None] = mapped_column(Integer)
    clicks: Mapped[int | None] = mapped_column(Integer)
    events: Mapped[int | None] = mapped_column(Integer)
    trained: Mapped[int | None] = mapped_column(Integer)
    materials: Mapped[int | None] = mapped_column(Integer)
    # Reach and impressions of the rows that give both: frequency is their ratio, never the
    # impressions of some rows over the reach of others.
    paired_reached: Mapped[int | None] = mapped_column(Integer)
    paired_impressions: Mapped[int | None] = mapped_column(Integer)


class CampaignSnapshot(Model):
    """A campaign's figures as they stood on one night (the scheduler's nightly snapshot), so a
    report can show how coverage grew even after rows were corrected."""

    __tablename__ = "campaign_snapshots"
    __table_args__ = (UniqueConstraint("campaign_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotentRequest(Model):
    """An API write sent with an Idempotency-Key: the answer is kept, so a retry gets the same
    answer and changes nothing; the same key with a different body is refused."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ToolkitPublication(Model):
    """A toolkit a coordinator published at a public link, with its campaign's details.

    The slug is random (not the id) so published links cannot be enumerated; revoking keeps the
    row, so the audit log and download counts still say what was public and when."""

    __tablename__ = "toolkit_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    audience: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(8))
    country: Mapped[str] = mapped_column(String(2))
    campaign_name: Mapped[str] = mapped_column(String(200), default="")
    helpline_name: Mapped[str] = mapped_column(String(200), default="")
    helpline_number: Mapped[str] = mapped_column(String(40), default="")
    helpline_verified: Mapped[date | None] = mapped_column(Date)
    partners: Mapped[list[str]] = mapped_column(JSON, default=list)
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts: Mapped[date | None] = mapped_column(Date)
    ends: Mapped[date | None] = mapped_column(Date)
    survey_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ToolkitDownload(Model):
    """How often a toolkit was downloaded, per day: a counter, never who downloaded it."""

    __tablename__ = "toolkit_downloads"
    __table_args__ = (
        UniqueConstraint("organisation_id", "day", "audience", "locale", "country", "format", "paper", "public",
                         name="uq_toolkit_downloads_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    audience: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(8))
    country: Mapped[str] = mapped_column(String(2))
    format: Mapped[str] = mapped_column(String(10))
    paper: Mapped[str] = mapped_column(String(8), default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    count: Mapped[int] = mapped_column(Integer, default=0)


# The survey leg's tables live with its code; imported here so `db.metadata` (and Alembic) sees them.
from .surveys.models import (  # noqa: E402,F401
    ReportFreeze,
    SurveyAnswer,
    SurveyCode,
    SurveyPlan,
    SurveyQuestion,
    SurveyResponse,
    SurveyWave,
)
