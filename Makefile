# Chokepoint — two commands on a fresh Debian machine:
#   make run    set up and serve the app on the built-in data (http://127.0.0.1:8501, this machine only;
#               serve.py: app.py with its caches warmed at start)
#   make test   set up (incl. Chromium via apt when root), lint (ruff, mypy), run the whole test suite
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PORT    ?= 8501
# Where `make run` listens: this machine only by default. Serving on every interface is an explicit
# choice: `make run ADDRESS=0.0.0.0` (configure [auth] first: without it everyone shares one workspace).
ADDRESS ?= 127.0.0.1

.PHONY: run test lint bench setup setup-dev chromium services data check clean constraints

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# constraints.txt pins the whole transitive set (what pip would otherwise pick freshly).
$(VENV)/.req: requirements.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.req-dev: requirements.txt requirements-dev.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@ $(VENV)/.req

setup: $(VENV)/.req
setup-dev: $(VENV)/.req-dev

# Debian's Chromium (browser tests, chart export). Installed only when missing and we are root.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
	  echo "installing Chromium and fonts with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null; \
	else echo "Chromium missing: run 'sudo apt-get install chromium fonts-liberation' (browser tests and exports need it)"; fi

# Debian's PostgreSQL (the workspace server backend's tests start a throwaway cluster with its
# initdb/pg_ctl) and nginx (the two-replica test's proxy). Installed only when missing and we are root;
# the packaged services are not started or enabled here: the tests run their own instances.
services:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -x /usr/sbin/nginx ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
	  echo "installing PostgreSQL and nginx with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql nginx >/dev/null; \
	else echo "PostgreSQL/nginx missing: run 'sudo apt-get install postgresql nginx' (workspace server and replica tests need them)"; fi

run: setup
	$(BIN)/python -m chokepoint data check
	$(BIN)/streamlit run serve.py --server.address $(ADDRESS) --server.port $(PORT)

# Any ruff or mypy finding fails the target (and so CI) before the tests run.
lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint chromium services
	$(BIN)/python -m chokepoint data check
	$(BIN)/python -m pytest -q

# Every benchmark, as a module of the bench package (so it imports chokepoint and tests/ as
# packages from the repository root, no sys.path edits); stops at the first one that fails.
# Reduced sizes by default (minutes on 2 cores); `BENCH_FULL=1 make bench` runs the full sizes.
bench: setup-dev chromium services
	@for f in bench/bench_*.py; do m=$$(basename $$f .py); echo "== bench.$$m"; $(BIN)/python -m bench.$$m || exit 1; done

constraints: setup-dev
	{ sed -n '1,3p' constraints.txt; $(BIN)/pip freeze --exclude-editable; } > constraints.txt.new && mv constraints.txt.new constraints.txt

data: setup
	$(BIN)/python -m chokepoint data build

check: setup
	$(BIN)/python -m chokepoint data check

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
