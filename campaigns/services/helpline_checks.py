"""Checks of the library's helpline numbers, recorded by an organisation's coordinators.

Every helpline in `content/library/helplines.yaml` was taken from public sources; before a
number goes on paper someone should call it. A coordinator records the day they did, and the
organisation's toolkits then pass that date to `content.assemble(checked=...)`, which drops the
"verify before printing" warning (and the files' DRAFT mark) for a year.

A check is of a number, not of a helpline's id: when the library's number changes, an earlier
check says nothing about the new one and no longer counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import func, select

from content.library import Helpline, default_library

from ..extensions import db
from ..models import HelplineCheck
from . import audit


class CheckRefused(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def same_number(a: str, b: str) -> bool:
    """The same number however it is spaced: '+44 800 0121 700' is '+448000121700'."""
    return _digits(a) == _digits(b)


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit() or ch == "+")


def library_helplines(countries: Iterable[str] | None = None) -> list[Helpline]:
    library = default_library()
    wanted = set(countries) if countries is not None else None
    return [h for h in library.helplines if wanted is None or h.country in wanted]


def latest(organisation_id: int | None) -> dict[str, dt.date]:
    """Each library helpline's latest check by this organisation that still counts (its number
    is the library's number today): what `content.assemble(checked=...)` takes."""
    if organisation_id is None:
        return {}
    numbers = {h.id: h.number for h in default_library().helplines}
    rows = db.session.execute(
        select(HelplineCheck.helpline_id, HelplineCheck.number_checked, func.max(HelplineCheck.checked_on))
        .where(HelplineCheck.organisation_id == organisation_id)
        .group_by(HelplineCheck.helpline_id, HelplineCheck.number_checked)
    ).all()
    found: dict[str, dt.date] = {}
    for helpline_id, number, checked_on in rows:
        if helpline_id in numbers and same_number(number, numbers[helpline_id]):
            found[helpline_id] = max(checked_on, found.get(helpline_id, checked_on))
    return found


@dataclass(frozen=True)
class Status:
    """What the checks page shows for one helpline."""

    helpline: Helpline
    checked_on: dt.date | None  # the latest check that counts (the organisation's or the library's)
    by_us: bool  # recorded by this organisation (else the date, if any, is the library's)
    void_check: HelplineCheck | None  # a later check of an earlier number, no longer counting
    needs_verifying: bool


def statuses(organisation_id: int, helplines: Iterable[Helpline], today: dt.date) -> list[Status]:
    valid = latest(organisation_id)
    rows = db.session.scalars(
        select(HelplineCheck).where(HelplineCheck.organisation_id == organisation_id)
        .order_by(HelplineCheck.checked_on.desc(), HelplineCheck.id.desc())
    ).all()  # fmt: skip
    result = []
    for helpline in helplines:
        ours = valid.get(helpline.id)
        library = helpline.verified
        checked = max(d for d in (ours, library) if d is not None) if (ours or library) else None
        void = next((r for r in rows if r.helpline_id == helpline.id and not same_number(r.number_checked,
                                                                                         helpline.number)), None)
        if void is not None and ours is not None and void.checked_on <= ours:
            void = None
        effective = replace(helpline, verified=checked)
        result.append(Status(helpline, checked, ours is not None and ours == checked, void,
                             effective.needs_verifying(today)))
    return result


def record(actor: audit.Actor, organisation_id: int, helpline_id: str, checked_on: dt.date,
           today: dt.date) -> HelplineCheck:
    """Record that the library helpline `helpline_id`'s current number was checked on `checked_on`."""
    helpline = next((h for h in default_library().helplines if h.id == helpline_id), None)
    if helpline is None:
        raise CheckRefused("unknown_helpline")
    if checked_on > today:
        raise CheckRefused("future")
    row = HelplineCheck(
        organisation_id=organisation_id, helpline_id=helpline.id, number_checked=helpline.number,
        checked_on=checked_on, checked_by_id=actor.user.id if actor.user else None,
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    audit.record(
        actor, "helpline.check", "helpline", helpline.id, organisation_id=organisation_id, check=row.id,
        country=helpline.country, checked_on=checked_on.isoformat(),
    )  # fmt: skip
    return row
