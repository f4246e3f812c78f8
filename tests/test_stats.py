"""Known-answer tests for showdown.stats: the van Elteren test, Holm, intervals, verdicts."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from showdown.stats import (
    INSUFFICIENT,
    NO_CONTEST,
    PAIR_FIELDS,
    TIE,
    VERDICT_FIELDS,
    aa_control,
    cliffs_delta,
    compare_models,
    false_win_rate,
    holm,
    median_ci,
    ratio_ci,
    speedup_ci,
    stratified_mwu,
    stratified_mwu_test,
    verdicts,
)

# Round-to-round machine speed, as large as the drift seen on the benchmark hosts.
DRIFT = (1.0, 1.7, 1 / 1.7)
KEY = {
    "machine": "host",
    "interpreter": "cpython-3.12",
    "config_hash": "cfg",
    "workload": "cpu",
    "payload_bytes": 1024,
    "workers": 4,
}
SMALLEST_P_3x3v3 = 2 / 20**3  # both extreme arrangements out of C(6, 3)^3


def cell(model, round_, values, *, flagged=False, **key):
    """Sample rows of one (model, round) cell."""
    return [
        {**KEY, **key, "model": model, "round": round_, "repetition": i,
         "wall_seconds": float(v), "flagged": flagged}
        for i, v in enumerate(values)
    ]  # fmt: skip


def drifting_model(model, scale, rng, *, reps=3, noise=0.05, **key):
    """Rows of a model whose wall time is ``scale`` times the drifting machine speed."""
    rows = []
    for round_, speed in enumerate(DRIFT):
        rows += cell(model, round_, scale * speed * rng.lognormal(0, noise, reps), **key)
    return rows


def frame(*row_lists):
    return pd.DataFrame([row for rows in row_lists for row in rows])


# --- stratified_mwu ---------------------------------------------------------------


def test_complete_separation_in_three_rounds_gives_smallest_exact_p():
    fast, slow = [[1, 2, 3]] * 3, [[4, 5, 6]] * 3
    result = stratified_mwu_test(fast, slow)
    assert result.method == "exact"
    assert result.pvalue == pytest.approx(SMALLEST_P_3x3v3, rel=1e-12)
    assert stratified_mwu(slow, fast) == pytest.approx(SMALLEST_P_3x3v3, rel=1e-12)


@pytest.mark.parametrize(
    ("m", "n", "shift"), [(3, 3, 0.0), (3, 4, 1.0), (5, 2, 0.5), (6, 7, 1.5)]
)
def test_single_round_exact_p_equals_scipy_mannwhitneyu(m, n, shift):
    rng = np.random.default_rng(m * 10 + n)
    a, b = rng.normal(size=m), rng.normal(size=n) + shift
    expected = scipy_stats.mannwhitneyu(a, b, method="exact").pvalue
    assert stratified_mwu([a], [b]) == pytest.approx(expected, rel=1e-12)


def test_exact_p_with_ties_uses_midranks():
    # Pooled [1, 2, 2, 3] has midranks [1, 2.5, 2.5, 4]; A's rank sum 3.5 vs mean 5.
    # Of the C(4, 2) = 6 placements, sums 3.5, 3.5, 6.5, 6.5 are as far out: p = 4/6.
    assert stratified_mwu([[1, 2]], [[2, 3]]) == pytest.approx(2 / 3)


def test_all_values_tied_gives_p_one():
    assert stratified_mwu([[5, 5]] * 3, [[5, 5, 5]] * 3) == pytest.approx(1.0)


def test_large_rounds_fall_back_to_normal_approximation_matching_scipy():
    # C(23, 12) > 20,000 arrangements; with one round the weights cancel and van
    # Elteren's z is the Mann-Whitney z, tie-corrected and without continuity correction.
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=12).round(1), rng.normal(0.5, size=11).round(1)
    result = stratified_mwu_test([a], [b])
    expected = scipy_stats.mannwhitneyu(a, b, method="asymptotic", use_continuity=False)
    assert result.method == "normal"
    assert result.pvalue == pytest.approx(expected.pvalue, rel=1e-9)


def test_oversized_convolution_falls_back_to_normal_close_to_exact(monkeypatch):
    rng = np.random.default_rng(12)
    a = [rng.normal(size=k) for k in (8, 7, 6, 5)]
    b = [rng.normal(0.4, size=k) for k in (8, 7, 6, 5)]
    exact = stratified_mwu_test(a, b)
    monkeypatch.setattr("showdown.stats.MAX_EXACT_SUPPORT", 100)
    approximate = stratified_mwu_test(a, b)
    assert (exact.method, approximate.method) == ("exact", "normal")
    assert approximate.statistic == exact.statistic
    assert approximate.pvalue == pytest.approx(exact.pvalue, abs=0.005)


def test_rounds_as_mappings_use_only_rounds_both_sides_have():
    a = {0: [1, 2, 3], 1: [1, 2, 3], 2: [1, 2, 3], 3: [100, 200]}
    b = {0: [4, 5, 6], 1: [4, 5, 6], 2: [4, 5, 6], 4: [0.1]}
    result = stratified_mwu_test(a, b)
    assert result.n_rounds == 3
    assert result.pvalue == pytest.approx(SMALLEST_P_3x3v3, rel=1e-12)


def test_rounds_without_overlap_give_nan():
    result = stratified_mwu_test({0: [1.0, 2.0]}, {1: [3.0, 4.0]})
    assert math.isnan(result.pvalue) and result.method == "no shared rounds"


def test_misaligned_round_lists_are_rejected():
    with pytest.raises(ValueError):
        stratified_mwu([[1, 2]], [[1, 2], [3, 4]])


# --- holm ---------------------------------------------------------------------------


def test_holm_worked_example():
    # Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max(0.06, 0.04).
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_leaves_untested_out_of_the_family():
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])
    np.testing.assert_allclose(holm([0.01, np.nan, 0.02]), [0.02, np.nan, 0.02])


# --- effect sizes and intervals -----------------------------------------------------


def test_ratio_of_constant_cells_is_exact_with_degenerate_interval():
    assert ratio_ci([[1, 1, 1]] * 3, [[2, 2, 2]] * 3, rng=0) == pytest.approx((0.5, 0.5, 0.5))


def test_ratio_is_geometric_mean_of_within_round_median_ratios():
    # Round ratios 1/2 and 2/1 cancel in the geometric mean, whatever the drift.
    ratio, _, _ = ratio_ci([[1, 1, 9], [20, 20, 5]], [[2, 2, 2], [10, 10, 10]], rng=0)
    assert ratio == pytest.approx(1.0)


def test_ratio_ci_is_seeded_and_brackets_the_ratio():
    rng = np.random.default_rng(3)
    a = [rng.lognormal(0, 0.1, 3) * s for s in DRIFT]
    b = [rng.lognormal(0, 0.1, 3) * s * 2 for s in DRIFT]
    first = ratio_ci(a, b, rng=11)
    assert first == ratio_ci(a, b, rng=np.random.default_rng(11))
    ratio, low, high = first
    assert low <= ratio <= high < 1


def test_speedup_is_reciprocal_of_ratio_against_serial():
    rng = np.random.default_rng(4)
    model = [rng.lognormal(0, 0.1, 3) for _ in DRIFT]
    serial = [rng.lognormal(1, 0.1, 3) for _ in DRIFT]
    ratio, low, high = ratio_ci(model, serial, rng=5)
    assert speedup_ci(model, serial, rng=5) == pytest.approx((1 / ratio, 1 / high, 1 / low))


@pytest.mark.parametrize(
    ("a", "b", "delta"),
    [
        ([1, 2, 3], [4, 5], -1.0),
        ([4, 5], [1, 2, 3], 1.0),
        ([1, 2, 3], [1.5], 1 / 3),  # pairs: 2 above, 1 below
        ([2, 2], [2], 0.0),
    ],
)
def test_cliffs_delta(a, b, delta):
    assert cliffs_delta(a, b) == pytest.approx(delta)


def test_median_ci_handles_degenerate_cells():
    assert median_ci([], rng=0) == (pytest.approx(math.nan, nan_ok=True),) * 3
    median, low, high = median_ci([2.5], rng=0)
    assert median == 2.5 and math.isnan(low) and math.isnan(high)
    assert median_ci([4.0, 4.0, 4.0], rng=0) == (4.0, 4.0, 4.0)


def test_median_ci_brackets_the_median():
    samples = np.random.default_rng(6).lognormal(0, 0.2, 9)
    median, low, high = median_ci(samples, rng=1)
    assert median == np.median(samples)
    assert samples.min() <= low <= median <= high <= samples.max()
    assert median_ci(samples, rng=1) == (median, low, high)


# --- compare_models -----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_identical_distributions_tie(seed):
    rng = np.random.default_rng(seed)
    group = frame(drifting_model("threads", 1.0, rng), drifting_model("asyncio", 1.0, rng))
    verdict, _ = compare_models(group, seed=seed)
    assert verdict["winner"] == TIE
    assert verdict["tied_with"] == "asyncio,threads"


def test_clear_two_fold_gap_wins_with_smallest_attainable_p():
    rng = np.random.default_rng(0)
    fast = drifting_model("processes-fork", 1.0, rng)
    noise = rng.lognormal(0, 0.02, len(fast))
    slow = [
        {**row, "model": "threads", "wall_seconds": 2 * row["wall_seconds"] * jitter}
        for row, jitter in zip(fast, noise)
    ]
    verdict, pairs = compare_models(frame(fast, slow))
    assert verdict["winner"] == verdict["fastest"] == "processes-fork"
    assert verdict["runner_up"] == "threads"
    assert verdict["p_adjusted"] == pytest.approx(SMALLEST_P_3x3v3, rel=1e-9)
    assert verdict["ratio_to_runner_up"] == pytest.approx(0.5, rel=0.05)
    assert verdict["ci_low"] <= verdict["ratio_to_runner_up"] <= verdict["ci_high"] < 0.95
    # Pooled over drifting rounds, some slow samples of a fast round beat fast ones of a
    # slow round: Cliff's delta is clearly negative but not -1.
    assert -1.0 < verdict["cliffs_delta"] < -0.5
    assert set(verdict) == set(VERDICT_FIELDS)
    assert list(pairs.columns) == list(PAIR_FIELDS)
    assert pairs.loc[0, "method"] == "exact" and pairs.loc[0, "n_a"] == 9


def test_drift_between_rounds_does_not_create_a_winner():
    # Both models see the same 1.7x round-to-round drift and identical values per round.
    rows = drifting_model("threads", 1.0, np.random.default_rng(1))
    twin = [{**row, "model": "asyncio"} for row in rows]
    verdict, pairs = compare_models(frame(rows, twin))
    assert verdict["winner"] == TIE
    assert pairs.loc[0, "p_raw"] == pytest.approx(1.0)


def test_unbalanced_failed_repetitions_under_drift_still_tie():
    # threads lost repetitions in the slow round, asyncio in the fast one. Within each
    # round the samples interleave symmetrically (rank sum = its expectation), so the
    # blocked test sees no difference at all, while pooling over rounds leans to threads.
    spread = np.array([0.9, 0.95, 1.0, 1.05, 1.1])
    rows = cell("threads", 0, spread) + cell("asyncio", 0, [1.0])
    rows += cell("threads", 1, [1.7]) + cell("asyncio", 1, 1.7 * spread)
    verdict, pairs = compare_models(frame(rows))
    assert verdict["winner"] == TIE
    assert pairs.loc[0, "p_raw"] == pytest.approx(1.0)
    pooled = scipy_stats.mannwhitneyu(np.r_[spread, 1.7], np.r_[1.0, 1.7 * spread])
    assert pooled.pvalue < 0.1


def test_five_percent_gap_is_no_win_under_five_percent_margin():
    rng = np.random.default_rng(3)
    fast = drifting_model("threads", 1.0, rng, noise=0.001)
    slow = drifting_model("asyncio", 1.05, rng, noise=0.001)
    verdict, _ = compare_models(frame(fast, slow), margin=0.05)
    assert verdict["p_adjusted"] < 0.05  # clearly different ...
    assert verdict["ci_high"] >= 0.95  # ... but not by more than the margin
    assert verdict["winner"] == TIE
    assert compare_models(frame(fast, slow), margin=0.0)[0]["winner"] == "threads"


def test_tied_with_lists_only_models_indistinguishable_from_the_fastest():
    rng = np.random.default_rng(4)
    group = frame(
        drifting_model("threads", 1.0, rng, noise=0.01),
        drifting_model("asyncio", 1.01, rng, noise=0.01),
        drifting_model("serial", 3.0, rng, noise=0.01),
    )
    verdict, pairs = compare_models(group)
    assert verdict["winner"] == TIE and verdict["fastest"] == "threads"
    assert verdict["runner_up"] == "asyncio"
    assert verdict["tied_with"] == "asyncio,threads"
    # Holm family of two: the serial comparison's smallest p is doubled.
    serial = pairs.set_index("model_b").loc["serial"]
    assert serial["p_adjusted"] == pytest.approx(2 * SMALLEST_P_3x3v3)
    assert verdict["p_adjusted_max"] == pairs["p_adjusted"].max()
    assert 0 <= verdict["kruskal_p"] <= 1 and 0 <= verdict["friedman_p"] <= 1


def test_fastest_wins_only_against_every_other_model():
    rng = np.random.default_rng(5)
    group = frame(
        drifting_model("processes-fork", 1.0, rng, noise=0.01),
        drifting_model("threads", 2.0, rng, noise=0.01),
        drifting_model("asyncio", 2.5, rng, noise=0.01),
    )
    verdict, pairs = compare_models(group)
    assert verdict["winner"] == "processes-fork" == verdict["tied_with"]
    assert list(pairs["model_b"]) == ["threads", "asyncio"]
    assert verdict["n_models"] == 3 and verdict["n_rounds"] == 3 and verdict["min_samples"] == 9


def test_friedman_needs_three_models():
    rng = np.random.default_rng(6)
    verdict, _ = compare_models(frame(drifting_model("a", 1, rng), drifting_model("b", 1, rng)))
    assert math.isnan(verdict["friedman_p"])


def test_model_missing_a_round_is_compared_on_shared_rounds():
    rng = np.random.default_rng(7)
    fast = drifting_model("threads", 1.0, rng, noise=0.01)
    slow = [row for row in drifting_model("asyncio", 2.0, rng, noise=0.01) if row["round"] != 2]
    verdict, pairs = compare_models(frame(fast, slow))
    assert pairs.loc[0, "n_rounds"] == 2 and pairs.loc[0, "n_a"] == 6
    assert pairs.loc[0, "p_raw"] == pytest.approx(2 / 20**2)
    assert verdict["n_complete_rounds"] == 2


def test_single_model_group_has_no_contest():
    verdict, pairs = compare_models(frame(drifting_model("serial", 1.0, np.random.default_rng(8))))
    assert verdict["winner"] == NO_CONTEST and verdict["note"] == "only one model"
    assert verdict["fastest"] == verdict["tied_with"] == "serial"
    assert set(verdict) == set(VERDICT_FIELDS)
    assert pairs.empty


# --- verdicts, A/A control ------------------------------------------------------------


def benchmark_table(seed=0):
    """Threads, processes and an A/A twin at workers 2 and 4; serial only at workers 1."""
    rng = np.random.default_rng(seed)
    rows = drifting_model("serial", 4.0, rng, workers=1)
    for workers in (2, 4):
        rows += drifting_model("processes-fork", 4.0 / workers, rng, workers=workers)
        rows += drifting_model("threads", 4.0, rng, workers=workers)
        rows += drifting_model("threads.aa", 4.0, rng, workers=workers)
    return frame(rows)


def test_serial_joins_every_worker_group_and_twins_stay_out():
    verdicts_df, pairs_df = verdicts(benchmark_table(), alpha=0.05, margin=0.05, n_boot=500)
    assert list(verdicts_df["workers"]) == [2, 4]
    assert list(verdicts_df.columns[:6]) == [
        "machine", "interpreter", "config_hash", "workload", "payload_bytes", "workers"
    ]  # fmt: skip
    assert (verdicts_df["n_models"] == 3).all()
    for _, pairs in pairs_df.groupby("workers"):
        compared = set(pairs["model_a"]) | set(pairs["model_b"])
        assert compared == {"processes-fork", "threads", "serial"}
    four = verdicts_df.set_index("workers").loc[4]
    assert four["winner"] == "processes-fork"
    assert four["verdict_without_flagged"] == four["winner"] and four["n_flagged"] == 0


def test_lone_model_group_is_reported_without_pairs():
    lone = frame(drifting_model("threads", 1.0, np.random.default_rng(12), workers=8))
    verdicts_df, pairs_df = verdicts(lone, alpha=0.05, margin=0.05, n_boot=100)
    assert verdicts_df.loc[0, "winner"] == NO_CONTEST
    assert pairs_df.empty and list(pairs_df.columns[-len(PAIR_FIELDS):]) == list(PAIR_FIELDS)


def test_aa_control_compares_each_twin_within_its_group():
    aa = aa_control(benchmark_table(), n_boot=500)
    assert list(aa["workers"]) == [2, 4]
    assert (aa["model"] == "threads").all() and (aa["twin"] == "threads.aa").all()
    assert not aa["called_different"].any()
    assert false_win_rate(aa)["k"] == 0 and false_win_rate(aa)["n"] == 2


def test_aa_control_calls_a_disguised_difference():
    rng = np.random.default_rng(9)
    samples = frame(drifting_model("threads", 1.0, rng), drifting_model("threads.aa", 2.0, rng))
    aa = aa_control(samples)
    assert aa.loc[0, "called_different"] and aa.loc[0, "fastest"] == "threads"


def test_false_win_rate_clopper_pearson():
    rate = false_win_rate(pd.DataFrame({"called_different": [False] * 60}))
    assert (rate["k"], rate["n"], rate["rate"], rate["ci_low"]) == (0, 60, 0.0, 0.0)
    # Exact upper bound for k = 0: 1 - (0.025) ** (1 / 60).
    assert rate["ci_high"] == pytest.approx(1 - 0.025 ** (1 / 60))
    assert rate["ci_high"] == pytest.approx(0.0596, abs=1e-4)
    assert math.isnan(false_win_rate(pd.DataFrame({"called_different": []}))["rate"])


def test_verdict_without_flagged_shows_when_flagged_rows_carry_the_effect():
    # asyncio is slow only in its flagged repetitions; unflagged, it matches threads.
    rng = np.random.default_rng(10)
    rows = []
    for round_, speed in enumerate(DRIFT):
        rows += cell("threads", round_, speed * rng.lognormal(0, 0.05, 6))
        rows += cell("asyncio", round_, speed * rng.lognormal(0, 0.05, 2))
        rows += cell("asyncio", round_, 3 * speed * rng.lognormal(0, 0.05, 4), flagged=True)
    verdicts_df, _ = verdicts(frame(rows), alpha=0.05, margin=0.05)
    row = verdicts_df.iloc[0]
    assert row["winner"] == "threads"
    assert row["verdict_without_flagged"] == TIE
    assert row["n_flagged"] == 12


def test_verdict_without_flagged_is_insufficient_when_a_model_is_left_empty():
    rng = np.random.default_rng(11)
    rows = drifting_model("threads", 1.0, rng)
    rows += [{**row, "flagged": True} for row in drifting_model("asyncio", 2.0, rng)]
    verdicts_df, _ = verdicts(frame(rows), alpha=0.05, margin=0.05)
    assert verdicts_df.loc[0, "verdict_without_flagged"] == INSUFFICIENT


def test_verdicts_are_deterministic_given_the_seed():
    first = verdicts(benchmark_table(1), alpha=0.05, margin=0.05, n_boot=300, seed=4)
    second = verdicts(benchmark_table(1), alpha=0.05, margin=0.05, n_boot=300, seed=4)
    pd.testing.assert_frame_equal(first[0], second[0])
    pd.testing.assert_frame_equal(first[1], second[1])


# --- the bootstrap against the resampling it replaces ------------------------------------
#
# Intervals are computed from the exact distribution of a resample's median, enumerated
# when small and sampled otherwise. The references below resample the data directly, as
# the percentile bootstrap is defined; they agree when each bound of ours sits at the
# stated quantile of the reference's own bootstrap distribution, up to Monte Carlo error
# (4 standard errors of a quantile's position, ours included when we sample too).


def _resampled_medians(x, n, rng):
    x = np.asarray(x, float)
    return np.median(x[rng.integers(0, x.size, (n, x.size))], axis=1)


def reference_ratio_replicates(a_rounds, b_rounds, n, seed):
    """The blocked ratio's bootstrap, straightforwardly: resample every (side, round)."""
    rng = np.random.default_rng(seed)
    log_ratios = [
        np.log(_resampled_medians(a, n, rng)) - np.log(_resampled_medians(b, n, rng))
        for a, b in zip(a_rounds, b_rounds)
    ]
    return np.exp(np.mean(log_ratios, axis=0))


def assert_at_quantile(bound, replicates, q, our_resamples=None):
    """``bound`` is a q-quantile of the distribution sampled by ``replicates``."""
    sd = math.sqrt(q * (1 - q) / replicates.size)
    if our_resamples:
        sd = math.hypot(sd, math.sqrt(q * (1 - q) / our_resamples))
    below, at_or_below = np.mean(replicates < bound), np.mean(replicates <= bound)
    assert below - 4 * sd <= q <= at_or_below + 4 * sd, (bound, q, below, at_or_below)


def test_median_atoms_match_enumerating_every_resample():
    import itertools

    from showdown.stats import _median_atoms

    for n in range(1, 8):
        counts = {}
        for draw in itertools.product(range(n), repeat=n):
            ordered = sorted(draw)
            key = (ordered[(n - 1) // 2], ordered[n // 2])
            counts[key] = counts.get(key, 0) + 1
        low, high, probability = _median_atoms(n)
        assert len(probability) == len(counts)
        for i, j, p in zip(low, high, probability):
            assert p == pytest.approx(counts[(i, j)] / n**n, abs=1e-14)


def test_median_atoms_match_exact_counts_for_larger_samples():
    from showdown.stats import _median_atoms

    def at_least(n, u, c):  # resamples with at least c draws among the u smallest
        return sum(math.comb(n, k) * u**k * (n - u) ** (n - k) for k in range(c, n + 1))

    for n in (20, 21):
        low, high, probability = _median_atoms(n)
        assert probability.sum() == pytest.approx(1.0, abs=1e-13)
        h = n // 2 + 1  # the median is <= x_(u) when the lower middle order statistic is
        for u in (3, 8, 10, 15):
            below = probability[high < u].sum() if n % 2 else probability[low < u].sum()
            assert below == pytest.approx(at_least(n, u, h if n % 2 else n // 2) / n**n, abs=1e-13)


@pytest.mark.parametrize("seed", range(6))
def test_median_ci_is_scipys_percentile_bootstrap(seed):
    rng = np.random.default_rng(100 + seed)
    n = [9, 10, 3, 36, 17, 4][seed]
    x = rng.lognormal(0, 0.2, n)
    if seed == 4:
        x = x.round(1)  # ties
    median, low, high = median_ci(x, rng=seed)
    reference = scipy_stats.bootstrap(
        (x,), np.median, n_resamples=40_000, method="percentile", rng=np.random.default_rng(seed)
    )
    replicates = reference.bootstrap_distribution
    assert median == np.median(x)
    assert_at_quantile(low, replicates, 0.025)
    assert_at_quantile(high, replicates, 0.975)


def test_median_ci_of_nine_samples_is_their_second_and_eighth():
    # P(resample median <= x_(k)) = P(Binomial(9, k/9) >= 5): 0.0014 at k=1, 0.030 at
    # k=2, 0.970 at k=7, 0.9986 at k=8, so the exact 95% interval is [x_(2), x_(8)].
    x = np.random.default_rng(7).lognormal(0, 0.3, 9)
    ordered = np.sort(x)
    assert median_ci(x, rng=0) == (ordered[4], ordered[1], ordered[7])


def test_large_even_cells_are_resampled_and_still_scipys_interval():
    x = np.random.default_rng(8).lognormal(0, 0.2, 120)  # 7,260 possible medians
    _, low, high = median_ci(x, rng=3)
    assert median_ci(x, rng=3) == median_ci(x, rng=np.random.default_rng(3))
    replicates = _resampled_medians(x, 40_000, np.random.default_rng(9))
    assert_at_quantile(low, replicates, 0.025, our_resamples=2000)
    assert_at_quantile(high, replicates, 0.975, our_resamples=2000)


@pytest.mark.parametrize("seed", range(5))
def test_exact_ratio_ci_is_the_resampling_loops_interval(seed):
    rng = np.random.default_rng(200 + seed)
    a = [rng.lognormal(0, 0.1, 3) * s for s in DRIFT]
    b = [rng.lognormal(0, 0.1, 3) * s * rng.uniform(0.8, 1.5) for s in DRIFT]
    ratio, low, high = ratio_ci(a, b, rng=seed)  # 3**6 points: enumerated
    replicates = reference_ratio_replicates(a, b, 40_000, seed)
    assert ratio == pytest.approx(
        math.exp(np.mean([np.log(np.median(x) / np.median(y)) for x, y in zip(a, b)])), rel=1e-12
    )
    assert_at_quantile(low, replicates, 0.025)
    assert_at_quantile(high, replicates, 0.975)


@pytest.mark.parametrize("seed", range(4))
def test_sampled_ratio_ci_is_the_resampling_loops_interval(seed):
    # 5 and 6 repetitions a round: 5**3 * 21**3 points, too many to enumerate.
    rng = np.random.default_rng(300 + seed)
    a = [rng.lognormal(0, 0.1, 5) * s for s in DRIFT]
    b = [rng.lognormal(0, 0.1, 6) * s * 1.2 for s in DRIFT]
    _, low, high = ratio_ci(a, b, rng=seed)
    replicates = reference_ratio_replicates(a, b, 40_000, seed)
    assert_at_quantile(low, replicates, 0.025, our_resamples=2000)
    assert_at_quantile(high, replicates, 0.975, our_resamples=2000)
    assert ratio_ci(a, b, rng=seed) == ratio_ci(a, b, rng=np.random.default_rng(seed))


def test_exact_ratio_ci_equals_enumerating_every_resample():
    import itertools

    a = [[1.0, 1.3], [2.0, 2.1, 2.9]]
    b = [[1.1, 1.2, 1.6], [2.2, 3.1]]
    medians, weights = [], []
    for side in (a, b):
        for cell in side:
            draws = list(itertools.product(cell, repeat=len(cell)))
            medians.append([np.median(d) for d in draws])
            weights.append(np.full(len(draws), 1 / len(draws)))
    values, probability = np.zeros(1), np.ones(1)
    for k, (m, w) in enumerate(zip(medians, weights)):
        sign = 1 if k < 2 else -1
        values = np.add.outer(values, sign * np.log(m)).ravel()
        probability = np.multiply.outer(probability, w).ravel()
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(probability[order])
    expected = [
        math.exp(values[order][np.argmax(cumulative >= q - 1e-12)] / 2) for q in (0.025, 0.975)
    ]
    _, low, high = ratio_ci(a, b, rng=0)
    assert (low, high) == pytest.approx(expected, rel=1e-12)


def test_batched_intervals_equal_one_at_a_time():
    from showdown.stats import median_cis, ratio_cis

    rng = np.random.default_rng(11)
    cells = [rng.lognormal(0, 0.2, n) for n in (2, 3, 9, 10, 36, 96, 1, 9)]  # 96: sampled
    values = np.concatenate(cells)
    label = np.repeat(np.arange(len(cells)), [c.size for c in cells])
    median, low, high = median_cis(values, label, rng=5)
    for k, c in enumerate(cells):
        np.testing.assert_equal((median[k], low[k], high[k]), median_ci(c, rng=5))

    # Pairs of cells of 3 rounds: A cells 0-3 (varied sizes), B cells 0-1 shared.
    a_cells = [[rng.lognormal(0, 0.1, n) for n in sizes] for sizes in ([3, 3, 3], [3, 2, 3], [5, 5, 5], [3, 3, 3])]
    b_cells = [[rng.lognormal(0.3, 0.1, n) for n in sizes] for sizes in ([3, 3, 3], [6, 6, 6])]
    pairs = [(0, 0), (1, 0), (2, 1), (3, 1), (0, 1)]

    def flat(cells):
        v = [x for rounds in cells for x in rounds]
        cell = [k for k, rounds in enumerate(cells) for r in rounds for _ in r]
        round_ = [i for rounds in cells for i, r in enumerate(rounds) for _ in r]
        return np.concatenate(v), np.array(cell), np.array(round_)

    ratio, low, high = ratio_cis(
        *flat(a_cells), *flat(b_cells), [p for p, _ in pairs], [q for _, q in pairs], rng=4
    )
    for k, (p, q) in enumerate(pairs):
        np.testing.assert_equal((ratio[k], low[k], high[k]), ratio_ci(a_cells[p], b_cells[q], rng=4))


# --- the whole-table drivers against one group at a time --------------------------------


def test_omnibus_pvalues_are_scipys():
    rng = np.random.default_rng(12)
    for trial in range(8):
        rows = []
        for model in ("a", "b", "c", "d")[: 2 + trial % 3]:
            for round_ in range(3):
                values = rng.lognormal(0, 0.1, 3).round(2 if trial % 2 else 6)
                rows += cell(model, round_, values)
        group = frame(rows)
        verdict, _ = compare_models(group)
        by_model = [g["wall_seconds"].to_numpy() for _, g in group.groupby("model")]
        assert verdict["kruskal_p"] == pytest.approx(scipy_stats.kruskal(*by_model).pvalue, rel=1e-9)
        if len(by_model) >= 3:
            medians = [g.groupby("round")["wall_seconds"].median().to_numpy() for _, g in group.groupby("model")]
            expected = scipy_stats.friedmanchisquare(*medians).pvalue
            assert verdict["friedman_p"] == pytest.approx(expected, rel=1e-9, nan_ok=True)


def test_verdicts_of_many_groups_equal_each_group_alone():
    table = pd.concat(
        [benchmark_table(seed).assign(payload_bytes=seed) for seed in range(4)], ignore_index=True
    )
    table.loc[np.random.default_rng(2).random(len(table)) < 0.1, "flagged"] = True
    verdicts_df, pairs_df = verdicts(table, n_boot=500, seed=3)
    assert len(verdicts_df) == 8
    contenders = table[~table["model"].str.endswith(".aa")]
    for (payload, workers), row in verdicts_df.set_index(["payload_bytes", "workers"]).iterrows():
        work = contenders[contenders["payload_bytes"] == payload]
        group = work[(work["workers"] == workers) | (work["model"] == "serial")]
        verdict, pairs = compare_models(group, n_boot=500, seed=3)
        for field in VERDICT_FIELDS:
            assert row[field] == verdict[field] or (pd.isna(row[field]) and pd.isna(verdict[field])), field
        mine = pairs_df[(pairs_df["payload_bytes"] == payload) & (pairs_df["workers"] == workers)]
        pd.testing.assert_frame_equal(
            mine[list(PAIR_FIELDS)].reset_index(drop=True), pairs, check_dtype=False
        )
        kept = group[~group["flagged"]]
        expected = compare_models(kept, n_boot=500, seed=3)[0]["winner"] if group["flagged"].any() else row["winner"]
        if kept["model"].value_counts().reindex(group["model"].unique(), fill_value=0).min() < 2:
            expected = INSUFFICIENT
        assert row["verdict_without_flagged"] == expected
        assert row["n_flagged"] == group["flagged"].sum()


def test_aa_control_with_several_twins_and_groups():
    rng = np.random.default_rng(13)
    rows = []
    for workers in (2, 4):
        rows += drifting_model("threads", 1.0, rng, workers=workers)
        rows += drifting_model("threads.aa", 1.0, rng, workers=workers)
        rows += drifting_model("asyncio", 1.0, rng, workers=workers)
        rows += drifting_model("asyncio.aa", 2.0, rng, workers=workers)
    rows += drifting_model("lonely.aa", 1.0, rng, workers=2)  # its model never ran
    aa = aa_control(frame(rows), n_boot=300)
    assert list(zip(aa["workers"], aa["model"], aa["twin"])) == [
        (2, "asyncio", "asyncio.aa"), (2, "threads", "threads.aa"),
        (4, "asyncio", "asyncio.aa"), (4, "threads", "threads.aa"),
    ]  # fmt: skip
    assert list(aa["called_different"]) == [True, False, True, False]
    group = frame(rows)
    one = group[(group["workers"] == 4) & group["model"].isin(["asyncio", "asyncio.aa"])]
    verdict, pairs = compare_models(one, n_boot=300)
    assert aa.iloc[2]["ratio"] == pairs.loc[0, "ratio"] and aa.iloc[2]["fastest"] == verdict["fastest"]
    assert aa.iloc[2]["p_value"] == pairs.loc[0, "p_raw"]


def test_holm_within_families_equals_holm_per_family():
    from showdown.stats import _holm_families

    rng = np.random.default_rng(14)
    sizes = rng.integers(1, 6, 50)
    p = rng.random(sizes.sum())
    p[rng.random(p.size) < 0.1] = np.nan
    family = np.repeat(np.arange(sizes.size), sizes)
    adjusted = _holm_families(p, family)
    for f in range(sizes.size):
        np.testing.assert_array_equal(adjusted[family == f], holm(p[family == f]))


def test_exact_pvalues_of_many_pairs_with_and_without_ties_match_one_at_a_time():
    # Batched: each pair's p through its shape's cached null; ties one by one.
    rng = np.random.default_rng(15)
    rows = []
    for k in range(12):
        values = rng.lognormal(0, 0.1, 9).round(1 if k % 3 == 0 else 6)
        for round_ in range(3):
            rows += cell(f"m{k:02d}", round_, values[3 * round_ : 3 * round_ + 3] * (1 + 0.05 * k))
    group = frame(rows)
    _, pairs = compare_models(group, n_boot=200)
    cells = {m: {r: g["wall_seconds"].to_numpy() for r, g in f.groupby("round")} for m, f in group.groupby("model")}
    for _, pair in pairs.iterrows():
        result = stratified_mwu_test(cells[pair["model_a"]], cells[pair["model_b"]])
        assert (pair["p_raw"], pair["method"]) == (result.pvalue, result.method)
        assert pair["cliffs_delta"] == cliffs_delta(
            np.concatenate(list(cells[pair["model_a"]].values())),
            np.concatenate(list(cells[pair["model_b"]].values())),
        )
