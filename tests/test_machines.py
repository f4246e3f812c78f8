"""Two machine labels in one results tree: the tiny sweep (the session's, its label this
host's) with a second label's run beside it, `machine=b`; one report of both, and the first
label's files untouched by b's run."""

import hashlib
import json
import re
import shutil

import pandas as pd
import pytest

from conftest import run_snakemake, tiny_sweep
from showdown import paths
from showdown.sweep.config import machine_slug

pytestmark = pytest.mark.real_run

# b measures one workload with an A/A pair, two rounds, and makes only the front page's
# tables: enough for a guide column and its own A/A control, at little cost.
B_SWEEP = tiny_sweep(machine="b", rounds={"base": 2, "max": 2},
                     workloads={"io_sleep": tiny_sweep()["workloads"]["io_sleep"]})  # fmt: skip
B_TARGETS = (paths.GUIDE, paths.PROVENANCE_RST, paths.FINDINGS, paths.MANIFEST.format(machine="b"))
# What a run writes under its label: another label's run must leave all of it alone.
PER_LABEL = ("cells", "probe", "calibration", "rounds", "workloads", "envs")


def label_files(workdir, label):
    """Every file under a label's folders, with its mtime and content hash."""
    found = {}
    for part in PER_LABEL:
        for path in sorted((workdir / "results" / part / label).rglob("*")):
            if path.is_file():
                found[str(path.relative_to(workdir))] = (
                    path.stat().st_mtime_ns,
                    hashlib.sha256(path.read_bytes()).hexdigest(),
                )
    return found


def dry_outputs(done):
    """The output paths of every job a dry run plans."""
    return [path for line in re.findall(r"^\s+output: (.*)$", done.stdout, flags=re.M) for path in line.split(", ")]


@pytest.fixture(scope="module")
def two_labels(finished_sweep, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("labels")
    # The session's tiny sweep, brought in as a copied folder (mtimes kept, as a copy keeps them).
    shutil.copytree(finished_sweep[0] / "results", workdir / "results")
    a = machine_slug()
    before = label_files(workdir, a)
    planned_b = run_snakemake(workdir, "-n", *B_TARGETS, config=B_SWEEP)
    run_snakemake(workdir, *B_TARGETS, config=B_SWEEP)
    return workdir, a, before, planned_b


def test_a_second_label_measures_only_its_own_and_reports_both(two_labels):
    workdir, a, before, planned_b = two_labels
    # b's run plans no job for a: every planned output is b's or the shared analysis.
    outputs = dry_outputs(planned_b)
    assert any("/cells/b/" in path for path in outputs)
    assert not [path for path in outputs if f"/{a}/" in path]
    # a's cells, probes, calibrations and plans are untouched (same bytes, same times).
    assert before and label_files(workdir, a) == before
    # Each label's manifest names its round files, all there.
    for label in (a, "b"):
        manifest = json.loads((workdir / paths.MANIFEST.format(machine=label)).read_text())
        assert manifest["machine"] == label and manifest["round_files"]
        assert all(f"/cells/{label}/" in name and (workdir / name).exists() for name in manifest["round_files"])
    labels = pd.read_csv(workdir / paths.LABELS, sep="\t")
    assert dict(zip(labels["machine"], labels["analysed"])) == {"b": True, a: True}
    # One column per machine · interpreter in the guide; each label's A/A control its own.
    guide = pd.read_csv(workdir / paths.GUIDE, sep="\t")
    assert [c for c in guide.columns if c.startswith(f"{a} · ")] and [c for c in guide.columns if c.startswith("b · ")]
    assert set(pd.read_csv(workdir / paths.VERDICTS, sep="\t")["machine"]) == {a, "b"}
    assert set(pd.read_csv(workdir / paths.AA_CONTROL, sep="\t")["machine"]) == {a, "b"}
    assert set(pd.read_csv(workdir / paths.FALSE_WIN_RATE, sep="\t")["machine"]) == {a, "b"}
    front = (workdir / paths.PROVENANCE_RST).read_text()
    assert f"**{a} ·" in front and "**b ·" in front


def test_an_incomplete_label_is_named_not_dropped_silently(two_labels):
    workdir, a, _, _ = two_labels
    # A third label copied without its manifest: named in the log and on the front page.
    shutil.copytree(workdir / "results/cells/b", workdir / "results/cells/c")
    (workdir / paths.MANIFEST.format(machine="c")).unlink()
    dry = run_snakemake(workdir, "-n", *B_TARGETS, config=B_SWEEP)
    assert "machine label 'c' is left out of the analysis: no manifest" in dry.stderr
    # A new set of labels reruns the analysis, never a measured cell.
    assert "aggregate_cells" in dry.stdout and "rule run_cell" not in dry.stdout
    shutil.rmtree(workdir / "results/cells/c")


def test_a_machines_list_naming_an_absent_label_is_refused(two_labels):
    workdir, *_ = two_labels
    done = run_snakemake(workdir, "-n", config={**B_SWEEP, "machines": ["nowhere"]}, check=False)
    assert done.returncode and "machines: 'nowhere' not under results/cells/" in done.stdout + done.stderr
