"""A tiny real sweep, end to end: cells, verdicts, report, a rerun of one cell, the lint."""

import copy
import json
import re
import subprocess

import pandas as pd
import pytest
import yaml

from conftest import REPO, SNAKEMAKE, run_snakemake, tagged_processes
from showdown.cell.record import COLUMNS, read_round_file

pytestmark = pytest.mark.real_run  # timing a busy machine moves: `make test-loaded` reruns these

CELLS = {  # (workload, model, workers) of the tiny sweep
    ("cpu_pure", "serial", 1),
    ("cpu_pure", "threads", 2),
    ("cpu_pure", "processes-fork", 2),
    ("io_sleep", "serial", 1),
    ("io_sleep", "threads", 4),
    ("io_sleep", "threads.aa", 4),
    ("io_sleep", "asyncio", 4),
    ("startup", "threads", 2),
    ("startup", "processes-fork", 2),
}
TEST_SWEEP = yaml.safe_load((REPO / "config/test.yaml").read_text())
ROUNDS, REPETITIONS, WARMUPS = TEST_SWEEP["rounds"]["base"], TEST_SWEEP["repetitions"], TEST_SWEEP["warmups"]


@pytest.fixture(scope="module")
def sweep(finished_sweep):
    return finished_sweep


def round_files(workdir):
    return sorted((workdir / "results/cells").rglob("*.parquet"))


def test_every_cell_round_is_one_parquet_file_named_by_its_coordinates(sweep):
    workdir, _ = sweep
    files = round_files(workdir)
    assert len(files) == len(CELLS) * ROUNDS
    found = set()
    for path in files:
        match = re.search(r"cells/(\w+)/(py\d+)/(\w+)/([\w.-]+)/w(\d+)_p(\w+)/r(\d)\.parquet$", str(path))
        assert match, path
        rows = read_round_file(str(path)).to_pandas()
        assert list(rows.columns) == COLUMNS
        assert len(rows) == WARMUPS + REPETITIONS
        assert rows["warmup"].tolist() == [True] + [False] * REPETITIONS
        assert (rows["status"] == "ok").all()
        assert (rows["workload"] == match[3]).all() and (rows["model"] == match[4]).all()
        assert (rows["workers"] == int(match[5])).all() and (rows["round"] == int(match[7])).all()
        assert (rows["wall_seconds"] > 0).all() and (rows["peak_rss_bytes"] > 1_000_000).all()
        assert rows["config_hash"].nunique() == 1 and rows["git_commit"].notna().all()
        assert rows["probe_pure_seconds"].gt(0).all()
        found.add((match[3], match[4], int(match[5])))
    assert found == CELLS


def test_a_work_group_runs_round_by_round_in_its_shuffled_order(sweep):
    workdir, _ = sweep
    samples = pd.read_parquet(workdir / "results/aggregate/samples.parquet")
    jobs = samples.drop_duplicates(["workload", "model", "round"]).sort_values("started_at")
    for workload, group in jobs.groupby("workload"):
        rounds = group["round"].tolist()
        assert rounds == sorted(rounds), f"{workload}: a round began before the previous ended"
        for _, one_round in group.groupby("round"):
            assert one_round["position"].tolist() == list(range(len(one_round)))


def test_all_models_of_a_work_group_do_the_same_work(sweep):
    workdir, _ = sweep
    samples = pd.read_parquet(workdir / "results/aggregate/samples.parquet")
    for _, rows in samples[samples.workload != "startup"].groupby(["workload", "payload_bytes"]):
        assert rows["tasks"].nunique() == 1
        assert rows["checksum"].nunique() == 1


def test_verdicts_cover_every_comparison_group(sweep):
    workdir, _ = sweep
    verdicts = pd.read_csv(workdir / "results/stats/verdicts.tsv", sep="\t")
    assert sorted(zip(verdicts.workload, verdicts.workers)) == [("cpu_pure", 2), ("io_sleep", 4), ("startup", 2)]
    for column in ("label", "fastest", "unbeaten", "ratio_to_runner_up", "ci_low", "ci_high", "p_value", "margin"):
        assert verdicts[column].notna().all(), column
    assert set(verdicts["label"]) <= {"win", "equivalent", "undecided"}
    assert (verdicts["rounds"] == ROUNDS).all()
    io = verdicts.set_index("workload").loc["io_sleep"]
    # A/A copies stay out of the groups. (Which model is fastest is a figure of the machine's
    # load: benchmarks/real_runs.py.)
    assert "threads.aa" not in io["unbeaten"] and io["fastest"] in {"serial", "threads", "asyncio"}
    pairs = pd.read_csv(workdir / "results/stats/pairs.tsv", sep="\t")
    io_serial = pairs[(pairs["workload"] == "io_sleep") & (pairs["model_b"] == "serial")].iloc[0]
    assert 0 < io_serial["ci_low"] <= io_serial["ci_high"]
    aa = pd.read_csv(workdir / "results/stats/aa_control.tsv", sep="\t")
    assert aa[["model", "aa_copy"]].values.tolist() == [["threads", "threads.aa"]]
    rate = pd.read_csv(workdir / "results/stats/false_win_rate.tsv", sep="\t").iloc[0]
    assert rate["n"] == 1 and rate["margin"] == 0.05  # declared: the A/A pair never moves it


def test_cell_summary_has_speedups_against_serial(sweep):
    workdir, _ = sweep
    cells = pd.read_csv(workdir / "results/aggregate/cells.tsv", sep="\t").set_index(["workload", "model"])
    assert cells.loc[("io_sleep", "serial"), "speedup"] == pytest.approx(1.0)
    assert cells.loc[("io_sleep", "threads"), "speedup"] > 0  # its size: benchmarks/real_runs.py
    assert (cells["samples"] == ROUNDS * REPETITIONS).all()


def test_report_is_one_offline_html_with_the_figures(finished_report):
    html = finished_report.read_text()
    for figure in ("speedup.png", "winners.png", "startup.png", "drift.png", "verdicts.tsv"):
        assert figure in html, figure
    assert "Where do Python threading" in html


def test_a_changed_set_of_cells_reruns_the_analysis_and_never_a_measured_cell(sweep):
    workdir, _ = sweep

    def planned(config):
        path = workdir / "changed.yaml"
        path.write_text(yaml.safe_dump(config))
        dry = run_snakemake(workdir, "-n", "--configfile", str(path))
        return dict(re.findall(r"^(\w+)\s+(\d+)$", dry.stdout + dry.stderr, flags=re.M))

    measuring = {"run_cell", "calibrate_work", "probe_interpreter"}
    assert planned(TEST_SWEEP) == {}  # finished: nothing to do
    fewer = copy.deepcopy(TEST_SWEEP)
    del fewer["workloads"]["startup"]
    jobs = planned(fewer)
    assert jobs["aggregate_cells"] == "1" and not measuring & set(jobs)
    more = copy.deepcopy(TEST_SWEEP)
    more["workloads"]["startup_more"] = {"kind": "startup", "models": ["threads"], "workers": [3], "payloads": [0]}
    jobs = planned(more)
    # The new cell's rounds and the analysis; no measured cell again.
    assert jobs["run_cell"] == str(ROUNDS) and jobs["aggregate_cells"] == "1"


def test_rerunning_one_cell_redoes_it_and_only_what_depends_on_it(sweep):
    workdir, _ = sweep
    files = round_files(workdir)
    target = files[0]
    before = {path: path.stat().st_mtime_ns for path in files}
    config = ["--configfile", str(workdir / "config.yaml")]
    run_snakemake(workdir, str(target.relative_to(workdir)), "--force", *config)
    changed = [path for path in files if path.stat().st_mtime_ns != before[path]]
    assert changed == [target]
    dry = run_snakemake(workdir, "-n", *config)
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", dry.stdout + dry.stderr, flags=re.M))
    assert "run_cell" not in jobs and "calibrate_work" not in jobs
    assert jobs["aggregate_cells"] == "1" and jobs["compare_models"] == "1"


def test_no_process_of_the_sweep_survives_it(sweep):
    leftovers = [p for p in tagged_processes() if "showdown.kernel" in " ".join(p.cmdline())]
    assert leftovers == []


def test_lint_passes():
    done = subprocess.run(
        [SNAKEMAKE, "--lint", "--snakefile", str(REPO / "Snakefile"), "--configfile", str(REPO / "config/test.yaml")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_another_machines_round_plan_is_not_read(tmp_path):
    """Plans live under their label: label a's plan, left in the tree, must not steer label b."""
    plan = tmp_path / "results/rounds/a/after_r1.json"
    plan.parent.mkdir(parents=True)
    group = {"machine": "a", "interpreter": "py311", "workload": "cpu_pure", "payload_bytes": 1024}
    plan.write_text(json.dumps({"round": 1, "groups": [{**group, "another_round": True}]}))
    config = {**TEST_SWEEP, "machine": "b", "rounds": {"base": 1, "max": 2}}
    dry = run_snakemake(tmp_path, "-n", config=config)
    # b plans its own round 2 from its own plan, and no job of a.
    assert "results/rounds/b/after_r1.json" in dry.stdout and "results/cells/a/" not in dry.stdout
