"""The claim ledger: every claim of the article held against the measurements.

Claims are data (``config/claims.yaml``): which cells a claim compares (workload kind,
models A and B, where), which metric, and which test, chosen to say what the article's
sentence says (see :mod:`showdown.stats.decide`):

- ``lower``: A's metric is lower than B's by more than the margin.
- ``not_faster``: A is not lower than B by more than the margin (non-superiority: "threads
  give no speedup").
- ``not_slower``: A is not higher than B by more than the margin (non-inferiority: "costs
  little").
- ``equivalent``: A is within the margin of B, both ways (TOST).
- ``works``: every cell of the named models measured without failure.

A claim is judged per (machine, interpreter) on its **pooled effect**: at each round the
log ratios A/B of all its points (payloads, worker counts, model pairs) are averaged, and
the t-interval runs over rounds, the unit of evidence. One one-sided p per claim row;
Holm across the ledger, and the interval printed beside it is the one its Holm step tested
(each tail at ``alpha / (m - rank + 1)``, its level in ``ci_level``), so an interval and its
verdict never disagree. The margin is the declared one of the claim's metric (wall time,
CPU or memory; a workload's override where its points lie on one), named in every reading. The verdict is ``supported`` or ``refuted`` when the pooled test
says so, ``depends`` only when two points lie beyond the margin in opposite directions (a
real boundary, stated), ``undecided`` otherwise, ``not measured`` (with why) when the
sweep has no cells for it. Every point stays in ``points.tsv``; each row gets a reading,
one sentence a reader can quote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import stats
from ..kernel import size_label
from ..vocabulary import DEPENDS, GROUP_KEY, NOT_MEASURED, REFUTED, SUPPORTED, UNDECIDED
from .aggregate import HARNESS_BOUND, harness_bound_groups
from .claims_file import Claim, load_claims

# A point (or a whole claim) whose cells' server set the pace: a flag that reads as the verdict.
HARNESS_NOT_MEASURED = f"{NOT_MEASURED}: {HARNESS_BOUND}"
# A free-threading claim where the sweep has no free-threaded cell with the GIL off.
NEEDS_FREE_THREADED = f"{NOT_MEASURED} (needs a free-threaded interpreter)"
GIL_BACK_ON = "GIL back on"
POINT_KEY = ["machine", "interpreter", "workload", "payload_bytes", "workers"]
ROW_KEY = ["claim", "machine", "interpreter"]
# How a ratio below / above 1 reads, per metric.
WORDS = {
    "wall_seconds": ("faster than", "slower than"),
    "peak_pss_bytes": ("less memory (PSS) than", "more memory (PSS) than"),
    "cpu_per_wall": ("fewer CPU seconds per wall second than", "more CPU seconds per wall second than"),
    "cpu_seconds_per_task": ("less CPU per task than", "more CPU per task than"),
    "seconds_per_task": ("less time per task than", "more time per task than"),
}
LEDGER_COLUMNS = [
    "claim", "verdict", "reading", "text", "test", "metric", "machine", "interpreter", "ratio", "ci_low",
    "ci_high", "ci_level", "p_value", "p_adjusted", "margin", "points", "rounds", "cells", "figure", "detail",
]  # fmt: skip


def _metric(samples: pd.DataFrame, metric: str) -> pd.Series:
    cpu = samples["cpu_user_seconds"] + samples["cpu_system_seconds"]
    if metric == "cpu_per_wall":
        return cpu / samples["wall_seconds"]
    if metric == "cpu_seconds_per_task":
        return cpu / samples["tasks"]
    if metric == "seconds_per_task":
        return samples["wall_seconds"] / samples["tasks"]
    return samples[metric].astype(float)


def _select(samples: pd.DataFrame, claim: Claim) -> pd.DataFrame:
    rows = samples[samples["kind"] == claim.kind]
    where = claim.where
    serial = rows["model"] == "serial"
    if "workers_min" in where:
        rows = rows[(rows["workers"] >= where["workers_min"]) | serial.loc[rows.index]]
    if "workers_max" in where:
        rows = rows[rows["workers"] <= where["workers_max"]]
    if "workload" in where:
        rows = rows[rows["workload"] == where["workload"]]
    if "payload_bytes_min" in where:
        rows = rows[rows["payload_bytes"] >= where["payload_bytes_min"]]
    if "payload_bytes_max" in where:
        rows = rows[rows["payload_bytes"] <= where["payload_bytes_max"]]
    if where.get("free_threaded") and not claim.twin:
        rows = rows[free_threaded_rows(rows)]
    return rows


def _flag(rows: pd.DataFrame, name: str) -> pd.Series:
    return rows[name].fillna(False).astype(bool) if name in rows else pd.Series(False, index=rows.index)


def free_threaded_rows(rows: pd.DataFrame) -> pd.Series:
    """Samples of a free-threaded build whose GIL stayed off (aggregate's gil_reenabled)."""
    return _flag(rows, "free_threaded_build") & ~_flag(rows, "gil_reenabled")


def twin_pairs(rows: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(machine, free-threaded interpreter) -> its GIL twin: the interpreter built from the same
    source tarball (build_tarball_sha256) with the GIL on."""
    if "build_tarball_sha256" not in rows or rows.empty:
        return {}
    builds = rows.dropna(subset=["build_tarball_sha256"]).assign(free=_flag(rows, "free_threaded_build"))
    builds = builds[["machine", "interpreter", "build_tarball_sha256", "free"]].drop_duplicates()
    gil = builds[~builds["free"]].drop(columns="free")
    pairs = builds[builds["free"]].merge(gil, on=["machine", "build_tarball_sha256"], suffixes=("", "_twin"))
    return {(p.machine, p.interpreter): p.interpreter_twin for p in pairs.itertuples()}


def _twin_sides(rows: pd.DataFrame) -> pd.DataFrame:
    """A twin claim's rows: the free-threaded side as it is, and its GIL twin's rows relabelled
    to the free-threaded interpreter (so they meet at one point), the model named with the twin."""
    pairs = twin_pairs(rows)
    free = rows[free_threaded_rows(rows) & rows.set_index(["machine", "interpreter"]).index.isin(list(pairs))]
    twins = []
    for (machine, interpreter), twin in pairs.items():
        side = rows[(rows["machine"] == machine) & (rows["interpreter"] == twin)]
        twins.append(side.assign(interpreter=interpreter, model=side["model"] + "@" + twin))
    return pd.concat([free, *twins], ignore_index=True)


def _harness_bound_rows(rows: pd.DataFrame, bound_groups: pd.DataFrame | None) -> pd.Series:
    """True for the samples of a harness-bound comparison group (:func:`harness_bound_groups`)."""
    if bound_groups is None or bound_groups.empty or rows.empty:
        return pd.Series(False, index=rows.index)
    key = list(GROUP_KEY)
    merged = rows[key].merge(bound_groups[[*key, "harness_bound"]], on=key, how="left")
    return pd.Series(merged["harness_bound"].fillna(False).astype(bool).to_numpy(), index=rows.index)


def claim_contrasts(claim: Claim, measured: pd.DataFrame, bound_groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per point and shared round: log(A) - log(B) of the round medians of the claim's metric,
    and whether either side of the point was harness-bound."""
    rows = _select(measured, claim)
    rows = rows.assign(value=_metric(rows, claim.metric), harness_bound=_harness_bound_rows(rows, bound_groups))
    if claim.twin:
        rows = _twin_sides(rows)
    medians = stats.round_medians(rows, [*POINT_KEY, "model"], "value")
    bound = rows.groupby([*POINT_KEY, "model", "round"], observed=True)["harness_bound"].any().reset_index()
    medians = medians.merge(bound, on=[*POINT_KEY, "model", "round"], how="left")
    found = []
    twins = sorted({m for m in medians["model"] if "@" in m}) if claim.twin else []
    for a in claim.a:
        for b in (m for m in twins if m.split("@")[0] in claim.b) if claim.twin else claim.b:
            a_rows = medians[medians["model"] == a].drop(columns="model")
            b_rows = medians[medians["model"] == b].drop(columns="model")
            on = POINT_KEY
            if claim.b_workers is not None:
                b_rows = b_rows[b_rows["workers"] == claim.b_workers].drop(columns="workers")
                on = [k for k in POINT_KEY if k != "workers"]
            merged = stats.paired_log_ratios(a_rows, b_rows, on=on)
            merged["harness_bound"] = merged["harness_bound_a"].fillna(False) | merged["harness_bound_b"].fillna(False)
            found.append(merged.assign(model_a=a, model_b=b)[[*POINT_KEY, "model_a", "model_b", "round", "d",
                                                              "harness_bound"]])  # fmt: skip
    columns = [*POINT_KEY, "model_a", "model_b", "round", "d", "harness_bound"]
    return pd.concat(found, ignore_index=True)[columns] if found else pd.DataFrame(columns=columns)


def _outcomes(test: str, estimates: pd.DataFrame, margin: float, alpha: float) -> np.ndarray:
    supported = stats.claim_p(test, estimates, margin) < alpha
    refuted = stats.claim_p_against(test, estimates, margin) < alpha
    return np.where(supported, SUPPORTED, np.where(refuted, REFUTED, UNDECIDED))


POINT = [*POINT_KEY, "model_a", "model_b"]
POINT_COLUMNS = [
    "claim", "test", "metric", *POINT, "ratio", "ci_low", "ci_high", "rounds", "p_value", "margin", "outcome",
]  # fmt: skip


def _points(claim: Claim, contrasts: pd.DataFrame, *, alpha: float, margins: stats.Margins) -> pd.DataFrame:
    """One row per comparison point of a claim, with the point's own outcome (unadjusted, at its
    workload's margin); a point over a harness-bound cell reads "not measured: harness-bound"
    (the server was compared)."""
    estimates = stats.estimate_pairs(contrasts, POINT, confidence=1 - alpha)
    margin = np.array([margins.of(claim.metric, w) for w in estimates["workload"]], float)
    bound = estimates[POINT].merge(contrasts.groupby(POINT, as_index=False)["harness_bound"].any(), on=POINT)
    outcome = _outcomes(claim.test, estimates, margin, alpha)
    return estimates.assign(
        claim=claim.id, test=claim.test, metric=claim.metric,
        ratio=np.exp(estimates["mean"]), ci_low=np.exp(estimates["low"]), ci_high=np.exp(estimates["high"]),
        p_value=stats.claim_p(claim.test, estimates, margin), margin=margin,
        outcome=np.where(bound["harness_bound"].to_numpy(bool), HARNESS_NOT_MEASURED, outcome),
    )[POINT_COLUMNS]  # fmt: skip


def _pooled(claim: Claim, contrasts: pd.DataFrame, *, alpha: float, margins: stats.Margins) -> pd.DataFrame:
    """Per (machine, interpreter): the per-round mean of the points' log ratios, over rounds.
    Harness-bound points measured the server, not the claim: they stay out. Judged at the
    largest margin of its points' workloads, so that a win holds at each one's margin."""
    contrasts = contrasts[~contrasts["harness_bound"].astype(bool)]
    per_round = contrasts.groupby(["machine", "interpreter", "round"], as_index=False)["d"].mean()
    estimates = stats.estimate_pairs(per_round, ["machine", "interpreter"], confidence=1 - alpha)
    margin = margins.of_all(claim.metric, contrasts["workload"])
    return estimates.assign(
        claim=claim.id,
        margin=margin,
        p_value=stats.claim_p(claim.test, estimates, margin),
        p_against=stats.claim_p_against(claim.test, estimates, margin),
    )


def judge(claims: Sequence[Claim], samples: pd.DataFrame, *, alpha: float, margin) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ledger and every point behind it: each claim's contrasts computed once.
    ``margin``: the declared margins (:class:`showdown.stats.Margins` or the config's value)."""
    margins = stats.Margins.from_config(margin)
    measured = samples[samples["measured"]]
    bound_groups = harness_bound_groups(measured)
    points, pooled = [], []
    for claim in claims:
        if claim.test == "works":
            continue
        contrasts = claim_contrasts(claim, measured, bound_groups)
        if contrasts.empty:
            continue
        points.append(_points(claim, contrasts, alpha=alpha, margins=margins))
        pooled.append(_pooled(claim, contrasts, alpha=alpha, margins=margins))
    points = pd.concat(points, ignore_index=True) if points else pd.DataFrame(columns=POINT_COLUMNS)
    pooled = pd.concat(pooled, ignore_index=True) if pooled else pd.DataFrame()
    return ledger(claims, samples, points, pooled, alpha=alpha, margins=margins), points


def _boundary(points: pd.DataFrame) -> bool:
    """Two points beyond their margin in opposite directions: the claim depends on where."""
    limit = 1 - points["margin"]
    return bool((points["ci_high"] < limit).any() and (points["ci_low"] > 1 / limit).any())


def _position(p) -> str:
    """Where a point's 95% interval lies against its margin: said of the interval, not as a
    verdict, so that no point reads as contradicting its claim's adjusted verdict."""
    limit = 1 - p.margin
    if p.outcome == HARNESS_NOT_MEASURED:
        return HARNESS_NOT_MEASURED
    if p.ci_high < limit or p.ci_low > 1 / limit:
        return "beyond the margin"
    if p.ci_low > limit and p.ci_high < 1 / limit:
        return "inside the margin"
    return "crosses the margin"


def _detail(points: pd.DataFrame) -> str:
    """Each point: models, workers, payload, ratio with its 95% CI and where that lies."""
    return "; ".join(
        f"{p.model_a} vs {p.model_b} on {p.workload} at {p.workers} workers, {size_label(int(p.payload_bytes))}: "
        f"{p.ratio:.3f} [{p.ci_low:.3f}, {p.ci_high:.3f}] {_position(p)}"
        for p in points.itertuples()
    )


# What may vary between a claim's points, and how a reading names it.
POINT_NAMES = {
    "workload": lambda p: p.workload,
    "model_a": lambda p: p.model_a,
    "model_b": lambda p: p.model_b,
    "workers": lambda p: f"{p.workers} workers",
    "payload_bytes": lambda p: size_label(int(p.payload_bytes)),
}


def _each_point(points: pd.DataFrame, invert: bool) -> str:
    """A pooled factor keeps its points: their range and each one, named by what varies."""
    varies = [column for column in POINT_NAMES if points[column].nunique() > 1]
    factors = 1 / points["ratio"] if invert else points["ratio"]
    if len(points) < 2 or not varies:
        return ""
    each = ", ".join(
        f"{' '.join(POINT_NAMES[c](p) for c in varies)} {f:.2f}x"
        for p, f in sorted(zip(points.itertuples(), factors), key=lambda pair: pair[1])
    )
    return f"; points {factors.min():.2f}-{factors.max():.2f}x: {each}"


def reading(claim: Claim, row: dict, points: pd.DataFrame) -> str:
    """One sentence a reader can quote, made from the numbers."""
    ratio, low, high = row["ratio"], row["ci_low"], row["ci_high"]
    faster, slower = WORDS[claim.metric]
    if ratio <= 1:
        factor, lo, hi, word = 1 / ratio, 1 / high, 1 / low, faster
    else:
        factor, lo, hi, word = ratio, low, high, slower
    a = "/".join(sorted(points["model_a"].unique()))
    b = "/".join(sorted(points["model_b"].unique()))
    workers = ", ".join(str(w) for w in sorted(points["workers"].unique()))
    measured = points[points["outcome"] != HARNESS_NOT_MEASURED]
    sentence = (
        f"{a} {factor:.2f}x {word} {b} on {claim.kind} [{lo:.2f}, {hi:.2f}]{_each_point(measured, ratio <= 1)} "
        f"({_level_text(row['ci_level'])} interval, margin {stats.margin_text(row['margin'])}; "
        f"{workers} workers, {len(points)} points, {row['rounds']} rounds): {row['verdict']}"
    )
    if claim.test == "lower" and row["verdict"] == REFUTED and ratio < 1:
        # Refuted while the point estimate favours A: the difference is inside the margin.
        sentence += f" (lower, but by less than the {stats.margin_text(row['margin'])} margin)"
    if row["verdict"] == UNDECIDED and row.get("note"):
        sentence += f" ({row['note']})"
    if row["verdict"] == DEPENDS:
        # A pooled factor over a boundary says little: name the points on either side of it.
        sentence += f" (holds at {_where(points, SUPPORTED)}; not at {_where(points, REFUTED)})"
    return sentence


def _level_text(level: float) -> str:
    return f"{100 * level:.3g}%" if np.isfinite(level) else "no"


def _where(points: pd.DataFrame, outcome: str) -> str:
    """The points with ``outcome``: workload, workers and payload of each."""
    chosen = points[points["outcome"] == outcome]
    return ", ".join(
        f"{p.workload} at {p.workers} workers, {size_label(int(p.payload_bytes))}" for p in chosen.itertuples()
    )


def _tested_intervals(pooled: pd.DataFrame, *, alpha: float) -> pd.DataFrame:
    """Holm across the ledger, and each row's interval at the level its deciding test used.

    A row is supported when its Holm-adjusted p is below alpha, refuted when that of the
    opposite test is; its interval's tails are at the Holm threshold of the test that decided
    (of the claim's own test when neither did), so the interval shown is the one tested.
    """
    support = stats.holm_thresholds(pooled["p_value"].to_numpy(), alpha)
    against = stats.holm_thresholds(pooled["p_against"].to_numpy(), alpha)
    pooled = pooled.assign(
        p_adjusted=stats.holm(pooled["p_value"].to_numpy()),
        p_against_adjusted=stats.holm(pooled["p_against"].to_numpy()),
    )
    refuted = (pooled["p_adjusted"] >= alpha) & (pooled["p_against_adjusted"] < alpha)
    tail = np.where(refuted, against, support)
    interval = stats.interval_at(pooled, tail)
    return pooled.assign(tested_low=interval["low"], tested_high=interval["high"], ci_level=1 - 2 * tail)


def _step_down_note(estimate, verdict: str, alpha: float) -> str:
    """Said where the tested interval alone would decide but Holm's step-down stopped before
    this row (a claim with a smaller p failed its own threshold)."""
    if verdict != UNDECIDED or not np.isfinite(estimate.p_value):
        return ""
    threshold = (1 - estimate.ci_level) / 2
    if estimate.p_value < threshold <= alpha:
        return "its interval clears the margin, but Holm's step-down stopped at a claim with a smaller p"
    return ""


def ledger(claims: Sequence[Claim], samples: pd.DataFrame, points: pd.DataFrame, pooled: pd.DataFrame,
           *, alpha: float, margins: stats.Margins) -> pd.DataFrame:  # fmt: skip
    """One row per claim and (machine, interpreter): verdict, reading, pooled effect, points."""
    if len(pooled):
        pooled = _tested_intervals(pooled, alpha=alpha)
    rows = []
    for claim in claims:
        base = {"claim": claim.id, "text": claim.text, "test": claim.test, "metric": claim.metric,
                "figure": claim.figure, "margin": margins.of(claim.metric)}  # fmt: skip
        if claim.test == "works":
            rows.append({**base, **_works_row(claim, samples)})
            continue
        mine = pooled[pooled["claim"] == claim.id] if len(pooled) else pooled
        bound = points[(points["claim"] == claim.id) & (points["outcome"] == HARNESS_NOT_MEASURED)]
        if mine.empty and len(bound):
            rows.append({**base, "verdict": NOT_MEASURED, "reading": HARNESS_NOT_MEASURED,
                         "points": len(bound), "cells": "; ".join(sorted(set(bound["model_a"]) | set(bound["model_b"]))),
                         "detail": f"every point is harness-bound (the loopback server set the pace): {_detail(bound)}"})  # fmt: skip
            continue
        if mine.empty:
            rows.append({**base, **_not_measured_row(claim, samples)})
            continue
        for estimate in mine.itertuples():
            at = points[(points["claim"] == claim.id) & (points["machine"] == estimate.machine)
                        & (points["interpreter"] == estimate.interpreter)]  # fmt: skip
            if _boundary(at[at["outcome"] != HARNESS_NOT_MEASURED]):
                verdict = DEPENDS
            elif estimate.p_adjusted < alpha:
                verdict = SUPPORTED
            elif estimate.p_against_adjusted < alpha:
                verdict = REFUTED
            else:
                verdict = UNDECIDED
            row = {
                **base, "machine": estimate.machine, "interpreter": estimate.interpreter, "verdict": verdict,
                "margin": estimate.margin, "ratio": float(np.exp(estimate.mean)),
                "ci_low": float(np.exp(estimate.tested_low)), "ci_high": float(np.exp(estimate.tested_high)),
                "ci_level": float(estimate.ci_level), "p_value": estimate.p_value,
                "p_adjusted": estimate.p_adjusted, "points": len(at), "rounds": int(estimate.rounds),
                "cells": "; ".join(sorted(set(at["model_a"]) | set(at["model_b"]))), "detail": _detail(at),
                "note": _step_down_note(estimate, verdict, alpha),
            }  # fmt: skip
            rows.append({**row, "reading": reading(claim, row, at)})
    return pd.DataFrame(rows).reindex(columns=LEDGER_COLUMNS)


def _not_measured_row(claim: Claim, samples: pd.DataFrame) -> dict[str, Any]:
    """Why a claim has no pooled effect: no free-threaded interpreter, its GIL came back on,
    or no cells of its models at a common point."""
    wanted = ", ".join(claim.a + claim.b)
    why = f"this sweep has no {claim.kind} cells of both {wanted} at a common point"
    if claim.where.get("free_threaded"):
        mine = samples[(samples["kind"] == claim.kind) & samples["model"].isin(claim.a + claim.b)]
        if not _flag(mine, "free_threaded_build").any():
            why = f"no free-threaded {claim.kind} cells of {wanted}"
            return {"verdict": NOT_MEASURED, "reading": NEEDS_FREE_THREADED, "detail": why}
        if _flag(mine, "gil_reenabled").any():
            why = f"the free-threaded {claim.kind} cells left ran with the GIL back on (cells.tsv gil_reenabled)"
            return {"verdict": NOT_MEASURED, "reading": f"{NOT_MEASURED}: {GIL_BACK_ON}", "detail": why}
        if claim.twin and not twin_pairs(mine):
            why = "no free-threaded interpreter with its GIL twin (same source tarball) in this sweep"
    return {"verdict": NOT_MEASURED, "reading": f"not measured: {why}", "detail": why}


def _works_row(claim: Claim, samples: pd.DataFrame) -> dict[str, Any]:
    rows = samples[(samples["kind"] == claim.kind) & samples["model"].isin(claim.a)]
    if rows.empty:
        why = f"no {claim.kind} cells of {', '.join(claim.a)} in this sweep"
        return {"verdict": NOT_MEASURED, "reading": f"not measured: {why}", "detail": why}
    failed = rows[rows["status"] != "ok"].drop_duplicates(["model", "workers", "payload_bytes", "round"])
    models = ", ".join(sorted(rows["model"].unique()))
    if len(failed):
        detail = f"failed: {'; '.join(failed['model'] + ': ' + failed['status'])}"
        return {"verdict": REFUTED, "reading": f"{detail}: refuted", "detail": detail}
    detail = f"every message arrived intact through {models} ({rows['round'].nunique()} rounds)"
    return {"verdict": SUPPORTED, "reading": f"{detail}: supported", "detail": detail}


def write_ledger(claims_path: str, samples_path: str, *, ledger_tsv: str, points_tsv: str,
                 alpha: float, margin) -> pd.DataFrame:  # fmt: skip
    """The judge_claims rule: the ledger and every point behind it, at the declared margins."""
    claims = load_claims(claims_path)
    samples = pd.read_parquet(samples_path)
    table, points = judge(claims, samples, alpha=alpha, margin=margin)
    table.to_csv(ledger_tsv, sep="\t", index=False)
    points.to_csv(points_tsv, sep="\t", index=False)
    return table
