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
