"""Code that runs its own threads (numpy's BLAS): seen in serial's CPU, measured with the
library's pools limited (`library_threads`), and the better setting said.

The last test runs examples/numpy_blas, shrunk, with numpy installed into the interpreter's
venv through `packages`.
"""

import os
import shutil
import sys
import types

import pandas as pd
import pytest

from conftest import REPO, run_snakemake, tiny_sweep
from showdown.analysis.aggregate import serial_cores
from showdown.analysis.guide import guide
from showdown.analysis.user_workloads import gil_reading, library_thread_comparison, own_thread_notes, own_threads
from showdown.cell import CellRequest
from showdown.cell.interpreters import Interpreter
from showdown.cell.job import kernel_environment, library_thread_count
from showdown.kernel.environment import LIBRARY_THREAD_VARIABLES, affinity_cpus, library_threadpools
from showdown.sweep import ConfigError, Schedule, cell_request, load_sweep

EXAMPLE = REPO / "examples" / "numpy_blas"


def matmul_entry(**keys):
    entry = {"kind": "callable", "function": "blaswork:matmul", "input": "blaswork:make_matrix",
             "check": "blaswork:check", "path": str(EXAMPLE / "code"), "models": ["serial", "processes-fork"],
             "workers": [2], "payloads": ["64KiB"]}  # fmt: skip
    entry.update(keys)
    return entry


# --- The measured process's environment -----------------------------------------------


def test_the_interpreters_env_reaches_the_kernel_and_snakemakes_values_do_not(monkeypatch):
    for name in LIBRARY_THREAD_VARIABLES:
        monkeypatch.setenv(name, "2")  # what Snakemake sets in every job: the rule's threads
    bare = Interpreter("py", (sys.executable,), (), ())
    assert not set(LIBRARY_THREAD_VARIABLES) & set(kernel_environment(bare))
    mine = Interpreter("py", (sys.executable,), (("OPENBLAS_NUM_THREADS", "1"), ("OMP_NUM_THREADS", "1")), ())
    env = kernel_environment(mine)
    assert (env["OPENBLAS_NUM_THREADS"], env["OMP_NUM_THREADS"]) == ("1", "1")
    assert "MKL_NUM_THREADS" not in env
    # A library_threads limit sets every variable; the interpreter's env still wins.
    limited = kernel_environment(mine, library_threads=3)
    assert limited["OPENBLAS_NUM_THREADS"] == "1"
    assert all(
        limited[name] == "3" for name in set(LIBRARY_THREAD_VARIABLES) - {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}
    )


def test_the_kernel_reads_the_pools_only_where_threadpoolctl_imports(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # not importable
    assert library_threadpools() is None
    pools = [{"internal_api": "openblas", "version": "0.3.27", "num_threads": 1},
             {"internal_api": "openmp", "version": None, "num_threads": 2}]  # fmt: skip
    monkeypatch.setitem(sys.modules, "threadpoolctl", types.SimpleNamespace(threadpool_info=lambda: pools))
    assert library_threadpools() == "openblas 0.3.27: 1; openmp: 2"


@pytest.mark.parametrize(
    ("setting", "workers", "cores", "expected"),
    [
        ("default", 2, 4, None),
        ("per_worker", 2, 4, 2),
        ("per_worker", 1, 4, 4),
        ("per_worker", 8, 2, 1),
        ("3", 2, 4, 3),
    ],
)
def test_threads_per_worker(setting, workers, cores, expected):
    assert library_thread_count(setting, workers, cores) == expected


# --- The config and the matrix ----------------------------------------------------------


def test_each_setting_but_the_default_is_a_workload_sharing_the_defaults_calibration():
    sweep = load_sweep(tiny_sweep(workloads={"mm": matmul_entry(library_threads=["default", "per_worker", 1])}))
    assert set(sweep.workloads) == {"mm", "mm_libthreads_per_worker", "mm_libthreads_1"}
    limited = sweep.workloads["mm_libthreads_per_worker"]
    assert (limited.library_threads, limited.config_label) == ("per_worker", "mm")
    assert sweep.calibration_workload("mm_libthreads_1") == "mm"
    assert sweep.config_hash("mm") != sweep.config_hash("mm_libthreads_1")
    schedule = Schedule(sweep)
    cell = next(c for c in schedule.cells if c.workload == "mm_libthreads_per_worker")
    request = cell_request(sweep, schedule, cell, 1, interpreter={}, preparations={"probe": "p", "calibration": "c"},
                           kernel_hash="k")  # fmt: skip
    assert CellRequest.from_json(request.to_json()).library_threads == "per_worker"


def test_without_the_key_nothing_changes():
    plain = load_sweep(tiny_sweep(workloads={"mm": matmul_entry()}))
    explicit = load_sweep(tiny_sweep(workloads={"mm": matmul_entry(library_threads=["default"])}))
    assert set(plain.workloads) == {"mm"} and plain.config_hash("mm") == explicit.config_hash("mm")
    schedule = Schedule(plain)
    request = cell_request(plain, schedule, schedule.cells[0], 1, interpreter={},
                           preparations={"probe": "p", "calibration": "c"}, kernel_hash="k")  # fmt: skip
    assert "library_threads" not in request.to_json()  # the job's params, as before


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (matmul_entry(library_threads=["some"]),
         r"workloads\.mm\.library_threads\[0\]: 'some' is not allowed; allowed values: default, per_worker, or a number"),
        (matmul_entry(library_threads=[0]), r"workloads\.mm\.library_threads\[0\]: 0 is not allowed"),
        ({"kind": "cpu_pure", "models": ["serial"], "workers": [1], "payloads": ["64B"], "library_threads": [1]},
         r"workloads\.mm\.library_threads: applies to kind 'callable' only"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_named_with_the_allowed_values(entry, expected):
    with pytest.raises(ConfigError, match=expected):
        load_sweep(tiny_sweep(workloads={"mm": entry}))


def test_a_derived_label_the_config_already_uses_is_refused():
    workloads = {"mm": matmul_entry(library_threads=["default", 1]), "mm_libthreads_1": matmul_entry()}
    with pytest.raises(ConfigError, match=r"workloads\.mm\.library_threads: 1 makes workload 'mm_libthreads_1'"):
        load_sweep(tiny_sweep(workloads=workloads))


# --- Reading and saying it ------------------------------------------------------------------


def test_serial_above_one_core_is_the_baseline_of_the_gil_reading():
    assert own_threads(1.94) == "the function runs its own threads: serial kept 1.94 cores busy"
    assert own_threads(1.0) == "" and own_threads(float("nan")) == ""
    assert gil_reading("threads", 2, 1.88, 1.94).startswith("not readable: serial already kept 1.94 cores busy")
    assert gil_reading("threads", 4, 3.5, 1.9).startswith("released: 4 threads kept 3.50 cores busy, 1.84x serial's")
    # A function with no threads of its own reads as before.
    assert gil_reading("threads", 2, 1.88, 1.0) == "released: 2 threads kept 1.88 cores busy"
    assert gil_reading("threads", 2, 1.0, 1.0).startswith("held")


def test_every_cell_of_a_work_whose_serial_ran_threads_says_so():
    key = {"machine": "vm", "interpreter": "py", "config_hash": "c", "workload": "mm", "payload_bytes": 64}
    cells = pd.DataFrame([dict(key, model="serial", cpu_per_wall=1.9), dict(key, model="threads", cpu_per_wall=1.8),
                          dict(key, workload="sort", model="serial", cpu_per_wall=1.0)])  # fmt: skip
    said = serial_cores(cells).map(own_threads)
    assert said.tolist() == ["the function runs its own threads: serial kept 1.90 cores busy"] * 2 + [""]


def table_row(workload, model, workers, seconds, setting, threads_set=None, cpu=1.0, serial_cpu=1.94):
    return {"machine": "vm", "interpreter": "py", "workload": workload, "entry": "mm", "payload_bytes": 1 << 20,
            "model": model, "workers": workers, "median_seconds": seconds, "cpu_per_wall": cpu,
            "serial_cpu_per_wall": serial_cpu, "own_threads": own_threads(serial_cpu), "library_threads": setting,
            "library_threads_set": threads_set, "threadpools": None, "logical_cpus": 2}  # fmt: skip


# The issue's matrix product: processes 9x slower than serial with OpenBLAS's default pools.
ISSUE = pd.DataFrame([
    table_row("mm", "serial", 1, 0.213, "default", cpu=1.94),
    table_row("mm", "threads", 2, 0.267, "default"),
    table_row("mm", "processes-fork", 2, 1.978, "default"),
    table_row("mm_libthreads_per_worker", "serial", 1, 0.215, "per_worker", 2, cpu=1.93, serial_cpu=1.93),
    table_row("mm_libthreads_per_worker", "threads", 2, 0.20, "per_worker", 1, serial_cpu=1.93),
    table_row("mm_libthreads_per_worker", "processes-fork", 2, 0.118, "per_worker", 1, serial_cpu=1.93),
])  # fmt: skip


def test_the_best_with_limited_threads_is_set_against_the_default_with_the_reason():
    compared = library_thread_comparison(ISSUE).iloc[0]
    assert (compared.best_limited, compared.best_default) == ("processes-fork", "serial")
    assert compared.best_limited_speedup == pytest.approx(0.213 / 0.118)
    assert compared.text.startswith(
        "processes-fork with 1 library thread per worker: 1.81x serial; best with the library's default: serial 1.00x "
        "(processes-fork 0.11x); with the limit also threads 0.80x -> 1.06x. Why: with the library's default each "
        "of the 2 workers runs a pool of 2 threads, 4 threads on 2 cores: oversubscribed"
    )
    notes = own_thread_notes(ISSUE)
    mine = notes[notes["workload"] == "mm"]["note"].tolist()
    assert mine[0] == "the function runs its own threads: serial kept 1.94 cores busy"
    assert mine[1].startswith("1MiB, 2 workers: processes-fork with 1 library thread per worker: 1.81x")
    verdicts = pd.DataFrame([{"machine": "vm", "interpreter": "py", "workload": "mm", "kind_of_work": "mm",
                              "payload_bytes": 1 << 20, "workers": 2, "label": "win", "winner": "serial",
                              "ratio_to_runner_up": 0.8, "runner_up": "threads", "unbeaten": None}])  # fmt: skip
    answer = guide(verdicts, notes).iloc[0, 1]
    assert "serial 1.25x faster than threads. the function runs its own threads: serial kept 1.94" in answer
    assert "1 library thread per worker: 1.81x" in answer


def test_no_reason_is_given_where_the_limit_did_not_help():
    unhurt = ISSUE.copy()
    unhurt.loc[(unhurt["workload"] == "mm") & (unhurt["model"] == "processes-fork"), "median_seconds"] = 0.12
    unhurt.loc[(unhurt["workload"] == "mm") & (unhurt["model"] == "threads"), "median_seconds"] = 0.21
    text = library_thread_comparison(unhurt).iloc[0].text
    assert "processes-fork with 1 library thread per worker: 1.81x" in text and "Why" not in text


def test_every_model_the_limit_helped_is_named_with_the_reason():
    # As measured on a quiet 2-core VM: threads best either way, processes slowed by the pools.
    quiet = pd.DataFrame([
        table_row("mm", "serial", 1, 0.2136, "default", cpu=1.92),
        table_row("mm", "threads", 2, 0.1848, "default"),
        table_row("mm", "processes-fork", 2, 1.2538, "default"),
        table_row("mm_libthreads_per_worker", "serial", 1, 0.1975, "per_worker", 2, serial_cpu=1.94),
        table_row("mm_libthreads_per_worker", "threads", 2, 0.1537, "per_worker", 1, serial_cpu=1.94),
        table_row("mm_libthreads_per_worker", "processes-fork", 2, 0.5669, "per_worker", 1, serial_cpu=1.94),
    ])  # fmt: skip
    text = library_thread_comparison(quiet).iloc[0].text
    assert text.startswith("threads with 1 library thread per worker: 1.39x serial")
    assert "; with the limit also processes-fork 0.17x -> 0.38x" in text
    assert "Why: with the library's default each of the 2 workers runs a pool of 2 threads" in text


def test_a_function_without_threads_of_its_own_gets_no_notes():
    plain = pd.DataFrame([table_row("mm", "serial", 1, 0.2, "default", serial_cpu=1.0),
                          table_row("mm", "threads", 2, 0.1, "default", cpu=1.9, serial_cpu=1.0)])  # fmt: skip
    assert own_thread_notes(plain).empty and library_thread_comparison(plain).empty


# --- The example, shrunk ----------------------------------------------------------------------


def test_numpy_example_measures_both_settings_and_says_which_wins(tmp_path):
    """examples/numpy_blas's matrix product in one round: numpy and threadpoolctl from
    `packages`, serial and processes with the default and one pool per worker."""
    shutil.copytree(EXAMPLE / "code", tmp_path / "code", ignore=shutil.ignore_patterns("__pycache__"))
    config = tiny_sweep(
        rounds={"base": 1, "max": 1}, repetitions=1, warmups=0,
        interpreters={"py": {"command": [sys.executable], "packages": ["numpy", "threadpoolctl"]}},
        workloads={"mm": matmul_entry(path="code", library_threads=["default", "per_worker"])},
    )  # fmt: skip
    run_snakemake(tmp_path, config=config, timeout=900)
    table = pd.read_csv(tmp_path / "results/stats/user_workloads.tsv", sep="\t")
    assert set(table["workload"]) == {"mm", "mm_libthreads_per_worker"} and set(table["entry"]) == {"mm"}
    limited = table[table["workload"] == "mm_libthreads_per_worker"].set_index("model")
    cores = affinity_cpus() or os.cpu_count()
    assert limited.loc["processes-fork", "library_threads_set"] == max(1, cores // 2)
    assert limited.loc["serial", "library_threads_set"] == cores
    # threadpoolctl, in the interpreter under test, read the pool the limit left.
    assert f": {max(1, cores // 2)}" in limited.loc["processes-fork", "threadpools"]
    assert table.loc[table["workload"] == "mm", "library_threads"].eq("default").all()
    findings = (tmp_path / "results/report/findings.rst").read_text()
    assert "library thread" in findings and "best with the library's default" in findings
