"""Old round files carried forward for analysis only: renamed, nulls added, nothing overwritten."""

import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from showdown import SCHEMA_VERSION
from showdown.cell import read_round_file
from showdown.cell.record import COLUMNS, MIGRATIONS, SchemaMismatch, migrate_table, to_table


def old_file(path, version, drop=("load_average",)):
    table = to_table([{"machine": "m", "model": "threads", "round": 1, "wall_seconds": 0.5,
                       "load_average": 0.7, "schema_version": version}])  # fmt: skip
    table = table.drop_columns(list(drop))
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def test_a_file_of_an_older_version_is_refused_with_the_way_forward(tmp_path):
    path = old_file(tmp_path / "r1.parquet", SCHEMA_VERSION - 1)
    with pytest.raises(SchemaMismatch, match="showdown.cell.migrate"):
        read_round_file(str(path))


def test_migrating_adds_missing_columns_as_nulls_and_keeps_the_measurement(tmp_path):
    table = pq.read_table(old_file(tmp_path / "r1.parquet", 1))
    migrated = migrate_table(table, 1)
    assert migrated.column_names == list(COLUMNS)
    row = migrated.to_pylist()[0]
    assert row["wall_seconds"] == 0.5 and row["load_average"] is None
    assert row["schema_version"] == SCHEMA_VERSION


def test_renames_of_every_step_are_applied(tmp_path, monkeypatch):
    table = pq.read_table(old_file(tmp_path / "r1.parquet", 2)).rename_columns(
        ["wall_time" if name == "wall_seconds" else name for name in COLUMNS if name != "load_average"]
    )
    monkeypatch.setitem(MIGRATIONS, 3, {"wall_time": "wall_seconds"})
    assert migrate_table(table, 2).to_pylist()[0]["wall_seconds"] == 0.5


def test_an_unknown_version_is_refused(tmp_path):
    with pytest.raises(SchemaMismatch, match="unknown"):
        migrate_table(pq.read_table(old_file(tmp_path / "r1.parquet", 99)), 99)


def test_the_command_writes_copies_elsewhere_and_never_overwrites(tmp_path):
    source = tmp_path / "results/cells"
    old_file(source / "vm/py311/cpu_pure/threads/w2_p1KiB/r1.parquet", SCHEMA_VERSION - 1)
    into = tmp_path / "migrated"
    command = [sys.executable, "-m", "showdown.cell.migrate", str(source), str(into)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    copy = into / "vm/py311/cpu_pure/threads/w2_p1KiB/r1.parquet"
    assert read_round_file(str(copy)).to_pylist()[0]["wall_seconds"] == 0.5
    assert (
        pq.read_table(source / "vm/py311/cpu_pure/threads/w2_p1KiB/r1.parquet").column("schema_version")[0].as_py()
        == SCHEMA_VERSION - 1
    )
    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode != 0 and "nothing is overwritten" in again.stderr
    inside = subprocess.run([sys.executable, "-m", "showdown.cell.migrate", str(source), str(source / "x")],
                            capture_output=True, text=True)  # fmt: skip
    assert inside.returncode != 0 and "outside FROM" in inside.stderr
