"""Machine labels: a run's list of labels with their CPUs, and which brought-in labels are complete."""

import json

import pytest

from conftest import tiny_sweep
from showdown.sweep import ConfigError, expand_cells, load_sweep, other_labels, write_manifest


def test_each_label_resolves_cores_for_its_own_cpus():
    config = tiny_sweep()
    config["workloads"]["cpu_pure"]["workers"] = ["cores", "2*cores"]
    sweep = load_sweep(config, machines={"small": 2, "big": 16})
    assert sweep.labels == ("small", "big")
    assert sweep.workers("cpu_pure", "small") == (2, 4) and sweep.workers("cpu_pure", "big") == (16, 32)
    counts = {(c.machine, c.workers) for c in expand_cells(sweep) if c.workload == "cpu_pure" and c.model == "threads"}
    assert counts == {("small", 2), ("small", 4), ("big", 16), ("big", 32)}


def test_a_label_is_complete_only_when_its_manifest_names_files_that_exist(tmp_path, monkeypatch, finished_round):
    monkeypatch.chdir(tmp_path)
    for label in ("done", "half", "bare"):
        (tmp_path / f"results/cells/{label}/py").mkdir(parents=True)
    for label in ("done", "half"):
        names = [f"results/cells/{label}/py/r{i}.parquet" for i in (1, 2)]
        for name in names:
            (tmp_path / name).write_bytes(finished_round.read_bytes())
        write_manifest(f"results/cells/{label}/manifest.json", machine=label, cores=2, config_hash="h",
                       round_files=names)  # fmt: skip
    (tmp_path / "results/cells/half/py/r2.parquet").unlink()
    manifest = json.loads((tmp_path / "results/cells/done/manifest.json").read_text())
    assert (
        manifest["cores"] == 2
        and manifest["round_files"][0].endswith("r1.parquet")
        and manifest["git_commit"] == "abc123"
    )
    states = {state.label: state for state in other_labels(["mine"])}
    assert states["done"].complete and not states["half"].complete and not states["bare"].complete
    assert "1 of 2 round files missing" in states["half"].reason and "no manifest" in states["bare"].reason
    assert [state.label for state in other_labels(["mine"], ["done"])] == ["done"]
    with pytest.raises(ConfigError, match="machines: 'gone' not under results/cells/"):
        other_labels(["mine"], ["gone"])


@pytest.fixture
def finished_round(tmp_path_factory):
    """One round file as a cell job writes it: the manifest reads its commit columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from showdown import SCHEMA_VERSION
    from showdown.cell.record import SCHEMA

    path = tmp_path_factory.mktemp("round") / "r.parquet"
    row = {"schema_version": SCHEMA_VERSION, "git_commit": "abc123", "git_dirty": True}
    pq.write_table(pa.Table.from_pylist([row], schema=SCHEMA), path)
    return path
