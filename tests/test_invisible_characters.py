"""Bidi and other invisible control characters are stripped where names come in, and download
file names are safe header values (pen test: `\u202e` stored and echoed in labels and headers)."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import unquote

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.http import parse_options_header

from campaigns.downloads import attachment
from campaigns.extensions import db
from campaigns.models import (
    ApiToken,
    Area,
    BoundarySet,
    CampaignDraft,
    Organisation,
    RankingRun,
    ToolkitPublication,
    User,
)
from campaigns.plain_text import strip_controls, uploaded_filename
from campaigns.services import accounts
from campaigns.services.audit import SYSTEM_CLI
from targeting.demo import load_demo_areas
from tests.conftest import csrf_token, demo_client, georgia_id

RLO, PDF, LRI, PDI, RLM, ZWSP, BOM = "\u202e", "\u202c", "\u2066", "\u2069", "\u200f", "\u200b", "\ufeff"
INVISIBLE = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _parameters(header: str) -> dict[str, str]:
    """The raw `filename` and `filename*` parameters (Werkzeug's parser merges the two)."""
    return dict(re.findall(r'; (filename\*?)=("(?:[^"\\]|\\.)*"|[^;]+)', header))


def _visible(text: str) -> bool:
    return not INVISIBLE.search(text) and all(unicodedata.category(ch) not in ("Cc", "Cf") for ch in text)


def _import(client: FlaskClient, geojson: bytes, filename: str, fields: dict[str, str]) -> None:
    path = "/targeting/upload/boundaries"
    page = client.post(path, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, path), "file": (io.BytesIO(geojson), filename), **fields,
    }).get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]+)"', page)
    assert token, page[:3000]
    response = client.post(path, data={"csrf_token": TOKEN_RE.search(page).group(1),  # type: ignore[union-attr]
                                       "token": token.group(1), **fields})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def test_upload_names_set_names_and_file_names(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    client = client_for("coordinator")
    areas = load_demo_areas("georgia").head(3).copy()
    areas.loc[areas.index[0], "name"] = f"Apple{RLO}gnp.exe{PDF}"
    geojson = areas.to_json().encode()
    fields = {"id_field": "area_id", "name_field": "name", "population_field": "population"}
    _import(client, geojson, f"C:\\fakepath\\counties.geo{RLO}json",
            {**fields, "set_name": f"Counties {LRI}evil{PDI}{ZWSP}"})
    _import(client, geojson, "c.geojson", {**fields, "set_name": "Second", "source": f"Census{RLM}\r\n1990{BOM}"})
    with app.app_context():
        first, second = db.session.scalars(select(BoundarySet).order_by(BoundarySet.id)).all()
        # the parked file keeps its cleaned original name (no controls) for the source; the test
        # client's multipart encoding drops the backslashes, so the "path" arrives as "C:fakepath…"
        # (uploaded_filename's own test below covers real paths)
        assert first.name == "Counties evil"
        assert first.source in {"Uploaded file counties.geojson", "Uploaded file fakepathcounties.geojson"}
        assert second.source == "Census 1990"
        names = set(db.session.scalars(select(Area.name).where(Area.boundary_set_id == first.id)))
    assert "Applegnp.exe" in names and all(_visible(n) for n in names)


def test_campaign_draft_and_publication_names(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    page = client.get(f"/targeting/sets/{set_id}/rank").get_data(as_text=True)
    response = client.post(f"/targeting/sets/{set_id}/rank", data={
        "csrf_token": TOKEN_RE.search(page).group(1), "period": "2024",  # type: ignore[union-attr]
        "w_rate": "0.4", "w_hotspot": "0.3", "w_trend": "0.2", "w_volume": "0.1", "smoothing": "global"})
    run_url = response.headers["Location"]
    token = TOKEN_RE.search(client.get(run_url + "/plan?area=13137").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    client.post(run_url + "/plan", data={"csrf_token": token, "area": ["13137"], "name": f"Spring {RLO}2027{PDF}"})
    token = csrf_token(client, "/toolkits/bank/lt")
    response = client.post("/toolkits/bank/lt/publish", data={
        "csrf_token": token, "campaign_name": f"{RLO}Kampanija{PDF}", "helpline_name": f"Linija{ZWSP}",
        "partners": f"Caritas{RLM}\nRed Cross{BOM}; \x1b[31mEvil", "areas": f"Vilnius{LRI}"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with demo_app.app_context():
        assert db.session.scalars(select(CampaignDraft.name)).one() == "Spring 2027"
        pub = db.session.scalars(select(ToolkitPublication)).one()
        assert (pub.campaign_name, pub.helpline_name) == ("Kampanija", "Linija")
        assert pub.partners == ["Caritas", "Red Cross", "[31mEvil"] and pub.areas == ["Vilnius"]


def test_users_organisations_and_tokens(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", f"ad{RLO}min@test.example{ZWSP}", "--role", "admin",
                                 "--org", f"Org {LRI}A{PDI}"], input="correct horse battery staple\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.email == "admin@test.example"
        assert db.session.scalars(select(Organisation.name)).one() == "Org A"
        accounts.create_token(SYSTEM_CLI, user, f"script{RLO}")
        db.session.commit()
        assert db.session.scalars(select(ApiToken.name)).one() == "script"


def test_download_headers_are_ascii_with_a_utf8_name(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    page = client.get(f"/targeting/sets/{set_id}/rank").get_data(as_text=True)
    run_url = client.post(f"/targeting/sets/{set_id}/rank", data={
        "csrf_token": TOKEN_RE.search(page).group(1), "period": "2024",  # type: ignore[union-attr]
        "w_rate": "0.4", "w_hotspot": "0.3", "w_trend": "0.2", "w_volume": "0.1",
        "smoothing": "global"}).headers["Location"]
    with demo_app.app_context():  # a period label as a stored run might carry it
        run = db.session.scalars(select(RankingRun)).one()
        db.session.execute(update(RankingRun).where(RankingRun.id == run.id)
                           .values(meta={**(run.meta or {}), "period": f'2024{RLO}"; evil=ąčę'}))
        db.session.commit()
    header = client.get(run_url + "/export.csv").headers["Content-Disposition"]
    assert header.isascii() and RLO not in header and "\u202e" not in unquote(header)
    value, params = parse_options_header(header)
    assert value == "attachment" and set(params) == {"filename"}  # no parameter smuggled in
    assert params["filename"] == 'ranking-1-2024"; evil=ąčę.csv'  # read back from filename*
    fallback = _parameters(header)["filename"]
    assert fallback == '"ranking-1-2024_ evil_ace.csv"'
    for url in (f"/targeting/sets/{set_id}/counts.csv", run_url + "/segments.csv"):
        assert "filename*=UTF-8''" in client.get(url).headers["Content-Disposition"]


def test_shared_functions() -> None:
    assert strip_controls(f" a{RLO}b{RLM}{ZWSP} \t c\x00\n ") == "ab c"
    assert strip_controls(f"one{RLO}\n\ttwo\r\n", newlines=True) == "one\ntwo"
    assert strip_controls("Šiauliai · العربية · Tiếng Việt") == "Šiauliai · العربية · Tiếng Việt"
    assert strip_controls(None) == ""
    assert uploaded_filename(f"C:\\fakepath\\inv{RLO}oice.csv") == "invoice.csv"
    assert uploaded_filename("/home/x/../y.gpkg") == "y.gpkg"
    header = attachment(f"Ataskaita ąčę {RLO}\"x\";\r\n.csv")
    assert header.isascii() and "\r" not in header and "\n" not in header
    assert _parameters(header) == {"filename": '"Ataskaita ace _x.csv"',
                                   "filename*": "UTF-8''Ataskaita%20%C4%85%C4%8D%C4%99%20%22x%22%3B%20.csv"}
    assert parse_options_header(header)[1]["filename"] == 'Ataskaita ąčę "x"; .csv'  # RFC 5987, decoded
    assert attachment("toolkit-bank-lt-lt-a4.pdf", inline=True).startswith("inline; filename=toolkit-bank")
