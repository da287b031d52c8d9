# kalshi-api: `make install` then `make test`. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Where `make specs` reads upstream specs: a directory, a URL base or a file (default: ../shared/specs if
# present, else Kalshi's published URLs).
SPEC_SOURCE ?=

.PHONY: install specs regen lint types check-regen test

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'

specs:
	$(BIN)/python -m codegen specs $(if $(SPEC_SOURCE),--source '$(SPEC_SOURCE)')

regen:
	$(BIN)/python -m codegen regen

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types:
	$(BIN)/mypy --strict generated overrides codegen

check-regen:
	$(BIN)/python -m codegen check-regen

# pytest exits non-zero on failures and also when it collects no tests.
test: lint types check-regen
	$(BIN)/pytest
