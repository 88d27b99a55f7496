# Two set-up commands, each works on a fresh machine with Python 3.11+ and make:
#   make demo   installs everything into .venv and opens the cockpit on the sample data
#   make test   installs everything into .venv and runs the whole test suite (what CI runs)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# test workers: four on two cores, as many of the tests wait on terminals, trackers and servers more than they compute
WORKERS ?= 4
# tests write bytecode even where the machine says not to (PYTHONDONTWRITEBYTECODE): each test worker would
# otherwise rewrite every test module's asserts again (7 s of CPU each), and each cockpit the tests start would
# compile its modules again
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest

.PHONY: demo test lint unit all-tests bench install clean system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/cockpit demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

system-deps:
	@bash scripts/install-system-deps.sh

# the quick loop while working: everything but the tests that start terminals, trackers and browsers
unit: $(STAMP) system-deps
	$(PYTEST) -n $(WORKERS) --dist loadgroup -q -m "not slow"

# what CI runs: the whole suite
all-tests: $(STAMP) system-deps
	$(PYTEST) -n $(WORKERS) --dist loadgroup -q

test: lint all-tests

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
