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

Everything is computed for many comparisons at once (a sweep has tens of thousands), and
the one-comparison functions are that same code applied to a batch of one:

* The exact null distribution of van Elteren's statistic depends only on each round's
  sizes and tie pattern; it is built once per such shape (cached) and every comparison
  of that shape looks its p-value up in it.
* The percentile bootstrap of a median needs no resampling loop: a resample's median is
  (x_(i) + x_(j)) / 2 of the sorted sample, and the distribution of (i, j) depends only
  on the sample size (:func:`_median_atoms`, exact). A bootstrap interval is then a
  quantile of a known discrete distribution: of one median (:func:`median_ci`), or of the
  mean over rounds of log-ratios of independent medians (:func:`ratio_ci`). When that
  distribution has at most :data:`MAX_EXACT_BOOTSTRAP_SUPPORT` points it is enumerated and
  the interval is the exact percentile-bootstrap interval (the limit of infinitely many
  resamples); otherwise ``n_boot`` resamples are drawn, shared by all comparisons of the
  same shape and seeded from ``rng``/``seed`` and that shape, so results are
  reproducible and do not depend on which other comparisons were computed alongside.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

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
# A bootstrap distribution with at most this many support points is enumerated exactly;
# a larger one is sampled with n_boot resamples. 3 repetitions per round over 3 rounds,
# two models: 3**6 = 729 points.
MAX_EXACT_BOOTSTRAP_SUPPORT = 4096
# Bound on the elements of one working array (pairs x support points or x resamples).
_CHUNK_ELEMENTS = 1 << 18
# Threads sharing the bootstrap's chunks (numpy releases the GIL in them): the CPUs this
# process may use, at most 8 (each holds two working arrays of _CHUNK_ELEMENTS floats).
_THREADS = min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)

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
SeedLike = np.random.Generator | int


# --- Many comparisons at once: samples sorted into (cell, round) segments --------------


def _expand(starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``starts[k] .. starts[k] + sizes[k] - 1`` for every k, and their k."""
    sizes = np.asarray(sizes, np.int64)
    owner = np.repeat(np.arange(sizes.size), sizes)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.repeat(np.asarray(starts, np.int64), sizes) + offset, owner


def _value_ranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(order, rank)``: the argsort of ``values`` and each value's place in it."""
    order = np.argsort(values)
    rank = np.empty(values.size, np.int64)
    rank[order] = np.arange(values.size)
    return order, rank


def _sort_within(values: np.ndarray, blocks: np.ndarray, ranks=None) -> np.ndarray:
    """Indices of ``values`` ordered by block (non-negative ints), then by value.

    One float argsort (or ``ranks`` from :func:`_value_ranks`, shared between calls)
    and one integer sort: far faster than a lexsort on both keys.
    """
    n = max(values.size, 1)
    order, rank = _value_ranks(values) if ranks is None else ranks
    keys = np.asarray(blocks, np.int64) * n + rank
    keys.sort()
    return order[keys % n]


def _segment_bounds(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and sizes of the runs of equal keys in a sorted array."""
    if not sorted_keys.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return starts, np.diff(np.r_[starts, sorted_keys.size])


def _segment_medians(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Median of each sorted segment (NaN for empty ones), as :func:`numpy.median`."""
    out = np.full(starts.shape, np.nan)
    full = sizes > 0
    s, n = starts[full], sizes[full]
    out[full] = (values[s + (n - 1) // 2] + values[s + n // 2]) / 2
    return out


def _lerp(a, b, t):
    """Linear interpolation exactly as :func:`numpy.quantile` does it."""
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def _unique_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of an integer matrix (sorted) and each row's index among them.

    As ``np.unique(matrix, axis=0, return_inverse=True)``, many times faster.
    """
    if not matrix.shape[0]:
        return matrix, np.zeros(0, np.int64)
    order = np.lexsort(matrix.T[::-1])
    ordered = matrix[order]
    new = np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)]
    inverse = np.empty(matrix.shape[0], np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def _dense_ranks(values: np.ndarray) -> np.ndarray:
    """0-based dense rank of each value (equal values, equal ranks)."""
    order = np.argsort(values)
    ordered = values[order]
    ranks = np.empty(values.size, np.int64)
    ranks[order] = np.cumsum(np.r_[False, ordered[1:] != ordered[:-1]])
    return ranks


def _factorize(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct integer keys, ascending, and each key's index among them (by hashing)."""
    codes, distinct = pd.factorize(np.asarray(keys, np.int64), sort=True)
    return np.asarray(distinct, np.int64), codes.astype(np.int64)


@dataclass(frozen=True)
class _Segments:
    """Samples sorted by (cell, round, value): one segment per (cell, round).

    ``key`` is ``cell * n_round_codes + round code`` per segment, ascending.
    """

    values: np.ndarray
    key: np.ndarray
    start: np.ndarray
    size: np.ndarray
    n_round_codes: int

    @classmethod
    def build(cls, values, cell, round_code, n_round_codes: int, ranks=None) -> _Segments:
        values = np.asarray(values, float)
        key = np.asarray(cell, np.int64) * n_round_codes + np.asarray(round_code, np.int64)
        order = _sort_within(values, key, ranks)
        start, size = _segment_bounds(key[order])
        return cls(values[order], key[order][start], start, size, n_round_codes)

    @property
    def cell(self) -> np.ndarray:
        return self.key // self.n_round_codes


@dataclass(frozen=True)
class _Comparisons:
    """Many A-vs-B comparisons on their shared rounds: one *entry* per (pair, round).

    Entry k compares ``values[a_start[k] : a_start[k] + a_size[k]]`` (sorted) with the B
    segment likewise, in pair ``pair[k]``; entries are ordered by pair, then round.
    """

    values: np.ndarray
    pair: np.ndarray
    a_start: np.ndarray
    a_size: np.ndarray
    b_start: np.ndarray
    b_size: np.ndarray
    n_pairs: int

    @classmethod
    def match(cls, a: _Segments, b: _Segments, pair_a, pair_b) -> _Comparisons:
        """Pair A's cell ``pair_a[p]`` with B's cell ``pair_b[p]`` on the rounds both have."""
        pair_a, pair_b = np.asarray(pair_a, np.int64), np.asarray(pair_b, np.int64)
        nr = a.n_round_codes
        a_cell = a.cell
        first = np.searchsorted(a_cell, pair_a, "left")
        count = np.searchsorted(a_cell, pair_a, "right") - first
        a_seg, pair = _expand(first, count)
        wanted = pair_b[pair] * nr + a.key[a_seg] % nr
        b_seg = np.minimum(np.searchsorted(b.key, wanted), max(b.key.size - 1, 0))
        hit = b.key[b_seg] == wanted if b.key.size else np.zeros(wanted.size, bool)
        a_seg, b_seg, pair = a_seg[hit], b_seg[hit], pair[hit]
        if a is b:
            values, b_offset = a.values, 0
        else:
            values, b_offset = np.concatenate([a.values, b.values]), a.values.size
        return cls(
            values, pair, a.start[a_seg], a.size[a_seg],
            b.start[b_seg] + b_offset, b.size[b_seg], pair_a.size,
        )  # fmt: skip

    @classmethod
    def of_rounds(cls, a_rounds: Rounds, b_rounds: Rounds) -> _Comparisons:
        """One comparison, from rounds given as aligned sequences or as mappings."""
        rounds = _shared_rounds(a_rounds, b_rounds)
        sizes_a = np.array([a.size for a, _ in rounds], np.int64)
        sizes_b = np.array([b.size for _, b in rounds], np.int64)
        values = np.concatenate([np.sort(x) for pair in rounds for x in pair] or [np.empty(0)])
        ends = np.cumsum(np.ravel(np.column_stack([sizes_a, sizes_b])) if rounds else [])
        starts = np.asarray(ends, np.int64) - np.ravel(np.column_stack([sizes_a, sizes_b]))
        return cls(
            values, np.zeros(len(rounds), np.int64), starts[0::2], sizes_a,
            starts[1::2], sizes_b, 1,
        )  # fmt: skip

    @functools.cached_property
    def dense(self) -> np.ndarray:
        """Dense rank of every value among all values (ties share a rank)."""
        return _dense_ranks(self.values)

    @property
    def rounds_per_pair(self) -> np.ndarray:
        return np.bincount(self.pair, minlength=self.n_pairs)

    def class_rows(self, rounds: int, pairs: np.ndarray) -> np.ndarray:
        """Entry indices (pairs x rounds) of pairs that all have ``rounds`` entries."""
        first = np.cumsum(self.rounds_per_pair) - self.rounds_per_pair
        return first[pairs][:, None] + np.arange(rounds)


def _shared_rounds(a_rounds: Rounds, b_rounds: Rounds) -> list[tuple[np.ndarray, np.ndarray]]:
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


def _entropy(rng: SeedLike) -> int:
    """One integer drawn from ``rng`` (a seed or a Generator): the root of all resampling."""
    return int(np.random.default_rng(rng).integers(2**63))


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
    comparisons = _Comparisons.of_rounds(a_rounds, b_rounds)
    statistic, pvalue, method = _mwu_tests(comparisons)
    return StratifiedMWUResult(
        float(statistic[0]), float(pvalue[0]), str(method[0]), int(comparisons.pair.size)
    )


def stratified_mwu(a_rounds: Rounds, b_rounds: Rounds) -> float:
    """Two-sided p-value of :func:`stratified_mwu_test`."""
    return stratified_mwu_test(a_rounds, b_rounds).pvalue


def _mwu_tests(c: _Comparisons) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Van Elteren statistic, two-sided p and method of every pair of ``c``.

    A's doubled midrank sum in a round is m(m + 1) plus, over A's values, twice the
    number of B values below plus the number equal: counted for all rounds at once with
    one search over (round, dense value rank) keys. Tie-free pairs share their exact null
    distribution by shape; pairs with ties are looked up one by one.
    """
    n_pairs = c.n_pairs
    statistic = np.full(n_pairs, np.nan)
    pvalue = np.full(n_pairs, np.nan)
    method = np.full(n_pairs, "no shared rounds", dtype=object)
    if not c.pair.size:
        return statistic, pvalue, method
    m, n = c.a_size, c.a_size + c.b_size
    doubled, tied = _doubled_rank_sums(c)
    with np.errstate(invalid="ignore"):
        statistic = np.bincount(c.pair, weights=doubled / 2 / (n + 1), minlength=n_pairs)
    rounds = c.rounds_per_pair
    statistic[rounds == 0] = np.nan
    tie_terms = np.zeros(c.pair.size)
    tied_pairs = np.bincount(c.pair, weights=tied, minlength=n_pairs) > 0
    normal = np.zeros(n_pairs, bool)
    limits = (MAX_EXACT_ARRANGEMENTS, MAX_EXACT_SUPPORT, MAX_EXACT_KEY)

    plain = np.flatnonzero((rounds > 0) & ~tied_pairs)
    for r in np.unique(rounds[plain]):
        pairs = plain[rounds[plain] == r]
        entries = c.class_rows(r, pairs)
        shapes = np.stack([n[entries], m[entries]], axis=-1).reshape(pairs.size, -1)
        signatures, which = _unique_rows(shapes)
        for s, signature in enumerate(signatures):
            members = which == s
            sizes = tuple(zip(signature[0::2].tolist(), signature[1::2].tolist()))
            table = _null_tail(_untied_spec(sizes), limits)
            if table is None:
                normal[pairs[members]] = True
                continue
            rows = entries[members]
            observed = (doubled[rows] * (table.lcm // (n[rows] + 1))).sum(axis=1)
            pvalue[pairs[members]] = table.pvalues(observed)
            method[pairs[members]] = "exact"

    first = np.cumsum(rounds) - rounds
    for p in np.flatnonzero(tied_pairs):
        entries = range(first[p], first[p] + rounds[p])
        ranked = [
            _doubled_midranks(
                c.values[c.a_start[k] : c.a_start[k] + c.a_size[k]],
                c.values[c.b_start[k] : c.b_start[k] + c.b_size[k]],
            )
            for k in entries
        ]
        table = _null_tail(tuple((tuple(d.tolist()), k) for d, k in ranked), limits)
        if table is None:
            normal[p] = True
            for k, (d, _) in zip(entries, ranked):
                _, tie_sizes = np.unique(d, return_counts=True)
                tie_terms[k] = (tie_sizes**3 - tie_sizes).sum()
            continue
        observed = sum((table.lcm // (d.size + 1)) * int(d[:k].sum()) for d, k in ranked)
        pvalue[p] = table.pvalues(np.array([observed]))[0]
        method[p] = "exact"

    if normal.any():
        in_normal = normal[c.pair]
        pvalue[normal] = _normal_pvalues(
            c.pair[in_normal], n[in_normal], m[in_normal], doubled[in_normal],
            tie_terms[in_normal], n_pairs,
        )[normal]  # fmt: skip
        method[normal] = "normal"
    return statistic, pvalue, method


def _doubled_rank_sums(c: _Comparisons) -> tuple[np.ndarray, np.ndarray]:
    """A's doubled midrank sum in every entry's pooled round, and whether it has ties."""
    a_index, a_entry = _expand(c.a_start, c.a_size)
    b_index, b_entry = _expand(c.b_start, c.b_size)
    dense = c.dense
    span = int(dense.max()) + 1
    a_keys = a_entry * span + dense[a_index]
    b_keys = b_entry * span + dense[b_index]  # sorted: entries ascending, segments sorted
    left = np.searchsorted(b_keys, a_keys, "left")
    right = np.searchsorted(b_keys, a_keys, "right")
    b_first = np.cumsum(c.b_size) - c.b_size
    below = left - b_first[a_entry]
    counts = np.bincount(a_entry, weights=2 * below + (right - left), minlength=c.pair.size)
    doubled = c.a_size * (c.a_size + 1) + np.rint(counts).astype(np.int64)
    tied = np.bincount(a_entry, weights=right - left, minlength=c.pair.size) > 0
    for keys, entry in ((a_keys, a_entry), (b_keys, b_entry)):
        repeat = np.flatnonzero(keys[1:] == keys[:-1])
        tied[entry[repeat]] = True
    return doubled, tied


def _doubled_midranks(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int]:
    """Twice the midranks of the pooled round (A first), as integers, and A's size.

    Doubling makes tied midranks (k + 1/2) integral, so the null distribution can be
    built on exact integer keys instead of floats compared with a tolerance.
    """
    ranks = stats.rankdata(np.concatenate([a, b]))
    return np.rint(2 * ranks).astype(np.int64), a.size


@dataclass(frozen=True)
class _NullTail:
    """Exact null distribution of van Elteren's T for one shape, as a tail lookup.

    Keys are T scaled by 2 * lcm(n_r + 1), which turns every round's weight
    1 / (n_r + 1) into an integer multiplier ``lcm // (n_r + 1)``. Under H0 the expected
    scaled key is ``lcm * sum(m_r)``, so ``|T - E[T]| >= |t_obs - E[T]|`` is decided
    exactly on integers.
    """

    lcm: int
    expected: int
    deviation: np.ndarray  # |key - expected| of every support point, ascending
    tail: np.ndarray  # tail[i] = P(deviation >= deviation[i]); one trailing 0

    def pvalues(self, observed: np.ndarray) -> np.ndarray:
        at = np.searchsorted(self.deviation, np.abs(observed - self.expected), "left")
        return np.minimum(1.0, self.tail[at])


@functools.lru_cache(maxsize=4096)
def _untied_spec(sizes: tuple[tuple[int, int], ...]) -> tuple:
    """The doubled ranks (2, 4, ..., 2n) and A's size of every round of a tie-free shape."""
    return tuple((tuple(range(2, 2 * n + 1, 2)), m) for n, m in sizes)


@functools.lru_cache(maxsize=4096)
def _null_tail(spec: tuple, limits: tuple[int, int, int]) -> _NullTail | None:
    """Exact null of T for rounds ``spec`` = ((doubled midranks, m), ...), or None.

    None when enumeration is too large (``limits``: arrangements per round, support of a
    convolution step, largest key), and the normal approximation is used instead.
    """
    max_arrangements, max_support, max_key = limits
    if any(math.comb(len(doubled), m) > max_arrangements for doubled, m in spec):
        return None
    lcm = math.lcm(*(len(doubled) + 1 for doubled, _ in spec))
    multipliers = [lcm // (len(doubled) + 1) for doubled, _ in spec]
    if sum(k * sum(doubled) for k, (doubled, _) in zip(multipliers, spec)) >= max_key:
        return None
    keys, probs = np.zeros(1, np.int64), np.ones(1)
    for k, (doubled, m) in zip(multipliers, spec):
        round_keys, round_probs = _round_null(doubled, m)
        if keys.size * round_keys.size > max_support:
            return None
        keys, probs = _convolve(keys, probs, k * round_keys, round_probs)
    expected = lcm * sum(m for _, m in spec)
    deviation = np.abs(keys - expected)
    order = np.argsort(deviation, kind="stable")
    tail = np.r_[np.cumsum(probs[order][::-1])[::-1], 0.0]
    return _NullTail(lcm, expected, deviation[order], tail)


@functools.lru_cache(maxsize=4096)
def _round_null(doubled: tuple[int, ...], m: int) -> tuple[np.ndarray, np.ndarray]:
    """Null distribution of A's (doubled) rank sum in one round: support and probabilities.

    Every placement of A's m labels among the round's n values is equally likely under H0.
    """
    ranks = np.asarray(doubled, np.int64)
    placements = np.array(list(itertools.combinations(range(ranks.size), m)))
    keys, counts = np.unique(ranks[placements].sum(axis=1), return_counts=True)
    return keys, counts / placements.shape[0]


def _convolve(keys_1, probs_1, keys_2, probs_2) -> tuple[np.ndarray, np.ndarray]:
    """Distribution of the sum of two independent discrete variables."""
    sums = np.add.outer(keys_1, keys_2).ravel()
    support, index = np.unique(sums, return_inverse=True)
    return support, np.bincount(index, weights=np.multiply.outer(probs_1, probs_2).ravel())


def _normal_pvalues(pair, n, m, doubled, tie_terms, n_pairs) -> np.ndarray:
    """Two-sided p of van Elteren's T by the normal approximation, tie-corrected.

    Within a round, A's rank sum has mean m(n+1)/2 and variance
    m(n-m)/12 * ((n+1) - sum(t^3 - t) / (n(n-1))) over tie groups of size t
    (``tie_terms`` holds the sums). No continuity correction, so one round reproduces
    scipy's asymptotic ``mannwhitneyu(..., use_continuity=False)``.
    """
    weight = 1 / (n + 1)
    deviation = np.bincount(
        pair, weights=weight * (doubled / 2 - m * (n + 1) / 2), minlength=n_pairs
    )
    tie_correction = tie_terms / (n * (n - 1))
    variance = np.bincount(
        pair, weights=weight**2 * m * (n - m) / 12 * ((n + 1) - tie_correction), minlength=n_pairs
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.norm.sf(np.abs(deviation) / np.sqrt(variance))
    # every round is one block of ties: no evidence either way
    return np.where(variance == 0, 1.0, p)


# --- Multiplicity --------------------------------------------------------------------


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni step-down adjusted p-values, monotone and capped at 1.

    NaN p-values (comparisons that could not be tested) stay NaN and do not count
    towards the family size.
    """
    p = np.asarray(pvalues, float).ravel()
    return _holm_families(p, np.zeros(p.size, np.int64))


def _holm_families(p: np.ndarray, family: np.ndarray) -> np.ndarray:
    """:func:`holm` within each family; ``family`` is non-decreasing (families contiguous)."""
    adjusted = np.full(p.shape, np.nan)
    if not p.size:
        return adjusted
    starts, sizes = _segment_bounds(family)
    column = np.arange(p.size) - np.repeat(starts, sizes)
    table = np.full((starts.size, int(sizes.max())), np.nan)
    row = np.repeat(np.arange(starts.size), sizes)
    table[row, column] = p
    order = np.argsort(table, axis=1, kind="stable")  # NaN (untested, padding) last
    ordered = np.take_along_axis(table, order, axis=1)
    tested = (~np.isnan(table)).sum(axis=1, keepdims=True)
    stepped = (tested - np.arange(table.shape[1])) * ordered
    result = np.empty_like(table)
    np.put_along_axis(result, order, np.minimum(1.0, np.maximum.accumulate(stepped, axis=1)), 1)
    adjusted[:] = result[row, column]
    return adjusted


# --- The bootstrap of medians ----------------------------------------------------------


@functools.cache
def _median_atoms(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the median of a bootstrap resample of n values falls: ``(i, j, probability)``.

    The resample's median is (x_(i) + x_(j)) / 2 of the sorted sample (0-based; i == j
    for odd n), with a probability that depends only on n. With C_u the number of draws
    among the u smallest values (1-based u; binomial(n, u/n)) and h = n/2 for even n:

    * odd n: median <= x_(u) iff C_u >= (n + 1) / 2;
    * even n, i < j: P = G(i, j-1) - G(i-1, j-1) - G(i, j) + G(i-1, j) with
      G(u, v) = P(C_u = h = C_v) = C(n, h) (u/n)^h ((n - v)/n)^h;
    * even n, i == j: P = P(C_i > h) - P(C_{i-1} >= h) + G(i-1, i).

    Computed in floating point (about 1e-16 absolute); n(n + 1)/2 points for even n.
    """
    u = np.arange(n + 1)
    if n % 2:
        cdf = stats.binom.sf((n - 1) // 2, n, u / n)  # P(median <= x_(u))
        cdf[0], cdf[n] = 0.0, 1.0
        index = np.arange(n)
        return index, index, np.maximum(np.diff(cdf), 0.0)
    h = n // 2
    with np.errstate(divide="ignore"):
        log_power = h * np.log(u / n)  # log((u/n)^h); -inf at u = 0
    log_binomial = math.lgamma(n + 1) - 2 * math.lgamma(h + 1)

    def both(a, b):  # G(a, b), a <= b
        return np.exp(log_binomial + log_power[a] + log_power[n - b])

    i, j = np.triu_indices(n, 1)  # 0-based i < j, i.e. 1-based i + 1 < j + 1
    between = both(i + 1, j) - both(i, j) - both(i + 1, j + 1) + both(i, j + 1)
    k = np.arange(1, n + 1)
    alone = stats.binom.sf(h, n, k / n) - stats.binom.sf(h - 1, n, (k - 1) / n) + both(k - 1, k)
    low = np.r_[k - 1, i]
    high = np.r_[k - 1, j]
    return low, high, np.maximum(np.r_[alone, between], 0.0)


@dataclass(frozen=True)
class _Side:
    """One side of a bootstrap class: per pair, the segment start of each of its rounds.

    Every pair of a class has the same segment sizes (``sizes``); a side's contribution
    to the statistic is ``sign * transform(resample median)`` summed over its rounds.
    """

    starts: np.ndarray  # (pairs, rounds)
    sizes: tuple[int, ...]
    sign: float


def _bootstrap_quantiles(
    values: np.ndarray,
    sides: list[_Side],
    transform: Callable[[np.ndarray], np.ndarray],
    quantiles: Sequence[float],
    n_boot: int,
    seed_words: Sequence[int],
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Percentile-bootstrap quantiles of S = sum of signed, transformed resample medians.

    Each (side, round) segment is resampled independently. For each quantile q returns
    ``(below, above, fraction)`` per pair: the quantile is ``below`` interpolated towards
    ``above`` by ``fraction`` (0 when exact), so callers can map both through a monotone
    function first, as a percentile interval over mapped replicates would.
    """
    terms = [(side, r, n) for side in sides for r, n in enumerate(side.sizes)]
    atoms = [_median_atoms(n) for _, _, n in terms]
    support = math.prod(probability.size for _, _, probability in atoms)
    n_pairs = sides[0].starts.shape[0]

    def term_values(t: int, starts_column: np.ndarray) -> np.ndarray:
        side, _, _ = terms[t]
        low, high, _ = atoms[t]
        s = starts_column[:, None]
        return side.sign * transform((values[s + low] + values[s + high]) / 2)

    results = [
        (np.empty(n_pairs), np.empty(n_pairs), np.zeros(n_pairs)) for _ in quantiles
    ]
    if support <= MAX_EXACT_BOOTSTRAP_SUPPORT:
        weights = functools.reduce(
            lambda w, a: np.multiply.outer(w, a[2]).ravel(), atoms[1:], atoms[0][2]
        )

        def exact_chunk(rows: np.ndarray) -> None:
            parts = [term_values(t, side.starts[rows, r]) for t, (side, r, _) in enumerate(terms)]
            chosen = _atom_quantiles(_outer_sums(parts), weights, quantiles)
            within = np.arange(rows.size)
            for (below, above, _), point in zip(results, chosen):
                # The chosen point's value, summed in the order the table was.
                digits = []
                for part in parts[::-1]:
                    point, digit = np.divmod(point, part.shape[1])
                    digits.append(digit)
                value = None
                for part, digit in zip(parts, digits[::-1]):
                    value = part[within, digit] if value is None else value + part[within, digit]
                below[rows] = above[rows] = value

        _in_chunks(exact_chunk, np.arange(n_pairs), max(1, _CHUNK_ELEMENTS // support))
        return results

    # Monte Carlo: n_boot draws of every term's atom, shared by the class. Terms of a side
    # are merged into tables while a table stays smaller than n_boot, and a side's
    # replicates are computed once per distinct side (e.g. one serial baseline shared by
    # many comparisons).
    rng = np.random.default_rng([*seed_words, *(n for _, _, n in terms)])
    draws = []
    for _, _, probability in atoms:
        cumulative = np.cumsum(probability)
        u = rng.random(n_boot) * cumulative[-1]
        draws.append(np.minimum(np.searchsorted(cumulative, u, "right"), probability.size - 1))
    blocks_of = []
    t = 0
    for side in sides:
        blocks, block = [], None
        for r in range(len(side.sizes)):
            k = atoms[t][2].size
            if block is not None and block[1] * k <= n_boot:
                block = (block[0] + [(t, r)], block[1] * k, block[2] * k + draws[t])
            else:
                if block is not None:
                    blocks.append(block)
                block = ([(t, r)], k, draws[t].copy())
            t += 1
        blocks.append(block)
        blocks_of.append(blocks)

    def add_side(blocks, starts: np.ndarray, out: np.ndarray, scratch: np.ndarray, fresh: bool):
        """Add a side's replicates for pairs with ``starts`` into ``out`` (or set them)."""
        for members, _, index in blocks:
            table = _outer_sums([term_values(t, starts[:, r]) for t, r in members])
            # np.take into a buffer: rows stay contiguous, nothing is allocated.
            np.take(table, index, axis=1, out=out if fresh else scratch, mode="clip")
            if not fresh:
                out += scratch
            fresh = False

    # A side met by many pairs (a serial baseline) is resampled once per distinct side;
    # pairs are ordered by such sides so that a chunk meets few of them.
    shared = []
    for side in sides:
        distinct, ids = _unique_rows(side.starts)
        shared.append((distinct, ids) if 2 * len(distinct) <= n_pairs else None)
    sort_keys = [item[1] for item in shared if item is not None]
    order = np.lexsort(sort_keys[::-1]) if sort_keys else np.arange(n_pairs)
    positions = []
    for q in quantiles:
        position = (n_boot - 1) * q
        below = math.floor(position)
        positions.append((below, min(below + 1, n_boot - 1), position - below))
    step = max(1, _CHUNK_ELEMENTS // n_boot)
    buffers = threading.local()

    def monte_carlo_chunk(rows: np.ndarray) -> None:
        if not hasattr(buffers, "replicates"):
            buffers.replicates, buffers.scratch = np.empty((2, step, n_boot))
        replicates, scratch = buffers.replicates[: rows.size], buffers.scratch[: rows.size]
        fresh = True
        for side, blocks, item in zip(sides, blocks_of, shared):
            if item is None:
                add_side(blocks, side.starts[rows], replicates, scratch, fresh)
            else:
                distinct, ids = item
                chunk_ids = ids[rows]
                if np.all(chunk_ids[1:] >= chunk_ids[:-1]):
                    new = np.r_[True, chunk_ids[1:] != chunk_ids[:-1]]
                    used, inverse = chunk_ids[new], np.cumsum(new) - 1
                else:
                    used, inverse = np.unique(chunk_ids, return_inverse=True)
                side_replicates = np.empty((used.size, n_boot))
                add_side(blocks, distinct[used], side_replicates, np.empty_like(side_replicates), True)
                np.take(side_replicates, inverse.ravel(), axis=0, out=replicates if fresh else scratch, mode="clip")
                if not fresh:
                    replicates += scratch
            fresh = False
        # Order statistics i and i + 1 by one partial sort each: one in place, its
        # neighbour the extreme of the short side.
        for (below, above, fraction), (i, j, f) in zip(results, positions):
            if i == j:
                replicates.partition(i, axis=1)
                below[rows] = above[rows] = replicates[:, i]
            elif 2 * j <= n_boot:
                replicates.partition(j, axis=1)
                below[rows], above[rows] = replicates[:, :j].max(axis=1), replicates[:, j]
            else:
                replicates.partition(i, axis=1)
                below[rows], above[rows] = replicates[:, i], replicates[:, j:].min(axis=1)
            fraction[rows] = f

    _in_chunks(monte_carlo_chunk, order, step)
    return results


def _outer_sums(parts: list[np.ndarray]) -> np.ndarray:
    """Per row, every sum of one entry from each part: (rows, prod of widths), row-major.

    Always a new array (callers may overwrite it).
    """
    sums = parts[0].copy()
    for part in parts[1:]:
        sums = (sums[:, :, None] + part[:, None, :]).reshape(part.shape[0], -1)
    return sums


def _in_chunks(work: Callable[[np.ndarray], None], rows: np.ndarray, step: int) -> None:
    """Run ``work`` on consecutive chunks of ``rows``, on every CPU when there are many.

    The chunks write disjoint rows and numpy releases the GIL in the heavy steps
    (gathers, sorts, partial sorts), so threads share the work; results do not depend
    on how chunks are scheduled.
    """
    chunks = [rows[begin : begin + step] for begin in range(0, rows.size, step)]
    if len(chunks) < 2 or _THREADS < 2:
        for chunk in chunks:
            work(chunk)
        return
    with ThreadPoolExecutor(min(_THREADS, len(chunks))) as pool:
        for _ in pool.map(work, chunks):
            pass


def _atom_quantiles(sums: np.ndarray, weights: np.ndarray, quantiles) -> list[np.ndarray]:
    """Per row, which point is the q-quantile of the discrete distribution ``sums``.

    The q-quantile is the smallest value whose cumulative weight reaches q, the limit of
    a percentile over ever more resamples. Only a tail is ordered: the k smallest (or
    largest) points of a row carry at least k * min(weights), so a partial sort to that
    k suffices. Points are ordered on one int64 key with the value's order in its high
    bits and the point's index in its low bits (sorting keys is several times faster
    than an argsort); values closer than 2**-40 relative may be taken in either order,
    far below any meaningful difference. ``sums`` (float64) is overwritten by the keys.
    """
    size = weights.size
    bits = max(1, (size - 1).bit_length())
    if sums.dtype != np.float64 or not sums.flags.c_contiguous:
        sums = np.ascontiguousarray(sums, np.float64)
    keys = sums.view(np.int64)
    flip = keys >> 63  # -1 for negative floats, whose order the bits reverse
    flip &= np.int64(0x7FFF_FFFF_FFFF_FFFF)
    keys ^= flip
    del flip
    keys &= np.int64(-(1 << bits))
    keys |= np.arange(size, dtype=np.int64)
    smallest = float(weights.min())
    tolerance = 1e-12  # cumulative weights are sums of floats
    out = []
    for q in quantiles:
        lower = q <= 0.5
        # The k points of the tail towards q hold more than its weight (q, or 1 - q).
        mass = (q if lower else 1 - q) + tolerance
        k = min(size, math.floor(mass / smallest) + 1) if smallest > 0 else size
        if k < size:
            keys.partition(k - 1 if lower else size - k, axis=1)
            tail = keys[:, :k] if lower else keys[:, size - k :]
        else:
            tail = keys
        tail = np.sort(tail, axis=1)
        point = tail & ((1 << bits) - 1)
        weight = weights[point]
        if lower:  # the first point at which the cumulative weight reaches q
            at = (np.cumsum(weight, axis=1) < q - tolerance).sum(axis=1)
        else:  # the first point with at most 1 - q of the weight above it
            above = np.cumsum(weight[:, ::-1], axis=1)[:, ::-1] - weight
            at = (above > mass).sum(axis=1)
        at = np.minimum(at, k - 1)[:, None]
        out.append(np.take_along_axis(point, at, axis=1).ravel())
    return out


def median_cis(
    samples: np.ndarray,
    cell: np.ndarray,
    confidence: float = 0.95,
    *,
    n_boot: int = 2000,
    rng: SeedLike,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`median_ci` of every cell: ``(median, low, high)`` arrays indexed by cell.

    ``cell`` labels each sample with a cell number (0 .. number of cells - 1).
    """
    samples = np.asarray(samples, float).ravel()
    cell = np.asarray(cell, np.int64).ravel()
    n_cells = int(cell.max()) + 1 if cell.size else 0
    order = _sort_within(samples, cell)
    values = samples[order]
    size = np.bincount(cell, minlength=n_cells)
    start = np.cumsum(size) - size
    median = _segment_medians(values, start, size)
    low, high = np.full(n_cells, np.nan), np.full(n_cells, np.nan)
    entropy = _entropy(rng)
    alpha = (1 - confidence) / 2
    for n in np.unique(size[size >= 2]):
        members = np.flatnonzero(size == n)
        side = _Side(start[members][:, None], (int(n),), 1.0)
        (lo, lo_next, lo_f), (hi, hi_next, hi_f) = _bootstrap_quantiles(
            values, [side], lambda x: x, (alpha, 1 - alpha), n_boot, (entropy, 0)
        )
        low[members], high[members] = _lerp(lo, lo_next, lo_f), _lerp(hi, hi_next, hi_f)
    return median, low, high


def median_ci(
    samples: Sequence[float],
    confidence: float = 0.95,
    *,
    n_boot: int = 2000,
    rng: SeedLike,
) -> tuple[float, float, float]:
    """Median of one cell with a percentile-bootstrap CI: ``(median, low, high)``.

    Percentile rather than BCa: BCa's jackknife acceleration is degenerate for the
    median of the handful of repetitions a cell has. With fewer than two samples the
    interval is NaN; with all samples equal it collapses onto that value. The interval
    is exact (the limit of infinitely many resamples) when a resample's median can take
    at most :data:`MAX_EXACT_BOOTSTRAP_SUPPORT` values (n for odd n, n(n + 1)/2 for
    even n: up to 90 samples), else drawn from ``n_boot`` resamples.
    """
    x = np.asarray(samples, float).ravel()
    if x.size == 0:
        return math.nan, math.nan, math.nan
    median, low, high = median_cis(x, np.zeros(x.size, np.int64), confidence, n_boot=n_boot, rng=rng)
    return float(median[0]), float(low[0]), float(high[0])


def _ratio_cis(
    c: _Comparisons, *, n_boot: int, confidence: float, entropy: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`ratio_ci` of every pair of ``c``."""
    n_pairs = c.n_pairs
    a_median = _segment_medians(c.values, c.a_start, c.a_size)
    b_median = _segment_medians(c.values, c.b_start, c.b_size)
    rounds = c.rounds_per_pair
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.bincount(c.pair, weights=np.log(a_median / b_median), minlength=n_pairs)
        ratio = np.exp(log_ratio / rounds)
    low, high = np.full(n_pairs, np.nan), np.full(n_pairs, np.nan)
    alpha = (1 - confidence) / 2
    for r in np.unique(rounds[rounds > 0]):
        pairs = np.flatnonzero(rounds == r)
        entries = c.class_rows(r, pairs)
        shapes = np.concatenate([c.a_size[entries], c.b_size[entries]], axis=1)
        signatures, which = _unique_rows(shapes)
        for s, signature in enumerate(signatures.tolist()):
            members = which == s
            rows = entries[members]
            sides = [
                _Side(c.a_start[rows], tuple(signature[:r]), 1.0),
                _Side(c.b_start[rows], tuple(signature[r:]), -1.0),
            ]
            (lo, lo_next, lo_f), (hi, hi_next, hi_f) = _bootstrap_quantiles(
                c.values, sides, np.log, (alpha, 1 - alpha), n_boot, (entropy, 1)
            )
            low[pairs[members]] = _lerp(np.exp(lo / r), np.exp(lo_next / r), lo_f)
            high[pairs[members]] = _lerp(np.exp(hi / r), np.exp(hi_next / r), hi_f)
    return ratio, low, high


def ratio_cis(
    a_samples, a_cell, a_round,
    b_samples, b_cell, b_round,
    pair_a, pair_b,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    rng: SeedLike,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """:func:`ratio_ci` of many pairs: ``(ratio, low, high)`` arrays, one entry per pair.

    A-side samples are labelled by cell number and round, B-side samples likewise (their
    own cell numbers); pair p compares A's cell ``pair_a[p]`` with B's ``pair_b[p]`` on
    the rounds both have. A B cell may serve many pairs (a serial baseline).
    """
    a_round, b_round = np.asarray(a_round), np.asarray(b_round)
    codes, labels = pd.factorize(np.concatenate([a_round, b_round]), sort=True)
    a = _Segments.build(a_samples, a_cell, codes[: a_round.size], len(labels))
    b = _Segments.build(b_samples, b_cell, codes[a_round.size :], len(labels))
    comparisons = _Comparisons.match(a, b, pair_a, pair_b)
    return _ratio_cis(comparisons, n_boot=n_boot, confidence=confidence, entropy=_entropy(rng))


def ratio_ci(
    a_rounds: Rounds,
    b_rounds: Rounds,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    rng: SeedLike,
) -> tuple[float, float, float]:
    """Blocked speed ratio A/B with a percentile-bootstrap CI: ``(ratio, low, high)``.

    The ratio is the geometric mean over shared rounds of median(A_r) / median(B_r);
    below 1 means A is faster. Each bootstrap replicate resamples repetitions with
    replacement within each (model, round) cell, so the drift between rounds never
    leaks into the interval. The interval is exact when the bootstrap distribution has
    at most :data:`MAX_EXACT_BOOTSTRAP_SUPPORT` points, else drawn from ``n_boot``
    resamples; ``rng`` is required so results are always reproducible.
    """
    comparisons = _Comparisons.of_rounds(a_rounds, b_rounds)
    ratio, low, high = _ratio_cis(
        comparisons, n_boot=n_boot, confidence=confidence, entropy=_entropy(rng)
    )
    return float(ratio[0]), float(low[0]), float(high[0])


def speedup_ci(
    model_rounds: Rounds,
    serial_rounds: Rounds,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    rng: SeedLike,
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
    return float(_cliffs_deltas(_Comparisons.of_rounds([a], [b]))[0])


def _cliffs_deltas(c: _Comparisons) -> np.ndarray:
    """Cliff's delta of every pair, A and B pooled over the pair's shared rounds.

    Counted with one search: per A value, the B values of its pair below and equal.
    """
    a_index, a_entry = _expand(c.a_start, c.a_size)
    b_index, b_entry = _expand(c.b_start, c.b_size)
    a_pair, b_pair = c.pair[a_entry], c.pair[b_entry]
    dense = c.dense
    span = int(dense.max(initial=0)) + 1
    b_keys = np.sort(b_pair * span + dense[b_index])
    a_keys = a_pair * span + dense[a_index]
    left = np.searchsorted(b_keys, a_keys, "left")
    right = np.searchsorted(b_keys, a_keys, "right")
    n_a = np.bincount(a_pair, minlength=c.n_pairs)
    n_b = np.bincount(b_pair, minlength=c.n_pairs)
    b_first = np.cumsum(n_b) - n_b
    below = left - b_first[a_pair]
    score = np.bincount(a_pair, weights=2 * below + (right - left), minlength=c.n_pairs)
    total = n_a * n_b
    with np.errstate(invalid="ignore", divide="ignore"):
        return (score - total) / total


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
    model_code, model_names = pd.factorize(group_df["model"], sort=True)
    verdict_table, pairs = _compare_groups(
        np.zeros(len(group_df), np.int64),
        model_code,
        np.asarray(model_names, dtype=object),
        group_df["round"].to_numpy(),
        group_df["wall_seconds"].to_numpy(float),
        1,
        alpha=alpha, margin=margin, n_boot=n_boot, seed=seed,
    )  # fmt: skip
    verdict = verdict_table.iloc[0].to_dict()
    for field in ("n_models", "n_rounds", "n_complete_rounds", "min_samples"):
        verdict[field] = int(verdict[field])
    if verdict["runner_up"] is not None and pd.isna(verdict["runner_up"]):
        verdict["runner_up"] = None
    return verdict, pairs.drop(columns="gid").reset_index(drop=True)


def _compare_groups(
    gid: np.ndarray,
    model_code: np.ndarray,
    model_names: np.ndarray,
    round_: np.ndarray,
    wall: np.ndarray,
    n_groups: int,
    *,
    alpha: float,
    margin: float,
    n_boot: int,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`compare_models` for every group at once.

    Rows are labelled by group number ``gid`` (0 .. n_groups - 1, each present) and model
    number ``model_code`` into ``model_names`` (sorted, so numbers order as names). Returns
    the verdicts (one row per group, columns :data:`VERDICT_FIELDS`) and the pairs
    (columns ``gid`` and :data:`PAIR_FIELDS`, by group, runner-up first).
    """
    gid = np.asarray(gid, np.int64)
    wall = np.asarray(wall, float)
    model_code = np.asarray(model_code, np.int64)
    model_names = np.asarray(model_names, dtype=object)
    ranks = _value_ranks(wall)
    round_code, round_labels = pd.factorize(np.asarray(round_), sort=True)
    n_model_names = max(len(model_names), 1)
    cell_key, cell = _factorize(gid * n_model_names + model_code)
    cell_gid, cell_name = cell_key // n_model_names, model_names[cell_key % n_model_names]
    n_cells = cell_key.size
    cell_size = np.bincount(cell, minlength=n_cells)

    # Ranking: by median over all samples, equal medians by name (cells are by name).
    by_cell = _sort_within(wall, cell, ranks)
    cell_start = np.cumsum(cell_size) - cell_size
    cell_median = _segment_medians(wall[by_cell], cell_start, cell_size)
    ranked = np.lexsort((np.arange(n_cells), cell_median, cell_gid))
    n_models = np.bincount(cell_gid, minlength=n_groups)
    group_first = np.cumsum(n_models) - n_models
    fastest = ranked[group_first]
    others = ranked[np.arange(n_cells) - group_first[cell_gid[ranked]] > 0]
    pair_gid = cell_gid[others]
    pair_a, pair_b = fastest[pair_gid], others

    segments = _Segments.build(wall, cell, round_code, len(round_labels), ranks)
    comparisons = _Comparisons.match(segments, segments, pair_a, pair_b)
    ratio, ci_low, ci_high = _ratio_cis(
        comparisons, n_boot=n_boot, confidence=0.95, entropy=_entropy(seed)
    )
    _, p_raw, method = _mwu_tests(comparisons)
    p_adjusted = _holm_families(p_raw, pair_gid)
    pairs = pd.DataFrame(
        {
            "gid": pair_gid,
            "model_a": cell_name[pair_a],
            "model_b": cell_name[pair_b],
            "ratio": ratio,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "p_raw": p_raw,
            "p_adjusted": p_adjusted,
            "method": method,
            "cliffs_delta": _cliffs_deltas(comparisons),
            "n_a": np.bincount(comparisons.pair, weights=comparisons.a_size, minlength=pair_a.size).astype(np.int64),
            "n_b": np.bincount(comparisons.pair, weights=comparisons.b_size, minlength=pair_a.size).astype(np.int64),
            "n_rounds": comparisons.rounds_per_pair,
        }
    )  # fmt: skip

    # Group-level fields.
    seg_gid = cell_gid[segments.cell]
    seg_round = segments.key % segments.n_round_codes
    group_round_key, group_round_cells = np.unique(
        seg_gid * len(round_labels) + seg_round, return_counts=True
    )
    group_round_gid = group_round_key // len(round_labels)
    n_rounds = np.bincount(group_round_gid, minlength=n_groups)
    complete = group_round_cells == n_models[group_round_gid]
    n_complete = np.bincount(group_round_gid[complete], minlength=n_groups)
    min_samples = np.full(n_groups, np.iinfo(np.int64).max)
    np.minimum.at(min_samples, cell_gid, cell_size)
    told_apart = (p_adjusted < alpha) & (ci_high < 1 - margin)
    contested = n_models > 1
    beaten_all = np.bincount(pair_gid, weights=~told_apart, minlength=n_groups) == 0
    runner_up = np.full(n_groups, -1)
    runner_up[contested] = np.cumsum(n_models - 1)[contested] - (n_models - 1)[contested]
    kruskal_p, friedman_p = _omnibus_pvalues(
        cell, cell_gid, n_models, wall, ranks, segments, group_round_key, complete, len(round_labels)
    )

    def at_runner_up(column: np.ndarray, missing=np.nan) -> np.ndarray:
        out = np.full(n_groups, missing, dtype=column.dtype if missing is None else float)
        out[contested] = column[runner_up[contested]]
        return out

    not_told = ~told_apart
    tied_with = [[name] for name in cell_name[fastest]]
    for g, name in zip(pair_gid[not_told], cell_name[pair_b][not_told]):
        tied_with[g].append(name)
    p_max = np.full(n_groups, np.nan)
    if pair_gid.size:
        p_max[contested] = pd.Series(p_adjusted).groupby(pair_gid).max().to_numpy()
    verdicts_df = pd.DataFrame(
        {
            "winner": np.where(
                contested, np.where(beaten_all, cell_name[fastest], TIE), NO_CONTEST
            ).astype(object),
            "fastest": cell_name[fastest],
            "runner_up": at_runner_up(pairs["model_b"].to_numpy(dtype=object), None),
            "tied_with": [",".join(sorted(names)) for names in tied_with],
            "ratio_to_runner_up": at_runner_up(ratio),
            "ci_low": at_runner_up(ci_low),
            "ci_high": at_runner_up(ci_high),
            "p_adjusted": at_runner_up(p_adjusted),
            "p_adjusted_max": p_max,
            "cliffs_delta": at_runner_up(pairs["cliffs_delta"].to_numpy()),
            "kruskal_p": np.where(contested, kruskal_p, np.nan),
            "friedman_p": np.where(contested, friedman_p, np.nan),
            "n_models": n_models,
            "n_rounds": n_rounds,
            "n_complete_rounds": n_complete,
            "min_samples": min_samples,  # a lone model's: all its samples
            "note": np.where(contested, "", "only one model").astype(object),
        }
    )  # fmt: skip
    return verdicts_df, pairs


def _midranks(block, values, n_blocks: int, ranks=None) -> tuple[np.ndarray, np.ndarray]:
    """Midranks of ``values`` within each block, and each block's sum of t^3 - t over ties."""
    order = _sort_within(values, block, ranks)
    sorted_block, sorted_values = block[order], values[order]
    new_block = np.r_[True, sorted_block[1:] != sorted_block[:-1]]
    new_run = new_block | np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    block_start = np.maximum.accumulate(np.where(new_block, np.arange(order.size), 0))
    run_start, run_size = _segment_bounds(np.cumsum(new_run))
    midrank = run_start - block_start[run_start] + (run_size + 1) / 2
    ranks = np.empty(order.size)
    ranks[order] = np.repeat(midrank, run_size)
    ties = np.bincount(
        sorted_block[run_start], weights=run_size.astype(float) ** 3 - run_size, minlength=n_blocks
    )
    return ranks, ties


def _omnibus_pvalues(
    cell, cell_gid, n_models, wall, ranks, segments: _Segments, group_round_key, complete, n_round_codes
) -> tuple[np.ndarray, np.ndarray]:
    """Kruskal-Wallis on pooled samples and Friedman on per-round medians, per group.

    Both are reported for context only and never gate a verdict. Friedman blocks by
    round, so it needs at least 3 models and 2 rounds that every model has. The formulas
    are scipy's ``kruskal`` and ``friedmanchisquare``; degenerate data (every value
    tied) give NaN, as there.
    """
    n_groups = n_models.size
    row_gid = cell_gid[cell]
    ranks, ties = _midranks(row_gid, wall, n_groups, ranks)
    cell_size = np.bincount(cell, minlength=cell_gid.size)
    rank_sums = np.bincount(cell, weights=ranks, minlength=cell_gid.size)
    ssbn = np.bincount(cell_gid, weights=rank_sums**2 / cell_size, minlength=n_groups)
    total = np.bincount(row_gid, minlength=n_groups).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        correction = 1 - ties / (total**3 - total)
        h = (12.0 / (total * (total + 1)) * ssbn - 3 * (total + 1)) / correction
        kruskal_p = np.where(correction > 0, special.chdtrc(n_models - 1, h), np.nan)

    friedman_p = np.full(n_groups, np.nan)
    blocks = np.flatnonzero(complete)
    block_gid = group_round_key[blocks] // n_round_codes
    n_complete = np.bincount(block_gid, minlength=n_groups)
    eligible = (n_models >= 3) & (n_complete >= 2)
    blocks = blocks[eligible[block_gid]]
    if blocks.size:
        seg_group_round = cell_gid[segments.cell] * n_round_codes + segments.key % n_round_codes
        block_of_segment = np.searchsorted(group_round_key[blocks], seg_group_round)
        block_of_segment = np.minimum(block_of_segment, blocks.size - 1)
        used = group_round_key[blocks][block_of_segment] == seg_group_round
        medians = _segment_medians(segments.values, segments.start[used], segments.size[used])
        block = block_of_segment[used]
        ranks, ties = _midranks(block, medians, blocks.size)
        used_cells = segments.cell[used]
        cell_rank_sums = np.bincount(used_cells, weights=ranks, minlength=cell_gid.size)
        k = n_models.astype(float)
        n = n_complete.astype(float)
        ssbn = np.bincount(cell_gid, weights=cell_rank_sums**2, minlength=n_groups)
        group_ties = np.bincount(group_round_key[blocks] // n_round_codes, weights=ties, minlength=n_groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = 1 - group_ties / (k * (k * k - 1) * n)
            chisq = (12.0 / (k * n * (k + 1)) * ssbn - 3 * n * (k + 1)) / c
            p = np.where(c > 0, special.chdtrc(k - 1, chisq), np.nan)
        friedman_p[eligible] = p[eligible]
    return kruskal_p, friedman_p


# --- Whole-table drivers -------------------------------------------------------------


def group_numbers(
    frame: pd.DataFrame,
    key: Sequence[str],
    rows: np.ndarray | None = None,
    *,
    codes: dict | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Group number of each of ``rows`` (positions; all rows by default) by ``key``.

    Numbers follow the sorted keys, as ``frame.groupby(key).ngroup()``; rows with a
    missing key get -1 (groupby drops them). Also returns the groups' keys, one row per
    number. Built from each key column's codes, without copying the frame; pass the same
    dict as ``codes`` to calls on one frame to factorize each column once.
    """
    rows = np.arange(len(frame)) if rows is None else np.asarray(rows, np.int64)
    codes = {} if codes is None else codes
    combined = np.zeros(rows.size, np.int64)
    missing = np.zeros(rows.size, bool)
    for column in key:
        if column not in codes:
            column_codes, uniques = pd.factorize(frame[column], sort=True)
            codes[column] = np.asarray(column_codes, np.int64), len(uniques)
        column_codes, n_uniques = codes[column]
        column_codes = column_codes[rows]
        missing |= column_codes < 0
        if int(combined.max(initial=0)) * (n_uniques + 1) >= 2**62:
            combined = _factorize(combined)[1]
        combined = combined * (n_uniques + 1) + column_codes + 1
    numbers = np.full(rows.size, -1, np.int64)
    if (~missing).any():
        _, numbers[~missing] = _factorize(combined[~missing])
    n_groups = int(numbers.max(initial=-1)) + 1
    first = np.zeros(n_groups, np.int64)
    present = np.flatnonzero(numbers >= 0)
    first[numbers[present]] = present  # any row of a group: all carry its key
    keys = frame[list(key)].iloc[rows[first]].reset_index(drop=True)
    return numbers, keys


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
    verdict_columns = [*GROUP_KEY, *VERDICT_FIELDS, "n_flagged", "verdict_without_flagged"]
    pair_columns = [*GROUP_KEY, *PAIR_FIELDS]
    model = samples["model"]
    is_serial = (model == SERIAL).to_numpy(bool)
    leaders = np.flatnonzero(~model.str.endswith(AA_SUFFIX).to_numpy(bool) & ~is_serial)
    serial = np.flatnonzero(is_serial)
    codes: dict = {}
    leader_gid, keys = group_numbers(samples, GROUP_KEY, leaders, codes=codes)
    if keys.empty:
        return pd.DataFrame(columns=verdict_columns), pd.DataFrame(columns=pair_columns)
    leaders = leaders[leader_gid >= 0]
    leader_gid = leader_gid[leader_gid >= 0]

    # Serial rows join every group of their work: numbers of SERIAL_KEY for both.
    work, _ = group_numbers(samples, SERIAL_KEY, np.r_[leaders, serial], codes=codes)
    group_work = np.zeros(len(keys), np.int64)
    group_work[leader_gid] = work[: leaders.size]
    serial_work = work[leaders.size :]
    serial = serial[serial_work >= 0]
    serial_work = serial_work[serial_work >= 0]
    by_work = np.argsort(serial_work, kind="stable")
    serial, serial_work = serial[by_work], serial_work[by_work]
    first = np.searchsorted(serial_work, group_work, "left")
    joined, serial_gid = _expand(first, np.searchsorted(serial_work, group_work, "right") - first)

    taken = np.r_[leaders, serial[joined]]
    gid = np.r_[leader_gid, serial_gid]
    model_code, model_names = pd.factorize(model, sort=True)
    columns = {
        "model_code": np.asarray(model_code, np.int64)[taken],
        "round": samples["round"].to_numpy()[taken],
        "wall_seconds": samples["wall_seconds"].to_numpy(float)[taken],
    }
    flagged = samples["flagged"].to_numpy(bool)[taken]
    model_names = np.asarray(model_names, dtype=object)
    n_groups = len(keys)
    verdict_df, pairs = _compare_groups(
        gid, columns["model_code"], model_names, columns["round"], columns["wall_seconds"],
        n_groups, **options,
    )  # fmt: skip
    verdict_df["n_flagged"] = np.bincount(gid, weights=flagged, minlength=n_groups).astype(np.int64)
    verdict_df["verdict_without_flagged"] = _verdicts_without_flagged(
        gid, columns, model_names, flagged, verdict_df["winner"].to_numpy(dtype=object), options
    )
    verdict_df = pd.concat([keys, verdict_df], axis=1)
    if pairs.empty:
        return verdict_df[verdict_columns], pd.DataFrame().reindex(columns=pair_columns)
    pair_keys = keys.iloc[pairs["gid"].to_numpy()].reset_index(drop=True)
    pairs_df = pd.concat([pair_keys, pairs.drop(columns="gid").reset_index(drop=True)], axis=1)
    return verdict_df[verdict_columns], pairs_df[pair_columns]


def _verdicts_without_flagged(gid, columns: dict, model_names, flagged, winners, options) -> np.ndarray:
    """Winner (or "tie") of every group recomputed on its unflagged rows only."""
    result = winners.copy()
    affected = np.unique(gid[flagged])
    if not affected.size:
        return result  # same rows and seed: recomputing would repeat it
    in_affected = np.isin(gid, affected)
    model_code = columns["model_code"]
    n_codes = len(model_names)
    present = np.unique(gid[in_affected] * n_codes + model_code[in_affected])
    kept = in_affected & ~flagged
    counts = pd.Series(1, index=gid[kept] * n_codes + model_code[kept]).groupby(level=0).size()
    counts = counts.reindex(present, fill_value=0)
    short = np.unique(counts.index[counts.to_numpy() < MIN_SAMPLES] // n_codes)
    result[short] = INSUFFICIENT
    rerun = np.setdiff1d(affected, short)
    if rerun.size:
        rows = kept & np.isin(gid, rerun)
        rerun_verdicts, _ = _compare_groups(
            np.searchsorted(rerun, gid[rows]),
            model_code[rows],
            model_names,
            columns["round"][rows],
            columns["wall_seconds"][rows],
            rerun.size,
            **options,
        )
        result[rerun] = rerun_verdicts["winner"].to_numpy(dtype=object)
    return result


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
    columns = [*GROUP_KEY, "model", "twin", "fastest", "ratio", "ci_low", "ci_high",
               "p_value", "method", "called_different"]  # fmt: skip
    group, keys = group_numbers(samples, GROUP_KEY)
    model_code, model_names = pd.factorize(samples["model"], sort=True)
    model_code = np.asarray(model_code, np.int64)
    model_names = np.asarray(model_names, dtype=object)
    n_codes = max(len(model_names), 1)
    present = np.unique(group[group >= 0] * n_codes + model_code[group >= 0])
    present_group, present_model = present // n_codes, present % n_codes
    # Every (group, twin) whose model is present too, by group then twin name.
    code_of = {name: code for code, name in enumerate(model_names)}
    is_twin = np.array([str(name).endswith(AA_SUFFIX) for name in model_names], bool)
    base_of = np.array(
        [code_of.get(str(name).removesuffix(AA_SUFFIX), -1) if twin else -1
         for name, twin in zip(model_names, is_twin)], np.int64,
    ).reshape(-1)  # fmt: skip
    candidates = is_twin[present_model]
    twin_group, twin_model = present_group[candidates], present_model[candidates]
    base_key = twin_group * n_codes + base_of[twin_model]
    found = (base_of[twin_model] >= 0) & np.isin(base_key, present)
    twin_group, twin_model, base_key = twin_group[found], twin_model[found], base_key[found]
    if not twin_group.size:
        return pd.DataFrame(columns=columns)
    # Rows of each pair: the twin's and its model's; a model may have several twins.
    row_key = np.where(group >= 0, group * n_codes + model_code, -1)
    member_keys = np.r_[base_key, twin_group * n_codes + twin_model]
    member_gid = np.r_[np.arange(twin_group.size), np.arange(twin_group.size)]
    by_key = np.argsort(member_keys, kind="stable")
    member_keys, member_gid = member_keys[by_key], member_gid[by_key]
    order = np.argsort(row_key, kind="stable")
    sorted_keys = row_key[order]
    first = np.searchsorted(sorted_keys, member_keys, "left")
    taken, owner = _expand(first, np.searchsorted(sorted_keys, member_keys, "right") - first)
    taken = order[taken]
    verdict_df, pairs = _compare_groups(
        member_gid[owner],
        model_code[taken],
        model_names,
        samples["round"].to_numpy()[taken],
        samples["wall_seconds"].to_numpy(float)[taken],
        twin_group.size,
        alpha=alpha, margin=margin, n_boot=n_boot, seed=seed,
    )  # fmt: skip
    first_pair = pairs.drop_duplicates("gid").set_index("gid").reindex(np.arange(twin_group.size))
    result = pd.concat(
        [
            keys.iloc[twin_group].reset_index(drop=True),
            pd.DataFrame(
                {
                    "model": model_names[base_of[twin_model]],
                    "twin": model_names[twin_model],
                    "fastest": verdict_df["fastest"].to_numpy(dtype=object),
                    "ratio": first_pair["ratio"].to_numpy(),
                    "ci_low": first_pair["ci_low"].to_numpy(),
                    "ci_high": first_pair["ci_high"].to_numpy(),
                    "p_value": first_pair["p_raw"].to_numpy(),
                    "method": first_pair["method"].to_numpy(dtype=object),
                    "called_different": (verdict_df["winner"] != TIE).to_numpy(),
                }
            ),
        ],
        axis=1,
    )
    return result[columns]


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
