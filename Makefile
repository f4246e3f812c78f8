# Two entry points, each setting up what it needs first:
#   make report   - the default sweep, through to results/report.html
#   make test     - the test suite (what .ci/run runs)
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: report test setup clean-results

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

report: setup
	$(BIN)/snakemake --cores all
	$(BIN)/snakemake --report results/report.html
	@echo "report: results/report.html"

# Tests marked slow (SLURM, other interpreters, Chromium) skip with their reason where
# those tools are missing; .ci/run installs them and sets SHOWDOWN_REQUIRE_ALL=1 so that
# a missing tool fails instead. `make test PYTEST_ARGS='-m "not slow"'` runs the fast ones.
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)
