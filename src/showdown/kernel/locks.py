"""lock_contention: ``workers`` workers each increment one counter ``increments`` times
under one lock that is one model.

Standard library only (see ``showdown/__init__.py``).
"""

import asyncio
import threading
from typing import Any, ClassVar, Dict, Tuple

from .crews import IntValue, digest
from .mechanisms import MechanismScenario
from .registry import COROUTINES, PROCESSES, THREADS
from .workloads import CheckFailed

# ---------------------------------------------------------------------------------------
# lock_contention
# ---------------------------------------------------------------------------------------


def _increment(lock, counter, increments: int) -> int:
    """The same code for a threading.Lock, a Value's own lock and a Manager's Lock."""
    for _ in range(increments):
        with lock:
            counter.value += 1
    return increments


async def _increment_async(lock: asyncio.Lock, counter: IntValue, increments: int) -> int:
    for _ in range(increments):
        async with lock:
            value = counter.value
            # Coroutines switch only at an await: this one, inside the critical section,
            # makes the lock necessary (without it, updates would be lost).
            await asyncio.sleep(0)
            counter.value = value + 1
    return increments


class LockScenario(MechanismScenario):
    """lock_contention: ``workers`` workers each add 1 to one counter ``increments`` times.

    ``tasks`` is the number of increments, workers x increments, per run of the crew: the
    counter must reach it times ``repeats``, so a lost update fails the cell. The counter
    is reset outside the clock.
    """

    MECHANISMS: ClassVar[Dict[str, Tuple[str, str]]] = {
        "threading_lock": (THREADS, "_threading_lock"),
        "mp_value": (PROCESSES, "_mp_value"),
        "manager_value": (PROCESSES, "_manager_value"),
        "asyncio_lock": (COROUTINES, "_asyncio_lock"),
    }
    counter: Any = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.increments = int(self.params["increments"])
        self.tasks = self.workers * self.increments

    def _threading_lock(self):
        return threading.Lock(), IntValue()

    def _mp_value(self):
        value = self.context.Value("q", 0)  # a 64-bit int in shared memory, with its own RLock
        return value.get_lock(), value

    def _manager_value(self):
        manager = self.manager()
        return manager.Lock(), manager.Value("q", 0)

    def _asyncio_lock(self):
        return asyncio.Lock(), IntValue()

    def roles(self, objects):
        lock, self.counter = objects
        increment = self.by_runner(_increment, _increment_async)
        return [(increment, (lock, self.counter, self.increments))] * self.workers

    def run_batch(self):
        self.run_crew()
        return [self.counter.value]

    def after_batch(self):
        self.counter.value = 0

    def check(self, results):
        (count,) = results
        if count != self.batch_tasks:
            raise CheckFailed(
                f"lost updates under {self.model_name}: {self.workers} workers x {self.increments} "
                f"increments x {self.repeats} repeats left the counter at {count}, not {self.batch_tasks}"
            )
        return digest("lock_contention", self.tasks)  # one run's: every model, any repeats
