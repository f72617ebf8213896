"""Toolkit pages through the real HTTP app: choose, preview, download, count, publish, revoke."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AuditEntry, Role, ToolkitDownload, ToolkitPublication
from tests.conftest import csrf_token, demo_client


@pytest.fixture
def trainer(demo_app: Flask):  # type: ignore[no-untyped-def]
    return demo_client(demo_app, Role.TRAINER)


def test_index_offers_every_audience_and_defaults_to_the_browsers_language(demo_app: Flask) -> None:
    client = demo_app.test_client()
    from campaigns.services.demo import DEMO_USERS
    from tests.conftest import login

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "lt-LT,lt;q=0.9,en;q=0.5"
    login(client, *DEMO_USERS[Role.TRAINER])
    html = client.get("/toolkits/").get_data(as_text=True)
    for audience in ("bank", "farm", "hotel", "health", "public", "workers"):
        assert f'value="{audience}"' in html
    assert re.search(r'<option value="lt" lang="lt" selected>', html)
    assert '<option value="LT" selected>' in html


def test_open_redirects_to_the_toolkit_and_rejects_unknown_choices(trainer) -> None:  # type: ignore[no-untyped-def]
    response = trainer.get("/toolkits/open?audience=farm&locale=pl&country=PL")
    assert response.status_code == 302 and response.headers["Location"].endswith("/toolkits/farm/pl?country=PL")
    bad = trainer.get("/toolkits/open?audience=pilots&locale=pl")
    assert bad.status_code == 302 and bad.headers["Location"].endswith("/toolkits/")


def test_preview_shows_version_warning_downloads_and_posts(trainer) -> None:  # type: ignore[no-untyped-def]
    html = trainer.get("/toolkits/bank/lt?lang=en").get_data(as_text=True)
    version = re.search(r'id="toolkit-version">([0-9a-f]{12})<', html)
    assert version
    assert 'id="verify-warning"' in html  # the Lithuanian helplines have no verification date yet
    for button in ("download-pdf-a4", "download-pdf-letter", "download-html", "download-card", "download-poster-a4",
                   "download-poster-letter", "download-poster-a3", "download-social", "download-zip"):
        assert f'id="{button}"' in html
    assert 'id="toolkit-preview"' in html and 'id="social-posts"' in html
    assert 'id="publish-form"' not in html  # trainers download; coordinators publish
    assert 'id="rtl-text-note"' not in html
    arabic = trainer.get("/toolkits/bank/ar?lang=en").get_data(as_text=True)
    assert 'id="rtl-text-note"' in arabic  # copying from an Arabic PDF can split words with vowel marks


def test_unknown_audience_locale_or_format_is_404(trainer) -> None:  # type: ignore[no-untyped-def]
    assert trainer.get("/toolkits/pilots/lt").status_code == 404
    assert trainer.get("/toolkits/bank/xx").status_code == 404
    assert trainer.get("/toolkits/bank/lt/download/docx").status_code == 404
    assert trainer.get("/toolkits/bank/lt/download/pdf?paper=a3").status_code == 404


def test_pdf_download_is_versioned_cached_and_counted(demo_app: Flask, trainer) -> None:  # type: ignore[no-untyped-def]
    first = trainer.get("/toolkits/bank/lt/download/pdf?paper=a4")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF")
    version = first.headers["X-Toolkit-Version"]
    assert "toolkit-bank-lt-lt-a4.pdf" in first.headers["Content-Disposition"]
    second = trainer.get("/toolkits/bank/lt/download/pdf?paper=a4")
    assert second.data == first.data and second.headers["X-Toolkit-Version"] == version
    cached = list(Path(demo_app.instance_path).rglob("*.pdf"))
    assert any(version in str(p) for p in cached)
    not_modified = trainer.get("/toolkits/bank/lt/download/pdf?paper=a4",
                               headers={"If-None-Match": first.headers["ETag"]})
    assert not_modified.status_code == 304
    with demo_app.app_context():
        rows = db.session.scalars(select(ToolkitDownload)).all()
        assert [(r.audience, r.locale, r.format, r.paper, r.count, r.public) for r in rows] == [
            ("bank", "lt", "pdf", "a4", 2, False)
        ]
        assert rows[0].day == dt.date.today()
        columns = set(ToolkitDownload.__table__.columns.keys())
        assert not columns & {"user_id", "ip", "ip_address", "user_agent", "email"}
    page = trainer.get("/toolkits/?lang=en").get_data(as_text=True)
    table = page.split('id="download-counts"', 1)[1].split("</table>", 1)[0]
    # Two downloads is a small count: hidden like any other (targeting.privacy).
    assert ">2<" not in table and 'class="hidden-count"' in table and "Lietuvių" in table


def test_inline_html_preview_is_framable_by_us_only_and_not_counted(demo_app: Flask, trainer) -> None:  # type: ignore[no-untyped-def]
    response = trainer.get("/toolkits/workers/ar/download/html?inline=1")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="ar" dir="rtl">' in html
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "style-src 'sha256-" in policy and "script-src" not in policy
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Content-Disposition"].startswith("inline")
    with demo_app.app_context():
        assert db.session.scalars(select(ToolkitDownload)).all() == []


def test_style_hash_in_policy_matches_the_inline_stylesheet(trainer) -> None:  # type: ignore[no-untyped-def]
    import base64
    import hashlib

    response = trainer.get("/toolkits/hotel/en/download/html?inline=1")
    style = re.search(r"<style>(.*?)</style>", response.get_data(as_text=True), re.S).group(1)  # type: ignore[union-attr]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["Content-Security-Policy"]


def test_zip_has_every_format_and_a_manifest(trainer) -> None:  # type: ignore[no-untyped-def]
    response = trainer.get("/toolkits/farm/ro/download/zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["version"] == response.headers["X-Toolkit-Version"]
    assert manifest["locale"] == "ro" and manifest["audience"]["id"] == "farm" and manifest["country"] == "RO"
    assert manifest["sources"] and all(s["url"].startswith("https://") for s in manifest["sources"])
    assert {f["name"] for f in manifest["files"]} == names - {"manifest.json"}
    assert "SOURCES.txt" in names and sum(n.endswith(".pdf") for n in names) == 6


def test_reviewer_cannot_open_toolkits(demo_app: Flask) -> None:
    assert demo_client(demo_app, Role.REVIEWER).get("/toolkits/").status_code == 403


def test_coordinator_publishes_with_campaign_details_and_revokes(demo_app: Flask) -> None:
    coordinator = demo_client(demo_app, Role.COORDINATOR)
    response = coordinator.post("/toolkits/hotel/lt/publish?country=LT", data={
        "csrf_token": csrf_token(coordinator, "/toolkits/hotel/lt?country=LT"),
        "campaign_name": "Vasaros kampanija 2027",
        "helpline_name": "Kampanijos linija",
        "helpline_number": "+370 600 00000",
        "helpline_verified": dt.date.today().isoformat(),
        "partners": "Pavyzdinė asociacija\nKitas partneris",
        "starts": "2027-06-01",
        "ends": "2027-08-31",
        "areas": "Vilnius\nKlaipėda",
    })
    assert response.status_code == 302
    with demo_app.app_context():
        publication = db.session.scalars(select(ToolkitPublication)).one()
        slug = publication.slug
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "toolkit.publish"))
    anonymous = demo_app.test_client()
    public = anonymous.get(f"/p/{slug}")
    assert public.status_code == 200
    html = anonymous.get(f"/p/{slug}/download/html?inline=1").get_data(as_text=True)
    assert "+370 600 00000" in html and "Vasaros kampanija 2027" in html and "Klaipėda" in html
    assert "Pavyzdinė asociacija" in html and "2027" in html
    # The campaign's own number comes first and, checked today, carries no warning.
    box = html.split('class="helpline-box"', 1)[1].split("</aside>", 1)[0]
    assert box.index("+370 600 00000") < box.index("112")
    assert "verify" not in box.split("112", 1)[0]
    pdf = anonymous.get(f"/p/{slug}/download/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    with demo_app.app_context():
        row = db.session.scalars(select(ToolkitDownload).where(ToolkitDownload.public.is_(True))).one()
        assert row.count == 1 and row.format == "pdf"
    assert slug in coordinator.get("/toolkits/").get_data(as_text=True)
    coordinator.post(f"/toolkits/published/{publication.id}/revoke",
                     data={"csrf_token": csrf_token(coordinator, "/toolkits/")})
    assert anonymous.get(f"/p/{slug}").status_code == 404
    assert anonymous.get(f"/p/{slug}/download/pdf").status_code == 404


def test_publish_form_errors_name_the_field(demo_app: Flask) -> None:
    coordinator = demo_client(demo_app, Role.COORDINATOR)
    response = coordinator.post("/toolkits/bank/en/publish?lang=en", data={
        "csrf_token": csrf_token(coordinator, "/toolkits/bank/en?lang=en"), "helpline_number": "call us",
        "starts": "2027-05-01", "ends": "2027-04-01",
        "helpline_verified": "yesterday",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a phone number" in html and "end date must be on or after" in html and "YYYY-MM-DD" in html
    with demo_app.app_context():
        assert db.session.scalars(select(ToolkitPublication)).all() == []


def test_trainer_cannot_publish(demo_app: Flask, trainer) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(trainer, "/toolkits/bank/en")
    assert trainer.post("/toolkits/bank/en/publish", data={"csrf_token": token}).status_code == 403


def test_languages_page_reports_completeness(trainer) -> None:  # type: ignore[no-untyped-def]
    html = trainer.get("/toolkits/languages?lang=en").get_data(as_text=True)
    for code in ("lt", "ar", "vi"):
        assert f'id="locale-{code}"' in html
    assert "Header disagrees" not in html


def test_demo_trainer_can_open_every_toolkit_in_every_language(trainer) -> None:  # type: ignore[no-untyped-def]
    from content.library import default_library
    from content.locales import LOCALES

    for audience in (a.id for a in default_library().audiences):
        for code in LOCALES:
            assert trainer.get(f"/toolkits/{audience}/{code}").status_code == 200, (audience, code)
            page = trainer.get(f"/toolkits/{audience}/{code}/download/html")
            assert page.status_code == 200 and f'<html lang="{code}"' in page.get_data(as_text=True)
            social = trainer.get(f"/toolkits/{audience}/{code}/download/social")
            assert social.status_code == 200 and social.mimetype == "text/plain"


def test_site_language_switcher_is_unchanged_on_the_toolkits_page(trainer) -> None:  # type: ignore[no-untyped-def]
    html = trainer.get("/toolkits/?lang=en").get_data(as_text=True)
    switcher = html.split('class="languages"', 1)[1].split("</nav>", 1)[0]
    assert ">Lietuvių<" in switcher and "(Lithuanian)" not in switcher
    picker = html.split('id="locale"', 1)[1].split("</select>", 1)[0]
    assert "Lietuvių (Lithuanian)" in picker
