"""The sweep: the config, the matrix of cells and the order of their jobs, the rounds, what runs.

``config`` validates a configuration against its schema (every problem named with its key
and the allowed values), ``matrix`` expands it into cells and schedules their rounds,
``rounds`` decides after each round which work groups get another, ``applicability``
lists what does not run and why. The workflow takes everything from this door.
"""

from . import cluster, labels, matrix
from .applicability import write_applicability, write_not_applicable
from .config import (
    ConfigError,
    Sweep,
    another_machines_cores,
    load_aa_spread,
    load_schema,
    load_sweep,
    load_sweep_file,
    schema_problems,
    sweep_cores,
    usable_cpus,
)
from .matrix import Cell, Schedule, cell_request, expand_cells, not_applicable_cells
from .rounds import write_plan

__all__ = [
    "Cell", "ConfigError", "Schedule", "Sweep", "another_machines_cores", "cell_request", "cluster", "expand_cells",
    "labels", "load_aa_spread", "load_schema", "load_sweep", "load_sweep_file", "matrix", "not_applicable_cells",
    "schema_problems",
    "sweep_cores", "usable_cpus", "write_applicability", "write_not_applicable", "write_plan",
]  # fmt: skip
