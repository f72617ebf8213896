# Two commands on a fresh machine:
#   make run    install, migrate, load the demo and serve http://127.0.0.1:5000
#   make test   install (with test tools and Chromium) and run the whole test suite
# Set DATABASE_URL=postgresql+psycopg://user:pass@host/db to run either against PostgreSQL
# (the driver, psycopg, is installed with the rest).
#
# Both install exactly the versions and hashes in requirements/*.txt, the lock. `make lock`
# re-resolves it to the newest versions pyproject.toml allows and runs the tests on the result.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PORT ?= 5000
PYTEST_ARGS ?=
LOCK_RUNTIME := requirements/runtime.txt
LOCK_DEV := requirements/dev.txt
LOCK_FLAGS := --python $(PY) --python-platform linux --generate-hashes --quiet --custom-compile-command "make lock"
export FLASK_APP := wsgi

.PHONY: run test install install-dev system-packages system-runtime translations translations-update lint bench clean \
	lock lock-check resolve-into audit

# The lock is complete (--require-hashes refuses anything not in it); the project itself is then
# installed editable with the locked setuptools, so no build step fetches an unpinned package.
$(VENV)/.installed: $(LOCK_RUNTIME) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r $(LOCK_RUNTIME)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed $(LOCK_DEV)
	$(PIP) install --quiet --require-hashes -r $(LOCK_DEV)
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
	@echo "Serving the planner on http://127.0.0.1:$(PORT), with its scheduler (Ctrl+C stops both)"
	VENV=$(VENV) scripts/serve $(PORT)

test: system-packages install-dev
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treated as a failure"; fi; exit $$rc

lint: install-dev
	$(VENV)/bin/ruff check campaigns targeting content tests bench scripts/audit_lock.py
	$(VENV)/bin/mypy

bench: install-dev
	$(PY) bench/sqlite_locking.py
	$(PY) bench/content.py

# Resolve both locks into folder $(1): the dev set first, then the runtime set constrained by it,
# so both name the same versions. uv keeps the versions already in $(1) unless $(2) says --upgrade.
define resolve
	$(VENV)/bin/uv pip compile pyproject.toml requirements/build.in --extra dev $(2) $(LOCK_FLAGS) -o $(1)/dev.txt
	$(VENV)/bin/uv pip compile pyproject.toml requirements/build.in -c $(1)/dev.txt $(LOCK_FLAGS) -o $(1)/runtime.txt
endef

# Re-resolve both locks to the newest versions pyproject.toml allows, list what moved, and run
# the whole suite on the new set. Commit requirements/ only if it is green.
lock: $(VENV)/.installed-dev
	$(call resolve,requirements,--upgrade)
	@echo "Versions that moved:"; git diff --no-color -U0 -- requirements | grep -E '^[-+][A-Za-z0-9]' || echo "  none"
	$(MAKE) test

# Fails when pyproject.toml asks for something the committed lock does not give (an edited range
# or a new dependency without `make lock`): resolves again, keeping the locked versions, and diffs.
lock-check: $(VENV)/.installed-dev
	@tmp=$$(mktemp -d) && cp $(LOCK_DEV) $(LOCK_RUNTIME) $$tmp/ && \
	$(MAKE) --no-print-directory resolve-into DIR=$$tmp && \
	sed -i "s#-c $$tmp/dev.txt#-c requirements/dev.txt#" $$tmp/runtime.txt && \
	if diff -u $(LOCK_DEV) $$tmp/dev.txt && diff -u $(LOCK_RUNTIME) $$tmp/runtime.txt; then \
	  echo "requirements/ matches pyproject.toml"; else \
	  echo "requirements/ does not match pyproject.toml: run make lock and commit requirements/" >&2; exit 1; fi

resolve-into:
	$(call resolve,$(DIR),)

# Known vulnerabilities in the locked set (PyPI's advisory data); fails when a fixed version exists.
audit: $(VENV)/.installed-dev
	$(PY) scripts/audit_lock.py $(LOCK_DEV)

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache .mypy_cache .ruff_cache

# After changing user-facing strings: extract, then translate what `make translations-update` marks new.
translations-update: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location \
		--sort-output --project campaign-planner -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
