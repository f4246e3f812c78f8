"""The cell job: one (cell, round) measured by the kernel in a fresh interpreter, kept as a round file.

``job`` stages the kernel and runs it under supervision (``supervisor``: time limits, no
process left behind), ``record`` owns the round file (its columns, schema version and
atomic writes), ``interpreters`` finds and describes the Python that runs the kernel.
Later stages take what they need from this door. Names load on first use: the cell job
itself (``python -m showdown.cell.run``) keeps NumPy out and must not import more than it
runs.
"""

from .. import lazy_door

_DOOR = {
    "run_cell_job": "job", "kernel_hash": "sources", "probe_interpreter": "job", "calibrate_work": "job",
    "check_workload": "job",
    "read_round_files": "record", "is_measured": "record", "read_round_file": "record", "write_json_atomic": "record",
    "Interpreter": "interpreters", "build_env": "interpreters", "check_interpreter": "interpreters",
    "default_interpreter_name": "interpreters", "Cell": "request", "CellRequest": "request", "DEFAULT_LIBRARY_THREADS": "request", "built_interpreter": "interpreters", "BUILD_COMMAND": "interpreters",
}  # fmt: skip


__getattr__ = lazy_door(__name__, _DOOR)

__all__ = sorted(_DOOR)
