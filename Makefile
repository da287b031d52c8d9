# kalshi-api: `make install` then `make test`. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Where `make specs` reads upstream specs: a directory, a URL base or a file (default: ../shared/specs if
# present, else Kalshi's published URLs).
SPEC_SOURCE ?=
# `make drift NEW=...`: the spec (directory, URL base or file) to compare the pinned ones with; JSON=1 for data.
NEW ?=
JSON ?=
# `make bump OPENAPI=... ASYNCAPI=...`: single files for each kind (override SPEC_SOURCE per kind).
OPENAPI ?=
ASYNCAPI ?=

.PHONY: install specs regen lint types check-regen check-upstream drift bump test soak bench demo

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
	$(BIN)/mypy --strict generated overrides codegen examples

check-regen:
	$(BIN)/python -m codegen check-regen

# Fails, printing the drift report, when the upstream spec no longer matches the pinned lock.
check-upstream:
	$(BIN)/python -m codegen check-upstream $(if $(SPEC_SOURCE),--source '$(SPEC_SOURCE)')

# Markdown report of what changed between the pinned specs and NEW; exit 1 when something is breaking.
drift:
	$(BIN)/python -m codegen.drift $(if $(NEW),--new '$(NEW)') $(if $(JSON),--json)

# A spec bump in one step: make specs from the new source, make regen, and the report in openapi/CHANGES.md.
bump:
	$(BIN)/python -m codegen bump $(if $(SPEC_SOURCE),--source '$(SPEC_SOURCE)') \
		$(if $(OPENAPI),--openapi '$(OPENAPI)') $(if $(ASYNCAPI),--asyncapi '$(ASYNCAPI)')

# pytest exits non-zero on failures and also when it collects no tests.
test: lint types check-regen check-upstream
	$(BIN)/pytest

# The reliability suite at ten times the load (not part of `make test`); FIGURES=path.json keeps the figures.
soak:
	KALSHI_SOAK_ROUNDS=550 KALSHI_SOAK_CALLS=5000 $(if $(FIGURES),KALSHI_RELIABILITY_FIGURES='$(FIGURES)') \
		$(BIN)/pytest tests/reliability -k "chaos or thousand"

# README.md's quick start, verbatim, against a FakeKalshi on loopback (examples/readme_quickstart.py).
demo:
	$(BIN)/python examples/readme_quickstart.py

# Benchmarks against the peer SDKs and msgspec/orjson floors, in a Python 3.12 venv of its own (bench/README.md).
# Not part of `make test`; BENCH_ARGS=--quick for a smoke run.
bench:
	bash bench/setup.sh $(BENCH_ARGS)
