"""The bare reference and its driver: same work as the cells, both sides printed, no figures asserted."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import REPO, tiny_sweep
from showdown.sweep import load_sweep
from showdown.sweep.matrix import CALIBRATION, PROBE

BARE = REPO / "benchmarks" / "bare_work.py"


def bare(*args):
    done = subprocess.run([sys.executable, str(BARE), *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_the_bare_script_imports_only_the_standard_library():
    tree = ast.parse(BARE.read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= sys.stdlib_module_names, imported - sys.stdlib_module_names
    answer = bare("cpu_gil_released", "threads", "--workers", "2", "--tasks", "4", "--payload-bytes", "4096",
                  "--unit", "2", "--batches", "3")  # fmt: skip
    assert len(answer["wall_seconds"]) == 3 and answer["tasks"] == 4


def test_the_bare_script_returns_the_kernels_bytes():
    from showdown.kernel.catalogue import WORKLOADS
    from showdown.kernel.workloads import batch_checksum

    for kind, model, payload, params in (
        ("cpu_pure", "processes-fork", 1024, {"iterations": 50}),
        ("cpu_gil_released", "serial", 4096, {"bytes_per_task": 8192}),
    ):
        workload = WORKLOADS[kind]
        unit = workload.make_unit(payload, params)
        args = workload.args(6, payload, params)
        expected = batch_checksum([workload.task(arg) for arg in args], 6, payload)
        answer = bare(kind, model, "--workers", "2", "--tasks", "6", "--payload-bytes", str(payload),
                      "--unit", str(unit), "--batches", "1")  # fmt: skip
        assert answer["checksum"] == expected, kind
    started = bare("startup", "processes-spawn", "--workers", "2", "--batches", "1")
    assert started["tasks"] == 2 and len(started["wall_seconds"]) == 1


def test_harness_noise_runs_bare_script_and_cells_interleaved(tmp_path):
    """Two rounds of tiny work from a hand-made results tree: both sides per model, checksums equal."""
    config = tiny_sweep(workloads={
        "cpu_pure": {"models": ["serial", "threads"], "workers": [2], "payloads": ["1KiB"], "iterations": 50},
        "startup": {"models": ["processes-fork"], "workers": [2], "payloads": ["0B"]},
    })  # fmt: skip
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    sweep = load_sweep(config)
    interpreter = next(iter(sweep.interpreters))
    probe = tmp_path / PROBE.format(machine=sweep.machine, interpreter=interpreter)
    probe.parent.mkdir(parents=True)
    probe.write_text(json.dumps({"meta": {}}))
    calibration = tmp_path / CALIBRATION.format(
        machine=sweep.machine, interpreter=interpreter, workload="cpu_pure", payload="1KiB"
    )
    calibration.parent.mkdir(parents=True)
    calibration.write_text(json.dumps({"tasks": 8}))
    table = tmp_path / "noise.tsv"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "harness_noise.py"), "--results", str(tmp_path),
         "--config", str(tmp_path / "config.yaml"), "--rounds", "2", "--workers", "2", "--tsv", str(table)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "cpu_pure p1KiB" in done.stdout and "startup p0B" in done.stdout
    rows = [line.split("\t") for line in table.read_text().splitlines()]
    header, rows = rows[0], rows[1:]
    seen = {(row[header.index("workload")], row[header.index("source")], row[header.index("model")]) for row in rows}
    assert seen == {(w, s, m) for s in ("bare", "cell")
                    for w, m in (("cpu_pure", "serial"), ("cpu_pure", "threads"), ("startup", "processes-fork"))}  # fmt: skip
    assert all(row[header.index("rounds")] == "2" for row in rows)
    speedups = {(row[header.index("source")], row[header.index("model")]): row[header.index("speedup")] for row in rows}
    assert speedups[("bare", "threads")] and speedups[("cell", "threads")]


def test_worker_processes_import_no_more_of_the_kernel_than_they_run(tmp_path):
    """What a spawn or forkserver worker unpickles to start: the lean worker module only."""
    code = (
        "import sys; import showdown.kernel.worker; "
        "print(sorted(m for m in sys.modules if m.startswith('showdown') or m in ('asyncio', 'dataclasses', 'typing')))"
    )
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True,
                          cwd=tmp_path, env={"PYTHONPATH": str(Path(REPO / "src"))})  # fmt: skip
    assert done.stdout.strip() == str(["showdown", "showdown.kernel", "showdown.kernel.worker"])
    from showdown.kernel import models, workloads

    assert models.barrier_task.__module__ == workloads._rotate.__module__ == "showdown.kernel.worker"
