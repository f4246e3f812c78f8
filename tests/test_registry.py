"""One description per model: what runs (the kernel's registry), what is shown (display).

A model of one's own registers from a module outside src/ and runs in a cell like any other.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, tiny_sweep
from showdown.display import FAMILIES, shown
from showdown.kernel import MODEL_NAMES, describe, described
from showdown.kernel.registry import MODULES_VARIABLE


def test_every_model_is_described_and_shown():
    assert {d.name for d in described()} == set(MODEL_NAMES)
    for description in described():
        entry = shown(description.name)
        assert entry.family in FAMILIES
        assert not entry.api.startswith("registered by"), description.name


@pytest.mark.parametrize(
    "model, family, pickles, start_method",
    [("serial", "serial", False, None), ("threads", "threads", False, None),
     ("asyncio_to_thread", "threads", False, None), ("asyncio", "asyncio", False, None),
     ("process_workers-spawn", "processes", True, "spawn"), ("mp_pool-fork", "processes", True, "fork"),
     ("asyncio_processes-forkserver", "processes", True, "forkserver"),
     ("subinterpreters", "interpreters", True, None), ("mp_queue-fork", "processes", True, "fork"),
     ("asyncio_lock", "asyncio", False, None), ("pipe_threads", "threads", False, None)],
)  # fmt: skip
def test_what_runs_and_its_family(model, family, pickles, start_method):
    description = describe(model)
    assert (description.pickles, description.own_interpreter, description.start_method) == (
        pickles,
        pickles,
        start_method,
    )
    assert shown(model).family == family


def test_an_aa_copy_is_described_as_its_model():
    copy = describe("processes-spawn.aa")
    assert (copy.aa_copy_of, copy.base_model, copy.start_method) == ("processes-spawn", "processes-spawn", "spawn")
    assert shown("threads").api == "concurrent.futures.ThreadPoolExecutor"
    assert shown("threads.aa").display_name == "thread pool, A/A copy"
    assert shown("thread_workers").api == "threading.Thread workers fed through a queue.Queue"


def test_an_unknown_model_names_the_hook():
    with pytest.raises(KeyError, match=MODULES_VARIABLE):
        describe("no_such_model")


# In a fresh process: the registry of this one has loaded its models already.
OWN_MODEL = """
import json, sys
from showdown.cell.interpreters import Interpreter
from showdown.cell.job import run_kernel
from showdown.display import shown
from showdown.sweep import load_sweep, matrix

config = json.loads(sys.argv[1])
sweep = load_sweep(config)
cells = [c for c in matrix.Schedule(sweep).cells if c.model.startswith("spawned")]
spec = {"kind": "cpu_pure", "model": "spawned_processes", "workers": 2, "payload_bytes": 64, "tasks": 4,
        "params": {"iterations": 1000}, "warmups": 0, "repetitions": 1}
outcome, answer = run_kernel(Interpreter("here", (sys.executable,)), "run", spec, 120)
print(json.dumps({"cells": sorted(c.model for c in cells), "shown": list(vars(shown("spawned_processes")).values()),
                  "answer": answer, "stderr": outcome.stderr[-2000:]}))
"""


def test_a_model_registered_outside_src_runs_in_a_cell():
    config = tiny_sweep(
        workloads={
            "cpu_pure": {
                "models": ["serial", "spawned_processes", "spawned_processes.aa"],
                "workers": [2],
                "payloads": ["64B"],
            }
        }
    )
    env = {**os.environ, MODULES_VARIABLE: "showdown_testmodels", "PYTHONPATH": str(REPO / "tests" / "user_code")}
    done = subprocess.run(
        [sys.executable, "-c", OWN_MODEL, json.dumps(config)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["cells"] == ["spawned_processes", "spawned_processes.aa"]
    assert found["shown"] == [
        "spawned_processes",
        "processes",
        "registered by showdown_testmodels",
        "spawned_processes (spawn)",
    ]
    assert found["answer"]["status"] == "ok", found
    assert found["answer"]["start_method"] == "spawn"
    assert len(found["answer"]["samples"]) == 1
