"""The kernel hash: over everything a cell job runs, blind to comments and docstrings.

Edits are made to copies of the package, never to this checkout's files.
"""

import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, copy_repo, pyenv_python, run_snakemake, tiny_sweep
from showdown.cell.sources import PACKAGE_DIR, code_tokens, hashed_sources, kernel_hash

MODULE = '''"""A module's docstring."""
import os


class Crew:
    """A class's docstring."""

    def run(self, n):
        """A function's docstring."""
        total = n + 1  # a comment
        return f"{total}:{os.sep}"
'''


def test_comments_docstrings_blank_lines_and_indent_widths_are_not_code():
    edited = (
        MODULE.replace("A module's", "Another")
        .replace("A class's docstring.", "Two\n    lines.")
        .replace("# a comment", "# another comment\n\n")
        .replace("    ", "  ")
    )
    assert code_tokens(edited) == code_tokens(MODULE)


@pytest.mark.parametrize(
    "old, new",
    [
        ("n + 1", "n + 2"),
        ('f"{total}:', 'f"{total};'),
        ("return", "yield"),
        ("        return", "        pass\n    return"),
    ],
)
def test_an_edit_of_code_changes_the_tokens(old, new):
    assert code_tokens(MODULE.replace(old, new)) != code_tokens(MODULE)


def test_a_string_that_is_not_a_docstring_is_code():
    assert code_tokens('x = 1\n"after"\n') != code_tokens('x = 1\n"other"\n')


@pytest.fixture
def package_copy(tmp_path):
    shutil.copytree(PACKAGE_DIR, tmp_path / "showdown", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "showdown"


def _append(path, text):
    with open(path, "a") as source:
        source.write(text)


@pytest.mark.parametrize("module", ["kernel/models.py", "cell/supervisor.py", "cell/run.py"])
def test_the_hash_covers_the_kernel_and_the_cell_job(package_copy, module):
    before = kernel_hash(package_copy)
    assert before == kernel_hash()
    _append(package_copy / module, "\n# a comment\n\n")
    assert kernel_hash(package_copy) == before
    _append(package_copy / module, "EDITED = 1\n")
    assert kernel_hash(package_copy) != before


def test_the_hash_ignores_code_a_cell_job_does_not_run(package_copy):
    before = kernel_hash(package_copy)
    _append(package_copy / "stats" / "decide.py", "EDITED = 1\n")
    assert kernel_hash(package_copy) == before


def test_the_hashed_sources_are_all_that_a_cell_job_imports():
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.modules['numpy'] = None\n"
            "import showdown.cell.run, showdown.kernel.__main__\n"
            "print('\\n'.join(m.__file__ for n, m in sys.modules.items() if n.startswith('showdown')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    hashed = {path.resolve() for path in hashed_sources()}
    assert {p for p in map(lambda f: REPO.joinpath(f).resolve(), imported) if p not in hashed} == set()


@pytest.mark.parametrize("version", ["3.9", "3.12", "3.13"])
def test_every_python_computes_the_same_hash(version):
    python = pyenv_python(version)
    if python is None:
        pytest.skip(f"no CPython {version} here")
    done = subprocess.run(
        [python, str(PACKAGE_DIR / "cell" / "sources.py"), str(PACKAGE_DIR)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == kernel_hash()


MEASURING = ("probe_interpreter", "check_workload", "calibrate_work", "run_cell")


def planned_rules(done):
    return set(re.findall(r"^rule (\w+):", done.stdout, flags=re.MULTILINE))


def test_a_comment_edit_plans_no_measuring_job_and_a_code_edit_plans_them_all(tmp_path):
    repo = copy_repo(tmp_path / "repo")
    config = tiny_sweep(
        rounds={"base": 1, "max": 1},
        workloads={
            "mine": {
                "kind": "callable",
                "function": "showdown_testwork.work:crunch",
                "path": str(REPO / "tests" / "user_code"),
                "models": ["serial"],
                "workers": [1],
                "payloads": ["64B"],
            }
        },
    )
    env = {"PYTHONPATH": str(repo / "src")}
    workdir = tmp_path / "work"
    workdir.mkdir()
    # The measuring jobs and what they feed first: the figures and the report would add minutes.
    target = "results/aggregate/cells.tsv"
    run_snakemake(workdir, target, config=config, repo=repo, env=env)
    kernel_file = repo / "src" / "showdown" / "kernel" / "timing.py"
    text = kernel_file.read_text()
    kernel_file.write_text(text.replace('"""', '"""An edited docstring. ', 1) + "\n# an edited comment\n")
    assert planned_rules(run_snakemake(workdir, target, "--dry-run", config=config, repo=repo, env=env)) == set()
    kernel_file.write_text(text + "\nEDITED = 1\n")
    assert set(MEASURING) <= planned_rules(
        run_snakemake(workdir, target, "--dry-run", config=config, repo=repo, env=env)
    )
