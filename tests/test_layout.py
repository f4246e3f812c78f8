"""The package reads as the pipeline: stages in order, one door each, no import circles.

Read from the source with ``ast`` (every import, also those inside functions), so a late
import cannot hide a circle or a way in through the back.
"""

import ast
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "src" / "showdown"
# The pipeline, in order: a stage may import the stages at or below its rank, never above.
RANKS = {
    "showdown": 0,  # the package's __init__: version and schema version
    "showdown.kernel": 1,  # measuring, standard library only
    "showdown.vocabulary": 2,  # the words every later stage shares
    "showdown.display": 2,
    "showdown.paths": 2,  # where every result file lives  # how each model is shown: family, API, display name
    "showdown.stats": 2,  # statistics: numbers in, estimates and decisions out; no files
    "showdown.cell": 3,  # one (cell, round) job
    "showdown.sweep": 4,  # config, matrix, rounds
    "showdown.analysis": 5,  # aggregate, comparisons, claims
    "showdown.figures": 6,  # drawing what analysis computed
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> str:
    best = max((s for s in RANKS if module == s or module.startswith(s + ".")), key=len)
    return best


def imports_of(path: Path) -> list[str]:
    """Absolute names of the showdown modules (or names in them) that a file imports."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "showdown"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "showdown":
                continue
            # "from . import x": x may be a module of that package.
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                is_module = (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                    PACKAGE.parent / Path(*candidate.split("."))
                ).is_dir()
                found.append(candidate if is_module else target)
    return found


def upward(graph: dict, module: str) -> list[str]:
    return sorted(t for t in graph[module] if RANKS[stage_of(t)] > RANKS[stage_of(module)])


def back_doors(graph: dict, module: str) -> list[str]:
    """Imports of another stage that pass by its package (its __init__, the door)."""
    return sorted(t for t in graph[module] if stage_of(t) != stage_of(module) and t != stage_of(t))


def find_circle(graph: dict) -> list[str]:
    """One import circle of ``graph`` (module -> imported modules), or [] if there is none."""
    edges = {m: sorted(t for t in targets if t in graph) for m, targets in graph.items()}
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for target in edges[node]:
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state:
                found = visit(target, path + [target])
                if found:
                    return found
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return []


SOURCES = sorted(PACKAGE.rglob("*.py"))
GRAPH = {module_name(path): set(imports_of(path)) for path in SOURCES}


def test_every_module_belongs_to_a_stage():
    assert {stage_of(m) for m in GRAPH} == set(RANKS)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_nothing_imports_upward(module):
    assert upward(GRAPH, module) == []


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_other_stages_come_in_through_their_door(module):
    assert back_doors(GRAPH, module) == []


def test_there_are_no_import_circles():
    assert find_circle(GRAPH) == []


def test_workflow_scripts_and_rules_use_the_doors():
    for path in sorted((REPO / "workflow").rglob("*")):
        if path.suffix not in (".py", ".smk"):
            continue
        for line in path.read_text().splitlines():
            words = line.split()
            if words[:1] == ["from"] and words[1].startswith("showdown."):
                assert words[1] in RANKS, f"{path.name}: {line.strip()}"


def test_the_checks_catch_what_they_look_for(tmp_path):
    """A made-up house with an upward import, a back door and a circle (made by a late import)."""
    root = tmp_path / "src" / "showdown"
    (root / "sweep").mkdir(parents=True)
    (root / "cell").mkdir()
    (root / "sweep" / "plan.py").write_text("def f():\n    from ..analysis import verdicts\n")
    (root / "cell" / "job.py").write_text("from ..sweep.plan import f\n")
    (root / "cell" / "record.py").write_text("from .job import x\n")
    (root / "cell" / "other.py").write_text("def g():\n    from .record import y\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, root
    try:
        graph = {module_name(p): set(imports_of(p)) for p in sorted(root.rglob("*.py"))}
    finally:
        PACKAGE = saved
    assert upward(graph, "showdown.sweep.plan") == ["showdown.analysis"]
    assert upward(graph, "showdown.cell.job") == ["showdown.sweep.plan"]
    assert back_doors(graph, "showdown.cell.job") == ["showdown.sweep.plan"]
    assert find_circle({**graph, "showdown.cell.job": {"showdown.cell.other"},
                        "showdown.cell.other": {"showdown.cell.record"}}) == [
        "showdown.cell.job", "showdown.cell.other", "showdown.cell.record", "showdown.cell.job"]  # fmt: skip
