"""Partner logos: the check a file passes before it is stored and printed on a toolkit.

A logo is embedded in every format (the HTML page, the PDF, the poster), and the HTML page is
opened by anyone with a published link, so only two kinds are taken, each read from the bytes
rather than trusted from the file's name:

- **PNG** of a sensible size: Pillow reads the header and verifies the chunks, so a truncated or
  renamed file is refused here rather than breaking a PDF build later; one frame only (an
  animated PNG would print as its first frame and move on screen).
- **SVG** without anything active or remote: parsed by defusedxml (no DTD, no entities, so no
  "billion laughs" or external entity reads), and refused when it holds a script, a
  `foreignObject` (HTML inside the drawing), an `on…` event attribute, or a reference to
  anything outside the file (a remote image or stylesheet would also leak who opened the page).

`check_logo` either returns a `content.Logo` ready to embed or raises `LogoError`, whose message
names the file and says what was expected, for the page to show as it is.
"""

from __future__ import annotations

import io
import re
from pathlib import PurePath
from typing import Final
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException
from PIL import Image, UnidentifiedImageError

from .questions import N_
from .toolkit import Logo

MAX_BYTES: Final = 512 * 1024
MAX_SIDE: Final = 2000  # pixels: larger is only weight in a PDF; a print logo is a few centimetres
MIN_SIDE: Final = 64  # pixels on the short side: smaller prints as a blur
PNG: Final = "image/png"
SVG: Final = "image/svg+xml"
PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
SVG_NS: Final = "http://www.w3.org/2000/svg"
XLINK_NS: Final = "http://www.w3.org/1999/xlink"
# What an href inside the SVG may point at: its own elements, or an image carried inside it.
ALLOWED_REFERENCES: Final = ("#", "data:image/png", "data:image/jpeg")
FORBIDDEN_ELEMENTS: Final = frozenset({"script", "foreignobject"})
# Kinds people upload by mistake, told by their first bytes, so the message can say what it was.
OTHER_KINDS: Final = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP (Word, PowerPoint)"),
    (b"RIFF", "RIFF (WebP)"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
EXTENSIONS: Final = {".png": PNG, ".svg": SVG}
_URL_IN_CSS: Final = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.I)


# The English text of each refusal, every one naming the file. Marked for the message catalogs,
# so the application shows the same text in the reader's language (`gettext(MESSAGES[code])`).
MESSAGES: Final = {
    "empty": N_("%(file)s is empty. Upload the logo as a PNG or SVG file."),
    "too_big": N_("%(file)s is %(size)s; a logo may be at most %(limit)s. Save it smaller (a PNG of at most 2000 "
                  "pixels a side, or an SVG) and upload it again."),
    "other_kind": N_("%(file)s is a %(kind)s file. Upload the logo as a PNG or SVG file."),
    "not_image": N_("%(file)s is neither a PNG nor an SVG image. Upload the logo as a PNG or SVG file."),
    "extension": N_("%(file)s is named %(suffix)s but holds a %(kind)s image. Check it is the logo you meant; if it "
                    "is, rename it to end in %(right)s and upload it again."),
    "png_unreadable": N_("%(file)s is not a readable PNG image (it may be damaged). Upload a PNG or SVG file."),
    "png_animated": N_("%(file)s is an animated PNG. Upload a still PNG or an SVG."),
    "png_too_large": N_("%(file)s is %(width)s × %(height)s pixels; a logo may be at most %(limit)s × %(limit)s. Save"
                        " it smaller and upload it again."),
    "png_too_small": N_("%(file)s is %(width)s × %(height)s pixels; a logo needs at least %(limit)s pixels on its "
                        "short side to print sharply. Upload a larger PNG, or an SVG."),
    "svg_doctype": N_("%(file)s has a DOCTYPE or <!ENTITY> declaration, which a logo may not carry. Export the SVG "
                      "again without it (most editors have a plain SVG option)."),
    "svg_stylesheet": N_("%(file)s loads a stylesheet from outside the file. Export the SVG with its styles inside "
                         "it."),
    "svg_malformed": N_("%(file)s is not a well-formed SVG file. Export it again from your editor."),
    "svg_root": N_("%(file)s does not start with an <svg> element in the SVG namespace. Export it again as an SVG."),
    "svg_element": N_("%(file)s contains a <%(element)s> element. A logo must be a plain drawing: export it again "
                      "without scripts or embedded HTML."),
    "svg_event": N_("%(file)s has an event handler (%(attribute)s on <%(element)s>). A logo must be a plain drawing: "
                    "export it again without scripts."),
    "svg_reference": N_("%(file)s refers to something outside the file (%(target)s in <%(element)s>). Embed the "
                        "images in the SVG, or export it as a PNG."),
}


class LogoError(ValueError):
    """A file that cannot be a partner logo. `str()` is the English message for the person who
    uploaded it; `code` and `params` let a page say the same in the reader's language."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(MESSAGES[code] % params)


def check_logo(filename: str, data: bytes, *, name: str = "") -> Logo:
    """Check an uploaded logo and return it ready to embed, or raise `LogoError`.

    `name` is the partner's name (the logo's text alternative); without one, the file's name
    without its extension stands in."""
    shown = PurePath((filename or "").replace("\\", "/")).name or "logo"
    if not data:
        raise LogoError("empty", file=shown)
    if len(data) > MAX_BYTES:
        raise LogoError("too_big", file=shown, size=size_text(len(data)), limit=size_text(MAX_BYTES))
    media_type = _sniff(data)
    if media_type is None:
        kind = next((kind for magic, kind in OTHER_KINDS if data.startswith(magic)), None)
        if kind:
            raise LogoError("other_kind", file=shown, kind=kind)
        raise LogoError("not_image", file=shown)
    _check_extension(shown, media_type)
    if media_type == PNG:
        _check_png(shown, data)
    else:
        _check_svg(shown, data)
    return Logo(name=name or PurePath(shown).stem, media_type=media_type, data=data)


def size_text(count: int) -> str:
    """A byte count as a person reads it: 300 KB, 1.5 MB."""
    return f"{count / 1024:.0f} KB" if count < 1024 * 1024 else f"{count / 1024 / 1024:.1f} MB"


def _sniff(data: bytes) -> str | None:
    """The type the bytes are, whatever the file is called: a PNG by its signature, an SVG by
    being XML-looking text that opens an <svg> element."""
    if data.startswith(PNG_SIGNATURE):
        return PNG
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") and re.search(rb"<(?:[A-Za-z_][\w.-]*:)?svg[\s>/]", head):
        return SVG
    return None


def _check_extension(shown: str, media_type: str) -> None:
    """A name that says another type means the wrong file was probably picked: say which is which
    rather than store something the uploader did not mean to send. A name without an extension
    is taken by its content."""
    suffix = PurePath(shown).suffix.lower()
    if suffix and EXTENSIONS.get(suffix) != media_type:
        kind, right = ("PNG", ".png") if media_type == PNG else ("SVG", ".svg")
        raise LogoError("extension", file=shown, suffix=suffix, kind=kind, right=right)


def _check_png(shown: str, data: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            animated = getattr(image, "is_animated", False) or getattr(image, "n_frames", 1) > 1
            width, height = image.size
            image.verify()  # chunk checksums and structure, without decoding the pixels
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise LogoError("png_unreadable", file=shown) from exc
    if animated:
        raise LogoError("png_animated", file=shown)
    if width > MAX_SIDE or height > MAX_SIDE:
        raise LogoError("png_too_large", file=shown, width=width, height=height, limit=MAX_SIDE)
    if min(width, height) < MIN_SIDE:
        raise LogoError("png_too_small", file=shown, width=width, height=height, limit=MIN_SIDE)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag.split(":")[-1]


def _check_svg(shown: str, data: bytes) -> None:
    # Looked for before parsing so the message is the same whichever part of the parser notices.
    if re.search(rb"<!DOCTYPE|<!ENTITY", data, re.I):
        raise LogoError("svg_doctype", file=shown)
    if re.search(rb"<\?xml-stylesheet", data, re.I):  # a processing instruction the tree drops
        raise LogoError("svg_stylesheet", file=shown)
    try:
        root = safe_xml.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise LogoError("svg_doctype", file=shown) from exc
    except (ParseError, ValueError) as exc:
        raise LogoError("svg_malformed", file=shown) from exc
    if root.tag != f"{{{SVG_NS}}}svg":
        raise LogoError("svg_root", file=shown)
    for element in root.iter():
        _check_element(shown, element)


def _check_element(shown: str, element: Element) -> None:
    tag = _local(str(element.tag))
    if tag.lower() in FORBIDDEN_ELEMENTS:
        raise LogoError("svg_element", file=shown, element=tag)
    for attribute, value in element.attrib.items():
        local = _local(attribute)
        if local.lower().startswith("on"):
            raise LogoError("svg_event", file=shown, attribute=local, element=tag)
        if local.lower() == "href" and not _allowed_reference(value):
            raise LogoError("svg_reference", file=shown, target=_clip(value), element=tag)
        if local.lower() == "style":
            _check_css(shown, value, tag)
    if tag.lower() == "style" and element.text:
        _check_css(shown, element.text, tag)


def _check_css(shown: str, css: str, tag: str) -> None:
    """Styles can load things too: `@import` and `url(...)` other than the file's own parts."""
    if "@import" in css.lower():
        raise LogoError("svg_stylesheet", file=shown)
    for target in _URL_IN_CSS.findall(css):
        if not _allowed_reference(target):
            raise LogoError("svg_reference", file=shown, target=_clip(target), element=tag)


def _allowed_reference(value: str) -> bool:
    target = "".join(value.split()).lower()
    return target.startswith(ALLOWED_REFERENCES)


def _clip(value: str, limit: int = 60) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"
