"""The front page's findings and the guide, from synthetic tables: no sweep needed."""

import math

import pandas as pd
import pytest
import yaml
from docutils.core import publish_parts

from conftest import REPO
from showdown.analysis import DOES_IT_HOLD, findings_rst, guide, kind_of_work, readable_ledger, with_kind_of_work
from showdown.analysis.findings import disturbed_text
from showdown.display import family
from showdown.sweep import expand_cells, load_sweep
from showdown.vocabulary import EQUIVALENT, NOT_MEASURED, SUPPORTED, UNDECIDED, WIN

MAP = "data:image/png;base64," + "A" * 300  # a long URI: it must be split for docutils


def verdict(interpreter, workload, workers, label, *, payload=1024, winner=None, fastest, runner_up=None,
            ratio=math.nan, ci=(math.nan, math.nan), unbeaten=None, note=""):  # fmt: skip
    return {
        "machine": "vm", "interpreter": interpreter, "config_hash": "h", "workload": workload,
        "payload_bytes": payload, "workers": workers, "label": label, "winner": winner, "fastest": fastest,
        "unbeaten": unbeaten, "runner_up": runner_up, "ratio_to_runner_up": ratio, "ci_low": ci[0],
        "ci_high": ci[1], "rounds": 5, "note": note, "margin": 0.05,
    }  # fmt: skip


KINDS = pd.DataFrame({
    "workload": ["cpu_pure", "cpu_gil_released", "cpu_gil_held", "io_net", "io_net_many", "startup", "my_json"],
    "kind": ["cpu_pure", "cpu_gil_released", "cpu_gil_released", "io_net", "io_net", "startup", "callable"],
})  # fmt: skip


def verdicts_of(*interpreters):
    rows = []
    for interpreter in interpreters:
        rows += [
            verdict(interpreter, "cpu_pure", 2, WIN, winner="processes-fork", fastest="processes-fork",
                    runner_up="threads", ratio=0.5, ci=(0.4, 0.625)),
            verdict(interpreter, "cpu_pure", 4, WIN, winner="processes-fork", fastest="processes-fork",
                    runner_up="serial", ratio=0.25, ci=(0.2, 0.3125)),
            verdict(interpreter, "cpu_gil_released", 2, WIN, payload=65536, winner="threads", fastest="threads",
                    runner_up="serial", ratio=0.8, ci=(0.7, 0.9)),
            verdict(interpreter, "cpu_gil_held", 2, UNDECIDED, fastest="serial", unbeaten="serial,threads",
                    runner_up="threads", ratio=0.98, ci=(0.9, 1.1)),
            verdict(interpreter, "io_net", 4, EQUIVALENT, fastest="threads", unbeaten="asyncio,threads",
                    runner_up="asyncio", ratio=0.99, ci=(0.97, 1.01)),
            verdict(interpreter, "io_net_many", 256, WIN, payload=64, winner="asyncio", fastest="asyncio",
                    runner_up="threads", ratio=0.5, ci=(0.45, 0.55)),
            verdict(interpreter, "startup", 2, UNDECIDED, fastest="threads", unbeaten="threads",
                    note="2 shared rounds: at least 3 decide"),
        ]  # fmt: skip
    rows.append(verdict(interpreters[0], "my_json", 2, WIN, winner="processes-fork", fastest="processes-fork",
                        runner_up="threads", ratio=0.5, ci=(0.45, 0.55)))  # fmt: skip
    return with_kind_of_work(pd.DataFrame(rows), KINDS)


def ledger_of(*interpreters):
    base = {"test": "lower", "metric": "wall_seconds", "margin": 0.05, "figure": "speedup", "p_value": 0.01,
            "p_adjusted": 0.01, "ci_level": 0.9}  # fmt: skip
    rows = [{**base, "claim": "processes_win_cpu_bound", "machine": "vm", "interpreter": interpreters[0],
             "text": "Multiprocessing beats *threading* on CPU_bound_ work.", "verdict": SUPPORTED,
             "reading": "processes-fork 2.00x faster than threads on cpu_pure [1.60, 2.50]: supported",
             "ratio": 0.5, "ci_low": 0.4, "ci_high": 0.625, "points": 2, "rounds": 5,
             "cells": "processes-fork; threads", "detail": "processes-fork vs threads at 2 workers: 0.5"}]  # fmt: skip
    rows.append({**base, "claim": "thread_locks_cheaper", "machine": math.nan, "interpreter": math.nan,
                 "text": "Thread locks are cheaper than process locks.", "verdict": NOT_MEASURED,
                 "reading": "not measured: this sweep has no lock_contention cells", "figure": "locks",
                 "detail": "this sweep has no lock_contention cells"})  # fmt: skip
    return pd.DataFrame(rows)


FALSE_WIN = pd.Series({"k": 1, "n": 20, "rate": 0.05, "ci_low": 0.001, "ci_high": 0.249, "margin": 0.05,
                       "margins": "wall time ±5%, CPU ±5%, memory ±5%", "aa_spread": 0.075})  # fmt: skip


def described_of(*interpreters):
    return pd.DataFrame([{"machine": "vm", "interpreter": i, "cpu_model": "AMD EPYC", "logical_cpus": 2,
                          "affinity_cpus": 2, "python_implementation": "CPython", "python_version": "3.13.5",
                          "gil_enabled": not i.endswith("t")} for i in interpreters])  # fmt: skip


def cells_of(*interpreters):
    return pd.DataFrame([{"machine": "vm", "interpreter": i, "noisy": n == 0, "above_limit": False, "rounds": 5,
                          "other_cpu_share": (0.02, 0.43, 0.31)[n], "disturbed_rounds": (0, 1, 2)[n]}
                         for i in interpreters for n in range(3)])  # fmt: skip


def front_page(*interpreters):
    verdicts = verdicts_of(*interpreters)
    return findings_rst(verdicts, ledger_of(*interpreters), guide(verdicts), FALSE_WIN, described_of(*interpreters),
                        cells_of(*interpreters), winner_map=MAP, figure_targets={"speedup": "speedup.png"})  # fmt: skip


def html(rst: str) -> str:
    """The rst as the report renders it; any docutils warning fails (it would show on the page)."""
    # The report defines a link target per result file; here, the one the findings link to.
    page = rst + "\n\n.. _speedup.png: javascript:void(0)\n"
    return publish_parts(page, writer="html", settings_overrides={"halt_level": 2, "report_level": 2})["body"]


def test_guide_for_one_interpreter_names_winners_factors_and_the_users_workload():
    table = guide(verdicts_of("py311")).set_index("kind of work")["vm · py311"]
    assert list(table.index) == [
        "pure-Python CPU", "GIL-releasing C code", "C code that holds the GIL (hashlib on 2 KiB or less)",
        "slow I/O, few connections", "slow I/O, many connections", "tiny tasks where start-up dominates",
        "your function my_json",
    ]  # fmt: skip
    # Two worker counts, one winner: the factors as a range, each runner-up, where.
    assert table["pure-Python CPU"] == "processes-fork 2.00-4.00x faster than threads, serial (2 workers; 4 workers)"
    assert table["GIL-releasing C code"] == "threads 1.25x faster than serial"
    assert table["slow I/O, few connections"] == "equivalent within ±5%: asyncio, threads"
    assert table["slow I/O, many connections"] == "asyncio 2.00x faster than threads"
    # 1 KiB: hashlib keeps the GIL, a kind of work of its own, in words.
    assert table["C code that holds the GIL (hashlib on 2 KiB or less)"] == "undecided between serial, threads"
    assert table["your function my_json"] == "processes-fork 2.00x faster than threads"  # a user's, by its label


def test_guide_for_two_interpreters_has_a_column_each_and_says_not_measured():
    table = guide(verdicts_of("py3135", "py3135t")).set_index("kind of work")
    assert list(table.columns) == ["vm · py3135", "vm · py3135t"]
    assert table.loc["your function my_json", "vm · py3135"].startswith("processes-fork")
    assert table.loc["your function my_json", "vm · py3135t"] == NOT_MEASURED


def test_findings_give_the_factor_with_its_interval_and_where_it_holds():
    rst = front_page("py311")
    lines = rst.splitlines()
    pure = next(line for line in lines if line.startswith("- *pure-Python CPU*"))
    assert "processes-fork 2.00x faster than threads [1.60, 2.50] at 2 workers" in pure
    assert "processes-fork 4.00x faster than serial [3.20, 5.00] at 4 workers" in pure
    startup = next(line for line in lines if "start-up dominates" in line)
    assert "2 shared rounds: at least 3 decide" in startup
    # The map after the lines per kind of work, the claims after the map.
    assert (
        lines.index(pure)
        < lines.index(f".. image:: {MAP[:76]}")
        < next(i for i, line in enumerate(lines) if "Multiprocessing beats" in line)
    )
    trust = rst[rst.index("How far to trust these numbers") :]
    assert "1 of 20 pairs" in trust and "95% CI 0-25%" in trust and "beyond 7.5%" in trust
    # The margin is the declared one, and the A/A pairs never move it.
    assert "declared in the config before the run" in trust and "wall time ±5%, CPU ±5%, memory ±5%" in trust
    assert "never move the margin" in trust
    assert "1 of 3 cells noisy" in trust and "AMD EPYC, 2 logical CPUs; CPython 3.13.5, GIL on" in trust
    assert "2 of 3 cells disturbed by other work in 3 of 15 rounds" in trust and "at most 43% of the machine" in trust


def test_a_sweep_that_could_not_read_the_machine_says_so():
    cells = cells_of("py311").assign(other_cpu_share=float("nan"), disturbed_rounds=0)
    assert disturbed_text(cells) == "what else ran on the machine was not read (no /proc/stat)"


def test_findings_for_two_interpreters_judge_each_and_say_where_a_claim_was_not_measured():
    rst = front_page("py3135", "py3135t")
    blocks = rst.split("the article's claims:")
    assert len(blocks) == 3  # one claims block per interpreter
    first, second = blocks[1], blocks[2]
    assert "processes-fork 2.00x faster than threads on cpu\\_pure" in first
    assert "not measured: this sweep has cells for it only under vm · py3135" in second
    assert "GIL off" in rst[rst.index("How far to trust") :]  # the free-threaded twin, as measured


def test_a_claim_with_no_cells_reads_not_measured_under_every_setting():
    rst = front_page("py3135", "py3135t")
    assert rst.count("not measured: this sweep has no lock\\_contention cells") == 2
    readable = readable_ledger(ledger_of("py3135", "py3135t"), [("vm", "py3135"), ("vm", "py3135t")])
    locks = readable[readable["claim"] == "Thread locks are cheaper than process locks."]
    assert list(locks["does it hold?"]) == [DOES_IT_HOLD[NOT_MEASURED]] * 2
    assert list(locks["ratio A/B [CI as tested]"]) == ["", ""]
    held = readable[readable["does it hold?"] == "yes"].iloc[0]
    assert held["ratio A/B [CI as tested]"] == "0.500 [0.400, 0.625] (90%)" and held["points"].startswith(
        "2 points, 5 rounds"
    )
    assert held["figure"] == "speedup"


@pytest.mark.parametrize("interpreters", [("py311",), ("py3135", "py3135t")])
def test_findings_render_as_the_report_renders_them(interpreters):
    body = html(front_page(*interpreters))
    # The claim's own asterisks and underscores are text, not markup; the guide is a table.
    assert "Multiprocessing beats *threading* on CPU_bound_ work." in body
    assert body.count("<table") == 1 and "Which model for my work?" in body
    assert f'src="{MAP}"' in body  # the long URI joined again
    assert 'href="javascript:void(0)">speedup.png</a>' in body


def test_no_verdicts_no_claims_still_a_page():
    empty = with_kind_of_work(verdicts_of("py311").iloc[0:0], KINDS)
    no_claims = ledger_of("py311").iloc[0:0]
    rst = findings_rst(empty, no_claims, guide(empty), pd.Series({**FALSE_WIN, "n": 0, "k": 0}), described_of(), cells_of(),
                       winner_map=MAP, figure_targets={})  # fmt: skip
    assert "no verdicts and no measured claims yet" in rst and "This run has no A/A pairs" in rst
    html(rst)


def test_the_trust_section_says_which_kinds_were_noisier_than_the_aa_calibration():
    from showdown.analysis.findings import noise_line

    noise = pd.DataFrame([
        {"kind": "cpu_pure", "round_spread": 0.15, "calibrated_spread": 0.05, "noisier": True},
        {"kind": "startup", "round_spread": 0.3, "calibrated_spread": 0.4, "noisier": False},
        {"kind": "io_disk", "round_spread": 0.1, "calibrated_spread": math.nan, "noisier": False},
    ])  # fmt: skip
    line = noise_line(noise)
    assert "cpu_pure (0.150 against 0.050)" in line and "1 of 2 kinds checked" in line
    assert "within the A/A calibration for all 1 kinds" in noise_line(noise.iloc[1:])
    assert "No A/A calibration" in noise_line(noise.iloc[2:])
    verdicts = verdicts_of("py311")
    rst = findings_rst(verdicts, ledger_of("py311"), guide(verdicts), FALSE_WIN, described_of("py311"),
                       cells_of("py311"), noise=noise, winner_map=MAP, figure_targets={})  # fmt: skip
    assert "Noisier than the A/A calibration" in rst


def test_the_guide_names_the_winning_family_first_and_the_models_it_holds():
    from showdown.analysis.guide import with_families

    verdicts = verdicts_of("py311")
    families = pd.DataFrame([{
        "machine": "vm", "interpreter": "py311", "config_hash": "h", "workload": "cpu_pure", "payload_bytes": 1024,
        "workers": workers, "family": "processes", "label": "win", "members": "processes-fork,processes-spawn",
        "weakest": "processes-spawn", "strongest_outside": "threads", "ratio": ratio, "ci_low": ratio * 0.9,
        "ci_high": ratio * 1.1, "rounds": 5, "within_label": "undecided", "within_winner": None, "margin": 0.05,
    } for workers, ratio in ((2, 0.5), (4, 0.4))])  # fmt: skip
    table = guide(with_families(verdicts, families)).set_index("kind of work")["vm · py311"]
    assert table["pure-Python CPU"] == (
        "processes (processes-fork, processes-spawn): 2.00-2.50x faster than threads; between them: undecided "
        "(2 workers; 4 workers)"
    )
    # Other kinds of work read as before.
    assert table["GIL-releasing C code"] == "threads 1.25x faster than serial"
    rst = findings_rst(with_families(verdicts, families), ledger_of("py311"), guide(verdicts), FALSE_WIN,
                       described_of("py311"), cells_of("py311"), winner_map=MAP, figure_targets={})  # fmt: skip
    pure = next(line for line in rst.splitlines() if line.startswith("- *pure-Python CPU*"))
    assert (
        "processes (processes-fork, processes-spawn): 2.00x faster than threads [1.82, 2.22] (its weakest member)"
        in pure
    )


def test_the_front_page_says_which_python_api_each_model_is():
    from showdown.analysis.findings import glossary

    cells = pd.DataFrame({"model": ["serial", "threads", "threads.aa", "processes-fork", "asyncio_to_thread"]})
    text = "\n".join(glossary(cells))
    assert "``threads`` = concurrent.futures.ThreadPoolExecutor" in text
    assert "``processes-fork`` = concurrent.futures.ProcessPoolExecutor" in text
    # asyncio.to_thread's workers are threads: it sits with them; the A/A copy is not listed again.
    threads = next(line for line in text.splitlines() if line.startswith("- **threads**"))
    assert "``asyncio_to_thread``" in threads and "threads.aa" not in text
    body = html(text)
    assert "<strong>processes</strong>" in body


@pytest.mark.parametrize("name", ["config.yaml", "full.yaml"])
def test_every_group_of_a_shipped_sweep_reads_as_a_kind_of_work_in_words(name):
    """No guide row of the shipped sweeps reads by a workload's label (cpu_gil_held, ipc_handoff)."""
    sweep = load_sweep(yaml.safe_load((REPO / "config" / name).read_text()))
    for cell in expand_cells(sweep):
        kind = sweep.workloads[cell.workload].kind
        work = kind_of_work(cell.workload, kind, cell.workers, cell.payload_bytes, family(cell.model) == "processes")
        assert cell.workload not in work and kind not in work, (cell, work)
