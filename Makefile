# The README's two commands: `make run` (the main job) and `make test` (the whole test suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE ?= scenarios/examples/anna.yaml
DATE ?= 2027-03-01

.PHONY: run test install install-test check bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'

run: install
	$(BIN)/reform check
	$(BIN)/reform query $(EXAMPLE) --date $(DATE)

test: install-test
	$(BIN)/reform check
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/query.py

clean:
	rm -rf $(VENV) build *.egg-info
