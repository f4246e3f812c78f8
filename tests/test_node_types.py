"""SLURM node types: the config key, each type's CPUs from sinfo, the refusal of mixed CPUs.

A fake `sinfo` on PATH lists a cluster; the real one-node cluster is tests/test_cluster.py's.
"""

import os
import re
import subprocess

import pytest
import yaml

from conftest import REPO, SNAKEMAKE, tiny_sweep
from showdown.sweep import ConfigError, cluster
from showdown.sweep.config import validate_schema

# `sinfo -N --format=%N|%P|%c|%f`: a node once per partition it is in.
CLUSTER = """\
n1|debug*|4|(null)
n2|compute|64|epyc,avx2
n3|compute|64|epyc,avx2
n4|compute|32|xeon,avx2
n4|big|32|xeon,avx2
"""


@pytest.fixture
def fake_sinfo(tmp_path, monkeypatch):
    def install(listing=CLUSTER):
        (tmp_path / "listing").write_text(listing)
        sinfo = tmp_path / "sinfo"
        sinfo.write_text(f"#!/bin/sh\ncat {tmp_path / 'listing'}\n")
        sinfo.chmod(0o755)

    install()
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    monkeypatch.delenv(cluster.PARTITION_VARIABLE, raising=False)
    monkeypatch.delenv(cluster.NODE_TYPES_VARIABLE, raising=False)
    return install


def resolve(node_types, machine="m", on_slurm=True):
    return cluster.node_types(validate_schema(tiny_sweep(node_types=node_types)), machine, on_slurm)


def test_each_node_type_has_its_nodes_cpus(fake_sinfo):
    resolved = resolve({"small": {"partition": "debug"}, "epyc": {"partition": "compute", "constraint": "epyc"},
                        "xeon": {"constraint": "xeon&avx2", "partition": "big"}})  # fmt: skip
    assert {label: node.cpus for label, node in resolved.items()} == {"small": 4, "epyc": 64, "xeon": 32}
    assert resolved["epyc"].constraint == "epyc" and resolved["xeon"].partition == "big"


def test_without_node_types_the_machine_is_the_one_node_type_of_the_partition(fake_sinfo, monkeypatch):
    assert {label: node.cpus for label, node in resolve({}).items()} == {"m": 4}  # the default partition
    monkeypatch.setenv(cluster.PARTITION_VARIABLE, "big")
    assert resolve({})["m"] == cluster.NodeType("m", "big", None, 32)
    assert resolve({}, on_slurm=False) == {}  # a local run: no sinfo


def test_a_partition_or_constraint_mixing_cpu_counts_is_refused_naming_key_and_nodes(fake_sinfo, monkeypatch):
    with pytest.raises(ConfigError) as caught:
        resolve(
            {
                "all": {"partition": "compute"},
                "avx": {"partition": "compute", "constraint": "avx2"},
                "fast": {"constraint": "avx2"},
                "gpu": {"partition": "gpu"},
            }
        )
    problems = caught.value.problems
    assert any(p.startswith("node_types.all: partition 'compute' mixes") and "32 CPUs: n4; 64 CPUs: n2, n3" in p
               for p in problems), problems  # fmt: skip
    assert any(p.startswith("node_types.avx: partition 'compute' with features 'avx2' mixes") for p in problems)
    # Without a partition SLURM sends a job to the default one, whatever its constraint.
    assert "node_types.fast: sinfo lists no node in the default partition with features 'avx2'" in problems
    assert "node_types.gpu: sinfo lists no node in partition 'gpu'" in problems
    monkeypatch.setenv(cluster.PARTITION_VARIABLE, "compute")
    with pytest.raises(ConfigError, match="SHOWDOWN_SLURM_PARTITION: partition 'compute' mixes nodes"):
        resolve({})


def test_node_types_outside_slurm_are_refused(fake_sinfo):
    with pytest.raises(ConfigError, match="node_types: a cluster's node types need the SLURM profile"):
        resolve({"small": {"partition": "debug"}}, on_slurm=False)


@pytest.mark.parametrize(
    "node_types, message",
    [
        ({"small": {}}, "node_types.small: {} should be non-empty"),
        (
            {"small": {"queue": "debug"}},
            "node_types.small: unknown key(s) 'queue'; allowed keys: constraint, partition",
        ),
        ({"a/b": {"partition": "debug"}}, "node_types: name 'a/b' must match"),
        ({"x": {"constraint": "a|b"}}, "node_types.x.constraint: 'a|b' does not match"),
    ],
)
def test_a_bad_node_type_is_named_with_what_is_allowed(node_types, message):
    with pytest.raises(ConfigError) as caught:
        validate_schema(tiny_sweep(node_types=node_types))
    assert any(problem.startswith(message) for problem in caught.value.problems), caught.value.problems


def test_the_profile_reads_each_labels_node_type_back(fake_sinfo):
    cluster.publish(resolve({"small": {"partition": "debug"}, "epyc": {"constraint": "epyc", "partition": "compute"}}))
    assert (cluster.node_cpus("small"), cluster.node_partition("small"), cluster.node_constraint("small")) == (
        4, "debug", None)  # fmt: skip
    assert (cluster.node_cpus("epyc"), cluster.node_constraint("epyc")) == (64, "epyc")


def slurm_dry_run(tmp_path, config):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run(
        [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "-n", "--workflow-profile", str(REPO / "profiles" / "slurm"),
         "--configfile", str(path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_one_slurm_run_plans_each_node_type_on_its_nodes(fake_sinfo, tmp_path):
    """Each label's cells at its own `cores`, its jobs with its threads, partition and constraint."""
    workloads = {"cpu_pure": {"models": ["serial", "threads"], "workers": ["cores"], "payloads": ["1KiB"]}}
    node_types = {"small": {"partition": "debug"}, "epyc": {"partition": "compute", "constraint": "epyc"}}
    done = slurm_dry_run(tmp_path, tiny_sweep(workloads=workloads, node_types=node_types))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    jobs = {
        re.search(r"output: (\S+)", block)[1]: block
        for block in re.split(r"\n(?=(?:local)?rule \w+:)", done.stdout)
        if block.startswith("rule run_cell:")
    }
    threads = {path.split("/")[2]: path for path in jobs if "/threads/" in path and "/r1." in path}
    assert threads["small"].endswith("/w4_p1KiB/r1.parquet") and threads["epyc"].endswith("/w64_p1KiB/r1.parquet")
    small, epyc = jobs[threads["small"]], jobs[threads["epyc"]]
    assert "threads: 4" in small and "slurm_partition=debug" in small and "constraint=" not in small
    assert "threads: 64" in epyc and "slurm_partition=compute" in epyc and "constraint=epyc" in epyc
    assert "slurm_extra=--exclusive" in small and "slurm_extra=--exclusive" in epyc


def test_a_slurm_run_refuses_mixed_cpus_before_any_job(fake_sinfo, tmp_path):
    """Through profiles/slurm, a dry run already stops, naming the node type and its nodes."""
    done = slurm_dry_run(tmp_path, tiny_sweep(node_types={"all": {"partition": "compute"}}))
    assert done.returncode != 0
    assert "node_types.all: partition 'compute' mixes nodes of different CPU counts" in done.stdout + done.stderr
    assert not (tmp_path / "results").exists()
