"""Which (workload, model) pairs run, and why the others do not: one table for the report.

Three sources, one table: the kernel catalogue's applicability table (a model that is a
mechanism of another workload, a workload that accepts only its own mechanisms), the
config (the process cap), and the kernel at run time under a given interpreter (a start
method the platform lacks, a package the interpreter has not, a known interpreter bug).
"""

from typing import Dict, List

import pandas as pd

from ..kernel import applicability_table

CELL_COLUMNS = ["machine", "interpreter", "workload", "model", "workers", "payload_bytes"]


def write_applicability(output: str) -> pd.DataFrame:
    """The catalogue's table: every (kind, model) pair, whether it runs and if not why."""
    table = pd.DataFrame(applicability_table())
    table.insert(2, "runs", table["reason"].isna())
    table.to_csv(output, sep="\t", index=False)
    return table


def write_not_applicable(declared: List[Dict], samples_path: str, output: str) -> pd.DataFrame:
    """The cells of this sweep that were not measured: decided by the config or at run time."""
    samples = pd.read_parquet(samples_path)
    found = samples[samples["status"] == "not_applicable"]
    runtime = found[[*CELL_COLUMNS, "message"]].drop_duplicates().assign(decided="run time")
    config = pd.DataFrame(declared, columns=[*CELL_COLUMNS, "message"]).assign(decided="config")
    table = pd.concat([config, runtime], ignore_index=True).rename(columns={"message": "reason"})
    table.to_csv(output, sep="\t", index=False)
    return table
