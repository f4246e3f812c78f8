"""The user's own functions: how each model ran them, and whether they held the GIL.

Per cell of a callable workload: its time, speedup and the verdict of its comparison
group, the import time of the user's module (measured apart from the batches) and the
CPU seconds per wall second the workers reached. The GIL state is read from that, not
asked: threads that keep more than one core busy ran the function in parallel, so it
released the GIL; threads that keep at most one core busy held it, unless the function
mostly waits, which its serial run shows.

A function that runs threads of its own (numpy's BLAS, an OpenMP loop) keeps more than one
core busy already in serial: then the table says so, and the threads' CPU is read against
serial's, not against one core. A workload's ``library_threads`` settings (the library pools
limited) are workloads of their own; :func:`library_thread_comparison` sets the best model
of each against the best with the library's default, with the reason when the default loses.
"""

from __future__ import annotations

import math
import re
from typing import Dict, List, Optional

import pandas as pd

from ..kernel import size_label

# Threads of one process: the models whose CPU per wall second shows the GIL.
THREAD_MODELS = ("threads", "thread_workers", "asyncio_to_thread")
# Above this, more than one core was busy at once: the GIL was released (or is off).
PARALLEL_CPU_PER_WALL = 1.3
# Below this, the serial run waits more than it computes (I/O, sleeps, locks).
WAITING_CPU_PER_WALL = 0.7
KEY = ["machine", "interpreter", "workload", "payload_bytes"]
COLUMNS = [
    *KEY, "function", "model", "workers", "median_seconds", "speedup", "speedup_ci_low",
    "speedup_ci_high", "cpu_per_wall", "serial_cpu_per_wall", "gil_enabled", "gil_reading",
    "import_seconds", "label", "winner", "own_threads", "entry", "library_threads", "library_threads_set",
    "threadpools", "logical_cpus",
]  # fmt: skip
DEFAULT_LIBRARY_THREADS = "default"
SETTING_COLUMNS = ["library_threads", "library_threads_set", "threadpools"]


def own_threads(serial_cpu_per_wall: float) -> str:
    """What serial's CPU per wall second says of the function's own threads: "" if nothing."""
    if pd.isna(serial_cpu_per_wall) or serial_cpu_per_wall < PARALLEL_CPU_PER_WALL:
        return ""
    return f"the function runs its own threads: serial kept {serial_cpu_per_wall:.2f} cores busy"


def gil_reading(model: str, workers: int, cpu_per_wall: float, serial_cpu_per_wall: float) -> str:
    """What a thread model's CPU per wall second says about the function and the GIL."""
    if model not in THREAD_MODELS or workers < 2 or pd.isna(cpu_per_wall):
        return ""
    if own_threads(serial_cpu_per_wall):
        # The baseline is serial's cores, not one: only CPU beyond it is the threads' doing.
        if cpu_per_wall >= PARALLEL_CPU_PER_WALL * serial_cpu_per_wall:
            return (f"released: {workers} threads kept {cpu_per_wall:.2f} cores busy, "
                    f"{cpu_per_wall / serial_cpu_per_wall:.2f}x serial's {serial_cpu_per_wall:.2f}")  # fmt: skip
        return (f"not readable: serial already kept {serial_cpu_per_wall:.2f} cores busy with the function's own "
                f"threads, {workers} threads {cpu_per_wall:.2f}")  # fmt: skip
    if cpu_per_wall >= PARALLEL_CPU_PER_WALL:
        return f"released: {workers} threads kept {cpu_per_wall:.2f} cores busy"
    if not pd.isna(serial_cpu_per_wall) and serial_cpu_per_wall < WAITING_CPU_PER_WALL:
        return f"waits: serial kept only {serial_cpu_per_wall:.2f} cores busy, threads {cpu_per_wall:.2f}"
    return f"held: {workers} threads kept at most one core busy ({cpu_per_wall:.2f})"


def user_workload_table(
    cells: pd.DataFrame, samples: pd.DataFrame, verdicts: pd.DataFrame, functions: Dict[str, str],
    entries: Optional[Dict[str, str]] = None,
) -> pd.DataFrame:  # fmt: skip
    """One row per cell of the callable workloads named in ``functions`` (label: reference).

    ``entries``: a library_threads setting's workload -> its config entry (default: itself).
    """
    mine = cells[cells["workload"].isin(list(functions))].copy()
    if mine.empty:
        return pd.DataFrame(columns=COLUMNS)
    mine["function"] = mine["workload"].map(functions)
    mine["entry"] = mine["workload"].map(entries or {}).fillna(mine["workload"])
    serial = mine[mine["model"] == "serial"][[*KEY, "cpu_per_wall"]]
    mine = mine.merge(serial.rename(columns={"cpu_per_wall": "serial_cpu_per_wall"}), on=KEY, how="left")
    grouped = samples[samples["workload"].isin(list(functions))].groupby([*KEY, "model", "workers"], observed=True)
    imports = grouped.agg(
        import_seconds=("import_seconds", "median"),
        # One setting per cell; the pools as its last round read them.
        library_threads=("library_threads", "last"),
        library_threads_set=("library_threads_set", "last"),
        threadpools=("threadpools", "last"),
    ).reset_index()
    imports["library_threads"] = imports["library_threads"].fillna(DEFAULT_LIBRARY_THREADS)
    mine = mine.merge(imports, on=[*KEY, "model", "workers"], how="left")
    labels = verdicts[[*KEY, "workers", "label", "winner"]]
    mine = mine.merge(labels, on=[*KEY, "workers"], how="left")
    mine["gil_reading"] = [
        gil_reading(row.model, row.workers, row.cpu_per_wall, row.serial_cpu_per_wall) for row in mine.itertuples()
    ]
    mine["own_threads"] = mine["serial_cpu_per_wall"].map(own_threads)
    return mine[COLUMNS].sort_values([*KEY, "workers", "model"]).reset_index(drop=True)


def write_user_workloads(cells_path: str, samples_path: str, verdicts_path: str,
                         functions: Dict[str, str], output: str,
                         entries: Optional[Dict[str, str]] = None) -> pd.DataFrame:  # fmt: skip
    """The summarize_user_workloads rule: the table the report shows for the user's code."""
    table = user_workload_table(
        pd.read_csv(cells_path, sep="\t"),
        pd.read_parquet(samples_path, columns=[*KEY, "model", "workers", "import_seconds", *SETTING_COLUMNS]),
        pd.read_csv(verdicts_path, sep="\t"),
        functions,
        entries,
    )
    table.to_csv(output, sep="\t", index=False)
    return table


# The best model with the library's pools limited ran this many times faster than itself
# with the default: the default's pools, not the model, made the difference.
LIMIT_HELPED = 1.25
COMPARISON_COLUMNS = [
    "machine", "interpreter", "entry", "payload_bytes", "workers", "library_threads", "best_default",
    "best_default_speedup", "best_limited", "best_limited_speedup", "text",
]  # fmt: skip


def _setting_words(setting: str, threads_set, workers: int) -> str:
    """ "1 library thread per worker"; serial, one worker, has no "per worker"."""
    count = setting if setting != "per_worker" or pd.isna(threads_set) else str(int(threads_set))
    words = f"{count} library thread{'' if count == '1' else 's'}"
    return words if workers == 1 else f"{words} per worker"


def _pool_size(cells: pd.DataFrame) -> float:
    """Threads of one library pool with the library's default: the largest pool threadpoolctl
    read, else the cores serial kept busy (the pool, as one process ran it)."""
    read = [int(n) for text in cells["threadpools"].dropna() for n in re.findall(r": (\d+)", str(text))]
    if read:
        return max(read)
    serial = cells["serial_cpu_per_wall"].dropna()
    return round(float(serial.iloc[0])) if len(serial) else math.nan


def _best(cells: pd.DataFrame, baseline: float):
    """(model, speedup over the default's serial) of the fastest cell."""
    best = cells.loc[cells["median_seconds"].idxmin()]
    return best, baseline / best["median_seconds"]


def _helped(at_default: pd.DataFrame, at_limited: pd.DataFrame, baseline: float, exclude: str):
    """(model, speedup with the default, speedup limited) of each pool model, ``exclude`` aside,
    that ran at least LIMIT_HELPED times faster with the library's pools limited."""
    found = []
    for row in at_limited[(at_limited["workers"] > 1) & (at_limited["model"] != exclude)].itertuples():
        same = at_default[(at_default["model"] == row.model) & (at_default["workers"] == row.workers)]
        if len(same) and float(same["median_seconds"].iloc[0]) >= LIMIT_HELPED * row.median_seconds:
            found.append((row.model, baseline / float(same["median_seconds"].iloc[0]), baseline / row.median_seconds))
    return sorted(found)


def library_thread_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """Per config entry, payload and worker count, each library_threads setting against the
    library's default: the best model of each, as speedups over serial with the default
    (the two settings do the same calibrated work, so their times compare), and the reason
    when the default oversubscribes (each worker's pool times workers > cores)."""
    rows = []
    if table.empty or set(table["library_threads"].dropna()) <= {DEFAULT_LIBRARY_THREADS}:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    keys = ["machine", "interpreter", "entry", "payload_bytes"]
    for key, mine in table.dropna(subset=["median_seconds"]).groupby(keys, sort=True):
        default = mine[mine["library_threads"] == DEFAULT_LIBRARY_THREADS]
        serial = default[default["model"] == "serial"]
        if serial.empty:
            continue
        baseline = float(serial["median_seconds"].iloc[0])
        limited = (mine["workers"] > 1) & (mine["library_threads"] != DEFAULT_LIBRARY_THREADS)
        for setting, workers in (
            mine.loc[limited, ["library_threads", "workers"]].drop_duplicates().itertuples(index=False)
        ):
            at_default = default[default["workers"].isin([1, workers])]
            at_limited = mine[(mine["library_threads"] == setting) & mine["workers"].isin([1, workers])]
            best_default, default_speedup = _best(at_default, baseline)
            best_limited, limited_speedup = _best(at_limited, baseline)
            same = at_default[at_default["model"] == best_limited["model"]]
            words = _setting_words(setting, best_limited["library_threads_set"], best_limited["workers"])
            text = (f"{best_limited['model']} with {words}: {limited_speedup:.2f}x serial; "
                    f"best with the library's default: {best_default['model']} {default_speedup:.2f}x")  # fmt: skip
            same_speedup = baseline / float(same["median_seconds"].iloc[0]) if len(same) else math.nan
            if len(same) and best_limited["model"] not in (best_default["model"], "serial"):
                text += f" ({best_limited['model']} {same_speedup:.2f}x)"
            pool, cores = _pool_size(default), default["logical_cpus"].max()
            # Every other model the limit made at least LIMIT_HELPED faster than itself: the
            # default's pools, not the model, slowed it (processes 0.18x -> 0.32x, say).
            helped = _helped(at_default, at_limited, baseline, exclude=best_limited["model"])
            if helped:
                text += "; with the limit also " + ", ".join(
                    f"{model} {before:.2f}x -> {after:.2f}x" for model, before, after in helped
                )
            # The reason, where the limit is what made the difference for some model.
            slowed = limited_speedup >= LIMIT_HELPED * same_speedup or bool(helped)
            if slowed and not pd.isna(pool) and not pd.isna(cores) and workers * pool > cores:
                text += (f". Why: with the library's default each of the {workers} workers runs a pool of {pool:.0f} "
                         f"threads, {workers * pool:.0f} threads on {cores:.0f} cores: oversubscribed, they wait "
                         "for each other")  # fmt: skip
                if default["threadpools"].astype(str).str.contains("openblas").any():
                    text += " (and OpenBLAS's threads spin while they wait)"
            rows.append(dict(zip(keys, key), workers=workers, library_threads=setting,
                             best_default=best_default["model"], best_default_speedup=default_speedup,
                             best_limited=best_limited["model"], best_limited_speedup=limited_speedup, text=text))  # fmt: skip
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def own_thread_notes(table: pd.DataFrame) -> pd.DataFrame:
    """Per (machine, interpreter, workload): the note on the function's own threads, where
    serial kept more than one core busy, and the library_threads comparison of its entry."""
    notes: List[Dict[str, str]] = []
    for (machine, interpreter, workload), mine in table.groupby(["machine", "interpreter", "workload"], sort=True):
        serial = mine[mine["model"] == "serial"]
        for row in serial[serial["own_threads"].fillna("") != ""].itertuples():
            size = "" if serial["payload_bytes"].nunique() == 1 else f" at {size_label(int(row.payload_bytes))}"
            notes.append(dict(machine=machine, interpreter=interpreter, workload=workload, note=row.own_threads + size))
    for row in library_thread_comparison(table).itertuples():
        notes.append(dict(machine=row.machine, interpreter=row.interpreter, workload=row.entry,
                          note=f"{size_label(int(row.payload_bytes))}, {row.workers} workers: {row.text}"))  # fmt: skip
    return pd.DataFrame(notes, columns=["machine", "interpreter", "workload", "note"])
