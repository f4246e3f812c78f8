"""The user's own functions: how each model ran them, and whether they held the GIL.

Per cell of a callable workload: its time, speedup and the verdict of its comparison
group, the import time of the user's module (measured apart from the batches) and the
CPU seconds per wall second the workers reached. The GIL state is read from that, not
asked: threads that keep more than one core busy ran the function in parallel, so it
released the GIL; threads that keep at most one core busy held it, unless the function
mostly waits, which its serial run shows.
"""

from __future__ import annotations

from typing import Dict

import pandas as pd

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
    "import_seconds", "label", "winner",
]  # fmt: skip


def gil_reading(model: str, workers: int, cpu_per_wall: float, serial_cpu_per_wall: float) -> str:
    """What a thread model's CPU per wall second says about the function and the GIL."""
    if model not in THREAD_MODELS or workers < 2 or pd.isna(cpu_per_wall):
        return ""
    if cpu_per_wall >= PARALLEL_CPU_PER_WALL:
        return f"released: {workers} threads kept {cpu_per_wall:.2f} cores busy"
    if not pd.isna(serial_cpu_per_wall) and serial_cpu_per_wall < WAITING_CPU_PER_WALL:
        return f"waits: serial kept only {serial_cpu_per_wall:.2f} cores busy, threads {cpu_per_wall:.2f}"
    return f"held: {workers} threads kept at most one core busy ({cpu_per_wall:.2f})"


def user_workload_table(
    cells: pd.DataFrame, samples: pd.DataFrame, verdicts: pd.DataFrame, functions: Dict[str, str]
) -> pd.DataFrame:
    """One row per cell of the callable workloads named in ``functions`` (label: reference)."""
    mine = cells[cells["workload"].isin(list(functions))].copy()
    if mine.empty:
        return pd.DataFrame(columns=COLUMNS)
    mine["function"] = mine["workload"].map(functions)
    serial = mine[mine["model"] == "serial"][[*KEY, "cpu_per_wall"]]
    mine = mine.merge(serial.rename(columns={"cpu_per_wall": "serial_cpu_per_wall"}), on=KEY, how="left")
    imports = (
        samples[samples["workload"].isin(list(functions))]
        .groupby([*KEY, "model", "workers"], observed=True)["import_seconds"]
        .median()
        .rename("import_seconds")
        .reset_index()
    )
    mine = mine.merge(imports, on=[*KEY, "model", "workers"], how="left")
    labels = verdicts[[*KEY, "workers", "label", "winner"]]
    mine = mine.merge(labels, on=[*KEY, "workers"], how="left")
    mine["gil_reading"] = [
        gil_reading(row.model, row.workers, row.cpu_per_wall, row.serial_cpu_per_wall)
        for row in mine.itertuples()
    ]
    return mine[COLUMNS].sort_values([*KEY, "workers", "model"]).reset_index(drop=True)


def write_user_workloads(cells_path: str, samples_path: str, verdicts_path: str,
                         functions: Dict[str, str], output: str) -> pd.DataFrame:
    """The summarize_user_workloads rule: the table the report shows for the user's code."""
    table = user_workload_table(
        pd.read_csv(cells_path, sep="\t"),
        pd.read_parquet(samples_path, columns=[*KEY, "model", "workers", "import_seconds"]),
        pd.read_csv(verdicts_path, sep="\t"),
        functions,
    )
    table.to_csv(output, sep="\t", index=False)
    return table
