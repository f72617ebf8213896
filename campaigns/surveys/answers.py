"""Checking and storing survey answers, from the public form, a field team's export or the demo.

Every way in ends in `store`: one set of rules for what an answer may be, one transaction for a
whole batch (a file with one bad row stores nothing), and an instance id that makes importing
the same export again store nothing new.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select

from content import questions as bank_questions
from content.questions import Question

from ..extensions import db
from ..services.reach import RowProblem
from .models import ANSWERED, SurveyQuestion, SurveyResponse, SurveyWave

MAX_PROBLEMS: Final = 20
SEGMENT_MAX: Final = 40


class SurveyRejected(ValueError):
    """Answers that cannot be stored; nothing of the batch was. `problems` holds the first few."""

    def __init__(self, problems: Sequence[RowProblem], total: int) -> None:
        super().__init__(f"{total} problem(s) in the survey answers")
        self.problems, self.total = list(problems), total


def campaign_questions(campaign_id: int) -> dict[str, Question]:
    """Every question a wave of this campaign may ask: the bank's and the campaign's own."""
    out = {q.key: q for q in bank_questions.bank()}
    for row in db.session.scalars(select(SurveyQuestion).where(SurveyQuestion.campaign_id == campaign_id)):
        out[row.key] = bank_questions.custom(row.key, row.kind.value, row.texts, row.choices, row.success)
    return out


def wave_questions(wave: SurveyWave) -> list[Question]:
    """The wave's questions in its order (a question deleted since is left out)."""
    known = campaign_questions(wave.campaign_id)
    return [known[key] for key in wave.questions if key in known]


def wave_areas(wave: SurveyWave) -> dict[str, tuple[str, bool]]:
    """{area code: (name, is a comparison area)} of everywhere the wave asks."""
    out = {a.area_code: (a.name, False) for a in wave.campaign.areas}
    for area in wave.comparison_areas:
        out.setdefault(area["code"], (area["name"], True))
    return out


@dataclass
class Batch:
    """Responses and their answers as two frames, the shape every source produces.

    `responses`: one row per response with `row` (as the user counts it, for errors),
    `area_code`, `locale`, `segment`, `day` and optionally `instance_id`.
    `answers`: one row per answer with `row` (the response's), `question`, `value` and
    `column` (the source's own column name, for errors); a multiple choice has a row per option."""

    responses: pd.DataFrame
    answers: pd.DataFrame
    problems: list[RowProblem] = field(default_factory=list)

    @classmethod
    def one(
        cls, area_code: str, locale: str, day: date, answers: Mapping[str, int | Sequence[int]], segment: str = ""
    ) -> Batch:
        """A single response, as the public form sends it."""
        rows: list[tuple[int, str, int, str]] = []
        for key, value in answers.items():
            values: list[int] = [ANSWERED, *value] if isinstance(value, Sequence) else [int(value)]
            rows.extend((1, key, int(v), key) for v in values)
        return cls(
            pd.DataFrame({"row": [1], "area_code": [area_code], "locale": [locale], "segment": [segment],
                          "day": [day], "instance_id": [None]}),  # fmt: skip
            pd.DataFrame(rows, columns=["row", "question", "value", "column"]),
        )


def check(wave: SurveyWave, batch: Batch) -> list[RowProblem]:
    """Every problem with the batch against the wave's areas, languages and questions, vectorised
    over rows: codes a question does not have, numbers out of range, unknown areas."""
    problems = list(batch.problems)
    responses, answers = batch.responses, batch.answers
    areas = wave_areas(wave)

    def flag(frame: pd.DataFrame, mask: Any, column: Any, shown: str, code: str, **params: Any) -> None:
        """Name the first problems: the row as the user counts it, the source's column, the value."""
        hits = frame[np.asarray(mask, dtype=bool)].head(MAX_PROBLEMS)
        columns = column if isinstance(column, pd.Series) else pd.Series(column, index=frame.index)
        for index, row in hits.iterrows():
            params_ = {**params, "value": row[shown]}
            problems.append(RowProblem(int(row["row"]), str(columns.loc[index]), code, params_))

    flag(responses, ~responses["area_code"].isin(list(areas)), "area", "area_code", "survey_area")
    flag(responses, ~responses["locale"].isin(list(wave.locales)), "language", "locale", "survey_locale",
         allowed=", ".join(wave.locales))  # fmt: skip
    flag(responses, responses["segment"].fillna("").str.len() > SEGMENT_MAX, "group", "segment", "text_too_long",
         limit=SEGMENT_MAX)  # fmt: skip
    days = pd.to_datetime(responses["day"]).dt.date
    flag(responses, (days < wave.opens_on) | (days > wave.closes_on), "day", "day", "survey_day",
         opens=wave.opens_on, closes=wave.closes_on)  # fmt: skip
    if "instance_id" in responses and responses["instance_id"].notna().any():
        ids = responses["instance_id"]
        flag(responses, ids.notna() & ids.duplicated(keep="first"), "instance_id", "instance_id", "survey_duplicate")
    asked = {q.key: q for q in wave_questions(wave)}
    unknown = ~answers["question"].isin(list(asked))
    flag(answers, unknown, answers["column"], "question", "survey_question")
    for key, question in asked.items():
        mine = answers["question"] == key
        if not mine.any():
            continue
        values = answers.loc[mine, "value"]
        if question.kind == "number":
            bad = (values < 0) | (values > bank_questions.NUMBER_MAX)
            flag(answers.loc[mine], bad, answers.loc[mine, "column"], "value", "survey_number",
                 maximum=bank_questions.NUMBER_MAX)  # fmt: skip
        else:
            allowed = set(question.codes()) | ({ANSWERED} if question.kind == "multiple" else set())
            flag(answers.loc[mine], ~values.isin(list(allowed)), answers.loc[mine, "column"], "value", "survey_choice",
                 allowed=", ".join(str(c) for c in sorted(question.codes())))  # fmt: skip
        if question.kind != "multiple":
            twice = answers.loc[mine].duplicated(["row"], keep="first")
            flag(answers.loc[mine], twice, answers.loc[mine, "column"], "value", "survey_twice")
    return problems


def already_stored(wave_id: int, instance_ids: pd.Series) -> pd.Series:
    """Which instance ids the wave holds already (a re-import of the same export)."""
    wanted = [str(i) for i in instance_ids.dropna().unique()]
    if not wanted:
        return pd.Series(False, index=instance_ids.index)
    stored: set[str] = set()
    for start in range(0, len(wanted), 900):
        stored.update(
            db.session.scalars(
                select(SurveyResponse.instance_id).where(
                    SurveyResponse.wave_id == wave_id, SurveyResponse.instance_id.in_(wanted[start : start + 900])
                )
            )
        )
    return instance_ids.isin(stored)


def store(wave: SurveyWave, batch: Batch, source: str) -> tuple[int, int]:
    """Check and add the batch in the caller's transaction; returns (stored, already there).

    Raises SurveyRejected, having added nothing, when any row has a problem. Responses whose
    instance id the wave already holds are skipped, so re-importing an export changes nothing."""
    problems = check(wave, batch)
    if problems:
        raise SurveyRejected(problems[:MAX_PROBLEMS], len(problems))
    responses = batch.responses.copy()
    if "instance_id" not in responses:
        responses["instance_id"] = None
    seen = already_stored(wave.id, responses["instance_id"])
    fresh = responses[~seen.to_numpy()]
    if fresh.empty:
        return 0, int(seen.sum())
    comparison = {code for code, (_name, is_comparison) in wave_areas(wave).items() if is_comparison}
    fresh = fresh.assign(
        comparison=fresh["area_code"].isin(list(comparison)),
        day=pd.to_datetime(fresh["day"]).dt.date,
        segment=fresh["segment"].fillna(""),
    )
    records = [
        {"wave_id": wave.id, "area_code": r.area_code, "comparison": bool(r.comparison), "locale": r.locale,
         "segment": r.segment, "day": r.day, "source": source,
         "instance_id": None if r.instance_id is None or r.instance_id != r.instance_id else str(r.instance_id)}
        for r in fresh.itertuples(index=False)
    ]  # fmt: skip
    ids = db.session.scalars(
        insert(SurveyResponse).returning(SurveyResponse.id, sort_by_parameter_order=True), records
    ).all()
    by_row = pd.DataFrame({"row": fresh["row"].to_numpy(), "response_id": ids,
                           "area_code": fresh["area_code"].to_numpy(), "comparison": fresh["comparison"].to_numpy(),
                           "locale": fresh["locale"].to_numpy(), "segment": fresh["segment"].to_numpy()})  # fmt: skip
    rows = batch.answers[["row", "question", "value"]].merge(by_row, on="row", how="inner")
    insert_answers(wave.id, rows)
    return len(ids), int(seen.sum())


def insert_answers(wave_id: int, rows: pd.DataFrame) -> None:
    """Add answer rows (response_id, area_code, comparison, locale, segment, question, value)
    without an ORM object each: PostgreSQL's COPY (pandas writes the CSV, in C), SQLite's
    executemany. bench/surveys.py measured executemany on PostgreSQL at 44 s a million."""
    if rows.empty:
        return
    columns = ["response_id", "wave_id", "area_code", "comparison", "locale", "segment", "question", "value"]
    frame = rows.assign(wave_id=wave_id)[columns]
    if db.engine.dialect.name == "postgresql":
        # Every text quoted: COPY reads an unquoted empty field as NULL, and "no group" is "".
        text = frame.assign(comparison=frame["comparison"].map({True: "t", False: "f"})).to_csv(
            header=False, index=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)  # fmt: skip
        raw = db.session.connection().connection.driver_connection
        # Only the model's column names are in the statement; the values come as COPY data.
        statement = f"COPY survey_answers ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            copy.write(text)
        return
    mark = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO survey_answers ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608
    values = list(zip(
        frame["response_id"].astype(int).tolist(), frame["wave_id"].astype(int).tolist(),
        frame["area_code"].astype(str).tolist(), frame["comparison"].astype(bool).tolist(),
        frame["locale"].astype(str).tolist(), frame["segment"].astype(str).tolist(),
        frame["question"].astype(str).tolist(), frame["value"].astype(int).tolist(), strict=True,
    ))  # fmt: skip
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.executemany(sql, values)
    finally:
        cursor.close()


def count(wave_id: int) -> int:
    """How many responses the wave holds."""
    query = select(func.count()).select_from(SurveyResponse).where(SurveyResponse.wave_id == wave_id)
    return int(db.session.scalar(query) or 0)
