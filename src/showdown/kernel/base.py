"""What every concurrency model is: start, map, stop; and why one cannot run.

Apart from ``models`` so that a model defined elsewhere (the subinterpreter pool, loaded
only when asked for) builds on this without importing the registry that names it.

Standard library only (see ``showdown/__init__.py``).
"""

import threading
from typing import Any, List, Optional

from .workloads import Workload

# How long ``stop`` waits for a raw worker to take its sentinel before ending it by force.
STOP_TIMEOUT_SECONDS = 10.0
# How often a raw pool waiting for a result checks that its workers are still alive.
LIVENESS_POLL_SECONDS = 0.5

START_METHODS = ("fork", "forkserver", "spawn")


class NotApplicable(Exception):
    """This model cannot run here (platform, interpreter or workload): a reason, not a failure."""


class Model:
    """Base class: ``start``, ``map``, ``stop``; subclasses say how."""

    name = ""
    start_method: Optional[str] = None

    def __init__(self, workers: int):
        self.workers = workers

    def start(self, barrier_args: List[tuple]) -> List[bytes]:
        """Start every worker and have each run one no-op task; return their results."""
        raise NotImplementedError

    def map(self, workload: Workload, args: List[tuple]) -> List[bytes]:
        raise NotImplementedError

    def stop(self) -> None:
        pass

    def _make_barrier(self) -> Any:
        """The barrier the workers meet on start-up: threads share this process's."""
        return threading.Barrier(self.workers)
