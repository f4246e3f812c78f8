"""Aggregating round files: one table of samples, a summary per cell, the failures.

Failed cells are kept out of every statistic and listed; machine labels are checked for
hardware that does not match; repetitions taken in a slow phase of the machine (by the
speed probe) are flagged, kept and counted.
"""

from typing import Iterable

import numpy as np
import pandas as pd

from .. import stats
from ..cell import read_round_files
from ..vocabulary import (
    AA_SUFFIX,
    CELL_KEY,
    CPU_KINDS,
    GIL_HOLDING_KINDS,
    GROUP_KEY,
    LATENCY_KINDS,
    SERIAL,
    shares_one_interpreter,
)  # fmt: skip


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
    return failed[columns].sort_values([*CELL_KEY, "round"]).reset_index(drop=True)


SUMMARY_COLUMNS = [
    *CELL_KEY, "rounds", "samples", "flagged", "tasks",
    "median_seconds", "q1_seconds", "q3_seconds", "level_seconds", "ci_low_seconds", "ci_high_seconds",
    "relative_half_width", "precision_met", "round_spread", "spread_ratio", "noisy", "noise_reference",
    "speedup", "speedup_ci_low", "speedup_ci_high", "ideal_speedup", "efficiency", "above_limit",
    "cpu_per_wall", "pool_start_seconds", "peak_rss_bytes", "peak_uss_bytes", "peak_pss_bytes",
    "probe_drift", "load_average", "logical_cpus", "host", "python_version", "gil_enabled",
]  # fmt: skip


def cell_summary(samples: pd.DataFrame, *, precision: float) -> pd.DataFrame:
    """Per cell: median and IQR of its repetitions, and round-level estimates.

    The interval of a cell's typical time, its precision, its speedup over serial (the
    serial rows of its work, :data:`SERIAL_KEY`, round by round) and its noise flag all
    come from :func:`stats.cell_estimates`: the round is the unit of evidence.
    """
    measured = samples[samples["measured"]]
    if measured.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    key = list(CELL_KEY)
    grouped = measured.assign(
        cpu=(measured["cpu_user_seconds"] + measured["cpu_system_seconds"]) / measured["wall_seconds"]
    ).groupby(key, sort=True, observed=True)
    wall = grouped["wall_seconds"]
    probe = measured.groupby([*key, "round"], sort=True, observed=True)["probe_pure_seconds"].median()
    probe = probe.groupby(level=list(range(len(key))))
    first = grouped.nth(0).set_index(key)
    summary = pd.DataFrame(
        {
            "samples": wall.size(),
            "flagged": grouped["flagged"].sum().astype(np.int64),
            "tasks": first["tasks"].astype(np.int64),
            "median_seconds": wall.median(),
            "q1_seconds": wall.quantile(0.25),
            "q3_seconds": wall.quantile(0.75),
            "cpu_per_wall": grouped["cpu"].median(),
            "pool_start_seconds": grouped["pool_start_seconds"].median(),
            **{name: grouped[name].max() for name in ("peak_rss_bytes", "peak_uss_bytes", "peak_pss_bytes",
                                                       "load_average")},
            "probe_drift": probe.max() / probe.min(),
            "logical_cpus": first["logical_cpus"],
            "host": grouped["host"].agg(lambda hosts: ",".join(sorted(set(hosts.dropna())))),
            "python_version": first["python_version"],
            "gil_enabled": first["gil_enabled"].astype(bool),
        }
    ).reset_index()
    summary = summary.merge(stats.cell_estimates(measured), on=key, how="left")
    summary["precision_met"] = summary["relative_half_width"] <= precision
    summary = pd.concat([summary, stats.spread_test(summary)], axis=1)
    summary["ideal_speedup"] = ideal_speedup(summary)
    summary["efficiency"] = summary["speedup"] / summary["ideal_speedup"]
    # A speedup whose whole interval lies above what its model can reach is implausible.
    summary["above_limit"] = (summary["speedup_ci_low"] > model_limit(summary)).fillna(False).astype(bool)
    return summary[SUMMARY_COLUMNS]


def ideal_speedup(cells: pd.DataFrame) -> pd.Series:
    """The physical limit of each cell's speedup over serial, from the machine that ran it.

    CPU work: linear up to the core count, min(workers, cores). Latency-bound I/O: the
    tasks run in ceil(tasks / workers) waves of one latency each, so tasks / waves. Other
    work has no simple bound (NaN).
    """
    waves = np.ceil(cells["tasks"] / cells["workers"])
    bound = pd.Series(np.nan, index=cells.index)
    cpu = cells["kind"].isin(CPU_KINDS)
    latency = cells["kind"].isin(LATENCY_KINDS)
    bound[cpu] = np.minimum(cells["workers"], cells["logical_cpus"])[cpu]
    bound[latency] = (cells["tasks"] / waves)[latency]
    return bound


def model_limit(cells: pd.DataFrame) -> pd.Series:
    """The limit a cell's own model cannot pass: the ideal, or 1 where one GIL serialises it.

    Threads, asyncio and serial share one interpreter: on GIL-holding work with the GIL on
    they cannot beat serial, whatever the cores. A speedup above it is the harness's doing.
    """
    one_gil = (
        cells["kind"].isin(GIL_HOLDING_KINDS) & cells["gil_enabled"].astype(bool)
        & cells["model"].map(shares_one_interpreter)
    )  # fmt: skip
    return ideal_speedup(cells).where(~one_gil, 1.0)


def noisy_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Cells whose numbers deserve suspicion, and why: shown in the report, never dropped."""
    reasons = {
        "rounds spread more than identical jobs do (F-test at 1% against "
        + str(cells["noise_reference"].iloc[0] if len(cells) else "")
        + ")": cells["noisy"],
        # The 1-minute average counts the sweep's own previous cell too (its workers keep a
        # 2-core machine near 2-3): only a load well beyond the machine says "crowded".
        "load average above twice the CPU count": cells["load_average"] > 2 * cells["logical_cpus"],
        "speedup above its physical limit (the whole interval)": cells["above_limit"],
    }
    why = pd.Series("", index=cells.index)
    for reason, hit in reasons.items():
        why = why.where(~hit.fillna(False).astype(bool), why + "; " + reason)
    columns = [*CELL_KEY, "why", "round_spread", "spread_ratio", "probe_drift", "load_average", "flagged", "rounds"]
    return cells.assign(why=why.str.lstrip("; "))[why != ""][columns]


def failed_groups(samples: pd.DataFrame) -> pd.DataFrame:
    """Comparison groups in which no model measured anything: reported as failed, not as ties.

    Groups as the statistics form them: serial and A/A twins join others, never lead one.
    """
    key = list(GROUP_KEY)
    leaders = samples[(samples["model"] != SERIAL) & ~samples["model"].str.endswith(AA_SUFFIX)]
    all_failed = leaders.groupby(key)["status"].agg(lambda s: bool((s != "ok").all()))
    return all_failed[all_failed].reset_index()[key].assign(verdict="all cells failed")


def write_aggregate(
    paths: Iterable[str],
    *,
    samples_out: str,
    cells_out: str,
    failed_out: str,
    noisy_out: str,
    slow_phase_factor: float,
    precision: float,
) -> pd.DataFrame:
    """The aggregate_cells rule: all samples (Parquet), cell summaries and failures (TSV)."""
    samples = load_samples(paths, slow_phase_factor)
    samples.to_parquet(samples_out, index=False)
    cells = cell_summary(samples, precision=precision)
    cells.to_csv(cells_out, sep="\t", index=False)
    noisy_cells(cells).to_csv(noisy_out, sep="\t", index=False)
    failed_cells(samples).to_csv(failed_out, sep="\t", index=False)
    return samples
