# Two commands for a fresh machine: `make run` and `make test`.
# Everything lives in .venv; exact versions come from requirements.lock.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest migrate lock bench clean

run: $(STAMP)
	$(BIN)/brobygger migrate
	exec $(BIN)/brobygger run

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# One process by default: with two pytest-xdist workers (PYTEST_WORKERS=2, about 40% faster)
# the simulator browser test timed out twice on a loaded machine; not yet understood.
PYTEST_WORKERS ?= 0

pytest: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

migrate: $(STAMP)
	$(BIN)/brobygger migrate

bench: $(STAMP)
	$(BIN)/python -m bench

# Re-pin after changing dependency ranges in pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable --exclude brobygger > requirements.lock

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
