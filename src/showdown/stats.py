"""Statistics behind the showdown verdicts, claims and the A/A control.

The machine running the benchmarks drifts (up to 1.7x between phases a few seconds
apart), so every comparison is blocked by *round*: within a round all models of a work
group ran in the same machine phase, and only within-round contrasts are trusted.

* :func:`stratified_mwu_test` -- van Elteren's stratified Mann-Whitney test, exact by
  enumeration when feasible, normal approximation otherwise.
* :func:`ratio_ci` -- effect size: geometric mean over rounds of within-round median
  ratios, with a within-round percentile bootstrap.
* :func:`compare_models` / :func:`verdicts` -- the win rule: the fastest model wins only
  if, against every other model, the Holm-adjusted p is below ``alpha`` *and* the ratio's
  CI lies wholly below ``1 - margin``. Anything less is a tie.
* :func:`aa_control` / :func:`false_win_rate` -- the same rule applied to A/A twins
  (one model measured under two labels), estimating how often it calls false wins.

Inputs are samples of ``wall_seconds`` (positive; lower is better). "Rounds" are passed
either as aligned sequences (position = round) or as mappings ``round -> samples``; in
both cases only rounds where both sides have samples are used.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

GROUP_KEY = ("machine", "interpreter", "config_hash", "workload", "payload_bytes", "workers")
# Serial runs only at workers=1 but is the baseline of every worker count of its work.
SERIAL_KEY = GROUP_KEY[:-1]
SERIAL = "serial"
AA_SUFFIX = ".aa"

TIE = "tie"
NO_CONTEST = "n/a"
INSUFFICIENT = "insufficient"
# A model left with fewer samples than this after dropping flagged rows has no median
# worth comparing.
MIN_SAMPLES = 2

# Exact enumeration limits: arrangements within one round, and pairs of support points
# combined in one convolution step (a bound on the null distribution's support).
# Beyond them the normal approximation is used.
MAX_EXACT_ARRANGEMENTS = 20_000
MAX_EXACT_SUPPORT = 1_000_000
# Keeps the integer-scaled rank sums clear of int64 overflow.
MAX_EXACT_KEY = 2**62

VERDICT_FIELDS = (
    "winner", "fastest", "runner_up", "tied_with",
    "ratio_to_runner_up", "ci_low", "ci_high",
    "p_adjusted", "p_adjusted_max", "cliffs_delta",
    "kruskal_p", "friedman_p",
    "n_models", "n_rounds", "n_complete_rounds", "min_samples", "note",
)  # fmt: skip
PAIR_FIELDS = (
    "model_a", "model_b", "ratio", "ci_low", "ci_high",
    "p_raw", "p_adjusted", "method", "cliffs_delta", "n_a", "n_b", "n_rounds",
)  # fmt: skip

Rounds = Sequence[Sequence[float]] | Mapping[object, Sequence[float]]
RoundPairs = list[tuple[np.ndarray, np.ndarray]]
Cells = dict[str, dict[int, np.ndarray]]  # model -> round -> wall_seconds


# --- Stratified Mann-Whitney (van Elteren) ---------------------------------------------


@dataclass(frozen=True)
class StratifiedMWUResult:
    """Outcome of :func:`stratified_mwu_test`.

    ``statistic`` is van Elteren's T = sum over rounds of A's rank sum / (n_r + 1);
    ``method`` is ``"exact"``, ``"normal"`` or ``"no shared rounds"`` (p is NaN then).
    """

    statistic: float
    pvalue: float
    method: str
    n_rounds: int


def stratified_mwu_test(a_rounds: Rounds, b_rounds: Rounds) -> StratifiedMWUResult:
    """Two-sided van Elteren test of A vs B, blocked by round.

    Within each round the pooled samples get midranks; A's rank sum is weighted by
    1 / (n_r + 1), which gives every round a comparable say regardless of its size.
    The p-value is exact (full permutation distribution within rounds) unless that
    enumeration would be too large, in which case the tie-corrected normal
    approximation is used; ``method`` says which.
    """
    rounds = _shared_rounds(a_rounds, b_rounds)
    if not rounds:
        return StratifiedMWUResult(math.nan, math.nan, "no shared rounds", 0)
    ranked = [_doubled_midranks(a, b) for a, b in rounds]
    statistic = float(sum(doubled[:m].sum() / 2 / (doubled.size + 1) for doubled, m in ranked))
    exact_p = _exact_pvalue(ranked)
    if exact_p is not None:
        return StratifiedMWUResult(statistic, exact_p, "exact", len(rounds))
    return StratifiedMWUResult(statistic, _normal_pvalue(ranked), "normal", len(rounds))


def stratified_mwu(a_rounds: Rounds, b_rounds: Rounds) -> float:
    """Two-sided p-value of :func:`stratified_mwu_test`."""
    return stratified_mwu_test(a_rounds, b_rounds).pvalue


def _shared_rounds(a_rounds: Rounds, b_rounds: Rounds) -> RoundPairs:
    """Pair A's and B's samples round by round, keeping rounds where both have data."""
    if isinstance(a_rounds, Mapping) and isinstance(b_rounds, Mapping):
        shared = sorted(a_rounds.keys() & b_rounds.keys())
        pairs = [(a_rounds[r], b_rounds[r]) for r in shared]
    elif isinstance(a_rounds, Mapping) or isinstance(b_rounds, Mapping):
        raise TypeError("pass both sides' rounds as mappings or both as sequences")
    elif len(a_rounds) != len(b_rounds):
        raise ValueError("sequences of rounds must be aligned: equal lengths")
    else:
        pairs = list(zip(a_rounds, b_rounds))
    arrays = [(np.asarray(a, float).ravel(), np.asarray(b, float).ravel()) for a, b in pairs]
    return [(a, b) for a, b in arrays if a.size and b.size]


def _doubled_midranks(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int]:
    """Twice the midranks of the pooled round (A first), as integers, and A's size.

    Doubling makes tied midranks (k + 1/2) integral, so the null distribution can be
    built on exact integer keys instead of floats compared with a tolerance.
    """
    ranks = stats.rankdata(np.concatenate([a, b]))
    return np.rint(2 * ranks).astype(np.int64), a.size


def _exact_pvalue(ranked: list[tuple[np.ndarray, int]]) -> float | None:
    """Exact two-sided p of van Elteren's T, or None if enumeration is too large.

    Keys are T scaled by 2 * lcm(n_r + 1), which turns every round's weight
    1 / (n_r + 1) into an integer multiplier. Under H0 the expected scaled key of a
    round is lcm * m_r, so E[T] is an integer too and ``|T - E[T]| >= |t_obs - E[T]|``
    is decided exactly.
    """
    if any(math.comb(doubled.size, m) > MAX_EXACT_ARRANGEMENTS for doubled, m in ranked):
        return None
    lcm = math.lcm(*(doubled.size + 1 for doubled, _ in ranked))
    multipliers = [lcm // (doubled.size + 1) for doubled, _ in ranked]
    largest_key = sum(k * int(doubled.sum()) for k, (doubled, _) in zip(multipliers, ranked))
    if largest_key >= MAX_EXACT_KEY:
        return None

    keys, probs = np.zeros(1, np.int64), np.ones(1)
    for k, (doubled, m) in zip(multipliers, ranked):
        round_keys, round_probs = _round_null(doubled, m)
        if keys.size * round_keys.size > MAX_EXACT_SUPPORT:
            return None
        keys, probs = _convolve(keys, probs, k * round_keys, round_probs)

    observed = sum(k * doubled[:m].sum() for k, (doubled, m) in zip(multipliers, ranked))
    expected = lcm * sum(m for _, m in ranked)
    extreme = np.abs(keys - expected) >= abs(observed - expected)
    return min(1.0, float(probs[extreme].sum()))


def _round_null(doubled: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Null distribution of A's (doubled) rank sum in one round: support and probabilities.

    Every placement of A's m labels among the round's n values is equally likely under H0.
    """
    placements = np.array(list(itertools.combinations(range(doubled.size), m)))
    keys, counts = np.unique(doubled[placements].sum(axis=1), return_counts=True)
    return keys, counts / placements.shape[0]


def _convolve(keys_1, probs_1, keys_2, probs_2) -> tuple[np.ndarray, np.ndarray]:
    """Distribution of the sum of two independent discrete variables."""
    sums = np.add.outer(keys_1, keys_2).ravel()
    support, index = np.unique(sums, return_inverse=True)
    return support, np.bincount(index, weights=np.multiply.outer(probs_1, probs_2).ravel())


def _normal_pvalue(ranked: list[tuple[np.ndarray, int]]) -> float:
    """Two-sided p of van Elteren's T by the normal approximation, tie-corrected.

    Within a round, A's rank sum has mean m(n+1)/2 and variance
    m(n-m)/12 * ((n+1) - sum(t^3 - t) / (n(n-1))) over tie groups of size t.
    No continuity correction, so one round reproduces scipy's asymptotic
    ``mannwhitneyu(..., use_continuity=False)``.
    """
    deviation = variance = 0.0
    for doubled, m in ranked:
        n = doubled.size
        weight = 1 / (n + 1)
        deviation += weight * (doubled[:m].sum() / 2 - m * (n + 1) / 2)
        _, tie_sizes = np.unique(doubled, return_counts=True)
        tie_correction = (tie_sizes**3 - tie_sizes).sum() / (n * (n - 1))
        variance += weight**2 * m * (n - m) / 12 * ((n + 1) - tie_correction)
    if variance == 0:  # every round is one block of ties: no evidence either way
        return 1.0
    return float(2 * stats.norm.sf(abs(deviation) / math.sqrt(variance)))


# --- Multiplicity --------------------------------------------------------------------


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni step-down adjusted p-values, monotone and capped at 1.

    NaN p-values (comparisons that could not be tested) stay NaN and do not count
    towards the family size.
    """
    p = np.asarray(pvalues, float)
    adjusted = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    stepped = (order.size - np.arange(order.size)) * p[order]
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(stepped))
    return adjusted


# --- Effect sizes and intervals ------------------------------------------------------


def ratio_ci(
    a_rounds: Rounds,
    b_rounds: Rounds,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    rng: np.random.Generator | int,
) -> tuple[float, float, float]:
    """Blocked speed ratio A/B with a percentile-bootstrap CI: ``(ratio, low, high)``.

    The ratio is the geometric mean over shared rounds of median(A_r) / median(B_r);
    below 1 means A is faster. Each bootstrap replicate resamples repetitions with
    replacement within each (model, round) cell, so the drift between rounds never
    leaks into the interval. ``rng`` is required so results are always reproducible.
    """
    rounds = _shared_rounds(a_rounds, b_rounds)
    if not rounds:
        return math.nan, math.nan, math.nan
    rng = np.random.default_rng(rng)
    ratio = math.exp(np.mean([np.log(np.median(a) / np.median(b)) for a, b in rounds]))
    log_ratios = [
        np.log(_bootstrap_medians(a, n_boot, rng)) - np.log(_bootstrap_medians(b, n_boot, rng))
        for a, b in rounds
    ]
    replicates = np.exp(np.mean(log_ratios, axis=0))
    low, high = np.quantile(replicates, [(1 - confidence) / 2, (1 + confidence) / 2])
    return ratio, float(low), float(high)


def _bootstrap_medians(samples: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Medians of ``n_boot`` resamples (with replacement) of one cell, drawn at once."""
    draws = rng.integers(0, samples.size, size=(n_boot, samples.size))
    return np.median(samples[draws], axis=1)


def speedup_ci(
    model_rounds: Rounds,
    serial_rounds: Rounds,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    rng: np.random.Generator | int,
) -> tuple[float, float, float]:
    """Speedup of a model over serial, ``(speedup, low, high)``; above 1 means faster.

    It is 1 / :func:`ratio_ci` of model vs serial; a percentile interval maps through
    the reciprocal exactly, with its ends swapped.
    """
    ratio, low, high = ratio_ci(
        model_rounds, serial_rounds, n_boot=n_boot, confidence=confidence, rng=rng
    )
    return 1 / ratio, 1 / high, 1 / low


def cliffs_delta(a: Sequence[float], b: Sequence[float]) -> float:
    """Cliff's delta, P(A > B) - P(A < B) over all pairs, in [-1, 1].

    With wall times, negative means A tends to be faster. NaN if either side is empty.
    """
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    if not a.size or not b.size:
        return math.nan
    return float(np.sign(np.subtract.outer(a, b)).mean())


def median_ci(
    samples: Sequence[float],
    confidence: float = 0.95,
    *,
    n_boot: int = 2000,
    rng: np.random.Generator | int,
) -> tuple[float, float, float]:
    """Median of one cell with a percentile-bootstrap CI: ``(median, low, high)``.

    Percentile rather than BCa: BCa's jackknife acceleration is degenerate for the
    median of the handful of repetitions a cell has. With fewer than two samples the
    interval is NaN; with all samples equal it collapses onto that value.
    """
    x = np.asarray(samples, float).ravel()
    if x.size == 0:
        return math.nan, math.nan, math.nan
    median = float(np.median(x))
    if x.size < 2:
        return median, math.nan, math.nan
    if np.all(x == x[0]):
        return median, median, median
    result = stats.bootstrap(
        (x,),
        np.median,
        n_resamples=n_boot,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(rng),
    )
    interval = result.confidence_interval
    return median, float(interval.low), float(interval.high)


# --- The win rule --------------------------------------------------------------------


def compare_models(
    group_df: pd.DataFrame,
    *,
    alpha: float = 0.05,
    margin: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[dict, pd.DataFrame]:
    """Verdict for one comparison group: does its fastest model win, or is it a tie?

    The fastest model has the lowest median ``wall_seconds`` over all its samples
    (ties in the median broken by name). It is compared with every other model
    (the Holm family: k - 1 van Elteren tests). It **wins** only if every comparison
    has Holm-adjusted p < ``alpha`` and a ratio CI wholly below ``1 - margin``;
    otherwise the verdict is ``"tie"``. ``tied_with`` always lists the fastest plus
    every model that cannot be told from it (so after a win it is just the winner).

    A group with a single model has nothing to compare: ``winner`` is ``"n/a"`` and
    ``note`` says ``"only one model"``.

    Returns the verdict (keys :data:`VERDICT_FIELDS`) and one row per comparison
    (columns :data:`PAIR_FIELDS`), ordered from the runner-up down.
    """
    cells = _cells_by_model(group_df)
    # groupby sorts models by name, so the stable sort breaks equal medians by name.
    medians = group_df.groupby("model")["wall_seconds"].median()
    ranking = list(medians.sort_values(kind="stable").index)
    fastest, others = ranking[0], ranking[1:]
    if not others:
        no_pairs = pd.DataFrame(columns=list(PAIR_FIELDS))
        return _single_model_verdict(fastest, cells[fastest]), no_pairs

    rng = np.random.default_rng(seed)
    comparisons = [_compare_pair(cells, fastest, other, n_boot, rng) for other in others]
    pairs = pd.DataFrame(comparisons, columns=list(PAIR_FIELDS))
    pairs["p_adjusted"] = holm(pairs["p_raw"])
    told_apart = (pairs["p_adjusted"] < alpha) & (pairs["ci_high"] < 1 - margin)
    runner_up = pairs.iloc[0]
    kruskal_p, friedman_p = _omnibus_pvalues(cells)
    verdict = {
        "winner": fastest if told_apart.all() else TIE,
        "fastest": fastest,
        "runner_up": runner_up["model_b"],
        "tied_with": ",".join(sorted([fastest, *pairs.loc[~told_apart, "model_b"]])),
        "ratio_to_runner_up": runner_up["ratio"],
        "ci_low": runner_up["ci_low"],
        "ci_high": runner_up["ci_high"],
        "p_adjusted": runner_up["p_adjusted"],
        "p_adjusted_max": pairs["p_adjusted"].max(),
        "cliffs_delta": runner_up["cliffs_delta"],
        "kruskal_p": kruskal_p,
        "friedman_p": friedman_p,
        "n_models": len(ranking),
        "n_rounds": group_df["round"].nunique(),
        "n_complete_rounds": len(_complete_rounds(cells)),
        "min_samples": int(group_df.groupby("model").size().min()),
        "note": "",
    }
    return verdict, pairs


def _cells_by_model(group_df: pd.DataFrame) -> Cells:
    """``{model: {round: wall_seconds}}``: the (model, round) cells of one group."""
    return {
        model: {r: cell.to_numpy(float) for r, cell in frame.groupby("round")["wall_seconds"]}
        for model, frame in group_df.groupby("model")
    }


def _compare_pair(
    cells: Cells, model_a: str, model_b: str, n_boot: int, rng: np.random.Generator
) -> dict:
    """One row of the pairs table (before Holm adjustment), on rounds both models have."""
    a_rounds, b_rounds = cells[model_a], cells[model_b]
    shared = _shared_rounds(a_rounds, b_rounds)
    pooled_a = np.concatenate([a for a, _ in shared]) if shared else np.empty(0)
    pooled_b = np.concatenate([b for _, b in shared]) if shared else np.empty(0)
    test = stratified_mwu_test(a_rounds, b_rounds)
    ratio, low, high = ratio_ci(a_rounds, b_rounds, n_boot=n_boot, rng=rng)
    return {
        "model_a": model_a,
        "model_b": model_b,
        "ratio": ratio,
        "ci_low": low,
        "ci_high": high,
        "p_raw": test.pvalue,
        "method": test.method,
        "cliffs_delta": cliffs_delta(pooled_a, pooled_b),
        "n_a": pooled_a.size,
        "n_b": pooled_b.size,
        "n_rounds": len(shared),
    }


def _complete_rounds(cells: Cells) -> list[int]:
    """Rounds in which every model of the group has samples."""
    return sorted(set.intersection(*(set(by_round) for by_round in cells.values())))


def _omnibus_pvalues(cells: Cells) -> tuple[float, float]:
    """Kruskal-Wallis on pooled samples and Friedman on per-round medians.

    Both are reported for context only and never gate a verdict. Friedman blocks by
    round, so it needs at least 3 models and 2 rounds that every model has.
    """
    pooled = [np.concatenate(list(by_round.values())) for by_round in cells.values()]
    kruskal_p = _pvalue_or_nan(stats.kruskal, *pooled)
    complete = _complete_rounds(cells)
    if len(cells) < 3 or len(complete) < 2:
        return kruskal_p, math.nan
    medians = [[np.median(by_round[r]) for r in complete] for by_round in cells.values()]
    return kruskal_p, _pvalue_or_nan(stats.friedmanchisquare, *medians)


def _pvalue_or_nan(test, *samples) -> float:
    """p-value of a scipy test; NaN when the data are degenerate (e.g. all equal)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        try:
            return float(test(*samples).pvalue)
        except ValueError:
            return math.nan


def _single_model_verdict(model: str, by_round: dict[int, np.ndarray]) -> dict:
    """Verdict for a group with nothing to compare against."""
    return {
        **dict.fromkeys(VERDICT_FIELDS, math.nan),
        "winner": NO_CONTEST,
        "fastest": model,
        "runner_up": None,
        "tied_with": model,
        "n_models": 1,
        "n_rounds": len(by_round),
        "n_complete_rounds": len(by_round),
        "min_samples": sum(cell.size for cell in by_round.values()),
        "note": "only one model",
    }


# --- Whole-table drivers -------------------------------------------------------------


def verdicts(
    samples: pd.DataFrame,
    *,
    alpha: float = 0.05,
    margin: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Verdicts for every comparison group of measured samples, and all their pairs.

    A comparison group is one :data:`GROUP_KEY`; the serial rows of the same work
    (:data:`SERIAL_KEY`, any worker count) join every group as a competitor, and A/A
    twins (``*.aa``) are left out (see :func:`aa_control`). Groups are those with at
    least one non-serial model.

    ``verdict_without_flagged`` repeats the verdict without flagged rows, so a reader
    sees whether they changed anything (``"insufficient"`` if some model is left with
    fewer than :data:`MIN_SAMPLES` samples); ``n_flagged`` counts them.
    """
    options = dict(alpha=alpha, margin=margin, n_boot=n_boot, seed=seed)
    verdict_rows, pair_frames = [], []
    for key, group in _comparison_groups(samples):
        verdict, pairs = compare_models(group, **options)
        key_columns = dict(zip(GROUP_KEY, key))
        verdict_rows.append(
            {
                **key_columns,
                **verdict,
                "n_flagged": int(group["flagged"].sum()),
                "verdict_without_flagged": _verdict_without_flagged(group, verdict, options),
            }
        )
        if not pairs.empty:  # single-model groups have no pairs
            pair_frames.append(pairs.assign(**key_columns))
    verdict_columns = [*GROUP_KEY, *VERDICT_FIELDS, "n_flagged", "verdict_without_flagged"]
    pair_columns = [*GROUP_KEY, *PAIR_FIELDS]
    pairs_df = pd.concat(pair_frames, ignore_index=True) if pair_frames else pd.DataFrame()
    return (
        pd.DataFrame(verdict_rows, columns=verdict_columns),
        pairs_df.reindex(columns=pair_columns),
    )


def _comparison_groups(samples: pd.DataFrame) -> Iterator[tuple[tuple, pd.DataFrame]]:
    """Yield ``(group key, rows)`` with serial joined in and A/A twins left out."""
    contenders = samples[~samples["model"].str.endswith(AA_SUFFIX)]
    is_serial = contenders["model"] == SERIAL
    serial_by_work = dict(list(contenders[is_serial].groupby(list(SERIAL_KEY))))
    for key, group in contenders[~is_serial].groupby(list(GROUP_KEY)):
        serial = serial_by_work.get(key[: len(SERIAL_KEY)])
        yield key, group if serial is None else pd.concat([group, serial], ignore_index=True)


def _verdict_without_flagged(group: pd.DataFrame, verdict: dict, options: dict) -> str:
    """Winner (or "tie") of the group recomputed on its unflagged rows only."""
    flagged = group["flagged"].astype(bool)
    if not flagged.any():
        return verdict["winner"]  # same rows and seed: recomputing would repeat it
    kept = group[~flagged]
    counts = kept["model"].value_counts().reindex(group["model"].unique(), fill_value=0)
    if (counts < MIN_SAMPLES).any():
        return INSUFFICIENT
    return compare_models(kept, **options)[0]["winner"]


def aa_control(
    samples: pd.DataFrame,
    *,
    alpha: float = 0.05,
    margin: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Apply the win rule to every A/A pair: model ``X`` vs its twin ``X.aa``.

    Both labels measure the same thing, so any win is a false one. Each pair is its
    own Holm family of one comparison, in the comparison group (:data:`GROUP_KEY`)
    where both labels appear. ``called_different`` is True when either label wins;
    ``ratio``, ``ci_*`` and ``p_value`` are of the faster label vs the slower.
    """
    rows = []
    for key, group in samples.groupby(list(GROUP_KEY)):
        present = set(group["model"])
        for twin in sorted(m for m in present if m.endswith(AA_SUFFIX)):
            model = twin.removesuffix(AA_SUFFIX)
            if model not in present:
                continue
            pair_rows = group[group["model"].isin([model, twin])]
            verdict, pairs = compare_models(
                pair_rows, alpha=alpha, margin=margin, n_boot=n_boot, seed=seed
            )
            comparison = pairs.iloc[0]
            rows.append(
                {
                    **dict(zip(GROUP_KEY, key)),
                    "model": model,
                    "twin": twin,
                    "fastest": verdict["fastest"],
                    "ratio": comparison["ratio"],
                    "ci_low": comparison["ci_low"],
                    "ci_high": comparison["ci_high"],
                    "p_value": comparison["p_raw"],
                    "method": comparison["method"],
                    "called_different": verdict["winner"] != TIE,
                }
            )
    columns = [*GROUP_KEY, "model", "twin", "fastest", "ratio", "ci_low", "ci_high",
               "p_value", "method", "called_different"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def false_win_rate(aa_df: pd.DataFrame, confidence: float = 0.95) -> dict:
    """Share of A/A pairs called different, with a Clopper-Pearson (exact) interval.

    Returns ``{"k", "n", "rate", "ci_low", "ci_high"}``; NaN rate and bounds when there
    are no pairs.
    """
    n = len(aa_df)
    if n == 0:
        return {"k": 0, "n": 0, "rate": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    k = int(aa_df["called_different"].sum())
    interval = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    return {"k": k, "n": n, "rate": k / n, "ci_low": interval.low, "ci_high": interval.high}
