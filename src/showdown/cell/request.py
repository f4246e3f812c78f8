"""One job type: a ``Cell`` (what a sweep measures) and its ``CellRequest`` (one round of it).

The same type runs from the config to the path to the columns: the matrix expands the
config into cells and orders their rounds, the rules take them from their wildcards, and
the cell job reads the request the sweep built (:func:`showdown.sweep.cell_request`, where
every default is set, not again on the way). A payload is bytes; its label (``64KiB``, the
path segment) is a property, converted at the edge once.
The workflow hands a request to ``python -m showdown.cell.run`` as one JSON argument.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, Dict, Optional

from ..kernel import base_model, parse_size, size_label

DEFAULT_LIBRARY_THREADS = "default"
OMITTED_WHEN_DEFAULT = ("library_threads",)


@dataclass(frozen=True, order=True)
class Cell:
    """One (machine, interpreter, workload, model, workers, payload): each of its rounds is one job."""

    machine: str
    interpreter: str  # the config's name
    workload: str  # the config's name for the work (a cell path segment)
    model: str  # the config's name (an A/A copy keeps its suffix)
    workers: int
    payload_bytes: int

    @classmethod
    def of(cls, machine: str, interpreter: str, workload: str, model: str, workers, payload: str) -> Cell:
        """The cell of a path's (or wildcards') segments: the payload's label read as bytes."""
        return cls(machine, interpreter, workload, model, int(workers), parse_size(payload))

    @property
    def payload(self) -> str:
        """The payload's label, as paths and wildcards spell it."""
        return size_label(self.payload_bytes)

    @property
    def base_model(self) -> str:
        """The model that really runs: an A/A copy ``threads.aa`` runs ``threads``."""
        return base_model(self.model)

    def wildcards(self, **extra) -> Dict[str, object]:
        return dict(
            machine=self.machine,
            interpreter=self.interpreter,
            workload=self.workload,
            model=self.model,
            workers=self.workers,
            payload=self.payload,
            **extra,
        )


@dataclass(frozen=True)
class CellRequest:
    """Everything one (cell, round) job needs, and nothing it could work out itself."""

    cell: Cell
    round: int
    interpreter: Dict[str, Any]  # the cell's Interpreter.to_params(), with its venv record if it has one
    kind: str  # what the kernel runs (a workload of the catalogue)
    params: Dict[str, Any]
    warmups: int
    repetitions: int
    timeout_seconds: float
    config_hash: str
    kernel_hash: str
    seed: int
    position: int  # the job's place in its round's shuffled order
    probe: str  # path of the interpreter's probe
    tasks: Optional[int] = None  # fixed work; None: the calibration file's
    calibration: Optional[str] = None  # path of the work group's calibration
    workload_check: Optional[str] = None  # path of the user's code check (callable workloads)
    library_threads: str = DEFAULT_LIBRARY_THREADS  # the workload's library_threads: default, per_worker or a number

    def __post_init__(self):
        if (self.tasks is None) == (self.calibration is None):
            raise ValueError("a cell request needs fixed tasks or a calibration file, not both or neither")

    def to_json(self) -> str:
        values = asdict(self)
        # Written only when set: a request of a sweep without the key stays as it was, and
        # so do the jobs Snakemake would rerun when their params change.
        for name in OMITTED_WHEN_DEFAULT:
            if values[name] == DEFAULT_LIBRARY_THREADS:
                del values[name]
        return json.dumps(values, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CellRequest:
        """The request as the workflow wrote it; a key missing or unknown is named."""
        values = json.loads(text)
        for kind, given in ((cls, values), (Cell, values.get("cell") or {})):
            names = {f.name for f in fields(kind)}
            required = {f.name for f in fields(kind) if f.default is MISSING}
            unknown, missing = sorted(set(given) - names), sorted(required - set(given))
            if unknown or missing:
                raise ValueError(f"{kind.__name__}: unknown keys {unknown}, missing keys {missing}")
        return cls(**{**values, "cell": Cell(**values["cell"])})
