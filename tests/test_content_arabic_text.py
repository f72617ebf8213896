"""Arabic words come out of the PDFs as they are written (issue 14).

WeasyPrint maps a lam-alef ligature glyph to its letters in logical order, which pdftotext (like
pdfium and pdf.js) reverses with the rest of the line ("الأموال" came out as "األموال", "لا" as
"ال"), and it gives a base letter's whole cluster to the mark drawn on it, so every later tanween
carried a stray letter ("مؤشرًا" came out as "مؤشرًئا"). content/pdftext.py rewrites the ToUnicode
maps after layout. Words with harakat are left out of the exact checks: WeasyPrint draws a mark with
a text rise in a text-show of its own, which pdftotext reads as a word break (the letters are right,
the word is split); the tagged HTML is the version for screen readers.

pdftotext comes from poppler-utils, which scripts/install-system-packages installs for CI.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from content import assemble, build
from content.locales import Translator

CATALOG = Path(__file__).resolve().parents[1] / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
# An Arabic word: letters and marks only, so digits and Latin text next to it do not stick to it.
WORD = re.compile("[\u0621-\u063a\u0641-\u064a\u064b-\u065f\u0670\u0671-\u06d3]+")
HARAKAT = re.compile("[\u064b-\u065f\u0670]")
LAM_ALEF = re.compile("ل[اأإآ]")
LIGATURE = re.compile("(ل)([اأإآى])")
# Words of the bank toolkit that pdftotext used to garble; each must be in the toolkit's text.
SAMPLE = ("الأموال", "لا", "إلى", "على", "الاستغلال", "الأشخاص", "للاستغلال", "الإبلاغ")


def _words(text: str) -> Counter[str]:
    text = unicodedata.normalize("NFC", "".join(c for c in text if unicodedata.category(c) != "Cf"))
    return Counter(WORD.findall(text))


def _plain(words: Counter[str]) -> Counter[str]:
    return Counter({w: n for w, n in words.items() if not HARAKAT.search(w)})


@cache
def _extracted(fmt: str, tmp: Path) -> str:
    toolkit = assemble("bank", "ar")
    pdf = tmp / f"bank-ar-{fmt}.pdf"
    pdf.write_bytes(build(toolkit, fmt, "a4" if fmt == "pdf" else None).data)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("arabic")


@cache
def _vocabulary() -> frozenset[str]:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="ar")
    words: set[str] = set()
    for message in catalog:
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        for string in strings:
            words |= set(_words(string or ""))
    return frozenset(words)


def _sign_words() -> Counter[str]:
    toolkit = assemble("bank", "ar")
    t = Translator("ar", html=False)
    words: Counter[str] = Counter()
    for _category, items in toolkit.sections:
        for item in items:
            sign, explanation = toolkit.wording(item)
            words += _words(t.gettext(sign)) + _words(t.gettext(explanation))
    return words


def test_sample_words_with_lam_alef_come_out_whole(tmp: Path) -> None:
    got = _words(_extracted("pdf", tmp))
    source = _words(" ".join(_vocabulary()))
    assert all(word in source for word in SAMPLE)
    missing = [word for word in SAMPLE if not got[word]]
    assert not missing, f"pdftotext lost {missing}; it gave e.g. {[w for w in got if 'أل' in w or w == 'ال'][:8]}"


def test_every_plain_word_of_the_signs_comes_out(tmp: Path) -> None:
    expected = _plain(_sign_words())
    assert sum(1 for w in expected if LAM_ALEF.search(w)) >= 10  # the check covers ligatures
    got = _words(_extracted("pdf", tmp))
    missing = {w: n - got[w] for w, n in expected.items() if got[w] < n}
    assert not missing, f"{sum(missing.values())} of {sum(expected.values())} words missing: {list(missing)[:20]}"


@cache
def _garbled() -> frozenset[str]:
    """Each catalogue word with a lam-alef (or lam-alef maksura) ligature as the bug turned it out:
    the two letters swapped ("الأموال" as "األموال", "لا" as "ال", "إلى" as "إىل")."""
    swapped = {LIGATURE.sub(lambda m: m.group(2) + m.group(1), word) for word in _vocabulary()}
    return frozenset(swapped - _vocabulary())


@pytest.mark.parametrize("fmt", ["pdf", "card", "poster"])
def test_no_garbled_word_comes_out(tmp: Path, fmt: str) -> None:
    text = _extracted(fmt, tmp)
    # An unmapped glyph comes out as its glyph number read as a character (Hebrew, CJK...).
    assert not re.search("[\u0590-\u05ff\u3000-\u9fff]", text), fmt
    # A tanween glyph once mapped to its whole cluster brings that letter wherever it is drawn ("مؤشرًئا").
    assert not re.search("[\u064b-\u064d]ئ", text), fmt
    garbled = sorted(set(_words(text)) & _garbled())
    assert not garbled, f"{fmt}: lam-alef words with their letters swapped: {garbled[:20]}"
