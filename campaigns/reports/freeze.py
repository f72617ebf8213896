"""Freezing a report when its campaign is marked evaluated.

A figure quoted in a funder's report must be reproducible later: the frozen report keeps the
numbers exactly as shown, a hash of the data they were computed from (the aggregated answers,
reach and incident cells) and the code's version (the package version and a hash of the modules
that compute the numbers). Anyone can later recompute and compare (`verify`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from content import questions as bank_questions
from targeting import privacy

from .. import outcome_stats
from ..extensions import db
from ..models import Campaign
from ..services import audit
from ..surveys.models import ReportFreeze
from . import build, counts

_CODE = (Path(outcome_stats.__file__), Path(build.__file__), Path(counts.__file__), Path(privacy.__file__),
         bank_questions.QUESTIONS_FILE)  # fmt: skip


def code_version() -> str:
    """The planner's version and a hash of the code and question bank behind the numbers."""
    sha = hashlib.sha256()
    for path in _CODE:
        sha.update(path.name.encode() + b"\0" + path.read_bytes())
    try:
        version = metadata.version("campaign-planner")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"{version}+{sha.hexdigest()[:16]}"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def data_hash(numbers: dict[str, Any]) -> str:
    """SHA-256 of the inputs: every aggregated answer cell, and the reach and incident figures."""
    frame = counts.answer_counts([w["id"] for w in numbers["waves"]])
    frame = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    sha = hashlib.sha256(frame.to_csv(index=False).encode())
    sha.update(_canonical(numbers["reach"]))
    sha.update(_canonical(numbers["incidents"]))
    return sha.hexdigest()


def freeze(actor: audit.Actor, campaign: Campaign, k: int) -> ReportFreeze:
    """Compute and keep the report, in the caller's transaction (the status change's)."""
    numbers = build.build_report(campaign, k)
    frozen = db.session.get(ReportFreeze, campaign.id) or ReportFreeze(campaign_id=campaign.id)
    frozen.numbers = json.loads(_canonical(numbers))
    frozen.data_hash = data_hash(numbers)
    frozen.code_version = code_version()
    frozen.frozen_by_id = actor.user.id if actor.user else None
    db.session.add(frozen)
    audit.record(actor, "report.freeze", "campaign", campaign.id, data_hash=frozen.data_hash[:16],
                 code_version=frozen.code_version)  # fmt: skip
    return frozen


@dataclass(frozen=True)
class Verification:
    same_numbers: bool
    same_data: bool
    same_code: bool


def verify(campaign: Campaign, frozen: ReportFreeze, k: int) -> Verification:
    """Recompute now and compare with what was frozen."""
    numbers = json.loads(_canonical(build.build_report(campaign, k)))
    return Verification(numbers == frozen.numbers, data_hash(numbers) == frozen.data_hash,
                        code_version() == frozen.code_version)  # fmt: skip
