"""Faults: hangs, crashes, leaks, broken pools and interrupts are survived, recorded, reaped."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import psutil
import pytest

from conftest import REPO, SNAKEMAKE, run_snakemake, tagged_processes, tiny_sweep
from showdown.cell import Cell, CellRequest
from showdown.cell.interpreters import Interpreter
from showdown.cell.job import CellJob, run_cell
from showdown.cell.record import read_round_file

pytestmark = pytest.mark.real_run  # timing a busy machine moves: `make test-loaded` reruns these


def kernel_processes():
    """Live processes a cell of this session left behind: kernels, their children, sleepers.

    This test process's own children (multiprocessing's resource tracker) are not a cell's.
    """
    return [p for p in tagged_processes() if p.ppid() != os.getpid() and p.status() != psutil.STATUS_ZOMBIE]


def faulty_job(fault, timeout=60.0, model="processes-fork"):
    """A job whose limit a loaded machine cannot reach unless the fault hangs it."""
    env = (("SHOWDOWN_FAULT", fault),) if fault else ()
    interpreter = Interpreter("py", (sys.executable,), env)
    request = CellRequest(
        cell=Cell("m", "py", "cpu_pure", model, 2, 1024), round=1, interpreter=interpreter.to_params(),
        kind="cpu_pure", params={"iterations": 1000}, warmups=1, repetitions=2, timeout_seconds=timeout,
        config_hash="c0ffee", kernel_hash="k", seed=1, position=0, probe="p.json", tasks=8,
    )  # fmt: skip
    return CellJob(request=request, interpreter=interpreter, tasks=8)


@pytest.mark.parametrize(
    "fault, status, message",
    [
        ("hang", "timeout", "s (time limit)"),  # killed after 3.0 s, or a little more on a loaded machine
        ("crash", "crashed", "killed by signal SIGABRT; stderr: injected crash"),
        ("broken_pool", "broken_pool", "broken pool"),
    ],
)
def test_a_failing_kernel_is_recorded_and_its_tree_killed(tmp_path, fault, status, message):
    output = tmp_path / "r1.parquet"
    started = time.monotonic()
    # Only the hang gets a short limit; the others must end by themselves, well inside theirs.
    run_cell(faulty_job(fault, timeout=3.0 if fault == "hang" else 60.0), str(output), fallback_meta={"host": "h"})
    assert time.monotonic() - started < 50  # the hang was killed, not waited for
    rows = read_round_file(str(output)).to_pandas()
    assert len(rows) == 1
    assert rows.loc[0, "status"] == status
    assert message in rows.loc[0, "message"]
    assert rows.loc[0, "repetition"] == -1 and pd.isna(rows.loc[0, "wall_seconds"])
    assert kernel_processes() == []  # the hang's child died with the kernel's group


def test_a_leaked_child_is_found_killed_and_counted(tmp_path):
    output = tmp_path / "r1.parquet"
    run_cell(faulty_job("leak"), str(output), fallback_meta={})
    rows = read_round_file(str(output)).to_pandas()
    assert (rows["status"] == "ok").all() and len(rows) == 3
    assert (rows["orphans_killed"] == 1).all()
    assert kernel_processes() == []


def test_sweep_survives_a_hanging_interpreter_and_keeps_failures_out_of_statistics(tmp_path):
    config = tiny_sweep(
        interpreters={
            "good": {"command": [sys.executable]},
            "hangs": {"command": [sys.executable], "env": {"SHOWDOWN_FAULT": "hang"}, "cell_timeout_seconds": 1},
        },
        cell_timeout_seconds=120,  # the good interpreter's cells: beyond any loaded machine's delay
        rounds={"base": 2, "max": 2},
    )
    # Two cells per interpreter (a group needs a model beside serial): every job costs seconds
    # of start-up on a loaded machine, and the test must stay under a minute.
    config["workloads"] = {"cpu_pure": {**config["workloads"]["cpu_pure"], "models": ["serial", "threads"]}}
    run_snakemake(tmp_path, "results/stats/verdicts.tsv", config=config)
    failed = pd.read_csv(tmp_path / "results/aggregate/failed.tsv", sep="\t")
    assert set(failed["interpreter"]) == {"hangs"} and set(failed["status"]) == {"timeout"}
    assert len(failed) == 2 * 2  # two cells, two rounds
    verdicts = pd.read_csv(tmp_path / "results/stats/verdicts.tsv", sep="\t")
    hangs = verdicts[verdicts["interpreter"] == "hangs"]
    assert list(hangs["label"]) == ["all cells failed"]
    good = verdicts[verdicts["interpreter"] == "good"]
    assert len(good) == 1 and good["label"].iloc[0] != "all cells failed"
    cells = pd.read_csv(tmp_path / "results/aggregate/cells.tsv", sep="\t")
    assert set(cells["interpreter"]) == {"good"}
    assert kernel_processes() == []


def test_an_interrupted_sweep_leaves_no_partial_file_and_resumes(tmp_path):
    # Two rounds of one warm-up and three repetitions: 8 jobs of 4 rows, the numbers below.
    config = tiny_sweep(rounds={"base": 2, "max": 2}, repetitions=3)
    config["workloads"] = {
        "io_sleep": {
            "models": ["serial", "threads", "asyncio", "processes-fork"],
            "workers": [2],
            "payloads": [64],
            "tasks": 8,
            "latency_ms": 20,
        },
    }
    config_path = tmp_path / "config.yaml"
    import yaml

    config_path.write_text(yaml.safe_dump(config))
    # The cells and their aggregation: the figures and the report would add a minute and check nothing here.
    command = [SNAKEMAKE, "results/aggregate/cells.tsv", "--snakefile", str(REPO / "Snakefile"), "--cores", "2",
               "--configfile", str(config_path)]  # fmt: skip
    # Ctrl-C at a terminal: a test run started in the background (`cmd &` in a script)
    # inherits SIGINT ignored, and Snakemake would then never see the interrupt.
    sweep = subprocess.Popen(
        command,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    cells = tmp_path / "results/cells"
    deadline = time.monotonic() + 120
    while len(list(cells.rglob("*.parquet"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    sweep.send_signal(signal.SIGINT)
    sweep.wait(timeout=60)
    written = sorted(cells.rglob("*.parquet"))
    assert 3 <= len(written) < 8, "interrupt came too late to test anything"
    assert not [p for p in cells.rglob("*") if p.is_file() and p.suffix != ".parquet"]
    for path in written:
        assert len(read_round_file(str(path))) == 4  # whole: one warm-up and three repetitions
    assert kernel_processes() == []

    dry = subprocess.run(command + ["-n"], cwd=tmp_path, capture_output=True, text=True)
    pending = int(
        next(line.split()[1] for line in (dry.stdout + dry.stderr).splitlines() if line.startswith("run_cell "))
    )
    # The missing cells, plus at most the one job the interrupt caught between renaming its
    # file into place and Snakemake recording it (Snakemake calls it incomplete).
    assert 8 - len(written) <= pending <= 8 - len(written) + 1
    mtimes = {p: p.stat().st_mtime_ns for p in written}
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)
    redone = [p for p in written if p.stat().st_mtime_ns != mtimes[p]]
    assert len(redone) == pending - (8 - len(written))  # every finished cell was kept
    assert len(list(cells.rglob("*.parquet"))) == 8
