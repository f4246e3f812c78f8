"""A scenario is one workload run by one model: set up, batches, tear down.

Pool workloads (CPU work, sleeps) run any pool model over a list of tasks; workloads that
measure a mechanism of their own (a channel, a lock, a ping-pong) bring their own
scenario, in which the "model" names the mechanism (``pipe-fork``, ``asyncio_lock``...).
The timing loop sees only this interface.

Standard library only (see ``showdown/__init__.py``).
"""

import time
from typing import Any, Callable, Dict, List, Optional

from .models import make_model
from .workloads import Workload, batch_checksum, make_payload


class Scenario:
    """Base class. ``start`` is timed as the pool start; ``run_batch`` is the measurement;
    ``after_batch`` runs outside the clock; ``batch_columns`` adds the scenario's own
    columns to the repetition's row (after ``after_batch``); ``stop`` tears everything down.

    A ``repeatable`` scenario's run (a start of every worker; ``tasks`` round trips,
    messages or lock increments) can last well under a millisecond: timer and scheduler
    noise would be most of it. Its ``run_batch`` repeats the run ``repeats`` times, a count
    the timing loop chooses per cell and round so that the batch lasts the
    ``repeat_seconds`` parameter (``timing.choose_repeats``); the row gives one run's time
    (``repeats``: 1 unless the parameter is set).
    """

    start_method: Optional[str] = None
    times_start = True  # False when the batch itself is the start (the startup workload)
    repeatable = False
    repeats = 1
    # The seconds the scenario timed itself, where the batch's own clock would hold more
    # than its runs (the start-up batch stops each pool before the next starts).
    timed_seconds: Optional[float] = None

    def __init__(
        self, workload: Workload, model: str, workers: int, payload_bytes: int, tasks: int, params: Dict[str, Any]
    ):
        self.workload = workload
        self.model_name = model
        self.workers = workers
        self.payload_bytes = payload_bytes
        self.tasks = tasks
        self.params = dict(workload.defaults, **params)

    def start(self) -> None:
        pass

    def run_batch(self) -> List[Any]:
        raise NotImplementedError

    def after_batch(self) -> None:
        pass

    def harness_pids(self) -> List[int]:
        """Processes of the harness, not of the model under test (the io_net server): left
        out of the batch's CPU seconds, which are the model's own."""
        return []

    def batch_columns(self) -> Dict[str, Any]:
        """Columns of this repetition beyond the common ones: here, the latency each task was
        given (what the kernel was asked, so the analysis needs no config to draw the bound)."""
        if "latency_ms" in self.params:
            return {"latency_seconds": float(self.params["latency_ms"]) / 1000.0}
        return {}

    def check(self, results: List[Any]) -> str:
        """Fail on a wrong batch; return a checksum every model of the group must reproduce."""
        return batch_checksum(results, self.tasks, self.payload_bytes)

    def stop(self) -> None:
        pass


class PoolScenario(Scenario):
    """Any pool model (serial, threads, processes, asyncio...) mapping the workload's tasks."""

    # What each worker runs as it meets the start barrier (None: nothing), outside the clock.
    prepare: Optional[Callable[[], None]] = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.model = make_model(self.model_name, self.workers)
        self.start_method = self.model.start_method
        self.args = self.workload.args(self.tasks, self.payload_bytes, self.params)

    def start(self):
        # The start barrier's no-op gets a plain payload of the cell's size, one per worker:
        # a workload's own task arguments (a user's dict, a connection's address) are for
        # its tasks, and the no-op cannot read them.
        payload = make_payload(self.payload_bytes)
        self.model.start([(index, payload, self.prepare) for index in range(self.workers)])

    def run_batch(self):
        return self.model.map(self.workload, self.args)

    def stop(self):
        self.model.stop()


class StartupScenario(Scenario):
    """Each run is a whole life: start every worker and run one no-op on each.

    Every repeat starts a fresh pool, so every start is a first start (a forkserver's own
    server, started once per process, is shared as it is by every pool of a program). The
    clock times the starts only: each pool is stopped (its workers joined) before the next
    starts, off the clock, and the last one after the batch, in ``after_batch``, so that at
    most one pool's workers are ever alive. The CPU columns include the stops, as children
    count once they are reaped.
    """

    times_start = False
    repeatable = True
    model = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tasks = self.workers
        self.start_method = make_model(self.model_name, self.workers).start_method
        self.start_args = self.workload.args(self.workers, self.payload_bytes, self.params)

    def run_batch(self):
        clock = time.perf_counter_ns
        elapsed = 0
        results: List[Any] = []
        for _ in range(self.repeats):
            self.after_batch()
            t0 = clock()
            self.model = make_model(self.model_name, self.workers)
            results = self.model.start(self.start_args)
            elapsed += clock() - t0
        self.timed_seconds = elapsed / 1e9
        return results

    def after_batch(self):
        if self.model is not None:
            self.model.stop()
            self.model = None

    def stop(self):
        self.after_batch()
