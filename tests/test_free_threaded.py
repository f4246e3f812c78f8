"""Free-threaded CPython for real: the kernel under 3.13t and a tiny sweep under both twins.

The twins come from `make twins` (workflow/scripts/build_python_twins.sh), never from
pytest: where they are not built these tests skip with that command as the reason, and
fail instead under SHOWDOWN_REQUIRE_ALL=1 (CI builds them first).
"""

import pandas as pd
import pytest

from conftest import run_snakemake, skip_or_fail
from showdown.cell.interpreters import BUILD_COMMAND, Interpreter, find_build
from showdown.cell.job import run_kernel
from showdown.kernel.catalogue import not_applicable_reason
from showdown.kernel.models import MODELS

pytestmark = pytest.mark.slow


def twin(gil: bool) -> str:
    found = find_build("3.13", gil)
    if found is None:
        skip_or_fail(f"no {'GIL' if gil else 'free-threaded'} CPython 3.13 build in the cache; run `{BUILD_COMMAND}`")
    return found[1]["binary"]


def spec(workload, model, workers, **params):
    return dict(kind=workload, model=model, workers=workers, payload_bytes=1024, tasks=8,
                params={"iterations": 20_000, **params}, warmups=1, repetitions=2)  # fmt: skip


@pytest.mark.parametrize("workload", ["cpu_pure", "shared_objects", "io_sleep"])
def test_every_model_runs_under_the_free_threaded_build_with_the_gil_off(workload):
    """Each applicable model answers under 3.13t, the GIL off after its imports and at the
    end, with the answer every other model gives."""
    free = Interpreter("py3135t", (twin(gil=False),))
    checksums, not_applicable = {}, {}
    for model in (m for m in MODELS if not_applicable_reason(workload, m) is None):
        workers = 1 if model == "serial" else 2
        outcome, answer = run_kernel(free, "run", spec(workload, model, workers, latency_ms=1), timeout=120)
        assert answer is not None, outcome.stderr
        if answer["status"] == "not_applicable":
            not_applicable[model] = answer["message"]
            continue
        assert answer["status"] == "ok", (model, answer)
        meta = answer["meta"]
        assert (meta["free_threaded_build"], meta["gil_enabled"], answer["gil_enabled_after_imports"]) == (
            True,
            False,
            False,
        ), model
        assert "--disable-gil" in meta["python_config_args"]
        checksums[model] = {s["checksum"] for s in answer["samples"]}
    # No uvloop and no interpreters-pep-734 backport in a bare build: those say why.
    assert set(not_applicable) <= {"asyncio_uvloop", "subinterpreters"}, not_applicable
    assert len({frozenset(c) for c in checksums.values()}) == 1, checksums


@pytest.mark.real_run
def test_tiny_sweep_under_both_twins(tmp_path):
    """The twins in one sweep: one calibration, the GIL off on 3.13t and on for its twin,
    the build in each cell's provenance."""
    twin(gil=True), twin(gil=False)
    config = {
        "interpreters": {
            "py3135": {"build": {"version": "3.13", "gil": True}},
            "py3135t": {"build": {"version": "3.13", "gil": False}, "twin_of": "py3135"},
        },
        "rounds": {"base": 1, "max": 1}, "repetitions": 3, "warmups": 1, "calibration_seconds": 0.3,
        "workloads": {
            "cpu_pure": {"models": ["serial", "threads"], "workers": [2], "payloads": ["1KiB"], "iterations": 200_000},
            "shared_objects": {"models": ["serial", "threads", "processes-fork"], "workers": [2],
                               "payloads": ["0B"], "sharing": 1.0},
        },
    }  # fmt: skip
    run_snakemake(tmp_path, "results/aggregate/cells.tsv", config=config)
    samples = pd.read_parquet(tmp_path / "results" / "aggregate" / "samples.parquet")
    ok = samples[samples["status"] == "ok"]
    assert set(ok["interpreter"]) == {"py3135", "py3135t"}
    by_interpreter = ok.groupby("interpreter")
    assert by_interpreter["gil_enabled"].unique().map(list).to_dict() == {"py3135": [True], "py3135t": [False]}
    assert by_interpreter["gil_enabled_after_imports"].unique().map(list).to_dict() == {
        "py3135": [True],
        "py3135t": [False],
    }
    assert by_interpreter["free_threaded_build"].unique().map(list).to_dict() == {"py3135": [False], "py3135t": [True]}
    assert ok["build_source_version"].notna().all() and ok["build_tarball_sha256"].nunique() == 1
    flags = by_interpreter["python_config_args"].first()
    assert "--disable-gil" in flags["py3135t"] and "--disable-gil" not in flags["py3135"]
    # One calibration for the twins: both do the same number of tasks per workload.
    assert (ok.groupby("workload")["tasks"].nunique() == 1).all()
    # Whether 2 threads then used more than one CPU at once depends on what else the machine
    # runs (with every core busy they may not): benchmarks/real_runs.py prints it.
    # Processes get copies of the objects, not shared ones: not applicable, saying so.
    na = (
        pd.read_csv(tmp_path / "results" / "matrix" / "not_applicable.tsv", sep="\t")
        if (tmp_path / "results" / "matrix" / "not_applicable.tsv").exists()
        else None
    )
    cells = pd.read_csv(tmp_path / "results" / "aggregate" / "cells.tsv", sep="\t")
    assert not cells["gil_reenabled"].any()
    assert not ((cells["workload"] == "shared_objects") & (cells["model"] == "processes-fork")).any()
    if na is not None:
        assert na["reason"].str.contains("own copies").any()
