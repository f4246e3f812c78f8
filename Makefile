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
# Lint first (the versions are pinned in pyproject's test extras), then the tests.
test: setup
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The free-threaded CPython twins (--disable-gil and its GIL twin, same flags) from Debian trixie's
# python3.13 source, cached per user (~/.cache/showdown/python): ~9 min on 2 cores once, ~1 s after.
.PHONY: twins
twins:
	bash workflow/scripts/build_python_twins.sh $(TWINS_ARGS)
