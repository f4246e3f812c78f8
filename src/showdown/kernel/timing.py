"""Timing one (cell, round): start the model, then warm-up and measured repetitions.

The loop does nothing but time: arguments are built before it, checks and checksums
after each batch, outside the clock. Warm-up repetitions are recorded and flagged, never
dropped. Each repetition is preceded by the speed probe.

Standard library only (see ``showdown/__init__.py``).
"""

import time
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Dict, List

from . import cputime, speedprobe
from .models import NotApplicable, make_model
from .workloads import WORKLOADS, CheckFailed, batch_checksum


class BatchFailed(Exception):
    """The model broke while running a batch (a dead worker, a broken pool)."""


def _sample(repetition: int, warmup: bool, tasks: int, work) -> Dict[str, Any]:
    """Time ``work()`` with the speed probe before it; return the sample and the results."""
    probe_pure, probe_released = speedprobe.measure()
    user0, system0 = cputime.tree_cpu()
    t0 = time.perf_counter_ns()
    results = work()
    t1 = time.perf_counter_ns()
    user1, system1 = cputime.tree_cpu()
    return {
        "repetition": repetition,
        "warmup": warmup,
        "tasks": tasks,
        "wall_seconds": (t1 - t0) / 1e9,
        "cpu_user_seconds": user1 - user0,
        "cpu_system_seconds": system1 - system0,
        "probe_pure_seconds": probe_pure,
        "probe_released_seconds": probe_released,
    }, results


def measure(spec: Dict[str, Any]) -> Dict[str, Any]:
    """Run one (cell, round) as ``spec`` says and return its samples.

    ``spec`` keys: workload (a kind), model, workers, payload_bytes, tasks, params,
    warmups, repetitions. Raises NotApplicable, CheckFailed or BatchFailed.
    """
    workload = WORKLOADS[spec["workload"]]
    workers = int(spec["workers"])
    payload_bytes = int(spec["payload_bytes"])
    repetitions = int(spec["warmups"]) + int(spec["repetitions"])
    params = spec.get("params", {})
    if workload.kind == "startup":
        return _measure_startup(spec["model"], workers, payload_bytes, spec, repetitions)

    tasks = int(spec["tasks"])
    args = workload.args(tasks, payload_bytes, params)
    barrier_args = workload.args(workers, payload_bytes, params)
    model = make_model(spec["model"], workers)
    samples: List[Dict[str, Any]] = []
    checksum = None
    try:
        t0 = time.perf_counter_ns()
        model.start(barrier_args)
        pool_start_seconds = (time.perf_counter_ns() - t0) / 1e9
        for repetition in range(repetitions):
            sample, results = _sample(
                repetition,
                repetition < int(spec["warmups"]),
                tasks,
                lambda: model.map(workload, args),
            )
            sample["checksum"] = checksum = batch_checksum(results, tasks, payload_bytes)
            samples.append(sample)
    except BrokenProcessPool as error:
        raise BatchFailed(f"broken pool: {error}") from error
    finally:
        model.stop()
    return {
        "start_method": model.start_method,
        "pool_start_seconds": pool_start_seconds,
        "checksum": checksum,
        "samples": samples,
    }


def _measure_startup(model_name, workers, payload_bytes, spec, repetitions):
    """Each repetition is a whole life: start every worker, one no-op on each, stop.

    The clock stops when every worker has answered; the stop (joining workers) is not
    timed, but the CPU columns include it because children count once they are reaped.
    """
    workload = WORKLOADS["startup"]
    barrier_args = workload.args(workers, payload_bytes, spec.get("params", {}))
    samples = []
    start_method = None
    for repetition in range(repetitions):
        model = make_model(model_name, workers)
        start_method = model.start_method
        try:
            sample, results = _sample(
                repetition,
                repetition < int(spec["warmups"]),
                workers,
                lambda: model.start(barrier_args),
            )
        except BrokenProcessPool as error:
            raise BatchFailed(f"broken pool: {error}") from error
        finally:
            model.stop()
        sample["checksum"] = batch_checksum(results, workers, payload_bytes)
        samples.append(sample)
    return {
        "start_method": start_method,
        "pool_start_seconds": None,
        "checksum": samples[-1]["checksum"] if samples else None,
        "samples": samples,
    }


__all__ = ["measure", "BatchFailed", "CheckFailed", "NotApplicable"]
