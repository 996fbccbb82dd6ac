# CPTS Pilote — the targets behind the README's two commands.
#   make demo   set up everything (virtualenv, packages, PostgreSQL, demo data) and serve the demo
#   make test   set up everything (chromium and axe-core installed if missing) and run every
#               check: lint, format, types, tests on PostgreSQL, browser tests with axe-core
# PostgreSQL is the embedded server of `cpts.devdb` (var/postgres, from a pip wheel: no system
# service) unless DATABASE_URL names a server.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install services demo-db demo-stop demo demo-data simulate test lint typecheck pytest docs screenshots bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

services:
	bash scripts/ensure-services.sh

# Only the demo runs with DEBUG on (and a random key of its own, kept in var/demo-secret-key).
demo-data demo: export DEBUG := 1

# The demo's database: DATABASE_URL if set, else the embedded server, started if down and left
# running after Ctrl-C (the `cpts` command line finds it with DEBUG=1); `make demo-stop` stops it.
demo-db: install
	@if [ -z "$$DATABASE_URL" ]; then \
	  $(BIN)/python -m cpts.devdb start >/dev/null && \
	  echo "PostgreSQL de la démo : var/postgres (make demo-stop pour l'arrêter)"; \
	fi

demo-stop:
	@if [ -x $(BIN)/python ] && [ -d var/postgres ]; then $(BIN)/python -m cpts.devdb stop; fi

demo-data: demo-db
	@bash scripts/ensure-services.sh --pdf >/dev/null || echo "Rapport annuel (PDF) indisponible : installez Pango et poppler-utils (voir scripts/ensure-services.sh)."
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py load_territory
	$(BIN)/python manage.py seed_demo

# The task worker (e-mails, declarations) runs in the background beside the server and stops
# with it (Ctrl-C or any exit of the recipe).
demo: demo-data
	@echo "CPTS Pilote : http://127.0.0.1:$(DEMO_PORT)/ (Ctrl-C pour arrêter)"
	@$(BIN)/cpts worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(DEMO_PORT)

simulate: install
	$(BIN)/cpts demo

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

pytest: install services
	$(BIN)/pytest

test: lint typecheck pytest

docs: install
	$(BIN)/python -m cpts.aci.rules_doc

screenshots: install services
	CPTS_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/e2e

bench: install services
	$(BIN)/python benchmarks/bench_campaign.py
	$(BIN)/python benchmarks/bench_territory.py

clean: demo-stop
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
