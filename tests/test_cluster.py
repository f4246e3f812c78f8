"""The tiny sweep through SLURM (profiles/slurm) on a one-node test cluster, checked from its data.

Needs root: tests/slurm/cluster.sh installs (apt-get) and starts munged, slurmctld and slurmd,
and the module always stops them again (by their pid files). Where that is impossible the
tests skip with the reason, or fail under SHOWDOWN_REQUIRE_ALL=1 (.ci/run).

Both sweeps, through SLURM and local, run from one snapshot of this checkout (its working
tree, .git included) taken when the module starts: every SLURM job re-reads the workflow
from disk, so an edit made to the checkout during the test would otherwise change the
kernel hash (a param of every cell) under the running sweep, and the two sweeps would not
measure the same code.

Durations are printed (`pytest -s`) and kept, with the Snakemake and SLURM logs, under
test-artifacts/slurm/ (git-ignored) for CI.
"""

import json
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO, SNAKEMAKE, skip_or_fail
from showdown.cell.record import read_round_file
from showdown.sweep.config import load_sweep

pytestmark = pytest.mark.slow

MACHINE = "slurmtest"
CLUSTER_SH = REPO / "tests" / "slurm" / "cluster.sh"
ARTIFACTS = REPO / "test-artifacts" / "slurm"
MEASURING_RULES = {"probe_interpreter", "calibrate_work", "run_cell"}
ANALYSIS_RULES = {
    "aggregate_cells",
    "compare_models",
    "list_not_applicable",
    "plot_speedup",
    "plot_winners",
    "plot_startup",
    "plot_drift",
}
SLURM_SWEEP_SECONDS = 1800  # ~7 min on a busy 2-core VM: ~20 jobs one after another
LOCAL_SWEEP_SECONDS = 900
SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+) \(log: (.*?)\)")
COORDINATES = ["workload", "model", "workers", "payload_bytes", "round"]


# ---- helpers ---------------------------------------------------------------------------------


def snapshot_checkout(destination: Path) -> Path:
    """Copy the working tree (sources, workflow, profiles, .git) without results or the venv."""
    heavy = {
        ".venv",
        "results",
        ".snakemake",
        "test-artifacts",
        "logs",
        ".pytest_cache",
        ".ruff_cache",
        "__pycache__",
        "index.lock",
    }
    shutil.copytree(REPO, destination, symlinks=True, ignore=lambda directory, names: [n for n in names if n in heavy])
    return destination


def sweep_env(checkout: Path) -> dict:
    """The snapshot's sources before the editable install of the checkout (sbatch --export=ALL
    hands this environment on to every job)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(checkout / "src"), env.get("PYTHONPATH")]))
    for name in [n for n in env if n.startswith("SLURM_")]:  # never inherit an outer job's
        del env[name]
    return env


def snakemake(checkout: Path, workdir: Path, *args, timeout: int, check: bool = True):
    """Snakemake on the snapshot's workflow in ``workdir``, bounded by `timeout --kill-after`:
    a misconfigured status check makes Snakemake wait forever and ignore SIGTERM."""
    command = [
        "timeout",
        "--kill-after=10",
        str(timeout),
        SNAKEMAKE,
        "--snakefile",
        str(checkout / "Snakefile"),
        *args,
        "--configfile",
        str(checkout / "config" / "test.yaml"),
    ]
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=workdir, env=sweep_env(checkout), capture_output=True, text=True, timeout=timeout + 30, check=False
    )
    seconds = time.perf_counter() - started
    (workdir / "snakemake.out").write_text(done.stdout + done.stderr)
    if check and done.returncode:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({done.returncode}"
            f"{', timed out' if done.returncode in (124, 137) else ''}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
        )
    return done, seconds


def snakemake_log(workdir: Path) -> str:
    logs = sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log"))
    assert logs, f"no Snakemake log in {workdir}"
    return "\n".join(path.read_text() for path in logs)


def submitted_jobs(log: str) -> dict:
    """SLURM job id -> rule, from the lines the executor plugin logs at submission."""
    jobs = {}
    for slurm_id, slurm_log in SUBMITTED.findall(log):
        rule = re.search(r"/slurm_logs/rule_([^/]+)/", slurm_log)
        assert rule, slurm_log
        jobs[slurm_id] = rule[1]
    return jobs


def rules_run(log: str, kind: str) -> set:
    """Rules the log shows starting as `rule X:` (submitted) or `localrule X:` (here)."""
    return set(re.findall(rf"^{kind} (\w+):$", log, flags=re.MULTILINE))


def round_files(workdir: Path) -> dict:
    """Round file path (relative to results/cells) -> its rows."""
    base = workdir / "results" / "cells"
    return {
        path.relative_to(base).as_posix(): read_round_file(str(path)).to_pandas()
        for path in sorted(base.rglob("*.parquet"))
    }


def node_cpus() -> int:
    """This machine's CPU count as SLURM sees it (the first line of `slurmd -C`)."""
    first = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"\bCPUs=(\d+)", first)[1])


class QueueWatch(threading.Thread):
    """Polls squeue during the sweep: the most jobs queued (pending or running) at once, and
    what each job asked for (SLURM forgets finished jobs after MinJobAge = 300 s)."""

    FORMAT = "%i|%T|%k|%l|%m|%C|%h"  # id, state, comment (rule_<rule>_...), time, mem, CPUs, oversubscribe

    def __init__(self, interval=0.25):
        super().__init__(daemon=True)
        self.interval = interval
        self.stop = threading.Event()
        self.max_queued = 0
        self.max_queued_at = None
        self.jobs = {}
        self.trace = []

    def run(self):
        while not self.stop.is_set():
            done = subprocess.run(
                ["squeue", "--noheader", "--states=all", "--format", self.FORMAT],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode == 0:
                queued = 0
                for line in done.stdout.splitlines():
                    slurm_id, state, comment, limit, memory, cpus, oversubscribe = line.split("|")
                    if state in ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING"):
                        queued += 1
                    self.jobs[slurm_id] = {
                        "state": state,
                        "comment": comment,
                        "time_limit": limit,
                        "min_memory": memory,
                        "cpus": int(cpus),
                        "oversubscribe": oversubscribe,
                    }
                self.trace.append((round(time.time(), 2), queued))
                if queued > self.max_queued:
                    self.max_queued, self.max_queued_at = queued, time.time()
            self.stop.wait(self.interval)


@dataclass
class Sweeps:
    checkout: Path
    slurm: Path
    local: Path
    cpus: int
    durations: dict
    watch: QueueWatch
    log: str = ""
    slurm_ids: dict = field(default_factory=dict)


def keep_artifacts(sweeps: Sweeps, state: Path):
    """Snakemake logs, SLURM job logs, daemon logs, the queue trace and the durations."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    for name, workdir in (("slurm-sweep", sweeps.slurm), ("local-sweep", sweeps.local)):
        for source in ("log", "slurm_logs"):
            path = workdir / ".snakemake" / source
            if path.is_dir():
                shutil.copytree(path, ARTIFACTS / name / source)
        if (workdir / "snakemake.out").exists():
            shutil.copy2(workdir / "snakemake.out", ARTIFACTS / name / "snakemake.out")
    for daemon_log in ("slurmctld.log", "slurmd.log"):
        if (state / daemon_log).exists():
            shutil.copy2(state / daemon_log, ARTIFACTS / daemon_log)
    (ARTIFACTS / "squeue.json").write_text(
        json.dumps(
            {"max_queued": sweeps.watch.max_queued, "jobs": sweeps.watch.jobs, "trace": sweeps.watch.trace}, indent=1
        )
    )
    (ARTIFACTS / "durations.json").write_text(json.dumps(sweeps.durations, indent=1))


# ---- the two sweeps --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    if os.geteuid() != 0:
        skip_or_fail(
            "the SLURM test needs root: tests/slurm/cluster.sh installs and starts munged, slurmctld and slurmd"
        )
    if shutil.which("timeout") is None:
        skip_or_fail("coreutils `timeout` is missing (it bounds every SLURM run)")
    base = tmp_path_factory.mktemp("cluster")
    state = base / "slurm-state"
    checkout = snapshot_checkout(base / "checkout")
    slurm_dir, local_dir = base / "slurm-sweep", base / "local-sweep"
    slurm_dir.mkdir()
    local_dir.mkdir()
    durations = {}

    started = time.perf_counter()
    up = subprocess.run([str(CLUSTER_SH), "up", str(state)], capture_output=True, text=True, timeout=900, check=False)
    durations["cluster_start_seconds"] = round(time.perf_counter() - started, 2)
    watch = QueueWatch()
    sweeps = Sweeps(checkout, slurm_dir, local_dir, 0, durations, watch)
    try:
        if up.returncode:
            skip_or_fail(
                "SLURM/munge could not be installed or started (tests/slurm/cluster.sh up "
                f"exited {up.returncode}): {(up.stdout + up.stderr).strip()[-1500:]}"
            )
        sweeps.cpus = node_cpus()
        watch.start()
        started = time.perf_counter()
        try:
            snakemake(
                checkout,
                slurm_dir,
                "--workflow-profile",
                str(checkout / "profiles" / "slurm"),
                "--config",
                f"machine={MACHINE}",
                timeout=SLURM_SWEEP_SECONDS,
            )
        finally:
            durations["slurm_sweep_seconds"] = round(time.perf_counter() - started, 1)
            watch.stop.set()
            watch.join(timeout=10)
    finally:
        # Always, even after a skip or a failure: stops only the daemons cluster.sh started (by pid).
        down = subprocess.run(
            [str(CLUSTER_SH), "down", str(state)], capture_output=True, text=True, timeout=300, check=False
        )
        keep_artifacts(sweeps, state)
        assert down.returncode == 0, f"cluster.sh down failed: {down.stdout}{down.stderr}"

    # The local sweep after the cluster is down: nothing else runs beside its cells.
    _, seconds = snakemake(checkout, local_dir, "--cores", "all", timeout=LOCAL_SWEEP_SECONDS)
    durations["local_sweep_seconds"] = round(seconds, 1)

    sweeps.log = snakemake_log(slurm_dir)
    sweeps.slurm_ids = submitted_jobs(sweeps.log)
    durations["slurm_jobs"] = len(sweeps.slurm_ids)
    durations["run_cell_slurm_jobs"] = sum(rule == "run_cell" for rule in sweeps.slurm_ids.values())
    durations["max_jobs_queued_at_once"] = watch.max_queued
    keep_artifacts(sweeps, state)
    print(
        f"\nSLURM test durations: cluster start {durations['cluster_start_seconds']} s, "
        f"SLURM sweep {durations['slurm_sweep_seconds']} s "
        f"({durations['slurm_jobs']} SLURM jobs, {durations['run_cell_slurm_jobs']} of them cells, "
        f"up to {watch.max_queued} queued at once), "
        f"local sweep {durations['local_sweep_seconds']} s; artifacts in {ARTIFACTS}"
    )
    return sweeps


# ---- what the data says ----------------------------------------------------------------------


def test_every_row_names_the_slurm_job_snakemake_submitted_for_its_cell(sweeps):
    files = round_files(sweeps.slurm)
    assert files
    cell_jobs = {slurm_id for slurm_id, rule in sweeps.slurm_ids.items() if rule == "run_cell"}
    seen = {}
    for path, rows in files.items():
        ids = set(rows["slurm_job_id"])
        assert rows["slurm_job_id"].notna().all() and len(ids) == 1, (path, ids)
        seen[ids.pop()] = path
    # one exclusive SLURM job per (cell, round), and exactly the ones Snakemake logged
    assert len(seen) == len(files)
    assert set(seen) == cell_jobs


def test_each_cell_had_the_whole_node(sweeps):
    for path, rows in round_files(sweeps.slurm).items():
        assert (rows["affinity_cpus"] == sweeps.cpus).all(), (path, rows["affinity_cpus"].unique())
    for slurm_id, rule in sweeps.slurm_ids.items():
        if rule in MEASURING_RULES:
            job = sweeps.watch.jobs[slurm_id]
            assert job["cpus"] == sweeps.cpus and job["oversubscribe"] == "NO", (rule, job)


def squeue_minutes(limit: str) -> int:
    """squeue's %l ([days-][hours:]minutes:seconds) in minutes."""
    days, _, clock = limit.rpartition("-")
    parts = [int(part) for part in clock.split(":")]
    hours, minutes, seconds = [0] * (3 - len(parts)) + parts
    return (int(days or 0) * 24 + hours) * 60 + minutes + seconds // 60


def test_cells_ask_for_their_workloads_runtime_and_memory(sweeps):
    """The profile must not override run_cell's runtime (cell timeout + 5 min) and mem_mb."""
    config = yaml.safe_load((sweeps.checkout / "config" / "test.yaml").read_text())
    sweep = load_sweep({**config, "machine": MACHINE})
    checked = 0
    for slurm_id, rule in sweeps.slurm_ids.items():
        if rule != "run_cell":
            continue
        job = sweeps.watch.jobs[slurm_id]
        workload = max(
            (
                w
                for i in sweep.interpreters
                for w in sweep.workloads
                if job["comment"].startswith(f"rule_run_cell_wildcards_{MACHINE}_{i}_{w}_")
            ),
            key=len,
        )
        entry = sweep.workloads[workload]
        assert squeue_minutes(job["time_limit"]) == int(entry.timeout_seconds // 60) + 5, job
        assert job["min_memory"] == f"{entry.mem_mb}M", job
        checked += 1
    assert checked == sum(rule == "run_cell" for rule in sweeps.slurm_ids.values()) > 0


def test_cluster_and_local_sweeps_have_the_same_cells_rows_and_columns(sweeps):
    slurm, local = round_files(sweeps.slurm), round_files(sweeps.local)

    def shape(files):
        found = {}
        for rows in files.values():
            key = tuple(rows[COORDINATES].drop_duplicates().itertuples(index=False, name=None))
            assert len(key) == 1, key
            found[key[0]] = (len(rows), list(rows.columns))
        return found

    slurm_shape, local_shape = shape(slurm), shape(local)
    assert set(slurm_shape) == set(local_shape)
    assert slurm_shape == local_shape
    # For the record (pytest -s): median wall time per cell, locally and through SLURM.
    print("\nmedian wall seconds per cell (local vs SLURM):")
    medians = {}
    for name, files in (("local", local), ("slurm", slurm)):
        rows = pd.concat(files.values())
        measured = rows[~rows["warmup"]]
        medians[name] = measured.groupby(["workload", "model", "workers", "payload_bytes"])["wall_seconds"].median()
    print(pd.DataFrame(medians).assign(ratio=lambda t: t.slurm / t.local).to_string())


def test_the_machine_label_names_every_path_and_row(sweeps):
    files = round_files(sweeps.slurm)
    assert all(path.startswith(f"{MACHINE}/") for path in files), list(files)[:3]
    for rows in files.values():
        assert (rows["machine"] == MACHINE).all()
    assert [p.name for p in (sweeps.slurm / "results" / "cells").iterdir()] == [MACHINE]


def test_several_jobs_were_queued_at_once(sweeps):
    assert sweeps.watch.max_queued >= 2, sweeps.watch.trace[-20:]


def test_only_the_measurements_went_through_slurm(sweeps):
    assert set(sweeps.slurm_ids.values()) <= MEASURING_RULES, sorted(set(sweeps.slurm_ids.values()))
    assert rules_run(sweeps.log, "rule") <= MEASURING_RULES
    assert ANALYSIS_RULES <= rules_run(sweeps.log, "localrule")
    results = sweeps.slurm / "results"
    for output in (
        "aggregate/samples.parquet",
        "aggregate/cells.tsv",
        "stats/verdicts.tsv",
        "stats/aa_control.tsv",
        "matrix/not_applicable.tsv",
        "report/speedup.png",
    ):
        assert (results / output).stat().st_size > 0, output
    verdicts = pd.read_csv(results / "stats/verdicts.tsv", sep="\t")
    assert set(verdicts["workload"]) == {"cpu_pure", "io_sleep", "startup"}
    samples = pd.read_parquet(results / "aggregate/samples.parquet")
    assert samples["slurm_job_id"].notna().all() and (samples["machine"] == MACHINE).all()


def test_copied_cluster_results_rebuild_the_report_without_measuring(sweeps, tmp_path):
    """The README's recipe: copy results/cells/<machine>/ (and rounds/, if any) with their
    modification times into a fresh checkout's results/, then run the workflow with the same
    sweep and machine label: only the analysis runs, no cell is measured again."""
    workstation = tmp_path / "workstation"
    for part in ("cells", "rounds"):
        source = sweeps.slurm / "results" / part / MACHINE
        if source.is_dir():
            shutil.copytree(source, workstation / "results" / part / MACHINE)  # copy2: keeps mtimes
    before = {path: path.stat().st_mtime_ns for path in (workstation / "results").rglob("*.parquet")}
    label = ["--config", f"machine={MACHINE}"]

    dry, _ = snakemake(sweeps.checkout, workstation, "-n", *label, timeout=300)
    planned = dict(re.findall(r"^(\w+)\s+(\d+)$", dry.stdout + dry.stderr, flags=re.MULTILINE))
    assert not MEASURING_RULES & set(planned), planned
    assert "aggregate_cells" in planned

    snakemake(sweeps.checkout, workstation, "--cores", "all", *label, timeout=600)
    log = snakemake_log(workstation)
    assert not MEASURING_RULES & (rules_run(log, "rule") | rules_run(log, "localrule"))
    assert {path: path.stat().st_mtime_ns for path in before} == before
    snakemake(sweeps.checkout, workstation, "--report", "results/report.html", *label, timeout=600)
    assert (workstation / "results" / "report.html").stat().st_size > 0
    rebuilt = pd.read_csv(workstation / "results/stats/verdicts.tsv", sep="\t")
    original = pd.read_csv(sweeps.slurm / "results/stats/verdicts.tsv", sep="\t")
    assert (
        rebuilt[["label", "winner"]].astype(str).values.tolist()
        == original[["label", "winner"]].astype(str).values.tolist()
    )
