"""The compare_models rule: verdicts per comparison group, all pairs, the A/A control.

Each verdict carries ``flags`` beside its label (never changing it): "harness-bound" where
the loopback server, not the models, capped the group's throughput.

Every group is judged at the margin declared in the config (its workload's wall-time
margin). The A/A pairs are judged by the same rule at the same margins: how often they are
called different is the instrument's false-win rate, written with their spread as a check;
neither moves the margin. Groups whose cells all failed get a label that says so.
"""

import pandas as pd

from .. import stats
from ..display import family
from ..vocabulary import ALL_FAILED, GROUP_KEY
from .aggregate import HARNESS_BOUND, failed_groups, harness_bound_groups


def write_comparisons(
    samples_path: str,
    *,
    verdicts_tsv: str,
    verdicts_parquet: str,
    pairs_tsv: str,
    aa_tsv: str,
    false_win_tsv: str,
    noise_by_kind_tsv: str,
    families_tsv: str,
    alpha: float,
    margin,
    aa_spread: dict,
) -> pd.DataFrame:
    samples = pd.read_parquet(samples_path)
    measured = samples[samples["measured"]]
    used = stats.Margins.from_config(margin)
    aa = stats.aa_control(measured, alpha=alpha, margin=used)
    aa.to_csv(aa_tsv, sep="\t", index=False)
    # Each machine label's instrument checked on its own pairs: one row per label.
    machines = sorted(set(measured["machine"])) or [None]
    pd.DataFrame(
        [{"machine": machine, **stats.false_win_rate(mine, confidence=0.95), "alpha": alpha,
          "target": f"rate <= alpha ({alpha})", "margin": used.wall, "margins": margins_text(used),
          "aa_spread": stats.aa_spread(mine)}
         for machine in machines for mine in [aa[aa["machine"] == machine]]]
    ).to_csv(false_win_tsv, sep="\t", index=False)  # fmt: skip

    verdicts, pairs = stats.verdicts(measured, alpha=alpha, margin=used)
    verdicts = pd.concat(
        [verdicts.assign(n_flagged=_flagged_per_group(measured, verdicts)),
         _without_flagged(measured, verdicts, alpha=alpha, margin=used)], axis=1,
    )  # fmt: skip
    failed = (
        failed_groups(samples).drop(columns="verdict").assign(label=ALL_FAILED, note="every cell of the group failed")
    )
    verdicts = pd.concat([verdicts, failed], ignore_index=True)
    verdicts["flags"] = _flags(measured, verdicts)
    verdicts.to_csv(verdicts_tsv, sep="\t", index=False)
    verdicts.to_parquet(verdicts_parquet, index=False)
    pairs.to_csv(pairs_tsv, sep="\t", index=False)
    # The answer a user decides first: which kind of worker, then which member.
    stats.family_verdicts(measured, family, alpha=alpha, margin=used).to_csv(families_tsv, sep="\t", index=False)
    kinds = measured[["workload", "kind"]].drop_duplicates("workload")
    pairs = pairs.merge(kinds, on="workload")
    noise = [stats.noise_by_kind(pairs[pairs["machine"] == machine], aa_spread).assign(machine=machine)
             for machine in machines]  # fmt: skip
    noise = pd.concat(noise, ignore_index=True)
    noise[["machine", *noise.columns[:-1]]].to_csv(noise_by_kind_tsv, sep="\t", index=False)
    return verdicts


def margins_text(margins: stats.Margins) -> str:
    """The declared margins in words: "wall time ±5%, CPU ±5%, memory ±5%; startup: wall time ±10%"."""
    names = {"wall": "wall time", "cpu": "CPU", "memory": "memory"}
    text = ", ".join(f"{names[m]} {stats.margin_text(margins.of(m))}" for m in stats.MARGIN_METRICS)
    for workload, override in sorted(margins.workloads.items()):
        text += f"; {workload}: " + ", ".join(f"{names[m]} {stats.margin_text(v)}" for m, v in sorted(override.items()))
    return text


def _flags(measured, verdicts) -> pd.Series:
    """Beside each label, never changing it: "harness-bound" where the server set the pace."""
    key = list(GROUP_KEY)
    bound = harness_bound_groups(measured).assign(flags=HARNESS_BOUND)[[*key, "flags"]]
    merged = verdicts[key].merge(bound, on=key, how="left")
    return pd.Series(merged["flags"].fillna("").to_numpy(), index=verdicts.index)


def _without_flagged(measured, verdicts, *, alpha, margin) -> pd.DataFrame:
    """Each group's label and winner again without probe-flagged repetitions.

    They stay in the verdicts (a slow phase is part of the machine); this shows whether
    keeping them mattered.
    """
    again, _ = stats.verdicts(measured[~measured["flagged"]], alpha=alpha, margin=margin)
    key = list(GROUP_KEY)
    merged = verdicts[key].merge(again[[*key, "label", "winner"]], on=key, how="left")
    return pd.DataFrame(
        {"label_without_flagged": merged["label"].to_numpy(), "winner_without_flagged": merged["winner"].to_numpy()},
        index=verdicts.index,
    )


def _flagged_per_group(measured, verdicts) -> pd.Series:
    key = list(GROUP_KEY)
    counts = measured[measured["flagged"]].groupby(key).size().rename("n").reset_index()
    return verdicts[key].merge(counts, on=key, how="left")["n"].fillna(0).astype(int).to_numpy()
