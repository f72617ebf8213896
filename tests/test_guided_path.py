"""The coordinator's path from data to a plan, in plain words: step pages, the summary sentence,
the glossary, readable groups, selections that survive paging, and the plan step.

The browser walk through the same path is in test_browser_guided_path.py."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pytest
from conftest import demo_client, georgia_id
from flask import Flask
from sqlalchemy import select
from test_ranking_pages import _page_token, _rank

from campaigns.extensions import db
from campaigns.models import Campaign, RankingRun, Role
from targeting.demo import load_demo_areas
from targeting.direction import compass_direction
from targeting.segments import rank_segments, rank_segments_shown

# --- library -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def georgia() -> object:
    return load_demo_areas("georgia")


def test_direction_of_a_group_of_areas(georgia: object) -> None:
    areas = georgia  # type: ignore[assignment]
    y = areas.geometry.to_crs(areas.estimate_utm_crs()).centroid.y  # type: ignore[attr-defined]
    x = areas.geometry.to_crs(areas.estimate_utm_crs()).centroid.x  # type: ignore[attr-defined]
    northernmost = (y >= y.quantile(0.93)).to_numpy()
    southernmost = (y <= y.quantile(0.07)).to_numpy()
    assert compass_direction(areas, northernmost) in ("north", "north-east", "north-west")  # type: ignore[arg-type]
    assert compass_direction(areas, southernmost) in ("south", "south-east", "south-west")  # type: ignore[arg-type]
    north_east = ((y >= y.quantile(0.75)) & (x >= x.quantile(0.75))).to_numpy()
    assert compass_direction(areas, north_east) == "north-east"  # type: ignore[arg-type]
    # every area: spread over the whole state, so no direction is claimed
    assert compass_direction(areas, np.ones(len(y), dtype=bool)) is None  # type: ignore[arg-type]
    assert compass_direction(areas, np.zeros(len(y), dtype=bool)) is None  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="3 values"):
        compass_direction(areas, [True, False, True])  # type: ignore[arg-type]


def _toy(counts: dict[tuple[str, str, str], int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    incidents = pd.DataFrame(
        [(n, a, s) for (n, a, s), c in counts.items() for _ in range(c)], columns=["nationality", "age_band", "sex"]
    )
    incidents["area_id"], incidents["period"] = "1", "2024"
    population = pd.DataFrame(
        [("1", n, a, s, 1000) for (n, a, s) in counts],
        columns=["area_id", "nationality", "age_band", "sex", "population"],
    )
    return incidents, population


def test_groups_are_coarsened_until_the_top_groups_show_their_numbers() -> None:
    # Eight fine cells of 6-9 incidents each: all hidden at k=11. By two attributes they are
    # 12-18: shown.
    counts = {(n, a, s): 6 + i % 4 for i, (n, a, s) in enumerate(
        (n, a, s) for n in ("RO", "GT") for a in ("18-24", "25-34") for s in ("female", "male"))}  # fmt: skip
    incidents, population = _toy(counts)
    fine = rank_segments(incidents, population, k=11, total_known=True)
    assert fine["suppressed"].all()
    table = rank_segments_shown(incidents, population, top=3, k=11, total_known=True)
    assert table.attrs["by"] == ("nationality", "age_band")  # the first two-attribute grouping, in `by` order
    assert table.attrs["candidates_tried"] == (("nationality", "age_band", "sex"),)
    assert not table.loc[table["rank"].notna()].head(3)["suppressed"].any()


def test_groups_stay_fine_when_their_numbers_can_be_shown() -> None:
    counts = {("RO", "18-24", "female"): 40, ("RO", "18-24", "male"): 30, ("GT", "25-34", "male"): 20,
              ("GT", "25-34", "female"): 15}  # fmt: skip
    incidents, population = _toy(counts)
    table = rank_segments_shown(incidents, population, top=3, k=11, total_known=True)
    assert table.attrs["by"] == ("nationality", "age_band", "sex") and table.attrs["candidates_tried"] == ()


def test_plain_words(demo_app: Flask) -> None:
    from campaigns.views import plain_words

    with demo_app.test_request_context("/?lang=en"):
        assert plain_words.about(17, 17) == "about 17"
        assert plain_words.about(440, 450) == "about 450"
        assert plain_words.about(15000, 15000) == "about 15,000"
        assert plain_words.about(None, None) == "–" and plain_words.about(0, 0) == "0"
        assert plain_words.group_key_name("GT · male") == "Guatemala · men"
        assert plain_words.group_key_name("RO · 18-24 · female") == "Romania · 18–24 years · women"
        assert plain_words.age_band("0-17") == "under 18" and plain_words.age_band("50+") == "50 and over"
        assert plain_words.exploitation_type("domestic_servitude") == "Domestic servitude"
        assert plain_words.indicator("pct_foreign_born") == "Share of residents born abroad"
        assert plain_words.indicator("pct_unemployed_youth") == "Share: unemployed youth"
    with demo_app.test_request_context("/?lang=lt"):
        assert plain_words.country("GT") == "Gvatemala"  # CLDR's name in the reader's language


# --- pages -------------------------------------------------------------------------------------


def _run(app: Flask, run_url: str) -> RankingRun:
    with app.app_context():
        run = db.session.get(RankingRun, int(run_url.rstrip("/").split("/")[-1]))
        assert run is not None
        db.session.expunge(run)
        return run


def test_home_leads_to_the_data_step_and_each_step_says_what_comes_next(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    home = client.get("/").get_data(as_text=True)
    link = re.search(r'id="plan-campaign" href="([^"]+)"', home)
    assert link and link.group(1) == f"/targeting/sets/{georgia_id(demo_app)}"
    data_step = client.get(link.group(1)).get_data(as_text=True)
    assert 'aria-current="step"' in data_step and "Next: rank the areas" in data_step
    assert 'id="set-map"' in data_step and 'id="rank-link"' in data_step and 'id="set-rankings"' in data_step
    rank_step = client.get(f"/targeting/sets/{georgia_id(demo_app)}/rank").get_data(as_text=True)
    assert "Next: read the ranking" in rank_step
    assert 'value="4"' in rank_step and 'value="3"' in rank_step  # the default mix on the 0-10 scale
    index = client.get("/targeting/").get_data(as_text=True)
    assert "Rank areas" in index and "Ranking of 2024" in index and "G_utm.shp" not in index
    assert "US Census Bureau, 1990" in index
    for role in (Role.TRAINER, Role.REVIEWER):  # no planning steps for roles that cannot plan
        assert 'id="plan-campaign"' not in demo_client(demo_app, role).get("/").get_data(as_text=True)


def test_set_map_shows_population_and_no_small_count(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    geo = client.get(f"/targeting/sets/{georgia_id(demo_app)}/map.geojson").get_json()
    assert len(geo["features"]) == 159
    for feature in geo["features"]:
        p = feature["properties"]
        assert p["map_class"].startswith("p") and p["lines"][0].startswith("Residents: ")
        if len(p["lines"]) > 1:
            shown = re.search(r"Incidents in 2024: (\d+)$", p["lines"][1])
            assert shown is None or int(shown.group(1)) == 0 or int(shown.group(1)) >= 11, p["lines"]
    assert any("hidden (fewer than 11)" in f["properties"]["lines"][-1] for f in geo["features"])


def test_ranking_page_opens_with_a_summary_and_explains_its_terms(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    run_url = _rank(client, georgia_id(demo_app))
    page = client.get(run_url).get_data(as_text=True)
    summary = re.search(r'<p class="lead" id="ranking-summary">([^<]+)</p>', page)
    assert summary, page[:3000]
    assert summary.group(1).startswith("10 areas stand out, most of them in the north")
    assert "Habersham" in summary.group(1) and "159 areas tested" in summary.group(1)
    assert "Gi*" not in page and "empirical Bayes" not in page and "pct_" not in page
    assert "Cluster strength" in page
    # an area whose own test passes but not after allowing for 159 tests says so (Liberty: z 1.8)
    assert "not significant after allowing for testing 159 areas at once" in page
    glossary = client.get("/help/terms").get_data(as_text=True)
    anchors = set(re.findall(r'<dt id="([^"]+)"', glossary))
    linked = set(re.findall(r'href="/help/terms#([^"]+)"', page))
    assert linked and linked <= anchors, linked - anchors
    assert "Domestic servitude" in page and "domestic_servitude" not in page


def test_ranking_page_in_arabic_has_no_formula_terms(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    run_url = _rank(client, georgia_id(demo_app))
    page = client.get(run_url + "?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in page and "Gi*" not in page and "(Gi" not in page


def test_groups_table_shows_numbers_sizes_and_why(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    run_url = _rank(client, georgia_id(demo_app))
    page = client.get(run_url).get_data(as_text=True)
    table = page[page.index('id="segment-table"') : page.index("</table>", page.index('id="segment-table"'))]
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="num">(.*?)</td>', table, re.S)
    assert rows[0][0] == "Guatemala · men" and rows[0][1].strip().isdigit()
    assert all(c.strip().isdigit() for _name, c in rows[:3])  # the top groups show real numbers
    assert not re.search(r"(\d[\d,]*)–\1<", table)  # never a degenerate range such as "17–17"
    assert "about " in table
    assert "Groups are by nationality and sex" in page  # and says why age is not in them
    assert "2022 to 2024" in page
    if "hidden-count" in table:
        assert 'id="segment-hidden-note"' in page


def test_groups_table_counts_only_areas_shown_in_every_year(demo_app: Flask) -> None:
    """Attack: the groups' total over 2022-2024 minus the shown cells of the counts table would
    give back a hidden cell if an area of the groups' scope had one in those years."""
    client = demo_client(demo_app)
    run_url = _rank(client, georgia_id(demo_app))
    run = _run(demo_app, run_url)
    scope, years = run.meta["segment_areas"], run.meta["segment_periods"]
    assert scope and years == ["2022", "2023", "2024"]
    text = client.get(f"/targeting/sets/{georgia_id(demo_app)}/counts.csv").get_data(as_text=True)
    rows = [r for r in csv.reader(io.StringIO(text)) if r and not r[0].startswith("#")]
    header = rows[0]
    area_col = next(i for i, name in enumerate(header) if name in ("area_code", "area_id"))
    year_col = next((i for i, name in enumerate(header) if name in ("period", "year")), None)
    if year_col is not None:  # long layout: one row per area and year
        count_col = header.index("count")
        cells = [(r[area_col], r[year_col], r[count_col]) for r in rows[1:]]
    else:  # wide layout: a column per year
        cells = [(r[area_col], y, r[header.index(y)]) for r in rows[1:] for y in years if y in header]
    in_scope = [(a, y, c) for a, y, c in cells if a in scope and y in years]
    assert len(in_scope) == len(scope) * len(years)
    assert all(c != "suppressed" for _a, _y, c in in_scope), in_scope


def test_ticks_survive_paging_and_sorting_and_reach_the_plan(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    run_url = _rank(client, georgia_id(demo_app))
    first = client.get(run_url).get_data(as_text=True)
    ticked = re.findall(r'name="area" value="(\d+)" id="plan-\d+" aria-label="[^"]+" checked', first)
    assert len(ticked) == 10 and "Areas chosen: 10" in first
    page_two = client.get(run_url, query_string={"chosen": "1", "area": ticked[:2], "page": "2"})
    text = page_two.get_data(as_text=True)
    assert "Page 2 of 4" in text and "Areas chosen: 2" in text
    for code in ticked[:2]:  # carried as hidden inputs while their rows are on page 1
        assert f'<input type="hidden" name="area" value="{code}">' in text
    other = re.search(r'name="area" value="(\d+)" id="plan-\d+"', text)
    assert other
    # sorting by name from page 2 (a header button) keeps the ticks and goes back to page 1
    sorted_page = client.get(run_url, query_string={"chosen": "1", "area": [*ticked[:2], other.group(1)],
                                                    "sort": "rank", "dir": "asc", "page": "2", "order": "name:asc"})
    text = sorted_page.get_data(as_text=True)
    assert "Page 1 of 4" in text and "Areas chosen: 3" in text
    plan = client.get(run_url + "/plan", query_string={"area": [*ticked[:2], other.group(1)], "segment": "GT · male"})
    plan_text = plan.get_data(as_text=True)
    assert plan.status_code == 200 and "You chose 3 areas." in plan_text and "Guatemala · men" in plan_text
    assert "Español" in plan_text  # the group's language, named in itself
    token = _page_token(client, run_url + "/plan?area=" + ticked[0])
    response = client.post(run_url + "/plan", data={"csrf_token": token, "area": [*ticked[:2], other.group(1)],
                                                    "segment": ["GT · male"], "name": "Two pages", "then": "plan"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/edit")
    with demo_app.app_context():
        campaign = db.session.scalars(select(Campaign).where(Campaign.name == "Two pages")).one()
        assert sorted(a.area_code for a in campaign.areas) == sorted([*ticked[:2], other.group(1)])


def test_nothing_chosen_goes_back_with_a_message(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    run_url = _rank(client, georgia_id(demo_app))
    response = client.get(run_url + "/plan")
    assert response.status_code == 302 and "chosen=1" in response.headers["Location"]
    assert "Choose at least one area" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_weights_on_any_scale_find_the_same_ranking(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    tenths = _rank(client, set_id)
    whole = _rank(client, set_id, w_rate="4", w_hotspot="3", w_trend="2", w_volume="1")
    assert tenths == whole


def test_glossary_is_open_to_every_signed_in_role_and_translated(demo_app: Flask) -> None:
    for role in Role:
        assert demo_client(demo_app, role).get("/help/terms").status_code == 200
    assert demo_app.test_client().get("/help/terms").status_code in (302, 401)
