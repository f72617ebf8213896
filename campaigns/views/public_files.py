"""/favicon.ico and /robots.txt: the two files browsers and crawlers ask for at the site's root.

The icon is campaigns/static/favicon.ico (16, 32 and 48 pixels), drawn with Pillow after
favicon.svg, which pages link to. robots.txt lets search engines index only what is meant to be
found without an account: the sign-in page and the toolkits a coordinator published. Everything
else is private and disallowed; signed-in pages also say `noindex` (base.html), and the survey
forms say `noindex, nofollow` (surveys/public_base.html)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("public_files", __name__)

ONE_DAY = 24 * 3600

# Allow lines first: crawlers that read the first matching rule and those that read the longest
# one then agree.
ROBOTS_TXT = """\
User-agent: *
Allow: /login
Allow: /p/
Disallow: /
"""


@bp.get("/favicon.ico")
def favicon() -> Any:
    response = send_from_directory(current_app.static_folder or "", "favicon.ico", mimetype="image/vnd.microsoft.icon",
                                   max_age=ONE_DAY)  # fmt: skip
    response.headers["Cache-Control"] = f"public, max-age={ONE_DAY}"
    return response


@bp.get("/robots.txt")
def robots() -> Any:
    return ROBOTS_TXT, 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": f"public, max-age={ONE_DAY}"}
