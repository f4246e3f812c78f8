# The entry points, each setting up what it needs first:
#   make report   - the default sweep, through to results/report.html
#   make publish  - the same, and the files to publish: results/report.html (one
#                   self-contained page) and results/report.zip (the page with every
#                   result file beside it, Snakemake's documented form for large reports)
#   make test     - the test suite (what .ci/run runs)
#   make test-loaded - make test three times in a row, every core kept busy beside it (CI)
#   make export-results - this machine's measurements as results-<label>.tar.gz, to carry
#                   to another clone; there `make import-results ARCHIVE=...` then `make report`
# Another sweep: make publish CONFIG=config/test.yaml
VENV ?= .venv
PYTHON ?= python3
CONFIG ?= config/config.yaml
BIN := $(VENV)/bin

.PHONY: report publish test test-loaded setup clean-results export-results import-results

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

# One machine label's measurements (cells with their manifest, probes, calibrations, workload
# checks, round plans; not the venvs, which the other machine builds for its own label if it
# measures). LABEL defaults to the config's `machine`, else this host's label.
LABEL ?= $(shell $(BIN)/python -c "import sys, yaml; from showdown.sweep.config import machine_slug; \
	print((yaml.safe_load(open(sys.argv[1])) or {}).get('machine') or machine_slug())" $(CONFIG))
LABEL_PARTS := cells probe calibration workloads rounds

export-results:
	@test -f results/cells/$(LABEL)/manifest.json || { echo "results/cells/$(LABEL)/manifest.json missing: \
	finish the label's run first (LABEL=... names another)"; exit 1; }
	tar -czf results-$(LABEL).tar.gz $(wildcard $(foreach part,$(LABEL_PARTS),results/$(part)/$(LABEL)))
	@echo "export: results-$(LABEL).tar.gz"

# Unpacks another machine's archive here, keeping modification times; a file that exists
# already is never overwritten (tar stops, naming it).
import-results:
	@test -n "$(ARCHIVE)" || { echo "ARCHIVE=results-<label>.tar.gz is required"; exit 1; }
	tar -xzf $(ARCHIVE) --keep-old-files
	@echo "import: $$(tar -tzf $(ARCHIVE) | head -1 | cut -d/ -f1-3); now: make report"

# Tests marked slow (SLURM, other interpreters, Chromium) skip with their reason where
# those tools are missing; .ci/run installs them and sets SHOWDOWN_REQUIRE_ALL=1 so that
# a missing tool fails instead. `make test PYTEST_ARGS='-m "not slow"'` runs the fast ones.
# Lint and format checks first (ruff and snakefmt, pinned in pyproject's test extras), then the tests.
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A user's machine runs a browser and a build beside the tests: the suite must hold with every
# core busy. This is CI's bar (.ci/run): `make test` three times in a row, each with
# benchmarks/load.py keeping one busy loop per usable CPU running beside it.
LOADED_RUNS ?= 3
test-loaded: setup
	@for run in $$(seq $(LOADED_RUNS)); do \
		echo "test-loaded: run $$run of $(LOADED_RUNS), every core kept busy"; \
		$(BIN)/python benchmarks/load.py -- $(MAKE) --no-print-directory test || exit 1; \
	done

# The free-threaded CPython twins (--disable-gil and its GIL twin, same flags) from Debian trixie's
# python3.13 source, cached per user (~/.cache/showdown/python): ~9 min on 2 cores once, ~1 s after.
.PHONY: twins
twins:
	bash workflow/scripts/build_python_twins.sh $(TWINS_ARGS)
