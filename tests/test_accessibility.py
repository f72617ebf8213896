"""Every page of the planner, in headless Chromium: axe-core's WCAG 2.1 A and AA rules find nothing
serious or critical, and nothing scrolls sideways on a 390-pixel phone. In English and Arabic (right
to left), at 1280 and 390 pixels wide, each page as the role that can see it.

The pages come from the app's url_map: GET routes without parameters are listed automatically,
routes with ids get them from the demo data, and `test_every_html_route_is_covered` fails when a
new GET route is neither here nor excluded with a reason. axe-core is vendored in
tests/vendor/axe-core (see its README). One demo database and server serve the whole module,
and one browser context per role x language x width serves all of its pages."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from campaigns.access import PUBLIC_ENDPOINTS, allowed_roles
from campaigns.db import write_intent
from campaigns.extensions import db
from campaigns.models import (
    BoundarySet,
    Campaign,
    CampaignStatus,
    IncidentSet,
    RankingRun,
    ReachRow,
    Role,
    ToolkitPublication,
    User,
)
from campaigns.services import accounts
from campaigns.services.audit import Actor
from campaigns.services.demo import DEMO_USERS
from tests.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    USE_POSTGRES,
    csrf_token,
    demo_client,
    make_app,
    own_demo_app,
)

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
LOCALES = ("en", "ar")
WIDTHS = (1280, 390)
HEIGHT = 900
ANONYMOUS = "anonymous"


class AccessibilityFailure(AssertionError):
    """An axe violation or a page wider than the screen (a page that fails to load raises
    something else, so the two are told apart in the report)."""


# --- the pages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page to check: `path` is formatted with the demo's ids (see `demo_ids`) and the locale;
    `then` (a name in ACTIONS) brings the page into the state to check (a failed form, a reply)."""

    name: str
    endpoint: str | None  # None: no route (the 404 page)
    role: str  # a Role's value or ANONYMOUS
    path: str
    status: int = 200
    then: str = ""
    widths: tuple[int, ...] = field(default=WIDTHS)


# GET routes that are not HTML pages, or that only redirect to one checked here.
EXCLUDED: dict[str, str] = {
    "static": "static files",
    "home.health": "health check, JSON",
    "public_files.favicon": "icon, not a page",
    "public_files.robots": "robots.txt, plain text",
    "toolkits.open_toolkit": "redirects to the toolkit preview, which is checked",
    "toolkits.download": "downloads (PDF, HTML for print, ZIP)",
    "public_toolkits.public_download": "downloads (PDF, HTML for print, ZIP)",
    "campaigns.coverage_geojson": "GeoJSON for the campaign map",
    "surveys.qr_code": "SVG image",
    "surveys.wave_xlsform": "XLSForm download",
    "rankings.run_export": "CSV and GeoJSON downloads",
    "rankings.run_geojson": "GeoJSON for the ranking map",
    "rankings.run_map_png": "PNG image",
    "rankings.run_progress": "JSON polled by the progress page",
    "rankings.run_segments_csv": "CSV download",
    "targeting.boundary_set_csv": "CSV download",
    "reports.csv_download": "CSV download",
    "reports.pdf": "PDF download",
    "admin.audit_export": "CSV download",
    "targeting.boundary_set_counts_upload_csv": "CSV download",
    "targeting.boundary_set_indicators_csv": "CSV download",
    "targeting.boundary_set_geojson": "GeoJSON for the boundary set's map",
    "uploads.template": "CSV template download",
    "campaigns.logo_image": "a partner's logo (PNG or SVG image)",
}
EXCLUDED_BLUEPRINTS: dict[str, str] = {"api": "the JSON API under /api/v1"}

# Pages whose routes take parameters, and states of pages that need an action to reach.
WITH_IDS: list[Page] = [
    Page("login-failed", "auth.login", ANONYMOUS, "/login", then="fail_sign_in"),
    Page("set-password", "auth.set_password", ANONYMOUS, "/account/set-password/{password_link}"),
    Page("set-password-dead-link", "auth.set_password", ANONYMOUS, "/account/set-password/no-such-link", status=404),
    Page("user-link", "admin.password_link", "admin", "/admin/users/{user}/link"),
    Page("plan-from-ranking", "rankings.plan_campaign", "coordinator", "/targeting/runs/{run}/plan?area={area}"),
    Page("not-found", None, ANONYMOUS, "/no-such-page", status=404),
    Page("public-toolkit", "public_toolkits.public_page", ANONYMOUS, "/p/{slug}"),
    Page("survey-choose", "public_surveys.choose", ANONYMOUS, "/s/{token}"),
    Page("survey-closed", "public_surveys.choose", ANONYMOUS, "/s/{closed_token}"),
    Page("survey-form", "public_surveys.answer", ANONYMOUS, "/s/{token}/{locale}"),
    Page("survey-form-errors", "public_surveys.answer", ANONYMOUS, "/s/{token}/{locale}", then="send_empty_survey"),
    Page("survey-thanks", "public_surveys.answer", ANONYMOUS, "/s/{token}/{locale}", then="answer_survey"),
    Page("home-trainer", "home.index", Role.TRAINER.value, "/"),
    Page("home-reviewer", "home.index", Role.REVIEWER.value, "/"),
    Page("home-admin", "home.index", Role.ADMIN.value, "/"),
    Page("forbidden", "targeting.index", Role.TRAINER.value, "/targeting/", status=403),
    Page("not-found-signed-in", None, Role.COORDINATOR.value, "/campaigns/999999", status=404),
    Page("boundary-set", "targeting.boundary_set", "coordinator", "/targeting/sets/{set}"),
    Page("rank-form", "rankings.rank_form", "coordinator", "/targeting/sets/{set}/rank"),
    Page("ranking-run", "rankings.run", "coordinator", "/targeting/runs/{run}"),
    Page("upload-incidents", "uploads.incidents", "coordinator", "/targeting/sets/{set}/upload/incidents"),
    Page("upload-indicators", "uploads.indicators", "coordinator", "/targeting/sets/{set}/upload/indicators"),
    Page("import-progress", "uploads.import_progress", "coordinator", "/targeting/imports/{incident_set}"),
    Page("campaign", "campaigns.show", "coordinator", "/campaigns/{campaign}"),
    Page("campaign-ended", "campaigns.show", "coordinator", "/campaigns/{ended}"),
    Page("campaign-edit", "campaigns.edit", "coordinator", "/campaigns/{campaign}/edit"),
    Page("campaign-edit-errors", "campaigns.edit", "coordinator", "/campaigns/{campaign}/edit", then="bad_budget"),
    Page("campaign-logo-refused", "campaigns.edit", "coordinator", "/campaigns/{campaign}/edit", then="bad_logo"),
    Page("helpline-checks-trainer", "toolkits.helpline_checks", "trainer", "/toolkits/helplines"),
    Page("helpline-checks-errors", "toolkits.helpline_checks", "coordinator", "/toolkits/helplines?country=LT",
         then="future_check"),
    Page("campaign-targets", "campaigns.targets", "coordinator", "/campaigns/{campaign}/targets"),
    Page("reach-rows", "campaigns.reach_rows", "coordinator", "/campaigns/{campaign}/reach"),
    Page("reach-row", "campaigns.reach_row", "coordinator", "/campaigns/{campaign}/reach/{reach_row}"),
    Page("reach-import", "campaigns.reach_import_file", "coordinator", "/campaigns/{campaign}/reach/import"),
    Page("surveys", "surveys.overview", "coordinator", "/campaigns/{campaign}/surveys/"),
    Page("survey-plan", "surveys.plan", "coordinator", "/campaigns/{campaign}/surveys/plan"),
    Page("wave-new", "surveys.new_wave", "coordinator", "/campaigns/{campaign}/surveys/new"),
    Page("wave-edit", "surveys.edit_wave", "coordinator", "/campaigns/{campaign}/surveys/{planned_wave}/edit"),
    Page("wave-import", "surveys.wave_import", "coordinator", "/campaigns/{campaign}/surveys/{closed_wave}/import"),
    Page("question-new", "surveys.new_question", "coordinator", "/campaigns/{campaign}/surveys/questions/new"),
    Page("question-edit", "surveys.edit_question", "coordinator",
         "/campaigns/{campaign}/surveys/questions/{question}/edit"),
    Page("toolkit-preview", "toolkits.preview", "coordinator", "/toolkits/bank/{locale}"),
    Page("toolkit-preview-trainer", "toolkits.preview", "trainer", "/toolkits/farm/{locale}"),
    Page("report", "reports.campaign", "reviewer", "/reports/{ended}"),
    Page("report-verify", "reports.verify", "reviewer", "/reports/{ended}/verify"),
]  # fmt: skip

ROLE_ORDER = (Role.COORDINATOR, Role.TRAINER, Role.REVIEWER, Role.ADMIN)


def _route_app() -> Flask:
    """An app to read the url_map from (no demo, no database file is written)."""
    folder = Path(tempfile.mkdtemp(prefix="a11y-routes-"))
    return make_app(folder, f"sqlite:///{folder / 'routes.sqlite3'}")


ROUTE_APP = _route_app()


def _is_excluded(endpoint: str) -> bool:
    return endpoint in EXCLUDED or endpoint.split(".", 1)[0] in EXCLUDED_BLUEPRINTS


def _who_can_see(endpoint: str) -> str:
    if endpoint in PUBLIC_ENDPOINTS:
        return ANONYMOUS
    allowed = allowed_roles(ROUTE_APP, endpoint) or frozenset()
    return next(role.value for role in ROLE_ORDER if role in allowed)


def html_get_rules(app: Flask) -> list[Any]:
    rules = app.url_map.iter_rules()
    return [rule for rule in rules if "GET" in (rule.methods or ()) and not _is_excluded(rule.endpoint)]


def all_pages() -> list[Page]:
    """The parameterless GET routes (from the url_map), then the pages listed by hand."""
    found = [
        Page(rule.endpoint.replace(".", "-").replace("_", "-"), rule.endpoint, _who_can_see(rule.endpoint), rule.rule)
        for rule in sorted(html_get_rules(ROUTE_APP), key=lambda r: r.rule)
        if not rule.arguments
    ]  # fmt: skip
    return found + WITH_IDS


PAGES = all_pages()

def _params() -> list[Any]:
    return [
        pytest.param(page, locale, width, id=f"{page.name}-{locale}-{width}")
        for page in PAGES
        for locale in LOCALES
        for width in page.widths
    ]


# --- the route audit (no browser) ------------------------------------------------------------------


def test_every_html_route_is_covered() -> None:
    """A new GET route must get a page here (with its ids) or an entry in EXCLUDED saying why not."""
    covered = {page.endpoint for page in PAGES}
    missing = sorted(
        f"{rule.rule} ({rule.endpoint})" for rule in html_get_rules(ROUTE_APP) if rule.endpoint not in covered
    )
    assert not missing, f"GET routes neither checked in {__name__} nor in EXCLUDED: {missing}"
    stale = sorted(set(EXCLUDED) - set(ROUTE_APP.view_functions))
    assert not stale, f"EXCLUDED names endpoints that no longer exist: {stale}"


# --- the demo server, its ids and the browser contexts ---------------------------------------------

NO_CHROMIUM = not shutil.which(CHROMIUM) and not os.environ.get("CI")


@pytest.fixture(scope="module")
def a11y_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with own_demo_app(tmp_path_factory.mktemp("a11y")) as app:
        yield app


def _add_demo_extras(app: Flask) -> dict[str, Any]:
    """What the demo lacks for some pages: an open wave in English and Arabic, a question of the
    campaign's own and a published toolkit; and the ids of everything the paths name."""
    from campaigns.surveys import planning
    from campaigns.surveys.models import QuestionKind, SurveyWave, WaveAccess, WaveKind, WaveStatus

    today = date.today()
    with app.app_context(), write_intent():
        running = db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING)).one()
        ended = db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.ENDED)).one()
        user = db.session.scalars(select(User).where(User.email == DEMO_USERS[Role.COORDINATOR][0])).one()
        planning.create_question(Actor("web", user), running, planning.QuestionPlan(
            key="knows-shelter", kind=QuestionKind.SINGLE, texts={"en": "Do you know the shelter in town?"},
            choices={1: {"en": "Yes"}, 2: {"en": "No"}}, success=(1,)))
        waves = db.session.scalars(select(SurveyWave).where(SurveyWave.campaign_id == running.id)).all()
        token, closed_token = secrets.token_urlsafe(18)[:24], secrets.token_urlsafe(18)[:24]
        db.session.add(SurveyWave(
            campaign_id=running.id, kind=WaveKind.BASELINE, opens_on=today - timedelta(days=1),
            closes_on=today + timedelta(days=7), status=WaveStatus.OPEN, token=token, access=WaveAccess.LINK,
            locales=["en", "ar"], questions=["signs-two", "act-differently"],
        ))
        db.session.add(SurveyWave(
            campaign_id=running.id, kind=WaveKind.FOLLOW_UP, opens_on=today - timedelta(days=30),
            closes_on=today - timedelta(days=20), status=WaveStatus.CLOSED, token=closed_token,
            access=WaveAccess.LINK, locales=["en", "ar"], questions=["signs-two"],
        ))  # fmt: skip
        ids: dict[str, Any] = {
            "campaign": running.id, "ended": ended.id, "token": token,
            "closed_wave": next(w.id for w in waves if w.status == WaveStatus.CLOSED),
            "planned_wave": next(w.id for w in waves if w.status == WaveStatus.PLANNED),
            "question": "knows-shelter",
            "set": db.session.scalar(select(BoundarySet.id).where(BoundarySet.name.startswith("Georgia"))),
            "run": db.session.scalar(select(RankingRun.id)),
            "incident_set": db.session.scalar(select(IncidentSet.id).where(IncidentSet.name.contains("incidents"))),
            "reach_row": db.session.scalar(select(ReachRow.id).where(ReachRow.campaign_id == running.id)),
            "area": running.areas[0].area_code, "closed_token": closed_token,
            "user": db.session.scalar(select(User.id).where(User.email == DEMO_USERS[Role.TRAINER][0])),
        }  # fmt: skip
        reviewer = db.session.scalars(select(User).where(User.email == DEMO_USERS[Role.REVIEWER][0])).one()
        ids["password_link"] = accounts.issue_password_link(Actor("web", user), reviewer)
        db.session.commit()
    coordinator = demo_client(app, Role.COORDINATOR)
    published = coordinator.post(f"/toolkits/bank/en/publish?campaign={ids['campaign']}", data={
        "csrf_token": csrf_token(coordinator, "/toolkits/bank/en"), "campaign_name": "Spring outreach",
        "helpline_name": "Helpline", "helpline_number": "+1 555 0100", "starts": "2027-06-01", "ends": "2027-08-31",
    })  # fmt: skip
    assert published.status_code == 302, published.get_data(as_text=True)[:500]
    with app.app_context():
        ids["slug"] = db.session.scalars(select(ToolkitPublication.slug)).one()
    return ids


@dataclass
class Server:
    url: str
    ids: dict[str, Any]


@pytest.fixture(scope="module")
def a11y_server(a11y_app: Flask) -> Iterator[Server]:
    ids = _add_demo_extras(a11y_app)
    server = make_server("127.0.0.1", 0, a11y_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Server(f"http://127.0.0.1:{server.server_port}", ids)
    server.shutdown()


class Contexts:
    """One browser context per role x locale x width, made when first asked for. A role signs in
    once; its other contexts start from that sign-in's cookies and choose their language."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser, self.base = browser, base
        self.made: dict[tuple[str, str, int], Any] = {}
        self.signed_in: dict[str, Any] = {}

    def page(self, role: str, locale: str, width: int) -> Any:
        key = (role, locale, width)
        if key not in self.made:
            # bypass_csp: axe is injected as an inline script, which the site's policy refuses.
            context = self.browser.new_context(viewport={"width": width, "height": HEIGHT}, bypass_csp=True,
                                               locale=locale, storage_state=self._state(role))  # fmt: skip
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.goto(f"{self.base}/login?lang={locale}" if role == ANONYMOUS else f"{self.base}/account?lang={locale}")
            self.made[key] = page
        return self.made[key]

    def _state(self, role: str) -> Any:
        if role == ANONYMOUS:
            return None
        if role not in self.signed_in:
            context = self.browser.new_context()
            page = context.new_page()
            email, password = DEMO_USERS[Role(role)]
            page.goto(f"{self.base}/login?lang=en")
            page.locator("#email").fill(email)
            page.locator("#password").fill(password)
            page.locator("button[type=submit], input[type=submit]").first.click()
            page.wait_for_load_state()
            assert "/login" not in page.url, f"{role} could not sign in"
            self.signed_in[role] = context.storage_state()
            context.close()
        return self.signed_in[role]

    def close(self) -> None:
        for page in self.made.values():
            page.context.close()


@pytest.fixture(scope="module")
def contexts(a11y_server: Server) -> Iterator[Contexts]:
    from playwright.sync_api import sync_playwright

    if NO_CHROMIUM:
        pytest.skip(f"no Chromium at {CHROMIUM} (CI installs it)")
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        made = Contexts(browser, a11y_server.url)
        for role in Role:  # before any failed sign-in below counts against this client
            made._state(role.value)
        yield made
        made.close()
        browser.close()
    print(f"\naccessibility pages: {time.monotonic() - started:.1f} s in the browser")


# --- what brings a page into the state to check ---------------------------------------------------


def fail_sign_in(page: Any) -> Any:
    page.locator("#email").fill("nobody@example.org")
    page.locator("#password").fill("not the password")
    with page.expect_navigation():
        page.locator("button[type=submit], input[type=submit]").first.click()
    return None


def send_empty_survey(page: Any) -> Any:
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    return None


def answer_survey(page: Any) -> Any:
    area = page.locator("select[name=area]")
    if area.count():
        area.select_option(index=1)
    else:
        page.locator("input[name=area]").first.check()
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    return None


def bad_budget(page: Any) -> Any:
    page.locator("#budget").fill("lots")
    with page.expect_navigation():
        page.locator("form:has(#budget) button[type=submit]").click()
    return None


def bad_logo(page: Any) -> Any:
    page.locator("#logo_name").fill("Partner")
    page.locator("#logo").set_input_files(files=[{"name": "photo.jpg", "mimeType": "image/jpeg",
                                                  "buffer": b"\xff\xd8\xff\xe0" + b"\x00" * 64}])
    with page.expect_navigation():
        page.locator("#logo-form button[type=submit]").click()
    return None


def future_check(page: Any) -> Any:
    field = page.locator("input[name=checked_on]").first
    field.evaluate("(el) => el.removeAttribute('max')")
    field.fill((date.today() + timedelta(days=2)).isoformat())
    with page.expect_navigation():
        page.locator("form:has(input[name=checked_on]) button[type=submit]").first.click()
    return None


ACTIONS: dict[str, Callable[[Any], Any]] = {
    "fail_sign_in": fail_sign_in, "send_empty_survey": send_empty_survey, "answer_survey": answer_survey,
    "bad_budget": bad_budget, "bad_logo": bad_logo, "future_check": future_check,
}  # fmt: skip

AXE_RUN = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"], iframes: false,
  });
  return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5), count: v.nodes.length}));
}"""


def problems_on(page: Any, width: int) -> list[str]:
    """axe's serious and critical violations, and the page's width on a phone, as readable lines."""
    page.add_script_tag(path=str(AXE))
    found = [
        f"{v['id']} ({v['impact']}): {v['help']}; {v['count']} element(s), e.g. {v['targets']}"
        for v in page.evaluate(AXE_RUN, AXE_TAGS)
        if v["impact"] in BLOCKING
    ]
    if width <= 390:
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            found.append(f"page scrolls sideways: {scroll} px wide on a {inner} px screen"
                         f" (widest: {page.evaluate(WIDEST)})")
    return found


WIDEST = """() => {
  const w = window.innerWidth;
  return [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > w + 1
    || e.getBoundingClientRect().left < -1).filter(e => !e.closest(".table-scroll, .leaflet-container"))
    .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className
      === "string" ? "." + e.className.trim().split(/\\s+/).join(".") : "")).join(", ");
}"""


# The pages' markup does not depend on the database: CI's SQLite run checks them, and its PostgreSQL
# run (the same suite again) saves the browser's two minutes.
ON_SQLITE_ONLY = pytest.mark.skipif(USE_POSTGRES, reason="markup checked in the SQLite run")


@pytest.mark.browser
@ON_SQLITE_ONLY
@pytest.mark.parametrize(("page_", "locale", "width"), _params())
def test_page_is_accessible(contexts: Contexts, a11y_server: Server, page_: Page, locale: str, width: int) -> None:
    page = contexts.page(page_.role, locale, width)
    url = a11y_server.url + page_.path.format(locale=locale, **a11y_server.ids)
    response = page.goto(url)
    assert response is not None and response.status == page_.status, (url, response and response.status)
    if page_.then:
        ACTIONS[page_.then](page)
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == ("rtl" if locale == "ar" else "ltr"), url
    found = problems_on(page, width)
    if found:
        raise AccessibilityFailure(f"{page.url} ({locale}, {width} px):\n  " + "\n  ".join(found))


# --- focus after a failed form -------------------------------------------------------------------

FOCUSED_SUMMARY = "[document.activeElement.id, document.activeElement.hasAttribute('data-error-summary')]"


@pytest.mark.browser
@ON_SQLITE_ONLY
@pytest.mark.parametrize("locale", LOCALES)
def test_a_failed_form_puts_focus_on_its_error_summary(contexts: Contexts, a11y_server: Server, locale: str) -> None:
    """Keyboard and screen-reader users start at what to fix: the login page (a wrong password,
    then empty fields), a campaign's form (base.html's focus-errors.js) and the public survey form
    (the one script of the respondent's pages)."""
    base, ids = a11y_server.url, a11y_server.ids
    page = contexts.page(ANONYMOUS, locale, 1280)
    page.goto(f"{base}/login")
    page.locator("#email").fill(f"someone.{locale}@example.org")
    page.locator("#password").fill("not the password")
    with page.expect_navigation():
        page.locator("form input[type=submit], form button[type=submit]").first.click()
    assert page.evaluate(FOCUSED_SUMMARY) == ["login-error", True]
    page.goto(f"{base}/login")
    with page.expect_navigation():
        page.locator("form input[type=submit], form button[type=submit]").first.click()
    assert page.evaluate(FOCUSED_SUMMARY) == ["login-errors", True]
    page.keyboard.press("Tab")  # the summary's first link, then on to its field
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#email"

    page.goto(f"{base}/s/{ids['token']}/{locale}")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')") is False
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    assert page.evaluate(FOCUSED_SUMMARY)[1] is True

    page = contexts.page(Role.COORDINATOR.value, locale, 1280)
    page.goto(f"{base}/campaigns/{ids['campaign']}/edit")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')") is False  # no errors, no jump
    bad_budget(page)
    assert page.evaluate(FOCUSED_SUMMARY) == ["form-errors", True]
    assert page.locator("#form-errors a[href='#budget']").count() == 1
