# Okence: `make run` starts everything on this machine, `make test` runs the tests.
#
# Needs only a Python 3.13 (pyenv's 3.13.0 or `python3.13` on PATH) and a `python3` with pip to
# fetch uv when it is not installed. Nothing is downloaded except packages from PyPI (and Debian's
# chromium for the browser tests).

SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never

UV_VERSION := 0.13.9
TOOLS := var/tools
BOOTSTRAP_PYTHON ?= python3
# uv from PATH if present, otherwise a pinned copy installed into var/tools by pip.
UV ?= $(or $(shell command -v uv 2>/dev/null),$(TOOLS)/bin/uv)
# The interpreter for .venv: pyenv's 3.13.0, else python3.13 on PATH.
PYTHON ?= $(or $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13.0/bin/python3.13),$(shell command -v python3.13 2>/dev/null))
VENV_PYTHON := .venv/bin/python

HOST ?= 127.0.0.1
PORT ?= 8000
URL := http://$(HOST):$(PORT)

.PHONY: help run test lint bench mutants sync sync-dev browser-deps

help:
	@echo "make run    start Okence on $(URL) with demo data (development profile)"
	@echo "make test   lint, then run the test suite (installs Debian's chromium and coturn if root)"
	@echo "make lint   ruff check and ruff format --check"
	@echo "make bench  run every benchmark in bench/"
	@echo "make mutants  mutation testing of the rule modules (slow; see docs/mutation-testing.md)"

$(TOOLS)/bin/uv:
	@echo "uv is not on PATH; installing uv $(UV_VERSION) into $(TOOLS)/"
	$(BOOTSTRAP_PYTHON) -m pip install --quiet --disable-pip-version-check --target $(TOOLS) uv==$(UV_VERSION)

# The uv binary itself: an existing one on PATH, or the pinned copy above.
uv-bin: $(if $(filter $(TOOLS)/bin/uv,$(UV)),$(TOOLS)/bin/uv)
.PHONY: uv-bin

check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "No Python 3.13 found: install it with pyenv ('pyenv install 3.13.0') or put python3.13 on PATH." >&2; \
	  exit 1; \
	fi
.PHONY: check-python

# Runtime packages only; --inexact leaves the dev tools in place if `make test` installed them.
sync: uv-bin check-python
	$(UV) sync --frozen --python "$(PYTHON)" --no-dev --inexact

# Everything in uv.lock, including the dev group (pytest, playwright, ruff).
sync-dev: uv-bin check-python
	$(UV) sync --frozen --python "$(PYTHON)"

run: export OKENCE_PROFILE := development
# Links printed here and e-mailed by the server name the port served, unless SITE_URL is set.
run: export SITE_URL ?= $(URL)
run: sync
	$(VENV_PYTHON) manage.py migrate --no-input
	$(VENV_PYTHON) manage.py load_demo
	@echo
	@echo "Okence is starting (Ctrl+C stops it):"
	@echo "  public booking page  $(URL)/"
	@echo "  officials' sign-in   $(URL)/prijava/ (then the console, $(URL)/uradnik/)"
	@echo "      officials        ana.novak, marko.kovac, janez.horvat, ... / okence-demo"
	@echo "  administration       $(URL)/admin/ as admin / okence-admin"
	@echo "  e-mail outbox        $(URL)/dev/outbox/"
	@echo "  statistics           $(URL)/statistika/ (ana.novak administers UE Domžale)"
	@echo
	@$(VENV_PYTHON) manage.py demo_meeting
	@echo
	$(VENV_PYTHON) manage.py serve --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium, and the relay test Debian's coturn; without them those
# tests skip themselves.
browser-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v turnserver >/dev/null 2>&1 || missing="$$missing coturn"; \
	if [ -z "$$missing" ]; then \
	  :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian's$$missing for the browser tests"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else \
	  echo "NOTE:$$missing not installed and this is not root, so the tests that need them skip."; \
	  echo "      Install with 'sudo apt-get install$$missing' to run them."; \
	fi
.PHONY: browser-deps

# Thunderbird's iCalendar parser (ical.js, pinned in its package-lock.json) reads the invites in
# the tests; npm comes with Node.js.
CALENDAR_READERS := okence/booking/tests/calendar_readers
calendar-readers:
	@if [ -d $(CALENDAR_READERS)/node_modules/ical.js ]; then \
	  :; \
	elif command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix $(CALENDAR_READERS) --no-audit --no-fund --loglevel=error; \
	else \
	  echo "NOTE: npm is not installed, so the invite tests that read with ical.js skip."; \
	fi
.PHONY: calendar-readers

test: export OKENCE_PROFILE := test
test: sync-dev browser-deps calendar-readers
	.venv/bin/ruff check .
	$(VENV_PYTHON) -m pytest

lint: sync-dev
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

bench: export OKENCE_PROFILE ?= test
bench: sync-dev
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "No benchmarks in bench/ yet."; fi; \
	for script in "$${scripts[@]}"; do \
	  [ "$$script" = bench/support.py ] && continue; \
	  echo "== $$script"; \
	  $(VENV_PYTHON) "$$script" || exit 1; \
	done

# Mutation testing (mutmut, configured in pyproject.toml) of the rule modules against their tests;
# slow (hours on 2 cores: each mutant's tests start a fresh process), so never part of
# `make test`. The mutated copy is in mutants/.
mutants: export OKENCE_PROFILE := test
mutants: sync-dev
	mkdir -p var/mutmut
	OKENCE_VAR_DIR=$(CURDIR)/var/mutmut .venv/bin/mutmut run --max-children 2
	.venv/bin/mutmut results
