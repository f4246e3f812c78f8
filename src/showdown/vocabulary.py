"""The words every stage after the measurement shares: keys, labels, suffixes, kinds.

One definition each, so that a comparison group, a label or a model means the same in
the aggregate, the statistics, the claims and the figures. Workload kinds, start methods and
what each model runs belong to the kernel (its catalogue and model registry); they are named
here as the kernel defines them.
"""

from .kernel import (
    AA_SUFFIX,
    CALLER,
    COROUTINES,
    CPU_KINDS,
    GIL_HOLDING_KINDS,
    INTERPRETERS,
    LATENCY_KINDS,
    PROCESSES,
    START_METHODS,
    THREADS,
    base_model,
    describe,
    described,
    is_aa_copy,
)

# A comparison group: models measured on the same work, machine and interpreter.
GROUP_KEY = ("machine", "interpreter", "config_hash", "workload", "payload_bytes", "workers")
# Serial runs only at workers=1 but is the baseline of every worker count of its work.
SERIAL_KEY = GROUP_KEY[:-1]
# One cell: a model in a comparison group (kind rides along for the figures and claims).
CELL_KEY = ("machine", "interpreter", "config_hash", "workload", "kind", "model", "workers", "payload_bytes")
SERIAL = "serial"

# The outcome of a comparison group, and of a claim's test: one vocabulary for both.
WIN = "win"  # the fastest beat every other model by more than the margin
EQUIVALENT = "equivalent"  # every unbeaten pair's interval wholly inside the declared margin
UNDECIDED = "undecided"  # neither: the evidence does not say
NO_CONTEST = "n/a"  # one model only
ALL_FAILED = "all cells failed"
LABELS = (WIN, EQUIVALENT, UNDECIDED, NO_CONTEST, ALL_FAILED)

# A claim's verdict over its points.
SUPPORTED, REFUTED, DEPENDS, NOT_MEASURED = "supported", "refuted", "depends", "not measured"
CLAIM_VERDICTS = (SUPPORTED, REFUTED, DEPENDS, UNDECIDED, NOT_MEASURED)


def shares_one_interpreter(model: str) -> bool:
    """True for serial, threads and asyncio models; False for processes and subinterpreters."""
    return not describe(model).own_interpreter


__all__ = [
    "AA_SUFFIX", "ALL_FAILED", "CELL_KEY", "CLAIM_VERDICTS", "CPU_KINDS", "DEPENDS", "EQUIVALENT", "GIL_HOLDING_KINDS",
    "GROUP_KEY", "LABELS", "LATENCY_KINDS", "NOT_MEASURED", "NO_CONTEST", "REFUTED", "SERIAL", "SERIAL_KEY",
    "START_METHODS", "SUPPORTED", "UNDECIDED", "WIN", "base_model", "is_aa_copy", "shares_one_interpreter",
    "CALLER", "THREADS", "PROCESSES", "COROUTINES", "INTERPRETERS", "describe", "described",
]  # fmt: skip
