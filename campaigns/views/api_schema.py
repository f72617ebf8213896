"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.

Written by hand next to the endpoints it describes, so a change to one is a change to the
other in the same review; tests/test_api_fuzz.py sends what schemathesis generates from it to the
app and checks every answer against it."""

from __future__ import annotations

from typing import Any, Final

MAX_ROWS: Final = 50_000
"""Reach rows in one POST: a day of a large platform export; more is split into batches."""
MAX_PAGE: Final = 1000
KEY_PATTERN: Final = r"^[A-Za-z0-9._:-]{1,100}$"
DB_INT: Final = 2**31 - 1  # INTEGER columns (PostgreSQL's 4 bytes)

_ERROR: Final = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string", "description": "What went wrong and what to do, in the user's language."},
                "code": {"type": "string", "description": "A stable word for scripts, e.g. rows_rejected, "
                         "idempotency_key_reused, reach_not_running."},
                "problems": {
                    "type": "array",
                    "maxItems": 20,
                    "description": "Rows refused (code rows_rejected): the first 20, by row.",
                    "items": {"$ref": "#/components/schemas/RowProblem"},
                },
                "total": {"type": "integer", "minimum": 1, "description": "How many problems there are in all."},
            },
        }
    },
}

_ROW_PROBLEM: Final = {
    "type": "object",
    "required": ["row", "column", "code", "message"],
    "properties": {
        "row": {"type": "integer", "minimum": 1, "description": "Position in `rows`, 1 for the first."},
        "column": {"type": "string", "description": "The field, e.g. period_end; empty when the row is not an object."},
        "code": {"type": "string", "description": "e.g. required, not_number, date_invalid, after_end, "
                 "channel_unknown, area_unknown, duplicate, nothing_reported, unknown_field."},
        "message": {"type": "string"},
    },
}

_WORDS: Final = {
    400: "The request is malformed; the message says what to change.",
    401: "No or an unknown token.",
    403: "The token's role may not use this endpoint.",
    404: "No such boundary set in your organisation.",
    409: "The request conflicts with the current state; the message says why.",
    413: "The body is larger than the server accepts.",
    415: "The body is not sent as application/json.",
    422: "The request is well formed but cannot be processed; the message says why.",
    503: "The database is not answering.",
}


def _errors(*codes: int, **words: str) -> dict[str, Any]:
    """Error responses, all of the Error shape; `words` overrides a description ("e404": "...")."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {str(code): {"description": words.get(f"e{code}", _WORDS[code]), "content": error} for code in codes}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **more: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **more}


_COUNT: Final = {"type": "integer", "minimum": 0, "maximum": DB_INT}
_MEASURE: Final = _nullable("integer", minimum=0, maximum=DB_INT)
_DATE: Final = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_NO_CAMPAIGN: Final = "No such campaign in your organisation."
_MEASURES: Final = ("reached", "impressions", "clicks", "events", "trained", "materials")

_CAMPAIGN_SUMMARY: Final[dict[str, Any]] = {
    "id": {"type": "integer"},
    "name": {"type": "string"},
    "status": {"enum": ["draft", "scheduled", "running", "ended", "evaluated"]},
    "starts": {**_nullable("string"), "format": "date"},
    "ends": {**_nullable("string"), "format": "date"},
    "channels": {"type": "array", "items": {"type": "string"}},
    "locales": {"type": "array", "items": {"type": "string"}},
    "areas": {**_COUNT, "description": "How many areas the campaign has."},
    "synthetic": {"type": "boolean", "description": "Planned on synthetic (demo) incidents."},
    "version": {"type": "integer", "minimum": 1, "description": "Moves on every saved change."},
}

_CHANNEL_COVERAGE: Final = {
    "type": "object",
    "required": ["channel", "reached", "reached_summed", "several_periods", "population", "coverage", "frequency",
                 "target", "measures"],
    "properties": {
        "channel": {"type": "string"},
        "reached": {**_nullable("integer", minimum=0), "description": "People certainly reached: per area the largest "
                    "figure of one reporting period, added over areas (areas are different people)."},
        "reached_summed": {**_nullable("integer", minimum=0), "description": "Every period added up: may count a "
                           "person more than once."},
        "several_periods": {"type": "boolean", "description": "True when reached_summed adds several periods and so "
                            "differs from reached."},
        "population": {"type": "integer", "minimum": 0, "description": "People of the areas with reach figures."},
        "coverage": {**_nullable("number", minimum=0), "description": "reached / population; above 1 means a wrong "
                     "area, population or a double count, and is shown as it is."},
        "frequency": {**_nullable("number", minimum=0), "description": "Impressions per person reached, over the "
                      "periods that have both."},
        "target": {**_nullable("integer", minimum=0), "description": "People to reach, added over areas."},
        "measures": {
            "type": "object",
            "description": "Counts of things done, added over periods and areas.",
            "required": ["impressions", "clicks", "events", "trained", "materials"],
            "properties": {m: _nullable("integer", minimum=0) for m in _MEASURES[1:]},
        },
    },
}  # fmt: skip

_CAMPAIGN_DETAIL: Final = {
    "type": "object",
    "description": "The summary's members, but `areas` lists the areas instead of counting them.",
    "required": [*_CAMPAIGN_SUMMARY, "objective", "partners", "budget", "targets", "coverage", "coverage_note",
                 "last_day", "reach_rows"],
    "properties": {
        **_CAMPAIGN_SUMMARY,
        "objective": {"type": "string"},
        "partners": {"type": "array", "items": {"type": "string"}},
        "budget": {
            "type": "object",
            "required": ["cents", "currency"],
            "properties": {"cents": _nullable("integer", minimum=0), "currency": {"type": "string"}},
        },
        "areas": {"type": "array", "items": {
            "type": "object",
            "required": ["code", "name", "rank", "population", "incidents", "incidents_hidden"],
            "properties": {
                "code": {"type": "string"},
                "name": {"type": "string"},
                "rank": _nullable("integer", minimum=1),
                "population": _nullable("integer", minimum=0),
                "incidents": {**_nullable("integer", minimum=0), "description": "The published incident count of "
                              "the ranking period; null when hidden (a count from 1 to k-1) or unknown."},
                "incidents_hidden": {"type": "boolean"},
            },
        }},
        "targets": {"type": "array", "items": {
            "type": "object",
            "required": ["area_code", "channel", "target_reach"],
            "properties": {"area_code": {"type": "string"}, "channel": {"type": "string"},
                           "target_reach": {"type": "integer", "minimum": 0}},
        }},
        "coverage": {"type": "array", "items": _ref("ChannelCoverage"), "description": "One item per channel."},
        "coverage_note": {"type": "string"},
        "last_day": {**_nullable("string"), "format": "date", "description": "The last day reach was reported for."},
        "reach_rows": _COUNT,
    },
}  # fmt: skip

_REACH_ROW_IN: Final = {
    "type": "object",
    "description": "What one channel did in one area over one reporting period (both days included). A row with "
    "the period, channel, area, segment and locale of a stored row replaces it.",
    "required": ["period_start", "period_end", "channel", "area_code"],
    "additionalProperties": False,
    "properties": {
        "period_start": {**_DATE, "description": "From the campaign's first day on."},
        "period_end": {**_DATE, "description": "Not before period_start, not after the campaign's last day or today."},
        "channel": {"type": "string", "maxLength": 30, "description": "One of the campaign's channels."},
        "area_code": {"type": "string", "maxLength": 64, "description": "The code of one of the campaign's areas."},
        "segment": {**_nullable("string"), "maxLength": 100, "description": "The group, if broken down."},
        "locale": {**_nullable("string"), "maxLength": 8, "description": "The language, if broken down (en, lt, …)."},
        **{m: _MEASURE for m in _MEASURES},
    },
    "anyOf": [{"required": [m], "properties": {m: {"type": "integer"}}} for m in _MEASURES],
}

_REACH_BATCH: Final = {
    "type": "object",
    "required": ["rows"],
    "additionalProperties": False,
    "properties": {
        "rows": {"type": "array", "minItems": 1, "maxItems": MAX_ROWS, "items": _ref("ReachRowIn")},
    },
}

_REACH_ROW: Final = {
    "type": "object",
    "required": ["period_start", "period_end", "channel", "area_code", "segment", "locale", *_MEASURES, "import",
                 "updated_at"],
    "properties": {
        "period_start": {"type": "string", "format": "date"},
        "period_end": {"type": "string", "format": "date"},
        "channel": {"type": "string"},
        "area_code": {"type": "string"},
        "segment": {"type": "string", "description": "Empty when not broken down."},
        "locale": {"type": "string", "description": "Empty when not broken down."},
        **{m: _MEASURE for m in _MEASURES},
        "import": {**_nullable("integer"), "description": "The import that last wrote the row."},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}

_REACH_IMPORT: Final = {
    "type": "object",
    "required": ["id", "source", "file_name", "added", "replaced", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "source": {"type": "string", "description": "api, csv or form."},
        "file_name": {"type": "string", "description": "The uploaded file's name; empty for the API."},
        "added": _COUNT,
        "replaced": _COUNT,
        "created_at": {"type": "string", "format": "date-time"},
    },
}

_IMPORT_RESULT: Final = {
    "type": "object",
    "required": ["import", "added", "replaced"],
    "properties": {
        "import": {"type": "integer", "description": "The id of the import (see reach-imports)."},
        "added": {**_COUNT, "description": "Rows with a new key."},
        "replaced": {**_COUNT, "description": "Rows that replaced a stored row with the same key."},
    },
}

_CAMPAIGN_ID: Final = {"name": "campaign_id", "in": "path", "required": True, "schema": {"type": "integer"}}

_IDEMPOTENCY_KEY: Final = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "Chosen by the client, new for every batch (a UUID will do) and the same when the batch is sent "
    "again. A request whose key was seen before with the same body and campaign gets the first answer again (with "
    "Idempotent-Replay: true) and changes nothing; with a different body it is refused (422). Keys are kept per "
    "organisation; a refused request keeps no key.",
    "schema": {"type": "string", "pattern": KEY_PATTERN, "minLength": 1, "maxLength": 100},
}


OPENAPI: Final[dict[str, Any]] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Campaign planner API",
        "version": "1",
        "description": "Access for scripts: boundary sets and their incident counts, campaigns, and reach rows, "
        "which can also be posted in bulk. Every incident count passes the planner's disclosure rule: counts from 1 "
        "to k-1 are null, and totals that include one are ranges. Errors are JSON objects with an `error` member.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": _ERROR,
            "RowProblem": _ROW_PROBLEM,
            "CampaignSummary": {"type": "object", "required": list(_CAMPAIGN_SUMMARY), "properties": _CAMPAIGN_SUMMARY},
            "CampaignDetail": _CAMPAIGN_DETAIL,
            "ChannelCoverage": _CHANNEL_COVERAGE,
            "ReachRowIn": _REACH_ROW_IN,
            "ReachBatch": _REACH_BATCH,
            "ReachRow": _REACH_ROW,
            "ReachImport": _REACH_IMPORT,
            "ImportResult": _IMPORT_RESULT,
        },
        "parameters": {"CampaignId": _CAMPAIGN_ID, "IdempotencyKey": _IDEMPOTENCY_KEY},
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/me": {
            "get": {
                "summary": "The account the token belongs to",
                "responses": {
                    "200": {
                        "description": "The account.",
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": ["id", "role", "organisation", "locale"],
                            "properties": {
                                "id": {"type": "integer"},
                                "role": {"enum": ["admin", "coordinator", "trainer", "reviewer"]},
                                "organisation": {"type": "string"},
                                "locale": {"type": ["string", "null"]},
                            },
                        }}},
                    },
                    **_errors(401, 503),
                },
            }
        },
        "/api/v1/boundary-sets": {
            "get": {
                "summary": "The organisation's boundary sets",
                "responses": {
                    "200": {
                        "description": "The sets, by name.",
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": ["boundary_sets"],
                            "properties": {"boundary_sets": {"type": "array", "items": {
                                "type": "object",
                                "required": ["id", "name", "source", "areas", "population_year"],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "name": {"type": "string"},
                                    "source": {"type": ["string", "null"]},
                                    "areas": {"type": "integer", "minimum": 0},
                                    "population_year": {"type": ["integer", "null"]},
                                },
                            }}},
                        }}},
                    },
                    **_errors(401, 403, 503),
                },
            }
        },
        "/api/v1/boundary-sets/{set_id}/incident-counts": {
            "get": {
                "summary": "Incidents by area and year, as they may be published",
                "parameters": [{"name": "set_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "Counts per area and year; null is a hidden count (1 to k-1).",
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": [
                                "boundary_set", "synthetic", "suppression_k", "note", "period_totals", "areas",
                            ],
                            "properties": {
                                "boundary_set": {"type": "integer"},
                                "synthetic": {"type": "boolean"},
                                "suppression_k": {"type": "integer", "minimum": 2},
                                "note": {"type": "string"},
                                "period_totals": {"type": "object", "additionalProperties": {
                                    "type": "object", "required": ["low", "high"],
                                    "properties": {"low": {"type": "integer"}, "high": {"type": "integer"}},
                                }},
                                "areas": {"type": "array", "items": {
                                    "type": "object",
                                    "required": ["code", "name", "population", "counts"],
                                    "properties": {
                                        "code": {"type": "string"},
                                        "name": {"type": "string"},
                                        "population": {"type": ["integer", "null"]},
                                        "counts": {"type": "object", "additionalProperties": {
                                            "type": ["integer", "null"], "minimum": 0,
                                        }},
                                    },
                                }},
                            },
                        }}},
                    },
                    **_errors(401, 403, 404, 503),
                },
            }
        },
        "/api/v1/campaigns": {
            "get": {
                "summary": "The organisation's campaigns",
                "responses": {
                    "200": _json({"type": "object", "required": ["campaigns"], "properties": {
                        "campaigns": {"type": "array", "items": _ref("CampaignSummary")}}}, "The campaigns, by id."),
                    **_errors(401, 403, 503),
                },
            }
        },
        "/api/v1/campaigns/{campaign_id}": {
            "get": {
                "summary": "One campaign: plan, areas, targets and reach per channel",
                "parameters": [{"$ref": "#/components/parameters/CampaignId"}],
                "responses": {
                    "200": _json(_ref("CampaignDetail"), "The campaign."),
                    **_errors(401, 403, 404, 503, e404=_NO_CAMPAIGN),
                },
            }
        },
        "/api/v1/campaigns/{campaign_id}/reach": {
            "get": {
                "summary": "The campaign's stored reach rows, newest period first",
                "parameters": [
                    {"$ref": "#/components/parameters/CampaignId"},
                    {"name": "offset", "in": "query", "required": False, "description": "Rows to skip.",
                     "schema": {"type": "integer", "minimum": 0, "maximum": DB_INT, "default": 0}},
                    {"name": "limit", "in": "query", "required": False, "description": "Rows to return.",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 100}},
                ],
                "responses": {
                    "200": _json({"type": "object", "required": ["total", "offset", "limit", "rows"], "properties": {
                        "total": _COUNT, "offset": _COUNT, "limit": {"type": "integer", "minimum": 1,
                                                                     "maximum": MAX_PAGE},
                        "rows": {"type": "array", "maxItems": MAX_PAGE, "items": _ref("ReachRow")},
                    }}, "A page of rows and how many there are in all."),
                    **_errors(400, 401, 403, 404, 503, e400="offset or limit is not a whole number in its range.",
                              e404=_NO_CAMPAIGN),
                },
            },
            "post": {
                "summary": "Add or replace reach rows in bulk",
                "description": f"Stores 1 to {MAX_ROWS:,} rows in one transaction, all or none, with the checks of a "
                "file import: dates within the campaign and not in the future, the campaign's channels and areas, "
                "whole numbers of 0 or more, at least one figure per row, impressions not below reach, no two rows "
                "with the same key. Only running and ended campaigns take reach. Send larger batches as several "
                "requests, each with its own Idempotency-Key.",
                "parameters": [{"$ref": "#/components/parameters/CampaignId"},
                               {"$ref": "#/components/parameters/IdempotencyKey"}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ReachBatch")}}},
                "responses": {
                    "201": {
                        **_json(_ref("ImportResult"), "Stored; a repeated request gets the first answer again."),
                        "headers": {"Idempotent-Replay": {
                            "description": "Present (true) when this is the stored answer to an earlier request.",
                            "schema": {"type": "string", "enum": ["true"]},
                        }},
                    },
                    **_errors(
                        400, 401, 403, 404, 409, 413, 415, 422, 503,
                        e400="The Idempotency-Key is missing or malformed, or the body is not JSON.",
                        e404=_NO_CAMPAIGN,
                        e409="The campaign does not take reach now (a draft, scheduled or evaluated campaign), or a "
                        "request with the same key is still running.",
                        e422="Nothing was stored: the body is not a batch of rows, rows were refused (`problems` "
                        "names row, field and what to fix), or the key was used for a different request.",
                    ),
                },
            },
        },
        "/api/v1/campaigns/{campaign_id}/reach-imports": {
            "get": {
                "summary": "The campaign's reach imports (files, forms and API batches), newest first",
                "parameters": [{"$ref": "#/components/parameters/CampaignId"}],
                "responses": {
                    "200": _json({"type": "object", "required": ["imports"], "properties": {
                        "imports": {"type": "array", "items": _ref("ReachImport")}}}, "The imports."),
                    **_errors(401, 403, 404, 503, e404=_NO_CAMPAIGN),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {
                    "type": "object"}}}}, **_errors(401, 503)},
            }
        },
    },
}
