# detente — every developer task is a target here; CI runs `make test` (see .ci/run).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test system-packages lint typecheck unit bench docs-schema clean

# -- environments ---------------------------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=25.1"

$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[report]"
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[all]" --group test --group lint
	touch $@ $(VENV)/.core

$(VENV)/.bench: pyproject.toml $(VENV)/.dev
	$(PIP) install --group bench
	touch $@

# -- the two commands of the README ---------------------------------------------------------
demo: $(VENV)/.core
	$(BIN)/detente brief ceasefire-2025

test: system-packages $(VENV)/.dev lint typecheck unit

# -- pieces of `make test` ------------------------------------------------------------------
system-packages:  # Chromium and PostgreSQL from Debian, when missing (see .ci/system-packages)
	bash .ci/system-packages

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(VENV)/.dev
	$(BIN)/mypy

# One test process per CPU (pytest-xdist); a worker takes another's waiting tests when it is
# done with its own, so the long browser and PostgreSQL files do not hold up the end.
# PYTEST_ARGS="-n 0" runs them in this process, one at a time.
unit: $(VENV)/.dev
	$(BIN)/pytest -n auto --dist worksteal --cov --cov-report=term --cov-fail-under=95 $(PYTEST_ARGS)

bench: $(VENV)/.bench
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

docs-schema: $(VENV)/.core
	$(BIN)/python -c "import json; from detente.scenario.formats.native import json_schema; print(json.dumps(json_schema(), indent=2))" > docs/reference/scenario.schema.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
