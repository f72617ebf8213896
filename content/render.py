"""Render a `Toolkit` to HTML (Jinja) and to print-ready PDF (WeasyPrint).

Fonts come from the system (Debian's fonts-noto-core covers Latin, Cyrillic, Vietnamese and
Arabic) and WeasyPrint embeds the subsets it uses, so a PDF prints the same anywhere. Card and
poster must stay on two pages and one page whatever the language's length, so they are
rendered, measured and re-rendered smaller when a translation runs long.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .locales import Translator, direction, nfc
from .qr import qr_svg
from .toolkit import TEMPLATES_DIR, Toolkit

PAPERS = {"a4": "A4", "letter": "letter", "a3": "A3"}
DOCUMENT_PAPERS = ("a4", "letter")
POSTER_PAPERS = ("a4", "a3")
# The poster's type scales with the sheet: A3 is A4 enlarged by the square root of two.
POSTER_UNIT = {"a4": 1.0, "a3": 2**0.5}
SHRINK_STEPS = (1.0, 0.9, 0.8, 0.7, 0.6)


class RenderError(RuntimeError):
    pass


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _css() -> Markup:
    return Markup((TEMPLATES_DIR / "toolkit.css").read_text(encoding="utf-8"))  # noqa: S704 - our own file


def _render(template: str, toolkit: Toolkit, translator: Translator | None = None, **extra: Any) -> str:
    t = translator or Translator(toolkit.locale, html=True)
    html = _environment().get_template(template).render(
        tk=toolkit,
        t=t,
        _=t.gettext,
        ngettext=t.ngettext,
        locale=toolkit.locale,
        dir=direction(toolkit.locale),
        css=_css(),
        qr=qr_svg,
        **extra,
    )
    return nfc(html)


def render_html(toolkit: Toolkit) -> str:
    """The responsive page: one self-contained file (styles inline) that works offline."""
    return _render("toolkit.html", toolkit)


def _pdf(html: str, extra_css: str = "") -> Any:
    from weasyprint import CSS, HTML

    stylesheets = [CSS(string=extra_css)] if extra_css else []
    return HTML(string=html, base_url=str(TEMPLATES_DIR)).render(stylesheets=stylesheets)


def render_pdf(toolkit: Toolkit, paper: str = "a4") -> bytes:
    if paper not in DOCUMENT_PAPERS:
        raise ValueError(f"Unknown paper {paper!r} for a document; expected one of: {', '.join(DOCUMENT_PAPERS)}")
    footer = f"{toolkit.version} · "
    page_css = (
        f"@page {{ size: {PAPERS[paper]}; margin: 16mm 15mm 18mm; "
        f'@bottom-center {{ content: "{footer}" counter(page) " / " counter(pages); '
        "font-size: 8pt; color: #4a5568; } }"
    )
    document = _pdf(render_html(toolkit), page_css)
    return bytes(document.write_pdf())


def _fit(template: str, toolkit: Toolkit, pages: int, **extra: Any) -> bytes:
    """Render at full size, then smaller, until the document fits on `pages` pages."""
    for scale in SHRINK_STEPS:
        document = _pdf(_render(template, toolkit, scale=scale, **extra))
        if len(document.pages) <= pages:
            return bytes(document.write_pdf())
    raise RenderError(
        f"{template} for {toolkit.audience.id}/{toolkit.locale} does not fit on {pages} page(s) even at "
        f"{SHRINK_STEPS[-1]:.0%} size; shorten the text"
    )


def render_card(toolkit: Toolkit) -> bytes:
    """Two-sided wallet card, 85.6 × 54 mm (ID-1): key signs and the helpline on the front,
    what to do and the emergency number on the back."""
    by_kind: dict[str, Any] = {}
    for step in toolkit.steps:
        by_kind.setdefault(step.kind, step)
    wanted = ("rights", "safety", "no-confront", "report") if toolkit.audience.second_person else (
        "safety", "no-confront", "record", "report"
    )
    steps = [by_kind[k] for k in wanted if k in by_kind]
    return _fit("card.html", toolkit, 2, signs=3, card_steps=steps)


def render_poster(toolkit: Toolkit, paper: str = "a4") -> bytes:
    if paper not in POSTER_PAPERS:
        raise ValueError(f"Unknown paper {paper!r} for a poster; expected one of: {', '.join(POSTER_PAPERS)}")
    return _fit("poster.html", toolkit, 1, signs=5, paper_size=PAPERS[paper], unit=POSTER_UNIT[paper])
