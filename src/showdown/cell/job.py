"""One (cell, round) job: the kernel in a fresh interpreter, its samples into a round file.

The kernel is staged into a private folder (``showdown/__init__.py`` and
``showdown/kernel/``) and put on the interpreter's path, so a bare CPython 3.9 or PyPy runs
the very same code as the workflow's own Python; the hash of the kernel and of this job
(``sources.kernel_hash``) goes into the provenance.
Whatever happens to the kernel (a hang, a crash, a broken pool), the job writes a round
file that says so, and the sweep goes on.
"""

import datetime
import hashlib
import json
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import showdown

from .. import SCHEMA_VERSION
from ..kernel import LIBRARY_THREAD_VARIABLES, affinity_cpus, describe, model_module_folders
from .interpreters.builds import build_provenance
from .interpreters.interpreter import Interpreter
from .interpreters.venv import resolve
from .record import to_table, write_atomic, write_json_atomic
from .request import DEFAULT_LIBRARY_THREADS, Cell, CellRequest
from .sources import PACKAGE_DIR, kernel_hash, kernel_sources
from .supervisor import Outcome, run_supervised


@contextmanager
def staged_kernel() -> Iterator[Path]:
    """A private folder holding the kernel and an empty working folder; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="showdown-cell-") as root:
        package = Path(root, "path", "showdown")
        (package / "kernel").mkdir(parents=True)
        for source in kernel_sources():
            shutil.copy2(source, package / source.relative_to(PACKAGE_DIR))
        work = Path(root, "work")
        work.mkdir()
        yield Path(root)


def user_path(params: Dict[str, Any]) -> Optional[str]:
    """The folder a callable workload's code is imported from, made absolute (the job runs
    elsewhere); None for every other workload and for code installed in the environment."""
    return str(Path(params["path"]).resolve()) if params.get("path") else None


def library_thread_count(setting: str, workers: int, cores: int) -> Optional[int]:
    """Threads each library pool gets under a workload's ``library_threads`` setting:
    None for "default" (the library decides), usable cores // workers (at least 1) for
    "per_worker" (serial, one worker, keeps every core), else the number given."""
    if setting == DEFAULT_LIBRARY_THREADS:
        return None
    if setting == "per_worker":
        return max(1, cores // workers)
    return int(setting)


def kernel_environment(interpreter: Interpreter, library_threads: Optional[int] = None) -> Dict[str, str]:
    """The measured process's environment, before the kernel's own path.

    Snakemake sets the library thread variables of every job to the rule's threads; those
    are dropped, so the kernel sees the real machine. Then a ``library_threads`` limit,
    then the interpreter's ``env``, which always reaches the process as written.
    """
    inherited = {name: value for name, value in os.environ.items() if name not in LIBRARY_THREAD_VARIABLES}
    limit = dict.fromkeys(LIBRARY_THREAD_VARIABLES, str(library_threads)) if library_threads else {}
    return {**inherited, **limit, **interpreter.environment()}


def run_kernel(
    interpreter: Interpreter, command: str, spec: Dict[str, Any], timeout: float,
    library_threads: Optional[int] = None,
) -> Tuple[Outcome, Optional[Dict[str, Any]]]:  # fmt: skip
    """Run ``python -m showdown.kernel COMMAND SPEC`` under supervision; (outcome, answer).

    A callable workload's ``path`` joins the kernel on PYTHONPATH, after it, so that its
    workers (processes, subinterpreters) import the user's module from there as well; so do
    the folders of the user's model modules (``SHOWDOWN_MODEL_MODULES``).
    """
    extra = user_path(spec.get("params", {}))
    with staged_kernel() as root:
        env = {
            **kernel_environment(interpreter, library_threads),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(root / "path"), extra, *model_module_folders()])),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        argv = [*interpreter.command, "-m", "showdown.kernel", command, json.dumps(spec)]
        outcome = run_supervised(argv, env=env, cwd=str(root / "work"), timeout=timeout)
    answer = None
    if outcome.failure() is None:
        try:
            answer = json.loads(outcome.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            answer = None
    return outcome, answer


def git_state(directory: str) -> Tuple[Optional[str], Optional[bool]]:
    """(commit, dirty) of the checkout holding ``directory``, or (None, None)."""
    import subprocess

    try:
        commit = subprocess.run(
            ["git", "-C", directory, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        status = subprocess.run(
            ["git", "-C", directory, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    if commit.returncode:
        return None, None
    return commit.stdout.strip(), bool(status.stdout.strip())


@dataclass
class CellJob:
    """A request, with what its job read from the files it names (probe, calibration, check)
    and found (the interpreter's venv, the checkout's git state): built by :func:`run_cell_job`."""

    request: CellRequest
    interpreter: Interpreter  # the request's, resolved to the python that really runs
    tasks: int  # the request's fixed tasks, or its calibration's
    git: Dict[str, Any] = field(default_factory=dict)  # git_commit, git_dirty
    # Why the interpreter's own venv is missing (it then runs bare), or None.
    environment_failure: Optional[str] = None
    # A callable workload's check (check_workload): code hash, and why process models cannot run it.
    workload_check: Optional[Dict[str, Any]] = None
    # Why the group's calibration refused the user's function: every cell fails with it, unrun.
    refusal: Optional[str] = None

    @property
    def cell(self) -> Cell:
        return self.request.cell

    def library_thread_count(self) -> Optional[int]:
        cores = affinity_cpus() or os.cpu_count() or 1
        return library_thread_count(self.request.library_threads, self.cell.workers, cores)

    def spec(self) -> Dict[str, Any]:
        request = self.request
        return {
            "kind": request.kind,
            "model": self.cell.base_model,
            "workers": self.cell.workers,
            "payload_bytes": self.cell.payload_bytes,
            "tasks": self.tasks,
            "params": request.params,
            "warmups": request.warmups,
            "repetitions": request.repetitions,
        }


def _provenance_row(job: CellJob, meta: Dict[str, Any], started_at: str) -> Dict[str, Any]:
    cell, request = job.cell, job.request
    return {
        "machine": cell.machine,
        "interpreter": job.interpreter.name,
        "workload": cell.workload,
        "kind": request.kind,
        "model": cell.model,
        "workers": cell.workers,
        "payload_bytes": cell.payload_bytes,
        "round": request.round,
        **{
            key: meta.get(key)
            for key in (
                "host",
                "cpu_model",
                "logical_cpus",
                "affinity_cpus",
                "os",
                "os_release",
                "python_implementation",
                "python_version",
                "python_executable",
                "gil_enabled",
                "free_threaded_build",
                "python_config_args",
                "slurm_job_id",
                "load_average",
            )
        },
        **build_provenance(job.interpreter),
        "package_version": showdown.__version__,
        # The sweep's, taken when it planned this job: hashing by tokens takes a quarter of a
        # second, too long to repeat in every cell job.
        "kernel_hash": request.kernel_hash,
        "started_at": started_at,
        "schema_version": SCHEMA_VERSION,
        "code_hash": (job.workload_check or {}).get("code_hash"),
        "library_threads": request.library_threads,
        "library_threads_set": job.library_thread_count(),
        "config_hash": request.config_hash,
        "seed": request.seed,
        "position": request.position,
        **job.git,
    }


def cell_rows(
    job: CellJob, outcome: Outcome, answer: Optional[Dict[str, Any]], fallback_meta: Dict[str, Any], started_at: str
) -> List[Dict[str, Any]]:
    """The rows of a round file: one per repetition, or one saying why there are none."""
    meta = (answer or {}).get("meta") or fallback_meta
    base = _provenance_row(job, meta, started_at)
    base.update(
        peak_rss_bytes=outcome.peak_rss_bytes,
        peak_uss_bytes=outcome.peak_uss_bytes,
        peak_pss_bytes=outcome.peak_pss_bytes,
        kernel_seconds=outcome.seconds,
        orphans_killed=outcome.orphans_killed,
    )
    failure = outcome.failure()
    if failure is None and answer is None:
        failure = ("crashed", f"the kernel printed no answer; {outcome.stderr_tail()}")
    if failure is None and answer["status"] != "ok":
        failure = (answer["status"], answer.get("message", ""))
    if failure is not None:
        status, message = failure
        if status == "not_applicable" and job.environment_failure:
            # The kernel ran bare: a model that missed a package of the failed venv says why.
            message = f"{job.environment_failure} (the kernel, run without it: {message})"
        return [dict(base, status=status, message=message, repetition=-1, warmup=False, tasks=job.tasks)]
    rows = []
    for sample in answer["samples"]:
        rows.append(
            dict(
                base,
                **sample,
                status="ok",
                message=None,
                start_method=answer.get("start_method"),
                pool_start_seconds=answer.get("pool_start_seconds"),
                import_seconds=answer.get("import_seconds"),
                gil_enabled_after_imports=answer.get("gil_enabled_after_imports"),
                threadpools=answer.get("threadpools"),
            )
        )
    return rows


def _not_run(reason: str, status: str = "not_applicable") -> Tuple[Outcome, Dict[str, Any]]:
    """The outcome and answer of a cell its preparation ruled out: no kernel started."""
    outcome = Outcome(0, "", "", False, 0.0, None, None, None, 0)
    return outcome, {"status": status, "message": reason}


def run_cell(job: CellJob, output: str, fallback_meta: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Measure one (cell, round) and write its round file atomically; return its rows."""
    started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    unpicklable = (job.workload_check or {}).get("unpicklable")
    model = job.cell.base_model
    if job.refusal:
        outcome, answer = _not_run(job.refusal, status="failed")
    elif unpicklable and describe(model).pickles:
        outcome, answer = _not_run(f"{model} pickles each task, and {unpicklable}")
    else:
        outcome, answer = run_kernel(job.interpreter, "run", job.spec(), job.request.timeout_seconds,
                                     library_threads=job.library_thread_count())  # fmt: skip
    if outcome.stderr.strip():
        print(outcome.stderr, file=sys.stderr)
    rows = cell_rows(job, outcome, answer, fallback_meta, started_at)
    write_atomic(to_table(rows), output)
    return rows


def run_cell_job(output: str, request: CellRequest) -> List[Dict[str, Any]]:
    """One (cell, round) from the request the sweep built: its inputs read, then measured.

    The git state recorded is that of the checkout holding this package: the code that ran.
    """
    with open(request.probe) as handle:
        fallback_meta = json.load(handle).get("meta", {})
    tasks, refusal = request.tasks, None
    if request.calibration:
        with open(request.calibration) as handle:
            calibration = json.load(handle)
        tasks = calibration["tasks"]
        if calibration.get("status") == "refused":
            refusal = calibration["message"]
    workload_check = None
    if request.workload_check:
        with open(request.workload_check) as handle:
            workload_check = json.load(handle)
    commit, dirty = git_state(str(PACKAGE_DIR))
    resolved, environment_failure = resolve(Interpreter.from_params(request.interpreter))
    cell_job = CellJob(
        request=request,
        interpreter=resolved,
        tasks=tasks,
        git={"git_commit": commit, "git_dirty": dirty},
        environment_failure=environment_failure,
        workload_check=workload_check,
        refusal=refusal,
    )
    return run_cell(cell_job, output, fallback_meta)


PREPARE_TIMEOUT_SECONDS = 600


def _kernel_answer(
    interpreter: Interpreter, command: str, spec: Dict[str, Any], accept: Tuple[str, ...] = ("ok",)
) -> Dict[str, Any]:
    """The kernel's answer to a preparation command; RuntimeError (and a failed job) if
    none, or if its status is not one of ``accept``."""
    outcome, answer = run_kernel(interpreter, command, spec, PREPARE_TIMEOUT_SECONDS)
    failure = outcome.failure()
    if failure or answer is None or answer.get("status") not in accept:
        reason = failure[1] if failure else (answer or {}).get("message", outcome.stderr_tail())
        raise RuntimeError(f"{command} failed under {interpreter.name} ({' '.join(interpreter.command)}): {reason}")
    answer["interpreter"] = interpreter.to_params()
    answer["kernel_hash"] = kernel_hash()
    return answer


def _environment(interpreter: Interpreter, failure: Optional[str]) -> Optional[Dict[str, Any]]:
    """The venv an interpreter ran from: its record's path and hash, or why there is none."""
    if not interpreter.env_record:
        return None
    with open(interpreter.env_record, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:12]
    return {
        "record": interpreter.env_record,
        "record_hash": digest,
        "command": list(interpreter.command),
        "failure": failure,
    }


def probe_interpreter(interpreter: Dict[str, Any], output: str) -> Dict[str, Any]:
    resolved, failure = resolve(Interpreter.from_params(interpreter))
    answer = _kernel_answer(resolved, "probe", {})
    answer["environment"] = _environment(resolved, failure)
    write_json_atomic(answer, output)
    return answer


def check_workload(interpreter: Dict[str, Any], label: str, spec: Dict[str, Any], output: str) -> Dict[str, Any]:
    """Check a callable workload's code in the interpreter under test, before any cell.

    Code that cannot be used at all (a module that does not import, a name that is not
    callable, a factory with the wrong signature) fails this job, naming the config key
    and what was found; code that only cannot be pickled rules out the process models,
    each of whose cells then records why.
    """
    resolved = resolve(Interpreter.from_params(interpreter))[0]
    answer = _kernel_answer(resolved, "inspect", spec, accept=("ok", "refused"))
    if answer["status"] == "refused":
        problems = [f"workloads.{label}.{key}: {found}" for key, found in answer["problems"]]
        raise ValueError(f"workload {label!r} under {resolved.name}:\n" + "\n".join(problems))
    for key in answer.get("awaited", []):
        print(f"workloads.{label}.{key}: {spec['params'][key]} is async def: awaited", file=sys.stderr)
    answer["spec"] = spec
    write_json_atomic(answer, output)
    return answer


def calibrate_work(interpreter: Dict[str, Any], spec: Dict[str, Any], output: str) -> Dict[str, Any]:
    resolved = resolve(Interpreter.from_params(interpreter))[0]
    try:
        answer = _kernel_answer(resolved, "calibrate", spec, accept=("ok", "refused"))
        if answer["status"] == "refused":
            print(answer["message"], file=sys.stderr)
            answer["tasks"] = max(spec.get("workers") or [1])  # never run: each cell fails with the reason
    except RuntimeError as error:
        if spec["kind"] != "callable":
            raise
        # The user's function raised, hung or crashed: one task per worker, so that every
        # cell runs it and records its own failure, with the traceback, like any other.
        answer = {"status": "failed", "tasks": max(spec.get("workers") or [1]), "message": str(error)}
    answer["spec"] = spec
    write_json_atomic(answer, output)
    return answer
