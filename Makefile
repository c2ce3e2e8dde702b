# The two commands: `make run` and `make test`. README and .ci/run call these targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(abspath $(VENV))/bin
export DEBUG ?= true
export PATH := $(BIN):$(PATH)

.PHONY: install run run-services test pytest browser-deps lint format lock check-deploy bench bench-journey bench-offer-day clean

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

## Start web, Celery worker and beat on embedded defaults with the demo at http://127.0.0.1:8000;
## DEMO=decided or DEMO=after-offer-day loads the post-16 round further on (fresh database only)
DEMO ?= at-panel
run: install
	python manage.py migrate --no-input
	python manage.py seed_demo --if-empty --through $(DEMO)
	honcho start -f Procfile

## The production-like processes (gunicorn, worker, beat) against DATABASE_URL/REDIS_URL;
## DEPLOYMENT defaults to staging here (only the allow-list is emailed): set it to go live
run-services: install
	python manage.py migrate --no-input
	DEBUG=false DEPLOYMENT=$${DEPLOYMENT:-staging} python manage.py collectstatic --no-input -v0
	DEBUG=false DEPLOYMENT=$${DEPLOYMENT:-staging} honcho start -f Procfile.services

## The whole suite: lint, then every test (embedded defaults, or PostgreSQL/Redis when set)
test: install lint pytest

pytest: install browser-deps
	PHASETRANSFER_VAR_DIR=$(CURDIR)/var/test python -m pytest

## Debian's Chromium for the browser tests (tests/browser): Playwright cannot download its own here
browser-deps:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "The browser tests need Chromium at /usr/bin/chromium, and apt-get is not here to install it." >&2; \
		echo "Install Chromium with this system's package manager, then run make test again." >&2; \
		exit 1; \
	fi; \
	echo "Installing Chromium for the browser tests: apt-get install -y chromium"; \
	apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; \
	[ -x /usr/bin/chromium ] || { echo "apt-get did not install /usr/bin/chromium." >&2; exit 1; }

## Style, the architecture's import rules (pyproject.toml) and the types
lint: install
	ruff check .
	ruff format --check .
	lint-imports
	mypy

format: install
	ruff check --fix .
	ruff format .

## Re-pin every Python dependency after changing pyproject.toml
lock:
	rm -rf /tmp/phasetransfer-lock && $(PYTHON) -m venv /tmp/phasetransfer-lock
	/tmp/phasetransfer-lock/bin/pip install --quiet -e ".[dev]"
	/tmp/phasetransfer-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

check-deploy: install
	DEBUG=false DEPLOYMENT=production SECRET_KEY=$$(python -c 'import secrets; print(secrets.token_urlsafe(64))') \
	ALLOWED_HOSTS=phase-transfer.example.gov.uk python manage.py check --deploy --fail-level WARNING

## Benchmarks (not part of make test); results go in the README
bench: install
	python tests/benchmarks/bench_allocation.py

## Load test of the family journey: gunicorn + PostgreSQL + locust, 50 users for 60 s (see the script)
bench-journey: install
	tests/benchmarks/run_journey_load.sh

## Load test of SEN offer day: 3,000 families open outcome and letter, at 1x and 5x (see the script)
bench-offer-day: install
	tests/benchmarks/run_offer_day_load.sh

clean:
	rm -rf $(VENV) node_modules var staticfiles
