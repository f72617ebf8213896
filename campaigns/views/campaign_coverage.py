"""What a campaign page shows of its reach: coverage per area and channel with its denominator,
reach over time (a chart), coverage on the map, and the gap (high-ranked areas of the ranking
the campaign barely reaches). Everything is read from the roll-ups (`services.reach.coverage`),
so the page costs the same over ten rows or a million."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

import geopandas
import pandas as pd
from flask import Response, url_for
from flask_babel import format_date, format_decimal, format_percent, gettext, ngettext
from sqlalchemy import select

from ..extensions import db
from ..models import Area, Campaign, RankingRun
from ..queries import org_owned
from ..services import reach
from ..services.ranking import load_shapes, run_frame
from .campaigns_ import CHANNEL_LABELS, bp
from .charts import reach_chart, reach_series
from .filters import percent

GAP_TOP: Final = 20
"""How far down the ranking the gap looks: the areas a coordinator would expect a campaign to reach."""
GAP_SHARE: Final = 0.05
"""Below this share of the population certainly reached, an area counts as barely reached."""

CLASSES: Final = (  # key, colour, lower bound of coverage (None: no reach)
    ("none", "#f0f0f0", None),
    ("c0", "#deebf7", 0.0),
    ("c1", "#9ecae1", 0.05),
    ("c2", "#4292c6", 0.2),
    ("c3", "#08519c", 0.5),
    ("over", "#e7298a", 1.0),
)
OUTSIDE_COLOUR: Final = "#ffffff"


def coverage_text(reached: int | None, population: int | None) -> str:
    """"12.3 % (4,560 of 37,000)": a share never without its denominator."""
    if reached is None:
        return gettext("no reach recorded")
    if not population:
        return gettext("%(reached)s people (population unknown)", reached=format_decimal(reached))
    return gettext("%(share)s (%(reached)s of %(population)s)", share=percent(reached / population),
                   reached=format_decimal(reached), population=format_decimal(population))  # fmt: skip


def _class(coverage: float | None) -> str:
    """The map class: the last whose lower bound the coverage reaches ("over" only above 100 %)."""
    if coverage is None:
        return "none"
    if coverage > 1.0:
        return "over"
    return [name for name, _colour, bound in CLASSES[1:-1] if bound is not None and coverage >= bound][-1]


def _class_labels() -> dict[str, str]:
    bounds = [format_percent(b, "#,##0%") for _key, _colour, b in CLASSES[1:] if b is not None]
    return {
        "none": gettext("No reach recorded"),
        "c0": gettext("Under %(share)s reached", share=bounds[1]),
        "c1": gettext("%(low)s to %(high)s", low=bounds[1], high=bounds[2]),
        "c2": gettext("%(low)s to %(high)s", low=bounds[2], high=bounds[3]),
        "c3": gettext("%(low)s to %(high)s", low=bounds[3], high=bounds[4]),
        "over": gettext("Over %(share)s: check the figures", share=bounds[4]),
        "outside": gettext("Not in the campaign"),
    }


def map_labels() -> dict[str, Any]:
    labels = _class_labels()
    classes = [[key, colour, labels[key]] for key, colour, _bound in CLASSES]
    classes.append(["outside", OUTSIDE_COLOUR, labels["outside"]])
    return {"legend_title": gettext("People certainly reached"), "classes": classes,
            "error": gettext("The map could not be loaded.")}  # fmt: skip


def _ranking(campaign: Campaign) -> pd.DataFrame:
    """The ranking the campaign was planned from (rank, name, population by area code)."""
    run = db.session.get(RankingRun, campaign.ranking_run_id) if campaign.ranking_run_id else None
    frame = run_frame(run) if run is not None and run.rows else pd.DataFrame()
    if frame.empty or "rank" not in frame.columns:
        return pd.DataFrame(columns=["area_id", "name", "rank", "population"])
    return frame[["area_id", "name", "rank", "population"]]


def gap(campaign: Campaign, cov: reach.CampaignCoverage) -> list[dict[str, Any]]:
    """High-ranked areas (top GAP_TOP of the ranking, or of the campaign's frozen ranks) that the
    campaign does not include or reaches below GAP_SHARE of their people, best rank first."""
    by_code = {a.code: a for a in cov.areas}
    ranking = _ranking(campaign)
    if ranking.empty:
        candidates = [(a.rank, a.code, a.name, a.population) for a in cov.areas if a.rank is not None]
    else:
        top = ranking[ranking["rank"].notna() & (ranking["rank"] <= GAP_TOP)]
        candidates = [(int(r), str(c), str(n), None if pd.isna(p) else int(p))
                      for r, c, n, p in zip(top["rank"], top["area_id"], top["name"], top["population"], strict=True)]
    out = []
    for rank, code, name, population in sorted(candidates, key=lambda c: c[0] or 0):
        if rank is None or rank > GAP_TOP:
            continue
        area = by_code.get(code)
        if area is None:
            out.append({"rank": rank, "name": name, "in_campaign": False, "code": code,
                        "text": gettext("not in the campaign (%(population)s people live here)",
                                        population=format_decimal(population)) if population else
                        gettext("not in the campaign")})  # fmt: skip
        elif area.coverage is None or area.coverage < GAP_SHARE:
            out.append({"rank": rank, "name": name, "in_campaign": True, "code": code,
                        "text": coverage_text(area.reached_low, area.population)})  # fmt: skip
    return out


def context(campaign: Campaign) -> dict[str, Any]:
    """Everything the campaign page shows of reach and coverage."""
    cov = reach.coverage(campaign)
    labels = {k: str(v) for k, v in CHANNEL_LABELS.items()}
    period_label = {1: gettext("per day"), 7: gettext("per week")}
    if len(cov.timeline):
        lengths = {(e - s).days + 1 for s, e in zip(cov.timeline["period_start"], cov.timeline["period_end"],
                                                     strict=True)}  # fmt: skip
        for days in lengths - set(period_label):
            period_label[days] = ngettext("per %(num)s-day period", "per %(num)s-day period", days)
    series = reach_series(cov.timeline, labels, period_label)
    chart = ""
    if series:
        first = min(s for x in series for s, _e, _v in x.steps)
        last = max(e for x in series for _s, e, _v in x.steps)
        chart = reach_chart(
            series, first=min(first, campaign.starts or first), last=last,
            title=gettext("People reached per reporting period, by channel"),
            describe=gettext("Each line is one channel's figures for periods of one length; a flat step spans the "
                             "days its figure covers. Figures of different periods are not added up."),
            format_number=format_decimal, format_day=lambda d: format_date(d, "medium"),
        )  # fmt: skip
    return {
        "coverage": cov,
        "coverage_text": coverage_text,
        "chart": chart,
        "series": series,
        "gap": gap(campaign, cov),
        "gap_top": GAP_TOP,
        "gap_share": percent(GAP_SHARE),
        "map_labels": map_labels(),
        "stale_since": _stale_since(campaign),
    }


def _stale_since(campaign: Campaign) -> int | None:
    """Days since the last reach was recorded, when a running campaign has been silent a week."""
    days = reach.silence(campaign, reach.last_recorded([campaign.id]).get(campaign.id), date.today())
    return days if days is not None and days >= reach.SILENT_DAYS else None


@bp.route("/<int:campaign_id>/coverage.geojson")
def coverage_geojson(campaign_id: int) -> Response:
    """Every area of the boundary set: the campaign's coloured by the share certainly reached,
    the others white, with popup lines written here in the user's language."""
    campaign = org_owned(Campaign, campaign_id)
    cov = reach.coverage(campaign)
    shapes = load_shapes(campaign.boundary_set)
    by_code = {a.code: a for a in cov.areas}
    names = {code: name for code, name in db.session.execute(
        select(Area.code, Area.name).where(Area.boundary_set_id == campaign.boundary_set_id))}
    ranking = _ranking(campaign).set_index("area_id")["rank"].to_dict() if campaign.ranking_run_id else {}
    classes, lines, ranks, selected = [], [], [], []
    for code in shapes["area_id"]:
        area = by_code.get(code)
        if area is None:
            classes.append("outside")
            rank = ranking.get(code)
            lines.append([gettext("Not in the campaign")])
        else:
            classes.append(_class(area.coverage))
            rank = area.rank
            text = [gettext("Certainly reached: %(text)s", text=coverage_text(area.reached_low, area.population))]
            for channel, cell in area.cells.items():
                if cell.reached_low is not None:
                    text.append(f"{CHANNEL_LABELS.get(channel, channel)}: {format_decimal(cell.reached_low)}")
            if area.over:
                text.append(gettext("More people than live here: check the region mapping or the population."))
            lines.append(text)
        ranks.append(None if rank is None or pd.isna(rank) else int(rank))
        selected.append(area is not None)
    frame = geopandas.GeoDataFrame({
        "area_id": shapes["area_id"], "name": [names.get(c, c) for c in shapes["area_id"]], "rank": ranks,
        "map_class": classes, "lines": lines, "selected": selected,
    }, geometry=shapes.geometry, crs=shapes.crs)  # fmt: skip
    return Response(frame.to_json(drop_id=True), mimetype="application/geo+json")


def geojson_url(campaign: Campaign) -> str:
    return url_for("campaigns.coverage_geojson", campaign_id=campaign.id)
