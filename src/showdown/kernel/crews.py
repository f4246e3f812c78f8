"""Who runs a mechanism workload's roles: a crew of threads or processes (``Crew``) or of
coroutines on one event loop (``CoroutineCrew``), and the helpers that the mechanism
workloads and ``netio`` share.

Standard library only (see ``showdown/__init__.py``).
"""

import asyncio
import hashlib
import multiprocessing
import multiprocessing.connection
import threading
import traceback
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .models import NotApplicable, gather_or_cancel
from .worker import BARRIER_TIMEOUT_SECONDS
from .workloads import BatchFailed

# Every blocking wait of a batch gives up after this long, so that a deadlock surfaces as an
# error naming what it waited for instead of a hang that only the cell timeout ends.
WAIT_TIMEOUT_SECONDS = BARRIER_TIMEOUT_SECONDS
# How long a stopping worker may take before it is terminated (processes only).
STOP_TIMEOUT_SECONDS = 10.0

# ---------------------------------------------------------------------------------------
# Shared helpers (also used by netio)
# ---------------------------------------------------------------------------------------


def require_model(kind: str, model: str, accepted: Sequence[str]) -> None:
    """NotApplicable unless ``model`` is one that workload ``kind`` runs."""
    if model not in accepted:
        raise NotApplicable(f"{kind} runs {', '.join(accepted)}; not {model!r}")


def start_context(method: str):
    """The multiprocessing context of a start method, or NotApplicable where it is missing."""
    offered = multiprocessing.get_all_start_methods()
    if method not in offered:
        raise NotApplicable(f"start method {method!r} is not offered on this platform (offered: {', '.join(offered)})")
    return multiprocessing.get_context(method)


def acquire(primitive, what: str) -> None:
    """Acquire a lock or semaphore, or raise TimeoutError saying what never came."""
    if not primitive.acquire(timeout=WAIT_TIMEOUT_SECONDS):
        raise TimeoutError(f"{what} not released within {WAIT_TIMEOUT_SECONDS:.0f} s: deadlock?")


class IntValue:
    """A plain Python int behind a ``.value``, as multiprocessing.Value and Manager values."""

    __slots__ = ("value",)

    def __init__(self, value: int = 0):
        self.value = value


def digest(*values: Any) -> str:
    """A checksum of plain values, in the format of the pool workloads' checksums."""
    return hashlib.sha256(repr(values).encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------
# Crews: who runs the roles
# ---------------------------------------------------------------------------------------

_READY = "ready"
_GO = "go"
_AFTER = "after"

# A role: (function, args), or (function, args, after): ``after(*args)`` runs in the same
# worker when the coordinator asks, outside the batch's clock (a check of what it received).
Role = Tuple[Any, ...]


def _no_after(*_args) -> None:
    return None


def _serve(control, role: Callable[..., Any], args: tuple, after: Callable[..., Any] = _no_after) -> None:
    """A crew worker's life: say it is ready, then run its role once per "go" (or its
    ``after`` once per "after") until None.

    Every answer is (ok, detail). A role's exception goes back as its traceback, so the
    batch fails with the worker's own story; a closed control link (the coordinator is
    gone) ends the worker quietly.
    """
    try:
        control.send((True, _READY))
        command = control.recv()
        while command is not None:
            try:
                answer = (True, (after if command == _AFTER else role)(*args))
            except Exception:  # any failure of the role is the answer, with its traceback
                answer = (False, traceback.format_exc())
            control.send(answer)
            command = control.recv()
    except (EOFError, OSError):
        pass


class Crew:
    """One thread or process per role, started once; each batch runs every role once, together.

    Each worker has its own control link (a ``multiprocessing.Pipe``, for threads too: one
    message each way per worker and batch, microseconds against the batch), so the
    coordinator waits on all answers at once with a timeout, sees a dead process at once,
    and reports the first failure rather than the partner left waiting for it.
    """

    def __init__(self, context=None):
        # No context: threads. A context: processes of its start method.
        self.context = context
        self.workers: List[Any] = []
        self.controls: List[Any] = []

    def start(self, make_roles: Callable[[], List[Role]]) -> None:
        spawn = threading.Thread if self.context is None else self.context.Process
        for role in make_roles():
            mine, theirs = multiprocessing.Pipe()
            worker = spawn(target=_serve, args=(theirs, *role), daemon=True)
            self.workers.append(worker)
            self.controls.append(mine)
            worker.start()
            if self.context is not None:
                theirs.close()  # the child holds its own copy; ours would hide its death
        # Proved running (a spawned child has imported everything), so no batch pays for it.
        self._answers("starting")

    def run(self) -> List[Any]:
        return self._command(_GO, "a batch", "running a batch")

    def after(self) -> List[Any]:
        """Every role's ``after`` (None where it has none), run by its own worker."""
        return self._command(_AFTER, "a check", "checking a batch")

    def _command(self, command: str, step: str, doing: str) -> List[Any]:
        for control, worker in zip(self.controls, self.workers):
            try:
                control.send(command)
            except OSError as error:
                raise BatchFailed(f"{worker.name} died before {step} (exit code {_exitcode(worker)})") from error
        return self._answers(doing)

    def _answers(self, what: str) -> List[Any]:
        """Every worker's answer, in order; BatchFailed at the first failure, death or timeout."""
        answers: Dict[int, Any] = {}
        while len(answers) < len(self.controls):
            waiting = [c for i, c in enumerate(self.controls) if i not in answers]
            ready = multiprocessing.connection.wait(waiting, WAIT_TIMEOUT_SECONDS)
            if not ready:
                names = [w.name for i, w in enumerate(self.workers) if i not in answers]
                raise BatchFailed(
                    f"{', '.join(names)} gave no answer within {WAIT_TIMEOUT_SECONDS:.0f} s while {what}: deadlock?"
                )
            for control in ready:
                index = self.controls.index(control)
                worker = self.workers[index]
                try:
                    ok, detail = control.recv()
                except (EOFError, OSError) as error:
                    raise BatchFailed(f"{worker.name} died while {what} (exit code {_exitcode(worker)})") from error
                if not ok:
                    raise BatchFailed(f"{worker.name} failed while {what}:\n{detail}")
                answers[index] = detail
        return [answers[index] for index in range(len(self.controls))]

    def stop(self) -> None:
        stop_workers(self.controls, self.workers, processes=self.context is not None)
        self.workers, self.controls = [], []


def stop_workers(controls: Sequence[Any], workers: Sequence[Any], *, processes: bool) -> None:
    """Tell each worker to stop (None on its control link), join it, and close the links.

    A process that does not stop in time is terminated, then killed. A stuck thread cannot be
    killed; it is a daemon, so it cannot keep the kernel up.
    """
    for control in controls:
        try:
            control.send(None)
        except OSError:
            pass  # that worker is gone already
    for worker in workers:
        worker.join(STOP_TIMEOUT_SECONDS)
        if processes and worker.is_alive():
            worker.terminate()
            worker.join(STOP_TIMEOUT_SECONDS)
            if worker.is_alive():
                worker.kill()
                worker.join()
    for control in controls:
        control.close()


def _exitcode(worker) -> Optional[int]:
    """A process's exit code, once it is reaped (None for a thread or a live process)."""
    if hasattr(worker, "exitcode"):
        worker.join(STOP_TIMEOUT_SECONDS)
        return worker.exitcode
    return None


async def _call(function: Callable[[], Any]) -> Any:
    return function()


async def _gather_roles(roles: List[Role]) -> List[Any]:
    return await gather_or_cancel([role[0](*role[1]) for role in roles])


class CoroutineCrew:
    """The roles as coroutines on one event loop, made in ``start``.

    The roles' asyncio objects are made inside the running loop: before Python 3.10 they
    bind to the current loop when made, which is not ours outside ``run_until_complete``.
    One timeout covers the whole batch, as a per-operation ``wait_for`` would cost more
    than the operations measured.
    """

    loop: Optional[asyncio.AbstractEventLoop] = None

    def __init__(self):
        self.roles: List[Role] = []

    def start(self, make_roles: Callable[[], List[Role]]) -> None:
        self.loop = asyncio.new_event_loop()
        self.roles = self.loop.run_until_complete(_call(make_roles))

    def run(self) -> List[Any]:
        try:
            return self.loop.run_until_complete(asyncio.wait_for(_gather_roles(self.roles), WAIT_TIMEOUT_SECONDS))
        except asyncio.TimeoutError as error:  # not yet the builtin TimeoutError before Python 3.11
            raise BatchFailed(
                f"the coroutines did not finish within {WAIT_TIMEOUT_SECONDS:.0f} s: deadlock?"
            ) from error
        except Exception as error:  # as a thread or process crew reports a failed role
            raise BatchFailed(f"a coroutine failed:\n{traceback.format_exc()}") from error

    def after(self) -> List[Any]:
        """Every role's ``after`` (None where it has none), on this thread: plain functions."""
        return [role[2](*role[1]) if len(role) > 2 else None for role in self.roles]

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.close()
            self.loop = None
