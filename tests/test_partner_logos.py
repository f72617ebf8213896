"""Partner logos: the file check (`content.logos.check_logo`) on real tiny PNGs made by Pillow and
on SVG text, then upload, refusal, removal and audit through the campaign's edit page, and the
logo reaching the toolkits (`content.Campaign.logos`)."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

import content
from campaigns.extensions import db
from campaigns.models import AuditEntry, Campaign, CampaignLogo, CampaignStatus, Role, ToolkitPublication
from content.logos import MAX_BYTES, LogoError, check_logo
from tests.conftest import csrf_token, demo_client

SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


def png(width: int = 120, height: int = 80, *, noise: bool = False) -> bytes:
    if noise:  # random pixels do not compress: a large file from a modest image
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (200, 30, 30))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def animated_png() -> bytes:
    frames = [Image.new("RGB", (100, 100), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def svg(body: str = '<rect width="10" height="10" fill="#c00"/>', attrs: str = "") -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<svg {SVG_NS} viewBox="0 0 10 10"{attrs}>{body}</svg>'.encode()


def refusal(filename: str, data: bytes) -> LogoError:
    with pytest.raises(LogoError) as caught:
        check_logo(filename, data)
    assert filename.rsplit("/", 1)[-1] in str(caught.value), "the message names the file"
    return caught.value


# --- the check ------------------------------------------------------------------------------------


def test_a_png_of_a_sensible_size_is_taken_as_a_png() -> None:
    logo = check_logo("partner.png", png(), name="Partner Org")
    assert logo.media_type == "image/png" and logo.name == "Partner Org"
    assert logo.data_uri.startswith("data:image/png;base64,")
    assert check_logo("partner.png", png()).name == "partner"  # the file's stem without a name


def test_a_plain_svg_is_taken_with_internal_and_embedded_references() -> None:
    body = ('<defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs>'
            '<rect width="10" height="10" fill="url(#g)" style="stroke: url(#g)"/><use href="#g"/>'
            '<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>')  # fmt: skip
    logo = check_logo("partner.svg", svg(body))
    assert logo.media_type == "image/svg+xml"


def test_the_type_comes_from_the_content_and_a_disagreeing_name_is_named() -> None:
    assert check_logo("logo", png()).media_type == "image/png"  # no extension: the content decides
    assert check_logo("LOGO.PNG", png()).media_type == "image/png"
    wrong = refusal("logo.svg", png())
    assert wrong.code == "extension" and ".svg" in str(wrong) and "PNG" in str(wrong)
    assert refusal("logo.png", svg()).code == "extension"
    assert refusal("logo.jpg", png()).code == "extension"


@pytest.mark.parametrize(("data", "kind"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 50, "JPEG"),
    (b"GIF89a" + b"\x00" * 50, "GIF"),
    (b"%PDF-1.7\n" + b"\x00" * 50, "PDF"),
])  # fmt: skip
def test_other_image_kinds_are_refused_by_name(data: bytes, kind: str) -> None:
    error = refusal("logo.png", data)
    assert error.code == "other_kind" and kind in str(error)


def test_text_and_empty_files_are_refused() -> None:
    assert refusal("notes.txt", b"hello, this is not a logo").code == "not_image"
    assert refusal("logo.png", b"").code == "empty"


def test_size_limits() -> None:
    assert refusal("tiny.png", png(300, 40)).code == "png_too_small"
    huge = refusal("huge.png", png(2001, 100))
    assert huge.code == "png_too_large" and "2001" in str(huge)
    assert check_logo("edge.png", png(2000, 64)).media_type == "image/png"
    assert refusal("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_BYTES).code == "too_big"
    big = refusal("big.svg", svg("<!--" + "x" * MAX_BYTES + "-->"))
    assert big.code == "too_big" and "512 KB" in str(big)


def test_animated_and_damaged_pngs_are_refused() -> None:
    assert refusal("moving.png", animated_png()).code == "png_animated"
    data = png()
    assert refusal("cut.png", data[: len(data) // 2]).code == "png_unreadable"
    assert refusal("header.png", data[:40]).code == "png_unreadable"


@pytest.mark.parametrize(("body", "attrs", "code"), [
    ("<script>alert(1)</script>", "", "svg_element"),
    ('<s:script xmlns:s="http://www.w3.org/2000/svg">alert(1)</s:script>', "", "svg_element"),
    ('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>', "", "svg_element"),
    ('<rect onclick="alert(1)"/>', "", "svg_event"),
    ("", ' onload="alert(1)"', "svg_event"),
    ('<image href="https://tracker.example/pixel.png"/>', "", "svg_reference"),
    ('<image xlink:href="//tracker.example/p.png" xmlns:xlink="http://www.w3.org/1999/xlink"/>', "", "svg_reference"),
    ('<a href="javascript:alert(1)"><rect/></a>', "", "svg_reference"),
    ('<use href="other.svg#logo"/>', "", "svg_reference"),
    ('<image href="data:image/svg+xml;base64,PHN2Zy8+"/>', "", "svg_reference"),
    ("<style>@import url(https://x.example/a.css);</style>", "", "svg_stylesheet"),
    ("<style>rect { fill: url(https://x.example/p.png) }</style>", "", "svg_reference"),
    ('<rect style="fill: url(\'https://x.example/p.png\')"/>', "", "svg_reference"),
])  # fmt: skip
def test_svgs_with_active_or_remote_content_are_refused(body: str, attrs: str, code: str) -> None:
    assert refusal("partner.svg", svg(body, attrs)).code == code


def test_svg_declarations_stylesheets_roots_and_broken_files_are_refused() -> None:
    entity = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
              b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>')  # fmt: skip
    assert refusal("bomb.svg", entity).code == "svg_doctype"
    doctype = (b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
               b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">' + svg())
    assert refusal("old.svg", doctype).code == "svg_doctype"
    sheet = b'<?xml-stylesheet href="https://x.example/a.css"?>' + svg()
    assert refusal("styled.svg", sheet).code == "svg_stylesheet"
    assert refusal("plain.svg", b"<svg><rect/></svg>").code == "svg_root"  # no SVG namespace: not an SVG image
    assert refusal("page.svg", b'<html><body><svg xmlns="http://www.w3.org/2000/svg"/></body></html>').code in (
        "svg_root", "not_image")
    assert refusal("broken.svg", svg("<rect>")).code == "svg_malformed"


# --- through the pages -----------------------------------------------------------------------------


def _campaign(app: Flask, status: CampaignStatus = CampaignStatus.RUNNING) -> int:
    with app.app_context():
        return int(db.session.scalars(select(Campaign.id).where(Campaign.status == status)).first())


def _upload(client: FlaskClient, campaign_id: int, filename: str, data: bytes, name: str = "Partner Org") -> Any:
    token = csrf_token(client, f"/campaigns/{campaign_id}/edit")
    return client.post(f"/campaigns/{campaign_id}/logos", data={
        "csrf_token": token, "logo_name": name, "logo": (io.BytesIO(data), filename),
    }, content_type="multipart/form-data")  # fmt: skip


def _logos(app: Flask, campaign_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(CampaignLogo).where(CampaignLogo.campaign_id == campaign_id)).all()
        return [(row.name, row.media_type) for row in rows]


def _audit(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        for entry in entries:
            db.session.expunge(entry)
        return list(entries)


@pytest.fixture
def coordinator(demo_app: Flask) -> FlaskClient:
    return demo_client(demo_app, Role.COORDINATOR)


def test_upload_shows_audits_and_serves_the_logo(demo_app: Flask, coordinator: FlaskClient) -> None:
    campaign_id = _campaign(demo_app)
    response = _upload(coordinator, campaign_id, "partner.png", png(), name="Caritas Vilnius")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/campaigns/{campaign_id}/edit#logos")
    assert _logos(demo_app, campaign_id) == [("Caritas Vilnius", "image/png")]
    (entry,) = _audit(demo_app, "campaign.logo_add")
    assert entry.target_id == str(campaign_id) and entry.details["partner"] == "Caritas Vilnius"
    assert entry.details["media_type"] == "image/png" and entry.actor_user_id is not None
    edit = coordinator.get(f"/campaigns/{campaign_id}/edit").get_data(as_text=True)
    assert 'id="logo-list"' in edit and "Caritas Vilnius" in edit
    page = coordinator.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert 'alt="Caritas Vilnius"' in page
    with demo_app.app_context():
        logo_id = db.session.scalar(select(CampaignLogo.id).where(CampaignLogo.campaign_id == campaign_id))
    image = coordinator.get(f"/campaigns/{campaign_id}/logos/{logo_id}")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == png()
    assert "default-src 'none'" in image.headers["Content-Security-Policy"]
    assert coordinator.get(f"/campaigns/{campaign_id}/logos/{logo_id + 1000}").status_code == 404


def test_an_svg_logo_is_stored_as_svg(demo_app: Flask, coordinator: FlaskClient) -> None:
    campaign_id = _campaign(demo_app)
    assert _upload(coordinator, campaign_id, "partner.svg", svg()).status_code == 302
    assert _logos(demo_app, campaign_id) == [("Partner Org", "image/svg+xml")]


@pytest.mark.parametrize(("filename", "data", "words"), [
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100, "JPEG"),
    ("huge.png", png(600, 600, noise=True), "512 KB"),
    ("evil.svg", svg("<script>alert(1)</script>"), "&lt;script&gt;"),
    ("logo.svg", png(), "named .svg"),
])  # fmt: skip
def test_refused_files_are_named_in_the_error_summary_and_nothing_is_stored(
    demo_app: Flask, coordinator: FlaskClient, filename: str, data: bytes, words: str
) -> None:
    campaign_id = _campaign(demo_app)
    response = _upload(coordinator, campaign_id, filename, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-error-summary' in html and f'<a href="#logo">{filename}' in html and words in html
    assert 'aria-invalid="true" aria-describedby="logo-error"' in html
    assert 'value="Partner Org"' in html  # the partner's name is kept for the next try
    assert _logos(demo_app, campaign_id) == []
    assert _audit(demo_app, "campaign.logo_add") == []


def test_a_name_and_a_file_are_both_needed(demo_app: Flask, coordinator: FlaskClient) -> None:
    campaign_id = _campaign(demo_app)
    response = _upload(coordinator, campaign_id, "partner.png", png(), name="  ")
    assert response.status_code == 422 and 'href="#logo_name"' in response.get_data(as_text=True)
    token = csrf_token(coordinator, f"/campaigns/{campaign_id}/edit")
    empty = coordinator.post(f"/campaigns/{campaign_id}/logos", data={"csrf_token": token, "logo_name": "X"})
    assert empty.status_code == 422 and 'href="#logo"' in empty.get_data(as_text=True)
    assert _logos(demo_app, campaign_id) == []


def test_at_most_six_logos_and_no_duplicates(demo_app: Flask, coordinator: FlaskClient) -> None:
    campaign_id = _campaign(demo_app)
    assert _upload(coordinator, campaign_id, "one.png", png(100, 100)).status_code == 302
    again = _upload(coordinator, campaign_id, "one-again.png", png(100, 100), name="Other")
    assert again.status_code == 422 and "already on the campaign" in again.get_data(as_text=True)
    for size in range(101, 106):
        assert _upload(coordinator, campaign_id, f"p{size}.png", png(size, size)).status_code == 302
    assert len(_logos(demo_app, campaign_id)) == 6
    seventh = _upload(coordinator, campaign_id, "seventh.png", png(107, 107))
    assert seventh.status_code == 422 and "at most 6 logos" in seventh.get_data(as_text=True)
    assert len(_logos(demo_app, campaign_id)) == 6
    assert 'id="logo-form"' not in coordinator.get(f"/campaigns/{campaign_id}/edit").get_data(as_text=True)


def test_remove_is_audited_and_only_takes_this_campaigns_logo(demo_app: Flask, coordinator: FlaskClient) -> None:
    campaign_id = _campaign(demo_app)
    assert _upload(coordinator, campaign_id, "partner.png", png()).status_code == 302
    with demo_app.app_context():
        logo_id = db.session.scalar(select(CampaignLogo.id).where(CampaignLogo.campaign_id == campaign_id))
        other = db.session.scalars(select(Campaign.id).where(Campaign.id != campaign_id)).first()
    token = csrf_token(coordinator, f"/campaigns/{campaign_id}/edit")
    wrong = coordinator.post(f"/campaigns/{other}/logos/{logo_id}/remove", data={"csrf_token": token})
    assert wrong.status_code == 404 and len(_logos(demo_app, campaign_id)) == 1
    gone = coordinator.post(f"/campaigns/{campaign_id}/logos/{logo_id}/remove", data={"csrf_token": token})
    assert gone.status_code == 302 and _logos(demo_app, campaign_id) == []
    (entry,) = _audit(demo_app, "campaign.logo_remove")
    assert entry.target_id == str(campaign_id) and entry.details["logo"] == logo_id


def test_an_evaluated_campaigns_logos_cannot_change(demo_app: Flask, coordinator: FlaskClient) -> None:
    campaign_id = _campaign(demo_app)
    with demo_app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.status = CampaignStatus.EVALUATED
        db.session.commit()
    response = _upload(coordinator, campaign_id, "partner.png", png())
    assert response.status_code == 422 and "can no longer be changed" in response.get_data(as_text=True)
    assert _logos(demo_app, campaign_id) == []


def test_trainers_and_other_organisations_cannot_upload(demo_app: Flask, client_for: Any) -> None:
    campaign_id = _campaign(demo_app)
    trainer = demo_client(demo_app, Role.TRAINER)
    def attempt(client: FlaskClient, page: str) -> int:
        data = {"csrf_token": csrf_token(client, page), "logo_name": "X", "logo": (io.BytesIO(png()), "x.png")}
        return client.post(f"/campaigns/{campaign_id}/logos", data=data, content_type="multipart/form-data").status_code

    assert attempt(trainer, "/toolkits/") == 403
    assert attempt(client_for("coordinator", "Another Org"), "/campaigns/") == 404
    assert _logos(demo_app, campaign_id) == []


def test_the_logo_reaches_the_campaigns_toolkits(
    demo_app: Flask, coordinator: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from campaigns.services import toolkits as toolkit_service

    campaign_id = _campaign(demo_app)
    assert _upload(coordinator, campaign_id, "partner.png", png(), name="Caritas Vilnius").status_code == 302
    seen: list[content.Campaign] = []
    real = toolkit_service.assemble

    def spy(*args: Any, **kwargs: Any) -> content.Toolkit:
        if kwargs.get("campaign") is not None:
            seen.append(kwargs["campaign"])
        return real(*args, **kwargs)

    monkeypatch.setattr(toolkit_service, "assemble", spy)
    url = f"/campaigns/{campaign_id}"
    published = coordinator.post(url + "/toolkits", data={"csrf_token": csrf_token(coordinator, url),
                                                          "audience": "bank", "locale": "en", "country": "GB"})
    assert published.status_code == 302
    assert seen[-1].logos and seen[-1].logos[0].name == "Caritas Vilnius"
    assert seen[-1].logos[0].data == png() and seen[-1].logos[0].media_type == "image/png"
    with demo_app.app_context():
        slug = db.session.scalars(select(ToolkitPublication.slug).where(
            ToolkitPublication.campaign_id == campaign_id)).one()  # fmt: skip
    seen.clear()
    assert demo_app.test_client().get(f"/p/{slug}").status_code == 200
    (printed,) = [c for c in seen if c.logos]
    assert [logo.name for logo in printed.logos] == ["Caritas Vilnius"]
    assert printed.public_url == f"http://localhost/p/{slug}"
    assert printed.qr_url == (printed.survey_url or printed.public_url)


def test_a_copied_campaign_keeps_its_logos(demo_app: Flask, coordinator: FlaskClient) -> None:
    campaign_id = _campaign(demo_app)
    assert _upload(coordinator, campaign_id, "partner.png", png()).status_code == 302
    url = f"/campaigns/{campaign_id}"
    copied = coordinator.post(url + "/copy", data={"csrf_token": csrf_token(coordinator, url)})
    assert copied.status_code == 302
    twin = int(copied.headers["Location"].rstrip("/").split("/")[-2])
    assert _logos(demo_app, twin) == [("Partner Org", "image/png")]
