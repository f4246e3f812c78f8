"""The sweep: the config, the matrix of cells and the order of their jobs, the rounds, what runs.

``schema`` checks a configuration against its schema (every problem named with its key
and the allowed values), ``config`` makes the checks a schema cannot, ``matrix`` expands
it into cells and schedules their rounds, ``rounds`` decides after each round which work groups get another, ``applicability``
lists what does not run and why. The workflow takes everything from this door.
"""

from . import cluster, labels, matrix
from .applicability import write_applicability, write_not_applicable
from .config import (
    ConfigError,
    Sweep,
    another_machines_cores,
    load_aa_spread,
    load_sweep,
    load_sweep_file,
    machine_slug,
    sweep_cores,
    usable_cpus,
)
from .labels import labels_table, manifests, other_labels, write_manifest
from .matrix import Cell, Schedule, cell_path, cell_request, expand_cells, not_applicable_cells
from .rounds import write_plan
from .schema import load_schema, schema_problems, validate_schema

__all__ = [
    "Cell", "ConfigError", "Schedule", "Sweep", "another_machines_cores", "cell_path", "cell_request", "cluster", "expand_cells",
    "labels", "labels_table", "load_aa_spread", "load_schema", "load_sweep", "load_sweep_file", "manifests", "matrix",
    "machine_slug", "not_applicable_cells", "other_labels", "schema_problems", "validate_schema", "write_manifest",
    "sweep_cores", "usable_cpus", "write_applicability", "write_not_applicable", "write_plan",
]  # fmt: skip
