"""Workloads that measure a mechanism rather than a pool: a channel, a lock, a token hand-off.

The article under test says that processes share only through Pipe, Queue, Manager, Value
and Array, that thread locks and process locks differ, and that threads switch faster than
processes. Each claim is one workload here, and each of its models names one mechanism:

* ``ipc_transfer``: one producer hands ``tasks`` payload-sized messages to one consumer.
* ``lock_contention``: ``workers`` workers each increment one counter ``increments`` times
  under one lock.
* ``switch_latency``: two workers pass a token back and forth ``tasks`` times.

A workload is one ``MechanismScenario`` subclass. Its mechanisms differ only in the objects
that the same role functions are handed (a channel; a lock and a counter; two endpoints)
and in who runs the roles: threads or processes of a ``Crew``, started once in ``start``
and told to go at each batch, or coroutines on one event loop (``CoroutineCrew``). Model
names are ``<mechanism>`` for threads and coroutines and ``<mechanism>-<start method>`` for
processes, so the report can put start methods side by side as it does for pools.

Standard library only (see ``showdown/__init__.py``).
"""

import asyncio
import hashlib
import math
import multiprocessing
import multiprocessing.connection
import os
import queue
import threading
import time
import traceback
import zlib
from contextlib import ExitStack
from typing import Any, Callable, ClassVar, Dict, List, Optional, Sequence, Tuple

from .models import START_METHODS, NotApplicable, gather_or_cancel
from .registry import COROUTINES, PROCESSES, THREADS, ModelDescription
from .scenarios import Scenario
from .worker import BARRIER_TIMEOUT_SECONDS
from .workloads import BatchFailed, CheckFailed, _rotate, make_payload

# Every blocking wait of a batch gives up after this long, so that a deadlock surfaces as an
# error naming what it waited for instead of a hang that only the cell timeout ends.
WAIT_TIMEOUT_SECONDS = BARRIER_TIMEOUT_SECONDS
# How long a stopping worker may take before it is terminated (processes only).
STOP_TIMEOUT_SECONDS = 10.0

# Where a channel's two sides live: handing over a reference is not moving the bytes.
WITHIN_PROCESS, BETWEEN_PROCESSES = "within one process", "between processes"


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
        raise NotApplicable(
            f"start method {method!r} is not offered on this platform (offered: {', '.join(offered)})"
        )
    return multiprocessing.get_context(method)


def acquire(primitive, what: str) -> None:
    """Acquire a lock or semaphore, or raise TimeoutError saying what never came."""
    if not primitive.acquire(timeout=WAIT_TIMEOUT_SECONDS):
        raise TimeoutError(f"{what} not released within {WAIT_TIMEOUT_SECONDS:.0f} s: deadlock?")


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
                    f"{', '.join(names)} gave no answer within {WAIT_TIMEOUT_SECONDS:.0f} s "
                    f"while {what}: deadlock?"
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
            return self.loop.run_until_complete(
                asyncio.wait_for(_gather_roles(self.roles), WAIT_TIMEOUT_SECONDS)
            )
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


# ---------------------------------------------------------------------------------------
# The scenario every mechanism workload shares
# ---------------------------------------------------------------------------------------


class MechanismScenario(Scenario):
    """A workload whose models are mechanisms, each run by threads, processes or coroutines.

    Subclasses fill ``MECHANISMS`` (mechanism -> (who runs it, the method that makes its
    objects)) and ``roles`` (what each worker does with those objects). Everything the
    objects need released goes on ``self.resources``; ``stop`` stops the workers first,
    then releases them, whatever failed before.
    """

    MECHANISMS: ClassVar[Dict[str, Tuple[str, str]]] = {}
    # Workers the workload needs (producer and consumer, ping and pong); None: any count.
    fixed_workers: Optional[int] = None
    crew: Any = None
    objects: Any = None

    @classmethod
    def descriptions(cls) -> Tuple[ModelDescription, ...]:
        """The workload's models: each mechanism, a process one once per start method."""
        found: List[ModelDescription] = []
        for mechanism, (runner, _) in cls.MECHANISMS.items():
            if runner == PROCESSES:
                found += [ModelDescription(f"{mechanism}-{method}", runner, method, runs_tasks=False)
                          for method in START_METHODS]
            else:
                found.append(ModelDescription(mechanism, runner, runs_tasks=False))
        return tuple(found)

    @classmethod
    def model_names(cls) -> Tuple[str, ...]:
        return tuple(description.name for description in cls.descriptions())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.workload.kind
        require_model(kind, self.model_name, self.model_names())
        if self.fixed_workers is not None and self.workers != self.fixed_workers:
            raise NotApplicable(
                f"{kind} runs exactly {self.fixed_workers} workers, one per side; not {self.workers}"
            )
        mechanism, _, method = self.model_name.partition("-")
        self.runner, maker = self.MECHANISMS[mechanism]
        self.make_objects = getattr(self, maker)
        self.start_method = method or None
        self.context = start_context(method) if method else None
        self.resources = ExitStack()

    def roles(self, objects: Any) -> List[Role]:
        raise NotImplementedError

    def by_runner(self, blocking: Callable[..., Any], coroutine: Callable[..., Any]) -> Callable[..., Any]:
        """The role function that suits the runner: the coroutine function on the event loop."""
        return coroutine if self.runner == COROUTINES else blocking

    def start(self):
        self.crew = CoroutineCrew() if self.runner == COROUTINES else Crew(self.context)
        self.crew.start(self._make_roles)

    def _make_roles(self) -> List[Role]:
        # Held until stop: a Manager frees an object as soon as no proxy in this process
        # refers to it, even while a spawned child has yet to unpickle its own proxy.
        self.objects = self.make_objects()
        return self.roles(self.objects)

    def stop(self):
        try:
            if self.crew is not None:
                self.crew.stop()
        finally:
            self.resources.close()

    def manager(self):
        """A Manager of this start method (a server process), shut down in ``stop``."""
        manager = self.context.Manager()
        self.resources.callback(manager.shutdown)
        return manager

    def pipe(self, duplex: bool):
        """A Pipe's two Connections, closed in ``stop``."""
        # Threads have no start method; a Pipe between two threads is the same OS object.
        ends = (self.context or multiprocessing).Pipe(duplex=duplex)
        for end in ends:
            self.resources.callback(end.close)
        return ends


# ---------------------------------------------------------------------------------------
# ipc_transfer
# ---------------------------------------------------------------------------------------


def _produce(channel, payload: bytes, tasks: int) -> int:
    """Send ``tasks`` distinct payload-sized messages (rotations of the payload), in order."""
    for index in range(tasks):
        channel.send(_rotate(payload, index))
    return tasks


def _consume(channel, tasks: int, kept: list) -> Tuple[int, int]:
    """Receive ``tasks`` messages into ``kept``: (count, bytes). The check is :func:`_fold`,
    run after the clock stops: a digest of every byte is no part of a transfer."""
    total = 0
    for _ in range(tasks):
        message = channel.receive()
        kept.append(message)
        total += len(message)
    return tasks, total


def _fold(channel, tasks: int, kept: list) -> int:
    """The CRC-32 chained over the kept messages in order (it changes if any byte is wrong
    or any two messages swap), then forget them. Run by the consumer's own worker, so
    nothing crosses back to the coordinator but the number."""
    crc = 0
    for message in kept:
        crc = zlib.crc32(message, crc)
    kept.clear()
    return crc


async def _produce_async(channel: asyncio.Queue, payload: bytes, tasks: int) -> int:
    for index in range(tasks):
        await channel.put(_rotate(payload, index))
    return tasks


async def _consume_async(channel: asyncio.Queue, tasks: int, kept: list) -> Tuple[int, int]:
    total = 0
    for _ in range(tasks):
        message = await channel.get()
        kept.append(message)
        total += len(message)
    return tasks, total


class _QueueChannel:
    """queue.Queue, multiprocessing.Queue or a Manager's queue proxy: the same put and get."""

    def __init__(self, channel):
        self.channel = channel

    def send(self, message: bytes) -> None:
        self.channel.put(message, True, WAIT_TIMEOUT_SECONDS)

    def receive(self) -> bytes:
        return self.channel.get(True, WAIT_TIMEOUT_SECONDS)


class _PipeChannel:
    """A one-way Pipe, raw bytes (no pickling). ``recv_bytes`` has no timeout: a stuck
    consumer is seen by the coordinator's timeout, and ``stop`` terminates it."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    def send(self, message: bytes) -> None:
        self.writer.send_bytes(message)

    def receive(self) -> bytes:
        return self.reader.recv_bytes()


class _SharedMemoryChannel:
    """A ring of ``slots`` message-sized slots in one shared block: the bounded buffer.

    ``free`` counts empty slots and ``filled`` written ones, so each message is copied once
    into the block and once out of it by the consumer, never pickled. Each side keeps its
    own position; both advance by ``tasks`` per batch, so they stay in step across batches.
    """

    def __init__(self, block, slots: int, size: int, free, filled):
        self.block, self.slots, self.size = block, slots, size
        self.free, self.filled = free, filled
        self.position = 0

    def _next_slot(self) -> int:
        start = (self.position % self.slots) * self.size
        self.position += 1
        return start

    def send(self, message: bytes) -> None:
        acquire(self.free, "a free shared-memory slot")
        start = self._next_slot()
        self.block.buf[start : start + self.size] = message
        self.filled.release()

    def receive(self) -> bytes:
        """The message copied out of its slot (the consumer's own bytes, as every other
        channel hands over), so that the slot can be written again."""
        acquire(self.filled, "a filled shared-memory slot")
        start = self._next_slot()
        with self.block.buf[start : start + self.size] as view:  # released before the slot is
            message = bytes(view)
        self.free.release()
        return message


def _release_block(block) -> None:
    block.close()
    block.unlink()


class TransferScenario(MechanismScenario):
    """ipc_transfer: a producer hands ``tasks`` messages of ``payload_bytes`` to a consumer.

    Every queue holds at most ``capacity`` messages (a Pipe holds what the OS buffer
    holds), so a fast producer waits as it would in real code instead of filling memory.
    Per-message cost = wall / tasks; it includes building each message (one rotation of
    the payload), the same for every channel. The consumer keeps what it received until
    the clock stops, then folds it into a CRC (:func:`_fold`): every byte checked, none of
    the checking timed. Keeping costs memory: tasks x payload bytes in the consumer.

    Two kinds of channel, never one comparison (:meth:`scopes`): a handoff within one
    process (queue.Queue between threads, asyncio.Queue between coroutines) passes object
    references; a channel between processes must copy or serialise every byte.
    """

    fixed_workers = 2
    MECHANISMS: ClassVar[Dict[str, Tuple[str, str]]] = {
        "queue_threads": (THREADS, "_thread_queue"),
        "mp_queue": (PROCESSES, "_mp_queue"),
        "pipe": (PROCESSES, "_pipe"),
        "manager_queue": (PROCESSES, "_manager_queue"),
        "shared_memory": (PROCESSES, "_shared_memory"),
        "asyncio_queue": (COROUTINES, "_asyncio_queue"),
    }

    @classmethod
    def scopes(cls) -> Dict[str, str]:
        """Every model name -> where its two sides live (:data:`WITHIN_PROCESS` or
        :data:`BETWEEN_PROCESSES`), from who runs the mechanism."""
        return {
            d.name: BETWEEN_PROCESSES if d.workers == PROCESSES else WITHIN_PROCESS for d in cls.descriptions()
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.capacity = int(self.params["capacity"])
        if self.capacity < 1:
            raise NotApplicable(f"capacity must be at least 1 message, not {self.capacity}")
        self.payload = make_payload(self.payload_bytes)
        self._expected: Optional[Tuple[int, int, int]] = None
        self.folded: Optional[int] = None

    def _thread_queue(self):
        return _QueueChannel(queue.Queue(self.capacity))

    def _mp_queue(self):
        channel = self.context.Queue(self.capacity)
        self.resources.callback(channel.close)
        return _QueueChannel(channel)

    def _manager_queue(self):
        return _QueueChannel(self.manager().Queue(self.capacity))

    def _pipe(self):
        return _PipeChannel(*self.pipe(duplex=False))

    def _shared_memory(self):
        try:
            from multiprocessing import shared_memory

            # SharedMemory refuses size 0; a 0-byte payload moves through one spare byte.
            block = shared_memory.SharedMemory(create=True, size=max(1, self.capacity * self.payload_bytes))
        except (ImportError, AttributeError) as error:  # no working _posixshmem (PyPy)
            raise NotApplicable(f"multiprocessing.shared_memory does not work here: {error!r}") from error
        self.resources.callback(_release_block, block)
        return _SharedMemoryChannel(
            block, self.capacity, self.payload_bytes,
            free=self.context.Semaphore(self.capacity), filled=self.context.Semaphore(0),
        )

    def _asyncio_queue(self):
        return asyncio.Queue(self.capacity)

    def roles(self, channel):
        consumer = (channel, self.tasks, [])  # the list: what the consumer keeps, in its own worker
        return [
            (self.by_runner(_produce, _produce_async), (channel, self.payload, self.tasks)),
            (self.by_runner(_consume, _consume_async), consumer, _fold),
        ]

    def run_batch(self):
        return self.crew.run()[1:]  # what the consumer counted

    def after_batch(self):
        self.folded = self.crew.after()[1]  # the consumer's CRC of what it kept

    def expected(self) -> Tuple[int, int, int]:
        """What the consumer must report: computed once, outside the clock."""
        if self._expected is None:
            crc = 0
            for index in range(self.tasks):
                crc = zlib.crc32(_rotate(self.payload, index), crc)
            self._expected = (self.tasks, self.tasks * self.payload_bytes, crc)
        return self._expected

    def check(self, results):
        (counted,) = results
        received = (*counted, self.folded)
        count, total, crc = self.expected()
        if tuple(received) != (count, total, crc):
            raise CheckFailed(
                f"{self.model_name}: consumer got {received[0]} messages, {received[1]} bytes, "
                f"CRC {received[2]:08x}; expected {count}, {total}, {crc:08x}"
            )
        return digest("ipc_transfer", count, total, crc)


# ---------------------------------------------------------------------------------------
# lock_contention
# ---------------------------------------------------------------------------------------


class _Cell:
    """A plain Python int behind a ``.value``, as multiprocessing.Value and Manager values."""

    __slots__ = ("value",)

    def __init__(self, value: int = 0):
        self.value = value


def _increment(lock, counter, increments: int) -> int:
    """The same code for a threading.Lock, a Value's own lock and a Manager's Lock."""
    for _ in range(increments):
        with lock:
            counter.value += 1
    return increments


async def _increment_async(lock: asyncio.Lock, counter: _Cell, increments: int) -> int:
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

    ``tasks`` is the number of increments, workers x increments: the count the counter must
    reach, so a lost update fails the cell. The counter is reset outside the clock.
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
        return threading.Lock(), _Cell()

    def _mp_value(self):
        value = self.context.Value("q", 0)  # a 64-bit int in shared memory, with its own RLock
        return value.get_lock(), value

    def _manager_value(self):
        manager = self.manager()
        return manager.Lock(), manager.Value("q", 0)

    def _asyncio_lock(self):
        return asyncio.Lock(), _Cell()

    def roles(self, objects):
        lock, self.counter = objects
        increment = self.by_runner(_increment, _increment_async)
        return [(increment, (lock, self.counter, self.increments))] * self.workers

    def run_batch(self):
        self.crew.run()
        return [self.counter.value]

    def after_batch(self):
        self.counter.value = 0

    def check(self, results):
        (count,) = results
        if count != self.tasks:
            raise CheckFailed(
                f"lost updates under {self.model_name}: {self.workers} workers x {self.increments} "
                f"increments left the counter at {count}, not {self.tasks}"
            )
        return digest("lock_contention", count)


# ---------------------------------------------------------------------------------------
# switch_latency
# ---------------------------------------------------------------------------------------


def _pin(cpu: Optional[int]) -> None:
    """Run the calling thread (Linux: a thread, not the whole process) on ``cpu`` only."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def _ping(endpoint, tasks: int, cpu: Optional[int], times: list) -> int:
    """Pass the token and wait for it back, ``tasks`` times: the round trips completed.

    Each round trip is timed into ``times`` (nanoseconds; two clock reads, about 0.1 µs,
    against round trips of tens of µs), handed over after the clock stops (:func:`_times`).
    """
    _pin(cpu)
    clock = time.perf_counter_ns
    rounds = 0
    for _ in range(tasks):
        t0 = clock()
        endpoint.send()
        endpoint.receive()
        times.append(clock() - t0)
        rounds += 1
    return rounds


def _pong(endpoint, tasks: int, cpu: Optional[int], times: list) -> int:
    _pin(cpu)
    for _ in range(tasks):
        endpoint.receive()
        endpoint.send()
    return tasks


def _times(endpoint, tasks: int, cpu: Optional[int], times: list) -> List[int]:
    """The round-trip times of the last batch, then forget them."""
    taken = list(times)
    times.clear()
    return taken


async def _ping_async(endpoint, tasks: int, cpu: Optional[int], times: list) -> int:
    clock = time.perf_counter_ns
    rounds = 0
    for _ in range(tasks):
        t0 = clock()
        endpoint.send()
        await endpoint.receive()
        times.append(clock() - t0)
        rounds += 1
    return rounds


async def _pong_async(endpoint, tasks: int, cpu: Optional[int], times: list) -> int:
    for _ in range(tasks):
        await endpoint.receive()
        endpoint.send()
    return tasks


def percentile(ordered: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of sorted values: the smallest value with at least
    ``share`` of them at or below it."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class _EventEndpoint:
    """One side of a pair of threading.Events: set the other's, wait for and clear ours."""

    def __init__(self, mine, theirs):
        self.mine, self.theirs = mine, theirs

    def send(self) -> None:
        self.theirs.set()

    def receive(self) -> None:
        if not self.mine.wait(WAIT_TIMEOUT_SECONDS):
            raise TimeoutError(f"token not back within {WAIT_TIMEOUT_SECONDS:.0f} s: deadlock?")
        self.mine.clear()


class _AsyncEventEndpoint(_EventEndpoint):
    """The same over asyncio.Events (the batch-wide timeout covers the wait)."""

    async def receive(self) -> None:  # type: ignore[override]
        await self.mine.wait()
        self.mine.clear()


def _event_pair(event: Callable[[], Any], endpoint: Callable[[Any, Any], Any]):
    ping, pong = event(), event()
    return endpoint(ping, pong), endpoint(pong, ping)


class _ConditionEndpoint:
    """One side of a threading.Condition guarding whose turn it is (0: ping, 1: pong)."""

    def __init__(self, condition, turn: _Cell, side: int):
        self.condition, self.turn, self.side = condition, turn, side

    def _mine(self) -> bool:
        return self.turn.value == self.side

    def send(self) -> None:
        with self.condition:
            self.turn.value = 1 - self.side
            self.condition.notify()

    def receive(self) -> None:
        with self.condition:
            if not self.condition.wait_for(self._mine, WAIT_TIMEOUT_SECONDS):
                raise TimeoutError(f"turn not back within {WAIT_TIMEOUT_SECONDS:.0f} s: deadlock?")


class _PipeEndpoint:
    """One end of a duplex Pipe (between two processes or two threads); the token is one byte."""

    TOKEN = b"."

    def __init__(self, connection):
        self.connection = connection

    def send(self) -> None:
        self.connection.send_bytes(self.TOKEN)

    def receive(self) -> None:
        self.connection.recv_bytes()


class SwitchScenario(MechanismScenario):
    """switch_latency: two workers pass a token back and forth ``tasks`` times.

    Each round trip is two hand-offs, each waking the other side: round-trip time =
    wall / tasks. The result is the count of round trips the ping side completed. The
    ping side also times every round trip, so each repetition keeps its distribution
    (percentiles: where the two workers ran shows as two modes, not one average).

    Where the OS lets a thread choose its CPUs (``os.sched_setaffinity``), the two workers
    are pinned, each to its own CPU of those the kernel may use (one CPU: both on it), so
    that every repetition runs in the same placement; ``shared_cpu`` says which. Coroutines
    take turns on one thread: one CPU, never pinned.
    """

    fixed_workers = 2
    MECHANISMS: ClassVar[Dict[str, Tuple[str, str]]] = {
        "thread_event": (THREADS, "_thread_events"),
        "thread_condition": (THREADS, "_thread_condition"),
        "pipe_processes": (PROCESSES, "_pipe_ends"),
        # The same pipe between two threads: tells the mechanism from the unit of execution.
        "pipe_threads": (THREADS, "_pipe_ends"),
        "asyncio_event": (COROUTINES, "_asyncio_events"),
    }

    def _thread_events(self):
        return _event_pair(threading.Event, _EventEndpoint)

    def _thread_condition(self):
        condition, turn = threading.Condition(), _Cell(0)
        return _ConditionEndpoint(condition, turn, 0), _ConditionEndpoint(condition, turn, 1)

    def _pipe_ends(self):
        ping, pong = self.pipe(duplex=True)
        return _PipeEndpoint(ping), _PipeEndpoint(pong)

    def _asyncio_events(self):
        return _event_pair(asyncio.Event, _AsyncEventEndpoint)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cpus: Tuple[Optional[int], Optional[int]] = (None, None)
        self.shared_cpu: Optional[bool] = None
        if self.runner == COROUTINES:
            self.shared_cpu = True  # one event loop, one thread
        elif hasattr(os, "sched_setaffinity"):
            allowed = sorted(os.sched_getaffinity(0))
            self.cpus = (allowed[0], allowed[1 % len(allowed)])
            self.shared_cpu = self.cpus[0] == self.cpus[1]
        self.round_trips: List[int] = []

    def roles(self, endpoints):
        return [
            (self.by_runner(_ping, _ping_async), (endpoints[0], self.tasks, self.cpus[0], []), _times),
            (self.by_runner(_pong, _pong_async), (endpoints[1], self.tasks, self.cpus[1], [])),
        ]

    def run_batch(self):
        return self.crew.run()[:1]  # the ping side's count

    def after_batch(self):
        self.round_trips = sorted(self.crew.after()[0])

    def batch_columns(self):
        columns = {f"round_trip_p{p}_seconds": percentile(self.round_trips, p / 100) / 1e9 for p in (50, 90, 99)}
        return dict(super().batch_columns(), **columns, shared_cpu=self.shared_cpu)

    def check(self, results):
        (rounds,) = results
        if rounds != self.tasks:
            raise CheckFailed(f"{self.model_name}: {rounds} round trips completed, expected {self.tasks}")
        return digest("switch_latency", rounds)
