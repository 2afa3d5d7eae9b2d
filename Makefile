# Everything a fresh clone needs: `make demo` and `make test` set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all install demo serve test check lint typecheck bench clean format

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/cityioc demo

serve: $(STAMP)
	$(BIN)/cityioc serve

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

check: lint typecheck

lint: $(STAMP)
	$(BIN)/ruff check cityioc tests
	$(BIN)/ruff format --check cityioc tests

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format cityioc tests
	$(BIN)/ruff check --fix cityioc tests

bench: $(STAMP)
	$(BIN)/cityioc bench --write BENCHMARKS.md

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
