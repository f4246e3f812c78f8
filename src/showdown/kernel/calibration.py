"""Choosing the work of a group: how many tasks make the serial batch last the target time.

Strong scaling needs every model of a (workload, payload) group to do exactly the same
work, so the task count is chosen once, here, from serial timings, and read by every
cell of the group. Standard library only (see ``showdown/__init__.py``).
"""

import math
import statistics
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .catalogue import WORKLOADS

MIN_TIMED_SECONDS = 0.02
TIMINGS = 5
# The shortest task of a user's function worth measuring. A call through the harness's own
# loop and result check costs 0.1-1 us on the development VM (more when it is busy), and a
# read of perf_counter 0.05-0.1 us: below 1 us the serial batch times the harness as much
# as the function, and every pool's own per-task cost (tens of us to hand a task to a
# thread) swamps it. Making a coroutine and dropping it, the issue-27 case, took 0.5 us.
MIN_TASK_SECONDS = 1e-6


def round_up_to_share(tasks: int, workers: Iterable[int]) -> int:
    """Round up so every worker count of the group gets an equal share where cheap.

    Whole shares keep the last wave of tasks from idling workers; when the common
    multiple would be large, the largest worker count is the unit instead.
    """
    counts = [int(w) for w in workers] or [1]
    unit = 1
    for count in counts:
        unit = unit * count // math.gcd(unit, count)
    if unit > max(64, max(counts)):
        unit = max(counts)
    return max(unit, math.ceil(tasks / unit) * unit)


def until_timed(timed: Callable[[int], float], enough: float = MIN_TIMED_SECONDS) -> List[Tuple[int, float]]:
    """Double a count from 1 until ``timed(count)`` (seconds) lasts ``enough``: every
    (count, seconds) tried, the last one long enough."""
    trials = [(1, timed(1))]
    while trials[-1][1] < enough:
        count = 2 * trials[-1][0]
        trials.append((count, timed(count)))
    return trials


def seconds_per_task(kind: str, payload_bytes: int, params: Dict[str, Any]) -> float:
    """Median time of one serial task, from batches long enough to time well."""
    workload = WORKLOADS[kind]

    def serial(count: int) -> float:
        args = workload.args(count, payload_bytes, params)
        t0 = time.perf_counter()
        for arg in args:
            workload.task(arg)
        return time.perf_counter() - t0

    count, _ = until_timed(serial)[-1]
    args = workload.args(count, payload_bytes, params)
    timings = []
    for _ in range(TIMINGS):
        t0 = time.perf_counter()
        for arg in args:
            workload.task(arg)
        timings.append((time.perf_counter() - t0) / count)
    return statistics.median(timings)


def repeats_for(timed: Callable[[int], float], target_seconds: float, first: Optional[float] = None) -> int:
    """How many runs a batch repeats to last at least ``target_seconds``.

    ``timed(count)``: the seconds of a batch of ``count`` runs; ``first``: the seconds of a
    first batch of one run, if one was timed already (a warm-up). A first run that lasts the
    target settles it at 1. A shorter one counts for nothing more: a cell's first run pays
    for what every later one reuses (a forkserver's server, the modules a worker imports)
    and would shrink the count. Then the count doubles until a batch is long enough to time
    (as a serial calibration does), and on to 3 trials unless they have lasted the target
    already; the median time of a run over those trials sets the count. On a busy machine
    one trial can be stretched by a preemption: a count from it alone gave batches of a
    third of the target.
    """
    if (timed(1) if first is None else first) >= target_seconds:
        return 1
    trials = until_timed(timed, min(MIN_TIMED_SECONDS, target_seconds))
    while len(trials) < 3 and sum(seconds for _, seconds in trials) < target_seconds:
        trials.append((2 * trials[-1][0], timed(2 * trials[-1][0])))
    per_run = statistics.median(seconds / count for count, seconds in trials)
    return max(1, math.ceil(target_seconds / max(per_run, 1e-9)))


def calibrate(spec: Dict[str, Any]) -> Dict[str, Any]:
    """``spec``: kind, payload_bytes, params, target_seconds, workers (all counts)."""
    per_task = seconds_per_task(spec["kind"], int(spec["payload_bytes"]), spec.get("params", {}))
    if spec["kind"] == "callable" and per_task < MIN_TASK_SECONDS:
        return {
            "status": "refused",
            "seconds_per_task": per_task,
            "message": (
                f"calibration refused {spec['params']['function']}: a task took {per_task * 1e9:.0f} ns, "
                f"under the {MIN_TASK_SECONDS * 1e6:g} us the clock and the harness resolve reliably "
                f"(the cells would time the harness, not the function)"
            ),
        }
    wanted = max(1, math.ceil(float(spec["target_seconds"]) / per_task))
    tasks = round_up_to_share(wanted, spec.get("workers", [1]))
    return {
        "status": "ok",
        "seconds_per_task": per_task,
        "target_seconds": float(spec["target_seconds"]),
        "tasks": tasks,
        "expected_serial_seconds": tasks * per_task,
    }
