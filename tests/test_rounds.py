"""The round planner: which work groups get another round, and what stopped the others."""

import numpy as np
import pytest

from showdown import SCHEMA_VERSION
from showdown.cell.record import to_table, write_atomic
from showdown.sweep.rounds import BUDGET, plan_round

GROUP = {"machine": "m", "interpreter": "py", "config_hash": "h", "kind": "cpu_pure", "payload_bytes": 1024}
RULE = {"alpha": 0.05, "margin": 0.05, "base_rounds": 3, "max_rounds": 6, "extra_seconds": 100.0}
DRIFT = np.array([1.0, 1.3, 0.9, 1.1, 1.2, 0.95])


def round_file(tmp_path, workload, model, workers, round_, walls):
    rows = [{**GROUP, "workload": workload, "model": model, "workers": workers, "round": round_,
             "repetition": i, "warmup": False, "status": "ok", "wall_seconds": float(w), "kernel_seconds": 1.7,
             "schema_version": SCHEMA_VERSION}
            for i, w in enumerate(walls)]  # fmt: skip
    path = tmp_path / workload / model / f"r{round_}.parquet"
    write_atomic(to_table(rows), str(path))
    return str(path)


def group(tmp_path, workload, rounds, *, ratio=0.5, wobble=0.0):
    """serial and threads over ``rounds``, both moving with the machine's drift; threads' ratio
    to serial is ``ratio`` times a per-round wobble of +-``wobble`` (log scale)."""
    wobbles = np.exp(wobble * np.array([1, -1, 0.5, -0.5, 1, -1]))
    paths = []
    for r in range(rounds):
        paths.append(round_file(tmp_path, workload, "serial", 1, r + 1, [DRIFT[r]] * 2))
        paths.append(round_file(tmp_path, workload, "threads", 2, r + 1, [DRIFT[r] * ratio * wobbles[r]] * 2))
    return paths


def only(plan):
    (one,) = plan["groups"]
    return one


def test_a_group_whose_interval_is_too_wide_to_decide_gets_another_round(tmp_path):
    plan = plan_round(group(tmp_path, "w", 3, wobble=0.2), round=3, **RULE)
    one = only(plan)
    assert one["another_round"] is True and one["doubt"] > 1
    assert one["reason"] == "an interval too wide to decide (serial/threads at 2 workers): another round"
    # Its cost is what its last round's two jobs took: their kernel seconds and the job overhead.
    assert one["cost_seconds"] == 2 * (1.7 + 0.3) and plan["extra_seconds_planned"] == one["cost_seconds"]


def test_a_narrow_group_stops_and_says_why(tmp_path):
    one = only(plan_round(group(tmp_path, "w", 3, wobble=0.001), round=3, **RULE))
    assert one["another_round"] is False and one["doubt"] < 1
    assert one["reason"] == "every interval narrow enough to decide at the margin"
    # The precision of each cell stays in the plan, as a flag.
    assert {cell["model"] for cell in one["cells"]} == {"serial", "threads"}


def test_the_rule_reads_the_width_never_the_position(tmp_path):
    # The same round-to-round wobble around a 2x win and around no difference: the same doubt.
    far = only(plan_round(group(tmp_path / "a", "w", 3, ratio=0.5, wobble=0.05), round=3, **RULE))
    near = only(plan_round(group(tmp_path / "b", "w", 3, ratio=1.0, wobble=0.05), round=3, **RULE))
    assert far["doubt"] == pytest.approx(near["doubt"]) and far["another_round"] == near["another_round"]


def test_the_maximum_stops_a_group_in_doubt(tmp_path):
    one = only(plan_round(group(tmp_path, "w", 3, wobble=0.2), round=3, **{**RULE, "max_rounds": 3}))
    assert one["another_round"] is False and one["reason"] == "maximum rounds reached"


def test_the_budget_goes_to_the_groups_in_most_doubt_and_stops_the_rest(tmp_path):
    paths = group(tmp_path, "wide", 4, wobble=0.3) + group(tmp_path, "wider", 4, wobble=0.6)
    paths += group(tmp_path, "narrow", 4, wobble=0.001)
    # Round 4 is an extra round already (base 3): its 3 groups x 2 jobs x 2 s are spent.
    plan = plan_round(paths, round=4, **{**RULE, "extra_seconds": 12 + 4 + 1})
    by = {g["workload"]: g for g in plan["groups"]}
    assert by["wider"]["another_round"] is True and by["wider"]["doubt"] > by["wide"]["doubt"] > 1
    assert by["wide"]["another_round"] is False and by["wide"]["reason"] == BUDGET
    assert by["narrow"]["another_round"] is False
    assert plan["extra_seconds_planned"] == 12 + 4
    # Without a budget, no extra round at all.
    plan = plan_round(paths, round=4, **{**RULE, "extra_seconds": 0})
    assert not any(g["another_round"] for g in plan["groups"])


def test_one_round_alone_has_no_interval_and_is_in_doubt(tmp_path):
    one = only(plan_round(group(tmp_path, "w", 1), round=1, **{**RULE, "base_rounds": 1}))
    assert one["another_round"] is True and one["doubt"] == float("inf")


def test_groups_stopped_earlier_are_left_alone(tmp_path):
    stopped = group(tmp_path, "early", 3, wobble=0.2)
    going = group(tmp_path, "late", 4, wobble=0.2)
    plan = plan_round(stopped + going, round=4, **RULE)
    assert [g["workload"] for g in plan["groups"]] == ["late"]
    assert plan["round"] == 4 and plan["max_rounds"] == 6 and plan["extra_seconds"] == 100.0
