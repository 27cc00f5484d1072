# caregraph: build, run and test.
#
#   make run        the whole app on this machine: web, Celery worker and beat
#                   on SQLite and a filesystem broker (no servers needed), at
#                   http://$WEB_HOST:$WEB_PORT/ (default 127.0.0.1:8000), DEBUG off
#   make test       every check, on throwaway PostgreSQL and Redis
#                   (PYTEST_ARGS="-k referrals -x" narrows pytest)
#   make bench      python -m benchmarks on throwaway PostgreSQL and Redis
#                   (BENCH="referrals" picks modules)
#   make lint       ruff, ruff format --check, mypy, lint-imports, .env.example
#   make screenshots
#                   the README's screenshots (docs/screenshots/) from a
#                   throwaway demo database, with Debian's Chromium
#   make fmt        ruff format and ruff's safe fixes
#   make services-up / services-down
#                   long-lived PostgreSQL and Redis in var/services for
#                   iterative work: `source var/services/env`, then `make test`
#                   and pytest use them
#   make clean      caches and build leftovers; make distclean also var/ and .venv
#
# The virtualenv is made by the first target that needs it, and the project is
# reinstalled into it only when pyproject.toml changes (stamp files).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV ?= .venv
VENV_BIN := $(abspath $(VENV))/bin
PY := $(VENV_BIN)/python
VAR_DIR := $(or $(CAREGRAPH_VAR_DIR),var)
SERVICES_DIR ?= $(VAR_DIR)/services
WEB_PORT ?= 8000
# Only this machine can reach `make run` unless told otherwise (WEB_HOST=0.0.0.0).
WEB_HOST ?= 127.0.0.1
CHROMIUM_PATH ?= /usr/bin/chromium
PYTEST_ARGS ?=
BENCH ?=

RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

# Tools and manage.py run from the virtualenv; the scripts get it first on PATH.
export PATH := $(VENV_BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1
export VENV
export PYTEST_ARGS
export WEB_PORT
export WEB_HOST

.PHONY: help run test lint fmt bench wrk smoke chromium screenshots services-up services-down \
	install install-dev var-dirs clean distclean

help:
	@sed -n '2,/^$$/p' $(firstword $(MAKEFILE_LIST)) | sed -e 's/^# \{0,1\}//'

# --- the virtualenv -----------------------------------------------------------

$(PY):
	@py="$${PYTHON:-}"; \
	if [ -z "$$py" ]; then py="$$(command -v python3.11 || true)"; fi; \
	if [ -n "$$py" ] && ! "$$py" -c 'import sys' >/dev/null 2>&1; then py=""; fi; \
	if [ -z "$$py" ] && command -v python3 >/dev/null 2>&1 && \
		python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
		py="$$(command -v python3)"; \
	fi; \
	if [ -z "$$py" ]; then \
		echo "error: caregraph needs Python 3.11 (python3.11, or a python3 that is 3.11+)" >&2; \
		exit 1; \
	fi; \
	if ! "$$py" -c 'import ensurepip' >/dev/null 2>&1; then \
		venv_pkg="python$$("$$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"; \
		if [ "$$(id -u)" -eq 0 ]; then \
			scripts/apt-install.sh "$$venv_pkg"; \
		else \
			echo "error: $$py cannot make a virtualenv: apt-get install $$venv_pkg" >&2; \
			exit 1; \
		fi; \
	fi; \
	echo "creating $(VENV) with $$py ($$("$$py" -V 2>&1))"; \
	"$$py" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# PYTHONWARNINGS hides setuptools' generic warning about editable installs.
$(RUNTIME_STAMP): pyproject.toml | $(PY)
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

var-dirs:
	@mkdir -p $(VAR_DIR)/broker/out $(VAR_DIR)/broker/processed

# --- running ------------------------------------------------------------------

# The demo settings (CAREGRAPH_DEMO=1): DEBUG off, so a clinician trying it never
# sees Django's technical error pages; links in emails point at WEB_HOST:WEB_PORT.
DEMO_ENV := CAREGRAPH_DEMO=1

run: $(RUNTIME_STAMP) var-dirs
	$(DEMO_ENV) python manage.py migrate --noinput
	$(DEMO_ENV) python manage.py seed_demo
	@echo
	@echo "caregraph: http://$(WEB_HOST):$(WEB_PORT)/  (web, Celery worker and beat; Ctrl-C stops all three)"
	@echo
	$(DEMO_ENV) honcho start --procfile Procfile.dev --env /dev/null

# --- checking -----------------------------------------------------------------

# Browser tests drive Debian's Chromium (never a browser download); tests
# read CHROMIUM_PATH, /usr/bin/chromium by default.
chromium:
	@if [ ! -x "$(CHROMIUM_PATH)" ]; then \
		if [ "$(CHROMIUM_PATH)" = /usr/bin/chromium ] && [ "$$(id -u)" -eq 0 ]; then \
			scripts/apt-install.sh chromium fonts-liberation; \
		else \
			echo "warning: $(CHROMIUM_PATH) is missing: browser tests cannot run (apt-get install chromium)" >&2; \
		fi; \
	fi

test: $(DEV_STAMP) chromium
	scripts/services.sh scripts/check.sh all

lint: $(DEV_STAMP)
	scripts/check.sh lint

smoke: $(RUNTIME_STAMP)
	scripts/check.sh smoke

screenshots: $(DEV_STAMP) chromium
	python scripts/screenshots.py

fmt: $(DEV_STAMP)
	ruff format .
	ruff check --fix .

# The load tests drive the server with wrk (Debian's package) when it is there.
wrk:
	@if ! command -v wrk >/dev/null 2>&1 && [ "$$(id -u)" -eq 0 ]; then scripts/apt-install.sh wrk || true; fi

bench: $(DEV_STAMP) var-dirs wrk
	scripts/services.sh bash -c 'python manage.py migrate --noinput -v 0 && exec python -m benchmarks $(BENCH)'

services-up:
	@mkdir -p $(SERVICES_DIR)
	scripts/services.sh start $(SERVICES_DIR)

services-down:
	scripts/services.sh stop $(SERVICES_DIR)

# --- cleaning -----------------------------------------------------------------

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist *.egg-info test-results playwright-report

distclean: clean
	@if [ -f $(SERVICES_DIR)/state ]; then scripts/services.sh stop $(SERVICES_DIR) || true; fi
	rm -rf $(VAR_DIR) $(VENV)
