"""Importing a field team's export: KoboToolbox and ODK Central CSVs built from the wave's own
XLSForm (as downloaded) store the right responses and answers, keep the day and never the time
or the export's meta columns, store nothing new when imported again, and store nothing at all
when any row is wrong, naming its row and column."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import AuditEntry, Campaign, CampaignStatus, Role
from campaigns.services.reach import RowProblem
from campaigns.surveys import answers, field_import
from campaigns.surveys.field_messages import located, problem_message
from campaigns.surveys.models import ANSWERED, SurveyAnswer, SurveyResponse, SurveyWave, WaveKind
from content.questions import bank
from tests.conftest import create_member, csrf_token, demo_client, login

OPENS, CLOSES = date(2026, 9, 1), date(2026, 9, 29)
COMPARISON = {"code": "13999", "name": "Elsewhere"}
SEGMENT = "Bank staff"
DEVICE, SUBMITTER = "collect:Qx7DeviceSecret", "Ana Fieldworker"


@dataclass
class Form:
    """What the downloaded XLSForm says: {question key: field name} and the group's choice name."""

    names: dict[str, str]
    group_choice: str
    wave_id: int


@pytest.fixture
def form(demo_app: Flask) -> Form:
    """A baseline wave of demo campaign 1 (with one group), and its XLSForm read back."""
    with demo_app.app_context():
        campaign = db.session.get(Campaign, 1)
        assert campaign is not None
        campaign.segments = [{"segment": SEGMENT, "audience_low": None, "audience_high": None, "languages": []}]
        wave = SurveyWave(campaign_id=1, kind=WaveKind.BASELINE, opens_on=OPENS, closes_on=CLOSES,
                          token=secrets.token_urlsafe(16), locales=["en", "lt"], questions=[q.key for q in bank()],
                          comparison_areas=[COMPARISON])  # fmt: skip
        db.session.add(wave)
        db.session.commit()
        wave_id, keys = wave.id, list(wave.questions)
    response = demo_client(demo_app).get(f"/campaigns/1/surveys/{wave_id}/xlsform")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    survey = list(book["survey"].iter_rows(values_only=True))
    header = survey[0]
    rows = [dict(zip(header, r, strict=True)) for r in survey[1:]]
    assert [r["name"] for r in rows[:2]] == ["area", "group"]
    names = dict(zip(keys, [r["name"] for r in rows[2:] if r["type"] != "today"], strict=True))
    choices = [dict(zip(book["choices"][1], r, strict=False)) for r in book["choices"].iter_rows(values_only=True)]
    group_choice = next(r[1] for r in book["choices"].iter_rows(values_only=True) if r[0] == "groups")
    assert choices
    return Form(names, str(group_choice), wave_id)


# Three people: a full answer sheet, a comparison area with one answer, an area and nothing else.
PEOPLE: list[dict[str, Any]] = [
    {"area": "13137", "group": "bank", "signs-two": "1", "knows-report": "2", "act-differently": "4",
     "seen-material": "1", "seen-where": "1 3", "people-told": "5"},
    {"area": "13999", "signs-two": "2"},
    {"area": "13139"},
]  # fmt: skip
EXPECTED_ANSWERS = 6 + 2 + 1  # six single answers and ANSWERED + two options; one; none


def _cells(form: Form, person: Mapping[str, str]) -> dict[str, str]:
    """A person's answers under the form's field names, the group as its choice name."""
    out = {"area": person["area"], "group": form.group_choice if person.get("group") else ""}
    for key, name in form.names.items():
        out[name] = person.get(key, "")
    return out


def kobo_export(form: Form, people: Sequence[Mapping[str, str]] = PEOPLE,
                times: Sequence[str] = ("2026-09-10T18:45:12", "2026-09-10T23:59:59", "2026-09-11T06:01:00"),
                drop: Sequence[str] = (), today: Mapping[int, str] | None = None) -> bytes:  # fmt: skip
    """KoboToolbox's "XML values and headers" CSV: semicolons, meta columns, a 0/1 column per option."""
    multiple = form.names["seen-where"]
    options = [f"{multiple}/{code}" for code in range(1, 7)]
    header = ["start", "end", "today", "deviceid", "area", "group", *form.names.values(), *options, "_id", "_uuid",
              "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by", "__version__", "_tags",
              "_index"]  # fmt: skip
    rows = []
    for index, (person, time) in enumerate(zip(people, times, strict=True), start=1):
        cells = _cells(form, person)
        chosen = cells[multiple].split()
        rows.append({
            "start": "2026-09-10T18:40:01.000+03:00", "end": "2026-09-10T18:44:59.000+03:00",
            "today": (today or {}).get(index, time[:10] if time[:4].isdigit() else ""),
            "deviceid": DEVICE, **cells, **{o: ("1" if o.rsplit("/", 1)[1] in chosen else "0") if chosen else ""
                                            for o in options},
            "_id": str(9000 + index), "_uuid": f"0b7c1f1e-1111-4a4a-9c9c-00000000000{index}",
            "_submission_time": time, "_validation_status": "", "_notes": "", "_status": "submitted_via_web",
            "_submitted_by": SUBMITTER, "__version__": "vAbc", "_tags": "", "_index": str(index),
        })  # fmt: skip
    return _csv([h for h in header if h not in drop], rows, ";")


def odk_export(form: Form, people: Sequence[Mapping[str, str]] = PEOPLE) -> bytes:
    """ODK Central's CSV: commas, the questions in a group `q` (joined by "-"), meta columns."""
    header = ["SubmissionDate", "start", "end", "deviceid", "area", "group",
              *(f"q-{n}" for n in form.names.values()), "meta-instanceID", "KEY", "SubmitterID", "SubmitterName",
              "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits",
              "FormVersion"]  # fmt: skip
    rows = []
    for index, person in enumerate(people, start=1):
        cells = _cells(form, person)
        uuid = f"uuid:5e0c7c9a-2222-4b4b-8d8d-00000000000{index}"
        rows.append({
            "SubmissionDate": f"2026-09-2{index}T09:15:0{index}.123Z", "start": "", "end": "", "deviceid": DEVICE,
            "area": cells.pop("area"), "group": cells.pop("group"), **{f"q-{k}": v for k, v in cells.items()},
            "meta-instanceID": uuid, "KEY": uuid, "SubmitterID": "17", "SubmitterName": SUBMITTER,
            "AttachmentsPresent": "0", "AttachmentsExpected": "0", "Status": "", "ReviewState": "",
            "DeviceID": DEVICE, "Edits": "0", "FormVersion": "abc",
        })  # fmt: skip
    return _csv(header, rows, ",")


def _csv(header: Sequence[str], rows: Sequence[Mapping[str, str]], separator: str) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(header), delimiter=separator, extrasaction="ignore",
                            lineterminator="\r\n", quoting=csv.QUOTE_ALL)  # fmt: skip
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _import(app: Flask, wave_id: int, data: bytes) -> tuple[str, tuple[int, int]]:
    with app.app_context():
        wave = db.session.get(SurveyWave, wave_id)
        assert wave is not None
        areas = list(answers.wave_areas(wave))
        segments = [s["segment"] for s in wave.campaign.segments]
        source, batch = field_import.read_export(data, wave, answers.wave_questions(wave), areas, segments)
        try:
            result = answers.store(wave, batch, source)
        except answers.SurveyRejected:
            db.session.rollback()
            raise
        db.session.commit()
        return source, result


def _rejected(app: Flask, wave_id: int, data: bytes) -> list[RowProblem]:
    with pytest.raises(answers.SurveyRejected) as caught:
        _import(app, wave_id, data)
    assert _counts(app, wave_id) == (0, 0), "a refused file stores nothing"
    return caught.value.problems


def _counts(app: Flask, wave_id: int) -> tuple[int, int]:
    with app.app_context():
        responses = db.session.scalar(select(func.count()).where(SurveyResponse.wave_id == wave_id))
        stored = db.session.scalar(select(func.count()).where(SurveyAnswer.wave_id == wave_id))
        return int(responses or 0), int(stored or 0)


def _stored_text(app: Flask, wave_id: int) -> str:
    """Every value of every response and answer the wave holds, as one text to search."""
    with app.app_context():
        parts: list[str] = []
        for model in (SurveyResponse, SurveyAnswer):
            for row in db.session.scalars(select(model).where(model.wave_id == wave_id)):
                parts.extend(str(getattr(row, c.key)) for c in model.__table__.columns)
        return " ".join(parts)


def test_kobo_export_is_stored(demo_app: Flask, form: Form) -> None:
    source, (stored, already) = _import(demo_app, form.wave_id, kobo_export(form))
    assert (source, stored, already) == ("kobo", 3, 0)
    assert _counts(demo_app, form.wave_id) == (3, EXPECTED_ANSWERS)
    with demo_app.app_context():
        responses = db.session.scalars(
            select(SurveyResponse).where(SurveyResponse.wave_id == form.wave_id).order_by(SurveyResponse.id)
        ).all()
        assert [r.area_code for r in responses] == ["13137", "13999", "13139"]
        assert [r.comparison for r in responses] == [False, True, False]
        assert [r.day for r in responses] == [date(2026, 9, 10), date(2026, 9, 10), date(2026, 9, 11)]
        assert [r.segment for r in responses] == [SEGMENT, "", ""]
        assert {r.locale for r in responses} == {"en"}  # the wave's first language
        assert {r.source for r in responses} == {"kobo"}
        assert responses[0].instance_id == "0b7c1f1e-1111-4a4a-9c9c-000000000001"
        first = {(a.question, a.value) for a in db.session.scalars(
            select(SurveyAnswer).where(SurveyAnswer.response_id == responses[0].id))}  # fmt: skip
        assert first == {
            ("signs-two", 1),
            ("knows-report", 2),
            ("act-differently", 4),
            ("seen-material", 1),
            ("seen-where", ANSWERED),
            ("seen-where", 1),
            ("seen-where", 3),
            ("people-told", 5),
        }
    text = _stored_text(demo_app, form.wave_id)
    assert "13137" in text
    for meta in (DEVICE, SUBMITTER, "18:45", "9001", "submitted_via_web", "vAbc"):
        assert meta not in text, meta


def test_odk_export_is_stored(demo_app: Flask, form: Form) -> None:
    source, (stored, already) = _import(demo_app, form.wave_id, odk_export(form))
    assert (source, stored, already) == ("odk", 3, 0)
    assert _counts(demo_app, form.wave_id) == (3, EXPECTED_ANSWERS)
    with demo_app.app_context():
        responses = db.session.scalars(
            select(SurveyResponse).where(SurveyResponse.wave_id == form.wave_id).order_by(SurveyResponse.id)
        ).all()
        assert [r.day for r in responses] == [date(2026, 9, 21), date(2026, 9, 22), date(2026, 9, 23)]
        assert [r.segment for r in responses] == [SEGMENT, "", ""]
        assert responses[1].instance_id == "uuid:5e0c7c9a-2222-4b4b-8d8d-000000000002"
    text = _stored_text(demo_app, form.wave_id)
    assert "13137" in text
    for meta in (DEVICE, SUBMITTER, "09:15", "abc"):
        assert meta not in text, meta


def test_reimport_stores_nothing_new(demo_app: Flask, form: Form) -> None:
    data = kobo_export(form)
    assert _import(demo_app, form.wave_id, data)[1] == (3, 0)
    assert _import(demo_app, form.wave_id, data)[1] == (0, 3)
    assert _counts(demo_app, form.wave_id) == (3, EXPECTED_ANSWERS)
    # a later export holds the old submissions and a new one: only the new one is added
    more = [*PEOPLE, {"area": "13137", "signs-two": "1"}]
    times = ("2026-09-10T18:45:12", "2026-09-10T23:59:59", "2026-09-11T06:01:00", "2026-09-12T08:00:00")
    assert _import(demo_app, form.wave_id, kobo_export(form, more, times))[1] == (1, 3)
    assert _counts(demo_app, form.wave_id) == (4, EXPECTED_ANSWERS + 1)


def test_language_column_is_used_when_present(demo_app: Flask, form: Form) -> None:
    text = odk_export(form).decode()
    lines = text.split("\r\n")
    lines[0] += ',"language"'
    lines[1] += ',"Lietuvių (lt)"'
    lines[2] += ',"lt"'
    lines[3] += ',""'
    _import(demo_app, form.wave_id, "\r\n".join(lines).encode())
    with demo_app.app_context():
        locales = db.session.scalars(
            select(SurveyResponse.locale).where(SurveyResponse.wave_id == form.wave_id).order_by(SurveyResponse.id)
        ).all()
    assert locales == ["lt", "lt", "en"]


def test_a_bad_value_names_its_row_and_column_and_stores_nothing(demo_app: Flask, form: Form) -> None:
    people = [dict(p) for p in PEOPLE]
    people[1]["signs-two"] = "7"  # not a yes/no code; the file's row 3
    people[2]["people-told"] = "lots"  # not a number; row 4
    problems = _rejected(demo_app, form.wave_id, odk_export(form, people))
    found = {(p.row, p.column, p.code) for p in problems}
    assert found == {(3, f"q-{form.names['signs-two']}", "survey_choice"),
                     (4, f"q-{form.names['people-told']}", "survey_number")}  # fmt: skip


def test_a_late_sync_counts_on_the_day_the_form_was_filled_in(demo_app: Flask, form: Form) -> None:
    """Uploaded after the wave closed, filled in while it was open: the form's `today` decides."""
    times = ("2026-10-05T09:00:00", "2026-10-05T09:00:01", "2026-10-05T09:00:02")
    late = kobo_export(form, times=times, today={1: "2026-09-20", 2: "2026-09-21", 3: "2026-09-29"})
    _source, (stored, _already) = _import(demo_app, form.wave_id, late)
    assert stored == 3
    with demo_app.app_context():
        days = db.session.scalars(select(SurveyResponse.day).where(SurveyResponse.wave_id == form.wave_id)
                                  .order_by(SurveyResponse.id)).all()  # fmt: skip
    assert days == [date(2026, 9, 20), date(2026, 9, 21), date(2026, 9, 29)]


def test_a_bad_area_or_day_is_named_by_the_file_column(demo_app: Flask, form: Form) -> None:
    people = [dict(p) for p in PEOPLE]
    people[0]["area"] = "99999"
    times = ("2026-09-10T18:45:12", "2026-10-02T10:00:00", "not a time")
    problems = _rejected(demo_app, form.wave_id, kobo_export(form, people, times))
    assert {(p.row, p.column, p.code) for p in problems} == {
        (2, "area", "survey_area"), (3, "_submission_time", "survey_day"), (4, "_submission_time", "field_date"),
    }  # fmt: skip
    with demo_app.test_request_context():
        messages = [located(p) for p in sorted(problems, key=lambda p: p.row)]
    assert messages[0].startswith("Row 2, column “area”: “99999” is not one of the wave's areas")
    assert "Row 3, column “_submission_time”" in messages[1] and "2026" in messages[1]


def test_select_multiple_with_a_bad_option_is_refused(demo_app: Flask, form: Form) -> None:
    people = [dict(p) for p in PEOPLE]
    people[0]["seen-where"] = "1 9"
    problems = _rejected(demo_app, form.wave_id, kobo_export(form, people))
    assert [(p.row, p.column, p.code, p.params["value"]) for p in problems] == [
        (2, form.names["seen-where"], "survey_choice", 9)
    ]


def test_the_same_submission_twice_is_refused(demo_app: Flask, form: Form) -> None:
    text = kobo_export(form).decode()
    lines = text.split("\r\n")
    duplicate = lines[1]
    problems = _rejected(demo_app, form.wave_id, "\r\n".join([*lines[:-1], duplicate, ""]).encode())
    assert [(p.row, p.column, p.code) for p in problems] == [(5, "_uuid", "survey_duplicate")]


@pytest.mark.parametrize("missing", ["_uuid", "_submission_time", "area"])
def test_a_missing_column_is_named(demo_app: Flask, form: Form, missing: str) -> None:
    problems = _rejected(demo_app, form.wave_id, kobo_export(form, drop=[missing]))
    assert [(p.column, p.code) for p in problems] == [(missing, "field_missing_column")]
    with demo_app.test_request_context():
        assert f"The file has no column “{missing}”" in located(problems[0])


@pytest.mark.parametrize(("data", "code"), [
    (b"PK\x03\x04 an xlsx file", "field_not_csv"),
    ("naïve".encode("latin-1") + b";x\n1;2\n", "field_encoding"),
    (b"", "field_empty"),
    (b"Day;Region;Reach\n2026-09-10;13137;10\n", "field_unknown_export"),
])  # fmt: skip
def test_a_file_that_is_not_an_export(demo_app: Flask, form: Form, data: bytes, code: str) -> None:
    problems = _rejected(demo_app, form.wave_id, data)
    assert [p.code for p in problems] == [code]
    with demo_app.test_request_context():
        assert problem_message(problems[0]) != code  # phrased, not the bare code


def test_every_survey_code_is_phrased(app: Flask) -> None:
    codes = set(re.findall(r'"(survey_[a-z]+|text_too_long)"', Path(answers.__file__).read_text(encoding="utf-8")))
    codes |= set(re.findall(r'"(field_[a-z_]+)"', Path(field_import.__file__).read_text(encoding="utf-8")))
    assert {"survey_area", "survey_choice", "field_missing_column"} <= codes
    with app.test_request_context():
        for code in codes:
            assert problem_message(RowProblem(2, "x", code, {"value": "v"})) != code, code


def _upload(client: Any, wave_id: int, data: bytes, campaign_id: int = 1) -> Any:
    return client.post(f"/campaigns/{campaign_id}/surveys/{wave_id}/import",
                       data={"csrf_token": csrf_token(client, "/"), "file": (io.BytesIO(data), "export.csv")},
                       content_type="multipart/form-data")  # fmt: skip


def test_coordinator_imports_through_the_page(demo_app: Flask, form: Form) -> None:
    coordinator = demo_client(demo_app, Role.COORDINATOR)
    page = coordinator.get(f"/campaigns/1/surveys/{form.wave_id}/import")
    assert page.status_code == 200 and 'type="file"' in page.get_data(as_text=True)

    response = _upload(coordinator, form.wave_id, odk_export(form))
    assert response.status_code == 302
    assert "3 responses stored; 0 were already there" in coordinator.get(response.location).get_data(as_text=True)
    again = _upload(coordinator, form.wave_id, odk_export(form))
    assert "0 responses stored; 3 were already there" in coordinator.get(again.location).get_data(as_text=True)
    assert _counts(demo_app, form.wave_id) == (3, EXPECTED_ANSWERS)
    with demo_app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "survey.import")
                                     .order_by(AuditEntry.id)).all()  # fmt: skip
        assert [(e.details["stored"], e.details["already"]) for e in entries] == [(3, 0), (0, 3)]
        assert entries[0].target_id == str(form.wave_id)

    people = [dict(p) for p in PEOPLE] + [{"area": "13137", "signs-two": "yes"}]
    bad = _upload(coordinator, form.wave_id, odk_export(form, people))
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert f"Row 5, column “q-{form.names['signs-two']}”" in body
    assert "Nothing was stored" in body
    assert _counts(demo_app, form.wave_id) == (3, EXPECTED_ANSWERS)


def test_other_roles_and_organisations_are_refused(demo_app: Flask, form: Form) -> None:
    data = kobo_export(form)
    for role in (Role.REVIEWER, Role.TRAINER):
        client = demo_client(demo_app, role)
        assert client.get(f"/campaigns/1/surveys/{form.wave_id}/import").status_code == 403
        assert _upload(client, form.wave_id, data).status_code == 403
    outsider = create_member(demo_app, Role.COORDINATOR, email="coordinator@elsewhere.example", org_name="Elsewhere")
    client = demo_app.test_client()
    assert login(client, outsider.email).status_code == 302
    assert client.get(f"/campaigns/1/surveys/{form.wave_id}/import").status_code == 404
    assert _upload(client, form.wave_id, data).status_code == 404
    coordinator = demo_client(demo_app, Role.COORDINATOR)
    assert _upload(coordinator, form.wave_id, data, campaign_id=2).status_code == 404  # not campaign 2's wave
    assert _counts(demo_app, form.wave_id) == (0, 0)


def test_an_evaluated_campaign_takes_no_import(demo_app: Flask, form: Form) -> None:
    with demo_app.app_context():
        campaign = db.session.get(Campaign, 1)
        assert campaign is not None
        campaign.status = CampaignStatus.EVALUATED
        db.session.commit()
    coordinator = demo_client(demo_app, Role.COORDINATOR)
    page = coordinator.get(f"/campaigns/1/surveys/{form.wave_id}/import").get_data(as_text=True)
    assert 'id="import-closed"' in page and 'type="file"' not in page
    response = _upload(coordinator, form.wave_id, kobo_export(form))
    assert response.status_code == 409
    assert "can no longer change" in response.get_data(as_text=True)
    assert _counts(demo_app, form.wave_id) == (0, 0)
