# Stageflow developer entry points. `make test` is what CI runs (through .ci/run).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
# Reinstall when the project's dependencies change; otherwise `make venv` is a no-op.
STAMP  := $(VENV)/.stageflow-installed
PYTEST_ARGS ?=

.PHONY: venv demo test bench screenshots clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[dev]'
	touch $@

# Loads the sample apps into a SQLite file, creates an admin user, prints its login and
# serves on http://127.0.0.1:5000.
demo: venv
	$(VENV)/bin/stageflow demo

# Plain serial pytest: the PostgreSQL/Redis fixtures share one Redis db, so no -n by default.
# Extra options: make test PYTEST_ARGS='-k records -x'
test: venv
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: venv
	@set -e; for f in bench/bench_*.py; do \
		[ -e "$$f" ] || { echo "no benchmarks in bench/"; break; }; \
		echo "== $$f"; $(PY) $$f; \
	done

# The README's pictures (docs/screenshots/), taken in headless Chromium from a fresh demo database.
screenshots: venv
	$(PY) -m pytest -q tests/browser/test_screenshots.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -prune -exec rm -rf {} +
