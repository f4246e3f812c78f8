"""The user's async code: awaited under every model, never published unrun.

Kernel-level runs of a few tasks per model; the issue-27 pair (an async function and its
blocking twin) runs in test_user_workloads.py's sweep, from a folder of the user's own.
"""

import asyncio
import sys

import pandas as pd
import pytest

from conftest import REPO
from showdown.cell.interpreters import Interpreter
from showdown.cell.job import run_kernel
from showdown.kernel import calibration
from showdown.kernel.catalogue import WORKLOADS

USER_CODE = str(REPO / "tests" / "user_code")
MODULE = "showdown_testwork.work"
PAUSE_SECONDS = 0.002  # work.PAUSE_SECONDS: each awaited task's sleep
TASKS = 8

MODELS = [
    "serial", "threads", "thread_workers", "asyncio", "asyncio_uvloop", "asyncio_to_thread",
    "processes-fork", "process_workers-forkserver", "mp_pool-spawn", "asyncio_processes-fork",
    "subinterpreters",
]  # fmt: skip


def run(model, function, **params):
    spec = {
        "kind": "callable", "model": model, "workers": 1 if model == "serial" else 2, "payload_bytes": 64,
        "tasks": TASKS, "params": {"function": f"{MODULE}:{function}", "path": USER_CODE, **params},
        "warmups": 0, "repetitions": 1,
    }  # fmt: skip
    outcome, answer = run_kernel(Interpreter("here", (sys.executable,)), "run", spec, timeout=120)
    assert answer is not None, outcome.stderr
    return answer


@pytest.mark.parametrize("model", MODELS)
def test_every_model_awaits_an_async_function(model):
    """An async function, async input factory and async check: each task really waited."""
    answer = run(model, "wait_then_count", input=f"{MODULE}:make_input_async", check=f"{MODULE}:check_async")
    if answer["status"] == "not_applicable":  # no uvloop, no InterpreterPoolExecutor: the reason says so
        assert model in ("asyncio_uvloop", "subinterpreters") and answer["message"]
        return
    assert answer["status"] == "ok", answer
    (sample,) = answer["samples"]
    assert sample["tasks"] == TASKS
    if model == "serial":
        # One after another: a lower bound no load can break.
        assert sample["wall_seconds"] >= TASKS * PAUSE_SECONDS


@pytest.mark.parametrize(
    ("model", "function", "what"),
    [
        ("serial", "returns_coroutine", "coroutine"),
        ("threads", "returns_coroutine", "coroutine"),
        ("asyncio", "returns_coroutine", "coroutine"),
        ("processes-fork", "returns_coroutine", "coroutine"),
        ("serial", "returns_generator", "generator"),
    ],
)
def test_a_result_never_run_fails_the_cell_with_the_reason(model, function, what):
    answer = run(model, function)
    assert answer["status"] == "failed"
    assert f"{function} returned a {what}, never run" in answer["message"]


@pytest.fixture
def user_code_on_path(monkeypatch):
    monkeypatch.syspath_prepend(USER_CODE)


def test_worker_loops_are_made_as_the_pool_starts_not_in_a_batch(user_code_on_path, monkeypatch):
    made = []
    new_event_loop = asyncio.new_event_loop
    monkeypatch.setattr(asyncio, "new_event_loop", lambda: made.append(1) or new_event_loop())
    workload = WORKLOADS["callable"]
    scenario = workload.scenario(workload, "thread_workers", 3, 64, 6, {"function": f"{MODULE}:wait_then_count"})
    try:
        scenario.start()
        assert len(made) == 3  # one per worker thread
        assert scenario.run_batch() == [64] * 6
        assert len(made) == 3  # none inside the batch
    finally:
        scenario.stop()


def test_calibration_times_the_awaited_task(user_code_on_path):
    spec = {"kind": "callable", "payload_bytes": 64, "target_seconds": 0.02, "workers": [2],
            "params": {"function": f"{MODULE}:wait_then_count"}}  # fmt: skip
    answer = calibration.calibrate(spec)
    assert answer["status"] == "ok" and answer["seconds_per_task"] >= PAUSE_SECONDS


def test_calibration_refuses_a_task_too_short_to_time_naming_it(user_code_on_path, monkeypatch):
    monkeypatch.setattr(calibration, "MIN_TASK_SECONDS", 10.0)  # any real task is shorter
    spec = {"kind": "callable", "payload_bytes": 64, "target_seconds": 0.02, "workers": [2],
            "params": {"function": f"{MODULE}:total", "input": f"{MODULE}:make_document"}}  # fmt: skip
    answer = calibration.calibrate(spec)
    assert answer["status"] == "refused"
    assert answer["message"].startswith(f"calibration refused {MODULE}:total: a task took")


def test_the_guide_names_versions_of_one_function_side_by_side():
    from showdown.analysis.guide import guide, with_kind_of_work

    def verdict(workload, winner, runner_up):
        return {"machine": "vm", "interpreter": "py", "workload": workload, "payload_bytes": 1024, "workers": 16,
                "label": "win", "winner": winner, "runner_up": runner_up, "ratio_to_runner_up": 0.5}  # fmt: skip

    verdicts = pd.DataFrame([verdict("fetch", "asyncio", "serial"), verdict("fetch_sync", "threads", "serial")])
    kinds = pd.DataFrame({"workload": ["fetch", "fetch_sync"], "kind": ["callable", "callable"]})
    table = guide(with_kind_of_work(verdicts, kinds, {"fetch": "fetch", "fetch_sync": "fetch"}))
    (row,) = table.itertuples(index=False)
    assert row[0] == "fetch: fetch vs fetch_sync"
    assert (
        row[1]
        == "asyncio 2.00x faster than serial (fetch, 16 workers); threads 2.00x faster than serial (fetch_sync, 16 workers)"
    )
