"""Known-answer tests for aggregate.cell_summary: one row per cell, every column checked."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from showdown.analysis.aggregate import DISTURBED_SHARE, SUMMARY_COLUMNS, cell_summary, peak_at_least_read
from showdown.stats import ratio_ci

COLUMNS = [
    "machine", "interpreter", "config_hash", "workload", "kind", "model", "workers",
    "payload_bytes", "rounds", "samples", "flagged", "tasks", "median_seconds", "q1_seconds",
    "q3_seconds", "level_seconds", "ci_low_seconds", "ci_high_seconds", "relative_half_width",
    "precision_met", "round_spread", "spread_ratio", "noisy", "noise_reference",
    "speedup", "speedup_ci_low", "speedup_ci_high", "ideal_speedup", "efficiency", "above_limit",
    "per_second", "per_second_ci_low", "per_second_ci_high", "seconds_per_task", "seconds_per_task_ci_low",
    "seconds_per_task_ci_high", "bytes_per_second", "bytes_per_second_ci_low", "bytes_per_second_ci_high",
    "latency_seconds", "ideal_per_second",
    "server_cpu_seconds", "server_cpu_per_wall", "server_share", "client_cpu_seconds_per_task", "harness_bound",
    "cpu_per_wall", "pool_start_seconds", "peak_rss_bytes", "peak_uss_bytes", "peak_pss_bytes",
    "started_pss_bytes", "started_uss_bytes", "batch_pss_bytes", "batch_uss_bytes", "batch_processes",
    "round_trip_p50_seconds", "round_trip_p90_seconds", "round_trip_p99_seconds", "shared_cpu",
    "probe_drift", "load_average", "logical_cpus", "usable_cpus", "host", "python_version", "gil_enabled",
    "free_threaded_build", "gil_reenabled", "own_threads", "other_cpu_share", "disturbed_rounds",
]  # fmt: skip
KEY = {
    "machine": "node", "interpreter": "py312", "config_hash": "cfg", "workload": "cpu",
    "kind": "cpu_pure", "payload_bytes": 1024,
}  # fmt: skip
DRIFT = (1.0, 1.7, 1 / 1.7)
OPTIONS = {"precision": 0.05}


def rows(model, workers, round_, walls, **fields):
    """Rows of one (cell, round); a field given as a list varies row by row."""
    out = []
    for i, wall in enumerate(walls):
        row = {
            **KEY, "model": model, "workers": workers, "round": round_, "repetition": i,
            "warmup": False, "status": "ok", "flagged": False, "tasks": 100,
            "wall_seconds": float(wall), "cpu_user_seconds": 0.9 * wall,
            "cpu_system_seconds": 0.1 * wall, "pool_start_seconds": 0.01,
            "probe_pure_seconds": 0.01, "peak_rss_bytes": 50_000_000,
            "peak_uss_bytes": 40_000_000, "peak_pss_bytes": 45_000_000, "host": "h1",
            "python_version": "3.12.1", "gil_enabled": True, "load_average": 0.5, "logical_cpus": 2,
        }  # fmt: skip
        for name, value in fields.items():
            row[name] = value[i] if isinstance(value, list) else value
        out.append(row)
    return out


def table(*row_lists):
    """Samples as aggregate.load_samples leaves them: ``measured`` set, ``flagged`` given."""
    samples = pd.DataFrame([row for rows_ in row_lists for row in rows_])
    samples["measured"] = (samples["status"] == "ok") & ~samples["warmup"]
    return samples


def model_rounds(model, workers, scale, rng, reps=3, noise=0.05):
    """Rows of a model over the drifting rounds, ``scale`` times the machine's speed."""
    return [rows(model, workers, r, scale * speed * rng.lognormal(0, noise, reps)) for r, speed in enumerate(DRIFT)]


def walls_by_round(row_lists):
    """``{round: wall times}`` of rows built by :func:`rows`, as stats' functions take them."""
    return {r[0]["round"]: [row["wall_seconds"] for row in r] for r in row_lists}


def by_model(cells):
    return cells.set_index(["workload", "model", "workers"])


def test_one_row_per_cell_with_exactly_the_summary_columns():
    rng = np.random.default_rng(0)
    samples = table(
        *model_rounds("serial", 1, 2.0, rng),
        *model_rounds("threads", 4, 2.0, rng),
        *model_rounds("processes-fork", 4, 0.6, rng),
        *[[{**row, "workload": "io"} for row in r] for r in model_rounds("threads", 4, 1.0, rng)],
    )
    cells = cell_summary(samples, **OPTIONS)
    assert list(cells.columns) == COLUMNS == SUMMARY_COLUMNS
    assert list(zip(cells["workload"], cells["model"], cells["workers"])) == [
        ("cpu", "processes-fork", 4), ("cpu", "serial", 1), ("cpu", "threads", 4), ("io", "threads", 4)
    ]  # fmt: skip
    for column in ("workers", "payload_bytes", "rounds", "samples", "flagged", "tasks"):
        assert cells[column].dtype.kind == "i", column
    assert cells["precision_met"].dtype == bool and cells["gil_enabled"].dtype == bool


def test_median_quartiles_and_spread_are_exact():
    walls = [[1.0, 2.0, 3.0], [4.0, 10.0, 5.0], [6.0, 7.0, 8.0]]
    samples = table(*(rows("threads", 2, r, w) for r, w in enumerate(walls)))
    row = cell_summary(samples, **OPTIONS).iloc[0]
    flat = np.ravel(walls)
    assert (row["rounds"], row["samples"]) == (3, 9)
    assert row["median_seconds"] == 5.0
    assert (row["q1_seconds"], row["q3_seconds"]) == (3.0, 7.0)
    assert flat.size == 9
    # Round medians 2, 5 and 7: the spread between rounds, on the log scale.
    assert row["round_spread"] == pytest.approx(np.std(np.log([2.0, 5.0, 7.0]), ddof=1), rel=1e-12)


def test_interval_is_a_t_interval_over_round_medians():
    # The repetitions of a round share one job: the interval has rounds - 1 degrees of
    # freedom, however many repetitions each round had.
    walls = np.random.default_rng(1).lognormal(0, 0.2, 12)
    samples = table(*(rows("threads", 2, r, walls[3 * r : 3 * r + 3]) for r in range(4)))
    logs = np.log([np.median(walls[3 * r : 3 * r + 3]) for r in range(4)])
    half = scipy_stats.t.ppf(0.975, 3) * np.std(logs, ddof=1) / 2
    row = cell_summary(samples, **OPTIONS).iloc[0]
    assert row["level_seconds"] == pytest.approx(np.exp(logs.mean()), rel=1e-12)
    assert row["ci_low_seconds"] == pytest.approx(np.exp(logs.mean() - half), rel=1e-12)
    assert row["ci_high_seconds"] == pytest.approx(np.exp(logs.mean() + half), rel=1e-12)
    half_width = (row["ci_high_seconds"] - row["ci_low_seconds"]) / 2 / row["level_seconds"]
    assert row["relative_half_width"] == pytest.approx(half_width, rel=1e-12)
    assert bool(cell_summary(samples, precision=half_width - 1e-9).iloc[0]["precision_met"]) is False
    loose = cell_summary(samples, precision=half_width + 1e-9).iloc[0]
    assert bool(loose["precision_met"]) is True


def test_rates_are_the_level_per_unit_of_work_with_the_levels_interval():
    # Round medians 1, 1 and 8: the plain median of the nine repetitions is 1 s, the level
    # (geometric mean of the round medians) 2 s. Every rate is the level's, inside its interval.
    walls = [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [8.0, 8.0, 8.0]]
    transfer = [rows("pipe-fork", 2, r, w, kind="ipc_transfer", workload="ipc") for r, w in enumerate(walls)]
    samples = table(*transfer, *(rows("threads", 2, r, w) for r, w in enumerate(walls)))
    cells = cell_summary(samples, **OPTIONS).set_index("kind")
    row = cells.loc["ipc_transfer"]
    assert (row["median_seconds"], row["level_seconds"]) == pytest.approx((1.0, 2.0))
    low, high = row["ci_low_seconds"], row["ci_high_seconds"]
    assert low < 2.0 < high
    assert (row["per_second"], row["per_second_ci_low"], row["per_second_ci_high"]) == pytest.approx(
        (100 / 2.0, 100 / high, 100 / low)
    )
    assert (row["seconds_per_task"], row["seconds_per_task_ci_low"], row["seconds_per_task_ci_high"]) == (
        pytest.approx((2.0 / 100, low / 100, high / 100))
    )
    moved = 1024 * 100
    assert (row["bytes_per_second"], row["bytes_per_second_ci_low"], row["bytes_per_second_ci_high"]) == (
        pytest.approx((moved / 2.0, moved / high, moved / low))
    )
    # Only a transfer moves its payload once per task.
    transfer_only = ["bytes_per_second", "bytes_per_second_ci_low", "bytes_per_second_ci_high"]
    assert cells.loc["cpu_pure", transfer_only].isna().all()
    assert cells.loc["cpu_pure", "per_second"] == pytest.approx(100 / 2.0)


def test_a_model_twice_as_fast_as_serial_has_speedup_two():
    rng = np.random.default_rng(2)
    serial = model_rounds("serial", 1, 2.0, rng, noise=0.05)
    twice = [
        rows("processes-fork", 4, r[0]["round"], [row["wall_seconds"] / 2 * j for row, j in zip(r, rng.lognormal(0, 0.001, 3))])
        for r in serial
    ]  # fmt: skip
    cells = by_model(cell_summary(table(*serial, *twice), **OPTIONS))
    fork = cells.loc[("cpu", "processes-fork", 4)]
    assert fork["speedup"] == pytest.approx(2.0, rel=0.01)
    assert fork["speedup_ci_low"] < 2.0 < fork["speedup_ci_high"]
    # It is the ratio serial / cell, round by round: the statistic of ratio_ci.
    expected = ratio_ci(walls_by_round(serial), walls_by_round(twice))
    assert (fork["speedup"], fork["speedup_ci_low"], fork["speedup_ci_high"]) == pytest.approx(expected, rel=1e-12)
    # Serial against itself: exactly 1, every round.
    own = cells.loc[("cpu", "serial", 1)]
    assert (own["speedup"], own["speedup_ci_low"], own["speedup_ci_high"]) == pytest.approx((1.0, 1.0, 1.0))


def test_speedup_uses_serial_of_the_same_work_on_shared_rounds_only():
    rng = np.random.default_rng(3)
    serial = model_rounds("serial", 1, 2.0, rng)[:2]  # serial lacks round 2
    threads = model_rounds("threads", 8, 1.0, rng)
    other_work = [[{**row, "payload_bytes": 4096} for row in r] for r in model_rounds("threads", 8, 1.0, rng)]
    cells = cell_summary(table(*serial, *threads, *other_work), **OPTIONS).set_index(["payload_bytes", "model"])
    expected = ratio_ci(walls_by_round(serial), walls_by_round(threads))
    got = cells.loc[(1024, "threads"), ["speedup", "speedup_ci_low", "speedup_ci_high"]]
    assert tuple(got) == pytest.approx(expected, rel=1e-12)
    assert cells.loc[(1024, "threads"), "rounds"] == 3  # the cell keeps all its rounds
    # No serial ran for the other payload: no speedup.
    assert cells.loc[(4096, "threads"), ["speedup", "speedup_ci_low", "speedup_ci_high"]].isna().all()


def test_flagged_rows_are_counted_and_kept_failed_and_warmup_rows_left_out():
    walls = [1.0, 2.0, 3.0, 4.0]
    samples = table(
        rows("threads", 2, 0, walls, flagged=[False, True, True, False]),
        rows("threads", 2, 0, [100.0], warmup=True, repetition=-1),
        rows("threads", 2, 1, [np.nan], status="timeout"),
        rows("threads", 2, 1, [5.0]),
    )
    row = cell_summary(samples, **OPTIONS).iloc[0]
    assert (row["samples"], row["flagged"], row["rounds"]) == (5, 2, 2)
    assert row["median_seconds"] == 3.0
    # A cell whose rows all failed has no summary row.
    failed = table(rows("asyncio", 2, 0, [np.nan, np.nan], status="crashed"), rows("threads", 2, 0, walls))
    assert list(cell_summary(failed, **OPTIONS)["model"]) == ["threads"]


def test_cell_level_fields():
    samples = table(
        rows("threads", 2, 0, [1.0, 2.0, 4.0], cpu_user_seconds=[0.5, 3.0, 2.0], cpu_system_seconds=0.0,
             pool_start_seconds=[0.1, 0.3, 0.2], probe_pure_seconds=[0.010, 0.012, 0.011],
             peak_rss_bytes=[10, 30, 20], peak_uss_bytes=[5, 4, 6], peak_pss_bytes=[7, 9, 8],
             host=["b", None, "a"], python_version="3.12.1", gil_enabled=False, tasks=64),
        rows("threads", 2, 1, [2.0, 2.0], cpu_user_seconds=2.0, cpu_system_seconds=1.0,
             probe_pure_seconds=[0.020, 0.024], host="b", python_version="3.12.2", gil_enabled=True),
    )  # fmt: skip
    row = cell_summary(samples, **OPTIONS).iloc[0]
    # (user + system) / wall per row: 0.5, 1.5, 0.5, 1.5, 1.5.
    assert row["cpu_per_wall"] == pytest.approx(1.5)
    assert row["pool_start_seconds"] == pytest.approx(0.1)  # median of .1 .3 .2 .01 .01
    assert (row["peak_rss_bytes"], row["peak_uss_bytes"], row["peak_pss_bytes"]) == (50_000_000, 40_000_000, 45_000_000)
    # Per-round median probes 0.011 and 0.022: drift 2.
    assert row["probe_drift"] == pytest.approx(2.0)
    assert row["host"] == "a,b"
    assert (row["python_version"], bool(row["gil_enabled"]), row["tasks"]) == ("3.12.1", False, 64)


def test_peak_memory_is_the_cells_maximum():
    samples = table(
        rows("threads", 2, 0, [1.0, 2.0, 4.0], peak_rss_bytes=[10, 30, 20], peak_uss_bytes=[5, 4, 6],
             peak_pss_bytes=[7, 9, 8]),
    )  # fmt: skip
    row = cell_summary(samples, **OPTIONS).iloc[0]
    assert (row["peak_rss_bytes"], row["peak_uss_bytes"], row["peak_pss_bytes"]) == (30, 6, 9)


def test_peak_is_never_below_what_the_kernel_read_inside_the_same_job():
    """The sampler missed the workers of a short job (a PSS of 1.5 MiB beside 90 MiB read
    inside): the job's peak is the larger; a job the sampler saw whole keeps its own peak."""
    missed = rows("p", 16, 1, [0.05, 0.05], peak_pss_bytes=1_500_000, started_pss_bytes=61_000_000,
                  batch_pss_bytes=[90_000_000, 91_000_000])  # fmt: skip
    seen = rows("p", 4, 1, [0.17, 0.17], peak_pss_bytes=44_000_000, started_pss_bytes=35_000_000,
                batch_pss_bytes=[43_000_000, 43_500_000])  # fmt: skip
    no_inside = rows("q", 2, 1, [0.1, 0.1], peak_pss_bytes=20_000_000)
    peak = peak_at_least_read(table(missed, seen, no_inside), "pss")
    assert peak.tolist() == [91_000_000, 91_000_000, 44_000_000, 44_000_000, 20_000_000, 20_000_000]


def test_many_cells_at_once_equal_each_cell_alone():
    rng = np.random.default_rng(4)
    work = []
    for payload in (64, 128):
        for model, workers, scale, reps in (
            ("serial", 1, 2.0, 3), ("threads", 2, 1.9, 3), ("threads", 4, 1.8, 6),
            ("processes-fork", 4, 0.7, 3), ("asyncio", 4, 2.1, 2),
        ):  # fmt: skip
            work += [
                [{**row, "payload_bytes": payload} for row in r] for r in model_rounds(model, workers, scale, rng, reps)
            ]
    work += [
        [{**row, "workload": "sleep", "flagged": True} for row in r] for r in model_rounds("threads", 2, 1.0, rng, 12)
    ]
    samples = table(*work)
    together = cell_summary(samples, **OPTIONS)
    assert len(together) == 11
    for _, row in together.iterrows():
        same_work = (samples["workload"] == row["workload"]) & (samples["payload_bytes"] == row["payload_bytes"])
        alone = samples[same_work & (
            ((samples["model"] == row["model"]) & (samples["workers"] == row["workers"]))
            | (samples["model"] == "serial")
        )]  # fmt: skip
        own = cell_summary(alone, **OPTIONS)
        own = own[(own["model"] == row["model"]) & (own["workers"] == row["workers"])].iloc[0]
        # The noise reference pools the whole sweep's cells: alone, it is another.
        for column in set(COLUMNS) - {"spread_ratio", "noisy"}:
            if isinstance(row[column], float):  # grouped sums may round in another order
                assert own[column] == pytest.approx(row[column], rel=1e-12, nan_ok=True), column
            else:
                assert own[column] == row[column], column


def test_no_measured_rows_give_an_empty_summary_with_its_columns():
    samples = table(rows("threads", 2, 0, [math.nan], status="timeout"))
    cells = cell_summary(samples, **OPTIONS)
    assert cells.empty and list(cells.columns) == COLUMNS


def test_ideal_speedup_is_the_machines_limit_and_the_model_may_have_a_lower_one():
    from showdown.analysis.aggregate import ideal_speedup, model_limit

    cells = pd.DataFrame({
        "kind": ["cpu_pure", "cpu_pure", "io_sleep", "startup", "cpu_pure", "cpu_pure", "cpu_gil_released"],
        "model": ["processes-fork", "processes-fork", "threads", "threads", "threads", "threads", "threads"],
        "gil_enabled": [True, True, True, True, True, False, True],
        "workers": [2, 8, 4, 2, 4, 4, 4], "logical_cpus": [2, 2, 2, 2, 2, 2, 2], "tasks": [100, 100, 16, 2, 8, 8, 8],
    })  # fmt: skip
    ideal, limit = ideal_speedup(cells).tolist(), model_limit(cells).tolist()
    # Cores bound CPU work, waves of latency bound I/O; no bound for start-up.
    assert ideal[:3] == [2, 2, 4.0] and np.isnan(ideal[3]) and ideal[4:] == [2, 2, 2]
    # One GIL bounds threads on pure Python at 1, but not without the GIL, nor on work
    # that releases it.
    assert limit[:3] == [2, 2, 4.0] and limit[4:] == [1.0, 2, 2]


def test_a_speedup_above_its_limit_is_flagged():
    rng = np.random.default_rng(6)
    serial = model_rounds("serial", 1, 2.0, rng, noise=0.01)
    threads = model_rounds("threads", 2, 1.0, rng, noise=0.01)  # 2x on pure Python, with the GIL
    cells = by_model(cell_summary(table(*serial, *threads), **OPTIONS))
    assert bool(cells.loc[("cpu", "threads", 2), "above_limit"]) is True
    assert bool(cells.loc[("cpu", "serial", 1), "above_limit"]) is False


def test_the_ideal_is_taken_on_the_cpus_the_cell_could_use():
    rng = np.random.default_rng(7)
    # 16 logical CPUs, 4 in the job's affinity (taskset, a SLURM allocation): the ideal at 8 workers is 4.
    samples = table(*model_rounds("serial", 1, 2.0, rng), *model_rounds("processes-fork", 8, 0.5, rng))
    cells = by_model(cell_summary(samples.assign(logical_cpus=16, affinity_cpus=4), **OPTIONS))
    assert cells.loc[("cpu", "processes-fork", 8), ["usable_cpus", "ideal_speedup"]].tolist() == [4, 4]
    # Rows that recorded no affinity: the logical CPUs.
    cells = by_model(cell_summary(samples.assign(logical_cpus=16), **OPTIONS))
    assert cells.loc[("cpu", "processes-fork", 8), ["usable_cpus", "ideal_speedup"]].tolist() == [16, 8]


def test_noisy_cells_say_why():
    from showdown.analysis.aggregate import noisy_cells

    quiet = dict(round_spread=0.02, spread_ratio=1.0, noisy=False, noise_reference="the A/A copies and their models",
                 above_limit=False, probe_drift=1.0, load_average=0.5, logical_cpus=2, flagged=0, rounds=5, **KEY,
                 model="threads", workers=2)  # fmt: skip
    busy_but_ours = dict(quiet, model="asyncio", load_average=3.0)  # a 2-worker sweep's own load
    loud = dict(quiet, model="processes-fork", noisy=True, spread_ratio=4.0, load_average=5.0)
    table = noisy_cells(pd.DataFrame([quiet, busy_but_ours, loud]))
    assert table["model"].tolist() == ["processes-fork"]
    assert table["reason"].iloc[0] == (
        "rounds spread more than identical jobs do (F-test at 1% against the A/A copies and their models); "
        "load average above twice the CPU count"
    )


def test_a_cell_spreading_more_than_the_aa_copies_is_noisy():
    rng = np.random.default_rng(7)
    calm = [[rows(m, 2, r, rng.lognormal(0, 0.01, 2)) for r in range(5)] for m in ("threads", "threads.aa")]
    wild = [rows("asyncio", 2, r, np.full(2, 1.0) * factor) for r, factor in enumerate((0.5, 2.0, 0.7, 1.6, 1.0))]
    cells = cell_summary(table(*calm[0], *calm[1], *wild), **OPTIONS).set_index("model")
    assert cells.loc["asyncio", "noisy"] and not cells.loc["threads", "noisy"]
    assert cells.loc["asyncio", "noise_reference"] == "the A/A copies and their models"


def test_a_free_threaded_cell_whose_gil_came_back_on_is_flagged():
    free = dict(free_threaded_build=True, gil_enabled=False, gil_enabled_after_imports=False)
    samples = table(
        # One repetition of one round had the GIL on after its imports: the whole cell is flagged.
        *(rows("threads", 2, r, [1.0, 1.1], **{**free, "gil_enabled_after_imports": [False, r == 1]})
          for r in (1, 2, 3)),
        # Switched back on by the end of the run.
        *(rows("serial", 1, r, [2.0, 2.1], **{**free, "gil_enabled": r == 3}) for r in (1, 2, 3)),
        # A GIL build's GIL is on by design: no flag.
        *(rows("processes-fork", 2, r, [1.0, 1.1], free_threaded_build=False, gil_enabled=True) for r in (1, 2, 3)),
    )  # fmt: skip
    cells = by_model(cell_summary(samples, **OPTIONS))
    assert bool(cells.loc[("cpu", "threads", 2), "gil_reenabled"])
    assert bool(cells.loc[("cpu", "serial", 1), "gil_reenabled"])
    assert not cells.loc[("cpu", "processes-fork", 2), "gil_reenabled"]
    assert cells["free_threaded_build"].tolist().count(True) == 2


def test_a_round_that_shared_the_machine_is_flagged_and_nothing_else_changes():
    # Round 1: 1 s at 0.5 and 3 s at 0.0 pool to 0.125 of the machine, beyond 0.1 by more than
    # a tick per batch (0.005); single batches on a quiet machine read a little below 0 (tick
    # rounding), and a null (no /proc/stat) counts nothing.
    shares = {0: [0.02, -0.01, 0.0], 1: [0.5, 0.0, None], 2: [0.05, 0.04, 0.06]}
    walls = {0: [1.0, 1.0, 1.0], 1: [1.0, 3.0, 2.0], 2: [1.0, 1.1, 0.9]}
    samples = table(*(rows("threads", 2, r, walls[r], other_cpu_share=shares[r]) for r in range(3)),
                    *(rows("serial", 1, r, [2.0, 2.1]) for r in range(3)),
                    # Batches of 40 ms: 0.3 is within the rounding of a tick per batch (0.25).
                    *(rows("asyncio", 2, r, [0.04, 0.04], other_cpu_share=0.3) for r in range(3)))  # fmt: skip
    cells = by_model(cell_summary(samples, precision=0.05, disturbed_share=0.1))
    threads, serial = cells.loc[("cpu", "threads", 2)], cells.loc[("cpu", "serial", 1)]
    assert threads["other_cpu_share"] == pytest.approx(0.125) and threads["disturbed_rounds"] == 1
    assert math.isnan(serial["other_cpu_share"]) and serial["disturbed_rounds"] == 0
    short = cells.loc[("cpu", "asyncio", 2)]
    assert short["other_cpu_share"] == pytest.approx(0.3) and short["disturbed_rounds"] == 0
    assert (
        by_model(cell_summary(samples, precision=0.05, disturbed_share=0.2)).loc[
            ("cpu", "threads", 2), "disturbed_rounds"
        ]
        == 0
    )
    # A flag: every other column is what it is without the reading.
    unread = by_model(cell_summary(samples.drop(columns="other_cpu_share"), precision=0.05))
    others = [c for c in SUMMARY_COLUMNS if c not in ("other_cpu_share", "disturbed_rounds")]
    pd.testing.assert_frame_equal(unread.reset_index()[others], cells.reset_index()[others])


def test_a_batch_that_repeats_its_run_is_judged_over_its_whole_window():
    """Since repeats, wall_seconds is one run's; the share was read over the batch (batch_seconds):
    100 runs of 2 ms are 0.2 s, where one tick is 0.05, not 2 ms, where it would be 5."""
    samples = table(*(rows("threads", 2, r, [0.002, 0.002], other_cpu_share=0.3, repeats=100,
                           batch_seconds=0.2) for r in range(3)),
                    *(rows("serial", 1, r, [0.004, 0.004], other_cpu_share=0.3, repeats=50,
                           batch_seconds=0.2) for r in range(1)))  # fmt: skip
    cells = by_model(cell_summary(samples, precision=0.05, disturbed_share=0.1))
    assert cells.loc[("cpu", "threads", 2), "disturbed_rounds"] == 3
    # Without batch_seconds (files before schema 8: one run per batch) the run is the window.
    older = by_model(cell_summary(samples.drop(columns="batch_seconds"), precision=0.05, disturbed_share=0.1))
    assert older.loc[("cpu", "threads", 2), "disturbed_rounds"] == 0


def test_the_disturbed_threshold_default_is_the_configs():
    from showdown.sweep.schema import load_schema

    assert load_schema()["properties"]["disturbed_share"]["default"] == DISTURBED_SHARE
