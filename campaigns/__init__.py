"""The campaign planner application: web pages, JSON API, database, CLI and scheduler.

`create_app` is the only way to get an app; it reads settings once and binds the extensions.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from werkzeug.middleware.proxy_fix import ProxyFix

from content.locales import TRANSLATIONS_DIR, direction

from . import access, bounded_ints, connection
from . import db as dbmod
from .config import SUPPORTED_LOCALES, load_settings
from .extensions import babel, csrf, db, migrate
from .i18n import language_choices, select_locale
from .security import SessionInterface, set_security_headers

PACKAGE_DIR = Path(__file__).resolve().parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides the environment (tests pass their own database and keys).

    Raises `connection.StartupError`, one line saying what to fix, for a setting it cannot start
    with: a bad value, a database driver that is not installed, a database it cannot reach."""
    app = Flask(__name__, instance_relative_config=True)
    instance = Path((config or {}).get("INSTANCE_PATH", app.instance_path))
    app.instance_path = str(instance)  # caches and parked uploads live beside the database, per app
    try:
        settings = load_settings(instance, {k: v for k, v in (config or {}).items() if k != "INSTANCE_PATH"})
    except ValueError as exc:
        raise connection.StartupError(str(exc)) from None
    url = connection.parse(settings.database_url)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=connection.engine_options(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout_s=settings.db_pool_timeout,
            connect_timeout_s=settings.db_connect_timeout,
            statement_timeout_ms=settings.db_statement_timeout_ms,
        ),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.force_https_cookies,
        SESSION_COOKIE_NAME="planner_session",
        PERMANENT_SESSION_LIFETIME=settings.session_hours * 3600,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the login session
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
        MAX_CONTENT_LENGTH=200 * 1024 * 1024,
    )
    for key, value in settings.extra.items():
        if key.isupper():
            app.config[key] = value
    if settings.behind_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.session_interface = SessionInterface()

    try:
        db.init_app(app)  # creates the engine, which imports the driver
    except (ImportError, NoSuchModuleError, ArgumentError) as exc:
        raise connection.StartupError(connection.driver_problem(settings.database_url, exc)) from None
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=select_locale)
    if settings.is_sqlite:
        with app.app_context():
            dbmod.configure_sqlite(db.engine, settings.sqlite_busy_timeout_ms)
    with app.app_context():
        connection.check(db.engine, settings.database_url)

    _register_request_cycle(app)
    csrf.init_app(app)  # after the gate: a signed-out POST goes to the login page, not a CSRF error
    bounded_ints.register(app)  # before the blueprints add their <int:...> rules
    _register_blueprints(app)
    _register_template_helpers(app)
    from .cli import register_cli

    register_cli(app)
    access.check_policies(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from .reports import views as reports
    from .views import admin, api, auth, campaigns_, home, public_files, rankings, targeting, toolkits, uploads

    for module in (auth, home, targeting, rankings, uploads, campaigns_, toolkits, reports, admin, public_files):
        app.register_blueprint(module.bp)
    app.register_blueprint(toolkits.public)
    from .surveys import public
    from .surveys import views as surveys

    app.register_blueprint(surveys.bp)
    app.register_blueprint(public.public)
    public.init_app(app)  # the rate limiter of the public survey form
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    csrf.exempt(api.bp)  # bearer tokens, not cookies: no cross-site request can carry one
    from .views import errors

    errors.register(app)


def _register_request_cycle(app: Flask) -> None:
    @app.before_request
    def declare_write_intent() -> None:
        dbmod.set_write_intent(request.method in dbmod.WRITE_METHODS)

    app.before_request(access.gate)

    @app.after_request
    def finish_transaction(response: Any) -> Any:
        """The one place a request's transaction ends: commit on success, roll back otherwise."""
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    app.after_request(set_security_headers)

    @app.teardown_request
    def reset_write_intent(_exc: BaseException | None) -> None:
        dbmod.set_write_intent(False)


def _register_template_helpers(app: Flask) -> None:
    from .views.filters import register_filters

    register_filters(app)

    @app.context_processor
    def shell_context() -> dict[str, Any]:
        from flask_babel import get_locale

        locale = str(get_locale() or app.config["SETTINGS"].default_locale)
        return {
            "current_user": g.get("user"),
            "page_locale": locale,
            "page_dir": direction(locale),
            "languages": language_choices(),
            "site_languages": language_choices(),  # base.html's switcher: a view's own `languages` cannot hide it
            "supported_locales": SUPPORTED_LOCALES,
        }
