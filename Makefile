# The two commands a fresh clone needs: `make suite` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ALLURE := node_modules/.bin/allure

.PHONY: install suite report record test lint

$(BIN)/talkqa: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# The Allure report CLI, pinned in package.json and package-lock.json.
$(ALLURE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/talkqa $(ALLURE)

# The checklist suite on the embedded default (every feature replayed from its
# cassettes), then the Allure report and the filled-in checklist, also when scenarios fail.
suite: install
	$(BIN)/talkqa check
	$(BIN)/pytest steps --alluredir reports/allure-results --clean-alluredir; \
	tested=$$?; $(BIN)/talkqa report; reported=$$?; \
	if [ $$tested -ne 0 ]; then exit $$tested; fi; exit $$reported

# The reports again from the results of the last run.
report: install
	$(BIN)/talkqa report

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
