"""Known-answer tests for showdown.stats: round-level t-intervals, the decision rule, the A/A control.

Every input is built by the small functions below, so the expected numbers can be
computed by hand (or with scipy) from the same per-round values.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from showdown import stats
from showdown.stats import (
    MIN_ROUNDS,
    PAIR_FIELDS,
    VERDICT_FIELDS,
    aa_control,
    aa_spread,
    cell_estimates,
    false_win_rate,
    holm,
    ratio_ci,
    spread_test,
    t_estimates,
    verdicts,
)  # fmt: skip

# Machine speed per round, as large as the drift seen on the benchmark hosts: shared by
# every model of a round, so it cancels in a paired (per-round) comparison.
DRIFT = (1.0, 1.7, 1 / 1.7, 1.3, 0.8, 1.1, 0.9, 1.2)
KEY = dict(machine="host", interpreter="cpython-3.12", config_hash="cfg", workload="cpu", kind="cpu_pure",
           payload_bytes=1024)  # fmt: skip
MARGIN = 0.05
DELTA = -math.log(1 - MARGIN)


def cell(model, per_round, *, workers=4, **key):
    """Sample rows of one cell: ``per_round[r]`` holds the repetitions' seconds of round r."""
    return [
        {**KEY, **key, "model": model, "workers": workers, "round": r, "repetition": i, "wall_seconds": float(v)}
        for r, values in enumerate(per_round)
        for i, v in enumerate(np.ravel(values))
    ]


def steady(model, seconds, *, rounds=5, wobble=(), reps=(0.99, 1.01), **key):
    """A cell of ``seconds`` times the machine drift, times a per-round ``wobble`` factor.

    The repetitions are symmetric around the round value, so its median is exact.
    """
    wobble = tuple(wobble) or (1.0,) * rounds
    per_round = [[seconds * DRIFT[r] * wobble[r] * f for f in reps] for r in range(rounds)]
    return cell(model, per_round, **key)


def noisy(model, seconds, rng, *, rounds=5, reps=2, noise=0.01, **key):
    """A cell with lognormal repetition noise around ``seconds`` times the drift."""
    per_round = [seconds * DRIFT[r] * rng.lognormal(0, noise, reps) for r in range(rounds)]
    return cell(model, per_round, **key)


def frame(*row_lists):
    return pd.DataFrame([row for rows in row_lists for row in rows])


def one_group(table):
    """The only verdict row of a verdicts() table, as a Series."""
    assert len(table) == 1, table
    return table.iloc[0]


# --- t-intervals on per-round values --------------------------------------------------


def test_t_estimates_match_a_hand_computation_and_scipy():
    d0 = np.array([-0.30, -0.25, -0.35, -0.28])  # pair 0: 4 rounds
    d1 = np.array([0.10, -0.02, 0.05])  # pair 1: 3 rounds
    pair = np.array([0, 1, 0, 1, 0, 1, 0])
    d = np.array([d0[0], d1[0], d0[1], d1[1], d0[2], d1[2], d0[3]])
    table = t_estimates(pair, d, 2, confidence=0.95)
    for row, values in zip(table.itertuples(), (d0, d1)):
        n = len(values)
        mean, sd = values.mean(), values.std(ddof=1)
        half = scipy_stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
        assert row.rounds == n and row.df == n - 1
        assert row.mean == pytest.approx(mean, abs=1e-12)
        assert row.sd == pytest.approx(sd, abs=1e-12)
        assert row.se == pytest.approx(sd / math.sqrt(n), abs=1e-12)
        assert (row.low, row.high) == pytest.approx((mean - half, mean + half), abs=1e-12)
        interval = scipy_stats.ttest_1samp(values, 0.0).confidence_interval(0.95)
        assert (row.low, row.high) == pytest.approx((interval.low, interval.high), abs=1e-12)
    # A narrower confidence gives a narrower interval around the same mean.
    narrow = t_estimates(pair, d, 2, confidence=0.80)
    assert (narrow["high"] - narrow["low"] < table["high"] - table["low"]).all()
    assert np.allclose(narrow["mean"], table["mean"])


def test_t_estimates_single_round_has_no_interval():
    table = t_estimates(np.array([0]), np.array([0.2]), 1)
    assert table["mean"].iloc[0] == pytest.approx(0.2)
    assert math.isnan(table["low"].iloc[0]) and math.isnan(table["high"].iloc[0])


def test_ratio_ci_is_the_paired_t_interval_of_per_round_log_median_ratios():
    a = [[1.0, 1.2, 1.1], [2.0, 2.1, 1.9], [0.90, 1.00, 0.95], [1.5, 1.4, 1.6]]
    b = [[2.1, 2.0, 2.6], [3.9, 4.4, 4.2], [2.00, 1.80, 2.20], [2.7, 3.1, 2.9]]
    d = np.log([np.median(x) for x in a]) - np.log([np.median(x) for x in b])
    assert np.allclose(d, np.log([1.1 / 2.1, 2.0 / 4.2, 0.95 / 2.0, 1.5 / 2.9]))  # medians, not means
    half = scipy_stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    ratio, low, high = ratio_ci(a, b)
    assert ratio == pytest.approx(math.exp(d.mean()), rel=1e-12)
    assert (low, high) == pytest.approx((math.exp(d.mean() - half), math.exp(d.mean() + half)), rel=1e-12)
    interval = scipy_stats.ttest_1samp(d, 0.0).confidence_interval(0.95)
    assert (low, high) == pytest.approx((math.exp(interval.low), math.exp(interval.high)), rel=1e-12)
    assert ratio_ci(b, a) == pytest.approx((1 / ratio, 1 / high, 1 / low), rel=1e-12)  # symmetric


def test_ratio_ci_uses_shared_rounds_only_and_pairs_them():
    a = {0: [1.0, 1.1], 1: [2.0, 2.2], 2: [0.5, 0.6], 3: [1.4, 1.3], 7: [100.0]}  # round 7: A only
    b = {0: [2.0, 2.3], 1: [3.9, 4.5], 2: [1.1, 1.2], 3: [2.9, 2.6], 9: [0.01]}  # round 9: B only
    shared = [0, 1, 2, 3]
    assert ratio_ci(a, b) == pytest.approx(ratio_ci([a[r] for r in shared], [b[r] for r in shared]), rel=1e-12)
    # Machine drift common to A and B in a round cancels: B = 2 A in every round exactly.
    drifting_a = [[1.0 * s] for s in DRIFT[:4]]
    drifting_b = [[2.0 * s] for s in DRIFT[:4]]
    ratio, low, high = ratio_ci(drifting_a, drifting_b)
    assert (ratio, low, high) == pytest.approx((0.5, 0.5, 0.5), rel=1e-9)
    # One shared round: a ratio, no interval.
    ratio, low, high = ratio_ci({0: [1.0], 1: [3.0]}, {1: [2.0], 2: [5.0]})
    assert ratio == pytest.approx(1.5) and math.isnan(low) and math.isnan(high)


def test_ratio_ci_rejects_misaligned_sequences():
    with pytest.raises(ValueError, match="aligned"):
        ratio_ci([[1.0], [1.1], [1.2]], [[1.0], [1.1]])


def test_holm_known_answer_and_nan():
    adjusted = holm([0.01, 0.04, 0.03, np.nan])
    assert adjusted[:3] == pytest.approx([0.03, 0.06, 0.06])
    assert math.isnan(adjusted[3])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert np.isnan(holm([np.nan])).all()


# --- The decision procedure -----------------------------------------------------------


def test_a_clear_win_names_the_winner_with_the_ratio_to_the_runner_up():
    rng = np.random.default_rng(1)
    data = frame(noisy("a", 1.0, rng), noisy("b", 2.0, rng))
    table, pairs = verdicts(data, margin=MARGIN)
    row = one_group(table)
    assert set(VERDICT_FIELDS) <= set(table.columns) and set(PAIR_FIELDS) <= set(pairs.columns)
    assert row["label"] == "win" and row["winner"] == "a" and row["fastest"] == "a"
    assert row["unbeaten"] == "a" and row["runner_up"] == "b" and row["n_models"] == 2 and row["rounds"] == 5
    assert row["ratio_to_runner_up"] == pytest.approx(0.5, rel=0.02)
    assert row["ci_low"] < row["ratio_to_runner_up"] < row["ci_high"] < 1 - MARGIN
    assert row["p_value"] < 0.05
    pair = pairs.iloc[0]
    assert (pair["model_a"], pair["model_b"], pair["rounds"]) == ("a", "b", 5)


def test_the_pair_interval_is_the_round_level_t_interval():
    # Known per-round ratios a/b (drift on top): the verdict's CI is their t-interval.
    ratios = np.array([0.50, 0.55, 0.45, 0.52, 0.48])
    data = frame(steady("a", 1.0, wobble=ratios), steady("b", 1.0))
    table, pairs = verdicts(data, alpha=0.05, margin=MARGIN)
    d = np.log(ratios)
    interval = scipy_stats.ttest_1samp(d, 0.0).confidence_interval(0.95)
    row = one_group(table)
    assert row["ratio_to_runner_up"] == pytest.approx(math.exp(d.mean()), rel=1e-9)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((math.exp(interval.low), math.exp(interval.high)))
    assert pairs["round_spread"].iloc[0] == pytest.approx(d.std(ddof=1))
    # p_value: two-sided p of "no faster than the margin" (the fastest was chosen from the data).
    t = (d.mean() + DELTA) / (d.std(ddof=1) / math.sqrt(5))
    assert row["p_value"] == pytest.approx(2 * scipy_stats.t.cdf(t, 4))
    assert row["label"] == "win"


def test_identical_models_with_tiny_noise_are_equivalent():
    rng = np.random.default_rng(2)
    data = frame(noisy("a", 1.0, rng, noise=0.005), noisy("b", 1.0, rng, noise=0.005))
    row = one_group(verdicts(data, margin=MARGIN)[0])
    assert row["label"] == "equivalent"
    assert row["unbeaten"] == "a,b"
    assert pd.isna(row["winner"])
    assert row["p_equivalent"] < 0.05
    assert 1 - MARGIN < row["ci_low"] <= row["ci_high"] < 1 / (1 - MARGIN)


def test_large_round_to_round_noise_is_undecided():
    # b's per-round ratio to a swings 0.75-1.45: neither a win nor within the margin.
    data = frame(steady("a", 1.0), steady("b", 1.0, wobble=(1.45, 0.8, 1.3, 0.75, 1.2)))
    row = one_group(verdicts(data, margin=MARGIN)[0])
    assert row["label"] == "undecided"
    assert pd.isna(row["winner"])
    assert row["ci_low"] < 1 - MARGIN and row["ci_high"] > 1  # the interval spans the margin and beyond
    assert row["p_value"] >= 0.05 and row["p_equivalent"] >= 0.05


def test_fewer_than_min_rounds_decide_nothing_even_for_a_large_effect():
    assert MIN_ROUNDS == 3
    data = frame(steady("a", 1.0, rounds=2, wobble=(1.0, 1.02)), steady("b", 3.0, rounds=2))
    row = one_group(verdicts(data, margin=MARGIN)[0])
    assert row["label"] == "undecided" and pd.isna(row["winner"])
    assert row["rounds"] == 2
    assert "2 shared rounds" in row["note"] and "at least 3" in row["note"]
    assert row["ratio_to_runner_up"] == pytest.approx(1 / 3, rel=0.02)  # the effect is still reported
    # The same effect with 3 rounds is a win.
    data3 = frame(steady("a", 1.0, rounds=3, wobble=(1.0, 1.02, 0.99)), steady("b", 3.0, rounds=3))
    assert one_group(verdicts(data3, margin=MARGIN)[0])["label"] == "win"


def test_a_model_beaten_only_on_unshared_rounds_does_not_count():
    # b has rounds 0-4, a only 0-1 plus 5-7: two shared rounds, so nothing is decided.
    a = steady("a", 1.0, rounds=8, wobble=(1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.01))
    a = [row for row in a if row["round"] in (0, 1, 5, 6, 7)]
    data = frame(a, steady("b", 3.0, rounds=5))
    row = one_group(verdicts(data, margin=MARGIN)[0])
    assert row["rounds"] == 2 and row["label"] == "undecided"


def test_intersection_union_the_fastest_must_beat_every_other_model():
    # a beats b (0.5x) clearly but c is within 2% of a: no win.
    wob = (1.0, 1.01, 0.99, 1.0, 1.005)
    data = frame(steady("a", 1.0), steady("b", 2.0, wobble=wob[::-1]), steady("c", 1.02, wobble=wob))
    table, pairs = verdicts(data, margin=MARGIN)
    row = one_group(table)
    assert row["fastest"] == "a" and row["n_models"] == 3
    assert row["label"] != "win" and pd.isna(row["winner"])
    by_model = pairs.set_index("model_b")
    assert by_model.loc["b", "ci_high"] < 1 - MARGIN  # b alone is beaten...
    assert by_model.loc["c", "ci_high"] > 1 - MARGIN  # ...c is not
    assert row["unbeaten"] == "a,c" and row["runner_up"] == "c"
    assert row["label"] == "equivalent"  # a and c: within the margin (TOST)
    # p_value of the group: the largest pair's, so it does not reject.
    assert row["p_value"] == pytest.approx(by_model["p_faster"].max()) and row["p_value"] >= 0.05
    # Without c, the same a and b are a win.
    assert one_group(verdicts(data[data["model"] != "c"], margin=MARGIN)[0])["label"] == "win"
    # If the unbeaten c is noisy, the group is neither a win nor equivalent.
    shaky = frame(steady("a", 1.0), steady("b", 2.0), steady("c", 1.1, wobble=(1.3, 0.8, 1.25, 0.85, 1.0)))
    row = one_group(verdicts(shaky, margin=MARGIN)[0])
    assert row["label"] == "undecided" and row["unbeaten"] == "a,c"


def test_one_outcome_per_interval_beyond_inside_or_crossing_the_margin():
    wob = (1.0, 1.02, 0.98, 1.01, 0.99)
    # b 6.5% slower in every round, +-2%: its interval excludes 1 but crosses the 5% line
    # (0.952): undecided, though not equivalent either, and the note names that pair.
    row = one_group(verdicts(frame(steady("a", 1.0), steady("b", 1.07, wobble=wob)), margin=MARGIN)[0])
    assert row["ci_high"] < 1 and row["ci_low"] < 1 - MARGIN < row["ci_high"]
    assert row["label"] == "undecided" and "crosses the ±5% margin" in row["note"] and "a/b" in row["note"]
    # b 2% slower, steady: the interval lies inside the band and excludes 1: equivalent, and
    # the guide says which is faster, by less than the margin.
    row = one_group(verdicts(frame(steady("a", 1.0), steady("b", 1.02, wobble=(1, 1.002, 0.998, 1, 1.001))),
                             margin=MARGIN)[0])  # fmt: skip
    assert row["label"] == "equivalent" and row["ci_high"] < 1 and row["ci_low"] > 1 - MARGIN
    from showdown.analysis.guide import outcome

    text = outcome(row, with_interval=True)
    assert text.startswith("equivalent within ±5%: a, b (a ") and "% faster than b)" in text
    # The same b at a 10% margin: a win needs the interval beyond 0.90; here inside: equivalent.
    assert one_group(verdicts(frame(steady("a", 1.0), steady("b", 1.07, wobble=wob)), margin=0.10)[0])["label"] == (
        "equivalent"
    )


def test_equivalence_needs_every_unbeaten_pair_on_enough_shared_rounds():
    # a shares 3+ rounds with b and with c, but b and c share one round (or none):
    # their equivalence is not shown, so the group is not "equivalent".
    a = cell("a", [[1.0]] * 6)
    b = cell("b", [[1.01], [1.02], [1.015]])
    for c_rounds in ((2, 3, 4), (3, 4, 5)):
        c = [row for row in cell("c", [[1.01], [1.02], [1.015]] * 2) if row["round"] in c_rounds]
        row = one_group(verdicts(frame(a, b, c), margin=MARGIN)[0])
        assert row["rounds"] == 3 and row["unbeaten"] == "a,b,c"
        assert row["label"] == "undecided", c_rounds
    # With every round shared, the same models are equivalent.
    c = cell("c", [[1.015], [1.01], [1.02]] * 2)
    b6 = cell("b", [[1.01], [1.02], [1.015]] * 2)
    assert one_group(verdicts(frame(a, b6, c), margin=MARGIN)[0])["label"] == "equivalent"


def test_serial_at_one_worker_joins_every_worker_count_of_its_work():
    rows = [steady("serial", 1.0, workers=1)]
    for workers in (2, 4):
        rows.append(steady("threads", 1.0, workers=workers, wobble=(1.0, 1.01, 0.995, 1.0, 1.005)))
        rows.append(steady("processes-fork", 1.0 / workers, workers=workers))
    # Serial of other work must not join: another workload and another machine.
    rows.append(steady("serial", 0.1, workers=1, workload="other"))
    rows.append(steady("serial", 0.1, workers=1, machine="elsewhere"))
    table, pairs = verdicts(frame(*rows), margin=MARGIN)
    assert sorted(table["workers"]) == [2, 4]  # no group of serial alone
    assert (table["n_models"] == 3).all()
    assert (table["label"] == "win").all() and (table["winner"] == "processes-fork").all()
    for workers, speed in ((2, 0.5), (4, 0.25)):
        mine = pairs[pairs["workers"] == workers].set_index("model_b")
        assert set(mine.index) == {"serial", "threads"}
        assert mine.loc["serial", "ratio"] == pytest.approx(speed, rel=1e-6)
        assert mine.loc["serial", "rounds"] == 5


def test_aa_copies_stay_out_of_verdict_groups_and_only_a_one_model_group_is_no_contest():
    # The twin is made absurdly fast: if it were in the group it would be the fastest.
    data = frame(
        steady("threads", 1.0), steady("threads.aa", 0.3), steady("processes-fork", 1.0, wobble=(1.0, 1.01, 0.99, 1.0, 1.0)),
        steady("threads", 1.0, workers=8), steady("threads.aa", 1.0, workers=8),
    )  # fmt: skip
    table, pairs = verdicts(data, margin=MARGIN)
    row = table.set_index("workers").loc[4]
    assert row["n_models"] == 2 and row["label"] == "equivalent" and row["unbeaten"] == "processes-fork,threads"
    assert "threads.aa" not in set(pairs["model_a"]) | set(pairs["model_b"])
    alone = table.set_index("workers").loc[8]  # threads and its twin: one model in the group
    assert alone["label"] == "n/a" and alone["n_models"] == 1
    # The A/A control judges the copies, and calls the bogus pair different.
    aa = aa_control(data, margin=MARGIN).set_index("workers")
    assert aa.loc[4, "called_different"] and aa.loc[4, "fastest"] == "threads.aa"
    assert aa.loc[4, "ratio"] == pytest.approx(0.3, rel=1e-6)
    assert not aa.loc[8, "called_different"]
    assert (aa["model"] == "threads").all() and (aa["aa_copy"] == "threads.aa").all()


def test_aa_control_without_twins_or_without_their_model_is_empty():
    assert aa_control(frame(steady("threads", 1.0), steady("processes-fork", 1.0))).empty
    assert aa_control(frame(steady("threads.aa", 1.0), steady("processes-fork", 1.0))).empty


# --- The A/A control under job-level variance -----------------------------------------


def aa_sweep(n_pairs, *, rounds=5, reps=2, sigma=0.3, job_share=0.42, seed=0):
    """``n_pairs`` A/A pairs (threads and threads.aa measure the same thing).

    Log wall time = machine phase of the round (shared by both models of the round)
    + job effect (one per cell and round, shared by its repetitions; ``job_share`` of the
    variance) + repetition noise.
    """
    rng = np.random.default_rng(seed)
    job_sd, rep_sd = sigma * math.sqrt(job_share), sigma * math.sqrt(1 - job_share)
    phase = rng.normal(0, 0.3, size=(n_pairs, rounds, 1))
    tables = []
    for model in ("threads", "threads.aa"):
        logs = phase + rng.normal(0, job_sd, (n_pairs, rounds, 1)) + rng.normal(0, rep_sd, (n_pairs, rounds, reps))
        pair, round_, repetition = np.indices(logs.shape)
        tables.append(pd.DataFrame({
            **KEY, "workload": [f"w{p}" for p in pair.ravel()], "model": model, "workers": 2,
            "round": round_.ravel(), "repetition": repetition.ravel(), "wall_seconds": np.exp(logs.ravel()),
        }))  # fmt: skip
    return pd.concat(tables, ignore_index=True)


def naive_per_repetition(data):
    """The wrong interval: repetitions as independent pairs (10 per A/A pair, 9 df)."""
    logs = data.assign(log=np.log(data["wall_seconds"]))
    wide = logs.pivot_table(index=["workload", "round", "repetition"], columns="model", values="log")
    d = (wide["threads"] - wide["threads.aa"]).groupby(level="workload")
    mean, sd, n = d.mean(), d.std(), d.size()
    half = scipy_stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
    return mean - half, mean + half


def test_aa_false_wins_and_coverage_hold_with_job_level_variance():
    n_pairs = 400
    data = aa_sweep(n_pairs)
    aa = aa_control(data, alpha=0.05, margin=MARGIN)
    assert len(aa) == n_pairs and (aa["rounds"] == 5).all()

    # False wins: at most 5% (the observed rate must not be significantly above it).
    rate = false_win_rate(aa)
    assert rate["n"] == n_pairs
    assert rate["ci_low"] < 0.05, rate
    assert scipy_stats.binomtest(rate["k"], n_pairs, 0.05, alternative="greater").pvalue > 0.01

    # Coverage of the true ratio (1) by the 95% round-level CI: not significantly below 95%.
    covered = int(((aa["ci_low"] <= 1) & (aa["ci_high"] >= 1)).sum())
    coverage = scipy_stats.binomtest(covered, n_pairs).proportion_ci(0.95, method="exact")
    assert covered / n_pairs >= 0.93, covered
    assert coverage.high >= 0.95, covered

    # Contrast: per-repetition intervals (ignoring the job effect) are too narrow on the
    # same data: coverage significantly below 95% and more false wins.
    low, high = naive_per_repetition(data)
    naive_covered = int(((low <= 0) & (high >= 0)).sum())
    naive = scipy_stats.binomtest(naive_covered, n_pairs).proportion_ci(0.95, method="exact")
    assert naive.high < 0.95, naive_covered
    naive_wins = int(((high < -DELTA) | (low > DELTA)).sum())
    assert naive_wins > rate["k"]


# --- The A/A summaries ----------------------------------------------------------------


def test_aa_spread_is_the_95th_percentile_of_ratios_away_from_one():
    assert aa_spread(pd.DataFrame({"ratio": [0.9, 1 / 0.9] * 10})) == pytest.approx(0.1)
    logs = 0.001 * np.arange(1, 101)  # 95th percentile (linear): 0.001 * (1 + 0.95 * 99)
    ratios = np.exp(np.where(np.arange(100) % 2, logs, -logs))
    assert aa_spread(pd.DataFrame({"ratio": ratios})) == pytest.approx(1 - math.exp(-0.001 * 95.05))
    with_junk = pd.DataFrame({"ratio": [0.9, 1 / 0.9, np.nan, 0.0, -1.0]})
    assert aa_spread(with_junk) == pytest.approx(0.1)
    assert math.isnan(aa_spread(pd.DataFrame({"ratio": []})))
    assert math.isnan(aa_spread(pd.DataFrame({"ratio": [np.nan]})))


def test_false_win_rate_has_a_clopper_pearson_interval():
    aa = pd.DataFrame({"called_different": [True] * 3 + [False] * 97})
    rate = false_win_rate(aa)
    assert (rate["k"], rate["n"], rate["rate"]) == (3, 100, 0.03)
    reference = scipy_stats.binomtest(3, 100).proportion_ci(0.95, method="exact")
    assert (rate["ci_low"], rate["ci_high"]) == pytest.approx((reference.low, reference.high))
    # Clopper-Pearson by hand: beta quantiles.
    assert rate["ci_low"] == pytest.approx(scipy_stats.beta.ppf(0.025, 3, 98))
    assert rate["ci_high"] == pytest.approx(scipy_stats.beta.ppf(0.975, 4, 97))
    none = false_win_rate(pd.DataFrame({"called_different": [False] * 20}))
    assert none["ci_low"] == 0 and none["ci_high"] == pytest.approx(1 - 0.025 ** (1 / 20))
    empty = false_win_rate(pd.DataFrame({"called_different": []}))
    assert empty["n"] == 0 and math.isnan(empty["rate"])


# --- Cells ----------------------------------------------------------------------------


def test_cell_estimates_level_and_speedup_are_round_level_t_intervals():
    serial = [[1.00, 1.30, 1.10], [1.70, 1.80, 2.10], [0.60, 0.55, 0.62], [1.30, 1.25, 1.40]]
    threads = [[0.52, 0.50, 0.70], [0.90, 0.95, 0.80], [0.33, 0.30, 0.31], [0.64, 0.70, 0.66]]
    data = frame(cell("serial", serial, workers=1), cell("threads", threads, workers=2))
    cells = cell_estimates(data).set_index("model")
    s = np.log([np.median(x) for x in serial])
    t = np.log([np.median(x) for x in threads])
    q = scipy_stats.t.ppf(0.975, 3)

    level, half = t.mean(), q * t.std(ddof=1) / 2
    row = cells.loc["threads"]
    assert row["rounds"] == 4
    assert row["level_seconds"] == pytest.approx(math.exp(level))
    assert (row["ci_low_seconds"], row["ci_high_seconds"]) == pytest.approx(
        (math.exp(level - half), math.exp(level + half))
    )
    assert row["relative_half_width"] == pytest.approx(
        (math.exp(level + half) - math.exp(level - half)) / 2 / math.exp(level)
    )
    assert row["round_spread"] == pytest.approx(t.std(ddof=1))

    d = s - t  # log(serial / threads) per round
    half = q * d.std(ddof=1) / 2
    assert row["speedup"] == pytest.approx(math.exp(d.mean()))
    assert (row["speedup_ci_low"], row["speedup_ci_high"]) == pytest.approx(
        (math.exp(d.mean() - half), math.exp(d.mean() + half))
    )
    assert cells.loc["serial", "speedup"] == pytest.approx(1.0)


def test_cell_estimates_without_serial_have_no_speedup():
    cells = cell_estimates(frame(steady("threads", 1.0), steady("processes-fork", 0.5)))
    assert len(cells) == 2 and cells["speedup"].isna().all()
    assert cells.set_index("model").loc["processes-fork", "level_seconds"] == pytest.approx(
        0.5 * math.exp(np.mean(np.log(DRIFT[:5])))
    )


def test_relative_half_width_shrinks_with_steadier_rounds():
    steady_cell = cell_estimates(frame(steady("a", 1.0, wobble=(1.0, 1.01, 0.99, 1.0, 1.0)))).iloc[0]
    assert steady_cell["relative_half_width"] > 0.2  # the machine drift is in the level
    both = frame(steady("a", 1.0, rounds=8), steady("b", 1.0, rounds=3))
    cells = cell_estimates(both).set_index("model")
    assert cells.loc["a", "relative_half_width"] < cells.loc["b", "relative_half_width"]


def test_spread_test_flags_a_cell_five_times_noisier_than_the_aa_reference():
    z = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])  # sd of the log round medians: s * sd(z)
    s = 0.02

    def spread_cell(model, scale, order):
        return cell(model, [[math.exp(scale * s * z[i])] for i in order])

    data = frame(
        spread_cell("threads", 1, [0, 1, 2, 3, 4]), spread_cell("threads.aa", 1, [4, 2, 0, 3, 1]),
        spread_cell("asyncio", 1, [1, 3, 0, 4, 2]), spread_cell("processes-fork", 5, [2, 0, 4, 1, 3]),
    )  # fmt: skip
    cells = cell_estimates(data)
    flags = pd.concat([cells, spread_test(cells)], axis=1).set_index("model")
    assert flags.loc["processes-fork", "spread_ratio"] == pytest.approx(5.0)
    assert flags.loc["asyncio", "spread_ratio"] == pytest.approx(1.0)
    assert flags.loc["processes-fork", "noisy"]
    assert not flags.loc[["threads", "threads.aa", "asyncio"], "noisy"].any()
    assert (flags["noise_reference"] == "the A/A copies and their models").all()
    # Twice the reference spread is within what an F-test at 1% allows with 4 and 8 df.
    doubled = frame(spread_cell("threads", 1, [0, 1, 2, 3, 4]), spread_cell("threads.aa", 1, [4, 2, 0, 3, 1]),
                    spread_cell("asyncio", 2, [1, 3, 0, 4, 2]))  # fmt: skip
    cells = cell_estimates(doubled)
    assert 4 < scipy_stats.f.ppf(0.99, 4, 8)
    assert not spread_test(cells)["noisy"].any()


def test_spread_test_without_twins_falls_back_on_every_cell():
    cells = cell_estimates(frame(steady("a", 1.0, wobble=(1.0, 1.01, 0.99, 1.0, 1.0)), steady("b", 1.0)))
    flags = spread_test(cells)
    assert flags["noise_reference"].str.startswith("every cell").all()
    assert not flags["noisy"].any()


def test_the_door_exports_what_the_stages_use():
    for name in ("round_medians", "paired_log_ratios", "estimate_pairs", "claim_p", "claim_p_against", "band"):
        assert callable(getattr(stats, name))
    assert stats.band(0.05) == pytest.approx(DELTA)


def test_a_family_wins_when_every_member_beats_every_model_outside_it():
    from showdown.display import family
    from showdown.stats import family_verdicts

    wob = (1.0, 1.01, 0.99, 1.0, 1.005)
    data = frame(steady("serial", 2.0, workers=1), steady("threads", 2.1, wobble=wob),
                 steady("processes-fork", 1.0), steady("processes-spawn", 1.3, wobble=wob[::-1]),
                 steady("process_workers-fork", 1.01, wobble=wob))  # fmt: skip
    (row,) = family_verdicts(data, family, margin=MARGIN).to_dict(orient="records")
    assert row["family"] == "processes" and row["label"] == "win"
    assert row["members"] == "process_workers-fork,processes-fork,processes-spawn"
    # The interval is the weakest pair's: the slowest member against the fastest outsider.
    assert (row["weakest"], row["strongest_outside"]) == ("processes-spawn", "serial")
    assert row["ratio"] == pytest.approx(1.3 / 2.0, rel=0.02) and row["ci_high"] < 1 - MARGIN
    # Between the members: spawn is beaten, fork and process_workers stay within 1%: equivalent.
    assert row["within_label"] == "equivalent" and row["within_winner"] is None
    # A family with a member that does not beat an outsider wins nothing.
    slow = frame(steady("serial", 2.0, workers=1), steady("threads", 1.02, wobble=wob), steady("processes-fork", 1.0))
    assert family_verdicts(slow, family, margin=MARGIN).empty
