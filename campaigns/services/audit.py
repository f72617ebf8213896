"""The audit log: who did what, when. Ids and counts only, no personal data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..extensions import db
from ..models import AuditEntry, User


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user (web or API), or the system (CLI, scheduler)."""

    kind: str  # web, api, cli, scheduler
    user: User | None = None

    @property
    def organisation_id(self) -> int | None:
        return self.user.organisation_id if self.user else None


SYSTEM_CLI = Actor("cli")
SCHEDULER = Actor("scheduler")

_FORBIDDEN_DETAIL_KEYS = frozenset({"email", "password", "name_of_person", "phone", "address", "token"})


def record(
    actor: Actor,
    action: str,
    target_type: str | None = None,
    target_id: int | str | None = None,
    *,
    organisation_id: int | None = None,
    **details: Any,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction, so the entry and the change commit together."""
    leaked = _FORBIDDEN_DETAIL_KEYS.intersection(details)
    if leaked:
        raise ValueError(f"audit details must not carry personal data: {sorted(leaked)}")
    entry = AuditEntry(
        organisation_id=organisation_id if organisation_id is not None else actor.organisation_id,
        actor_user_id=actor.user.id if actor.user else None,
        actor_kind=actor.kind,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details,
    )
    db.session.add(entry)
    return entry
