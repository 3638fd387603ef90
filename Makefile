# The two commands: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

HTMX_VERSION := 2.0.11
HTMX_SHA256 := d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717
HTMX := static/vendor/htmx.min.js

.PHONY: run serve worker test test-cluster install test-install htmx chromium wrk haproxy db lint bench bench-schedule clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when a requirements file changes.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: tests/requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r tests/requirements.txt
	touch $@

install: $(VENV)/.installed htmx
test-install: install $(VENV)/.test-installed chromium

# htmx from the npm package at a pinned version, checked against a pinned sha256.
htmx: $(HTMX)
$(HTMX):
	@mkdir -p $(@D)
	@tmp=$$(mktemp -d) && \
	  (cd $$tmp && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null) && \
	  tar -xzf $$tmp/htmx.org-$(HTMX_VERSION).tgz -C $$tmp package/dist/htmx.min.js && \
	  echo "$(HTMX_SHA256)  $$tmp/package/dist/htmx.min.js" | sha256sum --check --quiet && \
	  cp $$tmp/package/dist/htmx.min.js $@ && rm -rf $$tmp && \
	  echo "htmx $(HTMX_VERSION) verified into $@"

# Debian's chromium for the real-browser tests (never `playwright install`).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# Debian's wrk for `make bench`.
wrk:
	@if ! command -v wrk >/dev/null; then \
	  echo "Installing Debian's wrk..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi

# Debian's HAProxy for `make test-cluster`.
haproxy:
	@if ! command -v haproxy >/dev/null; then \
	  echo "Installing Debian's haproxy..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	fi

# Migrate the schema to the current version (creating it when new), then the demo data.
db: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo

# The web server and, beside it, the huey worker that sends reminders (log: instance/worker.log).
run: db
	@echo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	@echo "Demo logins, password sciatica-demo: therapist@example.com, client@example.com"
	@echo "Reminder emails go to instance/outbox/ unless TRACKER_SMTP_URL is set."
	@echo
	@# the served address, for links in emails (tracker/config.py) unless TRACKER_BASE_URL is set
	@export TRACKER_BIND="$(HOST):$(PORT)"; \
	  $(BIN)/huey_consumer tracker.jobs.worker.huey -w 2 -k thread > instance/worker.log 2>&1 & \
	  worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

# Production: gunicorn (tracker/jobs/gunicorn_conf.py: TRACKER_BIND, default 127.0.0.1:8000, and
# TRACKER_WORKERS, default 2 per core + 1) after migrating the schema, and beside it the huey
# worker (WORKER=0 leaves it out, e.g. on all hosts but one; `make worker` runs it alone).
WORKER ?= 1
serve: install
	$(FLASK) db upgrade
	@# gunicorn's default address, also read for links in emails unless TRACKER_BASE_URL is set
	@export TRACKER_BIND="$${TRACKER_BIND:-127.0.0.1:8000}"; \
	if [ "$(WORKER)" = 1 ]; then \
	  $(BIN)/huey_consumer tracker.jobs.worker.huey -w 2 -k thread & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	fi; \
	$(BIN)/gunicorn -c python:tracker.jobs.gunicorn_conf wsgi:app

worker: install
	$(BIN)/huey_consumer tracker.jobs.worker.huey -w 2 -k thread

# The suite on SQLite; then, when TRACKER_TEST_POSTGRES_URL is set (a server URL, e.g.
# postgresql://postgres@127.0.0.1:5432/), again on PostgreSQL in a fresh database that
# tests/conftest.py creates and drops. Both runs always run; it fails if either fails.
TRACKER_TEST_POSTGRES_URL ?=
# Both cores (pytest-xdist) and the 15 slowest tests listed at the end of each run. The
# browser tests then run on their own, one at a time in file order: they share one live server
# and its demo accounts (pytest-xdist's loadgroup can't keep them together under pytest 9).
PYTEST_ARGS ?= -n 2 --durations=15
BROWSER_ARGS ?= --durations=15
test: test-install
	$(BIN)/ruff check tracker tests wsgi.py
	@echo "== Test suite on SQLite =="
	@status=0; \
	  env -u TRACKER_TEST_POSTGRES_URL $(BIN)/python -m pytest $(PYTEST_ARGS) -m "not browser" \
	    || status=1; \
	  echo "== Browser tests (SQLite, one at a time) =="; \
	  env -u TRACKER_TEST_POSTGRES_URL $(BIN)/python -m pytest $(BROWSER_ARGS) -m browser \
	    || status=1; \
	  if [ -n "$(TRACKER_TEST_POSTGRES_URL)" ]; then \
	    echo "== Test suite again on PostgreSQL (TRACKER_TEST_POSTGRES_URL), in a fresh database;" \
	      "browser tests skipped there (they ran on SQLite above) =="; \
	    TRACKER_TEST_POSTGRES_URL='$(TRACKER_TEST_POSTGRES_URL)' \
	      $(BIN)/python -m pytest $(PYTEST_ARGS) -m "not browser" || status=1; \
	  else \
	    echo "TRACKER_TEST_POSTGRES_URL is not set: the PostgreSQL run is skipped"; \
	  fi; \
	  if [ $$status -ne 0 ]; then echo "== Tests FAILED (see above) =="; fi; \
	  exit $$status

# Two app hosts (gunicorn + huey worker each, on 127.0.0.2 and 127.0.0.3) behind HAProxy, on a
# shared PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379): journeys through the balancer,
# one host SIGKILLed mid-load, writes checked, reminders counted once (tests/cluster/cluster.py).
test-cluster: test-install haproxy
	$(BIN)/python tests/cluster/cluster.py

# The app under gunicorn and wrk on a seeded database (2,000 clients, 90 days each): a temp
# SQLite file, or PostgreSQL with BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tracker_bench
# (created and dropped). Its last line sums it up: see tests/benchmarks/bench.py.
BENCH_DATABASE_URL ?=
bench: install wrk
	BENCH_DATABASE_URL='$(BENCH_DATABASE_URL)' $(BIN)/python tests/benchmarks/bench.py

bench-schedule: install
	$(BIN)/python tests/benchmarks/schedule_bench.py

clean:
	rm -rf $(VENV) $(HTMX)
