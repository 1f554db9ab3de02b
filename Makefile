# pocketsync — the two commands the README opens with:
#   make demo   the whole lifecycle on the embedded SQLite default
#   make test   the whole suite (lint, types, tests)
# Each creates the virtual environment in .venv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src server_ref client_ref tests benchmarks migrations
	$(BIN)/ruff format --check src server_ref client_ref tests benchmarks migrations

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/python -m client_ref.demo

bench: $(STAMP)
	$(BIN)/python benchmarks/initial_sync.py
	$(BIN)/python benchmarks/merge.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info src/*.egg-info
