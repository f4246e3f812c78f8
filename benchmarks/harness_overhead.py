"""The instrument's own cost per cell job: job time minus the time spent in the kernel.

Runs a sweep (default: config/test.yaml) in a temporary directory, or reads a finished one
(--results). A job's time is the span from its start to the next job's start (every
measuring job holds all cores, so jobs follow one another). The harness overhead is that
span minus the kernel process's wall time: Snakemake, the runner's start and imports, the
round file. Target: at most 0.5 s or 5% of the job, whichever is larger. Also printed: the
kernel's own time outside the timed batches (interpreter start, warm-ups, speed probes,
pool start-up), which the config's warm-ups and probes decide, not the harness.

    python benchmarks/harness_overhead.py [--config config/test.yaml | --results results]
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
TARGET_SECONDS, TARGET_SHARE = 0.5, 0.05


def run_sweep(config: Path, workdir: Path) -> float:
    command = [
        SNAKEMAKE,
        "--cores",
        "all",
        "--snakefile",
        str(REPO / "Snakefile"),
        "results/aggregate/samples.parquet",
        "--configfile",
        str(config.resolve()),
    ]
    started = time.perf_counter()
    subprocess.run(command, cwd=workdir, check=True, capture_output=True)
    return time.perf_counter() - started


def job_costs(samples: pd.DataFrame) -> pd.DataFrame:
    """One row per (cell, round) job: its span to the next job's start and its kernel's time."""
    key = ["interpreter", "workload", "model", "workers", "payload_bytes", "round"]
    jobs = (
        samples.groupby(key)
        .agg(
            started=("started_at", "first"),
            measured_seconds=("wall_seconds", "sum"),
            kernel_seconds=("kernel_seconds", "first"),
        )
        .reset_index()
    )
    jobs["started"] = pd.to_datetime(jobs["started"])
    jobs = jobs.sort_values("started")
    jobs["span_seconds"] = jobs["started"].shift(-1).sub(jobs["started"]).dt.total_seconds()
    jobs = jobs.dropna(subset=["span_seconds"])  # the last job has no successor
    jobs["harness_seconds"] = jobs["span_seconds"] - jobs["kernel_seconds"]
    jobs["kernel_unmeasured_seconds"] = jobs["kernel_seconds"] - jobs["measured_seconds"]
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--config", type=Path, default=REPO / "config" / "test.yaml")
    source.add_argument("--results", type=Path)
    args = parser.parse_args()
    if args.results:
        samples = pd.read_parquet(args.results / "aggregate" / "samples.parquet")
        sweep_seconds = None
    else:
        with tempfile.TemporaryDirectory() as workdir:
            sweep_seconds = run_sweep(args.config, Path(workdir))
            samples = pd.read_parquet(Path(workdir) / "results" / "aggregate" / "samples.parquet")
    jobs = job_costs(samples)
    harness = jobs["harness_seconds"]
    allowed = (jobs["span_seconds"] * TARGET_SHARE).clip(lower=TARGET_SECONDS)
    meets = (harness <= allowed).mean()
    if sweep_seconds:
        print(f"sweep of {len(jobs) + 1} cell jobs: {sweep_seconds:.1f} s in all")
    print(
        f"per job (median of {len(jobs)}): span {jobs['span_seconds'].median():.2f} s, "
        f"kernel process {jobs['kernel_seconds'].median():.2f} s, of which timed batches "
        f"{jobs['measured_seconds'].median():.2f} s"
    )
    print(
        f"harness overhead (span minus kernel): median {harness.median():.2f} s, "
        f"p90 {harness.quantile(0.9):.2f} s, {100 * (harness / jobs['span_seconds']).median():.0f}% of a job"
    )
    print(
        f"kernel outside its timed batches (start, warm-ups, probes, pools): median "
        f"{jobs['kernel_unmeasured_seconds'].median():.2f} s"
    )
    verdict = "meets" if harness.median() <= allowed.median() else "MISSES"
    print(f"target max(0.5 s, 5% of the job): {verdict} (met by {100 * meets:.0f}% of jobs)")


if __name__ == "__main__":
    main()
