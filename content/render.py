"""Render a `Toolkit` to HTML (Jinja) and to print-ready PDF (WeasyPrint).

Fonts come from the system (Debian's fonts-noto-core covers Latin, Cyrillic, Vietnamese and
Arabic) and WeasyPrint embeds the subsets it uses, so a PDF prints the same anywhere. Every PDF
goes through `pdftext.fix_text_mapping`, which corrects the ToUnicode maps WeasyPrint writes for
Arabic (lam-alef ligatures, marks), so that copying, search and screen readers get the words as
written. Card and poster must stay on two pages and one page whatever the language's length, so
they are rendered, measured (`content.layout`) and re-rendered at the largest size that fits.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .layout import problems, room_above, walk
from .library import Step
from .locales import Translator, direction, nfc
from .pdftext import fix_text_mapping
from .qr import qr_svg
from .toolkit import TEMPLATES_DIR, Toolkit

PAPERS = {"a4": "A4", "letter": "letter", "a3": "A3"}
PAPER_MM = {"a4": (210.0, 297.0), "letter": (215.9, 279.4), "a3": (297.0, 420.0)}
DOCUMENT_PAPERS = ("a4", "letter")
POSTER_PAPERS = ("a4", "letter", "a3")
# The poster's type scales with the sheet: A3 is A4 enlarged by the square root of two.
POSTER_UNIT = {"a4": 1.0, "letter": 1.0, "a3": 2**0.5}


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


def _render(template: str, toolkit: Toolkit, **extra: Any) -> str:
    t = Translator(toolkit.locale, html=True)
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


def _css_string(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def render_pdf(toolkit: Toolkit, paper: str = "a4") -> bytes:
    if paper not in DOCUMENT_PAPERS:
        raise ValueError(f"Unknown paper {paper!r} for a document; expected one of: {', '.join(DOCUMENT_PAPERS)}")
    footer = f"{toolkit.version} · "
    header = ""
    if needs_draft_mark(toolkit):
        t = Translator(toolkit.locale, html=False)
        mark = f"{t.gettext('DRAFT')} · " + t.gettext(
            "A helpline number here has not been checked. Check it and record the date before printing copies."
        )
        header = (f"@top-center {{ content: {_css_string(mark)}; font-size: 8pt; font-weight: 700; "
                  "color: #b42318; border-bottom: 0.6mm solid #b42318; width: 100%; } ")
    page_css = (
        f"@page {{ size: {PAPERS[paper]}; margin: 16mm 15mm 18mm; {header}"
        f'@bottom-center {{ content: "{footer}" counter(page) " / " counter(pages); '
        "font-size: 8pt; color: #4a5568; } }"
    )
    document = _pdf(render_html(toolkit), page_css)
    return bytes(document.write_pdf(finisher=fix_text_mapping))


# Type scales tried for a card side or a poster, largest first: the renderer keeps the largest
# at which every line stays inside its box, so short text fills the space and long text fits.
SCALES = tuple(round(1.8 * (0.6 / 1.8) ** (step / 23), 3) for step in range(24))  # 180 % to 60 %, 4.7 % apart
CARD_FACES = ("front_scale", "back_scale")


def _largest_fitting(render: Callable[[dict[str, float]], Any], parts: tuple[str, ...], pages: int,
                     what: str, hint: dict[str, int] | None = None) -> tuple[Any, dict[str, int]]:
    """Binary search over `SCALES`, for every part at once (a card side, a poster sheet: an
    element with `data-part`), for the largest type at which the part stays on one page and
    `layout.problems` finds nothing there. A part that runs long spills onto a page of its own,
    so each verdict is the part's alone: about log2(24) = 5 renders for a two-sided card. A
    `hint` (the answer for the same text on another paper) is tried first, then its neighbour:
    two renders when it is right. Returns the document and the chosen scale indexes."""
    low = dict.fromkeys(parts, 0)  # index of the largest scale not yet ruled out
    high = dict.fromkeys(parts, len(SCALES) - 1)
    best: dict[str, int] = {}
    forced = {p: i for p, i in (hint or {}).items() if p in parts and 0 <= i < len(SCALES)}
    neighbour_tried: set[str] = set()
    rendered: dict[tuple[int, ...], tuple[Any, set[str]]] = {}  # trial -> (document, parts that fit)
    while any(low[p] <= high[p] for p in parts):
        trial = {}
        for p in parts:
            if low[p] > high[p]:
                trial[p] = best.get(p, len(SCALES) - 1)
            elif low[p] <= forced.get(p, -1) <= high[p]:
                trial[p] = forced[p]
            else:
                trial[p] = (low[p] + high[p]) // 2
        document = render({p: SCALES[trial[p]] for p in parts})
        fitting = _fitting_parts(document)
        rendered[tuple(trial[p] for p in parts)] = (document, fitting)
        for part in parts:
            if low[part] > high[part]:
                continue
            guessing = forced.pop(part, -1) == trial[part] and part not in neighbour_tried
            if part in fitting:
                best[part], high[part] = trial[part], trial[part] - 1
            else:
                low[part] = trial[part] + 1
            if guessing:  # the hint was tried: try its neighbour once, then search as usual
                neighbour_tried.add(part)
                forced[part] = trial[part] - 1 if part in fitting else trial[part] + 1
    missing = [p for p in parts if p not in best]
    if missing:
        raise RenderError(f"{what} does not fit even at {SCALES[-1]:.0%} size ({', '.join(missing)}); shorten the text")
    final, fitting = rendered.get(tuple(best[p] for p in parts), (None, set()))
    if final is None:  # the parts' best sizes were found in different trials: render them together
        final = render({p: SCALES[best[p]] for p in parts})
        fitting = _fitting_parts(final)
    if len(final.pages) != pages or fitting != set(parts):
        left = problems(final)
        raise RenderError(f"{what}: {left[0][1] if left else 'a part does not fit its page'}")
    return final, best


def _fitting_parts(document: Any) -> set[str]:
    """Parts (`data-part` elements) that lie on exactly one page, with no layout problem there
    and with their last block (`data-end`) laid out: a fixed-height block that overflows its
    page may simply drop what does not fit, which no measurement of what is left would see."""
    on_pages: dict[str, list[int]] = {}
    ended: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        first = None
        for box in walk(page._page_box):
            element = getattr(box, "element", None)
            if element is None:
                continue
            if first is None and element.get("data-part"):
                first = element.get("data-part")
            if element.get("data-end"):
                ended[element.get("data-end")] = number
        if first:
            on_pages.setdefault(first, []).append(number)
    troubled = {number for number, _ in problems(document)}
    return {part for part, numbers in on_pages.items()
            if len(numbers) == 1 and numbers[0] not in troubled and ended.get(part) == numbers[0]}


def _steps(toolkit: Toolkit, second_person: tuple[str, ...], third_person: tuple[str, ...]) -> list[Step]:
    """The audience's first step of each wanted kind, in that order (the card and the poster
    have room for a few, and a worker reads rights before reporting)."""
    by_kind: dict[str, Step] = {}
    for step in toolkit.steps:
        by_kind.setdefault(step.kind, step)
    wanted = second_person if toolkit.audience.second_person else third_person
    return [by_kind[k] for k in wanted if k in by_kind]


def _card_steps(toolkit: Toolkit) -> list[Step]:
    return _steps(toolkit, ("rights", "safety", "no-confront", "report"), ("safety", "no-confront", "record", "report"))


def _poster_steps(toolkit: Toolkit) -> list[Step]:
    return _steps(toolkit, ("rights", "report"), ("no-confront", "report"))


def needs_draft_mark(toolkit: Toolkit) -> bool:
    """A print file whose helpline nobody has checked is a draft: the mark stays until a
    coordinator records the date the number was checked."""
    return any(listed.verify for listed in toolkit.helplines)


def render_card(toolkit: Toolkit) -> bytes:
    """Two-sided wallet card, 85.6 × 54 mm (ID-1): key signs and the helpline on the front,
    what to do and the emergency number on the back."""
    signs = toolkit.key_signs[:3]
    steps = _card_steps(toolkit)
    draft = needs_draft_mark(toolkit)

    def render(scales: dict[str, float]) -> Any:
        return _pdf(_render("card.html", toolkit, signs=signs, card_steps=steps, draft=draft, **scales))

    document, _ = _largest_fitting(render, CARD_FACES, 2, f"card for {toolkit.audience.id}/{toolkit.locale}")
    return bytes(document.write_pdf(finisher=fix_text_mapping))


POSTER_MARGIN_MM = 12.0
# Scale index chosen for a toolkit version's poster, the first guess for its other papers.
_POSTER_HINTS: dict[tuple[str, str], dict[str, int]] = {}


def render_poster(toolkit: Toolkit, paper: str = "a4") -> bytes:
    if paper not in POSTER_PAPERS:
        raise ValueError(f"Unknown paper {paper!r} for a poster; expected one of: {', '.join(POSTER_PAPERS)}")
    unit = POSTER_UNIT[paper]
    margin = round(POSTER_MARGIN_MM * unit, 1)
    height = PAPER_MM[paper][1] - 2 * margin - 0.5  # half a millimetre short, or rounding adds a page
    signs = toolkit.key_signs[:6]
    extra: dict[str, object] = {
        "signs": signs, "poster_steps": _poster_steps(toolkit), "draft": needs_draft_mark(toolkit),
        "paper_size": PAPERS[paper], "unit": unit, "margin_mm": margin, "sheet_height_mm": height,
    }

    def render(scales: dict[str, float]) -> Any:
        return _pdf(_render("poster.html", toolkit, **extra, **scales, spread_px=0.0))

    # The same text on another paper fits at the same step (A3 is A4 enlarged) or next to it
    # (Letter is a little wider and shorter), so an earlier answer is the first guess.
    family = "letter" if paper == "letter" else "iso"
    other = "iso" if family == "letter" else "letter"
    hint = _POSTER_HINTS.get((toolkit.version, family)) or _POSTER_HINTS.get((toolkit.version, other))
    document, chosen = _largest_fitting(render, ("scale",), 1,
                                        f"poster for {toolkit.audience.id}/{toolkit.locale}/{paper}", hint=hint)
    _POSTER_HINTS[(toolkit.version, family)] = chosen
    # What the scale steps leave over goes between the signs and around them, so the sheet has
    # no empty band; kept only if the spread layout still passes every check.
    room = room_above(document.pages[0]._page_box, "bottom")
    slots = len(signs) + 1
    if room > 0 and slots > 1:
        spread = _pdf(_render("poster.html", toolkit, **extra, scale=SCALES[chosen["scale"]],
                              spread_px=0.9 * room / slots))
        if len(spread.pages) == 1 and _fitting_parts(spread) == {"scale"}:
            document = spread
    while len(_POSTER_HINTS) > 256:
        _POSTER_HINTS.pop(next(iter(_POSTER_HINTS)))
    return bytes(document.write_pdf(finisher=fix_text_mapping))
