"""Does the cell harness measure what pyperf measures? Same kernels, both tools, one run.

For each kernel (a workload batch run by a model), pyperf (its own worker processes,
calibrated loops) and showdown's cell harness (a fresh kernel process per round, speed
probe, warm-up) each time the batch; the two alternate ``--pairs`` times so that both meet
the same machine phases. Prints both medians and their ratio. Target: within 5%.

    python benchmarks/fidelity_pyperf.py [--pairs 3]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pyperf

from showdown.cell.interpreters import Interpreter
from showdown.cell.job import run_kernel

# name: (workload, model, workers, payload_bytes, tasks, params)
KERNELS = {
    "cpu_pure serial": ("cpu_pure", "serial", 1, 1024, 40, {"iterations": 20000}),
    "cpu_gil_released serial": ("cpu_gil_released", "serial", 1, 65536, 40, {"bytes_per_task": 1 << 20}),
    "cpu_pure threads x2": ("cpu_pure", "threads", 2, 1024, 40, {"iterations": 20000}),
    "io_sleep threads x4": ("io_sleep", "threads", 4, 64, 16, {"latency_ms": 10.0, "tasks": 16}),
}
TARGET = 0.05

PYPERF_SCRIPT = """
import json
import pyperf
from showdown.kernel.catalogue import WORKLOADS
from showdown.kernel.scenarios import PoolScenario

kernels = json.loads(KERNELS_JSON)
runner = pyperf.Runner(processes=6, values=3, warmups=1)
for name, (kind, model, workers, payload, tasks, params) in kernels.items():
    scenario = PoolScenario(WORKLOADS[kind], model, workers, payload, tasks, params)
    scenario.start()
    runner.bench_func(name, scenario.run_batch)
"""


def harness_median(kernel) -> float:
    kind, model, workers, payload, tasks, params = kernel
    spec = dict(
        workload=kind,
        model=model,
        workers=workers,
        payload_bytes=payload,
        tasks=tasks,
        params=params,
        warmups=1,
        repetitions=3,
    )
    outcome, answer = run_kernel(Interpreter("here", (sys.executable,)), "run", spec, timeout=300)
    if not answer or answer["status"] != "ok":
        raise RuntimeError(outcome.stderr_tail())
    return statistics.median(s["wall_seconds"] for s in answer["samples"] if not s["warmup"])


def pyperf_medians(workdir: Path) -> dict:
    script = workdir / "bench.py"
    # pyperf re-runs the script for its workers with arguments of its own: the kernels
    # travel inside the script.
    script.write_text(f"KERNELS_JSON = {json.dumps(json.dumps(KERNELS))}\n" + PYPERF_SCRIPT)
    output = workdir / "pyperf.json"
    output.unlink(missing_ok=True)
    subprocess.run([sys.executable, str(script), "--quiet", "-o", str(output)], check=True, capture_output=True)
    suite = pyperf.BenchmarkSuite.load(str(output))
    return {bench.get_name(): bench.median() for bench in suite.get_benchmarks()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    ours = {name: [] for name in KERNELS}
    theirs = {name: [] for name in KERNELS}
    with tempfile.TemporaryDirectory() as workdir:
        for _ in range(args.pairs):
            for name, kernel in KERNELS.items():
                ours[name].append(harness_median(kernel))
            for name, median in pyperf_medians(Path(workdir)).items():
                theirs[name].append(median)
    print(f"{'kernel':28} {'pyperf':>10} {'showdown':>10} {'ratio':>7}")
    for name in KERNELS:
        a, b = statistics.median(theirs[name]), statistics.median(ours[name])
        flag = "" if abs(b / a - 1) <= TARGET else "  (outside 5%)"
        print(f"{name:28} {1000 * a:8.2f}ms {1000 * b:8.2f}ms {b / a:7.3f}{flag}")


if __name__ == "__main__":
    main()
