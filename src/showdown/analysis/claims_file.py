"""The claims file (``config/claims.yaml``): one ``Claim`` per entry, checked against its schema
before any job, each problem naming the claim's id and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from .. import stats
from ..kernel import MODEL_NAMES, WORKLOADS
from ..sweep import schema_problems
from ..vocabulary import AA_SUFFIX

TESTS = stats.TESTS
# Metrics per sample; cpu_seconds_per_task is the CPU of the whole process tree per task.
# seconds_per_task: wall seconds per task, for work compared across interpreters (the twins).
METRICS = ("wall_seconds", "peak_pss_bytes", "cpu_per_wall", "cpu_seconds_per_task", "seconds_per_task")


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    test: str
    kind: str
    a: tuple[str, ...]
    b: tuple[str, ...] = ()
    metric: str = "wall_seconds"
    b_workers: int | None = None  # compare with B at this worker count (serial: 1)
    where: dict[str, Any] = field(default_factory=dict)
    figure: str = ""  # the report figure that shows it
    # B runs on the GIL twin of A's free-threaded interpreter (same source tarball, the
    # build's other GIL setting): the single-thread tax. B's label names the twin.
    twin: bool = False


def load_schema() -> dict[str, Any]:
    """The claims' schema, with the allowed tests, metrics, kinds and models taken from the code."""
    schema = yaml.safe_load(resources.files("showdown.analysis").joinpath("schemas/claims.schema.yaml").read_text())
    entry = schema["properties"]["claims"]["items"]["properties"]
    entry["test"]["enum"] = list(TESTS)
    entry["metric"]["enum"] = list(METRICS)
    entry["kind"]["enum"] = sorted(WORKLOADS)
    schema["definitions"]["model"]["enum"] = [*MODEL_NAMES, *(f"{m}{AA_SUFFIX}" for m in MODEL_NAMES)]
    return schema


def load_claims(path: str) -> list[Claim]:
    """The claims of a file, validated: a bad entry names its id, key and the allowed values."""
    with open(path) as handle:
        document = yaml.safe_load(handle)
    entries = document.get("claims") if isinstance(document, dict) else None
    for entry in entries if isinstance(entries, list) else ():
        for side in ("a", "b"):
            if isinstance(entry, dict) and isinstance(entry.get(side), str):
                entry[side] = [entry[side]]
    problems = [_named(problem, entries) for problem in schema_problems(load_schema(), document)]
    for entry in entries if not problems else ():
        if entry.get("twin") and not entry.get("where", {}).get("free_threaded"):
            problems.append(f"{entry['id']}.twin: compares a free-threaded build with its GIL twin; it needs "
                            "where: {free_threaded: true}")  # fmt: skip
    if problems:
        raise ValueError(f"invalid claims in {path}:\n" + "\n".join(f"  - {p}" for p in problems))
    return [Claim(
        id=entry["id"], text=entry["text"], test=entry["test"], kind=entry["kind"], a=tuple(entry["a"]),
        b=tuple(entry.get("b", ())), metric=entry["metric"], b_workers=entry.get("b_workers"),
        where=entry.get("where", {}), figure=entry.get("figure", ""), twin=entry.get("twin", False),
    ) for entry in entries]  # fmt: skip


def _named(problem: str, entries: Any) -> str:
    """A schema problem with ``claims[3]`` replaced by that claim's id, where it has one."""
    found = re.match(r"claims\[(\d+)\]", problem)
    if found:
        entry = entries[int(found.group(1))]
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            return entry["id"] + problem[found.end() :]
    return problem
