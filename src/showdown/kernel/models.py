"""How a concurrency model runs a batch of tasks.

A model is started once (all of its workers running, proved by a barrier), runs batches
with ``map``, and is stopped. Starting is timed apart from the batches: pools start their
workers lazily, so creating an idle pool would measure nothing.

Standard library only (see ``showdown/__init__.py``).
"""

import asyncio
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional

from .workloads import Workload, startup_task

BARRIER_TIMEOUT_SECONDS = 120.0

START_METHODS = ("fork", "forkserver", "spawn")


class NotApplicable(Exception):
    """This model cannot run here (platform, interpreter or workload): a reason, not a failure."""


# The barrier each worker meets on start-up; set by the pool initializer in every worker.
_barrier: Any = None


def _set_barrier(barrier) -> None:
    global _barrier
    _barrier = barrier


def barrier_task(arg) -> bytes:
    """Wait until every worker of the pool holds one of these tasks, then do the no-op."""
    _barrier.wait(BARRIER_TIMEOUT_SECONDS)
    return startup_task(arg)


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


class Serial(Model):
    name = "serial"

    def __init__(self, workers: int):
        if workers != 1:
            raise NotApplicable("serial runs with exactly one worker")
        super().__init__(workers)

    def start(self, barrier_args):
        return [startup_task(arg) for arg in barrier_args]

    def map(self, workload, args):
        task = workload.task
        return [task(arg) for arg in args]


class _ExecutorModel(Model):
    """concurrent.futures executors: the barrier rides in on the pool initializer."""

    executor: Any = None

    def _make_executor(self, barrier) -> Any:
        raise NotImplementedError

    def _make_barrier(self) -> Any:
        raise NotImplementedError

    def start(self, barrier_args):
        self.executor = self._make_executor(self._make_barrier())
        return list(self.executor.map(barrier_task, barrier_args))

    def map(self, workload, args):
        return list(self.executor.map(workload.task, args))

    def stop(self):
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None


class Threads(_ExecutorModel):
    name = "threads"

    def _make_barrier(self):
        return threading.Barrier(self.workers)

    def _make_executor(self, barrier):
        return ThreadPoolExecutor(
            max_workers=self.workers, initializer=_set_barrier, initargs=(barrier,)
        )


class Processes(_ExecutorModel):
    """ProcessPoolExecutor with an explicit start method (fork, forkserver or spawn)."""

    def __init__(self, workers: int, start_method: str):
        if start_method not in multiprocessing.get_all_start_methods():
            raise NotApplicable(
                f"start method {start_method!r} is not offered on this platform "
                f"(offered: {', '.join(multiprocessing.get_all_start_methods())})"
            )
        super().__init__(workers)
        self.start_method = start_method
        self.name = f"processes-{start_method}"
        self.context = multiprocessing.get_context(start_method)

    def _make_barrier(self):
        return self.context.Barrier(self.workers)

    def _make_executor(self, barrier):
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self.context,
            initializer=_set_barrier,
            initargs=(barrier,),
        )


class Asyncio(Model):
    """Coroutines on one event loop, at most ``workers`` of them in flight.

    A workload without a coroutine (CPU work) runs inline in the coroutine: that is the
    honest answer for asyncio on CPU work, and the measurements should show it.
    """

    name = "asyncio"
    loop: Optional[asyncio.AbstractEventLoop] = None

    def start(self, barrier_args):
        self.loop = asyncio.new_event_loop()
        return self.loop.run_until_complete(self._gather(None, startup_task, barrier_args))

    def map(self, workload, args):
        return self.loop.run_until_complete(
            self._gather(workload.coroutine, workload.task, args)
        )

    async def _gather(self, coroutine, task, args):
        limit = asyncio.Semaphore(self.workers)

        async def one(arg):
            async with limit:
                if coroutine is not None:
                    return await coroutine(arg)
                return task(arg)

        return await asyncio.gather(*(one(arg) for arg in args))

    def stop(self):
        if self.loop is not None:
            self.loop.close()
            self.loop = None


def _processes_factory(method: str) -> Callable[[int], Model]:
    return lambda workers: Processes(workers, method)


MODELS: Dict[str, Callable[[int], Model]] = {
    "serial": Serial,
    "threads": Threads,
    "asyncio": Asyncio,
    **{f"processes-{method}": _processes_factory(method) for method in START_METHODS},
}


def make_model(name: str, workers: int) -> Model:
    try:
        factory = MODELS[name]
    except KeyError:
        raise NotApplicable(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    return factory(workers)
