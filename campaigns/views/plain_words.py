"""The method's terms and the data's codes in words a coordinator uses, in the reader's language.

The people planning outreach are not analysts: "GT · male", "pct_foreign_born" or "Gi* z" say
nothing to them. Every page that shows a code shows it through one of these functions, so a code
is translated once and reads the same on the ranking, the plan and the campaign. Each term that
needs more than a name links to its entry on the glossary page (`GLOSSARY`).
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from babel import Locale
from flask_babel import format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

SEXES: Final = {"female": _l("women"), "male": _l("men")}
EXPLOITATION_TYPES: Final = {
    "labour": _l("Labour exploitation"),
    "sexual": _l("Sexual exploitation"),
    "criminal": _l("Forced criminal activity"),
    "domestic_servitude": _l("Domestic servitude"),
    "other": _l("Other forms"),
    "unknown": _l("Not recorded"),
}
INDICATORS: Final = {
    "pct_foreign_born": _l("Share of residents born abroad"),
    "pct_rural": _l("Share of residents in rural places"),
    "pct_poverty": _l("Share of residents below the poverty line"),
}
DIRECTIONS: Final = {
    "north": _l("in the north"),
    "north-east": _l("in the north-east"),
    "east": _l("in the east"),
    "south-east": _l("in the south-east"),
    "south": _l("in the south"),
    "south-west": _l("in the south-west"),
    "west": _l("in the west"),
    "north-west": _l("in the north-west"),
    "centre": _l("in the centre"),
}
ATTRIBUTES: Final = {"nationality": _l("nationality"), "age_band": _l("age"), "sex": _l("sex")}

# Glossary entries: anchor -> (term, explanation). The wording is ours; the methods are cited by
# name so a reader who wants more can look them up.
GLOSSARY: Final[dict[str, tuple[Any, Any]]] = {
    "score": (
        _l("Score"),
        _l("A number from 0 to 100 that combines the factors you weighted: for each factor, the share of "
           "areas this area is ahead of, mixed in the proportions of the weights. 100 means first on every "
           "factor that counts. Only the order matters; a score is not a probability."),
    ),
    "rate": (
        _l("Rate per 100,000 (smoothed)"),
        _l("Incidents per 100,000 residents. In an area with few people one incident more or less swings "
           "the rate wildly, so each rate is pulled towards the average in proportion to how little the area's "
           "own numbers can tell (empirical Bayes smoothing). Large areas keep nearly their own rate; tiny "
           "areas move most."),
    ),
    "cluster": (
        _l("Cluster strength"),
        _l("How much higher (positive) or lower (negative) the rates of an area and its neighbours are "
           "together than across the whole region, in standard units (the Getis-Ord Gi* statistic). Values "
           "above about 2 suggest a cluster of high rates; the hot-spot label then says whether it is "
           "unlikely to be chance."),
    ),
    "hot-spot": (
        _l("Hot spot and cold spot"),
        _l("A hot spot is a group of neighbouring areas whose rates are together higher than chance would "
           "give; a cold spot, lower. The percentage (90, 95 or 99) is how confident the test is. An area "
           "with a high rate whose neighbours are low is not a hot spot: it still ranks by its rate."),
    ),
    "many-tests": (
        _l("Allowing for testing many areas at once"),
        _l("When every area is tested, some will look like hot spots by luck alone: with 159 areas and a "
           "one-in-ten chance each, about 16 would. The planner therefore raises the bar as the number of areas "
           "grows (it controls the false discovery rate, Benjamini-Hochberg). An area whose cluster strength "
           "looks high may so be \"not significant after allowing for testing all areas at once\"."),
    ),
    "trend": (
        _l("Trend"),
        _l("Whether an area's yearly counts have been going up or down over the years up to the ranked "
           "one, tested so that one unusual year does not make a trend (Mann-Kendall test). \"Too few "
           "years\" means there are not enough years to tell."),
    ),
    "pattern": (
        _l("Pattern over the years"),
        _l("How the area's hot-spot status changed from year to year: new (only in the latest year), "
           "consecutive (the latest few years), intensifying, persistent, diminishing, sporadic (on and "
           "off), oscillating (hot some years, cold others) or historical (was a hot spot, is no longer)."),
    ),
    "hidden": (
        _l("Hidden counts"),
        _l("Counts from 1 to %(n)s are never shown, because a small number of incidents in a small place "
           "can point to a person. Every other figure (rates, scores, totals, shares) is computed as if the "
           "hidden count were not known, so it cannot be worked back. A total that includes hidden counts "
           "is shown as a range."),
    ),
    "relative-risk": (
        _l("Over-representation (relative risk)"),
        _l("How many times more often a group appears in the incidents than its share of the population "
           "would lead you to expect. 2 means twice as often; 1 means as often as everyone else. Groups are "
           "ordered by the low end of the range, so a small group does not rise to the top on chance."),
    ),
    "interval": (
        _l("Range (confidence interval)"),
        _l("The range the true value probably lies in, given how much data there is: 95 times out of 100 "
           "a range made this way contains it. A wide range means few data; read the low end as \"at "
           "least\"."),
    ),
    "audience": (
        _l("Audience"),
        _l("About how many people of a group live in the chosen areas, rounded: population figures for a "
           "group within a county are estimates, so more digits would suggest a precision they do not "
           "have."),
    ),
    "indicator": (
        _l("Indicator"),
        _l("A figure per area you uploaded that may raise the risk, such as the share of residents born "
           "abroad. Give it a weight to let it count in the score."),
    ),
    "weights": (
        _l("Weights"),
        _l("How much each factor counts in the score, from 0 (not at all) to 10. Only the proportions "
           "matter: 4, 3, 2, 1 is the same as 8, 6, 4, 2."),
    ),
}


def glossary_entries(k: int) -> list[tuple[str, str, str]]:
    """(anchor, term, explanation) in the reader's language; `k` is the suppression threshold."""
    return [(anchor, str(term), str(text) % {"n": k - 1} if anchor == "hidden" else str(text))
            for anchor, (term, text) in GLOSSARY.items()]  # fmt: skip


def country(code: str) -> str:
    """A nationality code as its country's name in the reader's language (CLDR via Babel)."""
    if code == "unknown":
        return gettext("nationality not recorded")
    return str(Locale.parse(str(get_locale())).territories.get(code.upper(), code))


def age_band(band: str) -> str:
    """'18-24' as "18–24 years", '0-17' as "under 18", '50+' as "50 and over"."""
    if band == "unknown":
        return gettext("age not recorded")
    if match := re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", band):
        low, high = int(match.group(1)), int(match.group(2))
        if low == 0:
            return gettext("under %(age)s", age=high + 1)
        return gettext("%(low)s–%(high)s years", low=low, high=high)
    if match := re.fullmatch(r"\s*(\d+)\s*\+\s*", band):
        return gettext("%(age)s and over", age=int(match.group(1)))
    return band


def sex(value: str) -> str:
    if value == "unknown":
        return gettext("sex not recorded")
    return str(SEXES.get(value, value))


def exploitation_type(code: str) -> str:
    return str(EXPLOITATION_TYPES.get(code, code.replace("_", " ")))


def indicator(name: str) -> str:
    """An indicator column's readable name: ours for the known ones, else the column's own words."""
    if name in INDICATORS:
        return str(INDICATORS[name])
    words = re.sub(r"^pct_", "", name).replace("_", " ").strip()
    if name.startswith("pct_"):
        return gettext("Share: %(what)s", what=words)
    return words[:1].upper() + words[1:]


def about(low: Any, high: Any) -> str:
    """An audience as "about 450": the middle of its rounded range, to two significant figures.

    A range like "440–450" or "17–17" reads as a precise count; a group-level population is an
    estimate, and the planner only needs its size."""
    values = [float(v) for v in (low, high) if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not values:
        return "–"
    middle = sum(values) / len(values)
    if middle <= 0:
        return format_decimal(0)
    step = 10 ** max(0, math.floor(math.log10(middle)) - 1)
    return gettext("about %(n)s", n=format_decimal(int(math.floor(middle / step + 0.5) * step)))


def direction_phrase(code: str | None) -> str:
    return str(DIRECTIONS.get(code or "", ""))


def term(anchor: str, label: Any) -> Markup:
    """A method term linked to its glossary entry, so every use of it explains itself."""
    from flask import url_for

    return Markup('<a class="term" href="{}">{}</a>').format(url_for("home.glossary", _anchor=anchor), label)


def group_key_name(segment: str) -> str:
    """A stored group key ("GT · male", "RO · 18-24 · female") in words, for drafts and campaigns
    that keep only the key: each part is recognised by its shape (sex word, age band, else a
    nationality code)."""
    words = []
    for part in (p.strip() for p in segment.split("·")):
        if part in SEXES or part == "unknown":
            words.append(sex(part) if part in SEXES else gettext("not recorded"))
        elif re.fullmatch(r"\d+\s*(-\s*\d+|\+)", part):
            words.append(age_band(part))
        elif re.fullmatch(r"[A-Za-z]{2}", part):
            words.append(country(part))
        else:
            words.append(part)
    return " · ".join(words)
