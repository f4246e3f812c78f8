"""How long `snakemake -n` takes on a sweep of 10,000 cells (target: at most 20 s).

Builds a config of exactly 10,000 cells (one round each) from the kernel's own models
and times a dry run of the real workflow in a temporary directory, printing every job as
`snakemake -n` does and, for comparison, quietly (`-q`). To tell Snakemake's own per-job
cost from this workflow's, it also times the floor: a one-rule workflow with the same
cell paths, one input and a log per job, nothing else.

    python benchmarks/dag_10k.py [--cells 10000]
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
TARGET_SECONDS = 20.0


def sweep_of(cells: int) -> dict:
    """cpu_pure x 5 pool models x W worker counts x P payloads, sized to ``cells``."""
    models = ["threads", "asyncio", "processes-fork", "processes-forkserver", "processes-spawn"]
    payloads = 20
    workers = cells // (len(models) * payloads)
    config = {
        "rounds": {"base": 1, "max": 1},
        "process_workers_cap": 10**6,
        "workloads": {
            "cpu_pure": {
                "models": models,
                "workers": list(range(2, workers + 2)),
                "payloads": [f"{64 * (i + 1)}B" for i in range(payloads)],
            },
        },
    }
    return config


FLOOR_SNAKEFILE = """
CELLS = [f"results/cells/m/py/cpu_pure/model{m}/w{w}_p{p}/r1.parquet"
         for m in range(5) for w in range(config["cells"] // 100) for p in range(20)]
rule all:
    input: CELLS
rule cell:
    input: "results/probe/{machine}/{interpreter}.json"
    output: "results/cells/{machine}/{interpreter}/{workload}/{model}/w{workers}_p{payload}/r{round}.parquet"
    log: "results/logs/{machine}/{interpreter}/{workload}/{model}/w{workers}_p{payload}/r{round}.log"
    threads: workflow.cores
    shell: "true"
rule probe:
    output: "results/probe/{machine}/{interpreter}.json"
    shell: "true"
"""


def dry_run(arguments: list, workdir: str) -> tuple:
    """(seconds, run_cell jobs, all jobs) of one `snakemake -n` in ``workdir``."""
    started = time.perf_counter()
    done = subprocess.run([SNAKEMAKE, "-n", "--cores", "2", *arguments], cwd=workdir, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", done.stdout + done.stderr, flags=re.M))
    return seconds, int(counts.get("run_cell", counts.get("cell", 0))), int(counts.get("total", 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        config = Path(workdir, "config.yaml")
        config.write_text(yaml.safe_dump(sweep_of(args.cells)))
        ours = ["--snakefile", str(REPO / "Snakefile"), "--configfile", str(config)]
        seconds, jobs, total = dry_run(ours, workdir)
        quiet, _, _ = dry_run([*ours, "-q"], workdir)
    with tempfile.TemporaryDirectory() as workdir:
        Path(workdir, "Snakefile").write_text(FLOOR_SNAKEFILE)
        floor, floor_jobs, _ = dry_run(["--config", f"cells={args.cells}"], workdir)
    verdict = "meets" if seconds <= TARGET_SECONDS else "MISSES"
    print(
        f"snakemake -n: {jobs} cell jobs ({total} jobs in all) in {seconds:.1f} s "
        f"({1000 * seconds / total:.2f} ms per job); target {TARGET_SECONDS:.0f} s: {verdict}"
    )
    print(f"snakemake -n -q (jobs not printed): {quiet:.1f} s")
    print(
        f"floor, a one-rule workflow of {floor_jobs} cells with the same paths: {floor:.1f} s "
        f"(this workflow costs {seconds / floor:.2f}x Snakemake's floor)"
    )


if __name__ == "__main__":
    main()
