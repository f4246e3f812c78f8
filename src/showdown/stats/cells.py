"""Per-cell numbers with round-level intervals: the typical time, the speedup, the spread.

A cell's ``median_seconds`` stays the plain median of its repetitions (what a reader
expects to see); its interval, the precision target, the speedup's interval and the
noise flag all come from the cell's round medians, the independent evidence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _scipy

from ..vocabulary import AA_SUFFIX, CELL_KEY, SERIAL, SERIAL_KEY
from .estimates import as_ratio, estimate_pairs, level_estimates, paired_log_ratios, round_medians

# A cell is noisy when its rounds spread more than identical jobs do, at this level.
NOISE_LEVEL = 0.01


def cell_estimates(measured: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per cell (:data:`CELL_KEY`): round count, level with CI, spread, speedup with CI.

    Columns besides the key: ``rounds``, ``level_seconds``, ``ci_low_seconds``,
    ``ci_high_seconds``, ``relative_half_width`` (of the level's CI), ``round_spread``
    (standard deviation of the log round medians), ``speedup``, ``speedup_ci_low``,
    ``speedup_ci_high`` (serial over the cell, per shared round; NaN without serial).
    """
    key = list(CELL_KEY)
    medians = round_medians(measured, key)
    levels = level_estimates(medians, key, confidence)
    cells = levels[key].assign(
        rounds=levels["rounds"],
        level_seconds=levels["level"],
        ci_low_seconds=levels["ci_low"],
        ci_high_seconds=levels["ci_high"],
        relative_half_width=(levels["ci_high"] - levels["ci_low"]) / 2 / levels["level"],
        round_spread=levels["sd"],
    )
    serial = medians[medians["model"] == SERIAL].drop(columns=["workers", "model", "kind"])
    contrasts = paired_log_ratios(medians, serial, on=list(SERIAL_KEY))
    if len(contrasts):
        speed = estimate_pairs(contrasts, key, confidence)
        ratio = as_ratio(speed)
        speed = speed[key].assign(speedup=1 / ratio["ratio"], speedup_ci_low=1 / ratio["ci_high"],
                                  speedup_ci_high=1 / ratio["ci_low"])  # fmt: skip
        cells = cells.merge(speed, on=key, how="left")
    else:
        cells = cells.assign(speedup=np.nan, speedup_ci_low=np.nan, speedup_ci_high=np.nan)
    return cells


def noise_reference(cells: pd.DataFrame) -> tuple[float, int, str]:
    """Pooled variance of log round medians of identical jobs, its degrees of freedom, its source.

    The A/A copies and the models they measure again are the reference: the spread any
    cell shows without a real difference. A sweep without A/A copies falls back on all cells.
    """
    group = [column for column in CELL_KEY if column != "model"]
    copies = cells[cells["model"].str.endswith(AA_SUFFIX)]
    bases = copies.assign(model=copies["model"].str.removesuffix(AA_SUFFIX))[[*group, "model"]]
    reference = pd.concat([copies, cells.merge(bases, on=[*group, "model"])], ignore_index=True)
    source = "the A/A copies and their models"
    if not len(reference):
        reference, source = cells, "every cell (this sweep has no A/A copies)"
    reference = reference[reference["rounds"] >= 2]
    df = int((reference["rounds"] - 1).sum())
    if not df:
        return np.nan, 0, source
    variance = float(((reference["rounds"] - 1) * reference["round_spread"] ** 2).sum() / df)
    return variance, df, source


def spread_test(cells: pd.DataFrame) -> pd.DataFrame:
    """``spread_ratio`` (round spread over the reference's) and ``noisy`` (F-test at 1%)."""
    variance, df, source = noise_reference(cells)
    ratio = cells["round_spread"] / np.sqrt(variance) if variance > 0 else pd.Series(np.nan, index=cells.index)
    df_cell = (cells["rounds"] - 1).where(cells["rounds"] >= 2)
    limit = _scipy.f.ppf(1 - NOISE_LEVEL, df_cell, df) if df else np.nan
    noisy = (ratio**2 > limit).fillna(False).astype(bool)
    return pd.DataFrame({"spread_ratio": ratio, "noisy": noisy, "noise_reference": source}, index=cells.index)


NOISE_BY_KIND_COLUMNS = ["kind", "pairs", "rounds_df", "round_spread", "calibrated_spread", "spread_ratio", "noisier"]


def noise_by_kind(pairs: pd.DataFrame, calibration: dict) -> pd.DataFrame:
    """Per workload kind: this run's round spread of model pairs against the A/A calibration.

    ``pairs`` holds one row per compared pair with its ``kind``, ``round_spread`` (sd over
    rounds of the log ratio of round medians) and ``rounds``; ``calibration`` maps a kind to
    the round spread its A/A pairs showed (``config/aa.yaml``'s ``aa_spread``, many pairs on a
    quiet machine: taken as known). A kind is ``noisier`` when the run's pooled variance lies
    above the calibration's by a chi-square test at 1%: a flag for the front page, never a
    change of any label. A kind without a calibration reads NaN and is not flagged.
    """
    rows = []
    usable = pairs[(pairs["rounds"] >= 2) & pairs["round_spread"].notna()]
    for kind, mine in usable.groupby("kind", sort=True):
        df = int((mine["rounds"] - 1).sum())
        spread = float(np.sqrt(((mine["rounds"] - 1) * mine["round_spread"] ** 2).sum() / df))
        calibrated = float(calibration.get(kind, np.nan))
        ratio = spread / calibrated if calibrated > 0 else np.nan
        noisier = bool(np.isfinite(ratio) and df * ratio**2 > _scipy.chi2.ppf(1 - NOISE_LEVEL, df))
        rows.append({"kind": kind, "pairs": len(mine), "rounds_df": df, "round_spread": spread,
                     "calibrated_spread": calibrated, "spread_ratio": ratio, "noisier": noisier})  # fmt: skip
    return pd.DataFrame(rows, columns=NOISE_BY_KIND_COLUMNS)
