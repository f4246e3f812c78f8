"""The cell matrix: which cells a sweep measures, where they live, and in which order.

A *cell* is one (machine, interpreter, workload, model, workers, payload); each of its
rounds is one job writing one Parquet file. A *work group* is the cells that do the same
work (same machine, interpreter or its twin, workload and payload): their rounds are interleaved, in
a seeded shuffled order, so that every model meets the same machine phases.
"""

import random
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from .. import kernel
from ..cell import Cell, CellRequest

# One layout for every path, used by the rules and the code alike: matrix.CELL etc. stay names here.
from ..paths import CALIBRATION, CELL, CELL_LOG, PROBE, ROUND_PLAN, WORKLOAD_CHECK  # noqa: F401
from ..vocabulary import PROCESSES, SERIAL, base_model, describe
from .config import ConfigError, Sweep

# A work group's key, one for the schedule and the round plans (the round file's columns):
# Schedule.group_of builds it from a cell or from a plan's row.
WORK_GROUP = ["machine", "interpreter", "workload", "payload_bytes"]

# Which (workload kind, model) pairs run is the kernel catalogue's applicability table.
# Interpreter-dependent reasons (a start method, a package) are found at run time by the
# kernel and recorded in the cell as status "not_applicable", in the same report table.


def cell_path(cell: Cell, round: int) -> str:
    return CELL.format(**cell.wildcards(round=round))


def not_applicable_reason(sweep: Sweep, cell: Cell, kind: str) -> Optional[str]:
    """Why this cell is not measured, or None if it is."""
    model, workers = cell.model, cell.workers
    unbuilt = sweep.interpreters[cell.interpreter].unavailable
    if unbuilt:
        return unbuilt
    reason = kernel.not_applicable_reason(kind, cell.base_model)
    if reason:
        return reason
    cap = sweep["process_workers_cap"]
    if describe(model).workers == PROCESSES and workers > cap:
        return f"{workers} processes exceed process_workers_cap ({cap})"
    return None


def _candidates(sweep: Sweep):
    """Every (cell, kind) the config names, on each of the run's machine labels (worker
    counts resolved for that label's CPUs); serial only at 1 worker, its only meaning."""
    for machine in sweep.machines:
        for interpreter in sweep.interpreters:
            for entry in sweep.workloads.values():
                for payload in entry.payloads:
                    for model in entry.models:
                        counts = (1,) if base_model(model) == SERIAL else sweep.workers(entry.label, machine.label)
                        for workers in counts:
                            yield Cell(machine.label, interpreter, entry.label, model, workers, payload), entry.kind


def expand_cells(sweep: Sweep) -> List[Cell]:
    return sorted(cell for cell, kind in _candidates(sweep) if not_applicable_reason(sweep, cell, kind) is None)


def not_applicable_cells(sweep: Sweep) -> List[Tuple[Cell, str]]:
    found = []
    for cell, kind in _candidates(sweep):
        reason = not_applicable_reason(sweep, cell, kind)
        if reason:
            found.append((cell, reason))
    return sorted(found)


class Schedule:
    """The order of a sweep's jobs: each work group's cells, round by round, shuffled.

    Each (cell, round) job waits for the one before it in its work group, so a round
    visits every cell of the group before the next round begins. Orders are derived from
    the seed and the group alone, so adding a workload reorders nothing else.
    """

    def __init__(self, sweep: Sweep):
        self.sweep = sweep
        self.seed = sweep["seed"]
        self.cells = expand_cells(sweep)
        if not self.cells:
            raise ConfigError(
                ["workloads: the matrix is empty (every cell is not applicable); see the not-applicable table for why"]
            )
        self.groups: Dict[Tuple[str, str, str, int], List[Cell]] = {}
        for cell in self.cells:
            self.groups.setdefault(self.work_group(cell), []).append(cell)

    def work_group(self, cell: Cell) -> Tuple[str, str, str, int]:
        return self.group_of(cell.machine, cell.interpreter, cell.workload, cell.payload_bytes)

    def group_of(self, machine: str, interpreter: str, workload: str, payload_bytes: int) -> Tuple[str, str, str, int]:
        """The work group's key, in WORK_GROUP's order: the cells doing the same work (same
        machine, workload and payload, and the same interpreter or its twin, `twin_of`, whose
        rounds then interleave with its own). A round plan's groups name their cells' own
        interpreter; this key folds a twin into its group, so either twin's plan row finds it."""
        return (machine, self.sweep.group_interpreter(interpreter), workload, int(payload_bytes))

    # One schedule lives as long as the workflow: caching on it holds nothing longer.
    @lru_cache(maxsize=None)  # noqa: B019
    def order(self, group: Tuple[str, str, str, int], round: int) -> Tuple[Cell, ...]:
        cells = list(self.groups[group])
        machine, interpreter, workload, payload_bytes = group
        # The seed names the payload by its label, as it always has: the same orders as before.
        key = "/".join((machine, interpreter, workload, kernel.size_label(payload_bytes)))
        random.Random(f"{self.seed}/{key}/{round}").shuffle(cells)
        return tuple(cells)

    @lru_cache(maxsize=None)  # noqa: B019
    def _positions(self, group, round) -> Dict[Cell, int]:
        return {cell: index for index, cell in enumerate(self.order(group, round))}

    def position(self, cell: Cell, round: int) -> int:
        return self._positions(self.work_group(cell), round)[cell]

    def previous(self, cell: Cell, round: int) -> Optional[str]:
        """The path of the job that runs just before this one in its work group."""
        index = self.position(cell, round)
        if index > 0:
            return cell_path(self.order(self.work_group(cell), round)[index - 1], round)
        if round > 1:
            return cell_path(self.order(self.work_group(cell), round - 1)[-1], round - 1)
        return None

    def round_paths(self, group, round: int) -> List[str]:
        return [cell_path(cell, round) for cell in self.groups[group]]


def cell_request(
    sweep: Sweep, schedule: Schedule, cell: Cell, round: int, *, interpreter: Dict[str, Any],
    preparations: Dict[str, str], kernel_hash: str,
) -> CellRequest:  # fmt: skip
    """What one (cell, round) job measures, with every default of the config applied here.

    ``interpreter`` is the interpreter as plain values, ``preparations`` the paths the job
    reads (probe, calibration, the check of the user's code). Work that is not calibrated is
    the entry's ``tasks``, or one task per worker: the one place that default is written.
    Start-up and mechanism work also gets ``repeat_seconds``, how long its batch lasts.
    """
    entry = sweep.workloads[cell.workload]
    params = entry.params_dict()
    if entry.repeated:  # the kernel reads it with the workload's own parameters
        params["repeat_seconds"] = sweep["repeat_seconds"]
    return CellRequest(
        cell=cell,
        round=round,
        interpreter=interpreter,
        kind=entry.kind,
        params=params,
        warmups=sweep["warmups"],
        repetitions=sweep["repetitions"],
        timeout_seconds=sweep.timeout_seconds(cell.interpreter, cell.workload),
        config_hash=sweep.config_hash(cell.workload),
        kernel_hash=kernel_hash,
        seed=sweep["seed"],
        position=schedule.position(cell, round),
        tasks=None if entry.calibrated else params.get("tasks", cell.workers),
        library_threads=entry.library_threads,
        **preparations,
    )
