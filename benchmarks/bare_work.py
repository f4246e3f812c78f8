"""The bare reference: a cell's work in a script that imports only the standard library.

Does what the kernel's cells of cpu_gil_released, cpu_pure and startup do, with the same
task bodies, arguments and result sizes and the same executors, and nothing else: no speed
probe, no /proc reads, no round file. One process is one round: a pool started outside the
clock, ``--warmups`` batches, then ``--batches`` timed ones; for startup every batch is a
whole start (a pool started, one no-op on each worker behind a barrier, as the kernel
proves its workers run), the stop outside the clock, repeated with fresh pools until the
batch lasts ``--repeat-seconds`` as the kernel's start-up cells do. Prints one JSON document.

Never import showdown here: what the cells add over this script is the harness's share.
benchmarks/harness_noise.py runs it interleaved with the cells.

    python benchmarks/bare_work.py KIND MODEL --workers 2 --tasks 340 --payload-bytes 65536 --unit 16
"""

import hashlib
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

BARRIER_TIMEOUT_SECONDS = 120.0

# Copies of the kernel's task bodies (kernel/workloads.py, kernel/worker.py), on purpose: the
# reference must not import showdown. tests/test_harness_noise.py checks they return its bytes.


def _rotate(payload, by):
    if not payload:
        return payload
    k = by % len(payload)
    return payload[k:] + payload[:k]


def cpu_pure_task(arg):
    index, payload, iterations = arg
    multiplier, increment, mask = int("1103515245"), int("12345"), int("2147483647")
    x = index
    for i in range(iterations):
        x = (x * multiplier + increment + i) & mask
    return _rotate(payload, x)


def cpu_gil_released_task(arg):
    index, payload, updates = arg
    digest = hashlib.sha256(index.to_bytes(8, "little"))
    for _ in range(updates):
        digest.update(payload)
    value = digest.digest()
    return (value * (len(payload) // len(value) + 1))[: len(payload)]


def startup_task(arg):
    index, payload, _ = arg
    return _rotate(payload, index)


_barrier = None


def _set_barrier(barrier):
    global _barrier
    _barrier = barrier


def barrier_task(arg):
    _barrier.wait(BARRIER_TIMEOUT_SECONDS)
    return startup_task(arg)


TASKS = {"cpu_pure": cpu_pure_task, "cpu_gil_released": cpu_gil_released_task, "startup": startup_task}


def make_payload(payload_bytes):
    pattern = bytes(range(256))
    return (pattern * (payload_bytes // 256 + 1))[:payload_bytes]


def checksum(results):
    """The kernel's batch checksum: equal to the cell's when the work is the same."""
    digest = hashlib.sha256()
    for result in results:
        digest.update(result)
    return digest.hexdigest()[:16]


def make_pool(model, workers):
    """(executor, barrier) for serial, threads or processes-<start method>; serial: (None, None)."""
    if model == "serial":
        return None, None
    if model == "threads":
        import threading

        barrier = threading.Barrier(workers)
        return ThreadPoolExecutor(workers, initializer=_set_barrier, initargs=(barrier,)), barrier
    family, _, method = model.partition("-")
    if family != "processes":
        raise SystemExit(f"bare_work: model {model!r} is not serial, threads or processes-<method>")
    context = multiprocessing.get_context(method)
    barrier = context.Barrier(workers)
    executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_set_barrier, initargs=(barrier,))
    return executor, barrier


def run_batch(executor, task, args):
    if executor is None:
        return [task(arg) for arg in args]
    return list(executor.map(task, args))


def pool_round(kind, model, workers, args, batches):
    """Start the pool as the kernel does (a no-op per worker behind the barrier), then time."""
    executor, _ = make_pool(model, workers)
    task = TASKS[kind]
    try:
        start_args = [(index, args[0][1], None) for index in range(workers)]
        run_batch(executor, barrier_task if executor else startup_task, start_args)
        seconds, results = [], []
        for _ in range(batches):
            t0 = time.perf_counter_ns()
            results = run_batch(executor, task, args)
            seconds.append((time.perf_counter_ns() - t0) / 1e9)
    finally:
        if executor is not None:
            executor.shutdown(wait=True)
    return seconds, results


def timed_starts(model, workers, args, repeats):
    """(seconds, results) of ``repeats`` starts, each a fresh pool stopped off the clock."""
    elapsed, results = 0, []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        executor, _ = make_pool(model, workers)
        results = run_batch(executor, barrier_task if executor else startup_task, args)
        elapsed += time.perf_counter_ns() - t0
        if executor is not None:
            executor.shutdown(wait=True)
    return elapsed / 1e9, results


def repeats_for(timed, target_seconds, first=None):
    """The kernel's rule (kernel/calibration.py, repeats_for), copied: runs per batch so that
    the batch lasts ``target_seconds``."""
    import math  # here, not at the top: a spawn worker re-imports this script
    import statistics

    if (timed(1) if first is None else first) >= target_seconds:
        return 1
    trials = [(1, timed(1))]
    while trials[-1][1] < min(0.02, target_seconds) or (
        len(trials) < 3 and sum(seconds for _, seconds in trials) < target_seconds
    ):
        trials.append((2 * trials[-1][0], timed(2 * trials[-1][0])))
    per_run = statistics.median(seconds / count for count, seconds in trials)
    return max(1, math.ceil(target_seconds / max(per_run, 1e-9)))


def startup_round(model, workers, args, warmups, batches, repeat_seconds):
    """Every batch ``repeats`` whole starts, chosen as the kernel does (from the first
    warm-up) when ``repeat_seconds`` is set: (seconds per start per batch, results, repeats)."""
    seconds, results, repeats = [], [], 1

    def timed(count):
        return timed_starts(model, workers, args, count)[0]

    if repeat_seconds and not warmups:
        repeats = repeats_for(timed, repeat_seconds)
    for batch in range(warmups + batches):
        elapsed, results = timed_starts(model, workers, args, repeats)
        seconds.append(elapsed / repeats)
        if repeat_seconds and warmups and batch == 0:
            repeats = repeats_for(timed, repeat_seconds, elapsed)
        elif repeat_seconds and elapsed < repeat_seconds / 2:  # the kernel's grown_repeats
            repeats = max(repeats, int(-(-repeat_seconds * repeats // elapsed)))
    return seconds, results, repeats


def main():
    # Imported here, not at the top: a spawn worker re-imports this script, and should import
    # no more than a user's lean script would.
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(TASKS))
    parser.add_argument("model", help="serial, threads or processes-<fork|forkserver|spawn>")
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--tasks", type=int, help="tasks per batch (startup: one per worker)")
    parser.add_argument("--payload-bytes", type=int, default=0)
    parser.add_argument("--unit", type=int, default=0, help="cpu_pure: iterations; cpu_gil_released: updates")
    parser.add_argument("--warmups", type=int, default=1)
    parser.add_argument("--batches", type=int, default=2)
    parser.add_argument(
        "--repeat-seconds", type=float, default=0.0, help="startup: repeat starts until a batch lasts this long"
    )
    options = parser.parse_args()
    tasks = options.workers if options.kind == "startup" else options.tasks
    payload = make_payload(options.payload_bytes)
    unit = None if options.kind == "startup" else options.unit
    args = [(index, payload, unit) for index in range(tasks)]
    total = options.warmups + options.batches
    repeats = 1
    if options.kind == "startup":
        seconds, results, repeats = startup_round(
            options.model, options.workers, args, options.warmups, options.batches, options.repeat_seconds
        )
    else:
        seconds, results = pool_round(options.kind, options.model, options.workers, args, total)
    print(
        json.dumps(
            {
                "kind": options.kind,
                "model": options.model,
                "workers": options.workers,
                "tasks": tasks,
                "payload_bytes": options.payload_bytes,
                "warmups": options.warmups,
                "repeats": repeats,
                "wall_seconds": seconds[options.warmups :],
                "checksum": checksum(results),
            }
        )
    )


if __name__ == "__main__":
    main()
