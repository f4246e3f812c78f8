"""Analysis: round files into samples and cell summaries, then verdicts, the A/A control and claims.

``aggregate`` reads every round file into one table of samples and one row per cell
(round-level intervals, speedup, limits, the latency bound and whether the harness set
it, noise); ``memory`` fits memory per added worker or connection; ``compare`` labels every comparison
group and judges the A/A pairs; ``claims`` holds the article's claims against the
samples; ``interpreter_gaps`` compares threads and subinterpreters with processes under
each interpreter. The statistics themselves are :mod:`showdown.stats`.
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
from .claims import load_claims, write_ledger
from .compare import write_comparisons
from .interpreter_gaps import COLUMNS as GAP_COLUMNS
from .interpreter_gaps import SUBINTERPRETERS, THREADS, interpreter_gaps, write_interpreter_gaps
from .memory import COLUMNS as MEMORY_COLUMNS
from .memory import memory_slopes

__all__ = [
    "GAP_COLUMNS", "HARNESS_BOUND", "MEMORY_COLUMNS", "SUBINTERPRETERS", "SUMMARY_COLUMNS", "THREADS", "cell_summary",
    "harness_bound_groups", "ideal_speedup", "interpreter_gaps", "load_claims", "memory_slopes", "model_limit",
    "noisy_cells", "write_aggregate", "write_comparisons", "write_interpreter_gaps", "write_ledger",
]  # fmt: skip
