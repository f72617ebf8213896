"""Ranked areas: choose options, watch progress, read the table and the map, export, plan.

Every number shown comes from a stored run whose rows were suppressed when it was computed; the
explanation sentences are rebuilt here from the run's reason codes so they read in the user's
language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import pandas as pd
from babel.lists import format_list
from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_percent, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from targeting.csv_cells import csv_text
from targeting.export import MEDIA_TYPES, ranking_bytes
from targeting.ranking import DEFAULT_WEIGHTS, FACTORS, NothingToRankError, RankingInputError
from targeting.static_map import render_hotspot_map

from ..access import Section
from ..bounded_ints import int_arg
from ..downloads import attachment
from ..extensions import db
from ..models import CampaignDraft, RankingRun, Role
from ..plain_text import strip_controls
from ..queries import org_boundary_set, org_owned
from ..services import audit
from ..services import campaigns as campaign_service
from ..services import ranking as service
from . import plain_words

bp = Section("rankings", __name__, url_prefix="/targeting", roles={Role.ADMIN, Role.COORDINATOR})

PAGE_SIZE: Final = 50
SORTABLE: Final = ("rank", "name", "score", "count", "population", "eb_rate", "gi_z", "trend", "pattern")

FACTOR_LABELS: Final = {
    "rate": _l("Rate per 100,000 (smoothed)"),
    "hotspot": _l("Cluster strength"),
    "trend": _l("Trend"),
    "volume": _l("Number of incidents"),
}
FACTOR_HELP: Final = {
    "rate": (_l("How often incidents happen for the number of residents."), "rate"),
    "hotspot": (_l("Whether the area and its neighbours together stand out."), "cluster"),
    "trend": (_l("Whether incidents have been rising over the years."), "trend"),
    "volume": (_l("How many incidents there were: where most people can be helped."), "score"),
}
TREND_LABELS: Final = {
    "rising": _l("rising"),
    "falling": _l("falling"),
    "stable": _l("stable"),
    "insufficient data": _l("too few years"),
}
PATTERN_LABELS: Final = {
    "new hot spot": _l("new hot spot"),
    "consecutive hot spot": _l("consecutive hot spot"),
    "intensifying hot spot": _l("intensifying hot spot"),
    "persistent hot spot": _l("persistent hot spot"),
    "diminishing hot spot": _l("diminishing hot spot"),
    "sporadic hot spot": _l("sporadic hot spot"),
    "oscillating hot spot": _l("oscillating hot spot"),
    "historical hot spot": _l("historical hot spot"),
    "new cold spot": _l("new cold spot"),
    "consecutive cold spot": _l("consecutive cold spot"),
    "intensifying cold spot": _l("intensifying cold spot"),
    "persistent cold spot": _l("persistent cold spot"),
    "diminishing cold spot": _l("diminishing cold spot"),
    "sporadic cold spot": _l("sporadic cold spot"),
    "oscillating cold spot": _l("oscillating cold spot"),
    "historical cold spot": _l("historical cold spot"),
}
BIN_LABELS: Final = {
    3: _l("Hot spot, %(level)s %% confidence", level=99),
    2: _l("Hot spot, %(level)s %% confidence", level=95),
    1: _l("Hot spot, %(level)s %% confidence", level=90),
    0: _l("Not significant"),
    -1: _l("Cold spot, %(level)s %% confidence", level=90),
    -2: _l("Cold spot, %(level)s %% confidence", level=95),
    -3: _l("Cold spot, %(level)s %% confidence", level=99),
}


def explanation(reasons: str | None, period: str, *, tested: int | None = None) -> str:
    """The area's reason codes as one sentence in the user's language.

    With `tested` (how many areas the hot-spot test covered), an area whose own test would pass
    but which is not a hot spot once every area's test is allowed for says so: otherwise a
    cluster strength of 2.5 marked "not a hot spot" beside 2.9 marked "90 %" looks like an error."""
    parts: list[str] = []
    for item in filter(None, (reasons or "").split(";")):
        key, _sep, value = item.partition(":")
        if key == "rate_ratio":
            parts.append(
                gettext(
                    "smoothed rate %(ratio)s times the overall average",
                    ratio=format_decimal(float(value), format="0.0"),
                )
            )
        elif key in ("hot_spot", "cold_spot"):
            level, _sep, pattern = value.partition(",")
            text = (
                gettext("part of a %(level)s %% hot spot", level=level)
                if key == "hot_spot"
                else gettext("part of a %(level)s %% cold spot", level=level)
            )
            if pattern:
                text += " (" + str(PATTERN_LABELS.get(pattern, pattern)) + ")"
            parts.append(text)
        elif key == "rising":
            parts.append(gettext("rising since %(period)s", period=value) if value else gettext("rising"))
        elif key == "falling":
            parts.append(gettext("falling since %(period)s", period=value) if value else gettext("falling"))
        elif key == "count":
            n = int(value)
            parts.append(
                ngettext("%(num)d incident in %(period)s", "%(num)d incidents in %(period)s", n, period=period)
            )
        elif key == "few_incidents":
            parts.append(gettext("few incidents"))
        elif key == "indicator_high":
            parts.append(gettext("high %(indicator)s", indicator=plain_words.indicator(value).lower()))
        elif key == "indicator_low":
            parts.append(gettext("low %(indicator)s", indicator=plain_words.indicator(value).lower()))
        elif key == "no_factor":
            parts.append(gettext("no single factor stands out; combined score %(score)s of 100", score=value))
        elif key == "isolated":
            parts.append(gettext("no neighbouring areas, so not tested for hot spots"))
        elif key == "no_population":
            parts.append(gettext("no population figure, so no rate and no rank; shown on the map only"))
        elif key == "hidden_count":
            parts.append(gettext("fewer than %(k)s incidents, so the count is hidden and every figure uses the "
                                 "number expected from the population instead", k=value))
    if tested is not None:
        parts.append(
            gettext("the cluster looks strong, but is not significant after allowing for testing %(n)s areas at once",
                    n=format_decimal(tested))
        )  # fmt: skip
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""


def _near_miss(row: Mapping[str, Any]) -> bool:
    """Significant at 90 % on its own test, not after the false-discovery-rate adjustment."""
    p = row.get("gi_p")
    return bool(row.get("gi_bin") == 0 and p is not None and p <= 0.10 and (row.get("gi_z") or 0) > 0)


def row_explanation(row: Mapping[str, Any], period: str, tested: int) -> str:
    return explanation(row.get("reasons"), period, tested=tested if _near_miss(row) else None)


def tested_areas(meta: Mapping[str, Any], total: int) -> int:
    """How many areas the hot-spot test covered: all but those without population or neighbours."""
    return max(0, total - int(meta.get("no_population") or 0) - int(meta.get("isolated") or 0))


def _ranking_refusal(exc: RankingInputError) -> str:
    """The library's reason for refusing to rank, in the user's language where we phrase it."""
    if isinstance(exc, NothingToRankError) and exc.code in ("no_incidents", "all_counts_zero"):
        return gettext(
            "This incident data has no incident in any of these areas, so there is nothing to rank: every area "
            "would get the same score. Upload incident data with at least one incident in these areas."
        )
    if isinstance(exc, NothingToRankError) and exc.code == "period_empty":
        return gettext(
            "No area has an incident in %(period)s, so it cannot be ranked; choose another year.",
            period=exc.params.get("period", ""),
        )
    return str(exc)


def org_run(run_id: int) -> RankingRun:
    return org_owned(RankingRun, run_id)


@bp.route("/sets/<int:set_id>/rank", methods=["GET", "POST"])
def rank_form(set_id: int) -> Any:
    bset = org_boundary_set(set_id)
    incident_set = service.latest_incident_set(bset)
    periods = service.available_periods(incident_set)
    indicators = service.indicator_columns(bset)
    errors: list[str] = []
    values: dict[str, Any] = {f"w_{k}": format_decimal(v * 10) for k, v in DEFAULT_WEIGHTS.items()}
    values.update({f"w_{name}": 0.0 for name in indicators})
    values["period"] = periods[-1] if periods else ""
    values["smoothing"] = "global"
    if request.method == "POST":
        form = request.form
        values.update({k: form.get(k, "") for k in form})
        if incident_set is None:
            errors.append(gettext("Upload incident data for these areas before ranking them."))
        period = form.get("period") or None
        if period is not None and period not in periods:
            errors.append(gettext("Choose one of the years in the data: %(years)s.", years=", ".join(periods)))
        weights, bad = service.weights_from_form(form, indicators)
        for name in bad:
            label = FACTOR_LABELS.get(name, name)
            errors.append(gettext("The weight for “%(factor)s” must be a number from 0 to 10.", factor=label))
        if not bad and sum(weights.values()) <= 0:
            errors.append(gettext("At least one weight must be above 0."))
        smoothing = form.get("smoothing", "global")
        if smoothing not in ("global", "spatial"):
            errors.append(gettext("Choose global or spatial smoothing."))
        if not errors and incident_set is not None:
            used = tuple(name for name in indicators if weights.get(name, 0) > 0)
            params = service.RankingParams(
                period=period,
                weights={k: v for k, v in weights.items() if k in FACTORS or k in used},
                smoothing=smoothing,
                indicators=used,
            )
            try:
                run = service.request_ranking(g.actor, bset, incident_set, params)
            except RankingInputError as exc:  # inputs the library refuses: say why, on the form (422)
                errors.append(_ranking_refusal(exc))
            else:
                return redirect(url_for("rankings.run", run_id=run.id))
    return render_template(
        "targeting/rank_form.html",
        bset=bset,
        incident_set=incident_set,
        periods=periods,
        indicators=indicators,
        indicator_labels={name: plain_words.indicator(name) for name in indicators},
        factors=FACTORS,
        factor_labels=FACTOR_LABELS,
        factor_help=FACTOR_HELP,
        values=values,
        errors=errors,
        recent=recent_rankings(bset.id),
    ), (422 if errors else 200)


def recent_rankings(set_id: int, limit: int = 10) -> list[RankingRun]:
    """A boundary set's latest finished rankings, newest first, for the set's pages to list."""
    return list(
        db.session.scalars(
            select(RankingRun)
            .where(RankingRun.boundary_set_id == set_id, RankingRun.status == "done")
            .order_by(RankingRun.id.desc())
            .limit(limit)
        )
    )


def _sorted_rows(frame: pd.DataFrame, sort: str, direction: str) -> pd.DataFrame:
    if frame.empty:
        return frame
    ascending = direction != "desc"
    return frame.sort_values([sort, "rank"], ascending=[ascending, True], na_position="last", kind="stable")


def _selection(frame: pd.DataFrame, segments: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The areas and groups chosen so far: from the query string once the user has chosen
    (`chosen=1`), else the top-ranked areas and the three first groups as a starting point.

    The choice travels in the URL of every page, sort and map link, so a tick on page 2 does
    not undo the ticks of page 1, and it works without JavaScript."""
    valid = set(frame["area_id"].astype(str))
    valid_groups = [str(x.get("segment")) for x in segments if x.get("rank")]
    if request.args.get("chosen"):
        areas = list(dict.fromkeys(a for a in request.args.getlist("area") if a in valid))
        groups = [g for g in dict.fromkeys(request.args.getlist("segment")) if g in valid_groups]
        return areas, groups
    return service.top_area_ids(frame), valid_groups[:3]


def _summary(frame: pd.DataFrame, meta: Mapping[str, Any], tested: int) -> str:
    """One sentence a coordinator can repeat: which areas stand out, where, and how many are hot spots."""
    top = frame.loc[frame["rank"].notna()].nsmallest(service.SEGMENT_AREAS, "rank")
    if top.empty:
        return ""
    names = format_list([str(n) for n in top["name"]], locale=str(get_locale()))
    where = plain_words.direction_phrase(meta.get("top_direction"))
    n = len(top)
    sentence = (
        ngettext("%(num)s area stands out, %(where)s: %(names)s.", "%(num)s areas stand out, most of them %(where)s: "
                 "%(names)s.", n, where=where, names=names)
        if where else ngettext("%(num)s area stands out: %(names)s.", "%(num)s areas stand out: %(names)s.", n,
                               names=names)
    )  # fmt: skip
    hot = int((top["gi_bin"].fillna(0) > 0).sum())
    if hot:
        sentence += " " + ngettext(
            "%(num)s of them is part of a hot spot, a cluster of high rates unlikely to be chance among the "
            "%(tested)s areas tested.",
            "%(num)s of them are part of hot spots, clusters of high rates unlikely to be chance among the "
            "%(tested)s areas tested.",
            hot,
            tested=format_decimal(tested),
        )
    return sentence


def _years(periods: list[str]) -> str:
    if len(periods) > 1:
        return gettext("%(first)s to %(last)s", first=periods[0], last=periods[-1])
    return periods[0] if periods else ""


def _order(sort: str, direction: str) -> tuple[str, str]:
    """`order=col:dir` from a header button overrides the current `sort` and `dir`."""
    if order := request.args.get("order"):
        col, _sep, way = order.partition(":")
        sort, direction = col, way
    return (sort if sort in SORTABLE else "rank"), ("desc" if direction == "desc" else "asc")


@bp.route("/runs/<int:run_id>")
def run(run_id: int) -> Any:
    ranking = org_run(run_id)
    if ranking.status != "done":
        return render_template("targeting/run_progress.html", run=ranking), (500 if ranking.status == "failed" else 200)
    frame = service.run_frame(ranking)
    sort, direction = _order(request.args.get("sort", "rank"), request.args.get("dir", "asc"))
    segments = ranking.segments or []
    chosen_areas, chosen_groups = _selection(frame, segments)
    ordered = _sorted_rows(frame, sort, direction)
    total = len(ordered)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = 1 if request.args.get("order") else min(int_arg(request.args, "page", 1), pages)
    shown = ordered.iloc[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    meta = ranking.meta or {}
    period = str(meta.get("period", ""))
    tested = tested_areas(meta, total)
    rows = [
        {**row, "explanation_text": row_explanation(row, period, tested)}
        for row in shown.astype(object).where(shown.notna(), None).to_dict(orient="records")
    ]
    on_page = {str(r["area_id"]) for r in rows}
    weights = meta.get("weights") or {}
    weight_total = sum(weights.values()) or 1
    return render_template(
        "targeting/run.html",
        run=ranking,
        rows=rows,
        meta=meta,
        period=period,
        sort=sort,
        direction=direction,
        page=page,
        pages=pages,
        total=total,
        tested=tested,
        summary=_summary(frame, meta, tested),
        weights={k: v * 10 / weight_total for k, v in weights.items()},
        trend_labels=TREND_LABELS,
        pattern_labels=PATTERN_LABELS,
        bin_labels=BIN_LABELS,
        factor_labels={**FACTOR_LABELS, **{k: plain_words.indicator(k) for k in weights if k not in FACTOR_LABELS}},
        segments=segments,
        segment_years=_years(meta.get("segment_periods") or [period]),
        segment_by_text=format_list(
            [str(plain_words.ATTRIBUTES.get(c, c)) for c in meta.get("segment_by") or []] or ["–"],
            locale=str(get_locale()),
        ),
        types=meta.get("exploitation_types", []),
        chosen_areas=chosen_areas,
        chosen_groups=chosen_groups,
        chosen_elsewhere=[a for a in chosen_areas if a not in on_page],
        map_labels=_map_labels(),
        segment_areas=service.SEGMENT_AREAS,
    )


def _map_labels() -> dict[str, str]:
    return {
        "hot99": str(BIN_LABELS[3]),
        "hot95": str(BIN_LABELS[2]),
        "hot90": str(BIN_LABELS[1]),
        "none": str(BIN_LABELS[0]),
        "cold90": str(BIN_LABELS[-1]),
        "cold95": str(BIN_LABELS[-2]),
        "cold99": str(BIN_LABELS[-3]),
        "untested": gettext("Not tested"),
        "rank": gettext("Rank {n}"),
        "count": gettext("Incidents: {n}"),
        "suppressed": gettext("suppressed (small count)"),
        "legend_title": gettext("Hot-spot class"),
        "score_title": gettext("Score (0 to 100)"),
        "score_classes": [
            [0, 20, "#fff5eb", gettext("%(low)s to %(high)s", low=0, high=20)],
            [20, 40, "#fdd0a2", gettext("%(low)s to %(high)s", low=20, high=40)],
            [40, 60, "#fd8d3c", gettext("%(low)s to %(high)s", low=40, high=60)],
            [60, 80, "#d94801", gettext("%(low)s to %(high)s", low=60, high=80)],
            [80, 100.001, "#7f2704", gettext("%(low)s to %(high)s", low=80, high=100)],
        ],
        "score": gettext("Score {n}"),
        "legend_toggle": gettext("Legend"),
        "error": gettext("The map could not be loaded."),
    }


@bp.route("/runs/<int:run_id>/progress.json")
def run_progress(run_id: int) -> Any:
    ranking = org_run(run_id)
    return {"status": ranking.status, "progress": ranking.progress, "message": ranking.message}


def _done(run_id: int) -> tuple[RankingRun, pd.DataFrame]:
    ranking = org_run(run_id)
    if ranking.status != "done":
        abort(409)
    return ranking, service.run_frame(ranking)


@bp.route("/runs/<int:run_id>/map.geojson")
def run_geojson(run_id: int) -> Response:
    ranking, frame = _done(run_id)
    meta = ranking.meta or {}
    period = str(meta.get("period", ""))
    tested = tested_areas(meta, len(frame))
    records = frame[["reasons", "gi_bin", "gi_p", "gi_z"]].astype(object).where(frame.notna(), None)
    frame["explanation"] = [row_explanation(r, period, tested) for r in records.to_dict(orient="records")]
    areas = service.load_shapes(ranking.boundary_set)
    data = ranking_bytes(frame, "geojson", areas=areas)
    return Response(data, mimetype="application/geo+json")


@bp.route("/runs/<int:run_id>/export.<fmt>")
def run_export(run_id: int, fmt: str) -> Response:
    if fmt not in MEDIA_TYPES:
        abort(404)
    ranking, frame = _done(run_id)
    areas = service.load_shapes(ranking.boundary_set) if fmt != "csv" else None
    data = ranking_bytes(frame, fmt, areas=areas)
    audit.record(g.actor, "ranking.export", "ranking_run", ranking.id, format=fmt, rows=len(frame))
    name = f"ranking-{ranking.id}-{(ranking.meta or {}).get('period', '')}.{fmt}"
    return Response(data, mimetype=MEDIA_TYPES[fmt], headers={"Content-Disposition": attachment(name)})


@bp.route("/runs/<int:run_id>/map.png")
def run_map_png(run_id: int) -> Response:
    ranking, frame = _done(run_id)
    areas = service.load_shapes(ranking.boundary_set)
    joined = areas.merge(frame[["area_id", "name", "gi_bin", "rank"]], on="area_id", how="left")
    labels: dict[int | None, str] = {k: str(v) for k, v in BIN_LABELS.items()}
    labels[None] = gettext("Not tested")
    title = gettext(
        "%(set)s: hot spots, %(period)s", set=ranking.boundary_set.name, period=(ranking.meta or {}).get("period", "")
    )
    png = render_hotspot_map(joined, title=title, legend_labels=labels, label_top=10)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"})


@bp.route("/runs/<int:run_id>/segments.csv")
def run_segments_csv(run_id: int) -> Response:
    ranking = org_run(run_id)
    rows: list[list[object]] = [
        [
            "rank",
            "segment",
            "count",
            "population",
            "relative_risk",
            "rr_low",
            "rr_high",
            "audience_low",
            "audience_high",
            "languages",
            "suppressed",
        ]
    ]
    for seg in ranking.segments or []:
        count = "suppressed" if seg.get("suppressed") else seg.get("count")
        rows.append(
            [
                seg.get("rank"),
                seg.get("segment"),
                count,
                seg.get("population"),
                seg.get("relative_risk"),
                seg.get("rr_low"),
                seg.get("rr_high"),
                seg.get("audience_low"),
                seg.get("audience_high"),
                " ".join(seg.get("languages") or []),
                seg.get("suppressed"),
            ]
        )
    return Response(
        csv_text(rows), mimetype="text/csv", headers={"Content-Disposition": attachment(f"segments-{ranking.id}.csv")}
    )


def _chosen_for_plan(ranking: RankingRun, frame: pd.DataFrame, args: Any) -> tuple[list[str], list[str]]:
    valid = set(frame["area_id"].astype(str))
    groups = {str(x.get("segment")) for x in ranking.segments or [] if x.get("rank")}
    codes = list(dict.fromkeys(c for c in args.getlist("area") if c in valid))
    segments = list(dict.fromkeys(s for s in args.getlist("segment") if s in groups))
    return codes, segments


def _languages(ranking: RankingRun, segments: list[str]) -> list[str]:
    languages: list[str] = []
    for seg in ranking.segments or []:
        if seg.get("segment") in segments:
            languages += [lang for lang in seg.get("languages") or [] if lang not in languages]
    return languages or ["en"]


@bp.route("/runs/<int:run_id>/plan", methods=["GET", "POST"])
def plan_campaign(run_id: int) -> Any:
    """Step 4 of the guided path: read back what was chosen, name it, and plan the campaign.

    GET shows the choice (areas with their rank and reason, groups with their languages) so the
    coordinator sees exactly what will be saved; POST saves it as a draft and, unless only the
    draft was asked for, plans the campaign from it and opens its form for dates and channels."""
    ranking, frame = _done(run_id)
    source = request.form if request.method == "POST" else request.args
    codes, segments = _chosen_for_plan(ranking, frame, source)
    back = url_for("rankings.run", run_id=run_id, chosen=1, area=codes, segment=segments, _anchor="ranked")
    if not codes:
        flash(gettext("Choose at least one area for the campaign."), "error")
        return redirect(back)
    languages = _languages(ranking, segments)
    if request.method == "GET":
        meta = ranking.meta or {}
        period = str(meta.get("period", ""))
        chosen = frame.loc[frame["area_id"].astype(str).isin(codes)].sort_values("rank", na_position="last")
        rows = chosen.astype(object).where(chosen.notna(), None).to_dict(orient="records")
        tested = tested_areas(meta, len(frame))
        return render_template(
            "targeting/plan.html",
            run=ranking,
            areas=[{**r, "why": row_explanation(r, period, tested)} for r in rows],
            groups=[x for x in ranking.segments or [] if x.get("segment") in segments],
            codes=codes,
            segments=segments,
            languages=languages,
            back=back,
            default_name=gettext("Campaign for %(n)s areas of %(set)s", n=len(codes), set=ranking.boundary_set.name),
        )
    name = strip_controls(request.form.get("name"))[:200] or gettext(
        "Campaign for %(n)s areas of %(set)s", n=len(codes), set=ranking.boundary_set.name
    )
    draft = CampaignDraft(
        organisation_id=ranking.organisation_id,
        boundary_set_id=ranking.boundary_set_id,
        ranking_run_id=ranking.id,
        name=name,
        area_codes=codes,
        segments=segments,
        languages=languages,
        created_by_id=g.user.id,
    )
    db.session.add(draft)
    db.session.flush()
    audit.record(g.actor, "campaign_draft.create", "campaign_draft", draft.id, areas=len(codes), segments=len(segments))
    if request.form.get("then") == "plan":
        campaign = campaign_service.from_draft(g.actor, draft)
        flash(gettext("Campaign “%(name)s” planned with %(n)s areas: add its dates and channels, then schedule it.",
                      name=campaign.name, n=len(codes)), "success")  # fmt: skip
        return redirect(url_for("campaigns.edit", campaign_id=campaign.id))
    flash(gettext("Campaign draft saved with %(n)s areas.", n=len(codes)), "success")
    return redirect(url_for("campaigns.index"))


@bp.app_template_filter("source_label")
def source_label_filter(source: str | None) -> str:
    """A data source's first sentence: enough for a table cell; the set's own page shows it all."""
    text = (source or "").strip()
    end = text.find(". ")
    return text[: end + 1] if end > 0 else text


@bp.app_template_filter("about")
def about_filter(low: Any, high: Any = None) -> str:
    return plain_words.about(low, high)


@bp.app_template_filter("attribute_name")
def attribute_name_filter(name: str) -> str:
    return str(plain_words.ATTRIBUTES.get(name, name))


@bp.app_template_filter("exploitation_type")
def exploitation_type_filter(code: str) -> str:
    return plain_words.exploitation_type(str(code))


@bp.app_template_filter("group_name")
def group_name_filter(segment: str) -> str:
    """A stored group key ("GT · male", as drafts keep it) in words; keys are "a · b · c" in the
    order nationality, age band, sex of the grouping they came from."""
    return plain_words.group_key_name(segment)


@bp.app_template_filter("share")
def share_filter(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "•"
    return format_percent(float(value), format="#,##0.0 %")


@bp.app_template_filter("ratio")
def ratio_filter(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return format_decimal(float(value), format="#,##0.00")
