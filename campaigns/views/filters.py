"""Template filters. `count` is the only way a template shows a count of incidents or people:
it runs the suppression rule, so no page can print a small count by accident."""

from __future__ import annotations

import math
from typing import Any

from babel import Locale
from flask import Flask
from flask_babel import format_currency, format_date, format_datetime, format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from content.locales import direction, language_name

HIDDEN_MARK = "•"


def hidden_cell(k: int) -> Markup:
    title = _("Hidden: fewer than %(k)s, or hidden so a small count cannot be worked out.", k=k)
    return Markup('<span class="hidden-count" title="{}">{}<span class="visually-hidden"> {}</span></span>').format(
        title, HIDDEN_MARK, _("hidden")
    )


def percent(value: float | None) -> str:
    """A share as the pages print it ("46.8 %" in the reader's locale); "–" when unknown."""
    return "–" if value is None else format_percent(value, format="#,##0.0%")


def register_filters(app: Flask) -> None:
    @app.template_filter("count")
    def count_filter(value: Any, hidden: bool = False) -> Markup:
        """Show an already-suppressed count: `hidden` (or NaN/None) renders the hidden mark."""
        k = app.config["SETTINGS"].suppression_k
        if hidden or value is None or (isinstance(value, float) and math.isnan(value)):
            return hidden_cell(k)
        return escape(format_decimal(int(value)))

    @app.template_filter("count_range")
    def count_range_filter(bounds: tuple[int, int] | None) -> Markup:
        """A total over cells some of which are hidden: the range the shown cells allow."""
        if bounds is None:
            return Markup("–")
        low, high = bounds
        if low == high:
            return escape(format_decimal(int(low)))
        title = _(
            "Includes hidden counts, each from 1 to %(n)s, so only a range can be shown.",
            n=app.config["SETTINGS"].suppression_k - 1,
        )
        return Markup('<span class="count-range" title="{}">{}–{}</span>').format(
            title, format_decimal(int(low)), format_decimal(int(high))
        )

    @app.template_filter("bdi")
    def bdi_filter(value: Any) -> Markup:
        """A name from the user or the data (an area, a campaign, a file, an e-mail address) set
        apart from the text around it, so that a right-to-left name in a left-to-right sentence,
        or the reverse, keeps its own order and does not reorder the words or brackets next to it.
        For values passed into translated sentences: `_("Edit %(name)s", name=campaign.name|bdi)`."""
        return Markup("<bdi>{}</bdi>").format(value)

    @app.template_filter("money")
    def money_filter(cents: int | None, currency: str) -> str:
        """An amount kept in cents, in the user's locale's currency format (CLDR)."""
        if cents is None:
            return "–"
        return format_currency(cents / 100, currency)

    @app.template_filter("number")
    def number_filter(value: Any, digits: int = 0) -> str:
        if value is None:
            return "–"
        return format_decimal(round(float(value), digits), format="#,##0" + ("." + "0" * digits if digits else ""))

    app.add_template_filter(percent, "percent")

    @app.template_filter("datetime")
    def datetime_filter(value: Any) -> str:
        return "–" if value is None else format_datetime(value, "medium")

    @app.template_filter("date")
    def date_filter(value: Any) -> str:
        return "–" if value is None else format_date(value, "medium")

    @app.template_filter("language_name")
    def language_name_filter(code: str) -> str:
        """A language named in itself, so its speakers find it whatever the page's language."""
        return language_name(code)

    @app.template_filter("country_name")
    def country_name_filter(code: str) -> str:
        return str(Locale.parse(str(get_locale())).territories.get(code, code))

    @app.template_filter("direction")
    def direction_filter(code: str) -> str:
        return direction(code)
