"""Adaptive rounds: after each round of the sweep, which work groups need another one?

A work group gets another round when one of its cells misses the precision target (the
round-level 95% CI of its typical time wider than ``precision`` of it, either side), and
stops at the maximum. One plan covers the whole sweep after each round (a checkpoint),
so the base rounds of every group are known to the scheduler from the start. What
stopped each group is recorded, cell by cell.
"""

from typing import Dict, List

import pandas as pd

from .. import stats
from ..cell import read_round_files, write_json_atomic


def cell_precisions(samples: pd.DataFrame) -> pd.DataFrame:
    """Relative half-width of each cell's round-level CI, over its measured rows."""
    measured = samples[(samples["status"] == "ok") & ~samples["warmup"]]
    cells = stats.cell_estimates(measured)
    return cells[["model", "workers", "relative_half_width"]].reset_index(drop=True)


WORK_GROUP = ["machine", "interpreter", "workload", "payload_bytes"]


def plan_round(paths: List[str], round: int, precision: float, max_rounds: int) -> Dict:
    """After ``round``: which work groups get another round, and what stopped the others."""
    samples = read_round_files(paths).to_pandas()
    groups = []
    for key, rows in samples.groupby(WORK_GROUP):
        if rows["round"].max() < round:
            continue  # stopped at an earlier round
        precisions = cell_precisions(rows)
        missed = precisions[~(precisions["relative_half_width"] <= precision)]
        another = bool(len(missed)) and round < max_rounds
        if not len(missed):
            reason = "precision met by every cell"
        elif another:
            reason = f"{len(missed)} cell(s) missed the precision target"
        else:
            reason = "maximum rounds reached"
        groups.append({
            **dict(zip(WORK_GROUP, (k.item() if hasattr(k, "item") else k for k in key))),
            "another_round": another,
            "reason": reason,
            "cells": precisions.to_dict(orient="records"),
        })
    return {"round": round, "precision": precision, "max_rounds": max_rounds, "groups": groups}


def write_plan(paths: List[str], round: int, precision: float, max_rounds: int, output: str) -> Dict:
    plan = plan_round(paths, round, precision, max_rounds)
    write_json_atomic(plan, output)
    return plan
