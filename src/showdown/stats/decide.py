"""One decision procedure for comparison groups, claims and the A/A control.

Every comparison is a round-level t-estimate of a log ratio (:mod:`.estimates`), judged
against a margin ``m`` (on the log scale ``delta = -log(1 - m)``):

* **win**: the fastest model (lowest mean log round median, chosen after seeing the
  data) beats *every* other model: an intersection-union test, each pair's two-sided
  ``1 - alpha`` interval wholly below ``-delta``. No multiplicity correction inside a
  group: all pairs must pass, which only makes the rule stricter. Two-sided because the
  fastest was picked from the data (a one-sided bound with no margin calls about 10% false
  wins between identical models).
* **equivalent**: no win, and every pair among the unbeaten models has its two-sided
  ``1 - alpha`` interval wholly inside ``+-delta`` (TOST at ``alpha / 2`` each side: the very
  interval the win rule reads, so one printed interval gives one outcome); shown as
  "equivalent within +-m".
* **undecided**: anything else: an interval that crosses a margin line is undecided even
  where it excludes 1; also every group with fewer than :data:`~.estimates.MIN_ROUNDS`
  rounds. The note names the pair whose interval crosses.

The margin is declared (:mod:`.margins`), one per group (its workload's wall-time margin);
the run's A/A pairs check the procedure and never move it.

Claims use the same estimates with a test type that says what the article says:
``lower``, ``not_faster`` (non-superiority), ``not_slower`` (non-inferiority),
``equivalent`` (TOST). Holm runs across claims only, on one-sided p-values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _scipy

from ..vocabulary import (
    AA_SUFFIX,
    EQUIVALENT,
    GROUP_KEY,
    NO_CONTEST,
    SERIAL,
    SERIAL_KEY,
    UNDECIDED,
    WIN,
    is_aa_copy,
)  # fmt: skip
from .estimates import MIN_ROUNDS, band, estimate_pairs, p_above, p_below, paired_log_ratios, round_medians
from .margins import Margins

VERDICT_FIELDS = (
    "label", "winner", "fastest", "unbeaten", "runner_up",
    "ratio_to_runner_up", "ci_low", "ci_high", "p_value", "p_equivalent",
    "n_models", "rounds", "margin", "note",
)  # fmt: skip
PAIR_FIELDS = (
    "model_a", "model_b", "ratio", "ci_low", "ci_high", "round_spread",
    "p_faster", "p_equivalent", "rounds",
)  # fmt: skip


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment; NaN p-values stay NaN and do not count."""
    p = np.asarray(pvalues, float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    if not valid.size:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    m = order.size
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out[order] = adjusted
    return out


def holm_thresholds(pvalues: Sequence[float], alpha: float) -> np.ndarray:
    """Each p-value's own Holm threshold, ``alpha / (m - rank + 1)`` (rank 1 the smallest p):
    the one-sided level its interval is printed at. NaN p-values stay NaN and do not count."""
    p = np.asarray(pvalues, float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    order = valid[np.argsort(p[valid], kind="stable")]
    out[order] = alpha / (order.size - np.arange(order.size))
    return out


def competitors(measured: pd.DataFrame, value: str = "wall_seconds") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Round medians of every model of every comparison group, serial joining each group.

    Returns the medians with a group number ``gid`` and the groups' keys (one row per
    ``gid``). A/A copies stay out (they are judged by :func:`aa_control`); a group needs a
    model other than serial.
    """
    medians = round_medians(measured, [*GROUP_KEY, "model"], value)
    aa_copy = medians["model"].str.endswith(AA_SUFFIX)
    is_serial = medians["model"] == SERIAL
    leaders = medians[~aa_copy & ~is_serial]
    keys = leaders[list(GROUP_KEY)].drop_duplicates().sort_values(list(GROUP_KEY)).reset_index(drop=True)
    keys["gid"] = np.arange(len(keys))
    serial = medians[is_serial].drop(columns="workers").merge(keys, on=list(SERIAL_KEY))
    table = pd.concat([leaders.merge(keys, on=list(GROUP_KEY)), serial], ignore_index=True)
    return table[["gid", "model", "round", "median", "log"]], keys


def compare(
    table: pd.DataFrame, n_groups: int, *, alpha: float, margin: float | Sequence[float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Label every group of ``table`` (columns gid, model, round, log): see the module.

    ``margin`` is one number, or one per group. Returns one row per group
    (:data:`VERDICT_FIELDS`) and the pairs fastest vs each other model (``gid`` and
    :data:`PAIR_FIELDS`).
    """
    margins = np.broadcast_to(np.asarray(margin, float), (n_groups,)).copy()
    deltas = -np.log1p(-margins)
    level = table.groupby(["gid", "model"], sort=True)["log"].mean().rename("level").reset_index()
    ranked = level.sort_values(["gid", "level", "model"], kind="stable")
    fastest = ranked.drop_duplicates("gid").set_index("gid")["model"]
    n_models = level.groupby("gid").size().reindex(range(n_groups), fill_value=0)

    first = table.merge(fastest.rename("fastest").reset_index(), on="gid")
    lead = first[first["model"] == first["fastest"]][["gid", "round", "log"]]
    rest = first[first["model"] != first["fastest"]][["gid", "model", "round", "log"]]
    contrasts = paired_log_ratios(lead, rest, on=["gid"])
    pairs = _pair_table(contrasts, fastest, alpha=alpha, deltas=deltas)
    pairs = pairs.merge(level.rename(columns={"model": "model_b"}), on=["gid", "model_b"])
    pairs = pairs.sort_values(["gid", "level", "model_b"], kind="stable").drop(columns="level")
    pairs["beaten"] = pairs["high_log"] < -deltas[pairs["gid"].to_numpy(int)]

    unbeaten = _unbeaten(pairs, fastest)
    among = _pairs_among(table, unbeaten)
    among = estimate_pairs(among, ["gid", "model_a", "model_b"], confidence=1 - alpha) if len(among) else among
    if len(among):
        delta = deltas[among["gid"].to_numpy(int)]
        # A pair with fewer than MIN_ROUNDS shared rounds (NaN p with one) is not shown
        # equivalent; pandas' max would skip a NaN and call the group equivalent without it.
        enough = among["rounds"].to_numpy() >= MIN_ROUNDS
        tost = np.where(enough, _tost(among, delta), 1.0)
        p_equivalent = pd.Series(tost).groupby(among["gid"].to_numpy()).max()
        among = among.assign(inside=enough & (among["low"] > -delta) & (among["high"] < delta))
    else:
        p_equivalent = pd.Series(dtype=float)
    # A pair of unbeaten models sharing no round at all has no row: not shown equivalent either.
    n_unbeaten = unbeaten.groupby("gid").size()
    n_among = among.groupby("gid").size() if len(among) else pd.Series(dtype=int)
    missing = n_unbeaten.index[n_among.reindex(n_unbeaten.index, fill_value=0) < n_unbeaten * (n_unbeaten - 1) // 2]
    p_equivalent = p_equivalent.reindex(p_equivalent.index.union(missing))
    p_equivalent.loc[missing] = 1.0

    rows = []
    for gid in range(n_groups):
        mine_among = among[among["gid"] == gid] if len(among) else among
        rows.append(_group_row(gid, fastest, n_models, pairs, unbeaten, mine_among, p_equivalent,
                               margin=float(margins[gid])))  # fmt: skip
    verdicts = pd.DataFrame(rows, columns=["gid", *VERDICT_FIELDS])
    return verdicts, pairs[["gid", *PAIR_FIELDS]].reset_index(drop=True)


def _pair_table(contrasts: pd.DataFrame, fastest: pd.Series, *, alpha: float, deltas: np.ndarray) -> pd.DataFrame:
    estimates = estimate_pairs(contrasts, ["gid", "model"], confidence=1 - alpha)
    estimates = estimates.rename(columns={"model": "model_b"})
    estimates["model_a"] = fastest.reindex(estimates["gid"]).to_numpy()
    delta = deltas[estimates["gid"].to_numpy(int)] if len(estimates) else np.zeros(0)
    return estimates.assign(
        ratio=np.exp(estimates["mean"]),
        ci_low=np.exp(estimates["low"]),
        ci_high=np.exp(estimates["high"]),
        high_log=estimates["high"],
        round_spread=estimates["sd"],
        # Two-sided: the fastest was chosen from the data.
        p_faster=np.minimum(1.0, 2 * p_below(estimates, -delta)),
        p_equivalent=_tost(estimates, delta),
    )


def _tost(estimates: pd.DataFrame, delta) -> np.ndarray:
    """TOST p: the larger of the two one-sided p-values against -delta and +delta."""
    return np.maximum(p_above(estimates, -delta), p_below(estimates, delta))


def _unbeaten(pairs: pd.DataFrame, fastest: pd.Series) -> pd.DataFrame:
    others = pairs.loc[~pairs["beaten"], ["gid", "model_b"]].rename(columns={"model_b": "model"})
    return pd.concat([fastest.rename("model").reset_index(), others], ignore_index=True)


def round_pairs(rows: pd.DataFrame) -> pd.DataFrame:
    """Per shared round, ``d = log A - log B`` of every pair of models of a group (A < B by name)."""
    rows = rows[["gid", "model", "round", "log"]]
    merged = rows.merge(rows, on=["gid", "round"], suffixes=("_a", "_b"))
    merged = merged[merged["model_a"] < merged["model_b"]]
    return merged.assign(d=merged["log_a"] - merged["log_b"])


def _pairs_among(table: pd.DataFrame, unbeaten: pd.DataFrame) -> pd.DataFrame:
    """Per-round log ratios of every pair of unbeaten models of a group."""
    return round_pairs(table.merge(unbeaten, on=["gid", "model"]))


def _group_row(gid, fastest, n_models, pairs, unbeaten, among, p_equivalent, *, margin) -> dict:
    n = int(n_models.get(gid, 0))
    row = {"gid": gid, "n_models": n, "margin": margin, "note": ""}
    if gid not in fastest.index:
        return {**row, "label": UNDECIDED, "note": "nothing measured"}
    row["fastest"] = fastest[gid]
    if n < 2:
        return {**row, "label": NO_CONTEST, "unbeaten": fastest[gid], "rounds": np.nan}
    mine = pairs[pairs["gid"] == gid]
    if len(mine) < n - 1:
        return {**row, "label": UNDECIDED, "unbeaten": fastest[gid], "note": "a model shares no round with the fastest"}
    runner = mine.iloc[0]
    names = sorted(unbeaten.loc[unbeaten["gid"] == gid, "model"])
    rounds = int(mine["rounds"].min())
    row.update(
        unbeaten=",".join(names),
        runner_up=runner["model_b"],
        ratio_to_runner_up=runner["ratio"],
        ci_low=runner["ci_low"],
        ci_high=runner["ci_high"],
        p_value=float(mine["p_faster"].max()),
        p_equivalent=float(p_equivalent.get(gid, math.nan)),
        rounds=rounds,
    )
    if rounds < MIN_ROUNDS:
        return {**row, "label": UNDECIDED, "note": f"{rounds} shared rounds: at least {MIN_ROUNDS} decide"}
    if bool(mine["beaten"].all()):
        return {**row, "label": WIN, "winner": fastest[gid]}
    pairs_expected = len(names) * (len(names) - 1) // 2
    if len(names) > 1 and len(among) == pairs_expected and bool(among["inside"].all()):
        return {**row, "label": EQUIVALENT}
    return {**row, "label": UNDECIDED, "note": _crossing(among, margin)}


def _crossing(among: pd.DataFrame, margin: float) -> str:
    """The pair of unbeaten models that keeps a group undecided: its interval crosses a margin line."""
    undecided = among[~among["inside"]] if len(among) else among
    if not len(undecided):
        return ""
    # The widest first: the pair furthest from deciding either way.
    pair = undecided.assign(width=undecided["high"] - undecided["low"]).sort_values("width").iloc[-1]
    return (
        f"{pair['model_a']}/{pair['model_b']} {math.exp(pair['mean']):.3f} "
        f"[{math.exp(pair['low']):.3f}, {math.exp(pair['high']):.3f}] crosses the ±{100 * margin:.3g}% margin"
    )


def wall_margins(margin: float | Margins, workloads: pd.Series) -> np.ndarray:
    """Each group's declared wall-time margin, by its workload."""
    margins = Margins.from_config(margin)
    return np.array([margins.of("wall", w) for w in workloads], float)


def verdicts(
    measured: pd.DataFrame, *, alpha: float = 0.05, margin: float | Margins = 0.05
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labels of every comparison group of the measured samples, and their pairs."""
    table, keys = competitors(measured)
    verdict_rows, pairs = compare(table, len(keys), alpha=alpha, margin=wall_margins(margin, keys["workload"]))
    verdict_rows = keys.merge(verdict_rows, on="gid").drop(columns="gid")
    pairs = keys.merge(pairs, on="gid").drop(columns="gid")
    return verdict_rows, pairs


FAMILY_FIELDS = (
    "family", "label", "members", "weakest", "strongest_outside", "ratio", "ci_low", "ci_high", "rounds",
    "within_label", "within_winner", "margin",
)  # fmt: skip


def family_verdicts(
    measured: pd.DataFrame, family_of, *, alpha: float = 0.05, margin: float | Margins = 0.05
) -> pd.DataFrame:
    """Per comparison group and family (``family_of(model)``: what the workers are), whether the
    family wins: every member beats every model outside it by the win rule (each pair's 95%
    interval wholly beyond the margin). Its ratio and interval are its weakest pair's (the member
    closest to an outsider), never a pooled mean. ``within_label`` is the win rule among the members
    alone (a winner, equivalent or undecided). Groups where no family wins have no row."""
    table, keys = competitors(measured)
    margins = wall_margins(margin, keys["workload"])
    deltas = -np.log1p(-margins)
    table = table.assign(family=table["model"].map(family_of))
    pairs = table.merge(table, on=["gid", "round"], suffixes=("_a", "_b"))
    pairs = pairs[pairs["family_a"] != pairs["family_b"]].assign(d=lambda f: f["log_a"] - f["log_b"])
    rows = []
    if not len(pairs):
        return pd.DataFrame(columns=[*GROUP_KEY, *FAMILY_FIELDS])
    found = estimate_pairs(pairs, ["gid", "family_a", "model_a", "model_b"], confidence=1 - alpha)
    for (gid, name), mine in found.groupby(["gid", "family_a"], sort=True):
        weakest = mine.sort_values("high").iloc[-1]
        if not (mine["rounds"].min() >= MIN_ROUNDS and weakest["high"] < -deltas[gid]):
            continue
        members = sorted(set(mine["model_a"]))
        within, within_winner = NO_CONTEST, members[0]
        if len(members) > 1:
            inside = table[(table["gid"] == gid) & table["model"].isin(members)].assign(gid=0)
            label = compare(inside[["gid", "model", "round", "log"]], 1, alpha=alpha, margin=margins[gid])[0].iloc[0]
            within, within_winner = label["label"], label["winner"] if label["label"] == WIN else None
        rows.append({
            "gid": gid, "family": name, "label": WIN, "members": ",".join(members), "weakest": weakest["model_a"],
            "strongest_outside": weakest["model_b"], "ratio": float(np.exp(weakest["mean"])),
            "ci_low": float(np.exp(weakest["low"])), "ci_high": float(np.exp(weakest["high"])),
            "rounds": int(mine["rounds"].min()), "within_label": within, "within_winner": within_winner,
            "margin": float(margins[gid]),
        })  # fmt: skip
    result = pd.DataFrame(rows, columns=["gid", *FAMILY_FIELDS])
    return keys.merge(result, on="gid").drop(columns="gid")[[*GROUP_KEY, *FAMILY_FIELDS]]


def aa_control(measured: pd.DataFrame, *, alpha: float = 0.05, margin: float | Margins = 0.05) -> pd.DataFrame:
    """Every A/A pair (model ``X`` and its A/A copy ``X.aa`` in one group) judged by the win rule.

    Both labels measure the same thing, so a win is a false one: ``called_different``.
    """
    columns = [*GROUP_KEY, "model", "aa_copy", "fastest", "ratio", "ci_low", "ci_high",
               "round_spread", "p_value", "rounds", "called_different"]  # fmt: skip
    medians = round_medians(measured, [*GROUP_KEY, "model"])
    copies = medians.loc[medians["model"].map(is_aa_copy), [*GROUP_KEY, "model"]].drop_duplicates()
    copies["base"] = copies["model"].str.removesuffix(AA_SUFFIX)
    present = medians[[*GROUP_KEY, "model"]].drop_duplicates()
    copies = copies.merge(present.rename(columns={"model": "base"}), on=[*GROUP_KEY, "base"])
    if not len(copies):
        return pd.DataFrame(columns=columns)
    copies = copies.sort_values([*GROUP_KEY, "model"]).reset_index(drop=True)
    copies["gid"] = np.arange(len(copies))
    both = pd.concat(
        [medians.merge(copies.drop(columns="base"), on=[*GROUP_KEY, "model"]),
         medians.merge(copies.drop(columns="model").rename(columns={"base": "model"}), on=[*GROUP_KEY, "model"])],
        ignore_index=True,
    )  # fmt: skip
    labels, pairs = compare(both[["gid", "model", "round", "log"]], len(copies), alpha=alpha,
                            margin=wall_margins(margin, copies["workload"]))  # fmt: skip
    pairs = pairs.set_index("gid").reindex(range(len(copies)))
    result = copies.rename(columns={"model": "aa_copy", "base": "model"})
    result = result.assign(
        fastest=labels["fastest"].to_numpy(),
        ratio=pairs["ratio"].to_numpy(),
        ci_low=pairs["ci_low"].to_numpy(),
        ci_high=pairs["ci_high"].to_numpy(),
        round_spread=pairs["round_spread"].to_numpy(),
        p_value=pairs["p_faster"].to_numpy(),
        rounds=pairs["rounds"].to_numpy(),
        called_different=(labels["label"] == WIN).to_numpy(),
    )
    return result[columns]


def false_win_rate(aa: pd.DataFrame, confidence: float = 0.95) -> dict:
    """Share of A/A pairs called different, with a Clopper-Pearson (exact) interval."""
    n = len(aa)
    if n == 0:
        return {"k": 0, "n": 0, "rate": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    k = int(aa["called_different"].sum())
    interval = _scipy.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    return {"k": k, "n": n, "rate": k / n, "ci_low": interval.low, "ci_high": interval.high}


def aa_spread(aa: pd.DataFrame) -> float:
    """The 95th percentile of A/A pairs' ratios away from 1 (as a fraction); NaN without pairs.

    A check of the instrument, reported beside the false-win rate; it never sets the margin.
    """
    ratios = aa["ratio"].to_numpy(float) if len(aa) else np.zeros(0)
    ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
    if not ratios.size:
        return math.nan
    return float(-np.expm1(-np.quantile(np.abs(np.log(ratios)), 0.95)))


# --- Claims ------------------------------------------------------------------------

LOWER, NOT_FASTER, NOT_SLOWER, EQUIVALENT_TEST, WORKS = "lower", "not_faster", "not_slower", "equivalent", "works"
TESTS = (LOWER, NOT_FASTER, NOT_SLOWER, EQUIVALENT_TEST, WORKS)


def claim_p(test: str, estimates: pd.DataFrame, margin: float) -> np.ndarray:
    """One-sided p-value of each estimate (log A/B) for a claim's test.

    lower: A lower than B by more than the margin. not_faster: A not lower than B by
    more than the margin (non-superiority). not_slower: A not higher than B by more than
    the margin (non-inferiority). equivalent: both (TOST).
    """
    delta = band(margin)
    if test == LOWER:
        return p_below(estimates, -delta)
    if test == NOT_FASTER:
        return p_above(estimates, -delta)
    if test == NOT_SLOWER:
        return p_below(estimates, delta)
    if test == EQUIVALENT_TEST:
        return _tost(estimates, delta)
    raise ValueError(f"test: {test!r}; allowed: {', '.join(TESTS[:-1])}")


def claim_p_against(test: str, estimates: pd.DataFrame, margin: float) -> np.ndarray:
    """One-sided p-value of the claim's opposite: small where the data refute the claim."""
    delta = band(margin)
    if test == LOWER:
        return p_above(estimates, -delta)
    if test == NOT_FASTER:
        return p_below(estimates, -delta)
    if test == NOT_SLOWER:
        return p_above(estimates, delta)
    if test == EQUIVALENT_TEST:
        return np.minimum(p_below(estimates, -delta), p_above(estimates, delta))
    raise ValueError(f"test: {test!r}; allowed: {', '.join(TESTS[:-1])}")
