# Config and claims validation, the cell matrix, wildcard constraints and the input functions.
# The input functions are called thousands of times while the DAG of a large sweep is built:
# they look up dictionaries, except the extra rounds', which read one round plan each.
import hashlib
import json
import os
import re
import sys

from snakemake.common.configfile import load_configfile
from snakemake.exceptions import WorkflowError
from snakemake.utils import update_config

from showdown import paths
from showdown.analysis import load_claims, run_config_hash
from showdown.cell import kernel_hash
from showdown.sweep import (
    ConfigError,
    cluster,
    labels_table,
    other_labels,
    another_machines_cores,
    load_aa_spread,
    load_sweep,
    machine_slug,
    matrix,
    sweep_cores,
    usable_cpus,
    validate_schema,
)
from showdown.figures import FIGURES
from showdown.kernel import LABEL_PATTERN, parse_size


def on_slurm():
    """profiles/slurm gives the measuring rules their node type's threads: a run through it
    submits them to SLURM (on the submit host, and inside each job, which reads the workflow).
    """
    return "run_cell" in workflow.resource_settings.overwrite_threads


# `--config k=v` without `--configfile`: replace-workflow-config (both profiles) has
# Snakemake drop the default sweep then; k=v means "the default sweep, with k=v".
if not workflow.overwrite_configfiles and "workloads" not in config:
    _given = dict(config)
    config.clear()
    config.update(
        load_configfile(os.path.join(workflow.basedir, "config", "config.yaml"))
    )
    update_config(config, _given)

try:
    # On SLURM each label is a node type, and its measuring jobs get its nodes' CPUs.
    NODE_TYPES = cluster.node_types(
        validate_schema(config), config.get("machine") or machine_slug(), on_slurm()
    )
    cluster.publish(NODE_TYPES)
    # The CPUs a measuring job of each label gets (a node type's, else this process's);
    # `cores` resolves to them unless SHOWDOWN_CORES says. One label per node type.
    MACHINE_CORES = {label: node.cpus for label, node in NODE_TYPES.items()}
    SWEEP = load_sweep(
        config,
        sweep_cores(usable_cpus()),
        machines={label: sweep_cores(cpus) for label, cpus in MACHINE_CORES.items()},
    )
    MACHINE_CORES = MACHINE_CORES or {SWEEP.machine: usable_cpus()}
    SCHEDULE = matrix.Schedule(SWEEP)
except ConfigError as error:
    raise WorkflowError(str(error)) from None

# The report's front page reads the config: give it the derived label and interpreters.
config["machine"] = SWEEP.machine
config["interpreters"] = {name: i.to_params() for name, i in SWEEP.interpreters.items()}
config["margin"] = SWEEP["margin"]
KERNEL_HASH = kernel_hash()
# The cells' runner is this very Python, the one that imported showdown above; an
# environment variable, not a param, so that a moved venv does not re-measure every cell.
os.environ.setdefault("SHOWDOWN_PYTHON", sys.executable)
BASE_ROUNDS = SWEEP["rounds"]["base"]
MAX_ROUNDS = SWEEP["rounds"]["max"]
ALL_MODELS = sorted({cell.model for cell in SCHEDULE.cells})
# The article's claims belong to the project, not to a sweep: read from this checkout.
CLAIMS_FILE = os.path.join(workflow.basedir, "config", "claims.yaml")
# Checked before any job, like the config: a bad claim stops the run, naming it and its key.
try:
    load_claims(CLAIMS_FILE)
except ValueError as error:
    raise WorkflowError(str(error)) from None
# Each workload kind's A/A round spread on a quiet machine: the sweep's own, else the one
# config/aa.yaml recorded (the reference a run's noise is checked against).
AA_SPREAD = SWEEP["aa_spread"] or load_aa_spread(
    os.path.join(workflow.basedir, "config", "aa.yaml")
)
# Other machines' labels in this results tree: complete ones are analysed beside this run's
# (their files are inputs, never jobs); incomplete ones are named, in the log and the report.
try:
    OTHER_LABELS = other_labels(SWEEP.labels, SWEEP["machines"])
except ConfigError as error:
    raise WorkflowError(str(error)) from None
for _state in OTHER_LABELS:
    if not _state.complete:
        print(
            f"showdown: machine label {_state.label!r} is left out of the analysis: {_state.reason}",
            file=sys.stderr,
        )


def _alternatives(values):
    return "|".join(
        re.escape(str(value)) for value in sorted(values, key=len, reverse=True)
    )


wildcard_constraints:
    # Only this run's labels: another label's files are inputs, never jobs.
    machine=_alternatives(SWEEP.labels),
    interpreter=_alternatives(SWEEP.interpreters),
    workload=_alternatives(SWEEP.workloads),
    model=_alternatives(ALL_MODELS),
    workers=r"[1-9]\d*",
    payload=LABEL_PATTERN,
    round=r"[1-9]\d*",


def cell_of(wildcards):
    return matrix.Cell.of(
        wildcards.machine,
        wildcards.interpreter,
        wildcards.workload,
        wildcards.model,
        int(wildcards.workers),
        wildcards.payload,
    )


# An interpreter with `packages` runs from its own venv, built by build_interpreter_env;
# the record says whether pip succeeded (the venv lives beside it, under the same name).
ENV_RECORD = paths.ENV_RECORD
ENV_DIR = paths.ENV_DIR


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
        "target_seconds": SWEEP.calibration_target(
            wildcards.workload, wildcards.machine
        ),
        "workers": list(SWEEP.workers(wildcards.workload, wildcards.machine)),
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
        # A twin (`twin_of`) does its twin's work, a library_threads setting its entry's
        # default's: one calibration for both.
        paths["calibration"] = matrix.CALIBRATION.format(
            **{
                **cell.wildcards(),
                "interpreter": SWEEP.group_interpreter(cell.interpreter),
                "workload": SWEEP.calibration_workload(cell.workload),
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
    seconds = SWEEP.timeout_seconds(wildcards.interpreter, wildcards.workload)
    return int(seconds // 60) + 5


def cell_mem_mb(wildcards):
    """Memory a cell asks of a cluster: its workload's setting (processes cost memory)."""
    return SWEEP.workloads[wildcards.workload].mem_mb


def groups_in_round(round, machine):
    """A label's work groups measured in ``round``: all of them up to the base, then those
    its own plans kept (each label is planned apart: another's plan is never read)."""
    if round <= BASE_ROUNDS:
        return [group for group in SCHEDULE.groups if group[0] == machine]
    with open(
        checkpoints.plan_round.get(machine=machine, round=round - 1).output[0]
    ) as handle:
        plan = json.load(handle)
    # Twins share a work group: the group gets another round if either's cells ask for it.
    wanted = {
        SCHEDULE.group_of(*(g[key] for key in matrix.WORK_GROUP))
        for g in plan["groups"]
        if g["another_round"]
    }
    return sorted(wanted)


def round_plan_inputs(wildcards):
    """Every round file of this label up to this round: the plan judges each group's precision so far."""
    return [
        path
        for round in range(1, int(wildcards.round) + 1)
        for group in groups_in_round(round, wildcards.machine)
        for path in SCHEDULE.round_paths(group, round)
    ]


def label_round_files(machine):
    """A label's base rounds of every group, then the extra rounds its plans asked for."""
    return [
        path
        for round in range(1, MAX_ROUNDS + 1)
        for group in groups_in_round(round, machine)
        for path in SCHEDULE.round_paths(group, round)
    ]


def all_round_files(wildcards):
    """Every round file of this run's labels, and of the complete labels brought in."""
    return [path for machine in SWEEP.labels for path in label_round_files(machine)] + [
        path for state in OTHER_LABELS if state.complete for path in state.round_files
    ]


def manifest_inputs(wildcards):
    return label_round_files(wildcards.machine)


def manifest_params(wildcards):
    """What a label's manifest says beside its round files."""
    return {
        "machine": wildcards.machine,
        "cores": {m.label: m.cores for m in SWEEP.machines}[wildcards.machine],
        "config_hash": run_config_hash(config),
    }


def analysed_labels():
    """Which labels the analysis takes and which it leaves out, with why (labels.tsv)."""
    return labels_table(SWEEP.labels, OTHER_LABELS)


MEASURING_RULES = {"probe_interpreter", "check_workload", "calibrate_work", "run_cell"}


def refuse_to_measure_for_another_machine():
    """Stop a real run before its first job when SHOWDOWN_CORES is not this machine's count
    and a measuring job is planned: its worker counts are another machine's. A run that
    only analyses that machine's cells (brought home) needs the override and goes on."""
    reasons = [
        another_machines_cores(m.cores, MACHINE_CORES[m.label]) for m in SWEEP.machines
    ]
    why = next((reason for reason in reasons if reason), None)
    planned = MEASURING_RULES & {job.rule.name for job in workflow.dag.needrun_jobs()}
    if why and planned:
        raise WorkflowError(
            f"{why}; this run would measure ({', '.join(sorted(planned))})"
        )


def cell_set():
    """A digest of the sweep's cells and rounds, a param of the aggregation: the profiles
    leave out the `input` rerun trigger (a cell's previous-job input only orders the
    rounds), so a finished tree would not notice an interpreter, workload or model
    removed, or one added whose cells exist (new cells rerun it by their time)."""
    text = json.dumps(
        [
            [matrix.cell_path(cell, 0) for cell in SCHEDULE.cells],
            BASE_ROUNDS,
            MAX_ROUNDS,
            # Another label appearing, leaving or changing its cells reruns the analysis too.
            [[s.label, s.complete, s.round_files] for s in OTHER_LABELS],
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def user_functions():
    """Each callable workload's function, by label: the report names the user's code."""
    return {
        label: entry.params_dict()["function"]
        for label, entry in SWEEP.workloads.items()
        if entry.user_code
    }


def user_entries():
    """A library_threads setting's workload -> the config entry it comes from."""
    return {
        label: entry.config_label
        for label, entry in SWEEP.workloads.items()
        if entry.user_code and entry.config_label != label
    }


def user_workload_inputs(wildcards):
    """The user-workload table, where the sweep has the user's code: the findings read
    its notes (a function's own threads, its library_threads settings)."""
    if not user_functions():
        return {}
    return {"user_workloads_tsv": paths.USER_WORKLOADS}


def final_outputs():
    return [
        paths.LEDGER,
        # The front page: workflow.rst includes it (the guide and the readable ledger come along).
        paths.FINDINGS,
        paths.TABLES,
        paths.FIGURE_LINKS,
        paths.FOREST_TABLE,
        paths.PROVENANCE_RST,
        paths.VERDICTS,
        *([paths.USER_WORKLOADS] if user_functions() else []),
        paths.AA_CONTROL,
        paths.NOT_APPLICABLE,
        paths.APPLICABILITY,
        paths.FAILED,
        *(paths.MANIFEST.format(machine=label) for label in SWEEP.labels),
        *(figure.output for figure in FIGURES),
    ]


def declared_not_applicable():
    return [
        {**cell.wildcards(), "payload_bytes": cell.payload_bytes, "message": reason}
        for cell, reason in matrix.not_applicable_cells(SWEEP)
    ]
