"""Make right-to-left text in WeasyPrint's PDFs extract as the words it shows (issue 14).

WeasyPrint 67 writes each font's ToUnicode map from the text of the first cluster a glyph was drawn
in. For Arabic this goes wrong twice:

* In a right-to-left run a base letter and its mark (tanween, shadda, damma) form one cluster whose
  glyphs come mark first, so the mark glyph is mapped to the whole cluster ("ئً") and the letter to
  nothing; every later use of that mark then extracts with the letter inserted ("مؤشرًئا"), and the
  unmapped glyph comes out as a stray character or not at all.
* A lam-alef ligature glyph is mapped to its letters in logical order ("لأ"). Extractors (poppler's
  pdftotext, pdfium in Chrome and Edge, pdf.js in Firefox, MuPDF) spread a glyph's characters left to
  right over the glyph and then reverse the right-to-left line, so "الأموال" comes out as "األموال" and
  "لا" as "ال".

`fix_text_mapping` is a WeasyPrint finisher (a public `write_pdf` hook) that rewrites the ToUnicode map
of every font that shows right-to-left text: each glyph gets the text the font itself says it draws
(its cmap, followed through the GSUB substitutions and ligatures), and a glyph that stands for several
right-to-left characters gets them in visual order, which those extractors turn back into logical order.
It changes no drawing: the pages look exactly as before.
"""

from __future__ import annotations

import io
import re
import unicodedata
from functools import lru_cache
from typing import Any

from fontTools.ttLib import TTFont

_ENTRY = re.compile(rb"<([0-9a-f]{4})> <([0-9a-f]*)>")


def _rtl(text: str) -> bool:
    return bool(text) and unicodedata.bidirectional(text[0]) in ("R", "AL")


def _presentation_form(code: int) -> bool:
    return 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF


@lru_cache(maxsize=32)
def glyph_texts(font_data: bytes) -> dict[int, str]:
    """{glyph id: the characters it draws}, from the cmap and the GSUB single, alternate, multiple and
    ligature substitutions (contextual lookups only point at those)."""
    font = TTFont(io.BytesIO(font_data), lazy=True)
    text: dict[str, str] = {}
    presentation: dict[str, str] = {}
    for table in font["cmap"].tables:
        if table.isUnicode():
            for code, name in sorted(table.cmap.items()):
                (presentation if _presentation_form(code) else text).setdefault(name, chr(code))
    subtables = []
    if "GSUB" in font:
        for lookup in font["GSUB"].table.LookupList.Lookup:
            for subtable in lookup.SubTable:
                subtables.append(subtable.ExtSubTable if lookup.LookupType == 7 else subtable)
    changed = True
    while changed:
        changed = False
        for subtable in subtables:
            pairs: list[tuple[str, str]] = []
            kind = type(subtable).__name__
            if kind == "SingleSubst":
                pairs = [(b, text[a]) for a, b in subtable.mapping.items() if a in text]
            elif kind == "AlternateSubst":
                pairs = [(b, text[a]) for a, bs in subtable.alternates.items() if a in text for b in bs]
            elif kind == "MultipleSubst":
                pairs = [(seq[0], text[a]) for a, seq in subtable.mapping.items() if a in text and seq]
            elif kind == "LigatureSubst":
                for first, ligatures in subtable.ligatures.items():
                    for ligature in ligatures:
                        parts = [first, *ligature.Component]
                        if all(p in text for p in parts):
                            pairs.append((ligature.LigGlyph, "".join(text[p] for p in parts)))
            for glyph, value in pairs:
                if glyph not in text:
                    text[glyph] = value
                    changed = True
    for glyph, value in presentation.items():
        text.setdefault(glyph, value)
    ids = {name: i for i, name in enumerate(font.getGlyphOrder())}
    return {ids[name]: unicodedata.normalize("NFC", value) for name, value in text.items() if name in ids}


def _font_data(font: Any) -> bytes:
    # The embedded file is a subset without GSUB by now; the HarfBuzz face still holds the whole font.
    from weasyprint.text.fonts import get_hb_object_data

    return bytes(get_hb_object_data(font.hb_face))


def fix_text_mapping(document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: `document.write_pdf(finisher=fix_text_mapping)`."""
    fonts = {font.name: font for font in document.fonts.values()}
    for obj in pdf.objects:
        if not isinstance(obj, dict) or obj.get("Type") != "/Font" or "ToUnicode" not in obj:
            continue
        font = fonts.get(obj.get("BaseFont"))
        if font is None:
            continue
        cmap = pdf.objects[int(obj["ToUnicode"].split()[0])]
        entries = []
        for index, line in enumerate(cmap.stream):
            match = _ENTRY.fullmatch(line) if isinstance(line, bytes) else None
            if match:
                old = bytes.fromhex(match.group(2).decode()).decode("utf-16-be")
                entries.append((index, int(match.group(1), 16), old))
        if not any(_rtl(old) for _, _, old in entries):
            continue
        texts = glyph_texts(_font_data(font))
        for index, glyph, old in entries:
            new = texts.get(glyph) or old
            if len(new) > 1 and _rtl(new):
                new = new[::-1]  # visual order: extractors reverse it with the rest of the line
            if new != old:
                cmap.stream[index] = f"<{glyph:04x}> <{new.encode('utf-16-be').hex()}>".encode()
