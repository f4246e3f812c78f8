"""The user's own function as a workload: refused when unusable, measured like any other.

The function lives in tests/user_code/showdown_testwork, a package showdown knows only
from the config's `path`.
"""

import re
import shutil
import sys

import pandas as pd
import pytest

from conftest import REPO, run_snakemake, tiny_sweep
from showdown.cell import check_workload
from showdown.cell.interpreters import Interpreter
from showdown.cell.job import run_kernel
from showdown.sweep import ConfigError, load_sweep

USER_CODE = str(REPO / "tests" / "user_code")
MODULE = "showdown_testwork.work"


def callable_entry(**keys):
    entry = {
        "kind": "callable",
        "function": f"{MODULE}:crunch",
        "path": USER_CODE,
        "models": ["serial"],
        "workers": [1],
        "payloads": ["64B"],
    }
    entry.update(keys)
    return entry


def sweep_of(**workloads):
    return load_sweep(tiny_sweep(workloads=workloads))


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"function": None}, r"workloads\.mine\.function: required for kind 'callable'"),
        ({"path": "/no/such/folder"}, r"workloads\.mine\.path: '/no/such/folder' is not a folder"),
        ({"function": "crunch"}, r"workloads\.mine\.function: 'crunch' does not match"),
    ],
)
def test_config_refuses_a_callable_it_can_judge_without_importing(keys, expected):
    with pytest.raises(ConfigError, match=expected):
        sweep_of(mine=callable_entry(**keys))


def test_code_keys_do_not_apply_to_built_in_kinds():
    entry = {"models": ["serial"], "workers": [1], "payloads": ["64B"], "function": f"{MODULE}:crunch"}
    with pytest.raises(ConfigError, match=r"workloads\.cpu_pure\.function: does not apply to kind 'cpu_pure'"):
        sweep_of(cpu_pure=entry)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (
            {"function": "no_such_package.work:crunch"},
            r"workloads\.mine\.function: 'no_such_package\.work' does not import \(ModuleNotFoundError",
        ),
        (
            {"function": f"{MODULE}:NOT_CALLABLE"},
            r"workloads\.mine\.function: '.*:NOT_CALLABLE' is a int, not callable",
        ),
        ({"function": f"{MODULE}:missing"}, r"workloads\.mine\.function: '.*' has no attribute 'missing'"),
        (
            {"input": f"{MODULE}:make_input_wrong"},
            r"workloads\.mine\.input: signature make_input_wrong\(payload_bytes\) cannot be called with "
            r"\(payload_bytes, index\)",
        ),
        ({"path": str(REPO / "tests")}, r"workloads\.mine\.function: 'showdown_testwork\.work' does not import"),
    ],
)
def test_check_refuses_code_that_cannot_run(tmp_path, keys, expected):
    sweep = sweep_of(mine=callable_entry(**keys))
    interpreter = next(iter(sweep.interpreters.values())).to_params()
    spec = {"params": sweep.workloads["mine"].params_dict(), "payloads": [64]}
    with pytest.raises(ValueError, match=expected):
        check_workload(interpreter, "mine", spec, str(tmp_path / "check.json"))
    assert not (tmp_path / "check.json").exists()


@pytest.mark.parametrize("model", ["serial", "threads", "thread_workers", "asyncio_to_thread", "processes-fork"])
def test_inputs_that_are_not_bytes_reach_the_function_under_every_pool(model):
    """A factory may return any picklable value (the json example: a dict); the start
    barrier's no-op must not try to read it as a payload."""
    workers = 1 if model == "serial" else 2
    params = {"function": f"{MODULE}:total", "input": f"{MODULE}:make_document", "path": USER_CODE}
    spec = {"kind": "callable", "model": model, "workers": workers, "payload_bytes": 64, "tasks": 4,
            "params": params, "warmups": 0, "repetitions": 1}  # fmt: skip
    outcome, answer = run_kernel(Interpreter("here", (sys.executable,)), "run", spec, timeout=120)
    assert answer is not None and answer["status"] == "ok", (answer, outcome.stderr)
    assert answer["samples"][0]["tasks"] == 4


def test_check_reads_import_gil_hash_and_pickling(tmp_path):
    sweep = sweep_of(mine=callable_entry(function=f"{MODULE}:by_lambda", input=f"{MODULE}:make_input"))
    interpreter = next(iter(sweep.interpreters.values())).to_params()
    spec = {"params": sweep.workloads["mine"].params_dict(), "payloads": [64]}
    answer = check_workload(interpreter, "mine", spec, str(tmp_path / "check.json"))
    assert "by_lambda cannot be pickled" in answer["unpicklable"]
    assert answer["import_seconds"] > 0
    assert answer["gil_enabled"] in (True, False)
    assert re.fullmatch(r"[0-9a-f]{12}", answer["code_hash"])


USER_SWEEP = {
    "rounds": {"base": 2, "max": 2},
    "workloads": {
        "mine": callable_entry(
            input=f"{MODULE}:make_input",
            check=f"{MODULE}:check",
            models=["serial", "threads", "processes-fork"],
            workers=[2],
            payloads=["1KiB"],
        ),
        "unpicklable": callable_entry(function=f"{MODULE}:by_lambda", models=["serial", "processes-fork"], workers=[2]),
        "raises": callable_entry(function=f"{MODULE}:fails"),
        # The issue-27 pair (PAIR, written into the sweep's folder) and a missing await.
        "fetch": callable_entry(
            function="mine:fetch",
            models=["serial", "asyncio", "threads", "processes-fork"],
            workers=[4],
            versions_of="fetch",
        ),
        "fetch_sync": callable_entry(
            function="mine:fetch_sync", models=["serial", "threads", "asyncio"], workers=[4], versions_of="fetch"
        ),
        "unawaited": callable_entry(function="mine:unawaited"),
        "cpu_pure": {"models": ["serial"], "workers": [1], "payloads": ["64B"]},
    },
}


# The pair: each task waits 10 ms, with an async client or a blocking one.
PAIR = """
import asyncio
import time


async def fetch(data):          # the call made with an async client
    await asyncio.sleep(0.01)
    return len(data)


def fetch_sync(data):           # the same call made with a blocking client
    time.sleep(0.01)
    return len(data)


def unawaited(data):            # a plain function that forgot to await
    return fetch(data)
"""


# The fixture runs from a copy of the package, at a path relative to the sweep's folder.
@pytest.fixture(scope="module")
def user_sweep(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("user_sweep")
    shutil.copytree(USER_CODE, workdir / "user_code", ignore=shutil.ignore_patterns("__pycache__"))
    (workdir / "user_code" / "mine.py").write_text(PAIR)
    run_snakemake(workdir, config=user_sweep_config())
    return workdir


def user_sweep_config():
    """USER_SWEEP with the copied package's relative path in every callable entry."""
    workloads = {
        label: dict(entry, path="user_code") if entry.get("kind") == "callable" else entry
        for label, entry in USER_SWEEP["workloads"].items()
    }
    return tiny_sweep(rounds=USER_SWEEP["rounds"], workloads=workloads)


def test_user_function_runs_under_every_model_that_can(user_sweep):
    cells = pd.read_csv(user_sweep / "results/aggregate/cells.tsv", sep="\t")
    mine = cells[cells["workload"] == "mine"].set_index("model")
    assert set(mine.index) == {"serial", "threads", "processes-fork"}
    assert (mine["rounds"] == 2).all() and (mine["speedup"] > 0).all()
    samples = pd.read_parquet(user_sweep / "results/aggregate/samples.parquet")
    ran = samples[(samples["workload"] == "mine") & (samples["status"] == "ok")]
    assert (ran["import_seconds"] > 0).all() and ran["code_hash"].nunique() == 1
    assert samples.loc[samples["workload"] == "cpu_pure", "code_hash"].isna().all()
    # Calibrated like CPU work: every model of the group did the same number of tasks.
    assert ran["tasks"].nunique() == 1


def test_unpicklable_function_rules_out_process_models_with_the_reason(user_sweep):
    failed = pd.read_csv(user_sweep / "results/aggregate/failed.tsv", sep="\t")
    ruled_out = failed[failed["workload"] == "unpicklable"]
    assert set(ruled_out["model"]) == {"processes-fork"}
    assert (ruled_out["status"] == "not_applicable").all()
    assert ruled_out["message"].str.contains("pickles each task, and the function .*by_lambda cannot be pickled").all()


@pytest.mark.parametrize(
    ("workload", "status", "message"),
    [
        # A function that raises: a failed cell with its traceback.
        ("raises", "crashed", "ValueError: user code refused 64 bytes"),
        # A missing await: the coroutine is never published as work done.
        ("unawaited", "failed", "unawaited returned a coroutine, never run"),
    ],
)
def test_a_function_that_fails_is_a_failed_cell_with_the_reason(user_sweep, workload, status, message):
    failed = pd.read_csv(user_sweep / "results/aggregate/failed.tsv", sep="\t")
    cells = failed[failed["workload"] == workload]
    assert len(cells) == 2 and (cells["status"] == status).all()
    assert cells["message"].str.contains(message).all()


def test_verdicts_and_report_table_show_the_user_function(user_sweep):
    verdicts = pd.read_csv(user_sweep / "results/stats/verdicts.tsv", sep="\t")
    assert verdicts.loc[verdicts["workload"] == "mine", "label"].tolist() == ["undecided"]  # 2 rounds < 3
    table = pd.read_csv(user_sweep / "results/stats/user_workloads.tsv", sep="\t")
    assert set(table["workload"]) == {"mine", "unpicklable", "fetch", "fetch_sync"}  # raises measured nothing
    assert set(table["function"]) == {f"{MODULE}:crunch", f"{MODULE}:by_lambda", "mine:fetch", "mine:fetch_sync"}
    threads = table[(table["workload"] == "mine") & (table["model"] == "threads")].iloc[0]
    cells = pd.read_csv(user_sweep / "results/aggregate/cells.tsv", sep="\t")
    measured = cells[(cells["workload"] == "mine") & (cells["model"] == "threads")].iloc[0]
    assert threads["cpu_per_wall"] == pytest.approx(measured["cpu_per_wall"])
    # crunch is a pure-Python loop: under a GIL its threads cannot keep two cores busy.
    if threads["gil_enabled"]:
        assert threads["gil_reading"].startswith(("held", "waits"))
    assert table.loc[table["model"] == "serial", "gil_reading"].isna().all()
    # No threads of its own: nothing said of them, no library setting, the GIL read as before.
    assert table["own_threads"].isna().all() and cells["own_threads"].isna().all()
    assert (table["library_threads"] == "default").all() and table["library_threads_set"].isna().all()


def test_an_edit_to_user_code_reruns_its_cells_and_nothing_else(user_sweep):
    untouched = run_snakemake(user_sweep, "--dry-run", config=user_sweep_config())
    assert "Nothing to be done" in untouched.stdout
    with open(user_sweep / "user_code" / "showdown_testwork" / "work.py", "a") as source:
        source.write("# an edit\n")
    done = run_snakemake(user_sweep, "--dry-run", config=user_sweep_config())
    planned = set(re.findall(r"workload=(\w+)", done.stdout))
    assert "check_workload" in done.stdout
    assert {"mine", "unpicklable", "raises", "fetch", "unawaited"} <= planned
    assert "cpu_pure" not in planned


def test_an_async_function_really_waits_every_task(user_sweep):
    samples = pd.read_parquet(user_sweep / "results/aggregate/samples.parquet")
    ran = samples[samples["workload"].isin(["fetch", "fetch_sync"]) & (samples["status"] == "ok")]
    assert set(zip(ran["workload"], ran["model"])) == {
        ("fetch", "serial"), ("fetch", "asyncio"), ("fetch", "threads"), ("fetch", "processes-fork"),
        ("fetch_sync", "serial"), ("fetch_sync", "threads"), ("fetch_sync", "asyncio"),
    }  # fmt: skip
    # Calibrated on the awaited time (10 ms a task): a few tasks, not the 136,432.
    assert ran.groupby("workload")["tasks"].nunique().eq(1).all()
    tasks = int(ran.loc[ran["workload"] == "fetch", "tasks"].iloc[0])
    assert 4 <= tasks <= 8
    serial = ran[(ran["workload"] == "fetch") & (ran["model"] == "serial")]
    assert (serial["wall_seconds"] >= tasks * 0.01).all()  # one after another: a bound no load breaks


def test_the_guide_gives_versions_of_one_function_one_row(user_sweep):
    guide = pd.read_csv(user_sweep / "results/guide.tsv", sep="\t")
    row = guide[guide["kind of work"] == "fetch: fetch vs fetch_sync"]
    assert len(row) == 1 and "fetch" not in set(guide["kind of work"])
    assert "(fetch, 4 workers)" in row.iloc[0, 1] and "(fetch_sync, 4 workers)" in row.iloc[0, 1]
