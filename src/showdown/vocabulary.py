"""The words every stage after the measurement shares: keys, labels, suffixes.

One definition each, so that a comparison group, a label or a family means the same in
the aggregate, the statistics, the claims and the figures.
"""

# A comparison group: models measured on the same work, machine and interpreter.
GROUP_KEY = ("machine", "interpreter", "config_hash", "workload", "payload_bytes", "workers")
# Serial runs only at workers=1 but is the baseline of every worker count of its work.
SERIAL_KEY = GROUP_KEY[:-1]
# One cell: a model in a comparison group (kind rides along for the figures and claims).
CELL_KEY = ("machine", "interpreter", "config_hash", "workload", "kind", "model", "workers", "payload_bytes")
SERIAL = "serial"
# ``threads.aa`` measures ``threads`` again under another label: the A/A control.
AA_SUFFIX = ".aa"

# The outcome of a comparison group, and of a claim's test: one vocabulary for both.
WIN = "win"  # the fastest beat every other model by more than the margin
EQUIVALENT = "equivalent"  # every pair of unbeaten models within the margin (TOST)
UNDECIDED = "undecided"  # neither: the evidence does not say
NO_CONTEST = "n/a"  # one model only
ALL_FAILED = "all cells failed"
LABELS = (WIN, EQUIVALENT, UNDECIDED, NO_CONTEST, ALL_FAILED)

# A claim's verdict over its points.
SUPPORTED, REFUTED, DEPENDS, NOT_MEASURED = "supported", "refuted", "depends", "not measured"
CLAIM_VERDICTS = (SUPPORTED, REFUTED, DEPENDS, UNDECIDED, NOT_MEASURED)

# Workload families: what bounds a cell's speedup over serial.
CPU_KINDS = ("cpu_pure", "cpu_gil_released")
LATENCY_KINDS = ("io_sleep", "io_net")
# Pure-Python work holds the GIL: threads cannot beat serial on it where the GIL is on.
GIL_HOLDING_KINDS = ("cpu_pure",)
# Models whose workers share one interpreter (and so one GIL where there is one).
_OWN_INTERPRETER_FAMILIES = ("subinterpreters",)
START_METHODS = ("fork", "forkserver", "spawn")


def base_model(model: str) -> str:
    """The model an A/A twin measures again (``threads.aa`` -> ``threads``)."""
    return model[: -len(AA_SUFFIX)] if model.endswith(AA_SUFFIX) else model


def is_aa_twin(model: str) -> bool:
    return model.endswith(AA_SUFFIX)


def shares_one_interpreter(model: str) -> bool:
    """True for serial, threads and asyncio models; False for processes and subinterpreters."""
    base = base_model(model)
    return base.rsplit("-", 1)[-1] not in START_METHODS and base not in _OWN_INTERPRETER_FAMILIES
