"""Shared helpers: where the workflow is, how to run Snakemake on it, which Pythons exist."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
# On CI, "not available here" must fail rather than skip (see .ci/run).
REQUIRE_ALL = os.environ.get("SHOWDOWN_REQUIRE_ALL") == "1"


def skip_or_fail(reason: str):
    if REQUIRE_ALL:
        pytest.fail(f"SHOWDOWN_REQUIRE_ALL=1 but {reason}")
    pytest.skip(reason)


def pyenv_python(version_prefix: str):
    """Absolute path of a pyenv CPython (the shims fail unless that version is active)."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    versions = sorted(Path(root, "versions").glob(f"{version_prefix}.*"))
    for version in reversed(versions):
        python = version / "bin" / "python"
        if python.exists():
            return str(python)
    return None


# Every process a test session starts carries this tag in its environment, so that a
# search for survivors finds ours and not those of another session on the same machine.
SESSION_TAG = f"showdown-test-{os.getpid()}"
os.environ["SHOWDOWN_TEST_TAG"] = SESSION_TAG


def tagged_processes():
    """Live processes (other than this one) started by this test session."""
    import psutil

    found = []
    for process in psutil.process_iter():
        try:
            if process.pid != os.getpid() and process.environ().get("SHOWDOWN_TEST_TAG") == SESSION_TAG:
                found.append(process)
        except psutil.Error:
            continue
    return found


def run_snakemake(workdir, *args, configfile=None, config=None, timeout=600, check=True, repo=REPO, env=None):
    """Run the workflow of this checkout (or of a copy, ``repo``) in ``workdir`` (a fresh results/ there)."""
    workdir = Path(workdir)
    command = [SNAKEMAKE, "--snakefile", str(Path(repo) / "Snakefile"), "--cores", "2", *args]
    if config is not None:
        configfile = workdir / "config.yaml"
        configfile.write_text(yaml.safe_dump(config))
    if configfile is not None:
        command += ["--configfile", str(configfile)]
    done = subprocess.run(
        command,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=None if env is None else {**os.environ, **env},
    )
    if check and done.returncode:
        raise AssertionError(f"snakemake failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
    return done


def copy_repo(destination):
    """A copy of what the workflow runs (Snakefile, rules, configs, package) to edit freely:
    run it with ``run_snakemake(..., repo=copy, env={"PYTHONPATH": str(copy / "src")})``."""
    destination = Path(destination)
    destination.mkdir()
    for part in ("Snakefile", "environment.yml", "workflow", "config", "report", "src"):
        if (REPO / part).is_dir():
            shutil.copytree(REPO / part, destination / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / part, destination / part)
    return destination


def tiny_sweep(**overrides):
    """The tiny test sweep, with overrides: each test states only what it changes."""
    config = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    config.update(overrides)
    return config


# pytest-xdist (pyproject's addopts) runs one group of tests on one worker: a file's tests share
# its module fixtures (one SLURM cluster, one default-shaped sweep), so a file is a group, and the
# files that read the session's tiny sweep are one group, so that it is measured once. (xdist's
# own `xdist_group` marks do not group under pytest 9, whose node ids xdist 3.8 cannot suffix.)
# Groups go out longest first, so that the last one to finish is short; the rest in file order.
SHARED_SWEEP = "finished_sweep"
SHARED_SWEEP_FILES = ("test_machines.py", "test_report.py", "test_workflow.py")
LONGEST_FIRST = (SHARED_SWEEP, "test_cluster.py", "test_interpreters.py", "test_library_threads.py",
                 "test_free_threaded.py", "test_user_workloads.py", "test_faults.py", "test_kernel.py")  # fmt: skip


def group_of(path: str) -> str:
    name = path.split("::", 1)[0].rsplit("/", 1)[-1]
    return SHARED_SWEEP if name in SHARED_SWEEP_FILES else name


def pytest_collection_modifyitems(config, items):
    readers = {item.path.name for item in items if SHARED_SWEEP in getattr(item, "fixturenames", ())}
    if not readers <= set(SHARED_SWEEP_FILES):
        raise pytest.UsageError(f"conftest.SHARED_SWEEP_FILES must name {sorted(readers - set(SHARED_SWEEP_FILES))}")
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(group_of(item.path.name), len(rank)))  # stable: file order within


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # without xdist the suite runs in one process, in the same order
    LoadScopeScheduling = None

if LoadScopeScheduling is not None:

    class GroupScheduling(LoadScopeScheduling):
        """xdist's scope scheduling, with :func:`group_of` as the scope."""

        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(config, log):
        return GroupScheduling(config, log)


@pytest.fixture
def tiny_config():
    return tiny_sweep()


@pytest.fixture(scope="session")
def finished_sweep(tmp_path_factory):
    """The tiny sweep, run once for the whole session: (its directory, the run)."""
    workdir = tmp_path_factory.mktemp("sweep")
    done = run_snakemake(workdir, config=tiny_sweep())
    return workdir, done


@pytest.fixture(scope="session")
def finished_report(finished_sweep):
    """The tiny sweep's report.html, made once for the session (every reader only reads it)."""
    workdir, _ = finished_sweep
    run_snakemake(workdir, "--report", "results/report.html", configfile=workdir / "config.yaml")
    return workdir / "results/report.html"
