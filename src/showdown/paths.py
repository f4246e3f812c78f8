"""Where every result file lives, relative to the working directory: one name per file,
used by the rules, their scripts and the package alike.

Per-run files carry the machine label as a path segment: one machine's run writes under its
own label and reads another's as inputs. The analysis files below them carry no label:
they cover every label whose manifest is complete (the rows carry the label as a column).

Standard library only: Snakemake imports this module whenever it reads the workflow.
"""

RESULTS = "results"
# Every label's measurements; a folder here is a machine label (another machine's copied in).
CELLS_ROOT = f"{RESULTS}/cells"

# Per machine label: what a run measures, prepares and decides.
CELL = f"{CELLS_ROOT}/{{machine}}/{{interpreter}}/{{workload}}/{{model}}/w{{workers}}_p{{payload}}/r{{round}}.parquet"
CELL_LOG = (
    f"{RESULTS}/logs/cells/{{machine}}/{{interpreter}}/{{workload}}/{{model}}/w{{workers}}_p{{payload}}/r{{round}}.log"
)
CALIBRATION = f"{RESULTS}/calibration/{{machine}}/{{interpreter}}/{{workload}}/p{{payload}}.json"
PROBE = f"{RESULTS}/probe/{{machine}}/{{interpreter}}.json"
# A callable workload's code, checked once per interpreter before any of its cells.
WORKLOAD_CHECK = f"{RESULTS}/workloads/{{machine}}/{{interpreter}}/{{workload}}.json"
# Under the label: a plan judges one machine's cells, and another machine's run must not read it.
ROUND_PLAN = f"{RESULTS}/rounds/{{machine}}/after_r{{round}}.json"
# An interpreter with `packages` runs from its own venv; the record says whether pip succeeded.
ENV_RECORD = f"{RESULTS}/envs/{{machine}}/{{interpreter}}.json"
ENV_DIR = f"{RESULTS}/envs/{{machine}}/{{interpreter}}"
# What a label's run measured (its round files, usable CPUs, config hash, commit): the label
# is complete when every round file it names exists. Beside its cells, so a copied folder brings it.
MANIFEST = f"{CELLS_ROOT}/{{machine}}/manifest.json"
# Which labels the analysis took and which it left out (incomplete), and why.
LABELS = f"{RESULTS}/aggregate/labels.tsv"

# The analysis: every complete label at once.
SAMPLES = f"{RESULTS}/aggregate/samples.parquet"
CELLS = f"{RESULTS}/aggregate/cells.tsv"
FAILED = f"{RESULTS}/aggregate/failed.tsv"
NOISY = f"{RESULTS}/aggregate/noisy.tsv"
MEMORY_SLOPES = f"{RESULTS}/aggregate/memory_slopes.tsv"
PROVENANCE = f"{RESULTS}/aggregate/provenance.tsv"
VERDICTS = f"{RESULTS}/stats/verdicts.tsv"
VERDICTS_PARQUET = f"{RESULTS}/stats/verdicts.parquet"
PAIRS = f"{RESULTS}/stats/pairs.tsv"
AA_CONTROL = f"{RESULTS}/stats/aa_control.tsv"
FALSE_WIN_RATE = f"{RESULTS}/stats/false_win_rate.tsv"
FAMILIES = f"{RESULTS}/stats/families.tsv"
NOISE_BY_KIND = f"{RESULTS}/stats/noise_by_kind.tsv"
INTERPRETER_GAPS = f"{RESULTS}/stats/interpreter_gaps.tsv"
USER_WORKLOADS = f"{RESULTS}/stats/user_workloads.tsv"
NOT_APPLICABLE = f"{RESULTS}/matrix/not_applicable.tsv"
APPLICABILITY = f"{RESULTS}/matrix/applicability.tsv"
LEDGER = f"{RESULTS}/claims/ledger.tsv"
CLAIM_POINTS = f"{RESULTS}/claims/points.tsv"
READABLE_LEDGER = f"{RESULTS}/claims/readable_ledger.tsv"
GUIDE = f"{RESULTS}/guide.tsv"
FINDINGS = f"{RESULTS}/report/findings.rst"
TABLES = f"{RESULTS}/report/tables.html"
FIGURE_LINKS = f"{RESULTS}/report/figure_links.rst"
PROVENANCE_RST = f"{RESULTS}/report/provenance.rst"
REPORT_HTML = f"{RESULTS}/report.html"


def figure(name: str) -> str:
    return f"{RESULTS}/report/{name}.png"


def log(name: str) -> str:
    """The log of a rule that runs once per sweep (the analysis), by its name."""
    return f"{RESULTS}/logs/{name}.log"
