"""Flask extensions, created unbound so the app factory can bind them to any number of apps."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model (typed `Mapped[...]` columns)."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
# Per-client-address limits (the public survey form); counts live in RATELIMIT_STORAGE_URI, never the database.
limiter = Limiter(key_func=get_remote_address)
