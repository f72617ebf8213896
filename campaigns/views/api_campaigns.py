"""Campaigns and their reach rows in the JSON API: read the plan, coverage per channel and the
stored rows; a POST of rows is handled by `api_reach`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import g, jsonify, request
from flask_babel import gettext
from sqlalchemy import func, select

from ..access import roles
from ..bounded_ints import db_int
from ..extensions import db
from ..models import (
    ADDITIVE_MEASURES,
    REACH_MEASURES,
    Campaign,
    CampaignArea,
    ReachImport,
)
from ..services import reach
from .api import PLANNERS, Refusal, bp
from .api_reach import post_reach
from .api_schema import MAX_PAGE


def _day(value: date | datetime | None) -> str | None:
    """ISO 8601, which the document promises (Flask's own encoder writes dates as HTTP dates)."""
    return None if value is None else value.isoformat()


def _campaign(campaign_id: int, *, lock: bool = False) -> Campaign:
    """The organisation's campaign, or a 404 that does not say whether another organisation has
    one with this id. `lock` takes the row for the transaction (FOR UPDATE on PostgreSQL; SQLite
    write requests already hold the database), so two imports into one campaign queue instead
    of rebuilding its roll-ups over each other."""
    query = select(Campaign).where(Campaign.id == campaign_id, Campaign.organisation_id == g.user.organisation_id)
    found = db.session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise Refusal(404, gettext("Your organisation has no campaign with this id."), "not_found")
    return found


def _summary(campaign: Campaign, areas: int) -> dict[str, Any]:
    return {
        "id": campaign.id, "name": campaign.name, "status": campaign.status.value, "starts": _day(campaign.starts),
        "ends": _day(campaign.ends), "channels": list(campaign.channels), "locales": list(campaign.locales),
        "areas": areas, "synthetic": campaign.synthetic, "version": campaign.version,
    }  # fmt: skip


@bp.route("/campaigns")
@roles(*PLANNERS)
def campaigns() -> Any:
    rows = db.session.execute(
        select(Campaign, func.count(CampaignArea.id))
        .join(CampaignArea, CampaignArea.campaign_id == Campaign.id, isouter=True)
        .where(Campaign.organisation_id == g.user.organisation_id)
        .group_by(Campaign.id)
        .order_by(Campaign.id)
    ).all()
    return jsonify(campaigns=[_summary(c, n) for c, n in rows])


def _coverage(campaign: Campaign) -> tuple[list[dict[str, Any]], date | None, int]:
    """Per channel, as the campaign page shows it: `reached` is certain (the largest single
    period of each area, added over areas); `reached_summed` adds every period up."""
    found = reach.coverage(campaign)
    channels = [
        {
            "channel": t.channel, "reached": t.reached_low, "reached_summed": t.reached_summed,
            "several_periods": t.several_periods, "population": t.population, "coverage": t.coverage,
            "frequency": t.frequency, "target": t.target,
            "measures": {m: t.measures.get(m) for m in ADDITIVE_MEASURES},
        }
        for t in found.channels
    ]  # fmt: skip
    return channels, found.last_day, found.rows


@bp.route("/campaigns/<int:campaign_id>")
@roles(*PLANNERS)
def campaign_detail(campaign_id: int) -> Any:
    campaign = _campaign(campaign_id)
    channels, last_day, rows = _coverage(campaign)
    return jsonify({
        **_summary(campaign, len(campaign.areas)),
        "objective": campaign.objective,
        "partners": list(campaign.partners),
        "budget": {"cents": campaign.budget_cents, "currency": campaign.currency},
        "areas": [
            {"code": a.area_code, "name": a.name, "rank": a.rank, "population": a.population,
             "incidents": None if a.hidden else a.count, "incidents_hidden": a.hidden}
            for a in campaign.areas
        ],
        "targets": [
            {"area_code": t.area_code, "channel": t.channel, "target_reach": t.target_reach}
            for t in sorted(campaign.targets, key=lambda t: (t.area_code, t.channel))
        ],
        "coverage": channels,
        "coverage_note": gettext(
            "reached: people certainly reached (per area the largest figure of one reporting period, added over "
            "areas). reached_summed adds every period up and may count a person more than once. coverage is "
            "reached divided by the population of the areas with figures; frequency is impressions per person "
            "reached in the same periods."
        ),
        "last_day": _day(last_day),
        "reach_rows": rows,
    })  # fmt: skip


def _bounded_arg(name: str, default: int, *, minimum: int, maximum: int) -> int:
    """A whole number from the query string: the default when absent, a 400 naming the range
    when it is anything else (a script that asks for limit=5000 must learn it got 1000 at most)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    value = db_int(raw, minimum=minimum, maximum=maximum)
    if value is None:
        raise Refusal(400, gettext("%(name)s must be a whole number from %(low)s to %(high)s.", name=name,
                                   low=minimum, high=maximum), "query_invalid")  # fmt: skip
    return value


@bp.route("/campaigns/<int:campaign_id>/reach", methods=["GET", "POST"])
@roles(*PLANNERS)
def reach_rows(campaign_id: int) -> Any:
    """One rule for both methods: with a rule per method, an id past the INTEGER range failed the
    POST rule's converter and Werkzeug answered 405 for the GET rule instead of 404."""
    if request.method == "POST":
        return post_reach(_campaign(campaign_id, lock=True))
    campaign = _campaign(campaign_id)
    offset = _bounded_arg("offset", 0, minimum=0, maximum=2**31 - 1)
    limit = _bounded_arg("limit", 100, minimum=1, maximum=MAX_PAGE)
    page = reach.rows_page(campaign.id, offset=offset, limit=limit)
    return jsonify(
        total=reach.row_count(campaign.id), offset=offset, limit=limit,
        rows=[
            {"period_start": _day(r.period_start), "period_end": _day(r.period_end), "channel": r.channel,
             "area_code": r.area_code, "segment": r.segment, "locale": r.locale,
             **{m: getattr(r, m) for m in REACH_MEASURES}, "import": r.import_id, "updated_at": _day(r.updated_at)}
            for r in page
        ],
    )  # fmt: skip


@bp.route("/campaigns/<int:campaign_id>/reach-imports")
@roles(*PLANNERS)
def reach_imports(campaign_id: int) -> Any:
    campaign = _campaign(campaign_id)
    batches = db.session.scalars(
        select(ReachImport).where(ReachImport.campaign_id == campaign.id).order_by(ReachImport.id.desc())
    ).all()
    return jsonify(
        imports=[
            {"id": b.id, "source": b.source, "file_name": b.file_name, "added": b.added, "replaced": b.replaced,
             "created_at": _day(b.created_at)}
            for b in batches
        ]
    )  # fmt: skip
