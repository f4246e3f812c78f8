"""Analysis: round files into samples and cell summaries, then verdicts, the A/A control and claims.

``aggregate`` reads every round file into one table of samples and one row per cell
(round-level intervals, speedup, limits, the latency bound and whether the harness set
it, noise); ``memory`` fits memory per added worker or connection; ``compare`` labels every comparison
group and judges the A/A pairs; ``claims`` holds the article's claims against the
samples; ``interpreter_gaps`` compares threads and subinterpreters with processes under
each interpreter; ``user_workloads`` shows how every model ran the user's own functions
and whether they held the GIL; ``guide`` names the kinds of work a reader asks about and
which model wins each; ``findings`` writes the report's front page from all of these. The
statistics themselves are :mod:`showdown.stats`.
"""

from .aggregate import (
    HARNESS_BOUND,
    SUMMARY_COLUMNS,
    cell_summary,
    harness_bound_groups,
    ideal_speedup,
    model_limit,
    noisy_cells,
    write_aggregate,
)  # fmt: skip
from .claims import write_ledger
from .claims_file import load_claims
from .compare import write_comparisons
from .findings import DOES_IT_HOLD, findings_rst, readable_ledger, rst_text, write_findings
from .guide import GUIDE_ROW, KINDS_OF_WORK, guide, kind_of_work, with_kind_of_work
from .interpreter_gaps import COLUMNS as GAP_COLUMNS
from .interpreter_gaps import SUBINTERPRETERS, THREADS, interpreter_gaps, write_interpreter_gaps
from .memory import COLUMNS as MEMORY_COLUMNS
from .memory import memory_slopes
from .provenance import provenance, run_config_hash, write_provenance
from .tables import readable_ledger_with_ids
from .user_workloads import user_workload_table, write_user_workloads

__all__ = [
    "DOES_IT_HOLD", "GAP_COLUMNS", "GUIDE_ROW", "HARNESS_BOUND", "KINDS_OF_WORK", "MEMORY_COLUMNS", "SUBINTERPRETERS",
    "SUMMARY_COLUMNS", "THREADS", "cell_summary", "findings_rst", "guide", "harness_bound_groups", "ideal_speedup",
    "interpreter_gaps", "kind_of_work", "load_claims", "memory_slopes", "model_limit", "noisy_cells", "provenance",
    "readable_ledger", "readable_ledger_with_ids", "rst_text", "run_config_hash", "write_provenance", "user_workload_table", "with_kind_of_work", "write_aggregate", "write_comparisons",
    "write_findings", "write_interpreter_gaps", "write_ledger", "write_user_workloads",
]  # fmt: skip
