"""What a workload is: the task one worker runs, the arguments of a batch, and its check.

Every task receives a payload of ``payload_bytes`` and returns a result of the same size,
so that models which move data between processes pay for pickling and transfer exactly as
real code would. Task functions live at module level because process pools pickle them by
reference, and subinterpreters import them by name.

Standard library only (see ``showdown/__init__.py``).
"""

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from .worker import _rotate


class CheckFailed(AssertionError):
    """A batch returned results that cannot be right: the cell is recorded as failed."""


class BatchFailed(Exception):
    """The model broke while running a batch (a dead worker, a broken pool)."""


# ---------------------------------------------------------------------------------------
# Task functions (picklable by reference)
# ---------------------------------------------------------------------------------------


def _own_constants() -> Tuple[int, int, int]:
    """The loop's multiplier, increment and mask as new objects for each task.

    A free-threaded 3.13 build leaves the int constants of an imported module's code mortal
    (sys.getrefcount reads 3-5, not 2**32 - 1), so two threads loading one shared constant
    contend on its reference count: on 3.13.5t two threads did twice the work of one at a
    speedup of 0.36-0.46 (benchmarks/ft_constants.py), 1.97 with the numbers made here.
    Made at run time, each task's numbers are its own, so cpu_pure measures private work,
    as it claims to.
    """
    return int("1103515245"), int("12345"), int("2147483647")


def cpu_pure_task(arg) -> bytes:
    """Pure-Python arithmetic on the task's own data; holds the GIL for its whole duration."""
    index, payload, iterations = arg
    multiplier, increment, mask = _own_constants()
    x = index
    for i in range(iterations):
        x = (x * multiplier + increment + i) & mask
    return _rotate(payload, x)


# shared_objects: what every thread of one process reads and updates. Module-level, so that
# all threads of a process see the same objects (each process or subinterpreter would get its
# own copies, which is why those models are not applicable to this kind).
SHARED_SLOTS = 64


class SharedState:
    """An object whose attribute the tasks update: per-object locking and reference counts."""

    def __init__(self) -> None:
        self.count = 0


SHARED_DICT: Dict[int, int] = dict.fromkeys(range(SHARED_SLOTS), 0)
SHARED_LIST: List[int] = [0] * SHARED_SLOTS
SHARED_STATE = SharedState()


def shared_objects_task(arg) -> bytes:
    """The cpu_pure loop, plus a read and an update of a dict, a list and an attribute per
    iteration: the shared ones in ``sharing`` of the iterations, the task's own otherwise.

    At sharing 0 nothing is shared (private data, as cpu_pure); at 1 every iteration
    touches the same three objects from every thread (reference-count and per-object-lock
    contention on a free-threaded build, cpython#118527 and #139103). Updates to the shared
    objects race on purpose; the result depends only on the task's own arithmetic, so every
    model returns the same bytes.
    """
    index, payload, (iterations, sharing) = arg
    own_dict = dict.fromkeys(range(SHARED_SLOTS), 0)
    own_list = [0] * SHARED_SLOTS
    own_state = SharedState()
    # Every n-th iteration is shared: evenly spread, and the same for every model.
    every = round(1 / sharing) if sharing > 0 else 0
    multiplier, increment, mask = _own_constants()
    x = index
    for i in range(iterations):
        if every and i % every == 0:
            mapping, sequence, state = SHARED_DICT, SHARED_LIST, SHARED_STATE
        else:
            mapping, sequence, state = own_dict, own_list, own_state
        slot = i & (SHARED_SLOTS - 1)
        mapping[slot] = mapping[slot] + 1
        sequence[slot] = sequence[slot] + 1
        state.count = state.count + 1
        x = (x * multiplier + increment + i) & mask
    return _rotate(payload, x)


def shared_objects_unit(payload_bytes: int, params: Dict[str, Any]) -> Tuple[int, float]:
    return int(params["iterations"]), float(params["sharing"])


def cpu_gil_released_task(arg) -> bytes:
    """SHA-256 over the payload, repeated to a fixed number of bytes per task.

    hashlib releases the GIL only for updates larger than 2,047 bytes, so with small
    payloads this workload holds the GIL after all: one of the article's "few cases"
    has a threshold, and the payload axis shows it.
    """
    index, payload, updates = arg
    digest = hashlib.sha256(index.to_bytes(8, "little"))
    for _ in range(updates):
        digest.update(payload)
    value = digest.digest()
    return (value * (len(payload) // len(value) + 1))[: len(payload)]


def io_sleep_task(arg) -> bytes:
    """A fixed latency, as a blocking call would have (time.sleep releases the GIL)."""
    index, payload, latency_seconds = arg
    time.sleep(latency_seconds)
    return _rotate(payload, index)


async def io_sleep_coroutine(arg) -> bytes:
    index, payload, latency_seconds = arg
    await asyncio.sleep(latency_seconds)
    return _rotate(payload, index)


# ---------------------------------------------------------------------------------------
# Workload definitions
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """One kind of work: its task, how the batch is built and what a batch must return.

    ``calibrated`` workloads get their task count from the calibration rule, so that the
    serial batch takes the configured time; the others take fixed work from the config.
    """

    kind: str
    task: Callable[[Any], bytes]
    coroutine: Optional[Callable[[Any], Any]]
    make_unit: Callable[[int, Dict[str, Any]], Any]
    calibrated: bool
    description: str
    defaults: Dict[str, Any] = field(default_factory=dict)
    # How a model runs it (a ``scenarios.Scenario`` class); set in the catalogue.
    scenario: Optional[Callable[..., Any]] = None
    # The models (mechanisms) it accepts; None: every pool model of ``models.MODELS``.
    accepts: Optional[Tuple[str, ...]] = None
    # What bounds a speedup over serial: "cores" (CPU work), "latency"
    # (tasks waiting in waves), or None (no simple bound).
    bound: Optional[str] = None
    # Pure-Python work: one GIL lets one thread run it at a time.
    holds_gil: bool = False

    def args(self, tasks: int, payload_bytes: int, params: Dict[str, Any]) -> List[tuple]:
        """The arguments of one batch; every task shares one payload object."""
        merged = dict(self.defaults, **params)
        payload = make_payload(payload_bytes)
        unit = self.make_unit(payload_bytes, merged)
        return [(index, payload, unit) for index in range(tasks)]


def make_payload(payload_bytes: int) -> bytes:
    pattern = bytes(range(256))
    return (pattern * (payload_bytes // 256 + 1))[:payload_bytes]


def hash_updates(payload_bytes: int, params: Dict[str, Any]) -> int:
    """How many payload-sized updates make the configured bytes hashed per task."""
    return max(1, int(params["bytes_per_task"]) // max(1, payload_bytes))


def batch_checksum(results: List[bytes], tasks: int, payload_bytes: int) -> str:
    """Check the batch and fold it into a digest that every model must reproduce."""
    if len(results) != tasks:
        raise CheckFailed(f"expected {tasks} results, got {len(results)}")
    digest = hashlib.sha256()
    for index, result in enumerate(results):
        if len(result) != payload_bytes:
            raise CheckFailed(f"task {index} returned {len(result)} bytes, expected {payload_bytes}")
        digest.update(result)
    return digest.hexdigest()[:16]
