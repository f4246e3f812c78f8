"""The round planner: which work groups get another round, and what stopped the others."""

import numpy as np

from showdown import SCHEMA_VERSION
from showdown.cell.record import to_table, write_atomic
from showdown.sweep.rounds import plan_round

GROUP = {"machine": "m", "interpreter": "py", "config_hash": "h", "workload": "cpu_pure", "kind": "cpu_pure",
         "payload_bytes": 1024}  # fmt: skip


def round_file(tmp_path, model, workers, round_, walls, workload="cpu_pure"):
    rows = [{**GROUP, "workload": workload, "model": model, "workers": workers, "round": round_,
             "repetition": i, "warmup": False, "status": "ok", "wall_seconds": float(w), "schema_version": SCHEMA_VERSION}
            for i, w in enumerate(walls)]  # fmt: skip
    path = tmp_path / workload / model / f"r{round_}.parquet"
    write_atomic(to_table(rows), str(path))
    return str(path)


def steady(tmp_path, model, workers, rounds, spread, workload="cpu_pure"):
    """Rounds whose medians move by ``spread`` (log scale) around 1 s."""
    levels = np.exp(np.linspace(-spread, spread, rounds))
    return [round_file(tmp_path, model, workers, r + 1, [level, level], workload) for r, level in enumerate(levels)]


def test_a_group_with_an_imprecise_cell_gets_another_round(tmp_path):
    paths = steady(tmp_path, "serial", 1, 3, 0.001) + steady(tmp_path, "threads", 2, 3, 0.3)
    plan = plan_round(paths, round=3, precision=0.03, max_rounds=5)
    (group,) = plan["groups"]
    assert group["another_round"] is True and group["reason"] == "1 cell(s) missed the precision target"
    widths = {cell["model"]: cell["relative_half_width"] for cell in group["cells"]}
    assert widths["serial"] < 0.03 < widths["threads"]


def test_a_precise_group_stops_and_says_why(tmp_path):
    paths = steady(tmp_path, "serial", 1, 3, 0.001) + steady(tmp_path, "threads", 2, 3, 0.002)
    (group,) = plan_round(paths, round=3, precision=0.03, max_rounds=5)["groups"]
    assert group["another_round"] is False and group["reason"] == "precision met by every cell"


def test_the_maximum_stops_an_imprecise_group(tmp_path):
    paths = steady(tmp_path, "serial", 1, 3, 0.3)
    (group,) = plan_round(paths, round=3, precision=0.03, max_rounds=3)["groups"]
    assert group["another_round"] is False and group["reason"] == "maximum rounds reached"


def test_one_round_alone_has_no_interval_and_asks_for_more(tmp_path):
    paths = steady(tmp_path, "serial", 1, 1, 0.0)
    (group,) = plan_round(paths, round=1, precision=0.5, max_rounds=3)["groups"]
    assert group["another_round"] is True


def test_groups_stopped_earlier_are_left_alone(tmp_path):
    stopped = steady(tmp_path, "serial", 1, 3, 0.001, workload="io_sleep")
    going = steady(tmp_path, "serial", 1, 4, 0.3)
    plan = plan_round(stopped + going, round=4, precision=0.03, max_rounds=5)
    assert [g["workload"] for g in plan["groups"]] == ["cpu_pure"]
    assert plan["round"] == 4 and plan["max_rounds"] == 5 and plan["precision"] == 0.03
