"""Reach rows posted to the JSON API. They go through the same checks (`services.reach.coerce`)
and the same store as a file import. A bulk post needs an Idempotency-Key: a client that lost the
answer sends the same request again and gets the first answer back, and the rows count once."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Final, NoReturn

import numpy as np
import pandas as pd
from flask import g, jsonify, request
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    REACH_MEASURES,
    Campaign,
    IdempotentRequest,
)
from ..services import reach
from ..services.campaigns import CampaignError
from .api import Refusal
from .api_schema import KEY_PATTERN, MAX_ROWS
from .campaigns_ import problem_text
from .reach_text import problem_message, rejection_summary

_KEY: Final = re.compile(KEY_PATTERN)
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_REQUIRED_TEXT: Final = ("period_start", "period_end", "channel", "area_code")
_OPTIONAL_TEXT: Final = ("segment", "locale")



def _idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        raise Refusal(400, gettext("Send an Idempotency-Key header: a value of your choice, new for every batch "
                                   "and the same when you send the batch again."), "idempotency_key_missing")
    if not _KEY.fullmatch(key):
        raise Refusal(400, gettext("The Idempotency-Key must be 1 to 100 characters among letters, digits and . _ "
                                   ": -."), "idempotency_key_invalid")  # fmt: skip
    return key


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _json_body() -> Any:
    """The parsed body, or a 415/400 that says what is wrong with it. Parsed here rather than by
    `request.get_json` so NaN and Infinity (not JSON), a nesting too deep for the parser and
    digits past Python's limit are a 400 with the parser's reason instead of a server error."""
    if not request.is_json:
        raise Refusal(415, gettext("Send the body as JSON, with the header Content-Type: application/json."),
                      "content_type")  # fmt: skip
    try:
        return json.loads(request.get_data(cache=False), parse_constant=_no_constant)
    except RecursionError:
        reason = "nested too deeply"
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    except ValueError as exc:  # bytes that are not UTF-8, NaN, an integer of thousands of digits
        reason = str(exc)[:200]
    raise Refusal(400, gettext("The body is not valid JSON: %(reason)s.", reason=reason), "json_invalid")


def _request_hash(campaign_id: int, body: Any) -> str:
    """What makes two requests "the same": the campaign and the body as canonical JSON (keys
    sorted, no spaces, ASCII), so the same rows sent with other whitespace or key order match.
    A number too large for a float (1e400) was read as infinity: written "Infinity" here, and
    refused with the row by `coerce`."""
    canonical = json.dumps([campaign_id, body], sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _stored(organisation_id: int, key: str) -> IdempotentRequest | None:
    return db.session.scalar(
        select(IdempotentRequest).where(IdempotentRequest.organisation_id == organisation_id,
                                        IdempotentRequest.key == key)
    )  # fmt: skip


def _replay(stored: IdempotentRequest, request_hash: str) -> Any:
    """The first answer again, or a refusal when the key was used for a different request."""
    if stored.request_hash != request_hash:
        raise Refusal(422, gettext("This Idempotency-Key was already used for a different request (other rows or "
                                   "another campaign). Use a new key for a new batch."), "idempotency_key_reused")
    response = jsonify(stored.response)
    response.status_code = stored.status
    response.headers["Idempotent-Replay"] = "true"
    return response


def _claim(organisation_id: int, key: str, request_hash: str) -> IdempotentRequest | None:
    """Insert the key before the import, in the import's transaction: a failed import takes the
    key with it, and a concurrent first request with the same key waits on the unique index
    (PostgreSQL) until this one ends. None when another request stored the key first."""
    claim = IdempotentRequest(organisation_id=organisation_id, key=key, request_hash=request_hash, status=0,
                              response={})  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(claim)
    except IntegrityError:
        return None
    return claim


def _problem(row: int, column: str, code: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "code": code, "message": message}


def _reject(problems: Sequence[dict[str, Any]], total: int) -> NoReturn:
    """422 with the first problems (by row) and how many there are in all; nothing is stored."""
    first = sorted(problems, key=lambda p: (p["row"], p["column"]))[: reach.MAX_PROBLEMS]
    where = gettext("Row %(row)s, column “%(column)s”: %(message)s", row=first[0]["row"], column=first[0]["column"],
                    message=first[0]["message"])  # fmt: skip
    summary = rejection_summary(reach.ReachRejected([], total))
    raise Refusal(422, f"{summary} {where}", "rows_rejected", problems=first, total=total)


def _rows(body: Any) -> list[dict[str, Any]]:
    """`body["rows"]` when the body is `{"rows": [...]}` with 1 to MAX_ROWS items, else a 422
    saying which part is wrong."""
    if not isinstance(body, dict):
        raise Refusal(422, gettext('The body must be a JSON object: {"rows": [...]}.'), "body_invalid")
    extra = sorted(set(body) - {"rows"})
    if extra:
        raise Refusal(422, gettext("Unknown member “%(name)s”: the body has one member, “rows”.",
                                   name=extra[0][:100]), "body_invalid")  # fmt: skip
    rows = body.get("rows")
    if not isinstance(rows, list):
        raise Refusal(422, gettext("“rows” must be a list of reach rows."), "body_invalid")
    if not rows:
        raise Refusal(422, gettext("“rows” is empty: send at least one row."), "body_invalid")
    if len(rows) > MAX_ROWS:
        raise Refusal(422, gettext("%(n)s rows in one request; send at most %(max)s and split larger batches, "
                                   "each with its own Idempotency-Key.", n=len(rows), max=MAX_ROWS), "too_many_rows")
    return rows


def _frame(rows: list[Any]) -> pd.DataFrame:
    """The rows as a frame of the JSON values (object columns), after the checks the JSON types
    allow: each row an object of known fields, text where text belongs, numbers where numbers
    do. Values are judged by `reach.coerce` next, so its messages are the file import's."""
    objects = pd.Series(rows, dtype=object).map(type).eq(dict).to_numpy()
    if not objects.all():
        bad = np.flatnonzero(~objects)
        _reject([_problem(int(i) + 1, "", "not_an_object", gettext("Each row must be a JSON object."))
                 for i in bad[: reach.MAX_PROBLEMS]], int(bad.size))  # fmt: skip
    unknown = set().union(*rows) - set(reach.FIELDS)
    if unknown:  # before the frame: a frame with a column per stray name could take any memory
        found = [(i, name) for i, r in enumerate(rows) for name in sorted(r.keys() - set(reach.FIELDS))]
        message = gettext("Unknown field. A row has period_start, period_end, channel, area_code and optionally "
                          "segment, locale, reached, impressions, clicks, events, trained, materials.")
        _reject([_problem(i + 1, name[:100], "unknown_field", message) for i, name in found[: reach.MAX_PROBLEMS]],
                len(found))  # fmt: skip
    frame = pd.DataFrame(rows, dtype=object)
    kinds = {column: _kinds(frame, column) for column in reach.FIELDS}
    flags: list[tuple[np.ndarray, str, str, Callable[[int], str]]] = []

    def flag(mask: pd.Series, column: str, code: str, message: Callable[[int], str]) -> None:
        values = mask.to_numpy(dtype=bool)
        if values.any():
            flags.append((values, column, code, message))

    for column in _REQUIRED_TEXT:
        flag(kinds[column].isin(("absent", "NoneType")), column, "required",
             _same(gettext("“%(field)s” is required.", field=column)))
        flag(~kinds[column].isin(("absent", "NoneType", "str")), column, "not_text",
             _same(gettext("“%(field)s” must be a string.", field=column)))
    for column in _OPTIONAL_TEXT:
        flag(~kinds[column].isin(("absent", "NoneType", "str")), column, "not_text",
             _same(gettext("“%(field)s” must be a string or null.", field=column)))
    for column in REACH_MEASURES:
        flag(~kinds[column].isin(("absent", "NoneType", "int", "float")), column, "not_number",
             _same(gettext("“%(field)s” must be a whole number of 0 or more, or null.", field=column)))
    for column in (*_REQUIRED_TEXT, *_OPTIONAL_TEXT):
        text = frame[column].where(kinds[column].eq("str"), "") if column in frame else None  # object: str only
        if text is None:
            continue
        flag(text.str.contains(_SURROGATE), column, "text_invalid",
             _same(gettext("The text holds an unpaired surrogate (\\ud800 to \\udfff), which is not a character.")))
        if column in ("period_start", "period_end"):  # coerce also reads 1/3/2027; the API takes ISO dates only
            flag(kinds[column].eq("str") & ~text.str.fullmatch(_ISO_DATE), column, "date_invalid",
                 _not_a_date(column, text))
    if flags:
        _reject([_problem(int(i) + 1, column, code, message(int(i)))
                 for mask, column, code, message in flags for i in np.flatnonzero(mask)[: reach.MAX_PROBLEMS]],
                sum(int(mask.sum()) for mask, *_ in flags))
    return frame


def _same(message: str) -> Callable[[int], str]:
    """The message of a problem that reads the same on every row."""
    return lambda _i: message


def _not_a_date(column: str, text: pd.Series) -> Callable[[int], str]:
    """The file import's sentence for a cell that is not a year-month-day date, naming the value."""
    return lambda i: problem_message(reach.RowProblem(i + 1, column, "date_invalid", {"value": text.iloc[i][:80]}))


def _kinds(frame: pd.DataFrame, column: str) -> pd.Series:
    """Each cell's JSON type by its Python name (str, int, float, bool, list, dict, NoneType),
    or "absent" where the row has no such key (the frame fills those with NaN, which JSON
    itself cannot hold)."""
    if column not in frame:
        return pd.Series("absent", index=frame.index)
    values = frame[column]
    found = values.map(lambda v: type(v).__name__)
    return found.mask(found.eq("float") & values.isna(), "absent")


def _checked(campaign: Campaign, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows through `reach.coerce`, its refusal phrased as the file import phrases it."""
    try:
        return reach.coerce(campaign, frame, today=date.today())
    except reach.ReachRejected as exc:
        _reject([_problem(p.row, p.column, p.code, problem_message(p)) for p in exc.problems], exc.total)


def post_reach(campaign: Campaign) -> Any:
    """Store a batch of reach rows into `campaign` (locked by the caller), once per
    Idempotency-Key (see the module's docstring)."""
    key = _idempotency_key()
    body = _json_body()
    request_hash = _request_hash(campaign.id, body)
    organisation_id = g.user.organisation_id
    stored = _stored(organisation_id, key)
    if stored is not None:
        return _replay(stored, request_hash)
    claim = _claim(organisation_id, key, request_hash)
    if claim is None:  # a concurrent request with this key committed between the look-up and the claim
        stored = _stored(organisation_id, key)
        if stored is None:
            raise Refusal(409, gettext("A request with this Idempotency-Key is being processed; send it again in a "
                                       "moment."), "idempotency_key_busy")  # fmt: skip
        return _replay(stored, request_hash)
    try:
        reach.check_open(campaign)
    except CampaignError as exc:
        raise Refusal(409, problem_text(exc), exc.code) from None
    checked = _checked(campaign, _frame(_rows(body)))
    batch = reach.store(g.actor, campaign, checked, source="api")
    answer: Mapping[str, int] = {"import": batch.id, "added": batch.added, "replaced": batch.replaced}
    claim.status, claim.response = 201, dict(answer)
    db.session.flush()
    response = jsonify(answer)
    response.status_code = 201
    return response
