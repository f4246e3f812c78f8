"""Adaptive rounds: after each round, does a work group need another one?

A work group gets another round when one of its cells misses the precision target (the
bootstrap 95% CI of its median wider than ``precision`` of the median, either side), and
stops at the maximum. What stopped it is recorded, cell by cell.
"""

from typing import Dict, List

import pandas as pd

from . import stats
from .record import read_round_files, write_json_atomic

SEED = 0


def cell_precisions(samples: pd.DataFrame, n_boot: int = 2000) -> pd.DataFrame:
    """Relative half-width of each cell's median CI, over its measured rows."""
    measured = samples[(samples["status"] == "ok") & ~samples["warmup"]]
    rows: List[Dict] = []
    for model, cell in measured.groupby(["model", "workers"]):
        median, low, high = stats.median_ci(cell["wall_seconds"].to_numpy(), n_boot=n_boot, rng=SEED)
        rows.append({"model": model[0], "workers": model[1], "relative_half_width": (high - low) / 2 / median})
    return pd.DataFrame(rows, columns=["model", "workers", "relative_half_width"])


def plan_round(paths: List[str], round: int, precision: float, max_rounds: int) -> Dict:
    precisions = cell_precisions(read_round_files(paths).to_pandas())
    missed = precisions[~(precisions["relative_half_width"] <= precision)]
    another = bool(len(missed)) and round < max_rounds
    if not len(missed):
        reason = "precision met by every cell"
    elif another:
        reason = f"{len(missed)} cell(s) missed the precision target"
    else:
        reason = "maximum rounds reached"
    return {
        "round": round,
        "another_round": another,
        "reason": reason,
        "precision": precision,
        "cells": precisions.to_dict(orient="records"),
    }


def write_plan(paths: List[str], round: int, precision: float, max_rounds: int, output: str) -> Dict:
    plan = plan_round(paths, round, precision, max_rounds)
    write_json_atomic(plan, output)
    return plan
