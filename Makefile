# Partnerportalen. `make run` and `make test` work on a fresh Debian machine (as root for apt).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
export PORTAL_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: help setup pdf-libs run test lint format test-sqlite test-postgres translations services browser clean

help:
	@echo "make run    - set everything up and serve the portal on http://127.0.0.1:5000 (SQLite, demo data)"
	@echo "make test   - set everything up, lint, and run the whole suite on SQLite and PostgreSQL"
	@echo "make translations - extract strings and update the .po catalogs"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Compiled catalogs are build output, not committed.
portal/translations/en/LC_MESSAGES/messages.mo: portal/translations/en/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -d portal/translations -f

setup: pdf-libs $(VENV)/.installed node_modules/.installed portal/translations/en/LC_MESSAGES/messages.mo

# WeasyPrint (receipt PDFs) needs Pango and a font with Danish letters from Debian's packages.
pdf-libs:
	@{ ldconfig -p | grep -q libpango-1.0 && ldconfig -p | grep -q libpangoft2-1.0 && fc-list 2>/dev/null | grep -qi dejavu; } || { \
	  echo "Installing Pango and fonts for PDF receipts from Debian's packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fontconfig >/dev/null; }

run: setup
	$(FLASK) portal migrate
	$(FLASK) portal seed-demo --if-empty
	@$(FLASK) portal demo-logins
	@echo "Partnerportalen: http://127.0.0.1:5000"
	$(FLASK) run --host 127.0.0.1 --port 5000

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Chromium from Debian for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium from Debian's packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

# PostgreSQL and Redis run on these machines; start them if they are installed but stopped.
services:
	@bash scripts/ensure-services.sh

test-sqlite: setup browser
	$(BIN)/pytest -p no:cacheprovider --db=sqlite

test-postgres: setup browser services
	$(BIN)/pytest -p no:cacheprovider --db=postgresql --pg-url=$(PG_URL)

# Both backends at once (scripts/test-both.sh): the suite is CPU-bound and the machine has two cores.
test: lint browser services
	PG_URL=$(PG_URL) bash scripts/test-both.sh

translations: setup
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel -q update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .ruff_cache test-artifacts
