"""Rounds where the doubt is: after each round past the base, which work groups get another?

A work group (machine, interpreter, workload, payload) gets another round when one of its
comparisons has an interval too wide to decide at the margin: the half-width of some pair's
95% round-level interval (log scale) above half the band of its declared wall-time margin.
The rule reads only the interval's width, never its position or sign, so extra rounds buy
no false wins (``benchmarks/simulate_verdicts.py`` checks it with extra rounds included).
Extra rounds are capped by ``rounds.max`` and by a time budget, ``rounds.extra_seconds``: the
groups in most doubt go first, each costing what its last round's jobs took, and the rest
are recorded as "stopped: budget". One plan covers the whole sweep after each round (a
checkpoint), so the base rounds of every group are known to the scheduler from the start.
Each cell's precision (its level's relative half-width) stays in the plan as a flag.
"""

from typing import Dict, List

import numpy as np
import pandas as pd

from .. import stats
from ..cell import is_measured, read_round_files, write_json_atomic
from .matrix import WORK_GROUP

# What a cell job costs beyond its kernel process (README: harness overhead, ~0.3 s).
JOB_OVERHEAD_SECONDS = 0.3
BUDGET = "stopped: budget"


def cell_precisions(samples: pd.DataFrame) -> pd.DataFrame:
    """Relative half-width of each cell's round-level CI, over its measured rows."""
    cells = stats.cell_estimates(samples[is_measured(samples)])
    return cells[["model", "workers", "relative_half_width"]].reset_index(drop=True)


def round_seconds(samples: pd.DataFrame) -> pd.Series:
    """Seconds of jobs each (work group, round) took: its kernel processes and the job overhead."""
    jobs = samples.drop_duplicates([*WORK_GROUP, "model", "workers", "round"])
    seconds = jobs["kernel_seconds"].fillna(0) + JOB_OVERHEAD_SECONDS
    return seconds.groupby([jobs[c] for c in [*WORK_GROUP, "round"]]).sum()


def doubt(samples: pd.DataFrame, *, alpha: float, margin) -> pd.DataFrame:
    """Per work group: its widest pair's half-width over half the band of its margin (> 1:
    too wide to decide), read from the intervals' width alone."""
    table, keys = stats.competitors(samples[is_measured(samples)])
    if not len(keys):
        return pd.DataFrame(columns=[*WORK_GROUP, "doubt", "widest"])
    pairs = stats.round_pairs(table)
    if not len(pairs):
        return keys[WORK_GROUP].drop_duplicates().assign(doubt=np.inf, widest="")
    found = stats.estimate_pairs(pairs, ["gid", "model_a", "model_b"], confidence=1 - alpha)
    half = ((found["high"] - found["low"]) / 2).fillna(np.inf)  # one shared round: no width yet
    band = stats.band(stats.wall_margins(margin, keys["workload"]))[found["gid"].to_numpy(int)]
    found = found.assign(doubt=half.to_numpy() / (band / 2))
    found = found.merge(keys, on="gid").sort_values("doubt", ascending=False)
    found["widest"] = found["model_a"] + "/" + found["model_b"] + " at " + found["workers"].astype(str) + " workers"
    return found.drop_duplicates(WORK_GROUP)[[*WORK_GROUP, "doubt", "widest"]]


def plan_round(
    paths: List[str], round: int, *, alpha: float, margin, base_rounds: int, max_rounds: int, extra_seconds: float
) -> Dict:
    """After ``round``: which work groups get another round, and what stopped the others."""
    samples = read_round_files(paths).to_pandas()
    seconds = round_seconds(samples)
    rounds = seconds.index.get_level_values("round")
    spent = float(seconds[rounds > base_rounds].sum())
    cost = seconds[rounds == round].droplevel("round")
    doubts = doubt(samples, alpha=alpha, margin=margin).set_index(WORK_GROUP)
    groups = []
    for key, rows in samples.groupby(WORK_GROUP):
        if rows["round"].max() < round:
            continue  # stopped at an earlier round
        row = doubts.loc[key] if key in doubts.index else None
        groups.append(
            {
                **dict(zip(WORK_GROUP, (k.item() if hasattr(k, "item") else k for k in key))),
                "doubt": float(row["doubt"]) if row is not None else None,
                "widest": row["widest"] if row is not None else "",
                "cost_seconds": float(cost.get(key, 0.0)),
                "cells": cell_precisions(rows).to_dict(orient="records"),
            }
        )
    # The groups in most doubt first, while the budget lasts; width alone decides the order.
    wanting = sorted((g for g in groups if g["doubt"] is not None and g["doubt"] > 1),
                     key=lambda g: -g["doubt"])  # fmt: skip
    for group in groups:
        group["another_round"] = False
        group["reason"] = "every interval narrow enough to decide at the margin"
        if group["doubt"] is None:
            group["reason"] = "no comparison"
    for group in wanting:
        if round >= max_rounds:
            group["reason"] = "maximum rounds reached"
        elif spent + group["cost_seconds"] > extra_seconds:
            group["reason"] = BUDGET
        else:
            spent += group["cost_seconds"]
            group["another_round"] = True
            group["reason"] = f"an interval too wide to decide ({group['widest']}): another round"
    return {"round": round, "alpha": alpha, "max_rounds": max_rounds, "extra_seconds": extra_seconds,
            "extra_seconds_planned": spent, "groups": groups}  # fmt: skip


def write_plan(paths: List[str], round: int, output: str, **rule) -> Dict:
    plan = plan_round(paths, round, **rule)
    write_json_atomic(plan, output)
    return plan
