"""The XLSForm of a wave, for field teams who ask offline with ODK Collect or KoboCollect.

A team uploads the workbook to ODK Central or KoboToolbox, collects answers on phones without a
connection, and later imports the server's CSV export (`field_import`). Both directions go
through `FieldForm`, built the same way from the same data, so every column of an export maps back
to the question, area or group it came from, and choice names are the stored integer codes: an
answer needs no translation on the way back.

The form asks nothing that identifies a person: no name, no free text, no phone or GPS metadata.
ODK adds its own random `instanceID`, which the import keeps only to skip re-imported rows.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from openpyxl import Workbook

from content.locales import Translator, language_name
from content.questions import N_, NUMBER_MAX, Question, in_locale

from .models import SurveyWave

AREA_FIELD: Final = "area"
GROUP_FIELD: Final = "group"
# Names a question's field may not take: ours, and the columns Kobo and ODK add to an export.
RESERVED: Final = frozenset({
    AREA_FIELD, GROUP_FIELD, "language", "start", "end", "today", "deviceid", "meta", "instanceID", "KEY",
    "SubmissionDate", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
    "ReviewState", "DeviceID", "Edits", "FormVersion", "version",
})  # fmt: skip
SELECT_TYPES: Final = {"yes_no": "select_one", "single": "select_one", "likert": "select_one",
                       "multiple": "select_multiple"}  # fmt: skip
UNTRANSLATED: Final = "[EN] "

AREA_LABEL: Final = N_("Which area do you live or work in?")
GROUP_LABEL: Final = N_("Which of these groups describes you best?")
GROUP_HINT: Final = N_("Leave this out if none of them does.")
NUMBER_MESSAGE: Final = N_("Enter a whole number from 0 to %(maximum)s.")


@dataclass(frozen=True)
class FieldForm:
    """The names the field form uses and what each stands for.

    `questions` maps a field name (a valid XML name) to its question, `areas` a choice name of the
    area list to the area code, `groups` a choice name of the group list to the segment's label.
    Built by `field_form` from the wave's data, identically for the download and the import."""

    questions: dict[str, Question]
    areas: dict[str, str]
    groups: dict[str, str]

    def question_names(self) -> dict[str, str]:
        """{question key: field name}: how the workbook names each question."""
        return {q.key: name for name, q in self.questions.items()}


def xml_name(text: str, taken: set[str], prefix: str = "q_") -> str:
    """`text` as a valid XML element name unique in `taken` (which it is added to).

    Field names become XML elements in ODK and column names in the exports, where Kobo joins
    groups with "/" and ODK Central with "-": so letters, digits and "_" only (`signs-two` becomes
    `signs_two`), never starting with a digit or "xml", never one of the export's own columns."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_") or "field"
    if not re.match(r"[A-Za-z_]", name) or name.lower().startswith("xml") or name in RESERVED:
        name = f"{prefix}{name}"
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{name}_{n}"
    taken.add(unique)
    return unique


def _choice_name(text: str, taken: set[str], fallback: str) -> str:
    """A choice name without spaces (select_multiple values are space separated; a clean name
    survives every export), unique in its list."""
    name = re.sub(r"\s+", "_", text.strip()) or fallback
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{name}_{n}"
    taken.add(unique)
    return unique


def field_form(questions: Sequence[Question], areas: Mapping[str, str], segments: Sequence[str]) -> FieldForm:
    """The names of the wave's form: from its questions in order, its areas ({code: name}, the
    comparison areas included) and the campaign's groups (segment labels)."""
    taken: set[str] = set()
    named = {xml_name(q.key, taken): q for q in questions}
    area_names: set[str] = set()
    area_map = {_choice_name(code, area_names, f"area_{i}"): code for i, code in enumerate(areas, start=1)}
    group_names: set[str] = set()
    group_map = {xml_name(label.lower(), group_names, prefix="g_"): label for label in segments if label.strip()}
    return FieldForm(named, area_map, group_map)


def _label(translator: Translator, message: str, **variables: Any) -> str:
    """A form label in the translator's language; an untranslated one in English without the
    "[EN] " marker (Collect shows the label as is, and the marker means nothing to a respondent)."""
    text = str(translator.gettext(message, **variables))
    return text.removeprefix(UNTRANSLATED)


def _clean(text: str) -> str:
    return text.removeprefix(UNTRANSLATED)


def language_column(locale: str) -> str:
    """ODK's language label, `English (en)`: the name as its speakers write it, and the code."""
    return f"{language_name(locale)} ({locale})"


def build_xlsform(
    wave: SurveyWave, questions: Sequence[Question], areas: Mapping[str, str], segments: Sequence[str], title: str
) -> bytes:
    """The wave's XLSForm as .xlsx bytes: sheets `survey`, `choices` and `settings`.

    `areas` is {area code: name} of everywhere the wave asks (comparison areas too), `segments`
    the campaign's group labels (none: no group question), `title` the form's title. The version
    is a hash of the content, so the same form downloaded twice is the same version on the
    server, and a changed one is a new version."""
    form = field_form(questions, areas, segments)
    locales = list(wave.locales) or ["en"]
    translators = {loc: Translator(loc, html=False) for loc in locales}
    languages = [language_column(loc) for loc in locales]
    label_columns = [f"label::{lang}" for lang in languages]

    survey: list[dict[str, str]] = []
    choices: list[dict[str, str]] = []

    def labels(message: str, **variables: Any) -> dict[str, str]:
        return {f"label::{language_column(loc)}": _label(t, message, **variables) for loc, t in translators.items()}

    def same(text: str) -> dict[str, str]:
        return {column: text for column in label_columns}

    survey.append({"type": "select_one areas", "name": AREA_FIELD, "required": "yes", **labels(AREA_LABEL)})
    for name, code in form.areas.items():
        choices.append({"list_name": "areas", "name": name, **same(areas[code])})
    if form.groups:
        hints = {f"hint::{language_column(loc)}": _label(t, GROUP_HINT) for loc, t in translators.items()}
        survey.append({"type": "select_one groups", "name": GROUP_FIELD, **labels(GROUP_LABEL), **hints})
        for name, label in form.groups.items():
            choices.append({"list_name": "groups", "name": name, **same(label)})

    for name, question in form.questions.items():
        localised = {loc: in_locale(question, t) for loc, t in translators.items()}
        texts = {f"label::{language_column(loc)}": _clean(q.text) for loc, q in localised.items()}
        if question.kind == "number":
            messages = {f"constraint_message::{language_column(loc)}": _label(t, NUMBER_MESSAGE, maximum=NUMBER_MAX)
                        for loc, t in translators.items()}  # fmt: skip
            survey.append({"type": "integer", "name": name, "constraint": f". >= 0 and . <= {NUMBER_MAX}",
                           **texts, **messages})  # fmt: skip
            continue
        list_name = f"c_{name}"
        survey.append({"type": f"{SELECT_TYPES[question.kind]} {list_name}", "name": name, **texts})
        for index, choice in enumerate(question.choices):
            row = {"list_name": list_name, "name": str(choice.code)}
            for loc, q in localised.items():
                row[f"label::{language_column(loc)}"] = _clean(q.choices[index].text)
            choices.append(row)

    version = hashlib.sha256(
        json.dumps([survey, choices, locales], sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()[:10]
    settings = {
        "form_title": title, "form_id": f"wave_{wave.id}", "version": version,
        "default_language": languages[0],
    }  # fmt: skip

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    # The device's date (no time): imports take the day from it, so answers synced late still count.
    survey.append({"type": "today", "name": "today"})
    sheet.title = "survey"
    _write(sheet, ["type", "name", "required", "constraint", *label_columns,
                   *(f"hint::{lang}" for lang in languages), *(f"constraint_message::{lang}" for lang in languages)],
           survey)  # fmt: skip
    _write(book.create_sheet("choices"), ["list_name", "name", *label_columns], choices)
    _write(book.create_sheet("settings"), list(settings), [settings])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write(sheet: Any, columns: list[str], rows: Sequence[Mapping[str, str]]) -> None:
    """A header row and one row per dict, leaving out columns no row fills (pyxform and the
    servers read an absent column and an empty one alike; the sheet is easier to read)."""
    used = [c for c in columns if any(row.get(c) for row in rows)]
    sheet.append(used)
    for row in rows:
        sheet.append([row.get(c, "") for c in used])
