"""A busy machine on purpose (benchmarks/load.py) and the table of sweeps under load
(benchmarks/load_table.py), on synthetic result trees."""

import json
import os
import signal
import subprocess
import sys

import pandas as pd
import psutil
import pytest

from conftest import REPO

LOAD = [sys.executable, str(REPO / "benchmarks" / "load.py"), "--cores", "2", "--"]
# The command under load prints its siblings (the busy loops), then does what it is told.
SIBLINGS = ("import json, os, sys, time, psutil; me = psutil.Process();"
            "print(json.dumps([p.pid for p in me.parent().children() if p.pid != me.pid]), flush=True);")  # fmt: skip


def gone(pids):
    def alive(pid):
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    return not any(alive(pid) for pid in pids)


def test_the_command_runs_beside_busy_cores_and_its_exit_code_is_kept():
    done = subprocess.run([*LOAD, sys.executable, "-c", SIBLINGS + "sys.exit(3)"], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    spinners = json.loads(done.stdout)
    assert done.returncode == 3 and len(spinners) == 2
    assert gone(spinners)


def test_ctrl_c_ends_the_command_and_the_load():
    load = subprocess.Popen([*LOAD, sys.executable, "-c", SIBLINGS + "time.sleep(60)"], stdout=subprocess.PIPE,
                            text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    spinners = json.loads(load.stdout.readline())
    os.killpg(load.pid, signal.SIGINT)  # as a terminal does: the whole group
    assert load.wait(timeout=60) == 128 + signal.SIGINT
    assert gone(spinners)


KEY = {"machine": "m", "interpreter": "py", "payload_bytes": 64, "workers": 2}


def result_tree(root, cells, verdicts, claims):
    """A results/ tree with the three tables load_table reads."""
    for name, rows in (("aggregate/cells.tsv", cells), ("stats/verdicts.tsv", verdicts), ("claims/ledger.tsv", claims)):
        path = root / "results" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(path, sep="\t", index=False)
    return root


def cell(workload, model, low, high, disturbed=0, share=0.02):
    return {**KEY, "workload": workload, "model": model, "rounds": 5, "ci_low_seconds": low, "ci_high_seconds": high,
            "disturbed_rounds": disturbed, "other_cpu_share": share}  # fmt: skip


def test_the_table_says_what_held_what_moved_and_whether_the_flag_caught_it(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    from load_table import markdown, table

    verdict = {**KEY, "workload": "cpu", "label": "win", "winner": "threads"}
    io = {**KEY, "workload": "io", "label": "equivalent", "winner": ""}
    claims = [{"claim": "a", "machine": "m", "interpreter": "py", "verdict": "supported"},
              {"claim": "b", "machine": "m", "interpreter": "py", "verdict": "undecided"}]  # fmt: skip
    quiet = result_tree(tmp_path / "quiet", [cell("cpu", "threads", 1.0, 1.1), cell("cpu", "serial", 2.0, 2.2),
                                             cell("io", "threads", 1.0, 1.1, disturbed=1, share=0.15)],
                        [verdict, io], claims)  # fmt: skip
    # Under load: cpu threads slowed beyond its quiet interval (flagged), serial too (missed),
    # and the cpu group's label moved; io held. One claim moved.
    busy = result_tree(tmp_path / "all", [cell("cpu", "threads", 1.5, 1.7, disturbed=3, share=0.6),
                                          cell("cpu", "serial", 2.3, 2.5), cell("io", "threads", 1.05, 1.2)],
                       [{**verdict, "label": "undecided", "winner": ""}, io],
                       [claims[0], {**claims[1], "verdict": "supported"}])  # fmt: skip
    rows = table([("quiet", quiet), ("all", busy)]).set_index("run")
    assert rows.loc["quiet"].to_dict() == {
        "cells disturbed": "1 of 3 (33%)", "rounds disturbed": "1 of 15", "most other work": "15%",
        "labels held": "2 of 2", "claim verdicts held": "2 of 2", "cells moved": 0, "moved cells flagged": "0 of 0",
        "moved labels with a flagged cell": "0 of 0"}  # fmt: skip
    assert rows.loc["all"].to_dict() == {
        "cells disturbed": "1 of 3 (33%)", "rounds disturbed": "3 of 15", "most other work": "60%",
        "labels held": "1 of 2", "claim verdicts held": "1 of 2", "cells moved": 2, "moved cells flagged": "1 of 2",
        "moved labels with a flagged cell": "1 of 1"}  # fmt: skip
    assert markdown(rows.reset_index()).splitlines()[2].startswith("| quiet | 1 of 3 (33%) | 1 of 15 |")


@pytest.mark.parametrize("argv", [["--cores", "-1", "--", "true"], ["--cores", "1"]])
def test_load_refuses_a_bad_call_naming_what_is_wrong(argv):
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "load.py"), *argv], capture_output=True, text=True)
    assert done.returncode == 2 and ("--cores: -1; allowed: 0 or more" in done.stderr or "no command" in done.stderr)
