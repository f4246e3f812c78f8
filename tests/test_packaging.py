"""The two install paths (pip and conda) name the same dependencies."""

import re
import tomllib

import yaml

from conftest import REPO


def _name(requirement: str) -> str:
    return re.split(r"[<>=\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_what_pyproject_installs():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    conda_names = {_name(d) for d in environment["dependencies"] if isinstance(d, str)}
    # snakemake[reports] is pygments on conda; python and pip are the installers themselves.
    assert pip_names <= conda_names
    assert conda_names - pip_names == {"python", "pip", "pygments"}
    assert {"-e ."} == set(next(d for d in environment["dependencies"] if isinstance(d, dict))["pip"])


# A rule's first line: `rule name:`, or `rule:` indented in a loop that names each rule it
# defines with `name:` (the figures' rules).
RULE = r"(?m)^[ \t]*(?:rule|checkpoint)(?: (\w+))?:"


def test_every_rule_names_the_environment():
    for path in (REPO / "workflow/rules").glob("*.smk"):
        text = path.read_text()
        rules = len(re.findall(RULE, text))
        assert text.count('"../../environment.yml"') == rules, path.name


def test_only_measuring_rules_leave_the_submit_host():
    """On a cluster, rules that do not measure run locally: each says so itself."""
    blocks = []
    for path in [REPO / "Snakefile", *(REPO / "workflow/rules").glob("*.smk")]:
        blocks += re.split(r"(?m)^(?=[ \t]*(?:rule|checkpoint)(?: \w+)?:)", path.read_text())[1:]
    assert len(blocks) > 10
    remote = sorted(re.match(RULE, b)[1] or "(a generated rule)" for b in blocks if "localrule: True" not in b)
    # The check of a user's code runs it in the interpreter under test, like the probe.
    assert remote == ["calibrate_work", "check_workload", "probe_interpreter", "run_cell"]
    for block in blocks:
        if "localrule: True" not in block:
            assert "threads: workflow.cores" in block  # and they hold the whole machine
