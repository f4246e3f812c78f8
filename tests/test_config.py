"""Configuration: every bad value is stopped before any job, naming its key and what is allowed."""

import copy
import os
import re
import subprocess
import sys

import pytest
import yaml

from conftest import REPO, SNAKEMAKE, run_snakemake, tiny_sweep
from showdown.kernel.catalogue import WORKLOADS
from showdown.kernel.models import MODELS
from showdown.kernel.sizes import parse_size, size_label
from showdown.sweep.config import ConfigError, load_sweep
from showdown.sweep.matrix import Schedule, cell_path, expand_cells, not_applicable_cells
from showdown.sweep.schema import load_schema


def with_change(path, value):
    """The tiny sweep with one value changed (path like 'workloads.cpu_pure.workers')."""
    config = tiny_sweep()
    node = config
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return config


DELETE = object()

# (what is wrong, the config, text the message must contain: the key, then what is allowed)
BAD_CONFIGS = [
    (
        "unknown workload kind",
        with_change("workloads.matmul", {"models": ["threads"], "workers": [2], "payloads": [1]}),
        ["workloads.matmul.kind", "cpu_pure", "io_sleep"],
    ),
    (
        "unknown model",
        with_change("workloads.cpu_pure.models", ["threads", "greenlets"]),
        ["workloads.cpu_pure.models[1]", "'greenlets'", "processes-spawn"],
    ),
    (
        "unknown start method",
        with_change("workloads.cpu_pure.models", ["processes-vfork"]),
        ["workloads.cpu_pure.models[0]", "processes-forkserver"],
    ),
    (
        "zero workers",
        with_change("workloads.cpu_pure.workers", [0, 2]),
        ["workloads.cpu_pure.workers[0]", "0 is not a worker count", "integer >= 1", "cores/2"],
    ),
    (
        "negative workers",
        with_change("workloads.cpu_pure.workers", [-4]),
        ["workloads.cpu_pure.workers[0]", "integer >= 1"],
    ),
    (
        "non-integer workers",
        with_change("workloads.cpu_pure.workers", [2.5]),
        ["workloads.cpu_pure.workers[0]", "integer >= 1"],
    ),
    (
        "workers relative to something else",
        with_change("workloads.cpu_pure.workers", [2, "cores+1"]),
        ["workloads.cpu_pure.workers[1]", "'cores+1' is not a worker count", "`cores`", "2*cores, cores*2, cores/2"],
    ),
    (
        "workers as a fraction of nothing",
        with_change("workloads.cpu_pure.workers", ["cores/0"]),
        ["workloads.cpu_pure.workers[0]", "cores/2"],
    ),
    (
        "a size in parsecs",
        with_change("workloads.cpu_pure.payloads", ["12 parsecs"]),
        ["workloads.cpu_pure.payloads[0]", "'12 parsecs'", "KiB"],
    ),
    ("negative payload", with_change("workloads.cpu_pure.payloads", [-1]), ["workloads.cpu_pure.payloads[0]", "KiB"]),
    ("zero repetitions", with_change("repetitions", 0), ["repetitions", "minimum of 1"]),
    ("margin of 1", with_change("margin", 1), ["margin", "maximum of 1"]),
    ("margin of 0", with_change("margin", 0), ["margin", "minimum of 0"]),
    (
        "margin of an unknown metric",
        with_change("margin", {"wall": 0.05, "latency": 0.1}),
        ["margin", "'latency'", "allowed keys: cpu, memory, wall, workloads"],
    ),
    (
        "a workload margin above 1",
        with_change("margin", {"workloads": {"cpu_pure": {"wall": 2}}}),
        ["margin.workloads.cpu_pure.wall", "maximum of 1"],
    ),
    (
        "a margin for no such workload",
        with_change("margin", {"workloads": {"cpu_puer": {"wall": 0.1}}}),
        ["margin.workloads.cpu_puer", "no such workload", "cpu_pure"],
    ),
    ("alpha above 1", with_change("alpha", 1.5), ["alpha", "maximum of 1"]),
    ("unknown top-level key", with_change("sead", 3), ["(top level)", "'sead'", "allowed keys:", "seed"]),
    (
        "unknown workload key",
        with_change("workloads.io_sleep.latency", 3),
        ["workloads.io_sleep", "'latency'", "latency_ms"],
    ),
    ("wrong type", with_change("seed", "abc"), ["seed", "integer"]),
    ("empty matrix", with_change("workloads", {}), ["workloads", "should be non-empty"]),
    ("no models", with_change("workloads.cpu_pure.models", []), ["workloads.cpu_pure.models", "non-empty"]),
    (
        "missing payloads",
        with_change("workloads.cpu_pure.payloads", DELETE),
        ["workloads.cpu_pure", "'payloads' is a required property"],
    ),
    ("max rounds below base", with_change("rounds", {"base": 3, "max": 2}), ["rounds.max", "max >= base"]),
    (
        "interpreter that does not exist",
        with_change("interpreters", {"ghost": {"command": ["/no/such/python"]}}),
        ["interpreters.ghost.command", "does not exist"],
    ),
    (
        "interpreter that is not Python",
        with_change("interpreters", {"shell": {"command": ["/bin/echo"]}}),
        ["interpreters.shell.command", "did not answer as a Python interpreter"],
    ),
    (
        "interpreter too old",
        with_change("interpreters", {"old": {"command": ["python2.7"]}}),
        ["interpreters.old.command"],
    ),
    (
        "bad interpreter name",
        with_change("interpreters", {"Py 3": {"command": [sys.executable]}}),
        ["interpreters", "'Py 3'", "must match"],
    ),
    (
        "twin without its model",
        with_change("workloads.startup.models", ["threads.aa"]),
        ["workloads.startup.models", "needs its model 'threads'"],
    ),
    (
        "parameter of another kind",
        with_change("workloads.cpu_pure.latency_ms", 3),
        ["workloads.cpu_pure.latency_ms", "allowed here: iterations"],
    ),
    (
        "zero-byte hash payload",
        with_change(
            "workloads.gil", {"kind": "cpu_gil_released", "models": ["threads"], "workers": [2], "payloads": [0]}
        ),
        ["workloads.gil.payloads", "at least 1 byte"],
    ),
    ("bad machine label", with_change("machine", "my laptop"), ["machine", "does not match"]),
    (
        "requests that fill no whole connection",
        with_change(
            "workloads.net",
            {
                "kind": "io_net",
                "models": ["threads"],
                "workers": [4],
                "payloads": [64],
                "tasks": 10,
                "requests_per_connection": 4,
            },
        ),
        ["workloads.net.tasks", "requests_per_connection (4)", "a multiple of it"],
    ),
    (
        "no server process",
        with_change(
            "workloads.net",
            {"kind": "io_net", "models": ["threads"], "workers": [4], "payloads": [64], "server_processes": 0},
        ),
        ["workloads.net.server_processes", "minimum of 1"],
    ),
    (
        "keep-alive on another kind",
        with_change("workloads.cpu_pure.requests_per_connection", 2),
        ["workloads.cpu_pure.requests_per_connection", "allowed here: iterations"],
    ),
    (
        "handoff and transfer in one comparison",
        with_change(
            "workloads.ipc",
            {"kind": "ipc_transfer", "models": ["queue_threads", "pipe-fork"], "workers": [2], "payloads": [64]},
        ),
        ["workloads.ipc.models", "within one process", "between processes", "queue_threads", "pipe-fork"],
    ),
    ("disturbed share above the machine", with_change("disturbed_share", 1.5), ["disturbed_share", "maximum of 1"]),
    (
        "interpreter timeout of zero",
        with_change("interpreters", {"py": {"command": [sys.executable], "cell_timeout_seconds": 0}}),
        ["interpreters.py.cell_timeout_seconds", "less than or equal to the minimum of 0"],
    ),
]


@pytest.mark.parametrize("what, config, expected", BAD_CONFIGS, ids=[b[0] for b in BAD_CONFIGS])
def test_bad_config_is_rejected_naming_key_and_allowed_values(what, config, expected):
    if what == "interpreter too old" and not _exists("python2.7"):
        config["interpreters"]["old"]["command"] = [_fake_old_python()]
    with pytest.raises(ConfigError) as caught:
        load_sweep(config)
    message = str(caught.value)
    for text in expected:
        assert text in message, f"{what}: {text!r} not in:\n{message}"


def _exists(name):
    import shutil

    return shutil.which(name) is not None


def _fake_old_python():
    """A pyenv CPython older than 3.9 if there is one (pyenv here carries 3.6-3.8)."""
    from conftest import pyenv_python

    for version in ("3.8", "3.7", "3.6"):
        python = pyenv_python(version)
        if python:
            return python
    pytest.skip("no Python older than 3.9 to try")


def test_there_are_at_least_fifteen_bad_configs():
    assert len(BAD_CONFIGS) >= 15


def test_bad_config_stops_snakemake_before_any_job(tmp_path):
    done = run_snakemake(tmp_path, "-n", config=with_change("workloads.cpu_pure.workers", [0]), check=False)
    assert done.returncode != 0
    assert "workloads.cpu_pure.workers[0]" in done.stdout + done.stderr
    assert not (tmp_path / "results").exists()


def test_schema_lists_exactly_the_kernel_models_and_kinds():
    entry = load_schema()["properties"]["workloads"]["additionalProperties"]["properties"]
    models = set(entry["models"]["items"]["enum"])
    assert models >= set(MODELS) | {f"{m}.aa" for m in MODELS}
    assert set(entry["kind"]["enum"]) == set(WORKLOADS)


def test_defaults_are_filled_in():
    sweep = load_sweep({"workloads": {"cpu_pure": {"models": ["threads"], "workers": [2], "payloads": ["1KiB"]}}})
    assert sweep["rounds"] == {"base": 5, "max": 5, "extra_seconds": 0} and sweep["repetitions"] == 2
    assert sweep["margin"] == {"wall": 0.05, "cpu": 0.05, "memory": 0.05, "workloads": {}}
    assert sweep["precision"] == 0.03
    assert list(sweep.interpreters) == [f"py{sys.version_info[0]}{sys.version_info[1]}"]
    assert sweep.workloads["cpu_pure"].params_dict() == {"iterations": 20000}


def test_an_interpreters_timeout_is_over_the_workloads_and_its_own():
    config = tiny_sweep(cell_timeout_seconds=120, interpreters={
        "slow": {"command": [sys.executable], "cell_timeout_seconds": 2},
        "other": {"command": [sys.executable]}})  # fmt: skip
    config["workloads"]["io_sleep"]["timeout_seconds"] = 30
    sweep = load_sweep(config)
    assert [sweep.timeout_seconds("slow", w) for w in ("cpu_pure", "io_sleep")] == [2, 2]
    assert [sweep.timeout_seconds("other", w) for w in ("cpu_pure", "io_sleep")] == [120, 30]


def test_config_hash_ignores_neighbours_and_coordinates():
    config = tiny_sweep()
    before = load_sweep(config)
    grown = copy.deepcopy(config)
    grown["workloads"]["cpu_pure"]["workers"] = [2, 4]
    grown["workloads"]["cpu_pure"]["models"].append("asyncio")
    grown["workloads"]["extra"] = {
        "kind": "cpu_gil_released",
        "models": ["threads"],
        "workers": [2],
        "payloads": [4096],
    }
    after = load_sweep(grown)
    for workload in config["workloads"]:
        assert before.config_hash(workload) == after.config_hash(workload)
    changed = copy.deepcopy(config)
    changed["workloads"]["io_sleep"]["latency_ms"] = 3
    assert load_sweep(changed).config_hash("io_sleep") != before.config_hash("io_sleep")
    assert load_sweep(changed).config_hash("cpu_pure") == before.config_hash("cpu_pure")


def test_sizes_have_one_canonical_label():
    assert [size_label(parse_size(v)) for v in (0, 64, "1KiB", "1 KiB", 1024, "16MiB", 1536)] == [
        "0B",
        "64B",
        "1KiB",
        "1KiB",
        "1KiB",
        "16MiB",
        "1536B",
    ]
    with pytest.raises(ValueError):
        parse_size("12 parsecs")


def test_matrix_expands_serial_once_and_caps_processes():
    config = tiny_sweep(process_workers_cap=2)
    config["workloads"]["cpu_pure"]["workers"] = [2, 4]
    sweep = load_sweep(config)
    cells = expand_cells(sweep)
    cpu = [c for c in cells if c.workload == "cpu_pure"]
    assert sorted((c.model, c.workers) for c in cpu) == [
        ("processes-fork", 2),
        ("serial", 1),
        ("threads", 2),
        ("threads", 4),
    ]
    assert [(c.model, c.workers, r) for c, r in not_applicable_cells(sweep)] == [
        ("processes-fork", 4, "4 processes exceed process_workers_cap (2)")
    ]


def test_schedule_visits_every_cell_once_per_round_in_a_chain():
    sweep = load_sweep(tiny_sweep())
    schedule = Schedule(sweep)
    for group, cells in schedule.groups.items():
        chain = []
        for round in (1, 2):
            order = schedule.order(group, round)
            assert sorted(order) == sorted(cells)  # a round visits every cell of the group
            chain += [cell_path(cell, round) for cell in order]
        # Each job's predecessor is the job before it: one chain through both rounds.
        previous = [schedule.previous(c, r) for r in (1, 2) for c in schedule.order(group, r)]
        assert previous == [None, *chain[:-1]]


def test_schedule_of_a_group_does_not_depend_on_other_workloads():
    config = tiny_sweep()
    before = Schedule(load_sweep(config))
    config["workloads"]["extra"] = {"kind": "cpu_pure", "models": ["threads"], "workers": [3], "payloads": [8]}
    after = Schedule(load_sweep(config))
    for group in before.groups:
        assert before.order(group, 1) == after.order(group, 1)


def test_a_retired_key_says_what_became_of_it():
    with pytest.raises(ConfigError, match="bootstrap_resamples: removed: every interval is a round-level"):
        load_sweep({**tiny_sweep(), "bootstrap_resamples": 2000})


def test_a_matrix_with_nothing_applicable_is_refused_before_any_cell():
    from showdown.sweep import Schedule

    sweep = load_sweep({"workloads": {"io_net": {"models": ["asyncio_processes-fork"], "workers": [2],
                                                 "payloads": ["64B"]}}})  # fmt: skip
    with pytest.raises(ConfigError, match="the matrix is empty"):
        Schedule(sweep)


def test_worker_counts_follow_the_machine_and_are_measured_once():
    config = with_change("workloads.cpu_pure.workers", [2, "cores", "2*cores", "cores * 2", "cores/4"])
    assert load_sweep(config, cores=16).workloads["cpu_pure"].workers == (2, 4, 16, 32)
    # On 2 cores 2, cores and cores/4 (rounded up to 1, never 0) meet: each count once.
    assert load_sweep(config, cores=2).workloads["cpu_pure"].workers == (1, 2, 4)


def test_showdown_cores_plans_another_machine_and_a_bad_value_is_named(monkeypatch):
    config = with_change("workloads.cpu_pure.workers", ["cores"])
    monkeypatch.setenv("SHOWDOWN_CORES", "64")
    assert load_sweep(config).workloads["cpu_pure"].workers == (64,)
    monkeypatch.setenv("SHOWDOWN_CORES", "many")
    with pytest.raises(ConfigError, match="SHOWDOWN_CORES: 'many' is not a CPU count; allowed: an integer >= 1"):
        load_sweep(config)


def test_an_override_that_is_not_this_machine_is_named_as_such(monkeypatch):
    from showdown.sweep.config import another_machines_cores

    monkeypatch.delenv("SHOWDOWN_CORES", raising=False)
    assert another_machines_cores(2, 2) is None
    monkeypatch.setenv("SHOWDOWN_CORES", "64")
    assert another_machines_cores(64, 64) is None  # this machine's own count: a real run may go on
    assert "SHOWDOWN_CORES=64 but this machine has 2 usable CPUs" in another_machines_cores(64, 2)


def test_a_real_run_that_would_measure_under_another_machines_cores_is_refused_before_any_job(tmp_path):
    done = subprocess.run([SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--cores", "1", "--configfile",
                           str(REPO / "config" / "test.yaml")], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "SHOWDOWN_CORES": "999"})  # fmt: skip
    assert done.returncode != 0 and "SHOWDOWN_CORES=999 but this machine has" in done.stdout + done.stderr
    assert not (tmp_path / "results").exists()


def test_calibration_gives_each_worker_a_quarter_of_the_serial_target():
    config = with_change("workloads.cpu_pure.workers", [2, "cores", "2*cores"])
    seconds = config["calibration_seconds"]
    assert load_sweep(config, cores=2).calibration_target("cpu_pure") == seconds  # today's, on 2 cores
    assert load_sweep(config, cores=64).calibration_target("cpu_pure") == seconds * 128 / 4


def header_counts():
    """The default config header's (jobs, cell jobs) by core count, checked to be labelled."""
    text = (REPO / "config" / "config.yaml").read_text()
    found = re.findall(
        r"^#\s+(\d+) cores: (\d+) jobs, (\d+) of them cell jobs.*(measured|an estimate)$", text, flags=re.M
    )
    return {int(cores): (int(jobs), int(cells)) for cores, jobs, cells, _ in found}


def test_default_config_header_gives_the_cell_jobs_of_2_16_and_64_cores():
    header = header_counts()
    assert sorted(header) == [2, 16, 64]
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for cores, (_, cells) in header.items():
        sweep = load_sweep(config, cores=cores)
        assert len(Schedule(sweep).cells) * sweep["rounds"]["base"] == cells, cores  # a dry run plans the base


def test_readme_cluster_commands_run_as_written_and_plan_the_header_sweep(tmp_path):
    """The README's submit command and its results-home commands, as dry runs in a clone's root,
    with a fake sinfo listing 64-CPU nodes: both plan the header's 64-core sweep (all its jobs)."""
    for name in ("Snakefile", "workflow", "config", "profiles", "report"):
        (tmp_path / name).symlink_to(REPO / name)
    (tmp_path / "bin").mkdir()
    sinfo = tmp_path / "bin" / "sinfo"
    # As `sinfo -N --format=%N|%P|%c|%f` lists them: one node per line and partition.
    sinfo.write_text("#!/bin/sh\nprintf 'n1|debug*|2|(null)\\nn2|compute|64|(null)\\n'\n")
    sinfo.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOWDOWN_SLURM") and k != "SHOWDOWN_CORES"}
    env["PATH"] = f"{tmp_path / 'bin'}:{os.path.dirname(SNAKEMAKE)}:{env['PATH']}"
    readme = (REPO / "README.md").read_text()
    cluster = readme[readme.index("## Running on a cluster") :]
    blocks = re.findall(r"```sh\n(.*?)```", cluster, flags=re.S)
    submit = blocks[0].splitlines()[0] + " -n"
    home_block = re.findall(r"```sh\n(.*?)```", cluster[cluster.index("**Bringing the results home.**") :], flags=re.S)[
        0
    ]
    home = "\n".join(
        line.split("#")[0] for line in home_block.splitlines() if line.startswith(("export ", "snakemake -n"))
    )
    header = header_counts()
    for script in (submit, home):
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, script + "\n" + done.stdout[-3000:] + done.stderr[-3000:]
        jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", done.stdout, flags=re.M))
        assert (int(jobs["total"]), int(jobs["run_cell"])) == header[64], script
        assert "results/cells/mycluster/" in done.stdout and "/cpu_pure/processes-fork/w64_" in done.stdout
