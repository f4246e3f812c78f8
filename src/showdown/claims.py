"""The claim ledger: every claim of the article held against the measurements.

Claims are data (``config/claims.yaml``): which cells a claim compares (workload kind,
model A, model B, where), which metric, and which test:

- ``lower``: A's metric is lower than B's (faster, or lighter). Supported when the
  Holm-adjusted p is below alpha and the ratio's CI lies wholly below 1 - margin; refuted
  when the CI lies inside 1 +/- margin (no difference worth the name) or wholly above
  1 + margin (the other way round); otherwise inconclusive.
- ``equivalent``: A costs about what B costs. Supported when the CI lies inside
  1 +/- margin, refuted when it lies wholly outside, otherwise inconclusive.
- ``works``: every cell of the named models measured without failure.

A claim is judged at every comparison point it covers (machine, interpreter, payload,
worker count) with the same statistics as the verdicts (stratified Mann-Whitney, ratio
CI); the Holm family is the whole ledger. Its verdict is ``supported`` or ``refuted``
when all points agree, ``depends`` when some points support it and others refute it
(the boundary is stated), ``inconclusive`` otherwise, and ``not measured`` (with why)
when the sweep has no cells for it.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd
import yaml

from . import stats

TESTS = ("lower", "equivalent", "works")
METRICS = ("wall_seconds", "tree_rss_bytes", "cpu_per_wall")
POINT_KEY = ["machine", "interpreter", "payload_bytes", "workers"]
SUPPORTED, REFUTED, DEPENDS, INCONCLUSIVE, NOT_MEASURED = (
    "supported", "refuted", "depends", "inconclusive", "not measured")


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    test: str
    kind: str
    a: Tuple[str, ...]
    b: Tuple[str, ...] = ()
    metric: str = "wall_seconds"
    b_workers: Optional[int] = None  # compare with B at this worker count (serial: 1)
    where: Dict[str, Any] = field(default_factory=dict)


def load_claims(path: str) -> List[Claim]:
    """The claims of a file, validated: a bad entry names its id and the allowed values."""
    with open(path) as handle:
        entries = yaml.safe_load(handle)["claims"]
    claims, problems = [], []
    for index, entry in enumerate(entries):
        name = entry.get("id", f"claims[{index}]")
        if entry.get("test") not in TESTS:
            problems.append(f"{name}.test: {entry.get('test')!r}; allowed: {', '.join(TESTS)}")
        if entry.get("metric", "wall_seconds") not in METRICS:
            problems.append(f"{name}.metric: {entry.get('metric')!r}; allowed: {', '.join(METRICS)}")
        as_tuple = lambda v: tuple(v) if isinstance(v, list) else ((v,) if v else ())  # noqa: E731
        claims.append(Claim(
            id=entry["id"], text=entry["text"], test=entry.get("test"), kind=entry["kind"],
            a=as_tuple(entry["a"]), b=as_tuple(entry.get("b")), metric=entry.get("metric", "wall_seconds"),
            b_workers=entry.get("b_workers"), where=entry.get("where", {}),
        ))
    if problems:
        raise ValueError(f"invalid claims in {path}:\n" + "\n".join(f"  - {p}" for p in problems))
    return claims


def _metric(samples: pd.DataFrame, metric: str) -> pd.Series:
    if metric == "cpu_per_wall":
        return (samples["cpu_user_seconds"] + samples["cpu_system_seconds"]) / samples["wall_seconds"]
    return samples[metric]


def _select(samples: pd.DataFrame, claim: Claim) -> pd.DataFrame:
    rows = samples[samples["kind"] == claim.kind]
    if "workers_min" in claim.where:
        rows = rows[(rows["workers"] >= claim.where["workers_min"]) | (rows["model"] == "serial")]
    if "workers_max" in claim.where:
        rows = rows[rows["workers"] <= claim.where["workers_max"]]
    if "workload" in claim.where:
        rows = rows[rows["workload"] == claim.where["workload"]]
    return rows


def _by_round(rows: pd.DataFrame, metric: str) -> Dict[int, np.ndarray]:
    values = _metric(rows, metric)
    return {r: values[rows["round"] == r].to_numpy(float) for r in sorted(rows["round"].unique())}


@dataclass
class Point:
    """One comparison of a claim: A vs B at one (machine, interpreter, payload, workers)."""

    claim: Claim
    a: str
    b: str
    key: Dict[str, Any]
    a_rounds: Dict[int, np.ndarray]
    b_rounds: Dict[int, np.ndarray]

    def label(self) -> str:
        return f"{self.a} vs {self.b}, {self.key['workers']} workers, {self.key['payload_bytes']} B"


def claim_points(claim: Claim, measured: pd.DataFrame) -> List[Point]:
    """Every comparison point of a claim that the sweep measured on both sides."""
    rows = _select(measured, claim)
    points = []
    for a in claim.a:
        for b in claim.b:
            a_rows = rows[rows["model"] == a]
            b_rows = rows[rows["model"] == b]
            for key, a_point in a_rows.groupby(POINT_KEY):
                key = dict(zip(POINT_KEY, key))
                b_workers = claim.b_workers or key["workers"]
                b_point = b_rows[
                    (b_rows["machine"] == key["machine"]) & (b_rows["interpreter"] == key["interpreter"])
                    & (b_rows["payload_bytes"] == key["payload_bytes"]) & (b_rows["workers"] == b_workers)
                ]
                if len(b_point):
                    points.append(Point(claim, a, b, key, _by_round(a_point, claim.metric),
                                        _by_round(b_point, claim.metric)))
    return points


def _point_outcome(test: str, p_adjusted: float, low: float, high: float, alpha: float, margin: float) -> str:
    inside = low > 1 - margin and high < 1 + margin
    if test == "lower":
        if p_adjusted < alpha and high < 1 - margin:
            return SUPPORTED
        if inside or low > 1 + margin:
            return REFUTED
        return INCONCLUSIVE
    if inside:
        return SUPPORTED
    if high < 1 - margin or low > 1 + margin:
        return REFUTED
    return INCONCLUSIVE


def _claim_verdict(outcomes: Sequence[str]) -> str:
    found = set(outcomes)
    if found == {SUPPORTED}:
        return SUPPORTED
    if found == {REFUTED}:
        return REFUTED
    if {SUPPORTED, REFUTED} <= found:
        return DEPENDS
    return INCONCLUSIVE


def _detail(points: pd.DataFrame) -> str:
    """Which points went which way, e.g. 'supported at threads vs ..., 2 workers; refuted at ...'."""
    parts = []
    for outcome in (SUPPORTED, REFUTED, INCONCLUSIVE):
        labels = points.loc[points["outcome"] == outcome, "point"]
        if len(labels):
            parts.append(f"{outcome} at {'; '.join(labels)}")
    return " | ".join(parts)


def judge_points(claims: Sequence[Claim], measured: pd.DataFrame, *, alpha: float, margin: float,
                 n_boot: int, seed: int) -> pd.DataFrame:
    """One row per comparison point of every comparative claim, Holm-adjusted over all of them."""
    rows = []
    for claim in claims:
        if claim.test == "works":
            continue
        for point in claim_points(claim, measured):
            test = stats.stratified_mwu_test(point.a_rounds, point.b_rounds)
            ratio, low, high = stats.ratio_ci(point.a_rounds, point.b_rounds, n_boot=n_boot, rng=seed)
            rows.append({
                "claim": claim.id, "test": claim.test, "metric": claim.metric, "point": point.label(),
                "model_a": point.a, "model_b": point.b, **point.key,
                "ratio": ratio, "ci_low": low, "ci_high": high, "p_raw": test.pvalue,
                "n_rounds": test.n_rounds,
            })
    points = pd.DataFrame(rows, columns=[
        "claim", "test", "metric", "point", "model_a", "model_b", *POINT_KEY,
        "ratio", "ci_low", "ci_high", "p_raw", "n_rounds"])
    points["p_adjusted"] = stats.holm(points["p_raw"].to_numpy()) if len(points) else []
    points["outcome"] = [
        _point_outcome(r.test, r.p_adjusted, r.ci_low, r.ci_high, alpha, margin) for r in points.itertuples()
    ]
    return points


def _works_row(claim: Claim, samples: pd.DataFrame) -> Dict[str, Any]:
    rows = samples[(samples["kind"] == claim.kind) & samples["model"].isin(claim.a)]
    if rows.empty:
        return {"verdict": NOT_MEASURED, "detail": f"no {claim.kind} cells of {', '.join(claim.a)} in this sweep"}
    failed = rows[rows["status"] != "ok"].drop_duplicates(["model", "workers", "payload_bytes", "round"])
    models = ", ".join(sorted(rows["model"].unique()))
    if len(failed):
        return {"verdict": REFUTED, "detail": f"failed: {'; '.join(failed['model'] + ': ' + failed['status'])}"}
    return {"verdict": SUPPORTED,
            "detail": f"every message arrived intact through {models} ({rows['round'].nunique()} rounds)"}


def ledger(claims: Sequence[Claim], samples: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """One row per claim and (machine, interpreter): verdict, boundary, the deciding point."""
    rows = []
    for claim in claims:
        base = {"claim": claim.id, "text": claim.text, "test": claim.test, "metric": claim.metric}
        if claim.test == "works":
            rows.append({**base, **_works_row(claim, samples)})
            continue
        mine = points[points["claim"] == claim.id]
        if mine.empty:
            wanted = ", ".join(claim.a + claim.b)
            rows.append({**base, "verdict": NOT_MEASURED,
                         "detail": f"this sweep has no {claim.kind} cells of both {wanted} at a common point"})
            continue
        for (machine, interpreter), group in mine.groupby(["machine", "interpreter"]):
            verdict = _claim_verdict(group["outcome"])
            # The point that decides: the weakest evidence for the verdict (largest p).
            deciding = group.sort_values("p_adjusted", ascending=False).iloc[0]
            rows.append({
                **base, "machine": machine, "interpreter": interpreter, "verdict": verdict,
                "detail": _detail(group), "ratio": deciding["ratio"], "ci_low": deciding["ci_low"],
                "ci_high": deciding["ci_high"], "p_adjusted": deciding["p_adjusted"],
                "points": len(group), "cells": "; ".join(sorted(set(group["model_a"]) | set(group["model_b"]))),
            })
    columns = ["claim", "verdict", "text", "test", "metric", "machine", "interpreter", "ratio", "ci_low",
               "ci_high", "p_adjusted", "points", "cells", "detail"]
    return pd.DataFrame(rows).reindex(columns=columns)


def write_ledger(claims_path: str, samples_path: str, *, ledger_tsv: str, points_tsv: str,
                 alpha: float, margin: float, n_boot: int, seed: int) -> pd.DataFrame:
    """The judge_claims rule: the ledger and every point behind it."""
    claims = load_claims(claims_path)
    samples = pd.read_parquet(samples_path)
    measured = samples[samples["measured"]]
    points = judge_points(claims, measured, alpha=alpha, margin=margin, n_boot=n_boot, seed=seed)
    table = ledger(claims, samples, points)
    table.to_csv(ledger_tsv, sep="\t", index=False)
    points.to_csv(points_tsv, sep="\t", index=False)
    return table
