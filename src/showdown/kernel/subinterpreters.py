"""The ``subinterpreters`` model: a pool of subinterpreters, each with its own GIL.

``concurrent.futures.InterpreterPoolExecutor`` where the standard library has it (3.14),
else the one of the PyPI package interpreters-pep-734 (import name
``interpreters_backport``) on 3.13; not applicable anywhere else, with the reason. Both are
imported only when the model is made: at import time this module, like the whole kernel,
needs nothing beyond the standard library.

How the pools behave, as measured with the backport on CPython 3.13.0 (the stdlib pool of
3.14 is untested here):

- a task and its arguments are pickled into the worker, so the task must be importable by
  name there: the workloads' module-level functions are (the staged kernel is on
  PYTHONPATH, which every subinterpreter inherits); a function of ``__main__`` hangs the
  worker, as does a result it cannot pickle back. A cell's time limit catches such a hang;
- on 3.12 the backport crashes the interpreter (SIGSEGV), so it is not tried below 3.13.

Standard library only at import time (see ``showdown/__init__.py``).
"""

import importlib.util
import platform
import subprocess
import sys
from typing import Any, Callable, List, Optional, Tuple

from .base import Model, NotApplicable
from .worker import BARRIER_TIMEOUT_SECONDS, startup_task

WANTED = "needs Python 3.14, or 3.13 with interpreters-pep-734"
SELF_TEST_SECONDS = 60.0


def pool_class() -> Tuple[Any, Callable[[], Any], str]:
    """(InterpreterPoolExecutor, a cross-interpreter queue factory, "stdlib" or "backport").

    Raises NotApplicable, saying why, where this interpreter has no such pool.
    """
    this = f"this is {platform.python_implementation()} {platform.python_version()}"
    if sys.implementation.name != "cpython":
        raise NotApplicable(f"no InterpreterPoolExecutor: {WANTED}; {this}, which has no subinterpreters")
    try:  # Python 3.14 (PEP 734)
        from concurrent.futures import InterpreterPoolExecutor  # type: ignore[attr-defined]
        from concurrent.interpreters import create_queue  # type: ignore[import-not-found]

        return InterpreterPoolExecutor, create_queue, "stdlib"
    except ImportError:
        pass
    backport = importlib.util.find_spec("interpreters_backport") is not None
    if sys.version_info < (3, 13):
        note = " (interpreters-pep-734 is installed, but crashes the interpreter before 3.13)" if backport else ""
        raise NotApplicable(f"no InterpreterPoolExecutor: {WANTED}; {this}{note}")
    try:
        from interpreters_backport.concurrent.futures import InterpreterPoolExecutor as Backport
        from interpreters_backport.interpreters.queues import create as create_queue
    except ImportError as error:
        raise NotApplicable(f"no InterpreterPoolExecutor: {WANTED}; {this} without it ({error})") from error
    return Backport, create_queue, "backport"


def barrier_task(arg) -> bytes:
    """Run in a worker: say "arrived", wait for "go", then do the start-up no-op.

    "go" comes only when every worker has arrived, so each of them holds one of these
    tasks at once: the pool has really started ``workers`` subinterpreters.
    """
    startup_arg, arrived, go, timeout = arg
    arrived.put(startup_arg[0])
    try:
        go.get(timeout=timeout)
    except Exception:
        # The parent has given up on the pool already, and said why. Raising here would
        # hang the worker: the backport cannot pickle the queue's exception back.
        return b""
    return startup_task(startup_arg)


class SubinterpreterBarrierTimeout(RuntimeError):
    """Not every subinterpreter of the pool started in time."""


class Subinterpreters(Model):
    """InterpreterPoolExecutor with ``workers`` subinterpreters, each with its own GIL."""

    name = "subinterpreters"
    executor: Any = None

    def __init__(self, workers: int):
        self.pool, self.create_queue, self.source = pool_class()
        super().__init__(workers)

    def start(self, barrier_args: List[tuple]) -> List[bytes]:
        self.executor = self.pool(max_workers=self.workers)
        # Queues cross interpreters (a threading.Barrier cannot): a barrier built of two.
        arrived, go = self.create_queue(), self.create_queue()
        timeout = int(BARRIER_TIMEOUT_SECONDS)
        # The workers wait longer than this side does, so that a pool short of workers is
        # always found out here (and named), never by a worker's own time-out first.
        futures = [self.executor.submit(barrier_task, (arg, arrived, go, 2 * timeout)) for arg in barrier_args]
        for count in range(len(barrier_args)):
            try:
                arrived.get(timeout=timeout)
            except Exception as error:  # the queue's "empty" differs between stdlib and backport
                raise SubinterpreterBarrierTimeout(
                    f"{count} of {len(barrier_args)} subinterpreters started within {timeout} s "
                    f"({type(error).__name__})"
                ) from error
        for _ in barrier_args:
            go.put(True)
        return [future.result(timeout=timeout) for future in futures]

    def map(self, workload, args):
        return list(self.executor.map(workload.task, args))

    def stop(self):
        if self.executor is not None:
            # Tasks still queued (after a failed start) are dropped, not run.
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


# ---------------------------------------------------------------------------------------
# The probe's question: does a pool of subinterpreters really run here?
# ---------------------------------------------------------------------------------------


def _self_test() -> None:
    """Start a pool of one, run a task on it, print what happened (in a child process)."""
    try:
        model = Subinterpreters(1)
    except NotApplicable as reason:
        print(f"not applicable: {reason}")
        return
    try:
        started = model.start([(0, b"ok", None)])
        done = model.map(_Echo, [(1, b"ok", None)])
    finally:
        model.stop()
    print("ok" if started == [b"ok"] and done == [b"ko"] else f"wrong answers: {started!r} {done!r}")


class _Echo:
    """A workload stand-in for the self-test: its task is the start-up no-op."""

    task = staticmethod(startup_task)


def self_test(timeout: float = SELF_TEST_SECONDS) -> Tuple[Optional[str], str]:
    """(pool source or None, "ok" or why not), from a child process that tries for real.

    A child, because the failures seen are a crash (3.12) or a hang: neither may take
    the probe down with it.
    """
    try:
        source: Optional[str] = pool_class()[2]
    except NotApplicable as reason:
        return None, str(reason)
    code = "from showdown.kernel.subinterpreters import _self_test; _self_test()"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return source, f"a pool of one subinterpreter did not answer within {timeout:g} s"
    if done.returncode:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:]) or "(no stderr)"
        how = f"signal {-done.returncode}" if done.returncode < 0 else f"exit code {done.returncode}"
        return source, f"a pool of one subinterpreter crashed ({how}): {tail}"
    return source, (done.stdout.strip().splitlines() or ["(no answer)"])[-1]
