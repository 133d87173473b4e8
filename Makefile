# Raccordo: `make run` to try it, `make test` to check it. Both bootstrap .venv on their own.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-sqlite test-postgres e2e-deps lint bench bench-smoke messages clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/raccordo migrate --noinput
	$(BIN)/raccordo bootstrap
	$(BIN)/raccordo serve --host $(HOST) --port $(PORT)

# The whole suite on the database DATABASE_URL names (SQLite under var/ when unset).
test: $(STAMP) e2e-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

e2e-deps:
	@bash scripts/install-system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests

messages: $(STAMP)
	cd src/raccordo && ../../$(BIN)/raccordo makemessages -l it -l ru --no-obsolete && ../../$(BIN)/raccordo compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache
