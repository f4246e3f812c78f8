"""Timing one (cell, round): start the scenario, then warm-up and measured repetitions.

The loop does nothing but time: arguments are built before it, checks and checksums
after each batch, outside the clock. Warm-up repetitions are recorded and flagged, never
dropped. Each repetition is preceded by the speed probe.

Standard library only (see ``showdown/__init__.py``).
"""

import time
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Dict, List

from . import cputime, speedprobe
from .catalogue import WORKLOADS
from .models import NotApplicable
from .workloads import BatchFailed, CheckFailed


def _timed_batch(scenario) -> Dict[str, Any]:
    """One repetition: the probe, then the batch under the clock, then its check."""
    probe_pure, probe_released = speedprobe.measure()
    user0, system0, _ = cputime.tree_usage()
    t0 = time.perf_counter_ns()
    results = scenario.run_batch()
    t1 = time.perf_counter_ns()
    _, _, rss = cputime.tree_usage()  # the workers' memory while they are alive
    scenario.after_batch()
    user1, system1, _ = cputime.tree_usage()
    return {
        "tasks": scenario.tasks,
        "wall_seconds": (t1 - t0) / 1e9,
        "cpu_user_seconds": user1 - user0,
        "cpu_system_seconds": system1 - system0,
        "tree_rss_bytes": rss,
        "probe_pure_seconds": probe_pure,
        "probe_released_seconds": probe_released,
        "checksum": scenario.check(results),
    }


def measure(spec: Dict[str, Any]) -> Dict[str, Any]:
    """Run one (cell, round) as ``spec`` says and return its samples.

    ``spec`` keys: workload (a kind), model, workers, payload_bytes, tasks, params,
    warmups, repetitions. Raises NotApplicable, CheckFailed or BatchFailed.
    """
    workload = WORKLOADS[spec["workload"]]
    warmups = int(spec["warmups"])
    scenario = workload.scenario(
        workload, spec["model"], int(spec["workers"]), int(spec["payload_bytes"]),
        int(spec.get("tasks") or spec["workers"]), spec.get("params", {}),
    )
    samples: List[Dict[str, Any]] = []
    pool_start_seconds = None
    try:
        t0 = time.perf_counter_ns()
        scenario.start()
        if scenario.times_start:
            pool_start_seconds = (time.perf_counter_ns() - t0) / 1e9
        for repetition in range(warmups + int(spec["repetitions"])):
            sample = _timed_batch(scenario)
            sample.update(repetition=repetition, warmup=repetition < warmups)
            samples.append(sample)
    except BrokenProcessPool as error:
        raise BatchFailed(f"broken pool: {error}") from error
    finally:
        scenario.stop()
    return {
        "start_method": scenario.start_method,
        "pool_start_seconds": pool_start_seconds,
        "checksum": samples[-1]["checksum"] if samples else None,
        # The user's module's first import (callable workloads), timed apart from the batches.
        "import_seconds": getattr(scenario, "import_seconds", None),
        "samples": samples,
    }


__all__ = ["measure", "BatchFailed", "CheckFailed", "NotApplicable"]
