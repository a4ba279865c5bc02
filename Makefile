# The two commands a fresh clone needs: `make suite` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install suite record test lint

$(BIN)/talkqa: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(BIN)/talkqa

# The checklist suite on the embedded default: every feature replayed from its cassettes.
suite: install
	$(BIN)/talkqa check
	$(BIN)/pytest steps

# Record every scenario again against the embedded sandbox.
record: install
	$(BIN)/pytest steps --record-mode=rewrite

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/talkqa check
	$(BIN)/pytest
