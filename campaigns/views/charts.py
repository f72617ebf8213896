"""Small charts drawn on the server as SVG: no script, no library to ship, readable with the
page's CSP (presentation attributes, no inline styles), and printable.

The reach chart draws each reporting period as a flat step over the days it covers, one line per
channel and period length: a weekly figure spans its week instead of being a point that looks
seven times a daily one, and daily and weekly figures are never joined into one line. Time runs left to right in every
language; every label is anchored at its middle, which means the same in a right-to-left page,
and keeps the page's direction so Arabic dates read as they should."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import pandas as pd
from markupsafe import Markup, escape

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE: Final = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
DASHES: Final = ("", "6 3", "2 3", "8 3 2 3")
WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 40


@dataclass(frozen=True)
class Series:
    """One line: a channel's figures for periods of one length."""

    key: str
    label: str
    colour: str
    dash: str
    steps: list[tuple[date, date, int]]  # start, end (inclusive), value


def _nice_max(value: float) -> int:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return int(10 * magnitude)


def reach_series(timeline: pd.DataFrame, labels: Mapping[str, str], period_label: Mapping[int, str]) -> list[Series]:
    """The timeline's reach figures grouped by channel and period length (days)."""
    frame = timeline[timeline["reached"].notna()].copy()
    if frame.empty:
        return []
    frame["days"] = [(e - s).days + 1 for s, e in zip(frame["period_start"], frame["period_end"], strict=True)]
    out: list[Series] = []
    channels = list(dict.fromkeys(frame["channel"]))
    for (channel, days), group in frame.groupby(["channel", "days"], sort=True):
        colour = PALETTE[channels.index(channel) % len(PALETTE)]
        lengths = sorted(frame.loc[frame["channel"] == channel, "days"].unique())
        dash = DASHES[min(lengths.index(days), len(DASHES) - 1)]
        name = f"{labels.get(str(channel), str(channel))} — {period_label.get(int(days), str(days))}"
        steps = [(s, e, int(v)) for s, e, v in zip(group["period_start"], group["period_end"], group["reached"],
                                                   strict=True)]  # fmt: skip
        out.append(Series(f"{channel}-{days}", name, colour, dash, sorted(steps)))
    return out


def reach_chart(
    series: list[Series], *, first: date, last: date, title: str, describe: str, format_number: object,
    format_day: object,
) -> Markup:
    """The SVG: y = people reached in the period, x = days; `format_number`/`format_day` are the
    page's locale formatters (callables)."""
    if not series or last < first:
        return Markup("")
    top = _nice_max(max(v for s in series for _, _, v in s.steps))
    span = (last - first).days + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'class="chart" aria-labelledby="chart-title chart-desc">'
             f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(describe)}</desc>']
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        value = top * fraction
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#dddddd" stroke-width="1"/>'
                     f'<text x="{LEFT / 2:.0f}" y="{y(value) + 4:.1f}" text-anchor="middle" font-size="11" '
                     f'fill="#444444">'
                     f'{escape(format_number(int(value)))}</text>')  # type: ignore[operator]
    ticks = [first, first + timedelta(days=span // 2), last]
    for i, day in enumerate(ticks):
        position = (x(day) + 40, x(day), x(day + timedelta(days=1)) - 40)[i]  # inside the plot, centred
        parts.append(f'<text x="{position:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" '
                     f'fill="#444444">{escape(format_day(day))}</text>')  # type: ignore[operator]
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#888888"/>')
    for s in series:
        path: list[str] = []
        previous_end: date | None = None
        for start, end, value in s.steps:
            x1, x2, yy = x(max(start, first)), x(min(end, last) + timedelta(days=1)), y(value)
            if previous_end is not None and start == previous_end + timedelta(days=1):
                path.append(f"V{yy:.1f}H{x2:.1f}")
            else:
                path.append(f"M{x1:.1f} {yy:.1f}H{x2:.1f}")
            previous_end = end
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        parts.append(f'<path d="{"".join(path)}" fill="none" stroke="{s.colour}" stroke-width="2"{dash} '
                     f'data-series="{escape(s.key)}"><title>{escape(s.label)}</title></path>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text put in above went through escape()


@dataclass(frozen=True)
class Interval:
    """One row of an interval chart: a share with its interval (None where not shown)."""

    label: str
    share: float | None
    lower: float | None
    upper: float | None
    colour: str


ROW_H: Final = 26


def interval_chart(
    rows: list[Interval], *, title: str, describe: str, format_share: object, label_w: int = 230
) -> Markup:
    """Dots with interval whiskers on a 0-100 % axis, one row per wave and group, so a reader sees
    at a glance whether the intervals of before and after overlap. Rows without a share (hidden,
    no answers) keep their place with a dash, so nothing silently disappears."""
    if not rows:
        return Markup("")
    height = TOP + ROW_H * len(rows) + BOTTOM
    plot_w = WIDTH - label_w - RIGHT - 24  # room for half of the "100 %" label

    def x(value: float) -> float:
        return label_w + plot_w * max(0.0, min(1.0, value))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" class="chart" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title><desc>{escape(describe)}</desc>']
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{TOP}" y2="{height - BOTTOM}" stroke="#dddddd"/>'
                     f'<text x="{x(tick):.1f}" y="{height - BOTTOM + 16}" text-anchor="middle" font-size="11" '
                     f'fill="#444444">{escape(format_share(tick))}</text>')  # type: ignore[operator]
    for i, row in enumerate(rows):
        yy = TOP + ROW_H * i + ROW_H / 2
        parts.append(f'<text x="{label_w / 2:.0f}" y="{yy + 4:.1f}" text-anchor="middle" font-size="12" '
                     f'fill="#222222">{escape(row.label)}</text>')
        if row.share is None:
            parts.append(f'<text x="{x(0) + 12:.1f}" y="{yy + 4:.1f}" font-size="12" fill="#666666">–</text>')
            continue
        if row.lower is not None and row.upper is not None:
            parts.append(f'<line x1="{x(row.lower):.1f}" x2="{x(row.upper):.1f}" y1="{yy:.1f}" y2="{yy:.1f}" '
                         f'stroke="{row.colour}" stroke-width="3"/>')
        parts.append(f'<circle cx="{x(row.share):.1f}" cy="{yy:.1f}" r="5" fill="{row.colour}">'
                     f'<title>{escape(row.label)}: {escape(format_share(row.share))}</title></circle>')  # type: ignore[operator]
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text put in above went through escape()
