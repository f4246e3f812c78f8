"""The measuring kernel: same work and same answer under every model, honest CPU times."""

import json
import multiprocessing
import os
import subprocess
import sys
import time
import types

import pytest

from conftest import pyenv_python, skip_or_fail
from showdown.cell.interpreters import Interpreter
from showdown.cell.job import run_kernel, staged_kernel
from showdown.kernel import calibration, cputime, speedprobe
from showdown.kernel.catalogue import WORKLOADS, not_applicable_reason
from showdown.kernel.models import MODELS, NotApplicable, make_model
from showdown.kernel.timing import measure

pytestmark = pytest.mark.real_run  # timing a busy machine moves: `make test-loaded` reruns these

HERE = Interpreter("here", (sys.executable,))


def spec(workload, model, workers=2, payload_bytes=4096, tasks=8, **extra):
    return dict(
        kind=workload,
        model=model,
        workers=workers,
        payload_bytes=payload_bytes,
        tasks=tasks,
        params=extra,
        warmups=1,
        repetitions=2,
    )


# The user's callable needs a function from the config: tests/test_user_workloads.py runs it.
POOL_KINDS = sorted(kind for kind, w in WORKLOADS.items() if w.accepts is None and kind not in ("startup", "callable"))


@pytest.mark.parametrize("workload", POOL_KINDS)
def test_every_model_returns_the_same_checksum(workload):
    """Every pool model the catalogue lets run this workload computes the same answer.

    A model may still be not applicable under this interpreter (uvloop missing, say):
    then it must say so with its reason, never crash.
    """
    checksums, not_applicable = {}, {}
    for model in (m for m in MODELS if not_applicable_reason(workload, m) is None):
        workers = 1 if model == "serial" else 2
        outcome, answer = run_kernel(HERE, "run", spec(workload, model, workers, latency_ms=1), timeout=120)
        assert answer is not None, outcome.stderr
        if answer["status"] == "not_applicable":
            not_applicable[model] = answer["message"]
            continue
        assert answer["status"] == "ok", answer
        assert len(answer["samples"]) == 3
        assert [s["warmup"] for s in answer["samples"]] == [True, False, False]
        checksums[model] = {s["checksum"] for s in answer["samples"]}
    assert set(not_applicable) <= {"asyncio_uvloop", "subinterpreters"}, not_applicable
    assert "uvloop" in not_applicable.get("asyncio_uvloop", "uvloop")
    # Below 3.13 (this is the workflow's 3.11) there is no pool of subinterpreters.
    assert "InterpreterPoolExecutor" in not_applicable.get("subinterpreters", "InterpreterPoolExecutor")
    assert len({frozenset(c) for c in checksums.values()}) == 1, checksums
    assert len(next(iter(checksums.values()))) == 1


def test_startup_runs_one_task_on_every_worker():
    for model in ("threads", "processes-fork", "asyncio"):
        answer = measure(spec("startup", model, workers=3, payload_bytes=16))
        assert all(s["tasks"] == 3 for s in answer["samples"])
        assert answer["pool_start_seconds"] is None  # start-up is the measurement itself


def test_pool_start_is_timed_apart_from_the_batches():
    answer = measure(spec("io_sleep", "threads", workers=4, tasks=8, latency_ms=20))
    assert answer["pool_start_seconds"] > 0
    # 8 tasks of 20 ms on 4 threads: two waves at least, whatever the start-up cost was (how
    # close to 40 ms it comes is benchmarks/real_runs.py's, a figure of the machine's load).
    for sample in answer["samples"]:
        assert sample["wall_seconds"] > 0.039
        assert isinstance(sample["other_cpu_share"], float) or not os.path.exists("/proc/stat")


def test_payload_is_returned_by_every_task():
    from showdown.kernel.workloads import CheckFailed, batch_checksum

    with pytest.raises(CheckFailed, match="expected 4 results"):
        batch_checksum([b"xx"] * 3, tasks=4, payload_bytes=2)
    with pytest.raises(CheckFailed, match="returned 1 bytes"):
        batch_checksum([b"x"], tasks=1, payload_bytes=2)


def test_unknown_or_unavailable_models_are_not_applicable():
    with pytest.raises(NotApplicable, match="exactly one worker"):
        make_model("serial", 2)
    with pytest.raises(NotApplicable, match="unknown model"):
        make_model("greenlets", 2)


def test_process_tree_cpu_counts_live_children():
    context = multiprocessing.get_context("fork")
    spun, release = context.Event(), context.Event()
    before = cputime.tree_usage()[:2]
    child = context.Process(target=_spin, args=(0.3, spun, release))
    child.start()
    assert spun.wait(60)  # however loaded the machine, the child has used its 0.3 s of CPU
    during = cputime.tree_usage()[:2]
    release.set()
    child.join()
    assert sum(during) - sum(before) >= 0.29  # the live child's CPU is seen before it is reaped


def _fake_proc(root, busy, iowait, ancestor_ticks):
    """A /proc with its stat (2 CPUs) and this process's parent, whose parent is init."""
    user, system, steal = (round(ticks) for ticks in busy)
    iowait, ancestor_ticks = round(iowait), round(ancestor_ticks)
    (root / "stat").write_text(f"cpu  {user} 0 {system} 5000 {iowait} 0 0 {steal} 0 0\ncpu0 0\ncpu1 0\nintr 0\n")
    parent = root / str(os.getppid())
    parent.mkdir(exist_ok=True)
    (parent / "stat").write_text(f"{os.getppid()} (make test) S 1 {'0 ' * 9}{ancestor_ticks} 0 0 0\n")


def test_other_work_is_the_machines_busy_time_less_the_measured_tree_and_the_harness(tmp_path, monkeypatch):
    monkeypatch.setattr(cputime, "_PROC", str(tmp_path))
    clock, own = iter([10.0, 11.0]), iter([2.0, 2.05])
    monkeypatch.setattr(cputime, "time", types.SimpleNamespace(perf_counter=lambda: next(clock)))
    monkeypatch.setattr(cputime, "own_seconds", lambda: next(own))
    tick = cputime._TICK
    _fake_proc(tmp_path, (1000, 500, 0), 100, 40)
    before = cputime.machine_reading(opening=True)
    # 1 s: user, system and steal (another guest) busy 1.2 s in all, waiting for disk (not
    # busy) 0.3 s; the harness used 0.1 s of it, the kernel 0.05 s, its workers and server 0.45 s.
    _fake_proc(tmp_path, (1000 + 0.8 * tick, 500 + 0.2 * tick, 0.2 * tick), 100 + 0.3 * tick, 40 + 0.1 * tick)
    after = cputime.machine_reading(opening=False)
    assert cputime.other_cpu_share(before, after, 0.45) == pytest.approx((1.2 - 0.1 - 0.05 - 0.45) / 2)


def _fake_child(root, pid, utime, stime, reaped=(0, 0), schedstat_ns=None):
    """A live child of this process in a fake /proc: its stat in ticks (with what it reaped),
    its schedstat in ns."""
    child = root / str(pid)
    child.mkdir()
    # pid (comm) state ppid, 9 fields, utime stime cutime cstime, 6 fields, rss
    fields = ["S", str(os.getpid()), *["0"] * 9, str(utime), str(stime), *map(str, reaped), *["0"] * 6, "7"]
    (child / "stat").write_text(f"{pid} (python3 worker) {' '.join(fields)}\n")
    if schedstat_ns is not None:
        (child / "schedstat").write_text(f"{schedstat_ns} 0 1\n")


def test_the_tree_counts_what_its_live_processes_have_reaped(tmp_path, monkeypatch):
    """A forkserver (a live child) reaps the workers it forks: their CPU is its cutime and
    cstime, part of the tree, not other work."""
    monkeypatch.setattr(cputime, "_PROC", str(tmp_path))
    tick = cputime._TICK
    _fake_child(tmp_path, 999999, 10, 5, reaped=(20, 3))
    user, system, _ = cputime._live_tree()
    assert (user, system) == pytest.approx(((10 + 20) / tick, (5 + 3) / tick))


def test_a_live_process_reads_to_the_nanosecond_where_its_schedstat_agrees_with_its_ticks(tmp_path, monkeypatch):
    """Ticks read a worker's 4.7 ms as 0 or 10 ms; schedstat's total is split as Linux splits it."""
    monkeypatch.setattr(cputime, "_PROC", str(tmp_path))
    tick = 1 / cputime._TICK
    _fake_child(tmp_path, 999991, 0, 0, schedstat_ns=4_700_000)  # 4.7 ms: both fields read 0 ticks
    _fake_child(tmp_path, 999992, 3, 1, schedstat_ns=round((4 * tick + 0.0123) * 1e9))
    user, system, _ = cputime._live_tree()
    exact = 4 * tick + 0.0123
    assert user + system == pytest.approx(0.0047 + exact)
    assert system == pytest.approx(exact / 4)  # the ticks' proportion, 3 to 1


def test_ticks_stand_where_schedstat_misses_the_process_threads(tmp_path, monkeypatch):
    """schedstat counts the first thread only: a process whose other threads ran reads in ticks."""
    monkeypatch.setattr(cputime, "_PROC", str(tmp_path))
    tick = 1 / cputime._TICK
    _fake_child(tmp_path, 999993, 50, 10, schedstat_ns=round(20 * tick * 1e9))  # threads beside it
    _fake_child(tmp_path, 999994, 5, 0)  # no schedstat file at all
    user, system, _ = cputime._live_tree()
    assert (user, system) == pytest.approx((55 * tick, 10 * tick))


def test_without_proc_stat_what_else_ran_is_unknown(tmp_path, monkeypatch):
    monkeypatch.setattr(cputime, "_PROC", str(tmp_path))
    assert cputime.machine_reading(opening=True) is None
    assert cputime.other_cpu_share(None, None, 0.5) is None


def _spin(seconds, spun, release):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    spun.set()
    release.wait(60)


def test_calibration_fills_the_target_in_whole_shares():
    answer = calibration.calibrate(
        {
            "kind": "cpu_pure",
            "payload_bytes": 64,
            "params": {"iterations": 1000},
            "target_seconds": 0.05,
            "workers": [2, 3, 4],
        }
    )
    assert answer["tasks"] % 12 == 0
    assert 0.04 <= answer["expected_serial_seconds"] <= 0.05 + 12 * answer["seconds_per_task"]
    assert calibration.round_up_to_share(5, [1]) == 5
    assert calibration.round_up_to_share(5, [1024]) == 1024  # at least one task per worker
    assert calibration.round_up_to_share(100, [7, 64]) == 128  # lcm 448 too big: unit 64


def test_speed_probe_measures_both_kinds_of_work():
    pure, released = speedprobe.measure()
    assert 0 < pure < 1 and 0 < released < 1


def test_kernel_is_standard_library_only():
    """Run the staged kernel with -I -S: no site-packages, so any import beyond stdlib fails."""
    with staged_kernel() as root:
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "import showdown.kernel.__main__, showdown.kernel.capabilities, showdown.kernel.faults"
        )
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", code, str(root / "path")], capture_output=True, text=True
        )
    assert done.returncode == 0, done.stderr


def test_kernel_compiles_and_runs_under_python_3_9():
    python = pyenv_python("3.9")
    if python is None:
        skip_or_fail("no CPython 3.9 found under pyenv")
    outcome, answer = run_kernel(
        Interpreter("py39", (python,)), "run", spec("cpu_pure", "threads", iterations=100), 120
    )
    assert answer and answer["status"] == "ok", outcome.stderr
    assert answer["meta"]["python_version"].startswith("3.9")


def test_probe_reports_start_methods():
    outcome, answer = run_kernel(HERE, "probe", {}, timeout=120)
    assert answer["start_methods"]["fork"] == "ok"
    assert answer["gil_enabled"] is True
    assert json.dumps(answer)  # plain JSON all the way down
