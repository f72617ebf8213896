"""Tables of the survey leg.

Nothing here identifies a respondent: a response is a wave, an area, a language, an optional
group and the day (never the time), plus its answers as small integers. No IP address, user
agent or free text is stored. `instance_id` is the field app's random submission id (ODK's
``uuid:…``), kept only so that importing the same export twice stores nothing new.

Answers repeat their response's wave, area, comparison flag, language and group so the report
aggregates one table with one GROUP BY (measured in `bench/surveys.py`), instead of joining a
million answers to their responses on every page view.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Enum, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..models import Campaign, Model, UTCDateTime, utcnow


class QuestionKind(enum.StrEnum):
    YES_NO = "yes_no"
    SINGLE = "single"
    MULTIPLE = "multiple"
    LIKERT = "likert"
    NUMBER = "number"


class WaveKind(enum.StrEnum):
    BASELINE = "baseline"
    ENDLINE = "endline"
    FOLLOW_UP = "follow_up"


class WaveStatus(enum.StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"


class WaveAccess(enum.StrEnum):
    LINK = "link"  # anyone with the link answers; rate limited per client
    CODES = "codes"  # one answer per printed one-time code


# Value stored for a multiple-choice question that was answered, beside one row per option chosen:
# the question's n is the number of these rows, so "chose none of them" still counts in n.
ANSWERED = 0


class SurveyQuestion(Model):
    """A campaign's own question, with its text and choices in each language it was given in."""

    __tablename__ = "survey_questions"
    __table_args__ = (UniqueConstraint("campaign_id", "key", name="uq_survey_questions_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[QuestionKind] = mapped_column(Enum(QuestionKind, name="question_kind", native_enum=False, length=10))
    texts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # [{"code": 1, "texts": {"en": "...", "lt": "..."}}, ...]; codes start at 1 (0 is ANSWERED)
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The codes that count as the outcome happening (a "yes", an "agree"), for the report's share.
    success: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyPlan(Model):
    """What the campaign is judged on, chosen before the endline opens and frozen when it does."""

    __tablename__ = "survey_plans"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    primary_question: Mapped[str] = mapped_column(String(40))
    hoped_before: Mapped[float] = mapped_column(Float)
    hoped_after: Mapped[float] = mapped_column(Float)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyWave(Model):
    """One round of asking: before, after or long after the campaign, in its areas and optionally
    in comparison areas it did not reach."""

    __tablename__ = "survey_waves"
    __table_args__ = (UniqueConstraint("token", name="uq_survey_waves_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    kind: Mapped[WaveKind] = mapped_column(Enum(WaveKind, name="wave_kind", native_enum=False, length=10))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    status: Mapped[WaveStatus] = mapped_column(
        Enum(WaveStatus, name="wave_status", native_enum=False, length=8), default=WaveStatus.PLANNED, index=True
    )
    token: Mapped[str] = mapped_column(String(32))
    access: Mapped[WaveAccess] = mapped_column(
        Enum(WaveAccess, name="wave_access", native_enum=False, length=6), default=WaveAccess.LINK
    )
    locales: Mapped[list[str]] = mapped_column(JSON, default=list)
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)  # keys: the bank's ids or custom keys
    # [{"code": ..., "name": ...}] of areas the campaign did not reach, asked for comparison
    comparison_areas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship()


class SurveyCode(Model):
    """A printed one-time code: only its hash is kept, and the day it was used."""

    __tablename__ = "survey_codes"
    __table_args__ = (UniqueConstraint("wave_id", "code_hash", name="uq_survey_codes_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_on: Mapped[date | None] = mapped_column(Date)


class SurveyResponse(Model):
    """One person's answers to one wave: where, in which language, which day. Nothing else."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("wave_id", "instance_id", name="uq_survey_responses_instance"),
        Index("ix_survey_responses_wave", "wave_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(String(64))
    comparison: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(8))
    segment: Mapped[str] = mapped_column(String(40), default="")
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(8))  # form, kobo, odk, demo
    instance_id: Mapped[str | None] = mapped_column(String(80))


class SurveyAnswer(Model):
    """One answer as a small integer: the choice's code, 1 or 0 for yes or no, 1 to 5 on a
    Likert scale, the number itself; for a multiple choice one row per option plus ANSWERED."""

    __tablename__ = "survey_answers"
    # Covering the report's GROUP BY: SQLite answers from the index alone, already in order, with
    # no lookup per answer and no sort (bench/surveys.py: 1.9-4.0 s -> 0.3 s over a million answers).
    __table_args__ = (
        Index("ix_survey_answers_report", "wave_id", "question", "value", "area_code", "comparison", "locale",
              "segment"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(String(64))
    comparison: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(8))
    segment: Mapped[str] = mapped_column(String(40), default="")
    question: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(Integer)


class ReportFreeze(Model):
    """An evaluated campaign's report as it was published: its numbers, a hash of the data they
    came from and the code's version, so a quoted figure can be reproduced and checked later."""

    __tablename__ = "report_freezes"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    numbers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    data_hash: Mapped[str] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(64))
