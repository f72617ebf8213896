"""Every audience × locale × format builds, and the PDFs are right: the locale's letters come
out of pdftotext, every character is drawn by an embedded Noto font (so no fallback boxes),
Arabic runs right to left, cards have two ID-1 sides, posters one page, posts fit their limits.

The 54 ZIPs (each holding every format and paper) are built once per session on two
processes; the tests then read them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
import zipfile
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from content import assemble, build
from content.library import default_library
from content.locales import LOCALE_LETTERS, LOCALES
from content.social import PLATFORMS, post_length

AUDIENCES = tuple(a.id for a in default_library().audiences)
PAIRS = [(a, code) for a in AUDIENCES for code in LOCALES]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PT_PER_MM = 72 / 25.4
SIZES_MM = {"a4": (210, 297), "letter": (215.9, 279.4), "a3": (297, 420), "card": (85.6, 54)}
ARABIC = re.compile("[\u0600-\u06ff]")
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
                f"{stem}-poster-a3.pdf", f"{stem}-social.txt", f"{stem}-social.json", "SOURCES.txt", "manifest.json"}
    assert {p.name for p in folder.iterdir()} == expected

    letters = REQUIRED[code]
    for name, size, pages in ((f"{stem}-a4.pdf", "a4", None), (f"{stem}-letter.pdf", "letter", None),
                              (f"{stem}-card.pdf", "card", 2), (f"{stem}-poster-a4.pdf", "a4", 1),
                              (f"{stem}-poster-a3.pdf", "a3", 1)):
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
            assert len(set(letters) & set(text.lower())) >= min(3, len(letters)), name
        if code == "ar":
            assert len(ARABIC.findall(text)) > 50, name
        _assert_drawn_by_noto(pdf, text)
        assert "[EN]" not in text and "EN " not in text.split("\n", 1)[0]

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
    words = [(float(x0), float(x1), word) for x0, x1, word in
             re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', boxes)]
    arabic = [(x0, x1) for x0, x1, w in words if ARABIC.search(w)]
    assert arabic
    # The first Arabic line (the audience kicker) starts at the right margin, not the left.
    page_width = 210 * PT_PER_MM
    first_right = max(x1 for _, x1 in arabic[:3])
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
