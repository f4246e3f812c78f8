"""Memory per added worker (or connection): a slope per model, with a round-level CI.

A cell measured at several worker counts says what one more worker costs. The round is
the unit of evidence (:mod:`showdown.stats`): in each round, the median reading of each
worker count is taken and a straight line fitted over the worker counts (least squares;
with two counts, the slope from the smallest to the largest); the slope and the line's
value at one worker (the fixed cost) are then averaged over rounds with a t-interval.

Two readings, two questions:

- ``batch_pss_bytes`` (read by the kernel right after the batch, every worker alive): the
  cost of a worker, for every work measured at several worker counts;
- ``peak_pss_bytes`` (the job's peak: the supervisor's sampled peak, never below the kernel's
  own readings): the cost of a connection on io_net,
  whose connections are open during the batch and closed by its end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import stats
from ..vocabulary import CELL_KEY

MIB = 2**20
# (reading, what one more worker is, the kinds it is read for: None, every kind).
READINGS = (("batch_pss_bytes", "worker", None), ("peak_pss_bytes", "connection", ("io_net",)))
WORK_KEY = [k for k in CELL_KEY if k != "workers"]
COLUMNS = [
    *WORK_KEY, "memory", "per", "workers_min", "workers_max", "rounds", "slope_mib", "slope_ci_low_mib",
    "slope_ci_high_mib", "fixed_mib", "fixed_ci_low_mib", "fixed_ci_high_mib",
]  # fmt: skip


def _fit(medians: pd.DataFrame) -> pd.Series:
    """Least-squares slope and the line's value at one worker, of one round's medians."""
    x = medians["workers"].to_numpy(float)
    y = medians["median"].to_numpy(float) / MIB
    slope, intercept = np.polyfit(x, y, 1)
    return pd.Series({"slope": slope, "fixed": intercept + slope})


def _per_round_fits(measured: pd.DataFrame, reading: str) -> pd.DataFrame:
    """Per work, model and round with at least two worker counts: its slope and fixed cost."""
    values = measured.dropna(subset=[reading])
    values = values[values[reading] > 0]
    if values.empty:
        return pd.DataFrame(columns=[*WORK_KEY, "round", "slope", "fixed", "workers_min", "workers_max"])
    grouped = values.groupby([*WORK_KEY, "workers", "round"], sort=True, observed=True)[reading]
    medians = grouped.median().rename("median").reset_index()
    counts = medians.groupby([*WORK_KEY, "round"], observed=True)["workers"].transform("nunique")
    medians = medians[counts >= 2]
    if medians.empty:
        return pd.DataFrame(columns=[*WORK_KEY, "round", "slope", "fixed", "workers_min", "workers_max"])
    by_round = medians.groupby([*WORK_KEY, "round"], sort=True, observed=True)
    fits = by_round[["workers", "median"]].apply(_fit).reset_index()
    spans = by_round["workers"].agg(workers_min="min", workers_max="max").reset_index()
    return fits.merge(spans, on=[*WORK_KEY, "round"])


def memory_slopes(measured: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """One row per work, model and reading (:data:`READINGS`) measured at two or more
    worker counts: MiB per added worker with its CI, and the fixed cost at one worker."""
    tables = []
    for reading, per, kinds in READINGS:
        if reading not in measured:
            continue
        rows = measured if kinds is None else measured[measured["kind"].isin(kinds)]
        fits = _per_round_fits(rows, reading)
        if fits.empty:
            continue
        slope = stats.estimate_pairs(fits.assign(d=fits["slope"]), WORK_KEY, confidence)
        fixed = stats.estimate_pairs(fits.assign(d=fits["fixed"]), WORK_KEY, confidence)
        spans = (
            fits.groupby(WORK_KEY, sort=True, observed=True)
            .agg(workers_min=("workers_min", "min"), workers_max=("workers_max", "max"))
            .reset_index()
        )
        table = slope[WORK_KEY].assign(
            memory=reading, per=per, rounds=slope["rounds"], slope_mib=slope["mean"],
            slope_ci_low_mib=slope["low"], slope_ci_high_mib=slope["high"], fixed_mib=fixed["mean"].to_numpy(),
            fixed_ci_low_mib=fixed["low"].to_numpy(), fixed_ci_high_mib=fixed["high"].to_numpy(),
        ).merge(spans, on=WORK_KEY)  # fmt: skip
        tables.append(table)
    return pd.concat(tables, ignore_index=True)[COLUMNS] if tables else pd.DataFrame(columns=COLUMNS)
