# The entry points, each setting up what it needs first:
#   make report   - the default sweep, through to results/report.html
#   make publish  - the same, and the files to publish: results/report.html (one
#                   self-contained page) and results/report.zip (the page with every
#                   result file beside it, Snakemake's documented form for large reports)
#   make test     - the test suite (what .ci/run runs)
#   make test-loaded - the tests that make real runs, again with every core kept busy
# Another sweep: make publish CONFIG=config/test.yaml
VENV ?= .venv
PYTHON ?= python3
CONFIG ?= config/config.yaml
BIN := $(VENV)/bin

.PHONY: report publish test test-loaded setup clean-results

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The report is made with the sweep's own config, which its front page quotes.
report: setup
	$(BIN)/snakemake --cores all --configfile $(CONFIG)
	$(BIN)/snakemake --report results/report.html --configfile $(CONFIG)
	@echo "report: results/report.html"

publish: report
	$(BIN)/snakemake --report results/report.zip --configfile $(CONFIG)
	@ls -l results/report.html results/report.zip

# Tests marked slow (SLURM, other interpreters, Chromium) skip with their reason where
# those tools are missing; .ci/run installs them and sets SHOWDOWN_REQUIRE_ALL=1 so that
# a missing tool fails instead. `make test PYTEST_ARGS='-m "not slow"'` runs the fast ones.
# Lint and format checks first (ruff and snakefmt, pinned in pyproject's test extras), then the tests.
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A user's machine runs a browser and a build beside the tests: the tests marked real_run
# (kernels and sweeps for real) must hold with every core busy (benchmarks/load.py keeps one
# busy loop per usable CPU for the length of the run). .ci/run runs this after `make test`.
test-loaded: setup
	$(BIN)/python benchmarks/load.py -- $(BIN)/python -m pytest -m real_run $(PYTEST_ARGS)

# The free-threaded CPython twins (--disable-gil and its GIL twin, same flags) from Debian trixie's
# python3.13 source, cached per user (~/.cache/showdown/python): ~9 min on 2 cores once, ~1 s after.
.PHONY: twins
twins:
	bash workflow/scripts/build_python_twins.sh $(TWINS_ARGS)
