# Everything runs inside .venv, created on first use from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install test lint format sandbox demo load backfill models status check report bench clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev tools

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint ## lint, then the whole pytest suite
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

status: $(STAMP) ## watermarks, last runs and rows per table
	$(BIN)/teamup-etl status

check: $(STAMP) ## freshness, reconciliation, row-count jumps: non-zero exit when one fails
	$(BIN)/teamup-etl check

REPORT ?= teamup_report.html
report: $(STAMP) ## write the revenue report, one offline HTML file: make report REPORT=path.html
	$(BIN)/teamup-etl report --output $(REPORT)

bench: $(STAMP) ## the pipeline beside a raw baseline at 30k and 300k invoices (latency-bound run at 30k)
	$(BIN)/python -m bench.run --invoices 30000 300000 --latency-at 30000

sandbox: $(STAMP) ## serve the local TeamUp stand-in on 127.0.0.1:8765 until Ctrl-C
	$(BIN)/python -m sandbox --port 8765 --seed 1 --invoices 20000

clean: ## remove .venv, caches, the demo and the report (warehouse files stay)
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info .demo teamup_report.html
