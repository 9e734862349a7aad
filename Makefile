# Breeder portal + marketplace. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
FLASK  := $(BIN)/flask --app wsgi
# Two workers, one per core: each gets its own database (and, by default, its own embedded server).
PYTEST_ARGS ?= -n 2

.DEFAULT_GOAL := help
.PHONY: help install run test test-migrations test-e2e test-fuzz lint audit format bench clean-db

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools>=78.1.1"
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

run: $(STAMP) ## Serve the site with demo data on http://127.0.0.1:5000 (embedded PostgreSQL unless DATABASE_URL is set)
	@$(FLASK) check-db
	@$(FLASK) db upgrade
	@$(FLASK) seed-demo --if-empty
	exec $(FLASK) run --host 127.0.0.1 --port 5000

test: $(STAMP) ## Run the whole test suite (throwaway embedded PostgreSQL, or TEST_DATABASE_URL)
	$(BIN)/pytest $(PYTEST_ARGS)

test-migrations: $(STAMP) ## Only the schema and migration tests
	$(BIN)/pytest -m migrations $(PYTEST_ARGS)

test-e2e: $(STAMP) ## Only the Chromium end-to-end tests
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

test-fuzz: $(STAMP) ## Only the hostile-input fuzz suite (FUZZ_EXAMPLES=n for more Hypothesis examples)
	$(BIN)/pytest -m fuzz $(PYTEST_ARGS)

audit: $(STAMP) ## pip-audit the installed dependencies; fails on a known vulnerability (needs PyPI's JSON API)
	$(BIN)/python .ci/audit.py

lint: $(STAMP) ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) ## Load test under gunicorn + wrk, app vs raw SQL, into bench/results/ (docs/performance.md)
	$(BIN)/python -m bench.run

clean-db: ## Delete the embedded database and localstripe's state under instance/ (demo data is reloaded by the next `make run`)
	rm -rf instance/pgdata instance/localstripe
