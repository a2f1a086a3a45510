# Stageflow developer entry points. `make test` is what CI runs (through .ci/run).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
# Reinstall when the project's dependencies change; otherwise `make venv` is a no-op.
STAMP  := $(VENV)/.stageflow-installed
PYTEST_ARGS ?=

.PHONY: venv demo test check screenshots bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[dev]'
	touch $@

# Loads the sample apps with demo data into a SQLite file, creates the user "admin" if missing
# (printing its password then; a second run keeps it) and serves on http://127.0.0.1:$(DEMO_PORT).
DEMO_DB   ?= sqlite:///$(CURDIR)/stageflow-demo.db
DEMO_PORT ?= 5000
demo: venv
	$(VENV)/bin/stageflow demo --db '$(DEMO_DB)'
	$(VENV)/bin/stageflow create-admin admin --db '$(DEMO_DB)'
	$(VENV)/bin/stageflow serve --db '$(DEMO_DB)' --port $(DEMO_PORT)

# ruff first (seconds), then pytest on two xdist workers: each worker is a test session of its own,
# with its own databases and Redis prefix. Extra options: make test PYTEST_ARGS='-k records -x'
TEST_WORKERS ?= 2
test: venv
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The inner loop: ruff, then only the tests that cover what changed since BASE (default HEAD, i.e. the
# uncommitted work; scripts/changed_tests.py says how tests are chosen). CI always runs `make test`.
BASE ?= HEAD
check: venv
	$(VENV)/bin/ruff check .
	@tests="$$($(PY) scripts/changed_tests.py $(BASE))"; \
	if [ -z "$$tests" ]; then echo "no tests cover the changes"; \
	else $(PY) -m pytest -q -n $(TEST_WORKERS) $$tests $(PYTEST_ARGS); fi

# Rebuilds docs/screenshots/ (the README's pictures) from the demo data in a real Chromium.
screenshots: venv
	STAGEFLOW_SCREENSHOTS_DIR='$(CURDIR)/docs/screenshots' $(PY) -m pytest -q tests/browser/test_screenshots.py

bench: venv
	@set -e; for f in bench/bench_*.py; do \
		[ -e "$$f" ] || { echo "no benchmarks in bench/"; break; }; \
		echo "== $$f"; $(PY) $$f; \
	done

clean:
	rm -rf $(VENV) build dist .pytest_cache
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -prune -exec rm -rf {} +
