"""Aggregating round files: one table of samples, a summary per cell, the failures.

Failed cells are kept out of every statistic and listed; machine labels are checked for
hardware that does not match; repetitions taken in a slow phase of the machine (by the
speed probe) are flagged, kept and counted.
"""

from typing import Iterable

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


SUMMARY_COLUMNS = [
    *CELL_KEY, "rounds", "samples", "flagged", "tasks",
    "median_seconds", "q1_seconds", "q3_seconds", "ci_low_seconds", "ci_high_seconds",
    "relative_half_width", "precision_met", "speedup", "speedup_ci_low", "speedup_ci_high",
    "cpu_per_wall", "pool_start_seconds", "peak_rss_bytes", "peak_uss_bytes", "peak_pss_bytes",
    "probe_drift", "coefficient_of_variation", "load_average", "logical_cpus", "ideal_speedup",
    "efficiency", "host", "python_version", "gil_enabled",
]  # fmt: skip
# The kinds of work whose speedup has a physical limit (see ideal_speedup), by the bound.
CPU_BOUND_KINDS = ("cpu_pure", "cpu_gil_released")
LATENCY_BOUND_KINDS = ("io_sleep", "io_net")
# Noisy cells, flagged in the report rather than hidden: the thresholds say why.
NOISY_VARIATION = 0.10


def cell_summary(samples: pd.DataFrame, *, n_boot: int, seed: int, precision: float) -> pd.DataFrame:
    """Per cell: median, IQR, bootstrap CI of the median, speedup over serial with its CI.

    Every statistic is computed for all cells at once (grouped reductions, and the
    batched bootstrap of :func:`stats.median_cis` and :func:`stats.ratio_cis`). The
    speedup is 1 / the ratio of the cell to the serial rows of its work
    (:data:`stats.SERIAL_KEY`), round by round, as :func:`stats.speedup_ci`.
    """
    measured = np.flatnonzero(samples["measured"].to_numpy(bool))
    codes: dict = {}
    cell, keys = stats.group_numbers(samples, CELL_KEY, measured, codes=codes)
    rows = measured[cell >= 0]
    cell = cell[cell >= 0]
    n_cells = len(keys)
    if not n_cells:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)

    def column(name: str, dtype=None) -> np.ndarray:
        return samples[name].to_numpy(dtype)[rows]

    wall, round_ = column("wall_seconds", float), column("round")
    cpu = (column("cpu_user_seconds", float) + column("cpu_system_seconds", float)) / wall
    per_cell = pd.DataFrame(
        {"wall": wall, "cpu": cpu, "pool_start": column("pool_start_seconds", float),
         "flagged": column("flagged", bool), "round": round_}
    ).groupby(cell, sort=True)  # fmt: skip
    median, low, high = stats.median_cis(wall, cell, n_boot=n_boot, rng=seed)
    quartiles = per_cell["wall"].quantile([0.25, 0.75]).unstack()
    with np.errstate(divide="ignore", invalid="ignore"):
        half_width = np.where(median != 0, (high - low) / 2 / median, np.nan)

    # Speedup: each cell against the serial rows of its work, on the rounds both have.
    work, _ = stats.group_numbers(samples, list(stats.SERIAL_KEY), rows, codes=codes)
    first = np.full(n_cells, rows.size)
    np.minimum.at(first, cell, np.arange(rows.size))  # each cell's first row
    cell_work = work[first]
    is_serial = (samples["model"] == stats.SERIAL).to_numpy(bool)[rows] & (work >= 0)
    speedup = np.full((3, n_cells), np.nan)
    with_baseline = np.flatnonzero(np.isin(cell_work, work[is_serial]) & (cell_work >= 0))
    if with_baseline.size:
        ratio, ratio_low, ratio_high = stats.ratio_cis(
            wall, cell, round_,
            wall[is_serial], work[is_serial], round_[is_serial],
            with_baseline, cell_work[with_baseline],
            n_boot=n_boot, rng=seed,
        )  # fmt: skip
        speedup[:, with_baseline] = 1 / ratio, 1 / ratio_high, 1 / ratio_low

    probe = pd.Series(column("probe_pure_seconds", float))
    probe_by_round = probe.groupby([cell, round_], sort=True).median().groupby(level=0)
    peak_columns = ["peak_rss_bytes", "peak_uss_bytes", "peak_pss_bytes", "load_average"]
    peaks = samples[peak_columns].iloc[rows].groupby(cell, sort=True).max()
    first_rows = rows[first]
    summary = keys.assign(
        rounds=per_cell["round"].nunique().to_numpy(),
        samples=per_cell.size().to_numpy(),
        flagged=per_cell["flagged"].sum().to_numpy().astype(np.int64),
        tasks=samples["tasks"].to_numpy()[first_rows].astype(np.int64),
        median_seconds=median,
        q1_seconds=quartiles[0.25].to_numpy(),
        q3_seconds=quartiles[0.75].to_numpy(),
        ci_low_seconds=low,
        ci_high_seconds=high,
        relative_half_width=half_width,
        precision_met=half_width <= precision,
        speedup=speedup[0],
        speedup_ci_low=speedup[1],
        speedup_ci_high=speedup[2],
        cpu_per_wall=per_cell["cpu"].median().to_numpy(),
        pool_start_seconds=per_cell["pool_start"].median().to_numpy(),
        **{name: peaks[name].to_numpy() for name in peak_columns},
        logical_cpus=samples["logical_cpus"].to_numpy()[first_rows],
        probe_drift=(probe_by_round.max() / probe_by_round.min()).to_numpy(),
        coefficient_of_variation=(per_cell["wall"].std(ddof=0) / per_cell["wall"].mean()).to_numpy(),
        host=_hosts(cell, samples["host"], rows, n_cells),
        python_version=samples["python_version"].iloc[first_rows].to_numpy(),
        gil_enabled=samples["gil_enabled"].to_numpy()[first_rows].astype(bool),
    )
    summary["ideal_speedup"] = ideal_speedup(summary)
    summary["efficiency"] = summary["speedup"] / summary["ideal_speedup"]
    return summary[SUMMARY_COLUMNS]


def ideal_speedup(cells: pd.DataFrame) -> pd.Series:
    """The physical limit of each cell's speedup over serial.

    CPU work: linear up to the core count, min(workers, cores). Latency-bound I/O: the
    tasks run in ceil(tasks / workers) waves of one latency each, so tasks / waves. Other
    work has no simple bound (NaN).
    """
    waves = np.ceil(cells["tasks"] / cells["workers"])
    bound = pd.Series(np.nan, index=cells.index)
    cpu = cells["kind"].isin(CPU_BOUND_KINDS)
    latency = cells["kind"].isin(LATENCY_BOUND_KINDS)
    bound[cpu] = np.minimum(cells["workers"], cells["logical_cpus"])[cpu]
    bound[latency] = (cells["tasks"] / waves)[latency]
    return bound


def noisy_cells(cells: pd.DataFrame, slow_phase_factor: float) -> pd.DataFrame:
    """Cells whose numbers deserve suspicion, and why: shown in the report, never dropped."""
    reasons = {
        f"coefficient of variation above {NOISY_VARIATION:.0%}": cells["coefficient_of_variation"] > NOISY_VARIATION,
        f"speed probe drifted by more than {slow_phase_factor}x between rounds": cells["probe_drift"] > slow_phase_factor,
        # The 1-minute average counts the sweep's own previous cell too (its workers keep a
        # 2-core machine near 2-3): only a load well beyond the machine says "crowded".
        "load average above twice the CPU count": cells["load_average"] > 2 * cells["logical_cpus"],
        "repetitions flagged as taken in a slow phase": cells["flagged"] > 0,
    }
    why = pd.Series("", index=cells.index)
    for reason, hit in reasons.items():
        why = why.where(~hit.fillna(False).astype(bool), why + "; " + reason)
    columns = [*CELL_KEY, "why", "coefficient_of_variation", "probe_drift", "load_average", "flagged", "samples"]
    return cells.assign(why=why.str.lstrip("; "))[why != ""][columns]


def _hosts(cell: np.ndarray, host: pd.Series, rows: np.ndarray, n_cells: int) -> np.ndarray:
    """Per cell, its distinct hosts sorted and joined by commas ("" if none recorded)."""
    code, names = pd.factorize(host, sort=True)  # missing hosts get -1
    code = np.asarray(code, np.int64)[rows]
    known = code >= 0
    width = max(len(names), 1)
    pairs = np.unique(cell[known] * width + code[known])
    pair_cell, pair_host = pairs // width, pairs % width
    names = np.asarray(names, dtype=object)
    joined = np.full(n_cells, "", dtype=object)
    count = np.bincount(pair_cell, minlength=n_cells)
    single = count[pair_cell] == 1
    joined[pair_cell[single]] = names[pair_host[single]]
    for c in np.unique(pair_cell[~single]):  # rare: a cell measured on several hosts
        joined[c] = ",".join(names[pair_host[pair_cell == c]])
    return joined


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
    noisy_out: str,
    slow_phase_factor: float,
    n_boot: int,
    seed: int,
    precision: float,
) -> pd.DataFrame:
    """The aggregate_cells rule: all samples (Parquet), cell summaries and failures (TSV)."""
    samples = load_samples(paths, slow_phase_factor)
    samples.to_parquet(samples_out, index=False)
    cells = cell_summary(samples, n_boot=n_boot, seed=seed, precision=precision)
    cells.to_csv(cells_out, sep="\t", index=False)
    noisy_cells(cells, slow_phase_factor).to_csv(noisy_out, sep="\t", index=False)
    failed_cells(samples).to_csv(failed_out, sep="\t", index=False)
    return samples
