"""Mechanism and real-I/O workloads: every model moves every byte, counts every increment and
round trip, leaves nothing behind, and the loopback server stays on loopback."""

import functools
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import pyenv_python, skip_or_fail
from showdown.cell.interpreters import Interpreter
from showdown.cell.job import run_kernel
from showdown.kernel.catalogue import WORKLOADS
from showdown.kernel.crews import Crew, digest
from showdown.kernel.ipc import TransferScenario
from showdown.kernel.locks import LockScenario
from showdown.kernel.models import MODELS
from showdown.kernel.netio import LOOPBACK, LoopbackServer
from showdown.kernel.timing import BatchFailed, measure
from showdown.kernel.workloads import CheckFailed, _rotate, batch_checksum, make_payload

pytestmark = pytest.mark.real_run  # timing a busy machine moves: `make test-loaded` reruns these

HERE = Interpreter("here", (sys.executable,))
OFFERED = multiprocessing.get_all_start_methods()

# Small work per workload: (workers, payload_bytes, tasks, params).
SIZES = {
    "ipc_transfer": (2, 1024, 200, {"capacity": 4}),
    # tasks as the sweep asks (one per worker); the scenario counts workers x increments itself
    "lock_contention": (3, 0, 3, {"increments": 300}),
    "switch_latency": (2, 0, 200, {}),
    "io_net": (4, 512, 16, {"latency_ms": 2}),
    "io_disk": (2, 512, 8, {}),
}
NEW_WORKLOADS = sorted(SIZES)


def models_of(kind):
    """Every model the workload runs, on the start methods this platform offers."""
    accepts = WORKLOADS[kind].accepts or tuple(MODELS)
    return [m for m in accepts if "-" not in m or m.rpartition("-")[2] in OFFERED]


def spec(kind, model, workers, payload_bytes, tasks, params, warmups=1, repetitions=1):
    return {
        "kind": kind,
        "model": model,
        "workers": 1 if model == "serial" else workers,
        "payload_bytes": payload_bytes,
        "tasks": tasks,
        "params": params,
        "warmups": warmups,
        "repetitions": repetitions,
    }


@functools.cache
def answers(kind):
    """{model: (outcome, answer)} of real kernel runs; two at a time, as the cells run."""
    workers, payload_bytes, tasks, params = SIZES[kind]

    def one(model):
        return run_kernel(HERE, "run", spec(kind, model, workers, payload_bytes, tasks, params), timeout=120)

    models = models_of(kind)
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(models, pool.map(one, models)))


def expected_checksum(kind, model):
    """The checksum computed here from first principles: what every model must reproduce."""
    workers, payload_bytes, tasks, params = SIZES[kind]
    workers = 1 if model == "serial" else workers
    payload = make_payload(payload_bytes)
    messages = [_rotate(payload, index) for index in range(tasks or 0)]
    if kind == "ipc_transfer":
        crc = functools.reduce(lambda crc, message: zlib.crc32(message, crc), messages, 0)
        return digest("ipc_transfer", tasks, tasks * payload_bytes, crc)  # every byte, in order
    if kind == "lock_contention":
        return digest("lock_contention", workers * params["increments"])  # no lost update
    if kind == "switch_latency":
        return digest("switch_latency", tasks)  # every round trip
    return batch_checksum(messages, tasks, payload_bytes)  # io: every reply / file read back


@pytest.mark.parametrize("kind,model", [(k, m) for k in NEW_WORKLOADS for m in models_of(k)])
def test_every_model_does_all_the_work(kind, model):
    outcome, answer = answers(kind)[model]
    assert answer is not None, outcome.stderr
    if answer["status"] == "not_applicable" and (WORKLOADS[kind].accepts is None or model == "asyncio_uvloop"):
        # A pool model this interpreter lacks (uvloop, subinterpreters...): not this file's concern.
        pytest.skip(f"{model} does not run here: {answer['message']}")
    assert answer["status"] == "ok", answer
    assert "leaked" not in outcome.stderr, outcome.stderr  # no shared memory or semaphore left
    assert [s["warmup"] for s in answer["samples"]] == [True, False]
    workers, _, tasks, params = SIZES[kind]
    if kind == "lock_contention":
        tasks = workers * params["increments"]  # the unit is one increment
    assert all(s["tasks"] == tasks for s in answer["samples"])
    assert {s["checksum"] for s in answer["samples"]} == {expected_checksum(kind, model)}


# The orphans the cell runner counts include multiprocessing's own helpers (the forkserver,
# the resource tracker), which may outlive the kernel by a moment whatever the scenario does;
# the processes a scenario starts itself are Process objects, which active_children lists.
@pytest.mark.skipif("fork" not in OFFERED, reason="needs the fork start method")
@pytest.mark.parametrize(
    "kind,model",
    [(k, m) for k in NEW_WORKLOADS for m in models_of(k) if m.endswith("-fork") and WORKLOADS[k].accepts]
    + [("io_net", "threads")],
)
def test_stop_ends_every_process_the_scenario_started(kind, model):
    workers, payload_bytes, tasks, params = SIZES[kind]
    answer = measure(spec(kind, model, workers, payload_bytes, tasks, params, 0, 1))
    assert answer["checksum"] == expected_checksum(kind, model)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("kind", NEW_WORKLOADS)
def test_models_of_a_workload_agree(kind):
    checksums = {
        model: answer["checksum"] for model, (_, answer) in answers(kind).items() if answer and answer["status"] == "ok"
    }
    assert len(checksums) >= 2 and len(set(checksums.values())) == 1, checksums


def test_io_net_holds_a_thousand_asyncio_connections():
    outcome, answer = run_kernel(
        HERE, "run", spec("io_net", "asyncio", 1000, 64, 1000, {"latency_ms": 50}, 0, 1), timeout=120
    )
    assert answer is not None and answer["status"] == "ok", (answer, outcome.stderr)
    (sample,) = answer["samples"]
    # 1,000 requests of 50 ms take 50 s one at a time: under half of that, many were open at
    # once (how near 50 ms it comes, ~1 s, is benchmarks/real_runs.py's).
    assert 0.05 <= sample["wall_seconds"] < 25.0, sample
    assert outcome.orphans_killed == 0


def _listeners(port):
    """Local addresses of the listening TCP sockets on ``port`` (Linux /proc, v4 and v6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            for line in list(handle)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:
                    found.append(address)
    return found


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc/net/tcp")
def test_server_binds_loopback_only():
    server = LoopbackServer(latency_seconds=0.0, backlog=16)
    try:
        host, port = server.start()
        assert host == LOOPBACK == "127.0.0.1"
        assert _listeners(port) == ["0100007F"]  # 127.0.0.1, little-endian; nothing on v6
        assert server.cpu_seconds() >= 0
    finally:
        server.stop()
    assert server.process is None


def test_a_lost_update_fails_the_check():
    scenario = LockScenario(WORKLOADS["lock_contention"], "threading_lock", 2, 0, 0, {"increments": 10})
    assert scenario.tasks == 20
    assert scenario.check([20]) == digest("lock_contention", 20)
    with pytest.raises(CheckFailed, match="lost updates.*counter at 19, not 20"):
        scenario.check([19])


def test_io_disk_leaves_no_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    answer = measure(spec("io_disk", "threads", 2, 256, 6, {}))
    assert len(answer["samples"]) == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind,workers", [("ipc_transfer", 3), ("switch_latency", 1)])
def test_two_sided_workloads_refuse_other_worker_counts(kind, workers):
    _, answer = run_kernel(HERE, "run", spec(kind, models_of(kind)[0], workers, 8, 4, {}), timeout=60)
    assert answer["status"] == "not_applicable"
    assert "exactly 2 workers" in answer["message"]


@pytest.mark.skipif("fork" not in OFFERED, reason="needs the fork start method")
def test_a_dead_worker_fails_the_batch_and_stop_still_cleans_up():
    scenario = TransferScenario(WORKLOADS["ipc_transfer"], "pipe-fork", 2, 64, 50, {})
    try:
        scenario.start()
        scenario.run_batch()
        scenario.crew.workers[1].kill()  # the consumer
        with pytest.raises(BatchFailed, match=r"died (while running|before) a batch \(exit code -9\)"):
            scenario.run_batch()
    finally:
        scenario.stop()
    assert multiprocessing.active_children() == []


def _divide_by_zero():
    return 1 / 0


def test_a_failing_role_is_reported_at_once_not_its_waiting_partner():
    partner_released = threading.Event()
    crew = Crew()  # threads
    try:
        crew.start(lambda: [(partner_released.wait, ()), (_divide_by_zero, ())])
        t0 = time.monotonic()
        with pytest.raises(BatchFailed, match="ZeroDivisionError"):
            crew.run()
        assert time.monotonic() - t0 < 60  # not the 120 s deadlock timeout
    finally:
        partner_released.set()
        crew.stop()


def test_new_workloads_run_under_python_3_9():
    python = pyenv_python("3.9")
    if python is None:
        skip_or_fail("no CPython 3.9 found under pyenv")
    py39 = Interpreter("py39", (python,))
    for kind, model in [
        ("ipc_transfer", "shared_memory-fork"),
        ("ipc_transfer", "asyncio_queue"),
        ("lock_contention", "asyncio_lock"),
        ("lock_contention", "manager_value-fork"),
        ("switch_latency", "asyncio_event"),
        ("io_net", "asyncio"),
        ("io_disk", "threads"),
    ]:
        outcome, answer = run_kernel(py39, "run", spec(kind, model, *SIZES[kind], 0, 1), timeout=120)
        assert answer and answer["status"] == "ok", (kind, model, answer, outcome.stderr)
        assert answer["meta"]["python_version"].startswith("3.9")
        assert answer["checksum"] == expected_checksum(kind, model)


def test_open_file_limit_is_raised_or_named():
    """Soft limit below the need: raised to the hard limit; hard limit below it: NotApplicable."""
    code = (
        "import resource; from showdown.kernel.netio import raise_open_file_limit;"
        "from showdown.kernel.models import NotApplicable;"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (100, 2000));"
        "raise_open_file_limit(1000); print(resource.getrlimit(resource.RLIMIT_NOFILE)[0]);"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (100, 500))\n"
        "try: raise_open_file_limit(2064)\n"
        "except NotApplicable as reason: print(reason)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    raised, reason = done.stdout.splitlines()
    assert raised == "2000", done.stderr
    assert "needs 2064 open files" in reason and "RLIMIT_NOFILE allows 500" in reason
