"""Reading a sweep's configuration: the checks a schema cannot make (``schema``: the rest).

Every problem is reported before any job runs, naming the key and the allowed values,
as a ``ConfigError`` that lists them all at once.
"""

import hashlib
import json
import os
import re
import socket
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

from .. import SCHEMA_VERSION
from ..cell import DEFAULT_LIBRARY_THREADS, Interpreter, built_interpreter, check_interpreter, default_interpreter_name
from ..kernel import TRANSFER_SCOPES, WORKLOADS, hash_files, parse_size
from ..stats import Margins
from ..vocabulary import AA_SUFFIX, base_model
from .schema import RELATIVE_WORKERS, ConfigError, validate_schema

# Keys of a workload entry that change what its cells measure (beside the coordinates).
WORK_KEYS = (
    "iterations", "bytes_per_task", "latency_ms", "tasks", "increments", "capacity", "requests_per_connection",
    "server_processes", "sharing",
)  # fmt: skip
# Keys of a callable workload: the user's code and where it is imported from.
CODE_KEYS = ("function", "path", "input", "check")
# Plans another machine's sweep: the CPU count the config's `cores` resolves to.
CORES_VARIABLE = "SHOWDOWN_CORES"


# ---------------------------------------------------------------------------------------
# Interpreters
# ---------------------------------------------------------------------------------------


def _interpreters(config) -> Tuple[Dict[str, Interpreter], List[str]]:
    given = config["interpreters"] or {default_interpreter_name(): {"command": [sys.executable], "env": {}}}
    interpreters, problems = {}, []
    for name, entry in given.items():
        env, packages = tuple(sorted(entry.get("env", {}).items())), tuple(entry.get("packages", ()))
        if entry.get("build"):
            build = entry["build"]
            interpreter = built_interpreter(name, build["version"], build["gil"], env, packages)
            if interpreter.unavailable:  # not a config error: its cells are not applicable
                interpreters[name] = interpreter
                continue
        else:
            command = entry["command"]
            command = (command,) if isinstance(command, str) else tuple(command)
            interpreter = Interpreter(name, command, env, packages)
        reason = check_interpreter(interpreter)
        if reason:
            problems.append(f"interpreters.{name}.{'build' if entry.get('build') else 'command'}: {reason}")
        interpreters[name] = interpreter
    for name, entry in given.items():
        twin = entry.get("twin_of")
        if twin is not None and (twin == name or twin not in given):
            others = ", ".join(sorted(set(given) - {name})) or "none"
            problems.append(f"interpreters.{name}.twin_of: {twin!r} is not another interpreter of this config; "
                            f"allowed values: {others}")  # fmt: skip
    return interpreters, problems


def _twins(config) -> Dict[str, str]:
    """Interpreter -> the twin whose calibration (and work groups) it shares."""
    return {name: entry["twin_of"] for name, entry in (config["interpreters"] or {}).items() if entry.get("twin_of")}


def machine_slug(hostname: Optional[str] = None) -> str:
    """The default machine label: this host's short name, made safe for a path."""
    short = (hostname or socket.gethostname()).split(".")[0]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", short).strip("-.")
    return slug or "machine"


def usable_cpus() -> int:
    """The logical CPUs this process may run on: its affinity (a SLURM allocation, taskset),
    not the machine's count (the kernel records the same per row, as ``affinity_cpus``)."""
    getter = getattr(os, "sched_getaffinity", None)
    return len(getter(0)) if getter else (os.cpu_count() or 1)


def sweep_cores(default: Optional[int] = None) -> int:
    """The CPU count `cores` resolves to: SHOWDOWN_CORES if set, else ``default`` (a cluster
    node's count), else the usable CPUs."""
    text = os.environ.get(CORES_VARIABLE, "").strip()
    if not text:
        return default or usable_cpus()
    if not text.isdigit() or int(text) < 1:
        raise ConfigError([f"{CORES_VARIABLE}: {text!r} is not a CPU count; allowed: an integer >= 1, "
                           f"or unset (the usable CPUs, here {usable_cpus()})"])  # fmt: skip
    return int(text)


def another_machines_cores(sweep_cores: int, machine_cores: int) -> Optional[str]:
    """Why a run may not measure here, or None: SHOWDOWN_CORES plans another machine's sweep
    when it is not this machine's count (``machine_cores``: the usable CPUs, or a cluster
    node's), and its worker counts are not this machine's."""
    if os.environ.get(CORES_VARIABLE, "").strip() and sweep_cores != machine_cores:
        return (f"{CORES_VARIABLE}={sweep_cores} but this machine has {machine_cores} usable CPUs: it plans "
                f"another machine's sweep (snakemake -n), or analyses its cells; unset it to measure here")  # fmt: skip
    return None


def resolve_workers(value, cores: int) -> int:
    """One `workers` item on a machine of ``cores`` CPUs: never below 1 (cores/4 on 2 cores)."""
    if isinstance(value, int):
        return value
    factor, operator, operand = RELATIVE_WORKERS.match(value).groups()
    count = cores * int(factor or 1)
    if operator == "*":
        count *= int(operand)
    elif operator == "/":
        count //= int(operand)
    return max(1, count)


# ---------------------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkloadEntry:
    label: str
    kind: str
    models: Tuple[str, ...]
    workers: Tuple[int, ...]
    payloads: Tuple[int, ...]
    params: Tuple[Tuple[str, Any], ...]
    timeout_seconds: float
    mem_mb: int
    # A name shared with the other versions of one function (the guide's row), or None.
    versions_of: Optional[str] = None
    # Library thread pools in the measured process (see the schema); a setting but
    # "default" is an entry of its own, labelled from the config's entry, `config_label`.
    library_threads: str = DEFAULT_LIBRARY_THREADS
    config_label: Optional[str] = None
    # `workers` as the config gives them: resolved again for each machine label's CPUs.
    worker_forms: Tuple[Any, ...] = ()

    @property
    def calibrated(self) -> bool:
        return WORKLOADS[self.kind].calibrated

    @property
    def repeated(self) -> bool:
        """Start-up and mechanism work: each batch repeats its run for repeat_seconds."""
        return WORKLOADS[self.kind].scenario.repeatable

    def params_dict(self) -> Dict[str, Any]:
        return dict(self.params)

    @property
    def user_code(self) -> bool:
        """A callable workload: the user's code, checked per interpreter before its cells."""
        return self.kind == "callable"

    def source_files(self) -> List[str]:
        """The user's Python files under ``path``: the workflow reruns the check (and so the
        workload's cells) when one changes, and nothing else."""
        path = self.params_dict().get("path")
        if not (self.user_code and path):
            return []
        return sorted(
            os.path.join(folder, name)
            for folder, folders, names in os.walk(path)
            if "__pycache__" not in folder
            for name in names
            if name.endswith(".py")
        )

    def source_hash(self) -> Optional[str]:
        """Hash of :meth:`source_files` (read, never imported): a rule parameter, so that an
        edit reruns the check and the workload's cells even where file times mislead."""
        files = self.source_files()
        return hash_files(files) if files else None


@dataclass(frozen=True)
class MachineLabel:
    """One machine a run measures on: its label (a path segment of every per-run file) and
    the CPUs `cores` resolves to there (usable CPUs, a cluster node type's, or SHOWDOWN_CORES)."""

    label: str
    cores: int


@dataclass(frozen=True)
class Sweep:
    """A validated configuration: everything the workflow needs to lay out its jobs."""

    # The labels this run measures, each with its CPUs (one today; a cluster's node types, several).
    machines: Tuple[MachineLabel, ...]
    interpreters: Mapping[str, Interpreter]
    workloads: Mapping[str, WorkloadEntry]
    settings: Mapping[str, Any] = field(default_factory=dict)
    # `twin_of`: an interpreter -> the twin it is measured beside (one calibration, one group).
    twins: Mapping[str, str] = field(default_factory=dict)
    # An interpreter's own `cell_timeout_seconds`, over its workloads' limits.
    timeouts: Mapping[str, float] = field(default_factory=dict)

    def __getitem__(self, key):
        return self.settings[key]

    @property
    def machine(self) -> str:
        """The run's first machine label (its only one, where it measures one machine)."""
        return self.machines[0].label

    @property
    def cores(self) -> int:
        """The CPUs `cores` resolved to on :attr:`machine`."""
        return self.machines[0].cores

    @property
    def labels(self) -> Tuple[str, ...]:
        return tuple(machine.label for machine in self.machines)

    def workers(self, workload: str, machine: str) -> Tuple[int, ...]:
        """A workload's worker counts on one of the run's labels, `cores` resolved for its CPUs."""
        cores = {m.label: m.cores for m in self.machines}[machine]
        entry = self.workloads[workload]
        if not entry.worker_forms:
            return entry.workers
        # cores/2 and 2 may meet on a small machine: each count is measured once.
        return tuple(sorted({resolve_workers(form, cores) for form in entry.worker_forms}))

    def calibration_workload(self, workload: str) -> str:
        """The workload whose calibration this one's cells use: a library_threads setting
        does the work of its config entry's default, where measured, so both compare per batch."""
        entry = self.workloads[workload]
        return entry.config_label if entry.config_label in self.workloads else workload

    def group_interpreter(self, interpreter: str) -> str:
        """The interpreter whose calibration this one's cells use: its twin's, where the twin
        can run, so that the twins do equal work in one work group; else its own."""
        twin = self.twins.get(interpreter)
        if twin is None or self.interpreters[twin].unavailable:
            return interpreter
        return twin

    def timeout_seconds(self, interpreter: str, workload: str) -> float:
        """The time limit of one (cell, round) job: the interpreter's own, else the workload's."""
        return self.timeouts.get(interpreter, self.workloads[workload].timeout_seconds)

    def calibration_target(self, workload: str, machine: Optional[str] = None) -> float:
        """Seconds of a group's serial batch: calibration_seconds, or more, so that each worker
        of the largest count (on ``machine``, default the first label) still gets a quarter of
        it (without, cpu_pure's 128 workers on 64 cores got 2 tasks of ~4 ms each)."""
        counts = self.workers(workload, machine or self.machine)
        seconds, share = self.settings["calibration_seconds"], max(counts) / 4
        # Unscaled, the setting itself: a calibration's params (and so its cells) stay as they were.
        return seconds * share if share > 1 else seconds

    def config_hash(self, workload: str) -> str:
        """Hash of the settings that shape a cell of this workload, and nothing else.

        Models, worker counts, payloads and other workloads are coordinates or neighbours,
        not part of what one cell measures: adding them orphans no measured cell.
        """
        entry = self.workloads[workload]
        shaping = {
            "schema_version": SCHEMA_VERSION,
            "kind": entry.kind,
            "params": entry.params_dict(),
            "repetitions": self.settings["repetitions"],
            "warmups": self.settings["warmups"],
            "calibration_seconds": self.settings["calibration_seconds"] if entry.calibrated else None,
        }
        if entry.repeated:  # absent elsewhere: the other workloads' hashes hold
            shaping["repeat_seconds"] = self.settings["repeat_seconds"]
        if entry.library_threads != DEFAULT_LIBRARY_THREADS:  # absent by default: old hashes hold
            shaping["library_threads"] = entry.library_threads
        text = json.dumps(shaping, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _code_problems(key: str, kind: str, work: Dict[str, Any]) -> List[str]:
    """What the config alone shows wrong with a callable workload; importing is the kernel's."""
    if kind != "callable":
        return []
    problems = []
    if "function" not in work:
        problems.append(f"{key}.function: required for kind 'callable' (package.module:function); found none")
    path = work.get("path")
    if path is not None and not os.path.isdir(path):
        problems.append(f"{key}.path: {path!r} is not a folder (relative to {os.getcwd()})")
    return problems


def _workloads(config, cores: int) -> Tuple[Dict[str, WorkloadEntry], List[str]]:
    entries, problems = {}, []
    for label, entry in config["workloads"].items():
        key = f"workloads.{label}"
        kind = entry.get("kind", label)
        if kind not in WORKLOADS:
            problems.append(
                f"{key}.kind: {kind!r} is not a workload kind (the label is used when kind is not given); "
                f"allowed values: {', '.join(sorted(WORKLOADS))}"
            )
            continue
        models = tuple(entry["models"])
        for model in models:
            if model.endswith(AA_SUFFIX) and base_model(model) not in models:
                problems.append(
                    f"{key}.models: the A/A copy {model!r} needs its model {base_model(model)!r} in the same list"
                )
        work = {name: entry[name] for name in (*WORK_KEYS, *CODE_KEYS) if entry.get(name) is not None}
        problems += _code_problems(key, kind, work)
        known = set(WORKLOADS[kind].defaults)
        for name in sorted(set(work) - known):
            problems.append(
                f"{key}.{name}: does not apply to kind {kind!r}; allowed here: {', '.join(sorted(known)) or 'none'}"
            )
        problems += _kind_problems(key, kind, models, dict(WORKLOADS[kind].defaults, **work))
        payloads = tuple(parse_size(p) for p in entry["payloads"])
        if kind == "cpu_gil_released" and 0 in payloads:
            problems.append(f"{key}.payloads: cpu_gil_released hashes its payload, so it must be at least 1 byte")
        settings = [str(value) for value in entry["library_threads"]]
        if settings != [DEFAULT_LIBRARY_THREADS] and kind != "callable":
            problems.append(f"{key}.library_threads: applies to kind 'callable' only; allowed here: [default]")
        for setting in settings:
            derived = label if setting == DEFAULT_LIBRARY_THREADS else library_threads_label(label, setting)
            if derived != label and derived in config["workloads"]:
                problems.append(f"{key}.library_threads: {setting} makes workload {derived!r}, which "
                                "the config already names; rename that entry")  # fmt: skip
            entries[derived] = WorkloadEntry(
                label=derived,
                kind=kind,
                models=models,
                # cores/2 and 2 may meet on a small machine: each count is measured once.
                workers=tuple(sorted({resolve_workers(w, cores) for w in entry["workers"]})),
                worker_forms=tuple(entry["workers"]),
                payloads=tuple(sorted(set(payloads))),
                params=tuple(sorted(dict(WORKLOADS[kind].defaults, **work).items())),
                timeout_seconds=float(entry.get("timeout_seconds", config["cell_timeout_seconds"])),
                mem_mb=int(entry.get("mem_mb", config["cell_mem_mb"])),
                versions_of=entry.get("versions_of"),
                library_threads=setting,
                config_label=label,
            )
    return entries, problems


def library_threads_label(label: str, setting: str) -> str:
    """The workload a config entry's library_threads setting (not "default") becomes."""
    return f"{label}_libthreads_{setting}"


def _kind_problems(key: str, kind: str, models: Tuple[str, ...], params: Dict[str, Any]) -> List[str]:
    """What one kind's settings must satisfy beyond the schema."""
    problems = []
    if kind == "io_net" and params["tasks"] % params["requests_per_connection"]:
        problems.append(
            f"{key}.tasks: {params['tasks']} requests is not a whole number of connections of "
            f"requests_per_connection ({params['requests_per_connection']}); allowed: a multiple of it"
        )
    if kind == "ipc_transfer":
        scopes = {TRANSFER_SCOPES[base_model(m)] for m in models if base_model(m) in TRANSFER_SCOPES}
        if len(scopes) > 1:
            problems.append(
                f"{key}.models: mixes channels {' and '.join(sorted(scopes))}; a handoff of references is not "
                "a transfer of bytes: give each its own workload entry (kind: ipc_transfer), allowed here: "
                + "; ".join(f"{scope}: {', '.join(m for m, s in TRANSFER_SCOPES.items() if s == scope)}"
                            for scope in sorted(scopes))
            )  # fmt: skip
    return problems


def load_sweep(config: Dict[str, Any], cores: Optional[int] = None, machines: Optional[Dict[str, int]] = None) -> Sweep:
    """Validate a configuration (as Snakemake read it) and return the sweep it describes,
    its worker counts resolved for ``cores`` CPUs (default: :func:`sweep_cores`) on the
    config's `machine` label; ``machines`` (label -> CPUs, e.g. a cluster's node types)
    gives the run several labels instead."""
    config = validate_schema(config)
    cores = cores or (next(iter(machines.values())) if machines else sweep_cores())
    problems: List[str] = []
    if config["rounds"]["max"] < config["rounds"]["base"]:
        problems.append(
            f"rounds.max: {config['rounds']['max']} is below rounds.base "
            f"({config['rounds']['base']}); allowed: max >= base"
        )
    interpreters, interpreter_problems = _interpreters(config)
    workloads, workload_problems = _workloads(config, cores)
    problems += interpreter_problems + workload_problems
    margin = Margins.from_config(config["margin"])
    problems += [f"margin.workloads.{name}: no such workload; allowed: {', '.join(sorted(workloads))}"
                 for name in margin.workloads if name not in workloads]  # fmt: skip
    if problems:
        raise ConfigError(problems)
    settings = {k: v for k, v in config.items() if k not in ("machine", "interpreters", "workloads")}
    # One form downstream: a margin per metric and the per-workload overrides.
    settings["margin"] = margin.to_config()
    labels = machines or {config["machine"] or machine_slug(): cores}
    return Sweep(
        machines=tuple(MachineLabel(label, count) for label, count in labels.items()),
        interpreters=interpreters,
        workloads=workloads,
        settings=settings,
        twins=_twins(config),
        timeouts={
            name: float(entry["cell_timeout_seconds"])
            for name, entry in (config["interpreters"] or {}).items()
            if "cell_timeout_seconds" in entry
        },
    )


def load_sweep_file(path: str) -> Sweep:
    with open(path) as handle:
        config = yaml.safe_load(handle) or {}
    try:
        return load_sweep(config)
    except ConfigError as error:
        raise ConfigError(error.problems, source=path) from None


def load_aa_spread(path: str) -> Dict[str, float]:
    """The A/A round spread per workload kind that a config file records (``aa_spread``)."""
    with open(path) as handle:
        return dict((yaml.safe_load(handle) or {}).get("aa_spread") or {})
