# Raccordo: `make run` to try it, `make test` to check it. Both bootstrap .venv on their own.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Try-it mode: with no mail server configured (neither EMAIL_HOST nor EMAIL_BACKEND in the environment),
# `make run` prints outgoing e-mail (invoices, reminder digests) to the terminal instead of failing to
# reach an SMTP server on localhost:25. Set EMAIL_HOST to send for real.
RUN_MAIL := $(if $(EMAIL_HOST)$(EMAIL_BACKEND),,EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend)

.PHONY: run test test-sqlite test-postgres e2e-deps lint bench bench-smoke messages clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/raccordo migrate --noinput
	$(BIN)/raccordo bootstrap
	$(RUN_MAIL) $(BIN)/raccordo serve --host $(HOST) --port $(PORT)

# The whole suite on the database DATABASE_URL names (SQLite under var/ when unset), in TEST_WORKERS
# processes (pytest-xdist; each has its own test database). TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2
test: $(STAMP) e2e-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

e2e-deps:
	@bash scripts/install-system-deps.sh

# Benchmarks (bench/RESULTS.md). The `bench` extra (gunicorn, locust, psutil) is installed on first use.
BENCH_STAMP := $(VENV)/.installed-bench
BENCH_SCALES ?= 100k,1M
BENCH_DB ?= sqlite,postgres
IMPORT_SIZES ?= 10000,100000

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $(BENCH_STAMP)

# Everything: the CommerceML import bench (#3; IMPORT_SIZES= skips it), then the scale scenarios and the
# load tests (#8) at BENCH_SCALES on BENCH_DB. Long: generating 1M counterparties takes minutes per database.
bench: $(BENCH_STAMP)
	$(if $(strip $(IMPORT_SIZES)),$(BIN)/python bench/import_bench.py --sizes $(IMPORT_SIZES) --db $(BENCH_DB) --keep var/bench/cml)
	$(BIN)/python bench/scale_bench.py --scales $(BENCH_SCALES) --db $(BENCH_DB)

# About a minute: 2k counterparties on SQLite, a few repetitions, a 15 s load test with 10 users. Fails when
# the harness or the application does (errors, a page that fails), never on a missed time target.
bench-smoke: $(BENCH_STAMP)
	$(BIN)/python bench/scale_bench.py --smoke

# Style and types, before any test runs in CI (.ci/run): ruff over all Python, mypy over what
# [tool.mypy] in pyproject.toml names (services, selectors, exchange/).
lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

messages: $(STAMP)
	cd src/raccordo && ../../$(BIN)/raccordo makemessages -l it -l ru --no-obsolete && ../../$(BIN)/raccordo compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache
