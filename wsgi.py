"""Entry point for `flask --app wsgi ...` and for gunicorn (`gunicorn wsgi:app`).

A setting the app cannot start with (a database it cannot reach, a driver that is missing) is
printed as one line, not a traceback. The exit status is 4, gunicorn's "App failed to load":
its master then stops at once instead of restarting workers that will fail the same way.
"""

import sys

from campaigns import create_app
from campaigns.connection import StartupError

try:
    app = create_app()
except StartupError as exc:
    print(f"error: {exc}", file=sys.stderr)
    raise SystemExit(4) from None
