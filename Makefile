# Everything a fresh clone needs: `make demo` and `make test` set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all install demo serve test check lint typecheck bench clean format ui ui-test browser

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The web UI (frontend/, docs/ui.md): built into the package by npm, again only when the lockfile
# or a source changed. Needs the npm registry at build time; nothing from the network at run time.
UI := frontend
UI_OUT := cityioc/web/static/ui
UI_MODULES := $(UI)/node_modules/.installed
UI_STAMP := $(UI_OUT)/.built
UI_SOURCES := $(shell find $(UI)/src -type f 2>/dev/null) $(UI)/index.html $(UI)/package.json \
	$(UI)/tsconfig.json $(UI)/vite.config.ts

$(UI_MODULES): $(UI)/package-lock.json
	cd $(UI) && npm ci --no-audit --no-fund
	touch $(UI_MODULES)

$(UI_STAMP): $(UI_MODULES) $(UI_SOURCES)
	cd $(UI) && npm run build
	touch $(UI_STAMP)

ui: $(UI_STAMP)

ui-test: $(UI_MODULES)
	cd $(UI) && npm test

# The browser tests drive Debian's Chromium (Playwright cannot download its own here):
# installed only on Debian and only when missing.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium for the browser tests (tests/ui)"; \
			$(SUDO) apt-get update -qq && \
			$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "No $(CHROMIUM) and not Debian: the browser tests (tests/ui) will skip"; \
		fi; \
	fi

demo: $(STAMP) ui
	$(BIN)/cityioc demo

serve: $(STAMP) ui
	$(BIN)/cityioc serve

test: $(STAMP) ui ui-test browser
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
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache $(UI)/node_modules $(UI_OUT)
