"""Aggregating round files: one table of samples, a summary per cell, the failures.

Failed cells are kept out of every statistic and listed; machine labels are checked for
hardware that does not match; repetitions taken in a slow phase of the machine (by the
speed probe) are flagged, kept and counted.
"""

from typing import Iterable, List

import numpy as np
import pandas as pd

from . import stats
from .record import read_round_files

CELL_KEY = ["machine", "interpreter", "config_hash", "workload", "kind", "model", "workers", "payload_bytes"]


class MixedMachines(ValueError):
    """One machine label covers different hardware: its cells cannot be compared."""


def load_samples(paths: Iterable[str], slow_phase_factor: float) -> pd.DataFrame:
    """Every row of the round files, with ``measured`` and ``flagged`` columns added."""
    samples = read_round_files(paths).to_pandas()
    samples["measured"] = (samples["status"] == "ok") & ~samples["warmup"].astype(bool)
    samples["flagged"] = flag_slow_phases(samples, slow_phase_factor)
    check_machine_labels(samples)
    return samples


def flag_slow_phases(samples: pd.DataFrame, factor: float) -> pd.Series:
    """True where the pure-Python probe ran ``factor`` times slower than its median.

    The median is taken per machine and interpreter over the whole sweep: it is the
    machine's usual speed, and a repetition beyond it was taken in a slow phase.
    """
    probe = samples["probe_pure_seconds"].where(samples["measured"])
    usual = probe.groupby([samples["machine"], samples["interpreter"]]).transform("median")
    return (probe > factor * usual).fillna(False).astype(bool)


def check_machine_labels(samples: pd.DataFrame) -> None:
    hardware = samples.dropna(subset=["cpu_model"]).groupby("machine")[["cpu_model", "logical_cpus"]]
    for machine, rows in hardware:
        kinds = rows.drop_duplicates()
        if len(kinds) > 1:
            described = "; ".join(f"{r.cpu_model} x{r.logical_cpus}" for r in kinds.itertuples())
            raise MixedMachines(
                f"machine label {machine!r} covers different hardware ({described}): "
                "give each kind of node its own `machine` label and rerun its cells"
            )


def failed_cells(samples: pd.DataFrame) -> pd.DataFrame:
    """One row per failed or not-applicable (cell, round), with its message."""
    failed = samples[samples["status"] != "ok"]
    columns = [*CELL_KEY, "round", "status", "message", "host", "started_at"]
    return failed[columns].sort_values(CELL_KEY + ["round"]).reset_index(drop=True)


def _rounds(rows: pd.DataFrame) -> dict:
    return {r: g["wall_seconds"].to_numpy() for r, g in rows.groupby("round")}


def cell_summary(samples: pd.DataFrame, *, n_boot: int, seed: int, precision: float) -> pd.DataFrame:
    """Per cell: median, IQR, bootstrap CI of the median, speedup over serial with its CI."""
    measured = samples[samples["measured"]]
    serial = {
        key: _rounds(rows)
        for key, rows in measured[measured["model"] == stats.SERIAL].groupby(list(stats.SERIAL_KEY))
    }
    records: List[dict] = []
    for key, rows in measured.groupby(CELL_KEY):
        cell = dict(zip(CELL_KEY, key))
        wall = rows["wall_seconds"].to_numpy()
        median, low, high = stats.median_ci(wall, n_boot=n_boot, rng=seed)
        baseline = serial.get(tuple(cell[k] for k in stats.SERIAL_KEY))
        speedup = (np.nan,) * 3
        if baseline is not None:
            speedup = stats.speedup_ci(_rounds(rows), baseline, n_boot=n_boot, rng=seed)
        cpu = (rows["cpu_user_seconds"] + rows["cpu_system_seconds"]) / rows["wall_seconds"]
        probe_by_round = rows.groupby("round")["probe_pure_seconds"].median()
        half_width = (high - low) / 2 / median if median else np.nan
        records.append(
            {
                **cell,
                "rounds": rows["round"].nunique(),
                "samples": len(rows),
                "flagged": int(rows["flagged"].sum()),
                "tasks": int(rows["tasks"].iloc[0]),
                "median_seconds": median,
                "q1_seconds": float(np.quantile(wall, 0.25)),
                "q3_seconds": float(np.quantile(wall, 0.75)),
                "ci_low_seconds": low,
                "ci_high_seconds": high,
                "relative_half_width": half_width,
                "precision_met": bool(half_width <= precision),
                "speedup": speedup[0],
                "speedup_ci_low": speedup[1],
                "speedup_ci_high": speedup[2],
                "cpu_per_wall": float(cpu.median()),
                "pool_start_seconds": float(rows["pool_start_seconds"].median()),
                "peak_rss_bytes": rows["peak_rss_bytes"].max(),
                "peak_uss_bytes": rows["peak_uss_bytes"].max(),
                "peak_pss_bytes": rows["peak_pss_bytes"].max(),
                "probe_drift": float(probe_by_round.max() / probe_by_round.min()),
                "coefficient_of_variation": float(np.std(wall) / np.mean(wall)),
                "host": ",".join(sorted(rows["host"].dropna().unique())),
                "python_version": rows["python_version"].iloc[0],
                "gil_enabled": bool(rows["gil_enabled"].iloc[0]),
            }
        )
    return pd.DataFrame(records)


def failed_groups(samples: pd.DataFrame) -> pd.DataFrame:
    """Comparison groups in which no model measured anything: reported as failed, not as ties.

    Groups as the statistics form them: serial and A/A twins join others, never lead one.
    """
    key = list(stats.GROUP_KEY)
    leaders = samples[(samples["model"] != stats.SERIAL) & ~samples["model"].str.endswith(stats.AA_SUFFIX)]
    all_failed = leaders.groupby(key)["status"].agg(lambda s: bool((s != "ok").all()))
    return all_failed[all_failed].reset_index()[key].assign(verdict="all cells failed")


def write_aggregate(
    paths: Iterable[str],
    *,
    samples_out: str,
    cells_out: str,
    failed_out: str,
    slow_phase_factor: float,
    n_boot: int,
    seed: int,
    precision: float,
) -> pd.DataFrame:
    """The aggregate_cells rule: all samples (Parquet), cell summaries and failures (TSV)."""
    samples = load_samples(paths, slow_phase_factor)
    samples.to_parquet(samples_out, index=False)
    cell_summary(samples, n_boot=n_boot, seed=seed, precision=precision).to_csv(
        cells_out, sep="\t", index=False
    )
    failed_cells(samples).to_csv(failed_out, sep="\t", index=False)
    return samples


def write_not_applicable(declared: List[dict], samples_path: str, output: str) -> pd.DataFrame:
    """Declared pairs (the applicability table, the process cap) and those found at run time.

    A pair is found not applicable at run time when the kernel says so under a given
    interpreter (a start method the platform lacks, a package the interpreter has not).
    """
    samples = pd.read_parquet(samples_path)
    found = samples[samples["status"] == "not_applicable"]
    runtime = found[["machine", "interpreter", "workload", "model", "workers", "payload_bytes", "message"]]
    table = pd.concat(
        [
            pd.DataFrame(declared, columns=[*runtime.columns[:-1], "message"]).assign(decided="config"),
            runtime.drop_duplicates().assign(decided="run time"),
        ],
        ignore_index=True,
    ).rename(columns={"message": "reason"})
    table.to_csv(output, sep="\t", index=False)
    return table
