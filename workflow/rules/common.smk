# Config validation, the cell matrix, wildcard constraints and the input functions.
# Dictionary look-ups only: the DAG of a large sweep is built from these thousands of times.
import json
import os
import re
import sys

from snakemake.exceptions import WorkflowError

from showdown.cell import kernel_hash
from showdown.sweep import ConfigError, load_sweep, matrix
from showdown.figures import FIGURES
from showdown.kernel import LABEL_PATTERN, parse_size, size_label

try:
    SWEEP = load_sweep(config)
    SCHEDULE = matrix.Schedule(SWEEP)
except ConfigError as error:
    raise WorkflowError(str(error)) from None

# The report's front page reads the config: give it the derived label and interpreters.
config["machine"] = SWEEP.machine
config["interpreters"] = {name: i.to_params() for name, i in SWEEP.interpreters.items()}
KERNEL_HASH = kernel_hash()
# The cells' runner is this very Python, the one that imported showdown above; an
# environment variable, not a param, so that a moved venv does not re-measure every cell.
os.environ.setdefault("SHOWDOWN_PYTHON", sys.executable)
BASE_ROUNDS = SWEEP["rounds"]["base"]
MAX_ROUNDS = SWEEP["rounds"]["max"]
ALL_MODELS = sorted({cell.model for cell in SCHEDULE.cells})
# The article's claims belong to the project, not to a sweep: read from this checkout.
CLAIMS_FILE = os.path.join(workflow.basedir, "config", "claims.yaml")


def _alternatives(values):
    return "|".join(
        re.escape(str(value)) for value in sorted(values, key=len, reverse=True)
    )


wildcard_constraints:
    machine=re.escape(SWEEP.machine),
    interpreter=_alternatives(SWEEP.interpreters),
    workload=_alternatives(SWEEP.workloads),
    model=_alternatives(ALL_MODELS),
    workers=r"[1-9]\d*",
    payload=LABEL_PATTERN,
    round=r"[1-9]\d*",


def cell_of(wildcards):
    return matrix.Cell(
        wildcards.machine,
        wildcards.interpreter,
        wildcards.workload,
        wildcards.model,
        int(wildcards.workers),
        wildcards.payload,
    )


# An interpreter with `packages` runs from its own venv, built by build_interpreter_env;
# the record says whether pip succeeded (the venv lives beside it, under the same name).
ENV_RECORD = "results/envs/{machine}/{interpreter}.json"
ENV_DIR = "results/envs/{machine}/{interpreter}"


def interpreter_params(wildcards):
    """The interpreter as plain values; with packages, the record of its venv too."""
    interpreter = SWEEP.interpreters[wildcards.interpreter]
    params = interpreter.to_params()
    if interpreter.packages:
        params["env_record"] = ENV_RECORD.format(
            machine=wildcards.machine, interpreter=wildcards.interpreter
        )
    return params


def interpreter_env(wildcards):
    """The venv record a job of this interpreter waits for; none for a bare interpreter."""
    if not SWEEP.interpreters[wildcards.interpreter].packages:
        return {}
    return {
        "env": ENV_RECORD.format(
            machine=wildcards.machine, interpreter=wildcards.interpreter
        )
    }


def calibration_params(wildcards):
    entry = SWEEP.workloads[wildcards.workload]
    return {
        "kind": entry.kind,
        "payload_bytes": parse_size(wildcards.payload),
        "params": entry.params_dict(),
        "target_seconds": SWEEP["calibration_seconds"],
        "workers": list(entry.workers),
    }


def workload_check_spec(wildcards):
    entry = SWEEP.workloads[wildcards.workload]
    return {"params": entry.params_dict(), "payloads": list(entry.payloads)}


def workload_check_inputs(wildcards):
    """The probe, and the user's source files: an edit to them reruns the check."""
    return {
        "probe": matrix.PROBE.format(**dict(wildcards.items())),
        "sources": SWEEP.workloads[wildcards.workload].source_files(),
        **interpreter_env(wildcards),
    }


def workload_source_hash(wildcards):
    """The user's files, hashed: an edit reruns the check even where file times mislead."""
    return SWEEP.workloads[wildcards.workload].source_hash()


def workload_checks(wildcards):
    """Every callable workload's check under this interpreter."""
    return [
        matrix.WORKLOAD_CHECK.format(
            machine=wildcards.machine, interpreter=wildcards.interpreter, workload=label
        )
        for label, entry in SWEEP.workloads.items()
        if entry.user_code
    ]


def calibration_inputs(wildcards):
    """The probe and, for the user's code, its check: a calibration runs that code."""
    inputs = {
        "probe": matrix.PROBE.format(**dict(wildcards.items())),
        **interpreter_env(wildcards),
    }
    if SWEEP.workloads[wildcards.workload].user_code:
        inputs["workload_check"] = matrix.WORKLOAD_CHECK.format(
            **dict(wildcards.items())
        )
    return inputs


def cell_preparations(cell):
    """The files a cell reads: its interpreter's probe, if calibrated its group's work, if
    the user's code the check of that code."""
    paths = {"probe": matrix.PROBE.format(**cell.wildcards())}
    entry = SWEEP.workloads[cell.workload]
    if entry.calibrated:
        # A twin (`twin_of`) does its twin's work: one calibration for both.
        paths["calibration"] = matrix.CALIBRATION.format(
            **{
                **cell.wildcards(),
                "interpreter": SWEEP.group_interpreter(cell.interpreter),
            }
        )
    if entry.user_code:
        paths["workload_check"] = matrix.WORKLOAD_CHECK.format(**cell.wildcards())
    return paths


def cell_inputs(wildcards):
    """The cell's preparations, and the job just before this one in its round."""
    cell = cell_of(wildcards)
    round = int(wildcards.round)
    inputs = {**cell_preparations(cell), **interpreter_env(wildcards)}
    previous = SCHEDULE.previous(cell, round)
    if previous is not None:
        # Order only: a rerun of the previous job must not make this one out of date.
        inputs["previous"] = ancient(previous)
    else:
        # The first job of a chain waits, order only, for every user workload's check, so
        # bad user code is refused before any cell runs, and its edit reruns no other chain.
        inputs["workload_checks"] = [
            ancient(path) for path in workload_checks(wildcards)
        ]
    return inputs


def cell_request(wildcards):
    """All a cell job needs, as one JSON argument of `python -m showdown.cell.run`."""
    cell = cell_of(wildcards)
    request = matrix.cell_request(
        SWEEP,
        SCHEDULE,
        cell,
        int(wildcards.round),
        interpreter=interpreter_params(wildcards),
        preparations=cell_preparations(cell),
        kernel_hash=KERNEL_HASH,
    )
    return request.to_json()


def cell_runtime_minutes(wildcards):
    """SLURM's limit: the cell's own timeout plus a margin, so the kernel's fires first."""
    return int(SWEEP.workloads[wildcards.workload].timeout_seconds // 60) + 5


def cell_mem_mb(wildcards):
    """Memory a cell asks of a cluster: its workload's setting (processes cost memory)."""
    return SWEEP.workloads[wildcards.workload].mem_mb


def groups_in_round(round):
    """Work groups measured in ``round``: all of them up to the base, then those the plans kept."""
    if round <= BASE_ROUNDS:
        return list(SCHEDULE.groups)
    with open(checkpoints.plan_round.get(round=round - 1).output[0]) as handle:
        plan = json.load(handle)
    # Twins share a work group: the group gets another round if either's cells ask for it.
    wanted = {
        (
            g["machine"],
            SWEEP.group_interpreter(g["interpreter"]),
            g["workload"],
            size_label(g["payload_bytes"]),
        )
        for g in plan["groups"]
        if g["another_round"]
    }
    return sorted(wanted)


def round_plan_inputs(wildcards):
    """Every round file up to this round: the plan judges each group's precision so far."""
    return [
        path
        for round in range(1, int(wildcards.round) + 1)
        for group in groups_in_round(round)
        for path in SCHEDULE.round_paths(group, round)
    ]


def all_round_files(wildcards):
    """The base rounds of every group, then the extra rounds the plans asked for."""
    files = []
    for round in range(1, MAX_ROUNDS + 1):
        files += [
            path
            for group in groups_in_round(round)
            for path in SCHEDULE.round_paths(group, round)
        ]
    return files


def user_functions():
    """Each callable workload's function, by label: the report names the user's code."""
    return {
        label: entry.params_dict()["function"]
        for label, entry in SWEEP.workloads.items()
        if entry.user_code
    }


def final_outputs():
    return [
        "results/claims/ledger.tsv",
        # The front page: workflow.rst includes it (the guide and the readable ledger come along).
        "results/report/findings.rst",
        "results/report/tables.html",
        "results/report/figure_links.rst",
        "results/report/provenance.rst",
        "results/stats/verdicts.tsv",
        *(["results/stats/user_workloads.tsv"] if user_functions() else []),
        "results/stats/aa_control.tsv",
        "results/matrix/not_applicable.tsv",
        "results/matrix/applicability.tsv",
        "results/aggregate/failed.tsv",
        *(figure.output for figure in FIGURES),
    ]


def declared_not_applicable():
    return [
        {**cell.wildcards(), "payload_bytes": cell.payload_bytes, "message": reason}
        for cell, reason in matrix.not_applicable_cells(SWEEP)
    ]
