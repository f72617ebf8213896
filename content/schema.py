"""JSON Schemas for the indicator library's YAML files.

Kept as data so a translator or editor who breaks a file gets a message naming the file, the
entry and the field (jsonschema's error path), rather than a KeyError deep inside a render.
Length limits exist because the same text must fit a wallet card and a 280-character post.
"""

from __future__ import annotations

from typing import Any

ID = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}
AUDIENCE_IDS = ["bank", "farm", "hotel", "health", "public", "workers"]
CATEGORY_IDS = ["recruitment", "control", "documents-debt-wages", "conditions", "physical-psychological", "financial"]
STEP_KINDS = ["safety", "no-confront", "record", "report", "support", "rights"]


def text(max_length: int) -> dict[str, Any]:
    # No '%': catalog strings are %-formatted when they carry parameters.
    return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": r"^[^%<>]*\S$"}


def _list_of(item: dict[str, Any], min_items: int = 1) -> dict[str, Any]:
    return {"type": "array", "items": item, "minItems": min_items}


def _record(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


SCHEMAS: dict[str, dict[str, Any]] = {
    "categories": _list_of(_record({"id": {"enum": CATEGORY_IDS}, "title": text(50), "description": text(200)}), 6),
    "audiences": _list_of(
        _record({
            "id": {"enum": AUDIENCE_IDS},
            "title": text(60),
            "short": text(25),
            "address": {"enum": ["third", "second"]},
            "headline": text(70),
            "intro": text(450),
            "card_title": text(40),
        }, {
            # Categories this audience's toolkit shows first, in this order (checked against
            # categories.yaml when the library loads); the rest follow in the file's order.
            "leads_with": {"type": "array", "items": ID, "minItems": 1, "uniqueItems": True},
        }),
        6,
    ),
    "indicators": _list_of(
        _record(
            {
                "id": ID,
                "category": {"enum": CATEGORY_IDS},
                "sign": text(90),
                "explanation": text(320),
                "audiences": {"type": "array", "items": {"enum": AUDIENCE_IDS}, "minItems": 1, "uniqueItems": True},
                "act_alone": {"type": "boolean"},
                "sources": {"type": "array", "items": ID, "minItems": 1, "uniqueItems": True},
            },
            {
                "worker_sign": text(90),
                "worker_explanation": text(320),
                # What the sign can look like for one audience ("In a hotel this can look like…"),
                # kept out of the audience-neutral explanation; only for audiences it applies to.
                "examples": {
                    "type": "object",
                    "propertyNames": {"enum": AUDIENCE_IDS},
                    "additionalProperties": text(220),
                    "minProperties": 1,
                },
            },
        )
    ),
    "actions": {
        "type": "object",
        "properties": {
            audience: _list_of(
                _record({"id": ID, "kind": {"enum": STEP_KINDS}, "text": text(240)}),
                3,
            )
            for audience in AUDIENCE_IDS
        },
        "required": AUDIENCE_IDS,
        "additionalProperties": False,
    },
    "helplines": _list_of(
        _record({
            "id": ID,
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "kind": {"enum": ["emergency", "trafficking", "labour"]},
            "name": {"type": "string", "minLength": 1},
            "number": {"type": "string", "pattern": r"^[0-9+ ()-]+$"},
            "tel": {"type": "string", "pattern": r"^\+?[0-9]+$"},
            "description": text(160),
            "hours": text(60),
            "url": {"anyOf": [{"type": "null"}, {"type": "string", "pattern": "^https://"}]},
            "source": {"type": "string", "minLength": 1},
            "verified": {"anyOf": [{"type": "null"}, {"type": "string", "format": "date"}]},
        })
    ),
    "sources": _list_of(
        _record({
            "id": ID,
            "title": {"type": "string", "minLength": 1},
            "publisher": {"type": "string", "minLength": 1},
            "year": {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 1990, "maximum": 2100}]},
            "url": {"type": "string", "pattern": "^https://"},
            "about": text(200),
        })
    ),
}

# Fields whose text goes through the message catalogs (see content.extract).
TRANSLATABLE_FIELDS = frozenset({
    "title", "description", "short", "headline", "intro", "card_title", "sign", "explanation",
    "worker_sign", "worker_explanation", "text", "hours", "about",
})
# Fields that map an audience id to a translatable text (indicators' `examples`).
EXAMPLE_FIELDS = frozenset({"examples"})
# Titles of publications are proper names and stay as published.
UNTRANSLATED_IN = {"sources": frozenset({"title"})}
