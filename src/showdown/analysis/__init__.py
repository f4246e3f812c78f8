"""Analysis: round files into samples and cell summaries, then verdicts, the A/A control and claims.

``aggregate`` reads every round file into one table of samples and one row per cell
(round-level intervals, speedup, limits, noise); ``compare`` labels every comparison
group and judges the A/A pairs; ``claims`` holds the article's claims against the
samples; ``interpreter_gaps`` compares threads and subinterpreters with processes under
each interpreter; ``user_workloads`` shows how every model ran the user's own functions
and whether they held the GIL. The statistics themselves are :mod:`showdown.stats`.
"""

from .aggregate import SUMMARY_COLUMNS, cell_summary, ideal_speedup, model_limit, noisy_cells, write_aggregate
from .claims import load_claims, write_ledger
from .compare import write_comparisons
from .interpreter_gaps import COLUMNS as GAP_COLUMNS
from .interpreter_gaps import SUBINTERPRETERS, THREADS, interpreter_gaps, write_interpreter_gaps
from .user_workloads import user_workload_table, write_user_workloads

__all__ = [
    "GAP_COLUMNS", "SUBINTERPRETERS", "SUMMARY_COLUMNS", "THREADS", "cell_summary", "ideal_speedup",
    "interpreter_gaps", "load_claims", "model_limit", "noisy_cells", "write_aggregate", "write_comparisons",
    "write_interpreter_gaps", "write_ledger", "user_workload_table", "write_user_workloads",
]  # fmt: skip
