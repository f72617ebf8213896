"""QR codes for printed materials: the survey link of a campaign, scannable from paper.

SVG from segno (pure Python, no network, no image library), so the same code draws on screen,
in WeasyPrint's PDF and on paper at any size."""

from __future__ import annotations

import io

import segno
from markupsafe import Markup


def qr_svg(url: str, *, title: str = "") -> Markup:
    """An inline SVG QR code of `url`: error level M survives a crease or a smudge; the quiet
    zone of four modules is what scanners expect."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", scale=4, border=4, xmldecl=False, svgns=True, title=title or None, svgclass="qr",
        lineclass=None, omitsize=True,
    )  # fmt: skip
    return Markup(out.getvalue().decode("utf-8"))  # noqa: S704 - segno's own markup; the URL is escaped by it
