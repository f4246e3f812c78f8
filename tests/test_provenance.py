"""The front page's provenance: where the numbers came from and how far to trust them."""

import pandas as pd

from showdown.analysis.provenance import provenance, provenance_rst, run_config_hash


def samples():
    base = {"machine": "vm", "interpreter": "py311", "git_commit": "abc123", "git_dirty": False, "config_hash": "h1",
            "cpu_model": "AMD EPYC", "logical_cpus": 4, "affinity_cpus": 2, "os": "Linux", "os_release": "6.1.0",
            "python_implementation": "CPython", "python_version": "3.11.7", "gil_enabled": True}  # fmt: skip
    return pd.DataFrame([
        {**base, "started_at": "2026-01-01T10:00:00+00:00", "kernel_seconds": 1.0},
        {**base, "started_at": "2026-01-01T10:30:00+00:00", "kernel_seconds": 60.0, "git_dirty": True,
         "config_hash": "h2"},
    ])  # fmt: skip


def cells():
    return pd.DataFrame({
        "machine": "vm", "interpreter": "py311", "precision_met": [True, False, False],
        "relative_half_width": [0.02, 0.10, 0.20], "noisy": [False, True, False],
        "above_limit": [False, False, False], "harness_bound": [False, False, True],
    })  # fmt: skip


def test_one_row_per_setting_with_its_commit_dates_and_machine():
    row = provenance(samples()).iloc[0]
    assert row.git_commit == "abc123" and row.git_dirty  # one dirty round makes the setting dirty
    assert row.config_hash == "h1, h2"
    assert row.sweep_minutes == 31  # first start to the last round's end
    assert (row.cpu_model, row.logical_cpus, row.affinity_cpus) == ("AMD EPYC", "4", "2")
    assert (row.os, row.os_release, row.python) == ("Linux", "6.1.0", "CPython 3.11.7, GIL on")


def test_rounds_without_os_columns_say_unknown():
    row = provenance(samples().drop(columns=["os", "os_release"])).iloc[0]
    assert (row.os, row.os_release) == ("unknown", "unknown")


def test_the_section_names_commit_config_precision_flags_and_margin():
    verdicts = pd.DataFrame({"margin": [0.08, 0.08]})
    false_win = pd.Series({"margin": 0.08, "margins": "wall time ±8%, CPU ±5%, memory ±5%", "aa_spread": 0.02})
    text = provenance_rst(provenance(samples()), cells(), verdicts, false_win, precision=0.03,
                          config_hash=run_config_hash({"precision": 0.03}))  # fmt: skip
    assert "``abc123`` (with uncommitted changes)" in text
    assert run_config_hash({"precision": 0.03}) in text
    assert "2026-01-01 10:00 to 2026-01-01 10:31 UTC (31 min)" in text
    assert "AMD EPYC, 4 logical CPUs, 2 usable; Linux 6.1.0" in text
    assert "2 of 3 cells missed the target" in text and "median half-width 10.0%" in text
    assert "1 noisy" in text and "1 bound by the load generator" in text
    assert "8.0%, from the margins declared in the config (wall time ±8%, CPU ±5%, memory ±5%)" in text
    assert "never move them" in text


def test_the_margin_declared_per_metric_is_named_with_its_source():
    false_win = pd.Series({"margin": 0.05, "margins": "wall time ±5%, CPU ±5%", "aa_spread": 0.01})
    text = provenance_rst(provenance(samples()), cells(), pd.DataFrame({"margin": [0.05]}), false_win,
                          precision=0.03, config_hash="x")  # fmt: skip
    assert "5.0%, from the margins declared in the config (wall time ±5%, CPU ±5%)" in text


def test_a_report_of_two_machines_names_each_ones_commit_and_machine():
    other = samples().assign(machine="laptop", git_commit="def456", cpu_model="Apple M2", git_dirty=False)
    table = provenance(pd.concat([samples(), other]))
    both = pd.concat([cells(), cells().assign(machine="laptop")])
    false_win = pd.Series({"margin": 0.05, "margins": "wall time ±5%", "aa_spread": 0.01})
    text = provenance_rst(table, both, pd.DataFrame({"margin": [0.05]}), false_win, precision=0.03, config_hash="x")
    laptop, vm = text.split("**laptop · py311**")[1].split("**vm · py311**")
    assert "``def456``" in laptop and "Apple M2" in laptop and "uncommitted" not in laptop
    assert "``abc123`` (with uncommitted changes)" in vm and "AMD EPYC" in vm
    assert "from the margins declared in the config (wall time ±5%)" in text


def test_a_brought_in_label_shows_its_own_config_hash_and_a_label_left_out_is_named():
    other = samples().assign(machine="laptop")
    table = provenance(pd.concat([samples(), other]))
    labels = pd.DataFrame({"machine": ["vm", "laptop", "half"], "analysed": [True, True, False],
                           "source": ["this run", "brought in", "brought in"],
                           "reason": ["measured by this run", "complete", "no manifest (its run has not finished)"]})  # fmt: skip
    false_win = pd.Series({"margin": 0.05, "margins": "wall time ±5%", "aa_spread": 0.01})
    text = provenance_rst(table, pd.concat([cells(), cells().assign(machine="laptop")]), pd.DataFrame({"margin": [0.05]}),
                          false_win, precision=0.03, config_hash="thisrun", labels=labels,
                          manifests={"laptop": {"config_hash": "laptops", "cores": 8}})  # fmt: skip
    assert "Machine labels in this report: vm (this run), laptop (brought in)" in text
    assert "**Left out: half**: no manifest (its run has not finished)" in text
    laptop, vm = text.split("**laptop · py311**")[1].split("**vm · py311**")
    assert "``laptops``" in laptop and "`cores` resolved to 8" in laptop and "``thisrun``" in vm
