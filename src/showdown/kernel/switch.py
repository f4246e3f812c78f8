"""switch_latency: two workers pass a token back and forth ``tasks`` times, through a
hand-over that is one model (events, a condition, a pipe).

Standard library only (see ``showdown/__init__.py``).
"""

import asyncio
import math
import os
import threading
import time
from typing import Any, Callable, ClassVar, Dict, List, Optional, Sequence, Tuple

from .crews import WAIT_TIMEOUT_SECONDS, IntValue, digest
from .mechanisms import MechanismScenario
from .registry import COROUTINES, PROCESSES, THREADS
from .workloads import CheckFailed

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

    def __init__(self, condition, turn: IntValue, side: int):
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
    wall / tasks (the row's wall is one run's, the batch's over its repeats). The result is the count of round trips the ping side completed. The
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
        condition, turn = threading.Condition(), IntValue(0)
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
        return [sum(answers[0] for answers in self.run_crew())]  # the ping side's count

    def after_batch(self):
        self.round_trips = sorted(self.crew.after()[0])

    def batch_columns(self):
        columns = {f"round_trip_p{p}_seconds": percentile(self.round_trips, p / 100) / 1e9 for p in (50, 90, 99)}
        return dict(super().batch_columns(), **columns, shared_cpu=self.shared_cpu)

    def check(self, results):
        (rounds,) = results
        if rounds != self.batch_tasks:
            raise CheckFailed(f"{self.model_name}: {rounds} round trips completed, expected {self.batch_tasks}")
        return digest("switch_latency", self.tasks)  # one run's: every model, any repeats
