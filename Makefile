# The README's two commands: `make run` (the main job) and `make test` (the whole test suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE ?= scenarios/examples/anna.yaml
DATE ?= 2027-03-01

.PHONY: run test install install-test install-web check bench clean docs browser-deps

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	$(BIN)/python -m compileall -q reform_rules  # byte-code once: faster start (PYTHONDONTWRITEBYTECODE machines)

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m compileall -q reform_rules  # byte-code once: faster start (PYTHONDONTWRITEBYTECODE machines)

run: install-web
	$(BIN)/reform check --quick
	$(BIN)/reform query $(EXAMPLE) --date $(DATE)
	@echo "The caseworker page: http://127.0.0.1:8000/  (Ctrl-C stops it)"
	$(BIN)/reform serve --host 127.0.0.1 --port 8000

install-web: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[web]'
	$(BIN)/python -m compileall -q reform_rules  # byte-code once: faster start (PYTHONDONTWRITEBYTECODE machines)

test: install-test browser-deps docs
	$(BIN)/reform check --quick
	$(BIN)/python -m pytest

# Headless Chromium for the browser tests (Debian's package; as root on a fresh machine).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "browser-deps: could not install chromium"; \
	  else echo "browser-deps: chromium missing; browser tests will say so"; fi; }

docs: install-test
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

bench: install
	$(BIN)/python bench/query.py

clean:
	rm -rf $(VENV) build *.egg-info
