"""The compare_models rule: verdicts per comparison group, all pairs, the A/A control.

Groups whose cells all failed get a verdict that says so instead of a tie.
"""

import pandas as pd

from . import stats
from .aggregate import failed_groups


def write_comparisons(
    samples_path: str,
    *,
    verdicts_tsv: str,
    verdicts_parquet: str,
    pairs_tsv: str,
    aa_tsv: str,
    false_win_tsv: str,
    alpha: float,
    margin: float,
    n_boot: int,
    seed: int,
) -> pd.DataFrame:
    samples = pd.read_parquet(samples_path)
    measured = samples[samples["measured"]]
    options = dict(alpha=alpha, margin=margin, n_boot=n_boot, seed=seed)
    verdicts, pairs = stats.verdicts(measured, **options)
    failed = failed_groups(samples).rename(columns={"verdict": "winner"})
    verdicts = pd.concat([verdicts, failed.assign(note="every cell of the group failed")], ignore_index=True)
    verdicts.to_csv(verdicts_tsv, sep="\t", index=False)
    verdicts.to_parquet(verdicts_parquet, index=False)
    pairs.to_csv(pairs_tsv, sep="\t", index=False)
    aa = stats.aa_control(measured, **options)
    aa.to_csv(aa_tsv, sep="\t", index=False)
    rate = stats.false_win_rate(aa, confidence=0.95)
    pd.DataFrame([{**rate, "alpha": alpha, "target": f"rate <= alpha ({alpha})"}]).to_csv(
        false_win_tsv, sep="\t", index=False)
    return verdicts
