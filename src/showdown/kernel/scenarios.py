"""A scenario is one workload run by one model: set up, batches, tear down.

Pool workloads (CPU work, sleeps) run any pool model over a list of tasks; workloads that
measure a mechanism of their own (a channel, a lock, a ping-pong) bring their own
scenario, in which the "model" names the mechanism (``pipe-fork``, ``asyncio_lock``...).
The timing loop sees only this interface.

Standard library only (see ``showdown/__init__.py``).
"""

from typing import Any, Callable, Dict, List, Optional

from .models import make_model
from .workloads import Workload, batch_checksum, make_payload


class Scenario:
    """Base class. ``start`` is timed as the pool start; ``run_batch`` is the measurement;
    ``after_batch`` runs outside the clock; ``batch_columns`` adds the scenario's own
    columns to the repetition's row (after ``after_batch``); ``stop`` tears everything down."""

    start_method: Optional[str] = None
    times_start = True  # False when the batch itself is the start (the startup workload)

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
    """Each batch is a whole life: start every worker and run one no-op on each.

    The clock stops when every worker has answered; the stop (joining the workers) runs
    after it, but the CPU columns include it, as children count once they are reaped.
    """

    times_start = False
    model = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tasks = self.workers
        self.start_method = make_model(self.model_name, self.workers).start_method

    def run_batch(self):
        self.model = make_model(self.model_name, self.workers)
        return self.model.start(self.workload.args(self.workers, self.payload_bytes, self.params))

    def after_batch(self):
        self.model.stop()
        self.model = None

    def stop(self):
        if self.model is not None:
            self.model.stop()
