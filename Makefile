# Two commands do all the set-up on a fresh Debian machine:
#   make run    serve the API with an embedded worker on SQLite in ./var
#   make test   install what is missing (venv, packages, openssh-server, postgresql) and run the suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-quick test-deps lint format bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		echo "installing python3-venv"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
		$(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/openisales serve

test-deps:
	@bash scripts/install-test-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# The suite runs in TEST_WORKERS processes (pytest-xdist); each has its own sftp server and
# PostgreSQL cluster, so they share nothing but the machine. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

test: $(STAMP) test-deps lint
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS)

# A quicker local loop: skips the tests marked slow (CI runs them all).
test-quick: $(STAMP) test-deps
	$(BIN)/pytest -q -m "not slow" -n $(TEST_WORKERS)

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(STAMP) test-deps
	$(BIN)/python bench/import_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
