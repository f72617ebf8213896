"""Every audience × locale × format builds, and the PDFs are right: the locale's letters come
out of pdftotext, every character is drawn by an embedded Noto font (so no fallback boxes),
Arabic runs right to left, cards have two ID-1 sides, posters one page, posts fit their limits.

The 54 ZIPs (each holding every format and paper) are built once per session on two
processes; the tests then read them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import unicodedata
import zipfile
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from content import assemble, build
from content.library import default_library
from content.locales import LOCALE_LETTERS, LOCALES, Translator
from content.social import PLATFORMS, post_length

AUDIENCES = tuple(a.id for a in default_library().audiences)
PAIRS = [(a, code) for a in AUDIENCES for code in LOCALES]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PT_PER_MM = 72 / 25.4
SIZES_MM = {"a4": (210, 297), "letter": (215.9, 279.4), "a3": (297, 420), "card": (85.6, 54)}
ARABIC = re.compile("[\u0600-\u06ff]")
ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]+")
# Letters the full toolkit must show; short formats (card, poster) need only some of them.
REQUIRED = {**LOCALE_LETTERS, "en": "abcdefghiklmnoprstuwy"}


def _build_zip(pair: tuple[str, str], directory: str) -> str:
    audience, code = pair
    artifact = build(assemble(audience, code), "zip")
    target = Path(directory) / f"{audience}-{code}"
    with zipfile.ZipFile(__import__("io").BytesIO(artifact.data)) as archive:
        archive.extractall(target)
    return str(target)


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    directory = tmp_path_factory.mktemp("toolkits")
    with ProcessPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(_build_zip, PAIRS, [str(directory)] * len(PAIRS)))
    return {pair: Path(path) for pair, path in zip(PAIRS, done, strict=True)}


def _text(pdf: Path, *extra: str) -> str:
    return subprocess.run(["pdftotext", *extra, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _pages(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-l", "99", str(pdf)], capture_output=True, text=True, check=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)]


@cache
def _font_file(family: str) -> str:
    return subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True, text=True,
                          check=True).stdout


@cache
def _coverage(files: tuple[str, ...]) -> frozenset[int]:
    covered: set[int] = set()
    for path in files:
        covered |= set(TTFont(path, fontNumber=0).getBestCmap())
    return frozenset(covered)


def _embedded_fonts(pdf: Path) -> list[str]:
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = listing.splitlines()[2:]
    return [row.split()[0].split("+", 1)[-1] for row in rows if row.strip()]


def _assert_drawn_by_noto(pdf: Path, text: str) -> None:
    fonts = _embedded_fonts(pdf)
    assert fonts and all(name.startswith("Noto") for name in fonts), fonts
    families = tuple(sorted({_font_file(name.replace("-", " ").replace(" Bold", ":bold")) for name in fonts}))
    covered = _coverage(families)
    missing = {ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] != "C" and ord(ch) not in covered}
    # pdftotext may emit presentation forms and bidi marks for Arabic; they are drawn, not typed.
    missing = {ch for ch in missing if not ("\ufb50" <= ch <= "\ufeff" or ch in "\u200e\u200f\u202a\u202b\u202c")}
    assert not missing, (pdf.name, sorted(missing))


@pytest.mark.parametrize(("audience", "code"), PAIRS)
def test_every_format_builds_and_the_pdfs_are_whole(bundles, audience: str, code: str) -> None:  # type: ignore[no-untyped-def]
    folder = bundles[(audience, code)]
    stem = f"toolkit-{audience}-{code}-{assemble(audience, code).country.lower()}"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["locale"] == code and manifest["audience"]["id"] == audience and len(manifest["version"]) == 12
    assert manifest["date"] and manifest["sources"]
    expected = {f"{stem}.html", f"{stem}-a4.pdf", f"{stem}-letter.pdf", f"{stem}-card.pdf", f"{stem}-poster-a4.pdf",
                f"{stem}-poster-letter.pdf", f"{stem}-poster-a3.pdf", f"{stem}-social.txt", f"{stem}-social.json",
                "SOURCES.txt", "manifest.json"}
    assert {p.name for p in folder.iterdir()} == expected

    letters = REQUIRED[code]
    for name, size, pages in ((f"{stem}-a4.pdf", "a4", None), (f"{stem}-letter.pdf", "letter", None),
                              (f"{stem}-card.pdf", "card", 2), (f"{stem}-poster-a4.pdf", "a4", 1),
                              (f"{stem}-poster-letter.pdf", "letter", 1), (f"{stem}-poster-a3.pdf", "a3", 1)):
        pdf = folder / name
        sizes = _pages(pdf)
        assert pages is None or len(sizes) == pages, (name, len(sizes))
        width, height = SIZES_MM[size]
        for w, h in sizes:
            assert abs(w - width * PT_PER_MM) < 1.5 and abs(h - height * PT_PER_MM) < 1.5, (name, w, h)
        text = _text(pdf)
        if size != "card" and pages is None:
            assert set(letters) <= set(text.lower()), (name, sorted(set(letters) - set(text.lower())))
        else:
            assert len(set(letters) & set(text.lower())) >= min(2, len(letters)), name
        if code == "ar":
            assert len(ARABIC.findall(text)) > 50, name
        _assert_drawn_by_noto(pdf, text)
        assert "[EN]" not in text and "EN " not in text.split("\n", 1)[0]
        # The warning is for whoever prepares the files (preview, download page), not the reader.
        assert str(Translator(code, html=False).gettext("Verify before printing")) not in text, name

    html_text = (folder / f"{stem}.html").read_text(encoding="utf-8")
    assert str(Translator(code, html=True).gettext("Verify before printing")) not in html_text

    # Nothing was dropped for lack of room: the card's helpline and the poster's last line are there.
    toolkit = assemble(audience, code)
    main = toolkit.main_helpline
    assert main is not None
    card = _text(folder / f"{stem}-card.pdf").split("\f")
    assert main.helpline.number in card[0] and toolkit.version in card[1]
    for paper in ("a4", "letter", "a3"):
        poster = _text(folder / f"{stem}-poster-{paper}.pdf")
        assert main.helpline.number in poster and toolkit.version in poster, paper

    html = (folder / f"{stem}.html").read_text(encoding="utf-8")
    assert f'<html lang="{code}" dir="{"rtl" if code == "ar" else "ltr"}">' in html

    posts = json.loads((folder / f"{stem}-social.json").read_text(encoding="utf-8"))["posts"]
    limits = {p.id: p for p in PLATFORMS}
    assert {p["platform"] for p in posts} == set(limits)
    for post in posts:
        assert post_length(post["text"], limits[post["platform"]]) <= limits[post["platform"]].limit
        assert post["length"] <= post["limit"] == limits[post["platform"]].limit
        assert unicodedata.is_normalized("NFC", post["text"]) and "[EN]" not in post["text"]


def test_twitter_weighting_counts_vietnamese_letters_twice() -> None:
    x = next(p for p in PLATFORMS if p.id == "x")
    assert post_length("abc", x) == 3 and post_length("ąčę", x) == 3 and post_length("ابت", x) == 3
    assert post_length("ấầẩ", x) == 6  # U+1EA5…: outside the ranges twitter-text weighs as one
    assert post_length("see https://example.org/a/very/long/path", x) == 4 + 23


def test_arabic_pdf_runs_right_to_left(bundles) -> None:  # type: ignore[no-untyped-def]
    folder = bundles[("public", "ar")]
    pdf = next(p for p in folder.glob("*-a4.pdf") if "poster" not in p.name)
    boxes = _text(pdf, "-bbox", "-f", "1", "-l", "1")
    words = [(float(x0), float(y0), float(x1), word) for x0, y0, x1, word in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', boxes)
             if float(y0) > 12 * PT_PER_MM]  # below the page's top margin, where a DRAFT header may sit
    arabic = [(x0, y0, x1) for x0, y0, x1, w in words if ARABIC.search(w)]
    assert arabic
    # The first Arabic line (the audience kicker) ends at the right margin, not the left.
    page_width = 210 * PT_PER_MM
    first_line = arabic[0][1]
    first_right = max(x1 for _, y0, x1 in arabic if abs(y0 - first_line) < 2)
    assert first_right > page_width - 60, first_right


def test_first_pages_in_lithuanian_and_arabic_are_saved_as_images(bundles) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    for code in ("lt", "ar"):
        pdf = next(p for p in bundles[("bank", code)].glob("*-a4.pdf") if "poster" not in p.name)
        target = ARTIFACTS / f"toolkit-bank-{code}-page1"
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target)],
                       check=True)
        assert target.with_suffix(".png").stat().st_size > 20_000
    card = next(bundles[("workers", "lt")].glob("*-card.pdf"))
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(card), str(ARTIFACTS / "card-workers-lt")], check=True)
    shutil.copy(next(bundles[("farm", "ar")].glob("*-poster-a4.pdf")), ARTIFACTS / "poster-farm-ar.pdf")


# --- Layout: nothing leaves its box, nothing prints on top of something else ----------------

_WORD_BOX = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
_LINE = re.compile(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>', re.S)
_WORD = re.compile(r">([^<]*)</word>")
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
# Printable area per format, in mm from each edge (top, right, bottom, left); the document's
# header and footer sit in its page margin by design, so only the sheet's edge applies there.
MARGINS_MM = {"card": (2.5, 3, 2.5, 3), "poster-a4": (12,) * 4, "poster-letter": (12,) * 4,
              "poster-a3": (12 * 2**0.5,) * 4, "a4": (0,) * 4, "letter": (0,) * 4}
# Two lines of one paragraph sit a line-height apart: 0.8 to 0.9 of a word's font box in Latin
# text, 0.65 in Arabic headings (Noto Sans Arabic's box is about 2.1 em tall). Lines half on top
# of each other sit 0.5 apart. Compared with the smaller word's box: a big heading's box may
# reach over a small line above it without any ink touching.
CLOSEST_SHARE = 0.6


def layout_lines(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, every text line pdftotext finds: (x0, y0, x1, y1, text) in points."""
    pages = []
    for _w, _h, body in _PAGE.findall(_text(pdf, "-bbox-layout")):
        pages.append([(float(a), float(b), float(c), float(d), " ".join(_WORD.findall(words)))
                      for a, b, c, d, words in _LINE.findall(body)])
    return pages


def layout_words(pdf: Path) -> list[tuple[np.ndarray, list[str], np.ndarray]]:
    """Per page, every word's box (x0, y0, x1, y1 in points), its text and the number of the
    pdftotext line it belongs to. This reads the PDF itself, independently of the layout check
    the renderer runs on WeasyPrint's boxes. Words, not lines: pdftotext splits one Arabic line
    in two and joins a big number with the small lines beside it."""
    pages = []
    for _w, _h, body in _PAGE.findall(_text(pdf, "-bbox-layout")):
        rows, lines = [], []
        for number, (*_box, words) in enumerate(_LINE.findall(body)):
            # WeasyPrint draws a raised Arabic mark as its own piece of text: not a word on its own.
            found = [w for w in _WORD_BOX.findall(words) if not ARABIC_MARKS.fullmatch(w[4])]
            rows += found
            lines += [number] * len(found)
        boxes = np.array([[float(v) for v in row[:4]] for row in rows], dtype=float).reshape(-1, 4)
        pages.append((boxes, [row[4] for row in rows], np.array(lines, dtype=int)))
    return pages


def layout_faults(pdf: Path, kind: str) -> list[str]:
    faults = []
    top, right, bottom, left = (m * PT_PER_MM for m in MARGINS_MM[kind])
    tolerance = 1.0
    for number, ((width, height), (boxes, words, line)) in enumerate(
            zip(_pages(pdf), layout_words(pdf), strict=True), start=1):
        if not words:
            continue
        x0, y0, x1, y1 = boxes.T
        # Font boxes are taller than the line; judge the vertical extent by the word's middle third.
        third = (y1 - y0) / 3
        outside = ((x0 < left - tolerance) | (x1 > width - right + tolerance) | (y0 + third < top - tolerance)
                   | (y1 - third > height - bottom + tolerance))
        faults += [f"page {number}: {words[i]!r} leaves the printable area" for i in np.flatnonzero(outside)]
        wide = np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :])
        apart = np.abs((y0 + y1)[:, None] - (y0 + y1)[None, :]) / 2
        short = np.minimum((y1 - y0)[:, None], (y1 - y0)[None, :])
        # Within one pdftotext line, Arabic letters with marks may come out as overlapping pieces.
        clash = np.triu((wide > tolerance) & (apart < CLOSEST_SHARE * short) & (line[:, None] != line[None, :]), k=1)
        faults += [f"page {number}: {words[i]!r} overprints {words[j]!r}"
                   for i, j in zip(*np.nonzero(clash), strict=True)]
    return faults


@pytest.mark.parametrize(("audience", "code"), PAIRS)
def test_no_line_leaves_its_box_or_overprints_another(bundles, audience: str, code: str) -> None:  # type: ignore[no-untyped-def]
    folder = bundles[(audience, code)]
    faults = []
    for pdf in sorted(folder.glob("*.pdf")):
        kind = pdf.stem.rsplit("-", 2)[-2] + "-" + pdf.stem.rsplit("-", 1)[-1] if "-poster-" in pdf.name else (
            pdf.stem.rsplit("-", 1)[-1])
        faults += [f"{pdf.name}: {fault}" for fault in layout_faults(pdf, kind)]
    assert not faults, faults[:10]


def test_the_overprint_check_finds_an_overprinted_card(tmp_path: Path) -> None:
    """The check above must be able to fail: a card whose last step runs under the emergency
    line, as ten cards did before the renderer measured every box, is caught."""
    from weasyprint import HTML

    html = ("<style>@page { size: 85.6mm 54mm; margin: 2.5mm 3mm } body { margin: 0; font: 7pt/1.2 'Noto Sans' } "
            ".face { height: 49mm; display: flex; flex-direction: column } p { margin: 0 }</style>"
            "<section class='face'>"
            "<div style='flex: 1 1 0; min-height: 0'>"
            + "<p>Write down what you saw and heard, with the date, time and place.</p>" * 20
            + "</div><p style='flex: none'><strong>In an emergency call 112.</strong></p></section>")
    pdf = tmp_path / "overprinted.pdf"
    HTML(string=html).write_pdf(pdf)
    faults = layout_faults(pdf, "card")
    assert any("overprints" in f or "leaves the printable area" in f for f in faults), faults


def _lowest_and_highest(pdf: Path) -> tuple[float, float, float]:
    (width, height), = _pages(pdf)
    lines = layout_lines(pdf)[0]
    return min(y0 for _, y0, _, _, _ in lines) / height, max(y1 for _, _, _, y1, _ in lines) / height, height


@pytest.mark.parametrize("paper", ["a4", "letter", "a3"])
def test_a_poster_fills_its_sheet(bundles, paper: str) -> None:  # type: ignore[no-untyped-def]
    """Top to bottom, with no empty band, for every audience and language: the largest gap
    between lines is a small share of the sheet (the renderer spreads what the type scale
    leaves over between the signs)."""
    for pair in PAIRS:
        pdf = next(bundles[pair].glob(f"*-poster-{paper}.pdf"))
        top, bottom, height = _lowest_and_highest(pdf)
        assert top < 0.08 and bottom > 0.92, (pdf.name, top, bottom)
        ys = sorted((y0, y1) for _, y0, _, y1, _ in layout_lines(pdf)[0])
        reach, gaps = ys[0][1], []
        for y0, y1 in ys[1:]:
            gaps.append(y0 - reach)
            reach = max(reach, y1)
        assert max(gaps) / height < 0.06, (pdf.name, max(gaps) / height)


def test_a_card_side_is_filled_not_two_thirds_empty(bundles) -> None:  # type: ignore[no-untyped-def]
    for pair in (("public", "en"), ("bank", "es"), ("health", "vi"), ("hotel", "ar")):
        card = next(bundles[pair].glob("*-card.pdf"))
        for (_width, height), lines in zip(_pages(card), layout_lines(card), strict=True):
            ys = sorted((y0, y1) for _, y0, _, y1, _ in lines)
            assert ys[-1][1] / height > 0.8, (card.name, ys[-1][1] / height)
            reach, gaps = ys[0][1], []
            for y0, y1 in ys[1:]:
                gaps.append(y0 - reach)
                reach = max(reach, y1)
            assert max(gaps) / height < 0.2, (card.name, max(gaps) / height)


def test_unchecked_helplines_print_as_drafts_and_checked_ones_do_not(tmp_path: Path) -> None:
    draft = str(Translator("pl", html=False).gettext("DRAFT"))
    unchecked = assemble("farm", "pl", as_of=dt.date(2026, 11, 30))
    assert any(h.verify for h in unchecked.helplines)
    checked = assemble("farm", "pl", as_of=dt.date(2026, 11, 30),
                       checked={h.helpline.id: dt.date(2026, 11, 20) for h in unchecked.helplines})
    assert not any(h.verify for h in checked.helplines) and checked.version != unchecked.version
    for fmt, paper in (("pdf", "a4"), ("card", None), ("poster", "a3")):
        for toolkit, marked in ((unchecked, True), (checked, False)):
            pdf = tmp_path / f"{fmt}-{marked}.pdf"
            pdf.write_bytes(build(toolkit, fmt, paper).data)
            pages = [page for page in _text(pdf).split("\f") if page.strip()]
            assert all((draft in page) == marked for page in pages), (fmt, marked)
