"""What a worker process imports to start: the start barrier, the raw worker's loop, the no-op.

Spawn and forkserver workers unpickle their initializer and first task by reference, so they
import the module that defines them before they can answer the start barrier. Here that
module imports nothing beyond the standard library's smallest parts: the start-up cells then
time the model's start, not the kernel's imports (asyncio, dataclasses and typing, which
workloads and models need, took 38 ms per worker, more than a forkserver start itself). Keep
it that way: nothing in this module may import another kernel module.

Standard library only (see ``showdown/__init__.py``).
"""

BARRIER_TIMEOUT_SECONDS = 120.0

# The barrier each worker meets on start-up; set by the pool initializer in every worker.
_barrier = None


def _rotate(payload: bytes, by: int) -> bytes:
    """A payload-sized result that depends on ``by``: a rotation runs at C speed."""
    if not payload:
        return payload
    k = by % len(payload)
    return payload[k:] + payload[:k]


def startup_task(arg) -> bytes:
    """The no-op each worker runs once, to prove it is running; with it, ``prepare``, if the
    scenario gives one (a module-level function: process pools pickle it by reference)."""
    index, payload, prepare = arg
    if callable(prepare):
        prepare()
    return _rotate(payload, index)


def _set_barrier(barrier) -> None:
    global _barrier
    _barrier = barrier


def barrier_task(arg) -> bytes:
    """Wait until every worker of the pool holds one of these tasks, then do the no-op."""
    _barrier.wait(BARRIER_TIMEOUT_SECONDS)
    return startup_task(arg)


def _queue_worker(jobs, results, barrier) -> None:
    """The life of a raw worker, thread or process: run (index, task, arg) jobs until None.

    Module level and handed the task with each job (pickled by reference), because a
    process worker is started before anyone knows the workload. A task's exception goes
    back to the parent, which raises it as an executor would.
    """
    _set_barrier(barrier)
    for index, task, arg in iter(jobs.get, None):
        try:
            results.put((index, task(arg), None))
        except Exception as error:
            results.put((index, None, error))
