# Everything runs inside .venv, created on first use from the lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The exact versions CI and the nightly job install, compiled from pyproject.toml by `make lock`.
LOCK := requirements.lock
# pip itself is pinned so that every fresh .venv installs the lock the same way.
PIP_VERSION := 26.3
# pip-tools only regenerates the lock; it lives in a venv of its own so .venv holds just the lock.
LOCK_VENV := .venv-lock
PIP_TOOLS_VERSION := 7.6.2

.DEFAULT_GOAL := help
.PHONY: help install lock test lint typecheck format sandbox demo load backfill models docs status check probe report bench clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# Rebuilt whenever the lock or pyproject.toml changes; --clear so nothing outside the lock lingers.
# --no-deps: every dependency comes from the lock; --no-build-isolation: built with the locked setuptools.
# pip check fails when the lock is out of step with pyproject.toml: then run `make lock`.
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the locked versions, the project and its dev tools

# Keeps the pins already in the lock where they still fit pyproject.toml; UPGRADE=1 takes the newest.
lock: ## regenerate requirements.lock from pyproject.toml (make lock UPGRADE=1 to upgrade all)
	test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) \
		&& $(LOCK_VENV)/bin/python -m pip install --quiet pip==$(PIP_VERSION) pip-tools==$(PIP_TOOLS_VERSION); }
	$(LOCK_VENV)/bin/pip-compile --quiet --allow-unsafe --extra dev --strip-extras \
		--no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade) \
		--output-file $(LOCK) pyproject.toml

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP) ## mypy on sources/, pipelines/ and sandbox/ (config: [tool.mypy] in pyproject.toml)
	$(BIN)/mypy sources pipelines sandbox

test: lint typecheck ## lint, type check, then the whole pytest suite
	$(BIN)/pytest

demo: $(STAMP) ## run the real load against a local sandbox and show what landed
	$(BIN)/python -m pipelines.demo

load: $(STAMP) ## the nightly incremental load (needs the token configured)
	$(BIN)/teamup-etl load

backfill: $(STAMP) ## replace due months: make backfill START=2024-01-01 END=2024-03-31
	@test -n "$(START)" -a -n "$(END)" || { echo "usage: make backfill START=YYYY-MM-DD END=YYYY-MM-DD"; exit 2; }
	$(BIN)/teamup-etl backfill --start $(START) --end $(END)

models: $(STAMP) ## rebuild the SQL views of sql/ on the warehouse as it is (no load)
	$(BIN)/teamup-etl models

docs: $(STAMP) ## regenerate docs/tables.md's tables, views and columns from the .yml in sql/
	$(BIN)/python -m pipelines.warehouse.tables_doc

status: $(STAMP) ## watermarks, last runs and rows per table
	$(BIN)/teamup-etl status

check: $(STAMP) ## freshness, reconciliation, row-count jumps: non-zero exit when one fails
	$(BIN)/teamup-etl check

probe: $(STAMP) ## check, read-only, what the pipeline assumes of the configured TeamUp account
	$(BIN)/teamup-etl probe

REPORT ?= teamup_report.html
report: $(STAMP) ## write the revenue report, one offline HTML file: make report REPORT=path.html
	$(BIN)/teamup-etl report --output $(REPORT)

bench: $(STAMP) ## the pipeline beside a raw baseline at 30k and 300k invoices (300k again as 20,000 customers; latency-bound and PostgreSQL runs at 30k)
	$(BIN)/python -m bench.run --invoices 30000 300000 --latency-at 30000 --postgres-at 30000

sandbox: $(STAMP) ## serve the local TeamUp stand-in on 127.0.0.1:8765 until Ctrl-C
	$(BIN)/python -m sandbox --port 8765 --seed 1 --invoices 20000

clean: ## remove .venv, .venv-lock, caches, the demo and the report (warehouse files stay)
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis *.egg-info .demo teamup_report.html
