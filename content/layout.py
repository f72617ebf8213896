"""Find text that a layout put where nobody can read it: outside the page's printable area,
outside a box drawn around it (a coloured band, a bordered panel), or on top of other text.

A fixed-height card side or poster sheet does not grow a page when a translation runs long:
the text spills under the next block instead, and a page count never notices. So the card
and poster renderers ask this module about every line of a candidate layout and shrink the
type until it reports nothing. It reads WeasyPrint's laid-out boxes (positions in CSS px);
the tests check the same promise independently, from the PDF's own text positions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Line boxes of one paragraph touch without overlapping; lines of two blocks laid on top of each
# other share some height. A pair counts as overlapping when they share more than this share of
# the shorter line's height (a twentieth: rounding, not ink).
OVERLAP_SHARE = 0.05
TOLERANCE_PX = 0.75  # a quarter point: rounding, not overflow


def walk(box: Any) -> Any:
    """Every box under `box`, including absolutely positioned ones (WeasyPrint's own
    `descendants()` stops at their placeholders)."""
    yield box
    for child in getattr(box, "children", ()):
        yield from walk(getattr(child, "_box", child))


def _text_boxes(page_box: Any) -> list[tuple[Any, Any]]:
    """(text, its line) for every visible fragment. A fragment's own height is the font's
    ascent plus descent, taller than a tight line-height; the line is what the layout gave it."""
    from weasyprint.formatting_structure import boxes

    found: list[tuple[Any, Any]] = []

    def visit(box: Any, line: Any) -> None:
        if isinstance(box, boxes.TextBox):
            if box.text.strip() and line is not None:
                found.append((box, line))
            return
        if isinstance(box, boxes.LineBox):
            line = box
        for child in getattr(box, "children", ()):
            visit(getattr(child, "_box", child), line)

    visit(page_box, None)
    return found


def _framed(page_box: Any) -> list[Any]:
    """Blocks that draw a frame (a background or a border): text inside must stay inside."""
    from weasyprint.formatting_structure import boxes

    framed = []
    for box in walk(page_box):
        if not isinstance(box, boxes.BlockContainerBox | boxes.FlexContainerBox | boxes.TableBox) or isinstance(
                box, boxes.PageBox):
            continue
        style = box.style
        background = style["background_color"]
        borders = sum(style[f"border_{side}_width"] for side in ("top", "right", "bottom", "left"))
        if (background is not None and background.alpha > 0) or borders > 0:
            framed.append(box)
    return framed


def _rectangles(pairs: list[tuple[Any, Any]]) -> np.ndarray:
    return np.array([(b.position_x, line.position_y, b.position_x + b.width, line.position_y + line.height)
                     for b, line in pairs], dtype=float).reshape(-1, 4)


def _describe(box: Any) -> str:
    return repr(box.text.strip()[:40])


def page_problems(page_box: Any) -> list[str]:
    pairs = _text_boxes(page_box)
    if not pairs:
        return []
    texts = [b for b, _line in pairs]
    found: list[str] = []
    rect = _rectangles(pairs)
    x0, y0 = page_box.content_box_x(), page_box.content_box_y()
    x1, y1 = x0 + page_box.width, y0 + page_box.height
    outside = ((rect[:, 0] < x0 - TOLERANCE_PX) | (rect[:, 1] < y0 - TOLERANCE_PX)
               | (rect[:, 2] > x1 + TOLERANCE_PX) | (rect[:, 3] > y1 + TOLERANCE_PX))
    found += [f"text {_describe(texts[i])} runs outside the printable area" for i in np.flatnonzero(outside)]

    index = {id(b): i for i, b in enumerate(texts)}
    for frame in _framed(page_box):
        inside = [index[id(b)] for b in walk(frame) if id(b) in index]
        fx0, fy0 = frame.border_box_x(), frame.border_box_y()
        fx1, fy1 = fx0 + frame.border_width(), fy0 + frame.border_height()
        if inside:
            r = rect[inside]
            out = ((r[:, 0] < fx0 - TOLERANCE_PX) | (r[:, 1] < fy0 - TOLERANCE_PX)
                   | (r[:, 2] > fx1 + TOLERANCE_PX) | (r[:, 3] > fy1 + TOLERANCE_PX))
            found += [f"text {_describe(texts[inside[i]])} runs out of its box" for i in np.flatnonzero(out)]
        # Text of another block must not run under this one's background or rule.
        others = np.setdiff1d(np.arange(len(texts)), inside)
        r = rect[others]
        under = ((np.minimum(r[:, 2], fx1) - np.maximum(r[:, 0], fx0) > TOLERANCE_PX)
                 & (np.minimum(r[:, 3], fy1) - np.maximum(r[:, 1], fy0) > TOLERANCE_PX))
        found += [f"text {_describe(texts[others[i]])} runs under a framed block" for i in np.flatnonzero(under)]

    # Every pair at once: overlap widths and heights by broadcasting.
    wide = np.minimum(rect[:, None, 2], rect[None, :, 2]) - np.maximum(rect[:, None, 0], rect[None, :, 0])
    tall = np.minimum(rect[:, None, 3], rect[None, :, 3]) - np.maximum(rect[:, None, 1], rect[None, :, 1])
    heights = rect[:, 3] - rect[:, 1]
    shorter = np.minimum(heights[:, None], heights[None, :])
    clash = (wide > TOLERANCE_PX) & (tall > OVERLAP_SHARE * shorter)
    first, second = np.nonzero(np.triu(clash, k=1))
    found += [f"text {_describe(texts[i])} overlaps {_describe(texts[j])}" for i, j in zip(first, second, strict=True)]
    return found


def problems(document: Any) -> list[tuple[int, str]]:
    """(page index, what is wrong) for every line out of place in a rendered document."""
    return [(number, message) for number, page in enumerate(document.pages)
            for message in page_problems(page._page_box)]


def room_above(page_box: Any, marker: str) -> float:
    """Empty height (CSS px) between the lowest line of text and the top of the block whose
    element has `marker` among its classes: what a poster can spread between its signs."""
    target = next((box for box in walk(page_box) if marker in (getattr(box, "element", None) is not None
                   and (box.element.get("class") or "").split() or [])), None)
    if target is None:
        return 0.0
    inside = {id(b) for b in walk(target)}
    bottoms = [line.position_y + line.height for text, line in _text_boxes(page_box) if id(text) not in inside]
    return max(0.0, target.border_box_y() - max(bottoms)) if bottoms else 0.0
