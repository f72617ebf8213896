"""The survey question bank and questions as a respondent reads them, in one language.

Bank questions are translated through the same catalogs as the toolkits (`content.extract`
puts `questions.yaml` into `messages.pot`); a campaign's own questions carry their texts with
them. Both become a `Question`, so the form, the XLSForm and the report treat them alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .locales import SOURCE_LOCALE, Translator

QUESTIONS_FILE = Path(__file__).with_name("library") / "questions.yaml"
KINDS = ("yes_no", "single", "multiple", "likert", "number")
YES, NO = 1, 2
# The largest whole number a number question takes: bigger answers are typos or mischief.
NUMBER_MAX = 10_000


class QuestionError(ValueError):
    """A question that cannot be asked as given; the message says which and why."""


@dataclass(frozen=True)
class Choice:
    code: int
    text: str


@dataclass(frozen=True)
class Question:
    """A question in one language (or with its texts per language, before `in_locale`)."""

    key: str
    kind: str
    text: str
    choices: tuple[Choice, ...] = ()
    success: frozenset[int] = frozenset()
    bank: bool = True
    # For a campaign's own questions: {locale: text} and {code: {locale: text}}.
    texts: Mapping[str, str] = field(default_factory=dict)
    choice_texts: Mapping[int, Mapping[str, str]] = field(default_factory=dict)

    @property
    def binary(self) -> bool:
        """Whether the report shows a share of people (every kind but a number)."""
        return self.kind != "number"

    def codes(self) -> tuple[int, ...]:
        return tuple(c.code for c in self.choices)


def N_(message: str) -> str:  # noqa: N802 - Babel's keyword for "extract, translate later"
    return message


def _likert_choices() -> tuple[Choice, ...]:
    return (
        Choice(1, N_("Strongly disagree")),
        Choice(2, N_("Disagree")),
        Choice(3, N_("Neither agree nor disagree")),
        Choice(4, N_("Agree")),
        Choice(5, N_("Strongly agree")),
    )


def standard_choices(kind: str) -> tuple[Choice, ...]:
    """The fixed choices of yes/no and Likert questions (English; translated in `in_locale`)."""
    if kind == "yes_no":
        return (Choice(YES, N_("Yes")), Choice(NO, N_("No")))
    if kind == "likert":
        return _likert_choices()
    return ()


def _check(raw: Any) -> tuple[Question, ...]:
    if not isinstance(raw, list):
        raise QuestionError("questions.yaml: expected a list of questions")
    seen: set[str] = set()
    out = []
    for number, entry in enumerate(raw, start=1):
        where = f"questions.yaml: entry {number}"
        key = entry.get("id")
        if not isinstance(key, str) or not key or key in seen:
            raise QuestionError(f"{where}: 'id' must be a unique non-empty text")
        seen.add(key)
        kind = entry.get("kind")
        if kind not in KINDS:
            raise QuestionError(f"{where} (id '{key}'): 'kind' must be one of {', '.join(KINDS)}")
        choices = tuple(Choice(int(c["code"]), str(c["text"])) for c in entry.get("choices", ()))
        if kind in ("single", "multiple") and len(choices) < 2:
            raise QuestionError(f"{where} (id '{key}'): a {kind} question needs at least two choices")
        choices = choices or standard_choices(kind)
        codes = {c.code for c in choices}
        if len(codes) != len(choices) or 0 in codes:
            raise QuestionError(f"{where} (id '{key}'): choice codes must be distinct and start at 1")
        success = frozenset(int(s) for s in entry.get("success", ()))
        if not success <= codes or (kind != "number" and not success):
            raise QuestionError(f"{where} (id '{key}'): 'success' must name some of its choice codes")
        out.append(Question(key=key, kind=kind, text=str(entry["text"]), choices=choices, success=success))
    return tuple(out)


@cache
def _bank(path: str, mtime_ns: int) -> tuple[Question, ...]:
    return _check(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def bank(path: Path = QUESTIONS_FILE) -> tuple[Question, ...]:
    """The shipped questions, re-read when the file changes."""
    return _bank(str(path), path.stat().st_mtime_ns)


def bank_question(key: str) -> Question | None:
    return next((q for q in bank() if q.key == key), None)


def custom(
    key: str,
    kind: str,
    texts: Mapping[str, str],
    choices: Sequence[Mapping[str, Any]] = (),
    success: Sequence[int] = (),
) -> Question:
    """A campaign's own question from its stored texts; the English (or first) text is its name."""
    if kind not in KINDS:
        raise QuestionError(f"kind must be one of {', '.join(KINDS)}")
    own = tuple(Choice(int(c["code"]), _first(c.get("texts", {}))) for c in choices)
    choice_texts = {int(c["code"]): dict(c.get("texts", {})) for c in choices}
    return Question(
        key=key, kind=kind, text=_first(texts), choices=own or standard_choices(kind), success=frozenset(success),
        bank=False, texts=dict(texts), choice_texts=choice_texts,
    )


def _first(texts: Mapping[str, str]) -> str:
    return texts.get(SOURCE_LOCALE) or next(iter(texts.values()), "")


def missing_translations(question: Question, locale: str) -> list[str]:
    """What a campaign's own question lacks in `locale` (empty for bank questions, which the
    catalogs translate; their completeness is the catalogs' business)."""
    if question.bank:
        return []
    missing = [] if question.texts.get(locale, "").strip() else ["question"]
    for code, texts in question.choice_texts.items():
        if not texts.get(locale, "").strip():
            missing.append(f"choice {code}")
    return missing


def in_locale(question: Question, translator: Translator) -> Question:
    """The question as a respondent in `translator.locale` reads it.

    Bank questions and the standard yes/no and Likert choices go through the catalog; a
    campaign's own texts are used as given."""
    locale = translator.locale
    if question.bank:
        text = translator.gettext(question.text)
        choices = tuple(Choice(c.code, translator.gettext(c.text)) for c in question.choices)
    else:
        text = question.texts.get(locale) or question.text
        if question.choice_texts:
            own = question.choice_texts
            choices = tuple(Choice(c.code, own[c.code].get(locale) or c.text) for c in question.choices)
        else:
            choices = tuple(Choice(c.code, translator.gettext(c.text)) for c in question.choices)
    return Question(
        key=question.key, kind=question.kind, text=text, choices=choices, success=question.success,
        bank=question.bank, texts=question.texts, choice_texts=question.choice_texts,
    )
