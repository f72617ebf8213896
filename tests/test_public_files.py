"""/favicon.ico and /robots.txt answer signed out; search engines are kept off private pages."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient


def test_favicon_is_an_icon_anyone_may_fetch(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO header
    assert "public" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers


def test_robots_txt_allows_only_the_public_pages(client: FlaskClient) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "Set-Cookie" not in response.headers
    lines = [line.strip() for line in response.get_data(as_text=True).splitlines() if line.strip()]
    assert lines[0] == "User-agent: *"
    assert lines[-1] == "Disallow: /"  # everything not allowed above it
    allowed = {line.removeprefix("Allow:").strip() for line in lines if line.startswith("Allow:")}
    assert allowed == {"/login", "/p/"}  # the sign-in page and published toolkits


def test_signed_in_pages_say_noindex_and_the_login_page_does_not(
    client: FlaskClient, client_for: Callable[..., FlaskClient]
) -> None:
    noindex = '<meta name="robots" content="noindex">'
    assert noindex not in client.get("/login").get_data(as_text=True)
    coordinator = client_for("coordinator")
    for path in ("/", "/account", "/campaigns/", "/targeting/", "/campaigns/999999"):  # a 404 too
        assert noindex in coordinator.get(path).get_data(as_text=True), path
