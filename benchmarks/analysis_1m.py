"""Aggregation plus statistics on 1,000,000 samples (target: at most 10 s), and its memory.

Synthesises a sweep's samples table in memory (a realistic shape: cells of 3 rounds x 3
repetitions plus a warm-up per round, in comparison groups of 6 models), then times the
same functions the aggregate_cells and compare_models rules call, and reports the peak
memory of this process. Wall time is the target; CPU time (all threads) is printed too,
as the machine may be shared.

    python benchmarks/analysis_1m.py [--samples 1000000]
"""

import argparse
import resource
import time

import numpy as np
import pandas as pd

from showdown import stats
from showdown.analysis import aggregate

MODELS = ["serial", "threads", "asyncio", "processes-fork", "processes-forkserver", "processes-spawn"]
ROUNDS, REPETITIONS, WARMUPS = 3, 3, 1
TARGET_SECONDS = 10.0


def synthetic_samples(samples: int, seed: int = 0) -> pd.DataFrame:
    """Rows of measured and warm-up repetitions with a drifting machine and real effects."""
    rng = np.random.default_rng(seed)
    per_cell = ROUNDS * (REPETITIONS + WARMUPS)
    groups = max(1, samples // (per_cell * len(MODELS)))
    group = np.repeat(np.arange(groups), len(MODELS) * per_cell)
    model = np.tile(np.repeat(np.arange(len(MODELS)), per_cell), groups)
    round_ = np.tile(np.repeat(np.arange(1, ROUNDS + 1), REPETITIONS + WARMUPS), groups * len(MODELS))
    repetition = np.tile(np.arange(REPETITIONS + WARMUPS), groups * len(MODELS) * ROUNDS)
    phase = 1 + 0.7 * rng.random((groups, ROUNDS + 1))[group, round_]
    effect = np.array([1.0, 1.0, 1.05, 0.6, 0.62, 0.65])[model]
    wall = 0.2 * effect * phase * rng.lognormal(0, 0.03, group.size)
    return pd.DataFrame(
        {
            "machine": "bench",
            "interpreter": "py311",
            "config_hash": "c0ffee",
            "workload": "cpu_pure",
            "kind": "cpu_pure",
            "model": np.array(MODELS)[model],
            "workers": np.where(model == 0, 1, 2 + group % 4),
            "payload_bytes": 64 * (1 + group // 4),
            "round": round_,
            "repetition": repetition,
            "warmup": repetition < WARMUPS,
            "tasks": 100,
            "wall_seconds": wall,
            "cpu_user_seconds": wall,
            "cpu_system_seconds": 0.0,
            "pool_start_seconds": 0.01,
            "probe_pure_seconds": 0.01 * phase,
            "peak_rss_bytes": 50_000_000,
            "peak_uss_bytes": 40_000_000,
            "peak_pss_bytes": 45_000_000,
            "status": "ok",
            "host": "bench",
            "cpu_model": "cpu",
            "logical_cpus": 2,
            "load_average": 0.5,
            "python_version": "3.11.7",
            "gil_enabled": True,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    args = parser.parse_args()
    samples = synthetic_samples(args.samples)
    table_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, started_cpu = time.perf_counter(), time.process_time()
    samples["measured"] = (samples["status"] == "ok") & ~samples["warmup"]
    samples["flagged"] = aggregate.flag_slow_phases(samples, 1.3)
    cells = aggregate.cell_summary(samples, precision=0.03)
    aggregated, aggregated_cpu = time.perf_counter(), time.process_time()
    verdicts, pairs = stats.verdicts(samples[samples["measured"]])
    finished, finished_cpu = time.perf_counter(), time.process_time()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = finished - started
    print(
        f"{len(samples):,} samples, {len(cells):,} cells, {len(verdicts):,} comparison groups, "
        f"{len(pairs):,} pairs, round-level t-intervals"
    )
    print(
        f"aggregation {aggregated - started:.1f} s (cpu {aggregated_cpu - started_cpu:.1f} s) + "
        f"statistics {finished - aggregated:.1f} s (cpu {finished_cpu - aggregated_cpu:.1f} s) = "
        f"{total:.1f} s (target {TARGET_SECONDS:.0f} s: {'meets' if total <= TARGET_SECONDS else 'MISSES'}); "
        f"peak memory {peak_mib:,.0f} MiB ({table_mib:,.0f} MiB with just the table)"
    )


if __name__ == "__main__":
    main()
