"""The claim ledger: verdicts from synthetic measurements with known answers.

Cells are built round by round (``cell``): a round's value times the machine drift of
that round, shared by every cell, so only the per-round ratios A/B carry information and
the expected pooled effects can be computed by hand.
"""

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from conftest import copy_repo, run_snakemake, tiny_sweep
from showdown import stats
from showdown.analysis.claims import LEDGER_COLUMNS, claim_contrasts, judge
from showdown.analysis.claims_file import Claim, load_claims

ALPHA, MARGIN = 0.05, 0.05
DELTA = -math.log(1 - MARGIN)
DRIFT = (1.0, 1.6, 0.7, 1.3, 0.9, 1.1)  # machine speed per round, shared by every cell
STEADY = (1.0, 1.01, 0.99, 1.005, 0.995)  # a little round-to-round noise
SHAKY = (1.25, 0.8, 1.2, 0.85, 1.0)  # a lot


def cell(kind, model, workers, seconds, *, wobble=STEADY, payload=64, machine="m", status="ok",
         pss=1e8, cpu_share=1.0, tasks=10, workload=None):  # fmt: skip
    """Measured rows of one cell: round r takes ``seconds * DRIFT[r] * wobble[r]``.

    Two repetitions symmetric around it (so the round median is exact); CPU seconds are
    ``cpu_share`` of the wall time; peak PSS is ``pss`` times the same wobble.
    """
    rows = []
    for round_, factor in enumerate(wobble):
        for repetition, jitter in enumerate((0.99, 1.01)):
            wall = seconds * DRIFT[round_] * factor * jitter
            rows.append(dict(
                machine=machine, interpreter="py311", config_hash="c", workload=workload or kind, kind=kind,
                model=model, workers=workers, payload_bytes=payload, round=round_, repetition=repetition,
                wall_seconds=wall, cpu_user_seconds=cpu_share * wall, cpu_system_seconds=0.0, tasks=tasks,
                peak_pss_bytes=pss * factor * jitter, status=status, measured=True,
            ))  # fmt: skip
    return rows


def frame(*cells):
    return pd.DataFrame([row for rows in cells for row in rows])


def judge_all(claims, data, margin=MARGIN):
    return judge(claims, data, alpha=ALPHA, margin=margin)


def verdict(claim, data):
    table, _ = judge_all([claim], data)
    assert len(table) == 1, table
    return table.iloc[0]["verdict"]


def pair(a_seconds, b_seconds, *, a_wobble=STEADY, b_wobble=(1.0,) * 5, workers=2, kind="cpu_pure"):
    return frame(
        cell(kind, "a", workers, a_seconds, wobble=a_wobble), cell(kind, "b", workers, b_seconds, wobble=b_wobble)
    )


def claim(test, *, id="c", a=("a",), b=("b",), kind="cpu_pure", **options):
    return Claim(id, f"claim {id}", test, kind, tuple(a), tuple(b), **options)


# --- Each test type -------------------------------------------------------------------


def test_lower_supported_when_a_is_clearly_lower_refuted_otherwise():
    lower = claim("lower")
    table, points = judge_all([lower], pair(1.0, 2.0))
    row = table.iloc[0]
    assert row["verdict"] == "supported"
    d = np.log(0.5 * np.array(STEADY))  # the per-round log ratios: drift cancels
    assert row["ratio"] == pytest.approx(math.exp(d.mean()))
    # The interval printed is the one the one-sided test at alpha read: each tail alpha (one claim).
    assert row["ci_level"] == pytest.approx(1 - 2 * ALPHA)
    interval = scipy_stats.ttest_1samp(d, 0.0).confidence_interval(1 - 2 * ALPHA)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((math.exp(interval.low), math.exp(interval.high)))
    t = (d.mean() + DELTA) / (d.std(ddof=1) / math.sqrt(5))
    assert row["p_value"] == pytest.approx(scipy_stats.t.cdf(t, 4))  # one-sided, against the margin
    assert row["rounds"] == 5 and row["points"] == 1
    assert points["outcome"].tolist() == ["supported"]
    assert verdict(lower, pair(2.0, 1.0)) == "refuted"  # the other way round
    assert verdict(lower, pair(1.0, 1.0)) == "refuted"  # no difference is not "lower"
    assert verdict(lower, pair(0.98, 1.0)) == "refuted"  # lower, but inside the margin
    inside, _ = judge_all([lower], pair(0.98, 1.0))
    assert inside.iloc[0]["reading"].endswith("refuted (lower, but by less than the ±5% margin)")


def test_lower_with_a_noisy_effect_is_undecided():
    assert verdict(claim("lower"), pair(0.9, 1.0, a_wobble=SHAKY)) == "undecided"


def test_not_faster_supported_when_a_is_slower_or_equal_refuted_when_clearly_faster():
    not_faster = claim("not_faster")
    assert verdict(not_faster, pair(1.5, 1.0)) == "supported"
    assert verdict(not_faster, pair(1.0, 1.0)) == "supported"
    assert verdict(not_faster, pair(0.5, 1.0)) == "refuted"
    assert verdict(not_faster, pair(0.95, 1.0, a_wobble=SHAKY)) == "undecided"


def test_not_slower_supported_within_the_margin_or_faster_refuted_when_much_slower():
    not_slower = claim("not_slower")
    assert verdict(not_slower, pair(1.01, 1.0)) == "supported"
    assert verdict(not_slower, pair(0.6, 1.0)) == "supported"
    assert verdict(not_slower, pair(1.5, 1.0)) == "refuted"
    assert verdict(not_slower, pair(1.05, 1.0, a_wobble=SHAKY)) == "undecided"


def test_equivalent_is_tost_both_ways():
    equivalent = claim("equivalent")
    table, _ = judge_all([equivalent], pair(1.0, 1.0))
    row = table.iloc[0]
    assert row["verdict"] == "supported"
    d = np.log(np.array(STEADY))
    se = d.std(ddof=1) / math.sqrt(5)
    tost = max(scipy_stats.t.sf((d.mean() + DELTA) / se, 4), scipy_stats.t.cdf((d.mean() - DELTA) / se, 4))
    assert row["p_value"] == pytest.approx(tost)
    assert verdict(equivalent, pair(1.5, 1.0)) == "refuted"
    assert verdict(equivalent, pair(0.6, 1.0)) == "refuted"
    assert verdict(equivalent, pair(1.0, 1.0, a_wobble=SHAKY)) == "undecided"


def test_claim_p_functions_agree_with_scipy_one_sided_tests():
    d = np.array([-0.12, -0.08, -0.10, -0.15, -0.07])
    estimates = stats.estimate_pairs(pd.DataFrame({"k": 0, "d": d}), ["k"])
    one_sided = {
        "lower": scipy_stats.ttest_1samp(d, -DELTA, alternative="less").pvalue,
        "not_faster": scipy_stats.ttest_1samp(d, -DELTA, alternative="greater").pvalue,
        "not_slower": scipy_stats.ttest_1samp(d, DELTA, alternative="less").pvalue,
    }
    for test, expected in one_sided.items():
        assert stats.claim_p(test, estimates, MARGIN)[0] == pytest.approx(expected)
    assert stats.claim_p_against("lower", estimates, MARGIN)[0] == pytest.approx(one_sided["not_faster"])
    with pytest.raises(ValueError, match="allowed"):
        stats.claim_p("fastest", estimates, MARGIN)


# --- Metrics, selections, baselines ----------------------------------------------------


def test_metrics_other_than_wall_time():
    # Same wall time; a uses half the memory and a quarter of the CPU per task.
    data = frame(cell("io_net", "a", 4, 1.0, pss=5e7, cpu_share=0.25), cell("io_net", "b", 4, 1.0, wobble=(1.0,) * 5))
    assert verdict(claim("lower", kind="io_net"), data) == "refuted"
    for metric, ratio in (("peak_pss_bytes", 0.5), ("cpu_seconds_per_task", 0.25), ("cpu_per_wall", 0.25)):
        table, _ = judge_all([claim("lower", kind="io_net", metric=metric)], data)
        assert table.iloc[0]["verdict"] == "supported", metric
        assert table.iloc[0]["ratio"] == pytest.approx(ratio, rel=0.02), metric
    table, _ = judge_all([claim("lower", kind="io_net", metric="peak_pss_bytes")], data)
    assert "less memory (PSS) than" in table.iloc[0]["reading"]


def test_baseline_at_a_fixed_worker_count_and_where_filters():
    # threads at 2 and 4 workers against serial at 1; 8 workers excluded by workers_max.
    data = frame(
        cell("cpu_pure", "serial", 1, 1.0, wobble=(1.0,) * 5), cell("cpu_pure", "threads", 2, 1.0),
        cell("cpu_pure", "threads", 4, 1.02), cell("cpu_pure", "threads", 8, 0.3),
        cell("io_net", "threads", 2, 0.1),  # another kind: never selected
    )  # fmt: skip
    gil = claim("not_faster", a=("threads",), b=("serial",), b_workers=1, where={"workers_min": 2, "workers_max": 4})
    contrasts = claim_contrasts(gil, data)
    assert sorted(contrasts["workers"].unique()) == [2, 4] and len(contrasts) == 10
    table, points = judge_all([gil], data)
    assert table.iloc[0]["verdict"] == "supported" and table.iloc[0]["points"] == 2
    assert sorted(points["workers"]) == [2, 4] and (points["model_b"] == "serial").all()
    everything = claim("not_faster", a=("threads",), b=("serial",), b_workers=1, where={"workers_min": 2})
    table, points = judge_all([everything], data)
    assert sorted(points["workers"]) == [2, 4, 8]
    assert points.set_index("workers").loc[8, "outcome"] == "refuted"  # 0.3x: threads do beat serial there
    # Only one direction is beyond the margin: not "depends"; the pooled effect refutes.
    assert table.iloc[0]["verdict"] == "refuted"


def test_pooled_effect_is_the_per_round_mean_over_points():
    # Point 1 (2 workers): 0.5x, steady. Point 2 (4 workers): 0.9x with large round noise.
    data = frame(
        cell("cpu_pure", "a", 2, 0.5), cell("cpu_pure", "b", 2, 1.0, wobble=(1.0,) * 5),
        cell("cpu_pure", "a", 4, 0.9, wobble=SHAKY), cell("cpu_pure", "b", 4, 1.0, wobble=(1.0,) * 5),
    )  # fmt: skip
    lower = claim("lower")
    table, points = judge_all([lower], data)
    outcomes = points.set_index("workers")["outcome"]
    assert outcomes[2] == "supported" and outcomes[4] == "undecided"
    row = table.iloc[0]
    assert row["verdict"] == "supported" and row["points"] == 2  # pooled over both points
    per_round = (np.log(0.5 * np.array(STEADY)) + np.log(0.9 * np.array(SHAKY))) / 2
    interval = scipy_stats.ttest_1samp(per_round, 0.0).confidence_interval(row["ci_level"])
    assert row["ratio"] == pytest.approx(math.exp(per_round.mean()))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((math.exp(interval.low), math.exp(interval.high)))
    assert row["rounds"] == 5


def test_depends_only_when_two_points_are_beyond_the_margin_in_opposite_directions():
    data = frame(
        cell("cpu_pure", "a", 2, 0.5), cell("cpu_pure", "b", 2, 1.0, wobble=(1.0,) * 5),
        cell("cpu_pure", "a", 8, 2.0), cell("cpu_pure", "b", 8, 1.0, wobble=(1.0,) * 5),
    )  # fmt: skip
    table, points = judge_all([claim("lower")], data)
    row = table.iloc[0]
    assert row["verdict"] == "depends"
    # Each point's interval against the margin, said of the interval (not as a verdict of its own).
    assert "a vs b on cpu_pure at 2 workers, 64B: 0.500 [" in row["detail"]
    assert "a vs b on cpu_pure at 8 workers, 64B: 2.000 [" in row["detail"]
    assert row["detail"].count("beyond the margin") == 2
    # The reading names the boundary, not only a pooled factor that straddles it.
    assert row["reading"].endswith("depends (holds at cpu_pure at 2 workers, 64B; not at cpu_pure at 8 workers, 64B)")
    # One point beyond the margin, the other inside it: the pooled test decides.
    inside = frame(
        cell("cpu_pure", "a", 2, 0.5), cell("cpu_pure", "b", 2, 1.0, wobble=(1.0,) * 5),
        cell("cpu_pure", "a", 8, 1.02), cell("cpu_pure", "b", 8, 1.0, wobble=(1.0,) * 5),
    )  # fmt: skip
    assert verdict(claim("lower"), inside) == "supported"


def test_not_measured_when_the_sweep_has_no_cells_for_the_claim():
    locks = claim("lower", id="locks", a=("threading_lock",), b=("mp_value-fork",), kind="lock_contention")
    table, points = judge_all([locks], pair(1.0, 2.0))
    row = table.iloc[0]
    assert row["verdict"] == "not measured" and points.empty
    assert "no lock_contention cells" in row["detail"] and row["reading"].startswith("not measured")
    # Cells of A only: no common point, still not measured.
    only_a = frame(cell("lock_contention", "threading_lock", 2, 1.0))
    assert verdict(locks, only_a) == "not measured"


def test_works_needs_every_cell_ok():
    talk = Claim("talk", "processes can communicate", "works", "ipc_transfer", ("pipe-fork", "mp_queue-fork"))
    data = frame(cell("ipc_transfer", "pipe-fork", 2, 0.1), cell("ipc_transfer", "mp_queue-fork", 2, 0.2))
    table, _ = judge_all([talk], data)
    row = table.iloc[0]
    assert row["verdict"] == "supported"
    assert "mp_queue-fork, pipe-fork" in row["detail"] and "5 rounds" in row["detail"]
    broken = data.copy()
    broken.loc[(broken["model"] == "mp_queue-fork") & (broken["round"] == 3), "status"] = "timeout"
    row = judge_all([talk], broken)[0].iloc[0]
    assert row["verdict"] == "refuted" and "mp_queue-fork: timeout" in row["detail"]
    assert row["detail"].count("timeout") == 1  # one failed round, reported once
    assert verdict(talk, frame(cell("cpu_pure", "pipe-fork", 2, 0.1))) == "not measured"


# --- The ledger -----------------------------------------------------------------------


def test_holm_runs_across_ledger_rows():
    # Per-round log ratios with a one-sided p of about 0.03 for "lower": alone it is
    # supported; with a twin claim in the ledger, Holm doubles it past alpha.
    z = np.array([-1.2, 0.4, 1.1, -0.6, 0.3])
    z = (z - z.mean()) / z.std(ddof=1)
    se = 0.02
    d = -DELTA + scipy_stats.t.ppf(0.03, 4) * se + z * se * math.sqrt(5)
    data = pair(1.0, 1.0, a_wobble=tuple(np.exp(d)))
    assert scipy_stats.ttest_1samp(d, -DELTA, alternative="less").pvalue == pytest.approx(0.03)
    first, second = claim("lower", id="first"), claim("lower", id="second")
    alone, _ = judge_all([first], data)
    assert alone.iloc[0]["verdict"] == "supported"
    assert alone.iloc[0]["p_adjusted"] == pytest.approx(alone.iloc[0]["p_value"]) == pytest.approx(0.03)

    strong = claim("lower", id="strong", kind="io_net")
    data = pd.concat([data, pair(0.5, 1.0, kind="io_net")], ignore_index=True)
    table, _ = judge_all([first, second, strong], data)
    table = table.set_index("claim")
    assert (table["p_adjusted"] >= table["p_value"]).all()
    assert table["p_adjusted"].to_numpy() == pytest.approx(stats.holm(table["p_value"].to_numpy()))
    assert table.loc["first", "p_adjusted"] == pytest.approx(0.06)
    assert table.loc["first", "verdict"] == "undecided" and table.loc["second", "verdict"] == "undecided"
    assert table.loc["strong", "verdict"] == "supported"


def test_one_row_per_machine_and_the_reading_states_factor_interval_and_verdict():
    data = pd.concat(
        [
            pair(1.0, 2.0),
            frame(
                cell("cpu_pure", "a", 2, 2.0, machine="n"),
                cell("cpu_pure", "b", 2, 1.0, wobble=(1.0,) * 5, machine="n"),
            ),
        ]
    )
    table, _ = judge_all([claim("lower")], data)
    assert list(table.columns) == LEDGER_COLUMNS
    table = table.set_index("machine")
    assert table.loc["m", "verdict"] == "supported" and table.loc["n", "verdict"] == "refuted"

    row = table.loc["m"]
    factor, low, high = 1 / row["ratio"], 1 / row["ci_high"], 1 / row["ci_low"]
    assert factor == pytest.approx(2.0, rel=0.01)
    # Two rows in the ledger: Holm gives the smaller p the threshold alpha / 2, so a 95% interval.
    assert row["ci_level"] == pytest.approx(0.95)
    assert row["reading"] == (
        f"a {factor:.2f}x faster than b on cpu_pure [{low:.2f}, {high:.2f}] "
        f"(95% interval, margin ±5%; 2 workers, 1 points, 5 rounds): supported"
    )
    row = table.loc["n"]
    assert row["reading"].startswith(f"a {row['ratio']:.2f}x slower than b on cpu_pure [{row['ci_low']:.2f}, ")
    assert row["reading"].endswith(": refuted")


def test_a_reading_pooled_over_points_of_different_size_keeps_each_point():
    data = frame(
        cell("startup", "a", 2, 0.1), cell("startup", "fork", 2, 1.1, wobble=(1.0,) * 5),
        cell("startup", "spawn", 2, 16.7, wobble=(1.0,) * 5),
    )  # fmt: skip
    table, _ = judge_all([claim("lower", b=("fork", "spawn"), kind="startup")], data)
    reading = table.iloc[0]["reading"]
    # The range and each point, named by what varies (here the model B), slowest last.
    assert "; points 11.00-167.00x: fork 11.00x, spawn 167.00x (" in reading, reading
    # One point: no list.
    single, _ = judge_all([claim("lower")], pair(1.0, 2.0))
    assert "points " not in single.iloc[0]["reading"].split("(")[0]


# --- Loading claims -------------------------------------------------------------------


def write_claims(tmp_path, entries):
    import yaml

    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump({"claims": entries}))
    return str(path)


def test_load_claims_reads_every_field(tmp_path):
    path = write_claims(tmp_path, [
        {"id": "gil", "text": "no speedup", "test": "not_faster", "kind": "cpu_pure", "a": "threads",
         "b": "serial", "b_workers": 1, "where": {"workers_min": 2}, "figure": "speedup"},
        {"id": "talk", "text": "works", "test": "works", "kind": "ipc_transfer", "a": ["pipe-fork", "mp_queue-fork"],
         "metric": "wall_seconds"},
    ])  # fmt: skip
    gil, talk = load_claims(path)
    assert gil == Claim("gil", "no speedup", "not_faster", "cpu_pure", ("threads",), ("serial",), "wall_seconds",
                        1, {"workers_min": 2}, "speedup")  # fmt: skip
    assert talk.a == ("pipe-fork", "mp_queue-fork") and talk.b == ()


def test_load_claims_names_the_claim_key_and_allowed_values(tmp_path):
    path = write_claims(tmp_path, [
        {"id": "bad_test", "text": "", "test": "fastest", "kind": "cpu_pure", "a": "threads", "b": "serial"},
        {"id": "bad_metric", "text": "", "test": "lower", "metric": "rss", "kind": "cpu_pure", "a": "threads", "b": "serial"},
        {"id": "bad_where", "text": "", "test": "lower", "kind": "cpu_pure", "a": "threads", "b": "serial",
         "where": {"threads_min": 2}},
        {"id": "fine", "text": "", "test": "lower", "kind": "cpu_pure", "a": "threads", "b": "serial"},
    ])  # fmt: skip
    with pytest.raises(ValueError) as error:
        load_claims(path)
    message = str(error.value)
    assert (
        "bad_test.test: 'fastest' is not allowed; allowed values: lower, not_faster, not_slower, equivalent, works"
        in message
    )
    assert ("bad_metric.metric: 'rss' is not allowed; allowed values: wall_seconds, peak_pss_bytes, cpu_per_wall, "
            "cpu_seconds_per_task") in message  # fmt: skip
    assert ("bad_where.where: unknown key(s) 'threads_min'; allowed keys: free_threaded, payload_bytes_max, "
            "payload_bytes_min, workers_max, workers_min, workload") in message  # fmt: skip
    assert "fine" not in message


@pytest.mark.parametrize(
    "entry, expected",
    [({"a": ["threads", "no_such_model"]}, "bad.a[1]: 'no_such_model' is not allowed; allowed values: "),
     ({"kind": "cpu_puree"}, "bad.kind: 'cpu_puree' is not allowed; allowed values: "),
     ({"b_workers": 0}, "bad.b_workers: 0 is less than the minimum of 1"),
     ({"colour": "red"}, "bad: unknown key(s) 'colour'; allowed keys: a, b, b_workers, figure, id, kind,"),
     ({"text": None}, "bad.text: None is not of type 'string'")],
)  # fmt: skip
def test_the_schema_names_the_claim_and_the_key(tmp_path, entry, expected):
    path = write_claims(tmp_path, [{"id": "bad", "text": "", "test": "lower", "kind": "cpu_pure", "a": "threads",
                                    "b": "serial", **entry}])  # fmt: skip
    with pytest.raises(ValueError, match=re.escape(expected)):
        load_claims(path)


def test_a_bad_claims_file_is_refused_before_any_job(tmp_path):
    repo = copy_repo(tmp_path / "repo")
    claims = repo / "config" / "claims.yaml"
    claims.write_text(claims.read_text().replace("    test: lower\n", "    test: lowest\n", 1))
    done = run_snakemake(tmp_path, "--dry-run", config=tiny_sweep(), repo=repo, env={"PYTHONPATH": str(repo / "src")},
                         check=False)  # fmt: skip
    assert done.returncode != 0
    assert "thread_start_cheaper_than_process.test: 'lowest' is not allowed" in done.stdout + done.stderr
    assert "rule " not in done.stdout


def test_the_project_claims_file_loads_and_every_claim_is_judgeable():
    from conftest import REPO

    claims = load_claims(str(REPO / "config" / "claims.yaml"))
    assert len(claims) >= 10 and len({c.id for c in claims}) == len(claims)
    by_id = {c.id: c for c in claims}
    gil = by_id["one_thread_runs_python_at_a_time"]
    assert (gil.test, gil.a, gil.b, gil.b_workers, gil.where) == (
        "not_faster",
        ("threads",),
        ("serial",),
        1,
        {"workers_min": 2},
    )
    assert by_id["processes_can_communicate"].test == "works"
    assert all(c.b for c in claims if c.test != "works")
    # An empty sweep: every claim is "not measured", none crashes the ledger.
    empty = frame(cell("nothing", "x", 1, 1.0))
    table, _ = judge_all(claims, empty)
    assert len(table) == len(claims) and (table["verdict"] == "not measured").all()


# --- Free-threaded builds (issue 15) --------------------------------------------------


def on(rows, interpreter, *, free_threaded, sha="t1", gil_reenabled=False):
    """A cell's rows as measured under a built interpreter: its build and GIL state."""
    return [dict(row, interpreter=interpreter, free_threaded_build=free_threaded, build_tarball_sha256=sha,
                 gil_reenabled=gil_reenabled) for row in rows]  # fmt: skip


def test_free_threaded_claims_judge_only_free_threaded_cells_whose_gil_stayed_off():
    ft = claim("lower", a=("threads",), b=("processes-fork",), where={"workers_min": 2, "free_threaded": True})
    gil_build = frame(cell("cpu_pure", "threads", 2, 1.0), cell("cpu_pure", "processes-fork", 2, 2.0))
    table, _ = judge_all([ft], gil_build)
    assert table.iloc[0]["verdict"] == "not measured"
    assert table.iloc[0]["reading"] == "not measured (needs a free-threaded interpreter)"
    # Under the free-threaded build the same cells are judged, per interpreter, GIL twin left out.
    both = frame(
        on(cell("cpu_pure", "threads", 2, 1.0), "py3135t", free_threaded=True),
        on(cell("cpu_pure", "processes-fork", 2, 2.0), "py3135t", free_threaded=True),
        on(cell("cpu_pure", "threads", 2, 3.0), "py3135", free_threaded=False),
        on(cell("cpu_pure", "processes-fork", 2, 2.0), "py3135", free_threaded=False),
    )
    table, points = judge_all([ft], both)
    assert list(table["interpreter"]) == ["py3135t"] and table.iloc[0]["verdict"] == "supported"
    assert set(points["interpreter"]) == {"py3135t"}
    # A cell whose GIL came back on says nothing about free threading.
    back_on = frame(
        on(cell("cpu_pure", "threads", 2, 1.0), "py3135t", free_threaded=True, gil_reenabled=True),
        on(cell("cpu_pure", "processes-fork", 2, 2.0), "py3135t", free_threaded=True),
    )
    row = judge_all([ft], back_on)[0].iloc[0]
    assert row["verdict"] == "not measured" and row["reading"] == "not measured: GIL back on"


def test_single_thread_tax_compares_serial_with_serial_on_the_gil_twin_per_task():
    tax = claim("not_slower", a=("serial",), b=("serial",), metric="seconds_per_task", twin=True,
                where={"free_threaded": True})  # fmt: skip
    # Same tasks on both (one calibration): 1.5 s against 1.0 s is a 50% tax, refuted.
    twins = frame(
        on(cell("cpu_pure", "serial", 1, 1.5), "py3135t", free_threaded=True),
        on(cell("cpu_pure", "serial", 1, 1.0), "py3135", free_threaded=False),
        # Another source tarball's GIL build is no twin.
        on(cell("cpu_pure", "serial", 1, 0.5), "py313", free_threaded=False, sha="other"),
    )
    table, points = judge_all([tax], twins)
    row = table.iloc[0]
    assert (row["interpreter"], row["verdict"]) == ("py3135t", "refuted")
    assert row["ratio"] == pytest.approx(1.5, rel=1e-6)
    assert set(points["model_b"]) == {"serial@py3135"} and "serial@py3135" in row["reading"]
    # Per task, not per batch: half the tasks in 0.75 s is still 1.5x the twin's time per task.
    half = frame(
        on(cell("cpu_pure", "serial", 1, 0.75, tasks=5), "py3135t", free_threaded=True),
        on(cell("cpu_pure", "serial", 1, 1.0), "py3135", free_threaded=False),
    )
    assert judge_all([tax], half)[0].iloc[0]["ratio"] == pytest.approx(1.5, rel=1e-6)
    # Without the twin, not measured, saying why.
    alone = frame(on(cell("cpu_pure", "serial", 1, 1.5), "py3135t", free_threaded=True))
    row = judge_all([tax], alone)[0].iloc[0]
    assert row["verdict"] == "not measured" and "GIL twin" in row["detail"]


def test_a_twin_claim_needs_the_free_threaded_condition(tmp_path):
    path = write_claims(tmp_path, [{"id": "tax", "text": "t", "test": "not_slower", "kind": "cpu_pure",
                                    "a": "serial", "b": "serial", "twin": True}])  # fmt: skip
    with pytest.raises(ValueError, match="tax.twin: .*free_threaded: true"):
        load_claims(path)
