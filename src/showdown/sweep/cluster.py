"""SLURM node types: where a machine label's measuring jobs go, and the CPUs its nodes have.

A cluster run measures one label per node type (the config's `node_types`, else the one
`machine` on SHOWDOWN_SLURM_PARTITION). The workflow resolves them with :func:`node_types`
before any job (sinfo: every node of a type must have one CPU count) and publishes them in
the environment; profiles/slurm reads them back per job with :func:`node_cpus`,
:func:`node_partition` and :func:`node_constraint` of the job's `machine` wildcard (a
profile's expression sees the wildcards, not the config). sbatch exports the environment,
and each job resolves them again when it reads the workflow.
"""

import json
import os
import subprocess
from dataclasses import asdict, dataclass
from typing import Any, Dict, FrozenSet, List, Mapping, Optional

from .config import ConfigError

PARTITION_VARIABLE = "SHOWDOWN_SLURM_PARTITION"
# The resolved node types, as JSON (label -> partition, constraint, cpus): the profile's view.
NODE_TYPES_VARIABLE = "SHOWDOWN_NODE_TYPES"


@dataclass(frozen=True)
class NodeType:
    """A kind of node: a partition and/or node features, and the CPUs each of its nodes has."""

    label: str
    partition: Optional[str] = None
    constraint: Optional[str] = None
    cpus: int = 0

    @property
    def features(self) -> FrozenSet[str]:
        return frozenset(self.constraint.split("&")) if self.constraint else frozenset()

    def describe(self) -> str:
        where = f"partition {self.partition!r}" if self.partition else "the default partition"
        return where + (f" with features {self.constraint!r}" if self.constraint else "")


@dataclass(frozen=True)
class Node:
    """One line of `sinfo -N`: a node in one of its partitions."""

    name: str
    partition: str
    default: bool  # the cluster's default partition (sinfo marks it "*")
    cpus: int
    features: FrozenSet[str]


def sinfo_nodes() -> List[Node]:
    """Every (node, partition) as sinfo lists it."""
    listing = subprocess.check_output(["sinfo", "-N", "--noheader", "--format=%N|%P|%c|%f"], text=True)
    nodes = []
    for line in listing.splitlines():
        if not line.strip():
            continue
        name, partition, cpus, features = line.split("|")
        nodes.append(
            Node(
                name=name,
                partition=partition.rstrip("*"),
                default=partition.endswith("*"),
                cpus=int(cpus.rstrip("+")),
                features=frozenset(f for f in features.split(",") if f and f != "(null)"),
            )
        )
    return nodes


def _cpus(node_type: NodeType, nodes: List[Node], key: str) -> int:
    """The one CPU count of the node type's nodes; ConfigError naming ``key`` if none or several."""
    members = [
        node
        for node in nodes
        if (node.partition == node_type.partition if node_type.partition else node.default)
        and node_type.features <= node.features
    ]
    if not members:
        raise ConfigError([f"{key}: sinfo lists no node in {node_type.describe()}"])
    by_cpus: Dict[int, List[str]] = {}
    for node in members:
        by_cpus.setdefault(node.cpus, []).append(node.name)
    if len(by_cpus) > 1:
        sizes = "; ".join(f"{cpus} CPUs: {', '.join(sorted(set(names)))}" for cpus, names in sorted(by_cpus.items()))
        raise ConfigError([
            f"{key}: {node_type.describe()} mixes nodes of different CPU counts ({sizes}); `cores` and a "
            "cell's threads need one count, and cells on different nodes of one label are compared: give "
            "each size its own node type (a partition or a feature only nodes of that size have)"
        ])  # fmt: skip
    return members[0].cpus


def node_types(config: Mapping[str, Any], machine: str, on_slurm: bool) -> Dict[str, NodeType]:
    """Label -> node type of a run, each with its CPUs from sinfo: the config's `node_types`,
    else on SLURM the one label ``machine`` on SHOWDOWN_SLURM_PARTITION (else the default
    partition), else none (a local run). Every problem at once, as one ConfigError."""
    given = config.get("node_types") or {}
    if given and not on_slurm:
        raise ConfigError([
            "node_types: a cluster's node types need the SLURM profile (--workflow-profile profiles/slurm); "
            "to analyse their cells elsewhere, leave node_types out"
        ])  # fmt: skip
    if not on_slurm:
        return {}
    if given:
        wanted = {
            label: (f"node_types.{label}", NodeType(label, entry.get("partition"), entry.get("constraint")))
            for label, entry in given.items()
        }
    else:
        partition = os.environ.get(PARTITION_VARIABLE, "").strip() or None
        wanted = {machine: (PARTITION_VARIABLE, NodeType(machine, partition))}
    nodes = sinfo_nodes()
    resolved, problems = {}, []
    for label, (key, node_type) in wanted.items():
        try:
            resolved[label] = NodeType(label, node_type.partition, node_type.constraint, _cpus(node_type, nodes, key))
        except ConfigError as error:
            problems += error.problems
    if problems:
        raise ConfigError(problems)
    return resolved


def publish(resolved: Mapping[str, NodeType]) -> None:
    """Hand the node types to the profile's per-job expressions (and, through sbatch, to the jobs)."""
    os.environ[NODE_TYPES_VARIABLE] = json.dumps({label: asdict(node) for label, node in resolved.items()})


def _published(label: str) -> NodeType:
    return NodeType(**json.loads(os.environ[NODE_TYPES_VARIABLE])[label])


def node_cpus(label: str) -> int:
    """Threads of a measuring job of ``label``: every CPU of its node type's nodes."""
    return _published(label).cpus


def node_partition(label: str) -> str:
    """``label``'s partition; empty: the cluster's default one."""
    return _published(label).partition or ""


def node_constraint(label: str) -> Optional[str]:
    """``label``'s node features as sbatch --constraint wants them; None: any node."""
    return _published(label).constraint
