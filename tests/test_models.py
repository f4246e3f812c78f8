"""The pool models written by hand or on an event loop: same answer as serial, results in
task order, every worker started, nothing left behind, and "not applicable" where the
interpreter cannot run them."""

import asyncio
import multiprocessing
import shutil
import sys
import threading
import time
import types
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

import pytest

from conftest import skip_or_fail
from showdown.cell.interpreters import Interpreter
from showdown.cell.job import run_kernel
from showdown.kernel import faults
from showdown.kernel.catalogue import WORKLOADS
from showdown.kernel.models import START_METHODS, AsyncioUvloop, NotApplicable, make_model
from showdown.kernel.timing import measure

pytestmark = pytest.mark.real_run  # timing a busy machine moves: `make test-loaded` reruns these

HERE = Interpreter("here", (sys.executable,))
IN_THIS_PROCESS = ("thread_workers", "asyncio_to_thread")
IN_PROCESSES = tuple(
    f"{stem}-{method}" for stem in ("process_workers", "mp_pool", "asyncio_processes") for method in START_METHODS
)

# Small enough to be quick, big enough that the hash releases the GIL (payload > 2 KiB).
PAYLOAD = 4096
SMALL = {
    "cpu_pure": {"iterations": 2000},
    "cpu_gil_released": {"bytes_per_task": 1 << 16},
    "io_sleep": {"latency_ms": 2},
}
PYPY_BUG = "PyPy ProcessPoolExecutor bug with"


def spec(workload, model, workers=2, tasks=6, repetitions=1, **params):
    return {
        "kind": workload,
        "model": model,
        "workers": workers,
        "payload_bytes": PAYLOAD,
        "tasks": tasks,
        "params": params,
        "warmups": 0,
        "repetitions": repetitions,
    }


def whole_life(model, workload, tasks=6, **params):
    """Start ``model``, run one batch of ``workload`` (a Workload) and stop: the results."""
    try:
        model.start(WORKLOADS["startup"].args(model.workers, PAYLOAD, {}))
        return model.map(workload, workload.args(tasks, PAYLOAD, params))
    finally:
        model.stop()


@pytest.fixture(scope="module")
def serial_checksums():
    return {kind: measure(spec(kind, "serial", workers=1, **params))["checksum"] for kind, params in SMALL.items()}


def run(job):
    """The answer to a kernel ``run``: in this process where the workers are threads or
    forks, else through a real kernel, whose spawn and forkserver children re-import its
    ``__main__``."""
    if job["model"] in IN_THIS_PROCESS or job["model"].endswith("-fork"):
        return dict(measure(job), status="ok")
    outcome, answer = run_kernel(HERE, "run", job, timeout=120)
    assert answer is not None, outcome.stderr
    return answer


@pytest.mark.parametrize("model", IN_THIS_PROCESS + IN_PROCESSES)
def test_new_models_return_the_serial_checksum(model, serial_checksums):
    for kind, params in SMALL.items():
        answer = run(spec(kind, model, **params))
        assert answer["status"] == "ok", answer
        assert answer["checksum"] == serial_checksums[kind], kind


def _last_first(arg):
    """Later tasks finish first: only a pool that reorders its results returns them in order."""
    index, payload, _ = arg
    time.sleep(0.002 * (8 - index))
    return index.to_bytes(2, "little")


@pytest.mark.parametrize("model", IN_THIS_PROCESS + ("process_workers-fork", "mp_pool-fork", "asyncio_processes-fork"))
def test_results_come_back_in_task_order(model):
    backwards = replace(WORKLOADS["startup"], task=_last_first)
    results = whole_life(make_model(model, 4), backwards, tasks=8)
    assert results == [index.to_bytes(2, "little") for index in range(8)]


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("model", IN_THIS_PROCESS + IN_PROCESSES)
def test_nothing_outlives_stop(model, workers):
    """The startup workload starts and stops the model once per repetition; io_sleep once."""
    threads_before = threading.active_count()
    answer = measure(spec("startup", model, workers=workers, repetitions=2))
    assert all(sample["tasks"] == workers for sample in answer["samples"])
    measure(spec("io_sleep", model, workers=workers, latency_ms=1))
    assert multiprocessing.active_children() == []
    assert threading.active_count() == threads_before


def test_asyncio_to_thread_runs_workers_tasks_at_a_time():
    answer = measure(spec("io_sleep", "asyncio_to_thread", workers=4, tasks=8, repetitions=2, latency_ms=20))
    assert answer["pool_start_seconds"] > 0
    for sample in answer["samples"]:  # 8 tasks of 20 ms, 4 at a time: two waves at least
        assert sample["wall_seconds"] > 0.039


seen_threads = set()


def _record_thread(arg):
    seen_threads.add(threading.get_ident())
    time.sleep(0.005)  # long enough that one thread cannot take every task
    return arg[1]


@pytest.mark.parametrize("model", IN_THIS_PROCESS)
def test_thread_models_use_exactly_their_workers(model):
    seen_threads.clear()
    results = whole_life(make_model(model, 3), replace(WORKLOADS["io_sleep"], task=_record_thread), tasks=24)
    assert len(results) == 24
    assert len(seen_threads) == 3


def _raise(arg):
    raise ValueError(f"task {arg[0]} failed")


def test_a_task_exception_reaches_the_caller():
    with pytest.raises(ValueError, match="task 0 failed"):
        whole_life(make_model("thread_workers", 2), replace(WORKLOADS["startup"], task=_raise))


def test_a_dead_process_worker_breaks_the_pool_and_stop_still_cleans_up():
    dying = replace(WORKLOADS["startup"], task=faults._exit_worker)
    with pytest.raises(BrokenProcessPool, match="workers died"):
        whole_life(make_model("process_workers-fork", 2), dying)
    assert multiprocessing.active_children() == []


def _pypy_lost_method(self, *args, **kwargs):
    """What Debian's PyPy 7.3.11 does on the first submit under forkserver or spawn."""
    raise AttributeError("'ProcessPoolExecutor' object has no attribute '_adjust_process_count'")


@pytest.mark.parametrize("model", ["processes-spawn", "asyncio_processes-forkserver"])
def test_the_pypy_executor_bug_is_not_applicable(model, monkeypatch):
    monkeypatch.setattr(ProcessPoolExecutor, "submit", _pypy_lost_method)
    pool = make_model(model, 2)
    with pytest.raises(NotApplicable, match=f"{PYPY_BUG} {pool.start_method}"):
        whole_life(pool, WORKLOADS["startup"])


def test_another_attribute_error_is_not_hidden(monkeypatch):
    def broken(self, *args, **kwargs):
        raise AttributeError("something else")

    monkeypatch.setattr(ProcessPoolExecutor, "submit", broken)
    with pytest.raises(AttributeError, match="something else"):
        whole_life(make_model("processes-fork", 1), WORKLOADS["startup"])


# AsyncioUvloop is built directly: these hold whether or not MODELS lists it yet.
def test_asyncio_uvloop_is_not_applicable_without_uvloop(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvloop", None)  # makes `import uvloop` fail
    with pytest.raises(NotApplicable, match=r"uvloop is not importable by this interpreter \("):
        AsyncioUvloop(2)


def test_asyncio_uvloop_runs_on_the_loop_uvloop_makes(monkeypatch):
    made = []

    def new_event_loop():
        made.append(asyncio.new_event_loop())
        return made[-1]

    monkeypatch.setitem(sys.modules, "uvloop", types.SimpleNamespace(new_event_loop=new_event_loop))
    io_sleep = WORKLOADS["io_sleep"]
    results = whole_life(AsyncioUvloop(2), io_sleep, **SMALL["io_sleep"])
    assert results == [io_sleep.task(arg) for arg in io_sleep.args(6, PAYLOAD, SMALL["io_sleep"])]
    assert len(made) == 1 and made[0].is_closed()


def test_asyncio_uvloop_matches_what_this_interpreter_has():
    """The real import, whichever way it goes here (uvloop is no dependency of the project)."""
    try:
        import uvloop
    except ImportError:
        with pytest.raises(NotApplicable, match="uvloop is not importable"):
            AsyncioUvloop(2)
        return
    model = AsyncioUvloop(2)
    model.start(WORKLOADS["startup"].args(2, PAYLOAD, {}))
    try:
        assert isinstance(model.loop, uvloop.Loop)
    finally:
        model.stop()


@pytest.mark.slow
def test_pypy_runs_each_new_process_family_or_says_why_not():
    pypy = shutil.which("pypy3")
    if pypy is None:
        skip_or_fail("no pypy3 on PATH")
    for model in ("process_workers-spawn", "mp_pool-forkserver", "asyncio_processes-spawn"):
        job = spec("cpu_pure", model, iterations=500)
        outcome, answer = run_kernel(Interpreter("pypy", (pypy,)), "run", job, timeout=120)
        assert answer is not None, outcome.stderr
        assert answer["status"] == "ok" or PYPY_BUG in answer["message"], answer
