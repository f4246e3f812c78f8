"""The applicability table: every (kind, model) pair once, whether it runs and if not why."""

import pandas as pd

from showdown.kernel import MODEL_NAMES, WORKLOADS
from showdown.sweep import write_applicability, write_not_applicable


def test_every_pair_once_with_a_reason_exactly_where_it_does_not_run(tmp_path):
    table = write_applicability(str(tmp_path / "applicability.tsv")).set_index(["kind", "model"])
    assert len(table) == len(WORKLOADS) * len(MODEL_NAMES) and table.index.is_unique
    assert (table["runs"] == table["reason"].isna()).all()
    assert table.loc[("cpu_pure", "threads"), "runs"]
    assert "measures its own mechanisms" in table.loc[("switch_latency", "threads"), "reason"]
    assert "is a mechanism of switch_latency" in table.loc[("cpu_pure", "pipe_threads"), "reason"]
    assert table.loc[("io_net", "mp_pool-fork"), "reason"].startswith("io_net runs its clients on")
    assert pd.read_csv(tmp_path / "applicability.tsv", sep="\t").shape == (len(table), 4)


def test_not_applicable_cells_say_who_decided(tmp_path):
    cell = {"machine": "m", "interpreter": "py", "workload": "cpu_pure", "model": "subinterpreters",
            "workers": 2, "payload_bytes": 64}  # fmt: skip
    samples = pd.DataFrame([
        {**cell, "status": "not_applicable", "message": "no InterpreterPoolExecutor"},
        {**cell, "status": "not_applicable", "message": "no InterpreterPoolExecutor"},  # a second round
        {**cell, "model": "threads", "status": "ok", "message": None},
    ])  # fmt: skip
    samples.to_parquet(tmp_path / "samples.parquet")
    declared = [{**cell, "model": "processes-fork", "workers": 128, "message": "128 processes exceed the cap"}]
    table = write_not_applicable(declared, str(tmp_path / "samples.parquet"), str(tmp_path / "na.tsv"))
    assert table[["model", "decided", "reason"]].values.tolist() == [
        ["processes-fork", "config", "128 processes exceed the cap"],
        ["subinterpreters", "run time", "no InterpreterPoolExecutor"],
    ]
