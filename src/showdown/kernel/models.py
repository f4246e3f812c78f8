"""How a concurrency model runs a batch of tasks.

A model is started once (all of its workers running, proved by a barrier), runs batches
with ``map``, and is stopped. Starting is timed apart from the batches: pools start their
workers lazily, so creating an idle pool would measure nothing. Stopping leaves no worker
behind, thread or process.

Standard library only (see ``showdown/__init__.py``).
"""

import asyncio
import multiprocessing
import queue
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Type

from .base import (
    LIVENESS_POLL_SECONDS,
    START_METHODS,
    STOP_TIMEOUT_SECONDS,
    Model,
    NotApplicable,
)
from .registry import CALLER, COROUTINES, INTERPRETERS, PROCESSES, THREADS, ModelDescription, register
from .worker import _queue_worker, _set_barrier, barrier_task, startup_task


async def _gather_bounded(limit: int, run_one, args) -> List[Any]:
    """``await run_one(arg)`` for every arg, at most ``limit`` at once; results in order."""
    semaphore = asyncio.Semaphore(limit)

    async def one(arg):
        async with semaphore:
            return await run_one(arg)

    return await gather_or_cancel([one(arg) for arg in args])


async def gather_or_cancel(coroutines) -> List[Any]:
    """All results in order; if one fails, the others are cancelled and reaped first."""
    pending = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        return await asyncio.gather(*pending)
    except BaseException:
        # gather leaves the others running: cancel and reap them, so none outlives the batch.
        for future in pending:
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        raise


def _inline(task: Callable[[Any], bytes]):
    """A blocking task as a coroutine function that runs it on the event loop itself."""

    async def run(arg):
        return task(arg)

    return run


class _ProcessModel(Model):
    """Workers are processes of one start method; the model is named ``<stem>-<method>``."""

    stem = ""

    def __init__(self, workers: int, start_method: str):
        if start_method not in multiprocessing.get_all_start_methods():
            raise NotApplicable(
                f"start method {start_method!r} is not offered on this platform "
                f"(offered: {', '.join(multiprocessing.get_all_start_methods())})"
            )
        super().__init__(workers)
        self.start_method = start_method
        self.name = f"{self.stem}-{start_method}"
        self.context = multiprocessing.get_context(start_method)

    def _make_barrier(self):
        return self.context.Barrier(self.workers)


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
    """A pool object (a concurrent.futures executor unless said otherwise) whose
    initializer hands each worker the barrier; ``_run`` says how a batch goes through it."""

    executor: Any = None

    def _make_executor(self, barrier) -> Any:
        raise NotImplementedError

    def start(self, barrier_args):
        self.executor = self._make_executor(self._make_barrier())
        return self._run(barrier_task, barrier_args)

    def map(self, workload, args):
        return self._run(workload.task, args)

    def _run(self, task, args) -> List[bytes]:
        return list(self.executor.map(task, args))

    def stop(self):
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None


class Threads(_ExecutorModel):
    name = "threads"

    def _make_executor(self, barrier):
        return ThreadPoolExecutor(max_workers=self.workers, initializer=_set_barrier, initargs=(barrier,))


class Processes(_ProcessModel, _ExecutorModel):
    """ProcessPoolExecutor with an explicit start method (fork, forkserver or spawn)."""

    stem = "processes"

    def _make_executor(self, barrier):
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self.context,
            initializer=_set_barrier,
            initargs=(barrier,),
        )

    def start(self, barrier_args):
        try:
            return super().start(barrier_args)
        except AttributeError as error:
            # Debian's PyPy 7.3.11 loses this method under forkserver and spawn: an
            # interpreter bug, not a result; the executor made no worker, stop is safe.
            if "_adjust_process_count" not in str(error):
                raise
            raise NotApplicable(f"PyPy ProcessPoolExecutor bug with {self.start_method} ({error})") from error


class MpPool(_ProcessModel, _ExecutorModel):
    """multiprocessing.Pool, one task per chunk, as the executors hand them out."""

    stem = "mp_pool"

    def _make_executor(self, barrier):
        return self.context.Pool(self.workers, initializer=_set_barrier, initargs=(barrier,))

    def _run(self, task, args):
        try:
            return self.executor.map(task, args, chunksize=1)
        except BaseException:
            self.executor.terminate()  # close + join would wait for the rest of a failed batch
            raise

    def stop(self):
        if self.executor is not None:
            self.executor.close()
            self.executor.join()
            self.executor = None


class _QueueWorkers(Model):
    """Exactly ``workers`` raw workers fed (index, task, arg) jobs through one queue; results
    come back through another in any order and are put back in task order.

    On start each worker takes one barrier task and holds it until all of them hold one,
    so the start returns only when every worker runs.
    """

    spawned: Sequence[Any] = ()  # the started Thread or Process objects
    jobs: Any = None
    results: Any = None
    barrier: Any = None

    def _make_queue(self) -> Any:
        raise NotImplementedError

    def _make_worker(self, args: tuple) -> Any:
        """An unstarted Thread or Process running ``_queue_worker(*args)``."""
        raise NotImplementedError

    def _release(self) -> None:
        """After the joins in ``stop``: end whatever is left."""

    def start(self, barrier_args):
        self.jobs, self.results = self._make_queue(), self._make_queue()
        self.barrier = self._make_barrier()
        self.spawned = []
        for _ in range(self.workers):
            worker = self._make_worker((self.jobs, self.results, self.barrier))
            worker.start()
            self.spawned.append(worker)
        return self._run(barrier_task, barrier_args)

    def map(self, workload, args):
        return self._run(workload.task, args)

    def _run(self, task, args):
        for index, arg in enumerate(args):
            self.jobs.put((index, task, arg))
        results: List[Any] = [None] * len(args)
        for _ in args:
            index, result, error = self._next_result()
            if error is not None:
                raise error
            results[index] = result
        return results

    def _next_result(self) -> tuple:
        """The next (index, result, error); a dead worker would leave a plain get waiting forever."""
        while True:
            try:
                return self.results.get(timeout=LIVENESS_POLL_SECONDS)
            except queue.Empty as empty:
                dead = sum(not worker.is_alive() for worker in self.spawned)
                if dead:
                    raise BrokenProcessPool(f"{dead} of {self.workers} workers died during a batch") from empty

    def stop(self):
        if not self.spawned:
            return
        self.barrier.abort()  # frees any worker still waiting out a start that failed
        for _ in self.spawned:
            self.jobs.put(None)
        for worker in self.spawned:
            worker.join(STOP_TIMEOUT_SECONDS)
        self._release()
        self.spawned = []


class ThreadWorkers(_QueueWorkers):
    """threading.Thread workers and queue.Queue: the pool written by hand."""

    name = "thread_workers"

    def _make_queue(self):
        return queue.Queue()

    def _make_worker(self, args):
        # Daemon: a thread stuck in a task cannot be ended, but must not hold the exit.
        return threading.Thread(target=_queue_worker, args=args, daemon=True)


class ProcessWorkers(_ProcessModel, _QueueWorkers):
    """multiprocessing.Process workers and multiprocessing.Queue: the pool written by hand."""

    stem = "process_workers"

    def _make_queue(self):
        return self.context.Queue()

    def _make_worker(self, args):
        return self.context.Process(target=_queue_worker, args=args, daemon=True)

    def _release(self):
        for process in self.spawned:
            if process.is_alive():
                process.terminate()
                process.join()
        clean = all(process.exitcode == 0 for process in self.spawned)
        for channel in (self.jobs, self.results):
            if not clean:
                # Jobs a dead worker never read may fill the pipe: the feeder thread could
                # then never flush them, and joining it would hang.
                channel.cancel_join_thread()
            channel.close()
            channel.join_thread()


class _OnEventLoop:
    """Mixin: one event loop per model, made in ``start`` and closed in ``stop``; a batch
    runs on it with at most ``workers`` tasks in flight."""

    workers: int
    loop: Optional[asyncio.AbstractEventLoop] = None

    def _new_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()

    def _gather(self, run_one, args) -> List[bytes]:
        return self.loop.run_until_complete(_gather_bounded(self.workers, run_one, args))

    def _close_loop(self) -> None:
        if self.loop is not None:
            self.loop.close()
            self.loop = None


class Asyncio(_OnEventLoop, Model):
    """Coroutines on one event loop, at most ``workers`` of them in flight.

    A workload without a coroutine (CPU work) runs inline in the coroutine: that is the
    honest answer for asyncio on CPU work, and the measurements should show it.
    """

    name = "asyncio"

    def start(self, barrier_args):
        self.loop = self._new_loop()
        return self._gather(_inline(startup_task), barrier_args)

    def map(self, workload, args):
        return self._gather(workload.coroutine or _inline(workload.task), args)

    def stop(self):
        self._close_loop()


class AsyncioUvloop(Asyncio):
    """The asyncio model on uvloop's event loop, where this interpreter has uvloop."""

    name = "asyncio_uvloop"

    def __init__(self, workers: int):
        try:
            import uvloop  # here, not at module level: the kernel imports on a bare interpreter
        except ImportError as error:
            raise NotApplicable(f"uvloop is not importable by this interpreter ({error})") from error
        super().__init__(workers)
        self.uvloop = uvloop

    def _new_loop(self):
        return self.uvloop.new_event_loop()


class _ExecutorOnLoop(_OnEventLoop):
    """Mixin before an executor model: one event loop hands each blocking task (never the
    workload's coroutine) to the executor and awaits it."""

    def start(self, barrier_args):
        self.loop = self._new_loop()
        return super().start(barrier_args)

    def _run(self, task, args):
        return self._gather(partial(self._submit, task), args)

    async def _submit(self, task, arg) -> bytes:
        raise NotImplementedError

    def stop(self):
        super().stop()
        self._close_loop()


class AsyncioToThread(_ExecutorOnLoop, Threads):
    """asyncio.to_thread on a default executor of exactly ``workers`` threads."""

    name = "asyncio_to_thread"

    def _make_executor(self, barrier):
        # to_thread runs on the loop's default executor; left alone it would have
        # min(32, cpus + 4) threads and the worker count would mean nothing.
        executor = super()._make_executor(barrier)
        self.loop.set_default_executor(executor)
        return executor

    async def _submit(self, task, arg):
        return await asyncio.to_thread(task, arg)


class AsyncioProcesses(_ExecutorOnLoop, Processes):
    """loop.run_in_executor on a ProcessPoolExecutor of one start method."""

    stem = "asyncio_processes"

    async def _submit(self, task, arg):
        return await self.loop.run_in_executor(self.executor, task, arg)


def _subinterpreters(workers: int) -> Model:
    """The subinterpreter pool, imported only when asked for (it needs 3.13 and a backport)."""
    from .subinterpreters import Subinterpreters

    return Subinterpreters(workers)


MODELS: Dict[str, Callable[[int], Model]] = {}


def register_model(
    name: str, factory: Callable[[int], Model], workers: str, start_method: Optional[str] = None
) -> None:
    """Make a model known: ``factory(workers)`` builds it; ``workers`` says what its workers
    are (a ``registry`` worker kind), from which pickling and interpreters follow."""
    register(ModelDescription(name, workers, start_method))
    MODELS[name] = factory


def _register_per_start_method(model: Type[_ProcessModel]) -> None:
    """A process model once per start method, as ``<stem>-<method>``."""
    for method in START_METHODS:
        register_model(f"{model.stem}-{method}", partial(model, start_method=method), PROCESSES, method)


register_model("serial", Serial, CALLER)
register_model("threads", Threads, THREADS)
register_model("thread_workers", ThreadWorkers, THREADS)
register_model("asyncio", Asyncio, COROUTINES)
# Its workers are the executor's threads; the event loop only hands tasks to them.
register_model("asyncio_to_thread", AsyncioToThread, THREADS)
# Not applicable, with the reason, where the interpreter under test has no uvloop.
register_model("asyncio_uvloop", AsyncioUvloop, COROUTINES)
for _model in (Processes, ProcessWorkers, MpPool, AsyncioProcesses):
    _register_per_start_method(_model)
# Not applicable, with the reason, where there is no InterpreterPoolExecutor (below
# 3.13, PyPy, 3.13 without interpreters-pep-734).
register_model("subinterpreters", _subinterpreters, INTERPRETERS)


def make_model(name: str, workers: int) -> Model:
    if name not in MODELS:
        from .registry import load_models

        load_models()  # a model registered by a module of the user's
    try:
        factory = MODELS[name]
    except KeyError:
        raise NotApplicable(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}") from None
    return factory(workers)
