"""The comparison writer: labels, pairs, the A/A control and its margin, failed groups, flagged rows."""

import numpy as np
import pandas as pd
import pytest

from showdown.analysis import write_comparisons

KEY = {"machine": "m", "interpreter": "py", "config_hash": "h", "kind": "cpu_pure", "payload_bytes": 64}


def rows(workload, model, workers, levels, *, status="ok", flagged=()):
    """Two repetitions per round at ``levels[r]`` seconds; ``flagged`` names flagged rounds."""
    return [
        {**KEY, "workload": workload, "model": model, "workers": workers, "round": r + 1, "status": status,
         "wall_seconds": level * (1 + 0.001 * rep), "measured": status == "ok", "flagged": r + 1 in flagged,
         "tasks": 8, "cpu_user_seconds": level, "cpu_system_seconds": 0.0, "latency_seconds": None,
         "server_cpu_seconds": None, "logical_cpus": 2}
        for r, level in enumerate(levels) for rep in range(2)
    ]  # fmt: skip


def write(tmp_path, *parts, margin=0.05, aa_spread=None):
    samples = pd.DataFrame([row for part in parts for row in part])
    samples.to_parquet(tmp_path / "samples.parquet")
    out = {
        name: str(tmp_path / f"{name}.tsv") for name in ("verdicts", "pairs", "aa", "false_win", "noise", "families")
    }
    verdicts = write_comparisons(
        str(tmp_path / "samples.parquet"), verdicts_tsv=out["verdicts"], verdicts_parquet=str(tmp_path / "v.parquet"),
        pairs_tsv=out["pairs"], aa_tsv=out["aa"], false_win_tsv=out["false_win"], noise_by_kind_tsv=out["noise"], families_tsv=out["families"],
        alpha=0.05, margin=margin, aa_spread=aa_spread or {},
    )  # fmt: skip
    return verdicts, {name: pd.read_csv(path, sep="\t") for name, path in out.items()}


DRIFT = np.array([1.0, 1.3, 0.9, 1.1, 1.2])


def test_labels_pairs_and_a_failed_group(tmp_path):
    verdicts, files = write(
        tmp_path,
        rows("cpu", "serial", 1, 2.0 * DRIFT), rows("cpu", "threads", 2, 1.0 * DRIFT),
        rows("cpu", "asyncio", 2, 2.0 * DRIFT * [1.0, 1.01, 0.99, 1.0, 1.02]),
        rows("broken", "threads", 2, [np.nan] * 5, status="crashed"),
    )  # fmt: skip
    by = verdicts.set_index("workload")
    assert by.loc["cpu", "label"] == "win" and by.loc["cpu", "winner"] == "threads"
    assert by.loc["cpu", "ratio_to_runner_up"] == pytest.approx(0.5, rel=0.01)
    assert by.loc["broken", "label"] == "all cells failed"
    pairs = files["pairs"]
    assert sorted(pairs["model_b"]) == ["asyncio", "serial"] and (pairs["model_a"] == "threads").all()
    assert files["verdicts"]["label"].tolist() == verdicts["label"].tolist()


def test_the_aa_pairs_check_the_instrument_and_never_move_the_declared_margin(tmp_path):
    # The copy runs 12% away from its model: a false win, reported, and the margin stays 5%.
    verdicts, files = write(
        tmp_path,
        rows("cpu", "serial", 1, 2.0 * DRIFT), rows("cpu", "threads", 2, 1.0 * DRIFT),
        rows("cpu", "threads.aa", 2, 1.12 * DRIFT), rows("cpu", "asyncio", 2, 1.1 * DRIFT),
    )  # fmt: skip
    rate = files["false_win"].iloc[0]
    assert rate["margin"] == 0.05 and rate["aa_spread"] == pytest.approx(1 - 1 / 1.12, rel=1e-6)
    assert rate["margins"] == "wall time ±5%, CPU ±5%, memory ±5%"
    assert (rate["k"], rate["n"]) == (1, 1)  # judged at the declared margin: a false win
    # threads beat asyncio by 10% (1/1.1) in every round: beyond the declared 5%, a win.
    row = verdicts.iloc[0]
    assert row["margin"] == 0.05 and row["label"] == "win" and row["winner"] == "threads"
    assert files["aa"][["model", "aa_copy", "called_different"]].values.tolist() == [["threads", "threads.aa", True]]


def test_a_workload_override_judges_its_groups_at_its_own_margin(tmp_path):
    parts = [rows(w, "serial", 1, 2.0 * DRIFT) for w in ("cpu", "start")]
    parts += [rows(w, "threads", 2, 1.0 * DRIFT) for w in ("cpu", "start")]
    parts += [rows(w, "asyncio", 2, 1.1 * DRIFT) for w in ("cpu", "start")]
    verdicts, files = write(tmp_path, *parts, margin={"wall": 0.05, "workloads": {"start": {"wall": 0.2}}})
    by = verdicts.set_index("workload")
    assert by.loc["cpu", "label"] == "win" and by.loc["cpu", "margin"] == 0.05
    # 10% apart in every round: inside a 20% margin both ways, so equivalent there.
    assert by.loc["start", "label"] == "equivalent" and by.loc["start", "margin"] == 0.2
    assert "start: wall time ±20%" in files["false_win"].iloc[0]["margins"]


def test_a_label_that_depends_on_flagged_rows_says_so(tmp_path):
    # Without the two flagged rounds, threads has three rounds left against serial's five.
    levels = 1.0 * DRIFT * [1.0, 1.0, 1.0, 3.0, 3.0]
    verdicts, _ = write(tmp_path, rows("cpu", "serial", 1, 2.0 * DRIFT),
                        rows("cpu", "threads", 2, levels, flagged=(4, 5)))  # fmt: skip
    row = verdicts.iloc[0]
    assert row["n_flagged"] == 4
    assert (row["label"], row["label_without_flagged"]) == ("undecided", "win")
    assert row["winner_without_flagged"] == "threads"


def test_a_kind_noisier_than_its_aa_calibration_is_flagged_and_its_labels_stand(tmp_path):
    # threads wobble +-20% against serial from round to round: a spread near 0.17.
    wobble = np.array([1.2, 0.8, 1.2, 0.8, 1.0])
    parts = (rows("cpu", "serial", 1, 2.0 * DRIFT), rows("cpu", "threads", 2, 0.5 * DRIFT * wobble))
    verdicts, files = write(tmp_path, *parts, aa_spread={"cpu_pure": 0.02})
    noise = files["noise"].iloc[0]
    assert noise["kind"] == "cpu_pure" and noise["pairs"] == 1 and noise["rounds_df"] == 4
    assert noise["round_spread"] == pytest.approx(np.std(np.log(wobble), ddof=1))
    assert noise["calibrated_spread"] == 0.02 and bool(noise["noisier"])
    label = verdicts.iloc[0]["label"]
    # The same rounds against a calibration as wide as themselves: not flagged, the same label.
    again, files = write(tmp_path, *parts, aa_spread={"cpu_pure": 0.2})
    assert not bool(files["noise"].iloc[0]["noisier"]) and again.iloc[0]["label"] == label
    # No calibration for the kind: nothing to check against, nothing flagged.
    _, files = write(tmp_path, *parts)
    assert files["noise"]["calibrated_spread"].isna().all() and not files["noise"]["noisier"].any()
