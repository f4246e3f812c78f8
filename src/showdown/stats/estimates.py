"""Effects estimated at the level where the variance lives: the round.

A round of a cell is one job: its repetitions ran in one interpreter, in one phase of a
machine whose speed moves by up to 1.7x over seconds. Repetitions of one job are not
independent evidence (over the default sweep, 0.42 of the variance lies between jobs),
so every interval here is built from one number per round:

* a cell's level: the mean over rounds of the log of each round's median;
* a comparison of A with B: the mean over their shared rounds of
  ``log(median_A,r) - log(median_B,r)``, a paired t-interval with R - 1 degrees of
  freedom (Kalibera & Jones's closed form at the execution level).

Chosen over a two-stage bootstrap (rounds, then repetitions) by simulation:
``benchmarks/simulate_verdicts.py`` prints both. With 3-8 rounds a bootstrap of so few
units is too narrow; the t-interval keeps its coverage.

Everything is computed for many comparisons at once from long tables, so a sweep of a
million samples is analysed in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _scipy

# Fewer rounds than this decide nothing: with 2 rounds a t-interval has one degree of
# freedom and a spread estimated from one difference.
MIN_ROUNDS = 3

Rounds = Sequence[Sequence[float]] | Mapping[object, Sequence[float]]


def band(margin):
    """The margin on the log scale: a ratio beyond ``1 - margin`` (or its inverse) counts.
    One number, or an array of them (one per estimate)."""
    return -np.log1p(-np.asarray(margin, float))


def interval_at(estimates: pd.DataFrame, one_sided_alpha) -> pd.DataFrame:
    """``low`` and ``high`` of each estimate's two-sided interval whose each tail is
    ``one_sided_alpha`` (one number or one per estimate): the interval a one-sided test at
    that level reads, so that the interval printed is the interval tested."""
    mean, se = estimates["mean"].to_numpy(float), estimates["se"].to_numpy(float)
    df = np.where(estimates["df"].to_numpy(float) >= 1, estimates["df"].to_numpy(float), np.nan)
    half = _scipy.t.ppf(1 - np.asarray(one_sided_alpha, float), df) * se
    return pd.DataFrame({"low": mean - half, "high": mean + half}, index=estimates.index)


def round_medians(frame: pd.DataFrame, key: Sequence[str], value: str = "wall_seconds") -> pd.DataFrame:
    """One row per (key, round): the median of ``value`` over its repetitions, and its log."""
    grouped = frame.groupby([*key, "round"], sort=True, observed=True, dropna=False)[value]
    table = grouped.median().rename("median").reset_index()
    table["repetitions"] = grouped.size().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        table["log"] = np.log(table["median"].to_numpy(float))
    return table[np.isfinite(table["log"])].reset_index(drop=True)


def t_estimates(pair: np.ndarray, d: np.ndarray, n_pairs: int, confidence: float = 0.95) -> pd.DataFrame:
    """Per pair, the t-interval of the mean of its values ``d`` (one per round, log scale).

    Columns: ``rounds``, ``mean``, ``sd`` (between rounds), ``se``, ``df``, ``low`` and
    ``high`` (two-sided at ``confidence``; NaN with fewer than 2 rounds).
    """
    pair = np.asarray(pair, np.int64)
    d = np.asarray(d, float)
    n = np.bincount(pair, minlength=n_pairs).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(pair, weights=d, minlength=n_pairs) / n
        squares = np.bincount(pair, weights=(d - mean[pair]) ** 2, minlength=n_pairs)
        sd = np.sqrt(squares / (n - 1))
        se = sd / np.sqrt(n)
    df = n - 1
    df_valid = np.where(df >= 1, df, np.nan)
    half = _scipy.t.ppf(0.5 + confidence / 2, df_valid) * se
    return pd.DataFrame(
        {"rounds": n.astype(np.int64), "mean": mean, "sd": sd, "se": se, "df": df,
         "low": mean - half, "high": mean + half}
    )  # fmt: skip


def p_below(estimates: pd.DataFrame, bound: float) -> np.ndarray:
    """One-sided p of "the true mean is at least ``bound``": small when it lies below."""
    return _one_sided(estimates, bound, below=True)


def p_above(estimates: pd.DataFrame, bound: float) -> np.ndarray:
    """One-sided p of "the true mean is at most ``bound``": small when it lies above."""
    return _one_sided(estimates, bound, below=False)


def _one_sided(estimates: pd.DataFrame, bound: float, *, below: bool) -> np.ndarray:
    mean, se = estimates["mean"].to_numpy(float), estimates["se"].to_numpy(float)
    df = estimates["df"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (mean - bound) / se
        p = _scipy.t.cdf(t, np.where(df >= 1, df, np.nan)) if below else _scipy.t.sf(t, np.where(df >= 1, df, np.nan))
    # No spread at all between rounds: the sign alone decides.
    exact = (se == 0) & (df >= 1)
    p = np.where(exact, np.where((mean < bound) if below else (mean > bound), 0.0, 1.0), p)
    return p


def paired_log_ratios(
    a: pd.DataFrame, b: pd.DataFrame, on: Sequence[str], pair_columns: Sequence[str] = ()
) -> pd.DataFrame:
    """Per shared round, ``log A - log B`` of round medians matched on ``on`` (+ round)."""
    merged = a.merge(b, on=[*on, "round"], suffixes=("_a", "_b"))
    merged["d"] = merged["log_a"] - merged["log_b"]
    return merged


def estimate_pairs(contrasts: pd.DataFrame, pair_key: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """The t-estimate of every pair of a table of per-round log ratios ``d``."""
    codes, keys = _codes(contrasts, pair_key)
    estimates = t_estimates(codes, contrasts["d"].to_numpy(float), len(keys), confidence)
    return pd.concat([keys, estimates], axis=1)


def _codes(frame: pd.DataFrame, key: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    if not len(frame):
        return np.zeros(0, np.int64), pd.DataFrame(columns=list(key))
    grouped = frame.groupby(list(key), sort=True, observed=True, dropna=False)
    codes = grouped.ngroup().to_numpy(np.int64)
    keys = grouped.size().reset_index()[list(key)]
    return codes, keys


def as_ratio(estimates: pd.DataFrame) -> pd.DataFrame:
    """``ratio``, ``ci_low``, ``ci_high`` from a log-scale estimate."""
    return pd.DataFrame(
        {"ratio": np.exp(estimates["mean"]), "ci_low": np.exp(estimates["low"]), "ci_high": np.exp(estimates["high"])}
    )


def _rounds_table(rounds: Rounds, side: str) -> pd.DataFrame:
    items = rounds.items() if isinstance(rounds, Mapping) else enumerate(rounds)
    rows = [{"round": r, "wall_seconds": float(v)} for r, values in items for v in np.ravel(values)]
    frame = pd.DataFrame(rows, columns=["round", "wall_seconds"])
    return round_medians(frame.assign(side=side), ["side"]).drop(columns="side")


def ratio_ci(a_rounds: Rounds, b_rounds: Rounds, *, confidence: float = 0.95, **_ignored) -> tuple[float, float, float]:
    """Ratio A / B of typical times, and its round-level CI, from samples per round.

    Rounds are aligned sequences (position = round) or mappings round -> samples; only
    rounds both sides have are used. NaN bounds with fewer than 2 shared rounds.
    """
    if not isinstance(a_rounds, Mapping) and not isinstance(b_rounds, Mapping) and len(a_rounds) != len(b_rounds):
        raise ValueError("sequences of rounds must be aligned: equal lengths")
    contrasts = paired_log_ratios(_rounds_table(a_rounds, "a"), _rounds_table(b_rounds, "b"), on=[])
    estimate = t_estimates(np.zeros(len(contrasts), np.int64), contrasts["d"].to_numpy(float), 1, confidence)
    if not len(contrasts):
        return math.nan, math.nan, math.nan
    ratio = as_ratio(estimate).iloc[0]
    return float(ratio["ratio"]), float(ratio["ci_low"]), float(ratio["ci_high"])


def level_estimates(medians: pd.DataFrame, key: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """Per cell: its typical value (geometric mean of round medians) with a round-level CI."""
    codes, keys = _codes(medians, key)
    estimates = t_estimates(codes, medians["log"].to_numpy(float), len(keys), confidence)
    return pd.concat([keys, estimates, as_ratio(estimates).rename(columns={"ratio": "level"})], axis=1)
