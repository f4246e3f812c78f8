"""The tiny sweep through SLURM (profiles/slurm) on a one-node test cluster, checked from its data:
two node types in one run (the node's two partitions, one also by its feature), two labels.

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

# The README's form: node types in a file beside the sweep, one label each, over the one node.
NODE_TYPES = {"slurm-main": {"partition": "main"}, "slurm-other": {"partition": "other", "constraint": "showdown"}}
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
SLURM_SWEEP_SECONDS = 1800  # ~2 min here: 12 jobs one after another, ~10 s each
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


def cluster_sweep(directory: Path) -> Path:
    """The sweep both node types measure: the tiny one cut to what the SLURM path has to show
    (a calibrated workload and an uncalibrated one, one round each, two models each): every
    SLURM job costs ~10 s here (two Snakemake start-ups inside it), so 12 jobs instead of 32."""
    config = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    config["rounds"] = {"base": 1, "max": 1}
    config["workloads"] = {name: config["workloads"][name] for name in ("cpu_pure", "io_sleep")}
    config["workloads"]["cpu_pure"]["models"] = ["serial", "threads"]
    config["workloads"]["io_sleep"]["models"] = ["serial", "threads"]
    path = directory / "sweep.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def snakemake(checkout: Path, workdir: Path, *args, configfiles, timeout: int, check: bool = True, env=None):
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
        *map(str, configfiles),
    ]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=workdir,
        env={**sweep_env(checkout), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout + 30,
        check=False,
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

    # id, state, comment (rule_<rule>_...), time, mem, CPUs, oversubscribe, partition, features asked
    FORMAT = "%i|%T|%k|%l|%m|%C|%h|%P|%f"

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
                    slurm_id, state, comment, limit, memory, cpus, oversubscribe, partition, features = line.split("|")
                    if state in ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING"):
                        queued += 1
                    self.jobs[slurm_id] = {
                        "state": state,
                        "comment": comment,
                        "time_limit": limit,
                        "min_memory": memory,
                        "cpus": int(cpus),
                        "oversubscribe": oversubscribe,
                        "partition": partition,
                        "features": features,
                    }
                self.trace.append((round(time.time(), 2), queued))
                if queued > self.max_queued:
                    self.max_queued, self.max_queued_at = queued, time.time()
            self.stop.wait(self.interval)


@dataclass
class Sweeps:
    checkout: Path
    sweep: Path  # the sweep's config file
    node_types: Path  # the node types' config file
    slurm: Path
    local: Path
    cpus: int
    durations: dict
    watch: QueueWatch
    log: str = ""
    slurm_ids: dict = field(default_factory=dict)
    # The README's one-label form (`--config machine=...` on SHOWDOWN_SLURM_PARTITION), planned.
    one_label_plan: str = ""


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
    sweep = cluster_sweep(base)
    node_types = base / "node_types.yaml"
    node_types.write_text(yaml.safe_dump({"node_types": NODE_TYPES}))
    slurm_dir, local_dir = base / "slurm-sweep", base / "local-sweep"
    slurm_dir.mkdir()
    local_dir.mkdir()
    durations = {}

    started = time.perf_counter()
    up = subprocess.run([str(CLUSTER_SH), "up", str(state)], capture_output=True, text=True, timeout=900, check=False)
    durations["cluster_start_seconds"] = round(time.perf_counter() - started, 2)
    watch = QueueWatch()
    sweeps = Sweeps(checkout, sweep, node_types, slurm_dir, local_dir, 0, durations, watch)
    try:
        if up.returncode:
            skip_or_fail(
                "SLURM/munge could not be installed or started (tests/slurm/cluster.sh up "
                f"exited {up.returncode}): {(up.stdout + up.stderr).strip()[-1500:]}"
            )
        sweeps.cpus = node_cpus()
        one_label, _ = snakemake(
            checkout,
            base,
            "-n",
            "--workflow-profile",
            str(checkout / "profiles" / "slurm"),
            "--config",
            "machine=slurmtest",
            configfiles=[sweep],
            env={"SHOWDOWN_SLURM_PARTITION": "other"},
            timeout=300,
        )
        sweeps.one_label_plan = one_label.stdout + one_label.stderr
        watch.start()
        started = time.perf_counter()
        try:
            snakemake(
                checkout,
                slurm_dir,
                "--workflow-profile",
                str(checkout / "profiles" / "slurm"),
                configfiles=[sweep, node_types],
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
    _, seconds = snakemake(
        checkout, local_dir, "--cores", "all", "--config", "machine=local", configfiles=[sweep],
        timeout=LOCAL_SWEEP_SECONDS
    )  # fmt: skip
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


def job_label(job: dict) -> str:
    """The machine label of a job, from its comment (rule_<rule>_wildcards_<machine>_...)."""
    (label,) = [label for label in NODE_TYPES if re.match(rf"rule_\w+?_wildcards_{label}_", job["comment"])]
    return label


def test_each_node_types_jobs_went_to_its_partition_and_features(sweeps):
    seen = set()
    for slurm_id, rule in sweeps.slurm_ids.items():
        job = sweeps.watch.jobs[slurm_id]
        label = job_label(job)
        assert job["partition"] == NODE_TYPES[label]["partition"], (rule, job)
        assert job["features"] == NODE_TYPES[label].get("constraint", "(null)"), (rule, job)
        seen.add((label, rule))
    assert seen == {(label, rule) for label in NODE_TYPES for rule in MEASURING_RULES}


def test_one_label_on_a_partition_still_plans_as_the_readme_says(sweeps):
    """Without node types: `machine` on SHOWDOWN_SLURM_PARTITION, planned (-n) while the cluster ran."""
    planned = dict(re.findall(r"^(\w+)\s+(\d+)$", sweeps.one_label_plan, flags=re.MULTILINE))
    assert MEASURING_RULES <= set(planned), sweeps.one_label_plan[-3000:]


def test_cells_ask_for_their_workloads_runtime_and_memory(sweeps):
    """The profile must not override run_cell's runtime (cell timeout + 5 min) and mem_mb."""
    config = yaml.safe_load(sweeps.sweep.read_text())
    sweep = load_sweep({**config, "machine": "any"})
    checked = 0
    for slurm_id, rule in sweeps.slurm_ids.items():
        if rule != "run_cell":
            continue
        job = sweeps.watch.jobs[slurm_id]
        label = job_label(job)
        workload = max(
            (
                w
                for i in sweep.interpreters
                for w in sweep.workloads
                if job["comment"].startswith(f"rule_run_cell_wildcards_{label}_{i}_{w}_")
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

    def shape(files, label):
        found = {}
        for path, rows in files.items():
            if not path.startswith(f"{label}/"):
                continue
            key = tuple(rows[COORDINATES].drop_duplicates().itertuples(index=False, name=None))
            assert len(key) == 1, key
            found[key[0]] = (len(rows), list(rows.columns))
        return found

    local_shape = shape(local, "local")
    assert local_shape
    for label in NODE_TYPES:
        slurm_shape = shape(slurm, label)
        assert set(slurm_shape) == set(local_shape)
        assert slurm_shape == local_shape
    # For the record (pytest -s): median wall time per cell, locally and through SLURM.
    print("\nmedian wall seconds per cell (local vs SLURM):")
    medians = {}
    for name, files in (("local", local), ("slurm", slurm)):
        rows = pd.concat(files.values())
        measured = rows[~rows["warmup"]]
        medians[name] = measured.groupby(["workload", "model", "workers", "payload_bytes"])["wall_seconds"].median()
    # Both node types are the same node here: their ratio against the local run is one figure.
    print(pd.DataFrame(medians).assign(ratio=lambda t: t.slurm / t.local).to_string())


def test_each_node_types_label_names_its_paths_and_rows(sweeps):
    files = round_files(sweeps.slurm)
    for path, rows in files.items():
        assert (rows["machine"] == path.split("/")[0]).all(), path
    assert {path.split("/")[0] for path in files} == set(NODE_TYPES)
    assert {p.name for p in (sweeps.slurm / "results" / "cells").iterdir()} == set(NODE_TYPES)


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
    assert set(verdicts["workload"]) == {"cpu_pure", "io_sleep"}
    samples = pd.read_parquet(results / "aggregate/samples.parquet")
    assert samples["slurm_job_id"].notna().all() and set(samples["machine"]) == set(NODE_TYPES)


def test_the_guide_has_a_column_per_node_type(sweeps):
    guide = pd.read_csv(sweeps.slurm / "results" / "guide.tsv", sep="\t")
    assert {column.split(" · ")[0] for column in guide.columns[1:]} == set(NODE_TYPES), list(guide.columns)


def test_copied_cluster_results_rebuild_the_report_without_measuring(sweeps, tmp_path):
    """The README's recipe: copy results/cells/ and results/rounds/ (every node type's label,
    each with its manifest) with their modification times into a fresh checkout's results/,
    then run the workflow with the same sweep, one of the labels as `machine` and its CPUs as
    SHOWDOWN_CORES: only the analysis runs, of both labels, and no cell is measured again."""
    workstation = tmp_path / "workstation"
    for part in ("cells", "rounds"):
        source = sweeps.slurm / "results" / part
        if source.is_dir():
            shutil.copytree(source, workstation / "results" / part)  # copy2: keeps mtimes
    before = {path: path.stat().st_mtime_ns for path in (workstation / "results").rglob("*.parquet")}
    label = ["--config", f"machine={next(iter(NODE_TYPES))}"]
    home = {"configfiles": [sweeps.sweep], "env": {"SHOWDOWN_CORES": str(sweeps.cpus)}}

    dry, _ = snakemake(sweeps.checkout, workstation, "-n", *label, timeout=300, **home)
    planned = dict(re.findall(r"^(\w+)\s+(\d+)$", dry.stdout + dry.stderr, flags=re.MULTILINE))
    assert not MEASURING_RULES & set(planned), planned
    assert "aggregate_cells" in planned

    snakemake(sweeps.checkout, workstation, "--cores", "all", *label, timeout=600, **home)
    log = snakemake_log(workstation)
    assert not MEASURING_RULES & (rules_run(log, "rule") | rules_run(log, "localrule"))
    assert {path: path.stat().st_mtime_ns for path in before} == before
    snakemake(sweeps.checkout, workstation, "--report", "results/report.html", *label, timeout=600, **home)
    assert (workstation / "results" / "report.html").stat().st_size > 0
    rebuilt = pd.read_csv(workstation / "results/stats/verdicts.tsv", sep="\t")
    original = pd.read_csv(sweeps.slurm / "results/stats/verdicts.tsv", sep="\t")
    assert set(rebuilt["machine"]) == set(NODE_TYPES)
    columns = ["machine", "label", "winner"]
    assert sorted(rebuilt[columns].astype(str).values.tolist()) == sorted(original[columns].astype(str).values.tolist())
