"""How long `snakemake -n` takes on a sweep of 10,000 cells (target: at most 20 s).

Builds a config of exactly 10,000 cells (one round each) from the kernel's own models
and times a dry run of the real workflow in a temporary directory.

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
            "cpu_pure": {"models": models, "workers": list(range(2, workers + 2)),
                         "payloads": [f"{64 * (i + 1)}B" for i in range(payloads)]},
        },
    }
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        config = Path(workdir, "config.yaml")
        config.write_text(yaml.safe_dump(sweep_of(args.cells)))
        command = [SNAKEMAKE, "-n", "--cores", "2", "--snakefile", str(REPO / "Snakefile"),
                   "--configfile", str(config)]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    jobs = int(re.search(r"^run_cell\s+(\d+)$", done.stdout + done.stderr, flags=re.M)[1])
    total = int(re.search(r"^total\s+(\d+)$", done.stdout + done.stderr, flags=re.M)[1])
    verdict = "meets" if seconds <= TARGET_SECONDS else "MISSES"
    print(f"snakemake -n: {jobs} cell jobs ({total} jobs in all) in {seconds:.1f} s "
          f"({1000 * seconds / total:.2f} ms per job); target {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
