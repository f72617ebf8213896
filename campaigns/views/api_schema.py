"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.

Written by hand next to the three endpoints it describes, so a change to one is a change to the
other in the same review; tests/test_api_fuzz.py sends what schemathesis generates from it to the
app and checks every answer against it."""

from __future__ import annotations

from typing import Any, Final

_ERROR: Final = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
        }
    },
}


def _errors(*codes: int) -> dict[str, Any]:
    words = {401: "No or an unknown token.", 403: "The token's role may not use this endpoint.",
             404: "No such boundary set in your organisation.", 503: "The database is not answering."}  # fmt: skip
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {str(code): {"description": words[code], "content": error} for code in codes}


OPENAPI: Final[dict[str, Any]] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Campaign planner API",
        "version": "1",
        "description": "Read-only access for scripts. Every count passes the planner's disclosure rule: counts from 1 "
        "to k-1 are null, and totals that include one are ranges.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": _ERROR},
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
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {
                    "type": "object"}}}}, **_errors(401, 503)},
            }
        },
    },
}
