"""The indicator library, catalogs, versions, cache and CLI of `content`, without Flask."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import polib
import pytest
import yaml
from babel.messages.pofile import read_po

from content import Campaign, LibraryError, ToolkitCache, Translator, assemble, build, default_library, load_library
from content import bundle as bundle_module
from content.extract import extract_library
from content.library import LIBRARY_DIR
from content.locales import LOCALES, completeness
from content.render import render_html
from content.toolkit import default_country

ROOT = Path(__file__).resolve().parents[1]
AUDIENCES = ("bank", "farm", "hotel", "health", "public", "workers")
CATEGORIES = ("recruitment", "control", "documents-debt-wages", "conditions", "physical-psychological", "financial")


def test_shipped_library_has_six_categories_six_audiences_and_broad_coverage() -> None:
    library = default_library()
    assert tuple(c.id for c in library.categories) == CATEGORIES
    assert {a.id for a in library.audiences} == set(AUDIENCES)
    for audience in AUDIENCES:
        mine = library.indicators_for(audience)
        assert len(mine) >= 10, audience
        assert len({i.category for i in mine}) >= 4, audience
        kinds = {s.kind for s in library.actions[audience]}
        assert {"safety", "record", "report"} <= kinds, audience
    assert sum(i.category == "financial" for i in library.indicators_for("bank")) >= 6
    assert any(i.act_alone for i in library.indicators) and not all(i.act_alone for i in library.indicators)


def test_helplines_cover_lithuania_and_the_uk_with_a_source_each() -> None:
    library = default_library()
    for country in ("LT", "GB"):
        lines = library.helplines_for(country)
        assert any(h.kind == "trafficking" for h in lines), country
        assert any(h.kind == "emergency" for h in lines), country
    assert all(h.source for h in library.helplines)


def test_workers_read_about_themselves_in_the_second_person() -> None:
    library = default_library()
    workers = library.audience("workers")
    for indicator in library.indicators_for("workers"):
        sign, _ = indicator.wording(workers)
        assert sign == indicator.worker_sign and sign != indicator.sign
        assert any(word in sign.lower().split() for word in ("you", "your", "you're", "you've")), sign


def _broken_copy(tmp_path: Path, name: str, mutate) -> Path:  # type: ignore[no-untyped-def]
    directory = tmp_path / "library"
    shutil.copytree(LIBRARY_DIR, directory)
    path = directory / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return directory


@pytest.mark.parametrize(
    ("name", "mutate", "expected"),
    [
        ("indicators", lambda d: d[2].pop("sign"), r"indicators\.yaml: entry 3 \(id '[a-z-]+'\): 'sign' is a required"),
        ("indicators", lambda d: d[0].update(category="weather"),
         r"entry 1, field 'category'.*'weather' is not one of"),
        ("indicators", lambda d: d[0].update(sign="x" * 91), r"entry 1, field 'sign'.*is too long"),
        ("indicators", lambda d: d[0].update(sources=["no-such-source"]), r"field 'sources': no-such-source not in"),
        ("indicators", lambda d: d[1].update(id=d[0]["id"]), r"entry 2: id '[a-z-]+' is used twice"),
        ("indicators", lambda d: [i.pop("worker_sign", None) for i in d],
         r"needs 'worker_sign' and 'worker_explanation'"),
        ("helplines", lambda d: d[0].update(verified="last spring"), r"helplines\.yaml: entry 1, field 'verified'"),
        ("actions", lambda d: d.update(bank=[s for s in d["bank"] if s["kind"] != "report"]),
         r"'bank' has no 'report'"),
        ("audiences", lambda d: d[0].update(leads_with=["weather"]),
         r"audiences\.yaml: entry 1 \(id 'bank'\): field 'leads_with': weather not in categories\.yaml"),
        ("indicators",
         lambda d: next(i for i in d if "bank" not in i["audiences"]).update(examples={"bank": "At the counter."}),
         r"indicators\.yaml: entry \d+ \(id '[a-z-]+'\): field 'examples': bank not in this indicator's audiences"),
        ("indicators", lambda d: d[0].update(examples={"pilots": "In the cockpit."}),
         r"entry 1, field 'examples'.*'pilots' is not one of"),
        ("indicators", lambda d: d[0].update(examples={"farm": "x" * 221}), r"entry 1, field 'examples'.*is too long"),
    ],
)
def test_a_broken_library_names_file_entry_and_field(tmp_path: Path, name: str, mutate, expected: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LibraryError, match=expected):
        load_library(_broken_copy(tmp_path, name, mutate))


def test_invalid_yaml_is_reported_with_the_file(tmp_path: Path) -> None:
    directory = tmp_path / "library"
    shutil.copytree(LIBRARY_DIR, directory)
    (directory / "sources.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(LibraryError, match=r"sources\.yaml: not valid YAML"):
        load_library(directory)


def test_every_library_text_is_in_the_message_template() -> None:
    """Editing the YAML without `make translations-update` would ship untranslatable text."""
    with open(ROOT / "translations" / "messages.pot", "rb") as handle:
        pot = read_po(handle)
    for path in sorted(LIBRARY_DIR.glob("*.yaml")):
        with open(path, "rb") as handle:
            for _, _, message, comments in extract_library(handle, None, None, {}):
                assert message in pot, (path.name, comments, message)


def test_helplines_unverified_for_a_year_or_never_need_verifying() -> None:
    library = default_library()
    line = next(h for h in library.helplines if h.country == "GB" and h.kind == "trafficking")
    today = dt.date(2026, 11, 21)
    assert line.__class__(**{**line.__dict__, "verified": None}).needs_verifying(today)
    assert line.__class__(**{**line.__dict__, "verified": today - dt.timedelta(days=366)}).needs_verifying(today)
    assert not line.__class__(**{**line.__dict__, "verified": today - dt.timedelta(days=30)}).needs_verifying(today)


def test_a_campaign_helpline_comes_first_and_changes_the_version() -> None:
    plain = assemble("public", "lt", as_of=dt.date(2026, 11, 21))
    campaign = Campaign(name="Demo", helpline_number="+370 600 00000", helpline_verified=dt.date(2026, 11, 1))
    own = assemble("public", "lt", campaign=campaign, as_of=dt.date(2026, 11, 21))
    assert own.main_helpline is not None and own.main_helpline.helpline.number == "+370 600 00000"
    assert not own.main_helpline.verify
    assert own.version != plain.version
    assert assemble("public", "lt", as_of=dt.date(2026, 11, 21)).version == plain.version
    assert default_country("lt") == "LT" and plain.country == "LT"


def test_version_changes_when_a_translation_changes(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "translations", tmp_path / "translations")
    before = assemble("bank", "pl", translations=tmp_path / "translations").version
    po_file = tmp_path / "translations" / "pl" / "LC_MESSAGES" / "messages.po"
    po = polib.pofile(str(po_file))
    entry = next(e for e in po if e.msgstr)
    entry.msgstr += " (zmienione)"
    po.save()
    assert assemble("bank", "pl", translations=tmp_path / "translations").version != before


def test_lithuanian_and_arabic_plurals_follow_cldr() -> None:
    singular, plural = "This toolkit lists %(num)s warning sign.", "This toolkit lists %(num)s warning signs."
    lt = Translator("lt", html=False)
    forms = {n: lt.ngettext(singular, plural, n) for n in (1, 2, 10, 21, 22, 11)}
    assert forms[1].replace("1", "21") == forms[21]  # one: 1, 21, 31…
    assert forms[2].replace("2", "22") == forms[22]  # few: 2–9, 22–29…
    assert forms[10].replace("10", "11") == forms[11]  # many/other: 10–20, 30…
    assert len({forms[1].replace("1", "N"), forms[2].replace("2", "N"), forms[10].replace("10", "N")}) == 3
    ar = Translator("ar", html=False)
    arabic = {n: ar.ngettext(singular, plural, n).replace(str(n), "N") for n in (2, 3, 10, 11, 99, 103)}
    assert arabic[3] == arabic[10] == arabic[103]  # CLDR "few": 3–10, 103–110…
    assert arabic[11] == arabic[99]  # CLDR "many": 11–99
    assert len({arabic[2], arabic[3], arabic[11]}) == 3  # "two", "few" and "many" differ


def test_a_missing_string_falls_back_to_english_visibly() -> None:
    html = Translator("lt", html=True)
    marked = str(html.gettext("A sentence <nobody> translated"))
    assert marked.startswith('<span class="untranslated" lang="en" dir="ltr"')
    assert "&lt;nobody&gt;" in marked and "A sentence" in marked
    assert html.fallbacks == {"A sentence <nobody> translated"}
    assert Translator("lt", html=False).gettext("Another one") == "[EN] Another one"
    assert Translator("lt", html=False).gettext("Sources") not in ("", "Sources", "[EN] Sources")


def test_completeness_is_stricter_than_pybabel(tmp_path: Path) -> None:
    """An all-empty plural and a fuzzy entry are not translated, whatever `pybabel --statistics` says."""
    directory = tmp_path / "translations"
    (directory / "lt" / "LC_MESSAGES").mkdir(parents=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms":
                   "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && (n%100<10 || n%100>=20) ? 1 : 2);"}
    po.append(polib.POEntry(msgid="Yes", msgstr="Taip"))
    po.append(polib.POEntry(msgid="%(num)s day", msgid_plural="%(num)s days", msgstr_plural={0: "", 1: "", 2: ""}))
    po.append(polib.POEntry(msgid="Maybe", msgstr="Galbūt", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="No", msgstr=""))
    po.save(str(directory / "lt" / "LC_MESSAGES" / "messages.po"))
    stats = completeness("lt", directory)
    assert (stats.total, stats.translated, stats.fuzzy, stats.missing) == (4, 1, 1, 2)
    assert stats.plural_forms_ok and stats.percent == 25


def _catalog_with_header(directory: Path, code: str, header: str, forms: int) -> None:
    (directory / code / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": header}
    po.append(polib.POEntry(msgid="%(num)s day", msgid_plural="%(num)s days",
                            msgstr_plural={i: f"%(num)s día {i}" for i in range(forms)}))
    po.save(str(directory / code / "LC_MESSAGES" / "messages.po"))


def test_completeness_names_a_plural_rule_that_is_not_the_recorded_one(tmp_path: Path) -> None:
    """The catalog shipped before the lock (gettext's two Spanish forms) is reported, with the reason."""
    _catalog_with_header(tmp_path, "es", "nplurals=2; plural=(n != 1);", 2)
    stats = completeness("es", tmp_path)
    assert not stats.plural_forms_ok
    assert "nplurals=2" in stats.plural_problem and "has 3" in stats.plural_problem
    # Same count, other behaviour: Arabic with forms 4 and 5 swapped against CLDR's order.
    swapped = ("nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
               "n%100>=0 && n%100<=2 ? 4 : 5);")
    _catalog_with_header(tmp_path, "ar", swapped, 6)
    problem = completeness("ar", tmp_path).plural_problem
    assert "for n = 11, 12" in problem, problem
    # Same behaviour written differently (gettext's traditional Lithuanian expression) is the same rule.
    _catalog_with_header(tmp_path, "lt", "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : "
                         "n%10>=2 && (n%100<10 || n%100>=20) ? 1 : 2);", 3)
    assert completeness("lt", tmp_path).plural_forms_ok
    _catalog_with_header(tmp_path, "pl", "nplurals=3; plural=n==1 ? 0 :", 3)
    assert "gettext cannot read" in completeness("pl", tmp_path).plural_problem


def test_completeness_does_not_ask_the_installed_babel(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Babel whose CLDR says something else (as 2.18 did for Spanish) changes no verdict."""
    import babel.messages.plurals as babel_plurals

    def older_babel(_locale: object) -> babel_plurals._PluralTuple:
        return babel_plurals._PluralTuple((2, "(n != 1)"))

    monkeypatch.setattr(babel_plurals, "get_plural", older_babel)
    from content import locales as locales_module

    locales_module._completeness.cache_clear()
    try:
        assert all(completeness(code).plural_forms_ok for code in LOCALES)
    finally:
        locales_module._completeness.cache_clear()


@pytest.mark.parametrize("code", [c for c in LOCALES if c != "en"])
def test_shipped_locales_are_complete_with_cldr_plural_headers(code: str) -> None:
    stats = completeness(code)
    assert stats.percent == 100, (stats.missing, stats.fuzzy)
    assert stats.plural_forms_ok, stats.plural_problem


@pytest.mark.parametrize("code", LOCALES)
def test_html_is_nfc_with_lang_and_direction_and_no_fallbacks(code: str) -> None:
    html = render_html(assemble("health", code))
    direction = "rtl" if code == "ar" else "ltr"
    assert f'<html lang="{code}" dir="{direction}">' in html
    assert unicodedata.is_normalized("NFC", html)
    assert 'class="untranslated"' not in html


def test_cache_serves_a_repeat_build_without_rendering(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ToolkitCache(tmp_path)
    toolkit = assemble("farm", "es")
    first = build(toolkit, "social", cache=cache)

    def refuse(*args: object) -> bytes:
        raise AssertionError("rendered again")

    monkeypatch.setattr(bundle_module, "render_format", refuse)
    again = build(toolkit, "social", cache=cache)
    assert again.data == first.data and again.version == toolkit.version
    assert (tmp_path / toolkit.version / first.filename).exists()


def _cli(*args: str, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process, with a cache folder of its own (a fresh one unless given)."""
    env = {**os.environ, "TOOLKIT_CACHE_DIR": str(cache or tempfile.mkdtemp(prefix="toolkit-cache-"))}
    return subprocess.run([sys.executable, "-m", "content", *args], capture_output=True, text=True, cwd=ROOT,
                          check=False, env=env)


def test_cli_build_uses_the_version_keyed_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    args = ("build", "--audience", "bank", "--locale", "lt", "--format", "pdf", "--paper", "a4")
    first = _cli(*args, "--out", str(tmp_path / "first.pdf"), cache=cache)
    assert first.returncode == 0, first.stderr
    assert "from the cache" not in first.stdout
    assert len(list(cache.rglob("*.pdf"))) == 1  # kept under <cache>/<version>/
    second = _cli(*args, "--out", str(tmp_path / "second.pdf"), cache=cache)
    assert second.returncode == 0 and "from the cache" in second.stdout, second.stdout
    assert (tmp_path / "second.pdf").read_bytes() == (tmp_path / "first.pdf").read_bytes()
    fresh = _cli(*args, "--no-cache", "--out", str(tmp_path / "third.pdf"), cache=cache)
    assert fresh.returncode == 0 and "from the cache" not in fresh.stdout


def test_cli_lists_audiences_and_locales() -> None:
    audiences = _cli("audiences")
    assert audiences.returncode == 0
    assert all(f"\n{a} " in "\n" + audiences.stdout for a in AUDIENCES)
    locales = _cli("locales", "--check")
    assert locales.returncode == 0, locales.stdout
    lines = locales.stdout.strip().splitlines()
    assert len(lines) == 1 + len(LOCALES) and all("100.0" in line and line.endswith("ok") for line in lines[1:])


def test_cli_builds_a_file_and_refuses_bad_options(tmp_path: Path) -> None:
    out = tmp_path / "card.pdf"
    done = _cli("build", "--audience", "hotel", "--locale", "bg", "--format", "card", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF")
    unknown = _cli("build", "--audience", "pilots", "--locale", "bg", "--format", "pdf", "--out", str(tmp_path))
    assert unknown.returncode == 2 and "Unknown audience 'pilots'" in unknown.stderr
    paper = _cli("build", "--audience", "bank", "--locale", "en", "--format", "card", "--paper", "a3",
                 "--out", str(tmp_path))
    assert paper.returncode == 2 and "does not apply to card" in paper.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.pdf"]


def test_cli_campaign_file_fills_in_the_toolkit(tmp_path: Path) -> None:
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(
        "name: Harvest season 2027\nhelpline_number: '+44 20 0000 0000'\nhelpline_verified: 2026-11-01\n"
        "partners: [Example Trust]\nstarts: 2027-06-01\nends: 2027-09-30\nareas: [Lincolnshire, Kent]\n",
        encoding="utf-8",
    )
    out = tmp_path / "t.html"
    done = _cli("build", "--audience", "farm", "--locale", "en", "--format", "html", "--campaign", str(campaign),
                "--out", str(out))
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    for text in ("Harvest season 2027", "+44 20 0000 0000", "Example Trust", "June 1, 2027", "Lincolnshire and Kent"):
        assert text in html, text
    (tmp_path / "partner.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40"/></svg>',
        encoding="utf-8")
    with_logo = tmp_path / "with-logo.yaml"
    with_logo.write_text("name: Harvest\nlogos: [{file: partner.svg, name: Example Trust}]\n", encoding="utf-8")
    poster = tmp_path / "poster.pdf"
    done = _cli("build", "--audience", "farm", "--locale", "en", "--format", "html", "--campaign", str(with_logo),
                "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert 'alt="Example Trust"' in out.read_text(encoding="utf-8") and "data:image/svg+xml;base64," in out.read_text(
        encoding="utf-8")
    done = _cli("build", "--audience", "farm", "--locale", "en", "--format", "poster", "--campaign", str(with_logo),
                "--out", str(poster))
    assert done.returncode == 0 and poster.read_bytes().startswith(b"%PDF"), done.stderr
    (tmp_path / "partner.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                                          encoding="utf-8")
    refused = _cli("build", "--audience", "farm", "--locale", "en", "--format", "html", "--campaign", str(with_logo),
                   "--out", str(out))
    assert refused.returncode == 2 and "partner.svg" in refused.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("starts: soon\n", encoding="utf-8")
    failed = _cli("build", "--audience", "farm", "--locale", "en", "--format", "html", "--campaign", str(bad),
                  "--out", str(out))
    assert failed.returncode == 2 and "field 'starts': expected a date" in failed.stderr


FINCEN_FATF_SIGNS = (
    "cash-many-branches", "cash-outside-business-hours", "pays-for-many-people", "hidden-payer",
    "contact-details-in-adverts", "avoids-identification", "fees-paid-back",
)
OTHER_AUDIENCE_WORDS = re.compile(r"\b(hotels?|guests?|employers?|farms?|farmers?|patients?|in a hotel)\b", re.I)


def test_bank_leads_with_financial_signs_from_fincen_and_fatf() -> None:
    library = default_library()
    assert library.audience("bank").leads_with == ("financial",)
    assert library.categories_for("bank")[0].id == "financial"
    assert {c.id for c in library.categories_for("bank")} == set(CATEGORIES)
    financial = [i for i in library.indicators_for("bank") if i.category == "financial"]
    assert tuple(i.id for i in financial[: len(FINCEN_FATF_SIGNS)]) == FINCEN_FATF_SIGNS
    for indicator in financial[: len(FINCEN_FATF_SIGNS)]:
        assert {"fincen-2020", "fatf-2018"} <= set(indicator.sources), indicator.id
    assert library.audience("farm").leads_with == ()
    assert tuple(c.id for c in library.categories_for("farm")) == CATEGORIES


def test_hotel_leads_with_the_hospitality_signs() -> None:
    library = default_library()
    hotel = library.audience("hotel")
    assert hotel.leads_with and tuple(c.id for c in library.categories_for("hotel"))[: len(hotel.leads_with)] == \
        hotel.leads_with
    first = [i for i in library.indicators_for("hotel") if i.category == hotel.leads_with[0]]
    assert first[0].id == "do-not-disturb-extra-linen"
    hospitality = {"do-not-disturb-extra-linen", "cash-day-by-day", "one-payer-many-rooms",
                   "child-with-unrelated-adult", "people-keeping-watch"}
    mine = {i.id: i for i in library.indicators_for("hotel")}
    assert hospitality <= set(mine)
    assert all(mine[i].category in hotel.leads_with and "dhs-hospitality" in mine[i].sources for i in hospitality)
    assert mine["child-with-unrelated-adult"].act_alone


def test_public_signs_cover_criminal_exploitation_and_domestic_servitude() -> None:
    public = {i.id for i in default_library().indicators_for("public")}
    assert {"forced-begging", "cannabis-farm", "drug-lines", "domestic-servitude", "cheap-car-wash-nail-bar"} <= public


@pytest.mark.parametrize("audience", AUDIENCES)
def test_explanations_are_audience_neutral_and_examples_stay_with_their_audience(audience: str) -> None:
    library = default_library()
    chosen = library.audience(audience)
    for indicator in library.indicators_for(audience):
        assert all(a in indicator.audiences for a, _ in indicator.examples), indicator.id
        if audience == "bank":
            _, explanation = indicator.wording(chosen)
            for text in (explanation, indicator.example_for("bank") or ""):
                assert not OTHER_AUDIENCE_WORDS.search(text), (indicator.id, text)
        if len(indicator.audiences) > 1:
            assert "In a hotel" not in indicator.explanation, indicator.id


def test_examples_are_sorted_pairs_with_a_lookup() -> None:
    library = default_library()
    indicator = next(i for i in library.indicators if i.id == "arranged-by-third-party")
    assert [a for a, _ in indicator.examples] == sorted(a for a, _ in indicator.examples)
    assert indicator.example_for("hotel") == (
        "In a hotel this can look like one person renting rooms for other people to stay in."
    )
    assert indicator.example_for("health") is None
    assert "hotel" not in indicator.explanation.lower()
    assert "books and pays for their room, travel or job" not in indicator.sign


def test_the_extractor_offers_every_example_to_translators() -> None:
    with open(LIBRARY_DIR / "indicators.yaml", "rb") as handle:
        extracted = list(extract_library(handle, None, None, {}))
    found = {(message, comments[0].split(" — ")[0]) for _, _, message, comments in extracted}
    for indicator in default_library().indicators:
        for audience, example in indicator.examples:
            assert (example, f"indicators {indicator.id}: example for {audience}") in found


def test_bank_step_does_not_suggest_questioning_the_customer() -> None:
    step = next(s for s in default_library().actions["bank"] if s.id == "bank-no-tipping-off")
    assert "question" not in step.text and "suspicions" in step.text


NEW_HELPLINES = ("pl-kcik-urgent", "ua-national-527", "us-trafficking-hotline")


def test_new_helplines_have_a_source_and_are_not_marked_verified() -> None:
    library = default_library()
    lines = {h.id: h for h in library.helplines}
    for line_id in NEW_HELPLINES:
        line = lines[line_id]
        assert line.source.startswith("https://"), line_id
        assert line.verified is None and line.needs_verifying(dt.date(2026, 11, 21))
    assert lines["pl-kcik-urgent"].hours == "24 hours, 7 days"
    assert (lines["ua-national-527"].number, lines["us-trafficking-hotline"].number) == ("527", "1-888-373-7888")
    hours = {h.hours for h in library.helplines}
    assert hours <= {"24 hours, 7 days", "Office hours; check the website for other times",
                     "Weekdays in office hours; urgent cases at other times", "Check current hours with the operator"}


def test_a_us_bank_toolkit_assembles() -> None:
    toolkit = assemble("bank", "en", country="US", as_of=dt.date(2026, 11, 21))
    assert toolkit.country == "US"
    assert toolkit.main_helpline is not None and toolkit.main_helpline.helpline.id == "us-trafficking-hotline"
    assert {i.id for i in toolkit.indicators} >= set(FINCEN_FATF_SIGNS)
    assert {"fincen-2020", "fatf-2018"} <= {s.id for s in toolkit.sources}
