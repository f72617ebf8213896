"""The layout check the card and poster renderers rely on, and the sentence-ending fix for
dates that end with an abbreviation."""

from __future__ import annotations

import datetime as dt

import pytest
from weasyprint import HTML

from content.layout import problems
from content.locales import Translator

CARD = "@page { size: 85.6mm 54mm; margin: 2.5mm 3mm } body { margin: 0; font: 7pt/1.2 'Noto Sans' } p { margin: 0 }"


def _document(body: str, css: str = CARD):  # type: ignore[no-untyped-def]
    return HTML(string=f"<style>{css}</style>{body}").render()


def test_a_side_that_fits_has_no_problems() -> None:
    body = ("<section style='height: 49mm; display: flex; flex-direction: column'>"
            "<p>Someone else holds their passport</p>"
            "<p style='margin-top: auto'>In an emergency call 112.</p></section>")
    assert problems(_document(body)) == []


def test_text_squeezed_under_the_next_block_is_an_overlap() -> None:
    steps = "".join("<p>Write down what you saw and heard, with the date, time and place.</p>" for _ in range(20))
    body = ("<section style='height: 49mm; display: flex; flex-direction: column'>"
            f"<div style='flex: 1 1 0; min-height: 0'>{steps}</div>"
            "<p style='flex: none'><b>Call 112.</b></p></section>")
    found = problems(_document(body))
    assert any("overlaps" in message for _, message in found), found


def test_a_line_wider_than_the_card_leaves_the_printable_area() -> None:
    body = "<p style='white-space: nowrap'>" + "A helpline name too long to wrap on any card. " * 3 + "</p>"
    found = problems(_document(body))
    assert any("outside the printable area" in message for _, message in found)


def test_text_spilling_out_of_a_coloured_band_is_caught() -> None:
    body = ("<div style='height: 4mm; background: #0b4f8a; color: white'>"
            "<p>The helpline's name runs onto a second and a third line in a band too small for it.</p></div>"
            "<p style='margin-top: 20mm'>Next</p>")
    found = problems(_document(body))
    assert any("out of its box" in message for _, message in found), found


@pytest.mark.parametrize("code", ["lt", "uk", "bg", "en"])
def test_a_date_ending_with_a_full_stop_ends_the_sentence_once(code: str) -> None:
    t = Translator(code, html=False)
    day = t.date(dt.date(2026, 11, 29))
    sentence = str(t.gettext("Version %(version)s, made on %(date)s.", version="abc", date=day))
    assert sentence.endswith(".") and ".." not in sentence, sentence
    html = str(Translator(code, html=True).gettext("Version %(version)s, made on %(date)s.", version="abc", date=day))
    assert ".." not in html
