"""After signing in, `?next=` is followed only to a path on this site (pen test: open redirect)."""

from __future__ import annotations

import pytest
from flask import Flask

from campaigns.security import is_safe_redirect
from tests.conftest import PASSWORD, create_member, csrf_token

# Raw query strings, exactly as an attacker sends them.
REFUSED = [
    "/%09/evil.example/x",  # a tab, which browsers drop: //evil.example/x
    "/%0a/evil.example/x",  # newline: was a 500 (header injection refused by Werkzeug)
    "/%0d/evil.example/x",
    "/%0d%0aSet-Cookie:%20x=1",
    "//evil.example/x",
    "///evil.example/x",
    "/%5Cevil.example",  # backslash, read as a slash
    "%5C%5Cevil.example",
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "%20/evil.example",
    "/%20/evil.example",
    "/%E2%80%AE/evil.example",  # a bidi override
    "/%00/evil.example",
    "/%2509/evil.example",  # encoded twice: a tab once decoded again
    "/%252F/evil.example",
    "evil.example",
]
FOLLOWED = ["/targeting/", "/toolkits/bank/lt?country=LT", "/admin/audit?page=2&action=auth"]


@pytest.mark.parametrize("raw_next", REFUSED)
def test_unsafe_next_goes_home(app: Flask, raw_next: str) -> None:
    create_member(app, "coordinator", "c@test.example")
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(f"/login?next={raw_next}",
                           data={"email": "c@test.example", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", FOLLOWED)
def test_same_site_next_is_followed(app: Flask, target: str) -> None:
    create_member(app, "admin", "a@test.example")
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target},
                           data={"email": "a@test.example", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == target


def test_the_rule_itself() -> None:
    for target in ["/", "/a/b?c=d#e", "/toolkits/ąčę"]:
        assert is_safe_redirect(target), target
    for target in [None, "", "/\t/x", "/\n", "/ x", "/\u202ex", "/\u200bx", "\\\\x", "/x\\y", "http:/x", "//x"]:
        assert not is_safe_redirect(target), target
