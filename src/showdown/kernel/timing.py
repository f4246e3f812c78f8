"""Timing one (cell, round): start the scenario, then warm-up and measured repetitions.

The loop does nothing but time: arguments are built before it, checks and checksums
after each batch, outside the clock. Warm-up repetitions are recorded and flagged, never
dropped. Each repetition is preceded by the speed probe.

Standard library only (see ``showdown/__init__.py``).
"""

import math
import time
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Dict, List, Optional

from . import calibration, cputime, environment, speedprobe
from .catalogue import WORKLOADS
from .models import NotApplicable
from .workloads import BatchFailed, CheckFailed


def memory_snapshot(prefix: str) -> Dict[str, Any]:
    """PSS and USS of the whole tree now, as ``<prefix>_pss_bytes`` and ``<prefix>_uss_bytes``
    (None where the platform has no smaps_rollup), with ``<prefix>_processes`` read. Taken
    outside the CPU window: smaps_rollup walks every page table, no part of the work."""
    pss, uss, processes = cputime.tree_memory()
    return {
        f"{prefix}_pss_bytes": pss,
        f"{prefix}_uss_bytes": uss,
        f"{prefix}_processes": processes,
    }


def _timed_batch(scenario) -> Dict[str, Any]:
    """One repetition: the probe, then the batch under the clock, then its check.

    Right after the clock stops, while the workers of the batch are alive (a start-up
    batch's workers are stopped by ``after_batch``), the tree's memory is read.
    """
    probe_pure, probe_released = speedprobe.measure()
    # The CPU window closes right after the batch, as the clock does: whatever the kernel
    # reads or stops afterwards is no part of the work (inside the window, a 20 ms serial
    # batch read 1.06 busy cores; now 1.000).
    harness = scenario.harness_pids()  # their CPU is theirs: the io_net server's is its own column
    # What else ran: the machine's window holds the tree's, so that its reads (~80 us of CPU)
    # stay out of the CPU columns; this process's CPU over it is read exactly and set apart.
    machine0 = cputime.machine_reading(opening=True)
    user0, system0, _ = cputime.tree_usage(own_last=True, exclude=harness)
    own0 = cputime.own_seconds()
    t0 = time.perf_counter_ns()
    results = scenario.run_batch()
    t1 = time.perf_counter_ns()
    own1 = cputime.own_seconds()
    user1, system1, rss = cputime.tree_usage(exclude=harness)  # rss: the workers' memory while alive
    machine1 = cputime.machine_reading(opening=False)
    memory = memory_snapshot("batch")
    scenario.after_batch()
    columns = scenario.batch_columns()
    batch = (t1 - t0) / 1e9 if scenario.timed_seconds is None else scenario.timed_seconds
    descendants = user1 - user0 + system1 - system0 - (own1 - own0)
    measured = descendants + (columns.get("server_cpu_seconds") or 0.0)
    # A batch that repeats its run reports one run's time and CPU, as a batch of
    # one always did, so every column keeps its meaning (and wall / tasks its unit).
    repeats = scenario.repeats
    return {
        "tasks": scenario.tasks,
        "repeats": repeats,
        "batch_seconds": batch,
        "wall_seconds": batch / repeats,
        "cpu_user_seconds": (user1 - user0) / repeats,
        "cpu_system_seconds": (system1 - system0) / repeats,
        "other_cpu_share": cputime.other_cpu_share(machine0, machine1, measured),
        "tree_rss_bytes": rss,
        **memory,
        "probe_pure_seconds": probe_pure,
        "probe_released_seconds": probe_released,
        **columns,
        "checksum": scenario.check(results),
    }


def _trial(scenario, repeats: int) -> float:
    """Seconds of one checked batch of ``repeats`` runs, off the record."""
    scenario.repeats = repeats
    t0 = time.perf_counter_ns()
    results = scenario.run_batch()
    t1 = time.perf_counter_ns()
    scenario.after_batch()
    scenario.check(results)
    return (t1 - t0) / 1e9 if scenario.timed_seconds is None else scenario.timed_seconds


def choose_repeats(scenario, first: Optional[float] = None) -> int:
    """The runs that make a repeatable scenario's batch last its ``repeat_seconds``; 1 for
    the others or without the parameter. ``first``: a first batch's seconds, at one run.

    Chosen per cell and round from batches of this very scenario, so that every model's
    batch lasts the target; its rows give one run's time, so models compare per run (and
    per task) as before, whatever their repeats.
    """
    target = scenario.params.get("repeat_seconds")
    if not (scenario.repeatable and target):
        return 1
    return calibration.repeats_for(lambda repeats: _trial(scenario, repeats), float(target), first)


def grown_repeats(scenario, batch_seconds: float) -> int:
    """More runs for the next batch if this one lasted under half the target, at its pace.

    A first warm-up stalled past the target by the machine (a busy VM stalls a 0.5 ms thread
    start for 30 ms) settles the count at 1; this keeps it to one short batch. Never fewer.
    """
    target = scenario.params.get("repeat_seconds")
    if not (scenario.repeatable and target) or batch_seconds >= float(target) / 2:
        return scenario.repeats
    return max(scenario.repeats, math.ceil(float(target) * scenario.repeats / max(batch_seconds, 1e-9)))


def measure(spec: Dict[str, Any]) -> Dict[str, Any]:
    """Run one (cell, round) as ``spec`` says and return its samples.

    ``spec`` keys: kind, model, workers, payload_bytes, tasks, params,
    warmups, repetitions. Raises NotApplicable, CheckFailed or BatchFailed.
    """
    workload = WORKLOADS[spec["kind"]]
    warmups = int(spec["warmups"])
    scenario = workload.scenario(
        workload,
        spec["model"],
        int(spec["workers"]),
        int(spec["payload_bytes"]),
        int(spec["tasks"]),
        spec.get("params", {}),
    )
    samples: List[Dict[str, Any]] = []
    pool_start_seconds = gil_after_imports = threadpools = None
    try:
        t0 = time.perf_counter_ns()
        scenario.start()
        if scenario.times_start:
            pool_start_seconds = (time.perf_counter_ns() - t0) / 1e9
        # Every worker has met the start barrier: the tree as it stands before any work, and
        # every module the batch needs imported (models, pools, the user's code).
        started = memory_snapshot("started")
        gil_after_imports = environment.gil_enabled()
        if not warmups:
            scenario.repeats = choose_repeats(scenario)
        for repetition in range(warmups + int(spec["repetitions"])):
            sample = _timed_batch(scenario)
            sample.update(started, repetition=repetition, warmup=repetition < warmups)
            samples.append(sample)
            if repetition == 0 and warmups:
                # The first warm-up, at one run, is the first trial: a run that lasts the
                # target costs no trial batch beside it.
                scenario.repeats = choose_repeats(scenario, sample["batch_seconds"])
            else:
                scenario.repeats = grown_repeats(scenario, sample["batch_seconds"])
        # After the batches, outside the clock: what the libraries' pools really used.
        threadpools = environment.library_threadpools()
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
        "gil_enabled_after_imports": gil_after_imports,
        "threadpools": threadpools,
        "samples": samples,
    }


__all__ = ["measure", "BatchFailed", "CheckFailed", "NotApplicable"]
