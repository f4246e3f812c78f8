"""The interpreter axis: discovery, per-interpreter venvs, the kernel under every Python,
subinterpreters, free-threaded builds (faked: none can be installed here) and the figure.

Tests marked slow run real interpreters (pyenv's CPythons, Debian's PyPy) and pip; they
skip where one is missing, and fail instead under SHOWDOWN_REQUIRE_ALL=1 (.ci/run).
"""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO, pyenv_python, run_snakemake, skip_or_fail
from showdown.analysis.interpreter_gaps import interpreter_gaps
from showdown.cell import Cell, CellRequest, interpreters
from showdown.cell.interpreters import (
    Interpreter,
    build_env,
    discover,
    interpreter_name,
    interpreters_yaml,
    resolve,
)
from showdown.cell.job import CellJob, cell_rows, run_kernel, staged_kernel
from showdown.cell.supervisor import Outcome
from showdown.figures.interpreters import draw_interpreters
from showdown.sweep.config import ConfigError, load_sweep

PYPY = "/usr/bin/pypy3"
CPYTHONS = {"py39": "3.9", "py310": "3.10", "py312": "3.12", "py313": "3.13"}


def spec(workload, model, workers=2, payload_bytes=1024, tasks=8, **params):
    return dict(kind=workload, model=model, workers=workers, payload_bytes=payload_bytes,
                tasks=tasks, params=params, warmups=1, repetitions=2)  # fmt: skip


def python_of(name):
    """The interpreter behind a sweep name, or skip (fail on CI) when this machine lacks it."""
    if name == "pypy39":
        if not os.access(PYPY, os.X_OK):
            skip_or_fail("no PyPy at /usr/bin/pypy3 (apt-get install pypy3 pypy3-venv)")
        return PYPY
    python = pyenv_python(CPYTHONS[name])
    if python is None:
        skip_or_fail(f"no CPython {CPYTHONS[name]} under pyenv")
    return python


# --- Naming and discovery ------------------------------------------------------------


def test_interpreter_names_follow_the_build():
    assert interpreter_name("CPython", (3, 11, 7)) == "py311"
    assert interpreter_name("PyPy", (3, 9, 16)) == "pypy39"
    assert interpreter_name("CPython", (3, 13, 1), free_threaded=True) == "py313t"
    assert interpreter_name("CPython", (3, 14, 0), free_threaded=True) == "py314t"


def _fake_python(directory: Path, name: str, answer) -> Path:
    """An executable that answers the identity question as ``answer`` would."""
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{json.dumps(answer)}'\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_discovery_names_a_free_threaded_build_and_skips_shims(tmp_path):
    bin_dir, pyenv = tmp_path / "bin", tmp_path / "pyenv"
    (pyenv / "shims").mkdir(parents=True)
    bin_dir.mkdir()
    _fake_python(bin_dir, "python3.13t", ["CPython", [3, 13, 1], False, True])
    _fake_python(bin_dir, "python3.8", ["CPython", [3, 8, 18], True, False])
    _fake_python(bin_dir, "python3.13-config", ["CPython", [3, 13, 1], True, False])  # not a Python
    _fake_python(pyenv / "shims", "python3.12", ["CPython", [3, 12, 1], True, False])
    found = {f.name: f for f in discover(path=f"{bin_dir}{os.pathsep}{pyenv / 'shims'}", pyenv=pyenv)}
    assert set(found) == {"py313t", "py38"}
    threaded = found["py313t"]
    assert threaded.identity.free_threaded and not threaded.identity.gil_enabled
    assert threaded.refusal is None and threaded.command == str(bin_dir / "python3.13t")
    assert "allowed: CPython >= 3.9" in found["py38"].refusal
    block = yaml.safe_load(interpreters_yaml(found.values()))
    assert block == {"interpreters": {"py313t": {"command": [str(bin_dir / "python3.13t")]}}}
    assert "GIL off, free-threaded build" in interpreters_yaml(found.values())


def test_discovery_finds_the_pyenv_cpythons_by_absolute_path():
    root = interpreters.pyenv_root()
    versions = sorted(p.name for p in (root / "versions").glob("3.*") if (p / "bin" / "python").exists())
    wanted = [v for v in versions if tuple(map(int, v.split(".")[:2])) >= (3, 9)]
    if not wanted:
        skip_or_fail(f"no pyenv CPython >= 3.9 under {root}")
    found = {f.command: f for f in discover()}
    for version in wanted:
        command = str(root / "versions" / version / "bin" / "python")
        assert command in found, f"{command} not discovered"
        entry = found[command]
        assert entry.source == "pyenv" and entry.refusal is None
        assert ".".join(map(str, entry.identity.version)) == version
        assert entry.name.startswith(f"py{version.split('.')[0]}{version.split('.')[1]}")
    assert not any("/shims/" in command for command in found)


def test_the_command_prints_a_block_a_sweep_accepts(tiny_config):
    done = subprocess.run([sys.executable, "-m", "showdown.cell.interpreters", "--yaml-only"],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    block = yaml.safe_load(done.stdout)["interpreters"]
    assert block, done.stdout
    sweep = load_sweep(dict(tiny_config, interpreters=block))
    assert set(sweep.interpreters) == set(block)
    entry_point = Path(sys.executable).with_name("showdown-interpreters")
    assert entry_point.exists(), "pip install -e . declares the showdown-interpreters script"


# --- Config: packages ----------------------------------------------------------------


def test_packages_are_read_and_checked(tiny_config):
    here = {"command": [sys.executable], "packages": ["uvloop", "interpreters-pep-734"]}
    sweep = load_sweep(dict(tiny_config, interpreters={"here": here}))
    assert sweep.interpreters["here"].packages == ("uvloop", "interpreters-pep-734")
    assert (
        load_sweep(dict(tiny_config, interpreters={"here": {"command": sys.executable}})).interpreters["here"].packages
        == ()
    )
    with pytest.raises(ConfigError, match=r"interpreters.here.packages\[0\]"):
        load_sweep(dict(tiny_config, interpreters={"here": dict(here, packages=["--index-url=x"])}))


# --- Per-interpreter environments ----------------------------------------------------


def test_a_failed_pip_is_recorded_and_the_interpreter_runs_bare(tmp_path):
    """Offline and fast: pip refuses the requirement itself."""
    bare = Interpreter("here", (sys.executable,), packages=("not-a-requirement!!",))
    record_path = tmp_path / "envs/m/here.json"
    record = build_env(bare, str(tmp_path / "envs/m/here"), str(record_path))
    assert record["status"] == "failed" and record["failed_step"] == "pip"
    assert "requirement" in record["message"].lower(), record["message"]
    assert (tmp_path / "envs/m/here").is_dir()  # the rule's directory output exists anyway
    assert json.loads(record_path.read_text())["message"] == record["message"]
    resolved, failure = resolve(Interpreter("here", (sys.executable,), packages=bare.packages,
                                            env_record=str(record_path)))  # fmt: skip
    assert resolved.command == (sys.executable,)
    assert failure == f"environment not built: {record['message']}"


def _job(interpreter, failure=None):
    request = CellRequest(cell=Cell("m", interpreter.name, "cpu_pure", "subinterpreters", 2, 64), round=1,
                          interpreter=interpreter.to_params(), kind="cpu_pure", params={}, warmups=1, repetitions=2,
                          timeout_seconds=60, config_hash="c", kernel_hash="k", seed=1, position=0, probe="p.json",
                          tasks=4)  # fmt: skip
    return CellJob(request=request, interpreter=interpreter, tasks=4, environment_failure=failure)


def _outcome():
    return Outcome(0, "", "", False, 0.5, 1, 1, 1, 0)


def test_a_model_missing_its_package_names_the_failed_environment():
    answer = {"status": "not_applicable", "message": "no InterpreterPoolExecutor: ...", "meta": {}}
    job = _job(Interpreter("py313", ("python",)), failure="environment not built: ERROR: no network")
    [row] = cell_rows(job, _outcome(), answer, {}, "2026-01-01T00:00:00Z")
    assert row["status"] == "not_applicable"
    assert row["message"].startswith("environment not built: ERROR: no network")
    assert "no InterpreterPoolExecutor" in row["message"]


def test_a_free_threaded_answer_is_recorded_with_the_gil_off():
    meta = {"gil_enabled": False, "python_version": "3.13.1", "python_implementation": "CPython"}
    sample = {"repetition": 0, "warmup": False, "tasks": 4, "wall_seconds": 0.1, "checksum": "ab"}
    answer = {"status": "ok", "samples": [sample], "meta": meta}
    [row] = cell_rows(_job(Interpreter("py313t", ("python3.13t",))), _outcome(), answer, {}, "t")
    assert row["gil_enabled"] is False and row["interpreter"] == "py313t"


def test_the_probe_records_a_free_threaded_run(monkeypatch):
    from showdown.kernel import capabilities

    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    monkeypatch.setattr(capabilities, "start_method_works", lambda method: "ok")
    monkeypatch.setattr("showdown.kernel.subinterpreters.self_test", lambda: ("stdlib", "ok"))
    answer = capabilities.probe()
    assert answer["gil_enabled"] is False
    assert answer["subinterpreters"] == {"pool": "stdlib", "works": "ok"}
    assert isinstance(answer["free_threaded_build"], bool)


@pytest.mark.slow
def test_the_env_rule_builds_a_venv_with_uvloop_for_py311(tmp_path, tiny_config):
    python = pyenv_python("3.11")
    if python is None:
        skip_or_fail("no CPython 3.11 under pyenv")
    config = dict(tiny_config, machine="m", interpreters={"py311": {"command": [python], "packages": ["uvloop"]}})
    run_snakemake(tmp_path, "results/envs/m/py311.json", config=config)
    record = json.loads((tmp_path / "results/envs/m/py311.json").read_text())
    venv_python = tmp_path / "results/envs/m/py311/bin/python"
    if record["status"] != "ok":
        assert record["message"] and record["failed_step"] in ("venv", "pip")
        skip_or_fail(f"pip could not install uvloop here (recorded honestly): {record['message']}")
    assert any(line.lower().startswith("uvloop==") for line in record["installed"]), record["installed"]
    done = subprocess.run([str(venv_python), "-c", "import uvloop, sys; print(sys.prefix)"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 and Path(done.stdout.strip()) == tmp_path / "results/envs/m/py311"
    # Never into the workflow's own environment, nor the interpreter's.
    for own in (sys.executable, python):
        check = subprocess.run([own, "-c", "import uvloop; print(uvloop.__file__)"], capture_output=True, text=True)
        assert str(tmp_path) not in check.stdout


# --- The kernel under every interpreter ----------------------------------------------


@pytest.fixture(scope="module")
def serial_checksum():
    outcome, answer = run_kernel(Interpreter("here", (sys.executable,)), "run",
                                 spec("cpu_pure", "serial", workers=1, iterations=200), 120)  # fmt: skip
    assert answer and answer["status"] == "ok", outcome.stderr
    return answer["checksum"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["py39", "py310", "py312", "py313", "pypy39"])
def test_a_small_cpu_pure_cell_runs_under(name, serial_checksum):
    python = python_of(name)
    for model, workers in (("serial", 1), ("threads", 2), ("processes-fork", 2)):
        outcome, answer = run_kernel(Interpreter(name, (python,)), "run",
                                     spec("cpu_pure", model, workers, iterations=200), 120)  # fmt: skip
        assert answer is not None, outcome.stderr
        assert answer["status"] == "ok", answer
        # The same arithmetic on the same payload: the same answer under every Python.
        assert answer["checksum"] == serial_checksum
        assert answer["meta"]["python_executable"] == python or name == "pypy39"
        assert answer["meta"]["gil_enabled"] is True


@pytest.mark.slow
def test_pypy_process_pools_of_forkserver_and_spawn_are_not_applicable():
    python = python_of("pypy39")
    for method in ("forkserver", "spawn"):
        outcome, answer = run_kernel(Interpreter("pypy39", (python,)), "run",
                                     spec("cpu_pure", f"processes-{method}", iterations=100), 120)  # fmt: skip
        assert answer is not None, f"the kernel crashed: {outcome.failure()}"
        assert answer["status"] == "not_applicable", answer
        assert answer["message"], answer


# --- Subinterpreters -----------------------------------------------------------------


@pytest.fixture(scope="module")
def py313_with_backport(tmp_path_factory):
    """CPython 3.13 in a venv of its own with interpreters-pep-734 (the rule's code)."""
    python = python_of("py313")
    root = tmp_path_factory.mktemp("envs")
    record = build_env(Interpreter("py313", (python,), packages=("interpreters-pep-734",)),
                       str(root / "py313"), str(root / "py313.json"))  # fmt: skip
    if record["status"] != "ok":
        skip_or_fail(f"could not install interpreters-pep-734: {record['message']}")
    resolved, failure = resolve(Interpreter("py313", (python,), packages=("interpreters-pep-734",),
                                            env_record=str(root / "py313.json")))  # fmt: skip
    assert failure is None and resolved.command[0].startswith(str(root))
    return resolved


@pytest.mark.slow
@pytest.mark.parametrize("workload, params", [
    ("cpu_pure", {"iterations": 2000}),
    ("cpu_gil_released", {"bytes_per_task": 1 << 16}),
    ("io_sleep", {"latency_ms": 2}),
])  # fmt: skip
def test_subinterpreters_on_313_give_every_models_checksum(py313_with_backport, workload, params):
    checksums = {}
    for model, workers in (("serial", 1), ("threads", 2), ("subinterpreters", 2)):
        outcome, answer = run_kernel(py313_with_backport, "run",
                                     spec(workload, model, workers, payload_bytes=4096, **params), 120)  # fmt: skip
        assert answer is not None, outcome.failure()
        assert answer["status"] == "ok", answer
        checksums[model] = {s["checksum"] for s in answer["samples"]}
        if model == "subinterpreters":
            assert answer["pool_start_seconds"] > 0  # the barrier ran, timed apart
    assert len({frozenset(c) for c in checksums.values()}) == 1, checksums


@pytest.mark.slow
def test_the_subinterpreter_barrier_finds_a_pool_short_of_workers(py313_with_backport):
    """Two workers asked for, one started: start() says so instead of going on."""
    code = """
import showdown.kernel.subinterpreters as s
s.BARRIER_TIMEOUT_SECONDS = 2
model = s.Subinterpreters(2)
pool = model.pool
model.pool = lambda max_workers: pool(max_workers=1)
try:
    model.start([(0, b"a", None), (1, b"b", None)])
    print("started")
except s.SubinterpreterBarrierTimeout as error:
    print(error)
finally:
    model.stop()
"""
    with staged_kernel() as root:
        env = {**os.environ, "PYTHONPATH": str(root / "path")}
        done = subprocess.run([*py313_with_backport.command, "-c", code], env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.stdout.strip().startswith("1 of 2 subinterpreters started within 2 s"), done.stdout + done.stderr


@pytest.mark.slow
def test_the_probe_tries_a_subinterpreter_pool(py313_with_backport):
    outcome, answer = run_kernel(py313_with_backport, "probe", {}, 300)
    assert answer is not None, outcome.failure()
    assert answer["subinterpreters"] == {"pool": "backport", "works": "ok"}


@pytest.mark.slow
@pytest.mark.parametrize("name, reason", [
    ("py313", "3.13 with interpreters-pep-734; this is CPython 3.13"),
    ("py312", "needs Python 3.14, or 3.13"),
    ("pypy39", "has no subinterpreters"),
])  # fmt: skip
def test_subinterpreters_elsewhere_are_not_applicable_with_the_reason(name, reason):
    outcome, answer = run_kernel(Interpreter(name, (python_of(name),)), "run",
                                 spec("cpu_pure", "subinterpreters", iterations=100), 120)  # fmt: skip
    assert answer is not None, outcome.failure()
    assert answer["status"] == "not_applicable" and reason in answer["message"], answer


@pytest.mark.slow
def test_a_sweep_with_a_failed_environment_goes_on(tmp_path, tiny_config):
    """pip fails (offline: a requirement it refuses); the venv-less model is not applicable
    with pip's last line, the others are measured, and the report's figure renders."""
    python = python_of("py313")
    config = dict(
        tiny_config,
        machine="m",
        rounds={"base": 1, "max": 1},
        interpreters={"py313": {"command": [python], "packages": ["not-a-requirement!!"]}},
        workloads={
            "cpu_pure": {"models": ["serial", "threads", "subinterpreters"], "workers": [2], "payloads": ["64B"]}
        },  # fmt: skip
    )
    run_snakemake(tmp_path, config=config, timeout=900)
    record = json.loads((tmp_path / "results/envs/m/py313.json").read_text())
    assert record["status"] == "failed"
    table = pd.read_csv(tmp_path / "results/matrix/not_applicable.tsv", sep="\t")
    [reason] = table.loc[table["model"] == "subinterpreters", "reason"]
    assert reason.startswith(f"environment not built: {record['message']}")
    cells = pd.read_csv(tmp_path / "results/aggregate/cells.tsv", sep="\t")
    assert set(cells["model"]) == {"serial", "threads"}
    probe = json.loads((tmp_path / "results/probe/m/py313.json").read_text())
    assert probe["environment"]["failure"].startswith("environment not built")
    assert (tmp_path / "results/report/interpreters.png").stat().st_size > 0


# --- The figure ----------------------------------------------------------------------

MODELS = ("serial", "threads", "processes-fork", "subinterpreters")
SPEED = {"serial": 1.0, "threads": 1.0, "processes-fork": 0.55, "subinterpreters": 0.6}


def synthetic(interpreters=("py312", "py313t")):
    """Samples and cells of a cpu_pure group under each interpreter; py313t has the GIL off
    and its threads scale like processes."""
    rng = np.random.default_rng(1)
    samples, cells = [], []
    for interpreter in interpreters:
        threaded = interpreter.endswith("t")
        for model in MODELS:
            if interpreter == "py312" and model == "subinterpreters":
                continue  # not applicable there
            workers = 1 if model == "serial" else 2
            seconds = 0.5 if (threaded and model == "threads") else SPEED[model]
            base = dict(machine="vm", interpreter=interpreter, workload="cpu_pure", kind="cpu_pure",
                        model=model, workers=workers, payload_bytes=1024)  # fmt: skip
            for round in (1, 2, 3):
                for repetition in range(3):
                    samples.append(dict(base, round=round, repetition=repetition, measured=True,
                                        wall_seconds=seconds * rng.uniform(0.98, 1.02),
                                        gil_enabled=not threaded))  # fmt: skip
            speedup = SPEED["serial"] / seconds
            cells.append(dict(base, config_hash="c", speedup=np.nan if model == "serial" else speedup,
                              speedup_ci_low=speedup * 0.95, speedup_ci_high=speedup * 1.05,
                              python_version="3.13.1" if threaded else "3.12.1",
                              gil_enabled=not threaded))  # fmt: skip
    return pd.DataFrame(cells), pd.DataFrame(samples)


def tick_labels(figure):
    return [t.get_text() for ax in figure.axes for t in ax.get_xticklabels()]


def test_gaps_are_ratios_to_processes_with_intervals():
    _, samples = synthetic()
    gaps = interpreter_gaps(samples).set_index(["interpreter", "model"])
    assert set(gaps.index) == {("py312", "threads"), ("py313t", "threads"), ("py313t", "subinterpreters")}
    assert (gaps["versus"] == "processes-fork").all()
    threads_312 = gaps.loc[("py312", "threads")]
    assert threads_312["ci_low"] <= threads_312["ratio"] <= threads_312["ci_high"]
    assert threads_312["ratio"] == pytest.approx(1.0 / 0.55, rel=0.05)
    assert gaps.loc[("py313t", "threads"), "ratio"] < 1  # GIL off: threads beat processes


def test_narrow_pairs_of_panels_go_two_to_a_row():
    cells, samples = synthetic()
    figure = draw_interpreters(cells, interpreter_gaps(samples))
    drawn = [ax for ax in figure.axes if ax.axison]
    rows = {round(ax.get_position().y0, 3) for ax in drawn}
    assert len(rows) == -(-len(drawn) // 4)  # two interpreters: two works (four panels) a row
    plt.close(figure)


def test_the_figure_names_the_best_model_and_the_gil_state():
    cells, samples = synthetic()
    figure = draw_interpreters(cells, interpreter_gaps(samples))
    labels = tick_labels(figure)
    assert any("py313t" in label and "GIL off" in label and "fastest: threads" in label for label in labels)
    assert any("py312" in label and "fastest: processes-fork" in label for label in labels)
    assert "interpreters: py312, py313t" in figure._suptitle.get_text()
    assert any("GIL off" in text.get_text() for text in figure.texts)
    plt.close(figure)


def test_the_figure_takes_the_best_model_from_the_verdicts():
    cells, samples = synthetic()
    where = dict(machine="vm", workload="cpu_pure", payload_bytes=1024, workers=2)
    verdicts = pd.DataFrame([
        {**where, "interpreter": "py312", "label": "equivalent", "winner": None, "fastest": "processes-fork",
         "unbeaten": "processes-fork,serial"},
        {**where, "interpreter": "py313t", "label": "win", "winner": "threads", "fastest": "threads",
         "unbeaten": "threads"},
    ])  # fmt: skip
    figure = draw_interpreters(cells, interpreter_gaps(samples), verdicts=verdicts)
    labels = tick_labels(figure)
    assert any("py312" in label and "equivalent:\nprocesses-fork\nserial" in label for label in labels)
    assert any("py313t" in label and "wins: threads" in label for label in labels)
    edged = [p.get_gid() for ax in figure.axes for p in ax.patches if p.get_linewidth() == 2]
    assert sorted(edged) == ["bar:py312:processes-fork", "bar:py313t:threads"]
    plt.close(figure)


def test_the_figure_renders_with_one_interpreter(tmp_path):
    cells, samples = synthetic(("py312",))
    figure = draw_interpreters(cells, interpreter_gaps(samples))
    assert "interpreter: py312" in figure._suptitle.get_text()
    figure.savefig(tmp_path / "one.png")
    assert (tmp_path / "one.png").stat().st_size > 0
    plt.close(figure)
    empty = draw_interpreters(pd.DataFrame(), pd.DataFrame())
    assert any("no data" in t.get_text() for ax in empty.axes for t in ax.texts)
    plt.close(empty)
    # No process model measured: the speedups are drawn, the gaps panel says why it is empty.
    no_gaps = draw_interpreters(cells, pd.DataFrame())
    assert any("no process model measured" in t.get_text() for ax in no_gaps.axes for t in ax.texts)
    plt.close(no_gaps)


def test_the_figure_draws_the_gaps_table_and_computes_none():
    cells, samples = synthetic()
    gaps = interpreter_gaps(samples)
    # Ratios no bootstrap of these samples gives: the figure must draw the table's.
    gaps = gaps.assign(ratio=[0.25, 0.5, 4.0], ci_low=[0.2, 0.4, 3.0], ci_high=[0.3, 0.6, 5.0])
    figure = draw_interpreters(cells, gaps)
    drawn = sorted(y for ax in figure.axes for c in ax.containers if "/ processes" in c.get_label()
                   for y in c.lines[0].get_ydata())  # fmt: skip
    assert drawn == [0.25, 0.5, 4.0]
    plt.close(figure)


@pytest.mark.slow
def test_subinterpreters_on_313_await_an_async_function(py313_with_backport):
    """Issue 27 under the one model 3.11 cannot run: a loop per subinterpreter, every task awaited."""
    spec = {
        "kind": "callable", "model": "subinterpreters", "workers": 2, "payload_bytes": 64, "tasks": 8,
        "params": {"function": "showdown_testwork.work:wait_then_count", "path": str(REPO / "tests" / "user_code"),
                   "input": "showdown_testwork.work:make_input_async", "check": "showdown_testwork.work:check_async"},
        "warmups": 0, "repetitions": 1,
    }  # fmt: skip
    outcome, answer = run_kernel(py313_with_backport, "run", spec, 120)
    assert answer is not None, outcome.failure()
    assert answer["status"] == "ok", answer
    assert [sample["tasks"] for sample in answer["samples"]] == [8]
