# The README's two commands: `make run` (the main job) and `make test` (the whole test suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE ?= scenarios/examples/anna.yaml
DATE ?= 2027-03-01
JOBS ?= 2   # pytest-xdist workers (the tests are CPU-bound: one per core)

.PHONY: run test test-fast lint style install install-test install-web check bench clean docs browser-deps

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	$(BIN)/python -m compileall -q reform_rules  # byte-code once: faster start (PYTHONDONTWRITEBYTECODE machines)

install-test: $(VENV)/.installed-test

# Installed once per change of pyproject.toml (a stamp), not on every `make test`.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m compileall -q reform_rules  # byte-code once: faster start (PYTHONDONTWRITEBYTECODE machines)
	touch $@

run: install-web
	$(BIN)/reform check --quick
	$(BIN)/reform query $(EXAMPLE) --date $(DATE)
	@echo "The caseworker page: http://127.0.0.1:8000/  (Ctrl-C stops it)"
	$(BIN)/reform serve --host 127.0.0.1 --port 8000

install-web: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[web]'
	$(BIN)/python -m compileall -q reform_rules  # byte-code once: faster start (PYTHONDONTWRITEBYTECODE machines)

# The whole suite: the stages (lint), the docs built once (test_docs.py reuses docs/_build/html when it is
# fresh), then every test, the slow ones too (browser, API fuzzer, full proofs, the wheel).
# The browser download, the lint and the docs build run side by side (-j3: one waits on the network, the
# other two are single-threaded); --dist loadgroup keeps a module that builds something once (the wheel's
# virtualenv) on one worker instead of building it on both.
test: install-test
	$(MAKE) --no-print-directory -j3 -O browser-deps lint docs
	$(BIN)/reform check --quick
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

# What a contributor runs between edits: no docs build, no browser, no slow tests.
test-fast: install-test lint
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup -m "not slow"

# A stage imports only earlier stages, and no cycles within one ([tool.importlinter] in pyproject.toml);
# the package's style and types ([tool.ruff], [tool.mypy]). Run by `make test` and `make test-fast`.
lint: install-test
	$(BIN)/lint-imports
	$(BIN)/ruff check reform_rules
	$(BIN)/mypy

style: lint

# Headless Chromium for the browser tests (Debian's package; as root on a fresh machine).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "browser-deps: could not install chromium"; \
	  else echo "browser-deps: chromium missing; browser tests will say so"; fi; }

# The stamp says the build passed with -W; tests/test_docs.py reuses the build while it is newer than its sources.
docs: install-test
	rm -f docs/_build/html/.built-with-W
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html
	touch docs/_build/html/.built-with-W

bench: install
	$(BIN)/python bench/query.py

clean:
	rm -rf $(VENV) build *.egg-info docs/_build
