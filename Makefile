# facility_impact: the two quick-start commands are `make run` and `make test`.
# Both create .venv with the project installed; nothing else is needed but
# Python 3.11+ and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG := configs/maarat_al_numan.toml
REFERENCE_CONFIGS := configs/maarat_al_numan.toml configs/idlib_region.toml \
	configs/maarat_al_numan_options.toml configs/maarat_al_numan_sweep.toml
RESULTS := results

.PHONY: run test test-fast figures lint format clean help

help:
	@echo "make run      set up .venv, simulate $(CONFIG), write $(RESULTS)/ (with the HTML report) and figures/"
	@echo "make test     set up .venv with test extras, run the whole test suite (two processes)"
	@echo "make test-fast  the tests not marked slow, in under a minute: the edit-test loop"
	@echo "make figures  regenerate figures/ for the reference configurations and the imported example (with its map), and the options figures at 8 cm"
	@echo "make lint     ruff check, ruff format check and mypy"
	@echo "make clean    remove .venv and $(RESULTS)/"

# The stamp is rebuilt when the package metadata changes.
$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "facility_impact needs Python 3.11 or newer; set PYTHON=...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: $(BIN)/.installed
	$(BIN)/facility-impact run $(CONFIG) --out $(RESULTS)
	$(BIN)/facility-impact report $(RESULTS)/$(basename $(notdir $(CONFIG))).nc --out $(RESULTS)
	$(BIN)/facility-impact plot $(RESULTS)/$(basename $(notdir $(CONFIG))).nc --out figures

# The whole suite on two worker processes (pytest-xdist), one test file per
# worker at a time (--dist loadfile) so that a file's module-scoped fixtures are
# built once. The numbers do not depend on it: no test shares state with another.
test: $(BIN)/.installed
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The tests not marked slow, on two worker processes like `make test` (one
# process takes about a minute). For -x or --pdb, run pytest directly:
# .venv/bin/python -m pytest -m "not slow" -x
test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -m "not slow" -n 2 --dist loadfile

figures: $(BIN)/.installed
	@for config in $(REFERENCE_CONFIGS); do \
		stem=$$(basename $$config .toml); \
		$(BIN)/facility-impact run $$config --out $(RESULTS) > /dev/null && \
		$(BIN)/facility-impact plot $(RESULTS)/$$stem.nc --out figures || exit 1; \
	done
	$(BIN)/facility-impact plot $(RESULTS)/maarat_al_numan_options.nc --out figures --width column
	$(BIN)/facility-impact import seeds/idlib_region_facilities.csv \
		--attacks seeds/idlib_region_attacks.csv --out $(RESULTS)/idlib_region_imported.toml
	$(BIN)/facility-impact run $(RESULTS)/idlib_region_imported.toml --out $(RESULTS) > /dev/null
	$(BIN)/facility-impact plot $(RESULTS)/idlib_region_imported.nc --out figures

# mypy's settings (strict on the model core) are in pyproject.toml.
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(RESULTS)
