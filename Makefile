# Two commands set up a fresh machine: `make demo` and `make test`. Each builds the
# virtual environment it needs (in .venv) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test quick lint typecheck unit unit-quick bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The spark extra too: CI exercises --engine spark (tests/scale/test_spark.py, marked slow).
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

demo: $(STAMP)
	$(BIN)/inferonomics report --html report.html
	@echo "HTML report (charts, one self-contained page): $(CURDIR)/report.html"

# Everything: what CI runs.
test: $(STAMP) lint typecheck unit

# The edit loop: the same checks, and the tests not marked slow.
quick: $(STAMP) lint typecheck unit-quick

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest --durations=10

unit-quick: $(STAMP)
	$(BIN)/pytest -m "not slow" --durations=5

bench: $(STAMP)
	$(BIN)/python benchmarks/bill.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
