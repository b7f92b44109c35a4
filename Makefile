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

.PHONY: run test figures lint format clean help

help:
	@echo "make run      set up .venv, simulate $(CONFIG), write $(RESULTS)/ (with the HTML report) and figures/"
	@echo "make test     set up .venv with test extras, run the whole test suite"
	@echo "make figures  regenerate figures/ for the reference configurations"
	@echo "make lint     ruff check and format check"
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

test: $(BIN)/.installed
	$(BIN)/python -m pytest

figures: $(BIN)/.installed
	@for config in $(REFERENCE_CONFIGS); do \
		stem=$$(basename $$config .toml); \
		$(BIN)/facility-impact run $$config --out $(RESULTS) > /dev/null && \
		$(BIN)/facility-impact plot $(RESULTS)/$$stem.nc --out figures || exit 1; \
	done
	$(BIN)/facility-impact import seeds/idlib_region_facilities.csv \
		--attacks seeds/idlib_region_attacks.csv --out $(RESULTS)/idlib_region_imported.toml
	$(BIN)/facility-impact run $(RESULTS)/idlib_region_imported.toml --out $(RESULTS) > /dev/null
	$(BIN)/facility-impact plot $(RESULTS)/idlib_region_imported.nc --out figures

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(RESULTS)
