"""The claim ledger: verdicts from synthetic measurements with known answers."""

import numpy as np
import pandas as pd
import pytest

from showdown.claims import Claim, judge_points, ledger, load_claims

OPTIONS = dict(alpha=0.05, margin=0.05, n_boot=400, seed=0)


def samples(cells, rounds=3, repetitions=3, seed=0):
    """Measured rows: ``cells`` maps (kind, model, workers) -> median seconds."""
    rng = np.random.default_rng(seed)
    rows = []
    for (kind, model, workers), seconds in cells.items():
        for round_ in range(1, rounds + 1):
            phase = 1 + 0.5 * (round_ % 2)  # the machine drifts between rounds
            for repetition in range(repetitions):
                wall = seconds * phase * rng.lognormal(0, 0.01)
                rows.append(dict(machine="m", interpreter="py311", kind=kind, workload=kind, model=model,
                                 workers=workers, payload_bytes=64, round=round_, repetition=repetition,
                                 wall_seconds=wall, tree_rss_bytes=int(wall * 1e9), cpu_user_seconds=wall,
                                 cpu_system_seconds=0.0, status="ok", measured=True))
    return pd.DataFrame(rows)


def judge(claims, data):
    points = judge_points(claims, data, **OPTIONS)
    return ledger(claims, data, points).set_index("claim"), points


def test_superiority_supported_refuted_and_depends_with_its_boundary():
    faster = Claim("faster", "A is faster", "lower", "cpu_pure", ("a",), ("b",))
    data = samples({("cpu_pure", "a", 2): 1.0, ("cpu_pure", "b", 2): 2.0,    # a clearly faster
                    ("cpu_pure", "a", 8): 1.0, ("cpu_pure", "b", 8): 1.0})   # no difference
    table, points = judge([faster], data)
    assert table.loc["faster", "verdict"] == "depends"
    assert "supported at a vs b, 2 workers" in table.loc["faster", "detail"]
    assert "refuted at a vs b, 8 workers" in table.loc["faster", "detail"]
    assert judge([faster], data[data.workers == 2])[0].loc["faster", "verdict"] == "supported"
    assert judge([faster], data[data.workers == 8])[0].loc["faster", "verdict"] == "refuted"
    reverse = samples({("cpu_pure", "a", 2): 2.0, ("cpu_pure", "b", 2): 1.0})
    assert judge([faster], reverse)[0].loc["faster", "verdict"] == "refuted"  # the other way round


def test_equivalence_and_a_fixed_baseline_worker_count():
    same = Claim("same", "A costs what serial costs", "equivalent", "cpu_pure", ("a",), ("serial",), b_workers=1)
    data = samples({("cpu_pure", "a", 2): 1.0, ("cpu_pure", "serial", 1): 1.0})
    table, points = judge([same], data)
    assert table.loc["same", "verdict"] == "supported"
    assert points["ratio"].iloc[0] == pytest.approx(1.0, abs=0.03)
    slower = samples({("cpu_pure", "a", 2): 1.5, ("cpu_pure", "serial", 1): 1.0})
    assert judge([same], slower)[0].loc["same", "verdict"] == "refuted"


def test_missing_cells_are_not_measured_with_the_reason():
    claim = Claim("locks", "thread locks are cheaper", "lower", "lock_contention", ("threading_lock",), ("mp_value-fork",))
    table, _ = judge([claim], samples({("cpu_pure", "a", 2): 1.0}))
    assert table.loc["locks", "verdict"] == "not measured"
    assert "no lock_contention cells" in table.loc["locks", "detail"]


def test_works_claim_needs_every_cell_ok():
    claim = Claim("talk", "processes can communicate", "works", "ipc_transfer", ("pipe-fork",))
    data = samples({("ipc_transfer", "pipe-fork", 2): 0.1})
    assert judge([claim], data)[0].loc["talk", "verdict"] == "supported"
    data.loc[data.index[0], "status"] = "failed"
    assert judge([claim], data)[0].loc["talk", "verdict"] == "refuted"


def test_holm_family_is_the_whole_ledger():
    claims = [Claim(f"c{i}", "", "lower", "cpu_pure", ("a",), ("b",)) for i in range(3)]
    data = samples({("cpu_pure", "a", 2): 1.0, ("cpu_pure", "b", 2): 2.0})
    points = judge_points(claims, data, **OPTIONS)
    assert np.allclose(points["p_adjusted"], 3 * points["p_raw"])


def test_the_project_claims_file_is_valid():
    from conftest import REPO

    claims = load_claims(str(REPO / "config" / "claims.yaml"))
    assert len(claims) >= 10 and len({c.id for c in claims}) == len(claims)
