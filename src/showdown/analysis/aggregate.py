"""Aggregating round files: one table of samples, a summary per cell, the failures.

Failed cells are kept out of every statistic and listed; machine labels are checked for
hardware that does not match; repetitions taken in a slow phase of the machine (by the
speed probe) are flagged, kept and counted.
"""

import sys
from typing import Dict, Iterable, List, Optional

import numpy as np
import pandas as pd

from .. import stats
from ..cell import is_measured, read_round_files
from ..vocabulary import (
    AA_SUFFIX,
    CELL_KEY,
    CPU_KINDS,
    GIL_HOLDING_KINDS,
    GROUP_KEY,
    LATENCY_KINDS,
    SERIAL,
    SERIAL_KEY,
    shares_one_interpreter,
)  # fmt: skip
from .memory import memory_slopes
from .user_workloads import own_threads


class MixedMachines(ValueError):
    """One machine label covers different hardware: its cells cannot be compared."""


def load_samples(paths: Iterable[str], slow_phase_factor: float) -> pd.DataFrame:
    """Every row of the round files, with ``measured`` and ``flagged`` columns added."""
    samples = read_round_files(paths).to_pandas()
    samples["measured"] = is_measured(samples)
    samples["flagged"] = flag_slow_phases(samples, slow_phase_factor)
    samples["gil_reenabled"] = gil_reenabled(samples)
    for kind in ("pss", "uss"):
        samples[f"peak_{kind}_bytes"] = peak_at_least_read(samples, kind)
    check_machine_labels(samples)
    return samples


def peak_at_least_read(samples: pd.DataFrame, kind: str) -> pd.Series:
    """The tree's peak PSS (or USS) of a job: the outside sampler's peak, but never below what
    the kernel read inside the same job (after the start barrier, after each batch). Above 16
    processes the sampler reads PSS only every fifth poll, so a job of about a second missed
    its workers: processes-fork at 16 io_net workers read 0.6-3.4 MiB against 90 MiB inside.
    The round files keep the sampler's own figure."""
    columns = [f"peak_{kind}_bytes", f"started_{kind}_bytes", f"batch_{kind}_bytes"]
    present = [c for c in columns if c in samples]
    job = ["machine", "interpreter", "workload", "model", "workers", "payload_bytes", "round"]
    inside = samples[present].astype(float).max(axis=1).groupby([samples[k] for k in job]).transform("max")
    return inside.where(inside.notna(), samples[columns[0]].astype(float))


def gil_reenabled(samples: pd.DataFrame) -> pd.Series:
    """True where a free-threaded build ran with the GIL on, after its imports or at the end
    (an extension module switched it back on, or PYTHON_GIL=1): such a cell says nothing
    about free threading and stays out of its claims."""

    def flag(name: str) -> pd.Series:
        return samples[name].fillna(False).astype(bool) if name in samples else pd.Series(False, index=samples.index)

    return flag("free_threaded_build") & (flag("gil_enabled") | flag("gil_enabled_after_imports"))


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
    "per_second", "per_second_ci_low", "per_second_ci_high", "seconds_per_task", "seconds_per_task_ci_low",
    "seconds_per_task_ci_high", "bytes_per_second", "bytes_per_second_ci_low", "bytes_per_second_ci_high",
    "latency_seconds", "ideal_per_second",
    "server_cpu_seconds", "server_cpu_per_wall", "server_share", "client_cpu_seconds_per_task", "harness_bound",
    "cpu_per_wall", "pool_start_seconds", "peak_rss_bytes", "peak_uss_bytes", "peak_pss_bytes",
    "started_pss_bytes", "started_uss_bytes", "batch_pss_bytes", "batch_uss_bytes", "batch_processes",
    "round_trip_p50_seconds", "round_trip_p90_seconds", "round_trip_p99_seconds", "shared_cpu",
    "probe_drift", "load_average", "logical_cpus", "usable_cpus", "host", "python_version", "gil_enabled",
    "free_threaded_build", "gil_reenabled", "own_threads", "other_cpu_share", "disturbed_rounds",
]  # fmt: skip
# Columns a cell takes as the median of its repetitions (null where the kernel recorded none).
MEDIAN_COLUMNS = (
    "latency_seconds", "server_cpu_seconds", "server_cpu_per_wall", "server_share", "client_cpu_seconds_per_task",
    "started_pss_bytes", "started_uss_bytes", "batch_pss_bytes", "batch_uss_bytes", "batch_processes",
    "round_trip_p50_seconds", "round_trip_p90_seconds", "round_trip_p99_seconds",
)  # fmt: skip

# A comparison is harness-bound when its best model stays under this share of the latency
# bound while the loopback server used at least this many cores (DESIGN-NOTES, section 8):
# the server, not the models, set the pace.
HARNESS_EFFICIENCY = 0.8
HARNESS_SERVER_CORES = 0.9
HARNESS_BOUND = "harness-bound"
# A (cell, round) is disturbed when other work held more than this share of the machine over
# its batches (config `disturbed_share`, whose default this is: README "How far to trust").
DISTURBED_SHARE = 0.1
TICK_SECONDS = 0.01  # /proc/stat's unit on Linux (USER_HZ = 100)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of the samples, or nulls where an older (or hand-made) table lacks it."""
    return frame[name].astype(float) if name in frame else pd.Series(np.nan, index=frame.index)


def derived_samples(measured: pd.DataFrame) -> pd.DataFrame:
    """Per repetition, the server's part of it: CPU per wall second, share of the machine
    (over its logical CPUs), and the clients' own CPU per task: the tree's CPU, which since
    schema 6 leaves the server out (the server reports its own, exactly)."""
    server = _column(measured, "server_cpu_seconds")
    wall = measured["wall_seconds"]
    cpu = measured["cpu_user_seconds"] + measured["cpu_system_seconds"]
    derived = {
        "server_cpu_per_wall": server / wall,
        "server_share": server / (wall * _column(measured, "logical_cpus")),
        "client_cpu_seconds_per_task": (cpu / measured["tasks"]).where(server.notna()),
    }
    missing = {name: _column(measured, name) for name in MEDIAN_COLUMNS if name not in measured}
    return measured.assign(**{**missing, **derived})


# The kinds whose every task moves one payload-sized message: their bytes per second.
TRANSFER_KINDS = ("ipc_transfer",)


def rates(cells: pd.DataFrame) -> pd.DataFrame:
    """The cell's level (``level_seconds``, the geometric mean of its round medians) per
    unit of work, each with the level's round-level interval carried through:
    ``per_second`` (tasks / level), ``seconds_per_task`` (level / tasks) and, for
    :data:`TRANSFER_KINDS`, ``bytes_per_second`` (payload x tasks / level). The slow end
    of the time's interval is the low end of a rate's. A figure draws these as they are."""
    tasks = cells["tasks"].astype(float)
    moved = (cells["payload_bytes"].astype(float) * tasks).where(cells["kind"].isin(TRANSFER_KINDS))
    level, low, high = cells["level_seconds"], cells["ci_low_seconds"], cells["ci_high_seconds"]
    return pd.DataFrame(
        {
            "per_second": tasks / level,
            "per_second_ci_low": tasks / high,
            "per_second_ci_high": tasks / low,
            "seconds_per_task": level / tasks,
            "seconds_per_task_ci_low": low / tasks,
            "seconds_per_task_ci_high": high / tasks,
            "bytes_per_second": moved / level,
            "bytes_per_second_ci_low": moved / high,
            "bytes_per_second_ci_high": moved / low,
        },
        index=cells.index,
    )


def latency_bound(cells: pd.DataFrame) -> pd.Series:
    """``ideal_per_second``, where the kernel recorded the latency: ``tasks`` overlapping
    fully on ``workers`` (connections for io_net) take at best ceil(tasks / workers)
    latencies, so the bound is tasks / (ceil(tasks / workers) x latency)."""
    tasks = cells["tasks"].astype(float)
    waves = np.ceil(tasks / cells["workers"])
    latency = _column(cells, "latency_seconds").where(cells["kind"].isin(LATENCY_KINDS))
    return (tasks / (waves * latency)).rename("ideal_per_second")


def harness_bound(cells: pd.DataFrame) -> pd.Series:
    """Per cell: is its comparison group harness-bound? Its best model (highest efficiency)
    under :data:`HARNESS_EFFICIENCY` of the bound while the server used at least
    :data:`HARNESS_SERVER_CORES` cores in that model's cell. Cells without a server: False."""
    key = list(GROUP_KEY)
    ranked = cells.assign(_order=cells["efficiency"].fillna(-np.inf)).sort_values("_order", ascending=False)
    best = ranked.drop_duplicates(key)
    bound = (best["efficiency"] < HARNESS_EFFICIENCY) & (best["server_cpu_per_wall"] >= HARNESS_SERVER_CORES)
    flags = best[key].assign(harness_bound=bound.to_numpy())
    merged = cells[key].merge(flags, on=key, how="left")
    return pd.Series(merged["harness_bound"].fillna(False).astype(bool).to_numpy(), index=cells.index)


def harness_bound_groups(measured: pd.DataFrame) -> pd.DataFrame:
    """The comparison groups (:data:`GROUP_KEY`) that are harness-bound, from the samples:
    what verdicts and claims flag. The same rule and the same columns as cells.tsv's."""
    key = list(CELL_KEY)
    if measured.empty:
        return pd.DataFrame(columns=[*GROUP_KEY, "harness_bound"])
    samples = derived_samples(measured)
    grouped = samples.groupby(key, sort=True, observed=True)
    cells = pd.DataFrame(
        {
            "tasks": grouped["tasks"].first(),
            "latency_seconds": grouped["latency_seconds"].median(),
            "server_cpu_per_wall": grouped["server_cpu_per_wall"].median(),
        }
    ).reset_index()
    # The level and its interval as cells.tsv has them: throughput is tasks / level.
    levels = stats.cell_estimates(measured)[[*key, "level_seconds", "ci_low_seconds", "ci_high_seconds"]]
    cells = cells.merge(levels, on=key, how="left")
    cells["efficiency"] = efficiency(cells.assign(speedup=np.nan, ideal_speedup=np.nan))
    flagged = cells.assign(harness_bound=harness_bound(cells))
    return flagged[flagged["harness_bound"]][[*GROUP_KEY, "harness_bound"]].drop_duplicates()


def efficiency(cells: pd.DataFrame) -> pd.Series:
    """Against the physical bound: throughput over the latency bound where the latency is
    recorded (serial's own time per task is no latency bound: its overheads count), else
    the speedup over its ideal."""
    return (rates(cells)["per_second"] / latency_bound(cells)).fillna(cells["speedup"] / cells["ideal_speedup"])


def round_other_share(measured: pd.DataFrame) -> pd.DataFrame:
    """Per (cell, round): the share of the machine other work held over its batches, pooled
    (other CPU seconds over the batches' capacity) so that tick rounding averages out, NaN
    where the kernel could not read it (no /proc/stat, or a round file from before); and
    ``tick_share``, one clock tick per CPU per batch of that capacity: what /proc/stat's
    rounding can move the reading by."""
    share = _column(measured, "other_cpu_share")
    # The window the share was read over: the whole batch (wall_seconds is one run's since
    # schema 8, a batch of `repeats` runs; older files have no batch_seconds and one run).
    wall = _column(measured, "batch_seconds").fillna(measured["wall_seconds"]).where(share.notna())
    keys = [measured[k] for k in (*CELL_KEY, "round")]
    capacity = wall.groupby(keys, observed=True).sum()
    return pd.DataFrame({
        "other_cpu_share": (share * wall).groupby(keys, observed=True).sum(min_count=1) / capacity,
        "tick_share": share.notna().groupby(keys, observed=True).sum() * TICK_SECONDS / capacity,
    })  # fmt: skip


def disturbance(measured: pd.DataFrame, disturbed_share: float) -> pd.DataFrame:
    """Per cell: the most other work held of the machine in any round (``other_cpu_share``)
    and how many rounds it held more than ``disturbed_share`` beyond tick rounding
    (``disturbed_rounds``, the flag: it never changes a label). Batches of a few ticks cannot
    show a disturbance, and are not flagged."""
    rounds = round_other_share(measured)
    beyond = rounds["other_cpu_share"] > disturbed_share + rounds["tick_share"]
    rounds = rounds[["other_cpu_share"]].assign(disturbed_rounds=beyond.astype(np.int64))
    by_cell = rounds.groupby(level=list(CELL_KEY), observed=True)
    return by_cell.agg({"other_cpu_share": "max", "disturbed_rounds": "sum"})


def cell_summary(samples: pd.DataFrame, *, precision: float, disturbed_share: float = DISTURBED_SHARE) -> pd.DataFrame:
    """Per cell: median and IQR of its repetitions, and round-level estimates.

    The interval of a cell's typical time, its precision, its speedup over serial (the
    serial rows of its work, :data:`SERIAL_KEY`, round by round) and its noise flag all
    come from :func:`stats.cell_estimates`: the round is the unit of evidence.
    """
    measured = samples[samples["measured"]]
    measured = measured.assign(gil_reenabled=gil_reenabled(measured))
    if measured.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    key = list(CELL_KEY)
    grouped = (
        derived_samples(measured)
        .assign(cpu=(measured["cpu_user_seconds"] + measured["cpu_system_seconds"]) / measured["wall_seconds"])
        .groupby(key, sort=True, observed=True)
    )
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
            **{
                name: grouped[name].max()
                for name in ("peak_rss_bytes", "peak_uss_bytes", "peak_pss_bytes", "load_average")
            },
            **{name: grouped[name].median() for name in MEDIAN_COLUMNS},
            # Pinned once per cell: every repetition ran in the same placement.
            "shared_cpu": grouped["shared_cpu"].first() if "shared_cpu" in measured else np.nan,
            "probe_drift": probe.max() / probe.min(),
            "logical_cpus": first["logical_cpus"],
            # The CPUs the cell could use (its affinity: a SLURM allocation, taskset): the ideal's.
            "usable_cpus": _column(first, "affinity_cpus").fillna(first["logical_cpus"]).astype("Int64"),
            "host": grouped["host"].agg(lambda hosts: ",".join(sorted(set(hosts.dropna())))),
            "python_version": first["python_version"],
            "gil_enabled": first["gil_enabled"].astype(bool),
            "free_threaded_build": grouped["free_threaded_build"].any() if "free_threaded_build" in measured else False,
            # Any repetition of any round with the GIL back on flags the cell.
            "gil_reenabled": grouped["gil_reenabled"].any(),
        }
    ).reset_index()
    summary = summary.merge(stats.cell_estimates(measured), on=key, how="left")
    summary = summary.merge(disturbance(measured, disturbed_share).reset_index(), on=key, how="left")
    summary["precision_met"] = summary["relative_half_width"] <= precision
    summary = pd.concat([summary, stats.spread_test(summary)], axis=1)
    summary["ideal_speedup"] = ideal_speedup(summary)
    summary = summary.assign(**rates(summary), ideal_per_second=latency_bound(summary))
    summary["efficiency"] = efficiency(summary)
    summary["harness_bound"] = harness_bound(summary)
    summary["own_threads"] = serial_cores(summary).map(own_threads)
    # A speedup whose whole interval lies above what its model can reach is implausible.
    summary["above_limit"] = (summary["speedup_ci_low"] > model_limit(summary)).fillna(False).astype(bool)
    return summary[SUMMARY_COLUMNS]


def serial_cores(cells: pd.DataFrame) -> pd.Series:
    """Per cell, the CPU per wall second of the serial cell of its work: above one core,
    the function runs threads of its own, and every model is read against that."""
    key = list(SERIAL_KEY)
    serial = cells[cells["model"] == SERIAL][[*key, "cpu_per_wall"]].drop_duplicates(key)
    return pd.Series(cells[key].merge(serial, on=key, how="left")["cpu_per_wall"].to_numpy(), index=cells.index)


def ideal_speedup(cells: pd.DataFrame) -> pd.Series:
    """The physical limit of each cell's speedup over serial, from the machine that ran it.

    CPU work: linear up to the CPUs the cell could use, min(workers, usable CPUs), not the
    machine's count (a SLURM allocation or taskset leaves fewer). Latency-bound I/O: the
    tasks run in ceil(tasks / workers) waves of one latency each, so tasks / waves. Other
    work has no simple bound (NaN).
    """
    waves = np.ceil(cells["tasks"] / cells["workers"])
    bound = pd.Series(np.nan, index=cells.index)
    cpu = cells["kind"].isin(CPU_KINDS)
    latency = cells["kind"].isin(LATENCY_KINDS)
    # Older cells.tsv (and hand-made tables) have no usable_cpus: their logical CPUs.
    bound[cpu] = np.minimum(cells["workers"], cells.get("usable_cpus", cells["logical_cpus"]))[cpu]
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
    columns = [*CELL_KEY, "reason", "round_spread", "spread_ratio", "probe_drift", "load_average", "flagged", "rounds"]
    return cells.assign(reason=why.str.lstrip("; "))[why != ""][columns]


def failed_groups(samples: pd.DataFrame) -> pd.DataFrame:
    """Comparison groups in which no model measured anything: reported as failed, not as ties.

    Groups as the statistics form them: serial and A/A copies join others, never lead one.
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
    memory_out: str,
    slow_phase_factor: float,
    precision: float,
    disturbed_share: float = DISTURBED_SHARE,
    labels: Optional[List[Dict]] = None,
    labels_out: Optional[str] = None,
) -> pd.DataFrame:
    """The aggregate_cells rule: all samples (Parquet), cell summaries, memory slopes and
    failures (TSV); with ``labels``, which machine labels it took and which it left out."""
    if labels_out:
        table = pd.DataFrame(labels or [], columns=["machine", "analysed", "source", "reason"])
        table.to_csv(labels_out, sep="\t", index=False)
        for row in table[~table["analysed"]].itertuples():
            print(f"machine label {row.machine!r} left out of the analysis: {row.reason}", file=sys.stderr)
    samples = load_samples(paths, slow_phase_factor)
    samples.to_parquet(samples_out, index=False)
    cells = cell_summary(samples, precision=precision, disturbed_share=disturbed_share)
    cells.to_csv(cells_out, sep="\t", index=False)
    memory_slopes(samples[samples["measured"]]).to_csv(memory_out, sep="\t", index=False)
    noisy_cells(cells).to_csv(noisy_out, sep="\t", index=False)
    failed_cells(samples).to_csv(failed_out, sep="\t", index=False)
    return samples
