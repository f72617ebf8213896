# Two commands on a fresh machine:
#   make run    install, migrate, load the demo and serve http://127.0.0.1:5000
#   make test   install (with test tools and Chromium) and run the whole test suite
# Set DATABASE_URL=postgresql+psycopg://user:pass@host/db to run either against PostgreSQL.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 5000
PYTEST_ARGS ?=
export FLASK_APP := wsgi

.PHONY: run test install install-dev system-packages system-runtime translations translations-update lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -d translations

system-packages:
	scripts/install-system-packages

system-runtime:
	scripts/install-system-packages --runtime

run: system-runtime install
	$(VENV)/bin/flask db upgrade
	$(VENV)/bin/flask demo load
	@echo "Serving the planner on http://127.0.0.1:$(PORT) (Ctrl+C stops it)"
	$(VENV)/bin/gunicorn --workers 2 --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app

test: system-packages install-dev
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treated as a failure"; fi; exit $$rc

lint: install-dev
	$(VENV)/bin/ruff check campaigns targeting content tests bench
	$(VENV)/bin/mypy

bench: install-dev
	$(PY) bench/sqlite_locking.py
	$(PY) bench/content.py

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache .mypy_cache .ruff_cache

# After changing user-facing strings: extract, then translate what `make translations-update` marks new.
translations-update: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location \
		--sort-output --project campaign-planner -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
