"""Start-up and mechanism batches repeat their run until they last ``repeat_seconds``: the
count grows as the run gets faster, the row gives one run's time, and no repeat leaves a
worker behind."""

import multiprocessing
import threading

import pytest

from conftest import tiny_sweep
from showdown.kernel import calibration, scenarios, timing
from showdown.kernel.calibration import repeats_for
from showdown.kernel.catalogue import WORKLOADS
from showdown.kernel.timing import measure
from showdown.sweep import Schedule, cell_request
from showdown.sweep.config import ConfigError, load_sweep

OFFERED = multiprocessing.get_all_start_methods()
TARGET = 0.02  # seconds: short, so that each cell here takes a fraction of a second


def fake_clock(seconds_per_run, first=None):
    """A ``timed(count)`` whose run takes ``seconds_per_run``, its first call ``first``."""
    calls = []

    def timed(count):
        calls.append(count)
        return first if first is not None and len(calls) == 1 else count * seconds_per_run

    return timed, calls


def test_a_faster_run_gets_more_repeats():
    slow, _ = fake_clock(1e-3)
    fast, _ = fake_clock(1e-4)
    assert repeats_for(slow, 0.1) == 100
    assert repeats_for(fast, 0.1) == 1000


def test_a_run_that_lasts_the_target_is_timed_once_and_not_repeated():
    timed, calls = fake_clock(0.3)
    assert repeats_for(timed, 0.1) == 1
    assert calls == [1]
    assert repeats_for(timed, 0.1, first=0.3) == 1
    assert calls == [1]  # a warm-up's time was enough


def test_a_slow_first_run_does_not_shrink_the_count():
    # The first start of a forkserver pool starts the server too: 50x a later run.
    timed, calls = fake_clock(1e-3, first=0.05)
    assert repeats_for(timed, 0.1) == 100
    assert calls[0] == 1 and len(calls) > 2


def test_one_stretched_trial_does_not_shorten_the_batch():
    def timed(count):  # the longest trial of the doubling was preempted for 40 ms
        return count * 1e-3 + (0.04 if count == 16 else 0.0)

    assert repeats_for(timed, 0.1) == 100


def spec(kind, model, tasks, params, payload_bytes=0, target=TARGET):
    return {
        "kind": kind, "model": model, "workers": 2, "payload_bytes": payload_bytes, "tasks": tasks,
        "params": dict(params, repeat_seconds=target), "warmups": 1, "repetitions": 2,
    }  # fmt: skip


CELLS = [
    ("startup", "threads", 2, {}, 0),
    ("lock_contention", "threading_lock", 2, {"increments": 20}, 0),
    ("switch_latency", "thread_event", 2, {}, 64),
    ("ipc_transfer", "queue_threads", 4, {"capacity": 4}, 1024),
]


@pytest.fixture
def five_repeats(monkeypatch):
    """Every repeatable cell repeats its run 5 times, whatever the clock says."""
    monkeypatch.setattr(calibration, "repeats_for", lambda timed, target, first=None: 5)
    monkeypatch.setattr(timing, "grown_repeats", lambda scenario, batch_seconds: scenario.repeats)


@pytest.mark.parametrize("kind,model,tasks,params,payload_bytes", CELLS)
def test_the_row_gives_one_run_of_a_repeated_batch(kind, model, tasks, params, payload_bytes, five_repeats):
    answer = measure(spec(kind, model, tasks, params, payload_bytes))
    unrepeated = measure(dict(spec(kind, model, tasks, params, payload_bytes), params=params))["samples"]
    assert [s["repeats"] for s in answer["samples"]] == [1, 5, 5]  # the warm-up at one run
    assert all(s["repeats"] == 1 for s in unrepeated)
    for sample in answer["samples"]:
        assert sample["wall_seconds"] == pytest.approx(sample["batch_seconds"] / sample["repeats"])
        # The tasks (starts, increments, round trips, messages) of one run, as without repeats,
        # and checked: every increment, round trip and message of the 5 runs was counted.
        assert sample["tasks"] == unrepeated[0]["tasks"]
    assert {s["checksum"] for s in answer["samples"]} == {unrepeated[0]["checksum"]}


def test_a_batch_under_half_the_target_grows_the_next(monkeypatch):
    # As when a stalled first warm-up lasted the target: the count was settled at 1.
    monkeypatch.setattr(calibration, "repeats_for", lambda timed, target, first=None: 1)
    answer = measure(dict(spec("lock_contention", "threading_lock", 2, {"increments": 20}, target=0.1), repetitions=3))
    repeats = [s["repeats"] for s in answer["samples"]]
    assert repeats[:2] == [1, 1] and repeats[2] > 10 and repeats[3] >= repeats[2]


def test_a_run_far_shorter_than_the_target_is_repeated():
    # 2 x 20 lock increments take tens of microseconds; a batch of 0.1 s needs hundreds.
    answer = measure(spec("lock_contention", "threading_lock", 2, {"increments": 20}, target=0.1))
    assert all(s["repeats"] > 10 for s in answer["samples"] if not s["warmup"])


@pytest.mark.skipif("fork" not in OFFERED, reason="needs the fork start method")
def test_every_start_is_a_fresh_pool_and_none_outlives_its_batch(monkeypatch, five_repeats):
    alive, made = [], []
    real = scenarios.make_model

    def counting(name, workers):
        alive.append(len(multiprocessing.active_children()))  # before each start
        model = real(name, workers)
        made.append(model)
        return model

    monkeypatch.setattr(scenarios, "make_model", counting)
    measure(spec("startup", "processes-fork", 2, {}))
    assert len(made) == 1 + 1 + 5 + 5  # the scenario's start method, a warm-up, 2 batches of 5
    assert len({id(model) for model in made}) == len(made)  # a new pool for every start
    assert max(alive) == 0  # the previous pool's workers joined before the next started
    assert multiprocessing.active_children() == []


def test_repeated_thread_starts_leave_no_thread(five_repeats):
    before = threading.active_count()
    answer = measure(spec("startup", "threads", 2, {}))
    assert max(s["repeats"] for s in answer["samples"]) == 5
    assert threading.active_count() == before


def test_pool_work_ignores_the_setting():
    answer = measure(
        {
            "kind": "cpu_pure",
            "model": "threads",
            "workers": 2,
            "payload_bytes": 64,
            "tasks": 4,
            "params": {"iterations": 100, "repeat_seconds": 1.0},
            "warmups": 0,
            "repetitions": 1,
        }  # fmt: skip
    )
    assert [s["repeats"] for s in answer["samples"]] == [1]


def test_the_sweep_hands_the_setting_to_start_up_and_mechanism_cells_only():
    sweep = load_sweep(tiny_sweep(repeat_seconds=0.07))
    schedule = Schedule(sweep)
    seen = {}
    for cell in schedule.cells:
        request = cell_request(
            sweep, schedule, cell, 1, interpreter={}, preparations={"probe": "p", "calibration": "c"}
            if sweep.workloads[cell.workload].calibrated else {"probe": "p"}, kernel_hash="k",
        )  # fmt: skip
        seen[cell.workload] = request.params.get("repeat_seconds")
    for workload, value in seen.items():
        repeatable = WORKLOADS[sweep.workloads[workload].kind].scenario.repeatable
        assert value == (0.07 if repeatable else None), workload
    assert any(value for value in seen.values())


def test_a_bad_repeat_seconds_is_refused_by_name(tiny_config):
    with pytest.raises(ConfigError, match="repeat_seconds"):
        load_sweep(dict(tiny_config, repeat_seconds=0))
