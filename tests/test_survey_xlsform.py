"""The wave's XLSForm: pyxform (what KoboToolbox and ODK Central run) converts it without error in
every language the toolkits ship, with a label column per language and the stored codes as choice
names, and field names that are valid XML names."""

from __future__ import annotations

import io
import re
import secrets
from datetime import date
from typing import Any

import openpyxl
import pytest
from flask import Flask
from pyxform.xls2xform import convert

from campaigns.extensions import db
from campaigns.models import Role
from campaigns.surveys.models import SurveyWave, WaveKind
from campaigns.surveys.xlsform import build_xlsform, field_form
from content.locales import LOCALES, language_name
from content.questions import NUMBER_MAX, bank, custom
from tests.conftest import demo_client

AREAS = {"13137": "Habersham", "13139": "Hall", "13999": "Elsewhere (comparison)"}
SEGMENTS = ["Bank staff", "Žemės ūkio darbuotojai"]
XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def sheets(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """Each sheet as a list of {header: value}."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    out = {}
    for sheet in book:
        rows = list(sheet.iter_rows(values_only=True))
        out[sheet.title] = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    return out


def workbook(locales: list[str], questions: Any = None, segments: list[str] = SEGMENTS) -> bytes:
    wave = SurveyWave(id=7, kind=WaveKind.BASELINE, locales=locales)
    return build_xlsform(wave, list(questions or bank()), AREAS, segments, "Know the signs – baseline")


LOCALE_SETS = [[code] for code in LOCALES] + [list(LOCALES), ["lt", "en"], ["ar", "uk", "vi"]]


@pytest.mark.parametrize("locales", LOCALE_SETS, ids=lambda ls: "+".join(ls))
def test_converts_with_pyxform_in_every_language(locales: list[str]) -> None:
    data = workbook(locales)
    warnings: list[str] = []
    result = convert(data, warnings=warnings, file_type=".xlsx")
    assert warnings == []
    for code in locales:
        assert f'<translation lang="{language_name(code)} ({code})"' in result.xform
    survey = sheets(data)["survey"]
    for code in locales:
        column = f"label::{language_name(code)} ({code})"
        assert all(row[column] for row in survey if row["type"] != "today"), column
    settings = sheets(data)["settings"][0]
    assert settings["default_language"] == f"{language_name(locales[0])} ({locales[0]})"


def test_labels_name_the_language_as_its_speakers_do() -> None:
    survey = sheets(workbook(["en", "lt"]))["survey"]
    assert {"label::English (en)", "label::Lietuvių (lt)"} <= set(survey[0])


def test_no_untranslated_marker_reaches_a_phone() -> None:
    """An untranslated string is shown in English, without the "[EN] " marker of plain text."""
    data = workbook(list(LOCALES))
    for rows in sheets(data).values():
        for row in rows:
            assert not any(str(v).startswith("[EN]") for v in row.values() if v), row


def test_area_group_and_one_row_per_question() -> None:
    data = workbook(["en"])
    book = sheets(data)
    survey, choices = book["survey"], book["choices"]
    assert (survey[-1]["type"], survey[-1]["name"]) == ("today", "today")  # the device's day, for late syncs
    survey = survey[:-1]
    assert [r["type"] for r in survey[:2]] == ["select_one areas", "select_one groups"]
    assert [r["name"] for r in survey[:2]] == ["area", "group"]
    assert survey[0]["required"] == "yes"
    assert {r["name"] for r in choices if r["list_name"] == "areas"} == set(AREAS)
    groups = [r for r in choices if r["list_name"] == "groups"]
    assert [r["label::English (en)"] for r in groups] == SEGMENTS
    assert all(" " not in r["name"] for r in groups)

    by_name = {r["name"]: r for r in survey[2:]}
    questions = list(bank())
    assert len(survey) == 2 + len(questions)
    expected_types = {"yes_no": "select_one", "single": "select_one", "likert": "select_one",
                      "multiple": "select_multiple", "number": "integer"}  # fmt: skip
    for question in questions:
        name = question.key.replace("-", "_")
        row = by_name[name]
        assert row["type"].split()[0] == expected_types[question.kind], question.key
        if question.kind == "number":
            assert row["constraint"] == f". >= 0 and . <= {NUMBER_MAX}"
            assert row["constraint_message::English (en)"]
            continue
        list_name = row["type"].split()[1]
        codes = [r["name"] for r in choices if r["list_name"] == list_name]
        assert codes == [str(c) for c in question.codes()], question.key
        texts = [r["label::English (en)"] for r in choices if r["list_name"] == list_name]
        assert texts == [c.text for c in question.choices]
    assert not any(r["type"] in ("text", "note") for r in survey), "no free text is asked"
    settings = book["settings"][0]
    assert settings["form_id"] == "wave_7"
    assert settings["form_title"] == "Know the signs – baseline"
    assert settings["version"]


def test_no_group_question_without_segments() -> None:
    survey = sheets(workbook(["en"], segments=[]))["survey"]
    assert "group" not in [r["name"] for r in survey]
    assert convert(workbook(["en"], segments=[]), file_type=".xlsx").xform


def test_same_form_same_version_and_a_changed_one_a_new_version() -> None:
    first = sheets(workbook(["en", "lt"]))["settings"][0]["version"]
    assert sheets(workbook(["en", "lt"]))["settings"][0]["version"] == first
    assert sheets(workbook(["en"]))["settings"][0]["version"] != first


def test_custom_question_keys_become_distinct_xml_names() -> None:
    """Keys that are not XML names, or clash with the form's own fields, get names that are,
    and the mapping back to the key is kept."""
    own = [
        custom("2-area.x", "yes_no", {"en": "Own question?"}),
        custom("2_area_x", "yes_no", {"en": "Another?"}),
        custom("area", "number", {"en": "How many?"}),
        custom("xml-thing", "single", {"en": "Which?", "lt": "Kuris?"},
               [{"code": 1, "texts": {"en": "One", "lt": "Vienas"}}, {"code": 2, "texts": {"en": "Two"}}]),
    ]  # fmt: skip
    form = field_form(own, AREAS, [])
    names = list(form.questions)
    assert len(set(names)) == 4
    assert all(XML_NAME.fullmatch(n) and not n.lower().startswith("xml") for n in names), names
    assert "area" not in names
    assert [q.key for q in form.questions.values()] == [q.key for q in own]
    data = workbook(["en", "lt"], questions=own)
    assert convert(data, file_type=".xlsx").xform
    choices = sheets(data)["choices"]
    lt = [r["label::Lietuvių (lt)"] for r in choices if r["list_name"].startswith("c_") and r["name"] in ("1", "2")
          and r["label::English (en)"] in ("One", "Two")]  # fmt: skip
    assert lt == ["Vienas", "Two"]


def test_download_from_the_wave_page(demo_app: Flask) -> None:
    with demo_app.app_context():
        wave = SurveyWave(
            campaign_id=1, kind=WaveKind.BASELINE, opens_on=date(2026, 9, 1), closes_on=date(2026, 9, 29),
            token=secrets.token_urlsafe(16), locales=["en", "lt"], questions=[q.key for q in bank()],
            comparison_areas=[{"code": "13999", "name": "Elsewhere"}],
        )  # fmt: skip
        db.session.add(wave)
        db.session.commit()
        wave_id = wave.id
    coordinator = demo_client(demo_app, Role.COORDINATOR)
    response = coordinator.get(f"/campaigns/1/surveys/{wave_id}/xlsform")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "baseline.xlsx" in response.headers["Content-Disposition"]
    book = sheets(response.data)
    areas = {r["name"] for r in book["choices"] if r["list_name"] == "areas"}
    assert {"13137", "13999"} <= areas  # the campaign's areas and the comparison area
    assert book["settings"][0]["form_id"] == f"wave_{wave_id}"
    assert convert(response.data, file_type=".xlsx").xform
    assert coordinator.get(f"/campaigns/2/surveys/{wave_id}/xlsform").status_code == 404  # another campaign's
    assert demo_client(demo_app, Role.TRAINER).get(f"/campaigns/1/surveys/{wave_id}/xlsform").status_code == 403
