"""The request of one (cell, round) job: one type, built by the sweep, read by the cell job.

The workflow hands it to ``python -m showdown.cell.run`` as one JSON argument; the same
names travel from the config to the round file, and every default is set where the sweep
builds it (:func:`showdown.sweep.cell_request`), not again on the way.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, Dict, Optional


@dataclass(frozen=True)
class CellRequest:
    """Everything one (cell, round) job needs, and nothing it could work out itself."""

    machine: str
    interpreter: Dict[str, Any]  # Interpreter.to_params(), with its venv record if it has one
    workload: str  # the config's name for the work (a cell path segment)
    kind: str  # what the kernel runs (a workload of the catalogue)
    model: str  # the config's name (an A/A copy keeps its suffix)
    base_model: str  # what the kernel runs
    workers: int
    payload_bytes: int
    round: int
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

    def __post_init__(self):
        if (self.tasks is None) == (self.calibration is None):
            raise ValueError("a cell request needs fixed tasks or a calibration file, not both or neither")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CellRequest:
        """The request as the workflow wrote it; a key missing or unknown is named."""
        values = json.loads(text)
        names = {f.name for f in fields(cls)}
        required = {f.name for f in fields(cls) if f.default is MISSING}
        unknown, missing = sorted(set(values) - names), sorted(required - set(values))
        if unknown or missing:
            raise ValueError(f"cell request: unknown keys {unknown}, missing keys {missing}")
        return cls(**values)
