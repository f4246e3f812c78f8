"""The cell request: one type that the sweep builds, serialises, and the cell job reads back."""

import pytest

from conftest import tiny_sweep
from showdown.cell import Cell, CellRequest
from showdown.sweep import Schedule, cell_request, load_sweep

BASE = dict(cell=Cell("m", "py", "w", "threads.aa", 4, 64), round=2,
            interpreter={"name": "py", "command": ["python"], "env": {}}, kind="io_sleep", params={"latency_ms": 2},
            warmups=1, repetitions=2, timeout_seconds=60.0, config_hash="abc", kernel_hash="def", seed=1, position=3,
            probe="results/probe/m/py.json")  # fmt: skip


def test_it_reads_back_what_it_wrote():
    request = CellRequest(**BASE, tasks=8)
    assert CellRequest.from_json(request.to_json()) == request


def test_a_key_missing_or_unknown_is_named():
    text = CellRequest(**BASE, tasks=8).to_json().replace('"machine"', '"host"')
    with pytest.raises(ValueError, match=r"Cell: unknown keys \['host'\], missing keys \['machine'\]"):
        CellRequest.from_json(text)


def test_work_is_fixed_or_calibrated_never_both_nor_neither():
    with pytest.raises(ValueError, match="fixed tasks or a calibration file"):
        CellRequest(**BASE)
    with pytest.raises(ValueError, match="fixed tasks or a calibration file"):
        CellRequest(**BASE, tasks=8, calibration="c.json")


def test_the_sweep_builds_it_with_each_default_applied_once():
    config = tiny_sweep()
    sweep = load_sweep(config)
    schedule = Schedule(sweep)
    cells = {(c.workload, c.model): c for c in schedule.cells}
    prepared = {"probe": "p.json"}
    sleep = cell_request(sweep, schedule, cells[("io_sleep", "threads.aa")], 1, interpreter={}, preparations=prepared,
                         kernel_hash="k")  # fmt: skip
    tasks = config["workloads"]["io_sleep"]["tasks"]
    assert (sleep.tasks, sleep.cell.workers, sleep.cell.model, sleep.cell.base_model, sleep.kind) == (
        tasks,
        4,
        "threads.aa",
        "threads",
        "io_sleep",
    )
    # Start-up sets no tasks: one no-op per worker.
    startup = cell_request(sweep, schedule, cells[("startup", "threads")], 1, interpreter={}, preparations=prepared,
                           kernel_hash="k")  # fmt: skip
    assert startup.tasks == startup.cell.workers == 2
    assert sleep.repetitions == config["repetitions"] and sleep.position == schedule.position(
        cells[("io_sleep", "threads.aa")], 1
    )
    cpu = cell_request(sweep, schedule, cells[("cpu_pure", "threads")], 1, interpreter={},
                       preparations={**prepared, "calibration": "c.json"}, kernel_hash="k")  # fmt: skip
    assert cpu.tasks is None and cpu.calibration == "c.json"


def test_a_payload_is_bytes_and_its_label_is_read_once_at_the_edge():
    cell = Cell.of("m", "py", "w", "threads", "4", "64KiB")
    assert cell == Cell("m", "py", "w", "threads", 4, 65536)
    assert cell.payload == "64KiB" and cell.wildcards()["payload"] == "64KiB"
    assert Cell.of(**cell.wildcards()) == cell
