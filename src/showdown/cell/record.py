"""Recording a cell: the columns of a round file, their types, and safe reading and writing.

One row per repetition (warm-ups included and flagged), never pre-averaged. Every row
carries its provenance. A file is written under a temporary name and renamed into place,
so an interrupted job leaves either the old file or the new one, never half of one.
Files carry ``schema_version``; files of another version are refused, not misread. Older
files can be carried forward for analysis only (:func:`migrate_table`, and
``python -m showdown.cell.migrate``): the renames and additions of every version since are
in :data:`MIGRATIONS` and in CHANGELOG.md.
"""

import io
import json
import math
import os
from typing import Dict, Iterable, List

import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from .. import SCHEMA_VERSION

STATUSES = ("ok", "timeout", "crashed", "broken_pool", "failed", "not_applicable")
FAILED_STATUSES = ("timeout", "crashed", "broken_pool", "failed")

SCHEMA = pa.schema(
    [
        # Coordinates: the same words as the config keys and the path's wildcards.
        ("machine", pa.string()),
        ("interpreter", pa.string()),
        ("workload", pa.string()),
        ("kind", pa.string()),
        ("model", pa.string()),
        ("workers", pa.int64()),
        ("payload_bytes", pa.int64()),
        ("round", pa.int64()),
        ("repetition", pa.int64()),  # -1 on the single row of a cell that measured nothing
        ("warmup", pa.bool_()),
        # Measurements.
        ("tasks", pa.int64()),
        # Start-up and mechanism work: the runs its batch repeated to last repeat_seconds,
        # and that whole batch's seconds (the starts only, for start-up). The time and CPU
        # columns are one run's, batch / repeats, so that wall / tasks keeps its unit.
        ("repeats", pa.int64()),
        ("batch_seconds", pa.float64()),
        ("wall_seconds", pa.float64()),
        ("cpu_user_seconds", pa.float64()),
        ("cpu_system_seconds", pa.float64()),
        ("pool_start_seconds", pa.float64()),
        # Callable workloads: seconds the measured interpreter took to import the user's
        # module (and input factory, check), once per job, before and apart from every batch.
        ("import_seconds", pa.float64()),
        ("probe_pure_seconds", pa.float64()),
        ("probe_released_seconds", pa.float64()),
        ("tree_rss_bytes", pa.int64()),  # the tree's RSS right after this batch, from /proc
        ("peak_rss_bytes", pa.int64()),
        ("peak_uss_bytes", pa.int64()),
        ("peak_pss_bytes", pa.int64()),
        # Memory read by the kernel itself (smaps_rollup; null where the platform has none):
        # PSS and USS summed over every process of its tree and how many processes were read,
        # right after the start barrier (every pool worker alive, before any batch) and right
        # after this batch's clock stopped (a start-up batch's workers still alive).
        ("started_pss_bytes", pa.int64()),
        ("started_uss_bytes", pa.int64()),
        ("started_processes", pa.int64()),
        ("batch_pss_bytes", pa.int64()),
        ("batch_uss_bytes", pa.int64()),
        ("batch_processes", pa.int64()),
        # Latency workloads: the latency each task was given (seconds), what the kernel was asked.
        ("latency_seconds", pa.float64()),
        # io_net: CPU seconds (user + system) the loopback server processes used in this batch;
        # already inside the CPU columns, which count the whole tree.
        ("server_cpu_seconds", pa.float64()),
        # What else ran: the share of the machine (0 idle .. 1 every CPU) busy over this batch
        # with anything but the measured tree, the io_net server and the harness (the
        # kernel's ancestors), from /proc/stat (steal included); null without /proc/stat.
        # Tick-rounded, so a single batch may read a little below 0 (kernel/cputime.py).
        ("other_cpu_share", pa.float64()),
        # switch_latency: percentiles of this batch's round-trip times (seconds, nearest rank),
        # and whether the two workers ran on one CPU (pinned; null where the OS cannot pin).
        ("round_trip_p50_seconds", pa.float64()),
        ("round_trip_p90_seconds", pa.float64()),
        ("round_trip_p99_seconds", pa.float64()),
        ("shared_cpu", pa.bool_()),
        ("kernel_seconds", pa.float64()),  # the kernel process's life, seen from outside
        ("checksum", pa.string()),
        ("status", pa.string()),
        ("message", pa.string()),
        ("orphans_killed", pa.int64()),
        # Provenance.
        ("host", pa.string()),
        ("cpu_model", pa.string()),
        ("logical_cpus", pa.int64()),
        ("affinity_cpus", pa.int64()),
        ("os", pa.string()),  # platform.system()
        ("os_release", pa.string()),  # platform.release(): the OS kernel's
        ("load_average", pa.float64()),  # 1-minute load average when the kernel started
        ("python_implementation", pa.string()),
        ("python_version", pa.string()),
        ("python_executable", pa.string()),
        # sys._is_gil_enabled() when the kernel had run the cell, every import done (an
        # extension module can switch a free-threaded build's GIL back on), and right after
        # the workers started and the batch's modules were imported, before any batch.
        ("gil_enabled", pa.bool_()),
        ("gil_enabled_after_imports", pa.bool_()),
        ("free_threaded_build", pa.bool_()),  # sysconfig Py_GIL_DISABLED: built --disable-gil
        ("python_config_args", pa.string()),  # sysconfig CONFIG_ARGS: configure's flags
        # An interpreter from `build:` (make twins): the Debian source version and the
        # upstream tarball's SHA-256 from its build.json; null for a `command:` interpreter.
        ("build_source_version", pa.string()),
        ("build_tarball_sha256", pa.string()),
        ("start_method", pa.string()),
        ("package_version", pa.string()),
        ("kernel_hash", pa.string()),
        ("git_commit", pa.string()),
        ("git_dirty", pa.bool_()),
        ("config_hash", pa.string()),
        # Callable workloads: hash of the user's source files as check_workload read them.
        ("code_hash", pa.string()),
        # The workload's library_threads setting (default, per_worker or a number), the
        # count the job set in every library thread variable (null: none set), and the
        # pools the loaded libraries really used after the batches, as threadpoolctl read
        # them in the measured process (null where it is not importable there).
        ("library_threads", pa.string()),
        ("library_threads_set", pa.int64()),
        ("threadpools", pa.string()),
        ("seed", pa.int64()),
        ("position", pa.int64()),  # place of this job in its round's shuffled order
        ("started_at", pa.string()),  # UTC, ISO 8601
        ("slurm_job_id", pa.string()),
        ("schema_version", pa.int64()),
    ]
)
COLUMNS = SCHEMA.names


# What changed in the round file at each schema version, for carrying older files forward:
# columns renamed (old name -> new name); columns added since come back as nulls.
MIGRATIONS: Dict[int, Dict[str, str]] = {
    2: {},  # load_average added
    3: {},  # the package laid out as the pipeline: the kernel's files (and so its hash) changed
    4: {},  # columns added: the user's code (import_seconds, code_hash); memory, io and switch readings
    5: {},  # columns added: the GIL after imports, the free-threaded build, its configure flags and source
    6: {},  # none renamed; the CPU columns leave the io_net server out and close with the clock
    7: {},  # columns added: other_cpu_share, os, os_release, library_threads(_set), threadpools
    8: {},  # columns added: repeats, batch_seconds (start-up and mechanism batches repeat their run)
}


class SchemaMismatch(ValueError):
    """A result file written by another schema version: rerun it, do not misread it."""


def to_table(rows: List[Dict]) -> pa.Table:
    """Rows (dicts) as a table of exactly SCHEMA; unknown keys are an error, missing are null.

    The rows go through Arrow's JSON reader rather than ``Table.from_pylist``: converting
    Python objects makes pyarrow import pandas, half a second of every cell job.
    """
    for row in rows:
        unknown = set(row) - set(COLUMNS)
        if unknown:
            raise KeyError(f"not columns of a round file: {sorted(unknown)}")
    lines = "\n".join(json.dumps({k: _json_safe(v) for k, v in row.items()}) for row in rows)
    options = pa_json.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="error")
    return pa_json.read_json(io.BytesIO(lines.encode()), parse_options=options)


def _json_safe(value):
    """JSON has no NaN: a missing float is null, as Arrow would store it anyway."""
    return None if isinstance(value, float) and math.isnan(value) else value


def write_atomic(table: pa.Table, path: str) -> None:
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.partial")
    try:
        pq.write_table(table, temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_json_atomic(document, path: str) -> None:
    """JSON beside the round files (probes, calibrations, plans), replaced atomically."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    temporary = os.path.join(os.path.dirname(path) or ".", f".{os.path.basename(path)}.{os.getpid()}.partial")
    with open(temporary, "w") as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
    os.replace(temporary, path)


def migrate_table(table: pa.Table, version: int) -> pa.Table:
    """A table of schema ``version`` as the current schema reads it: renamed, nulls added.

    For analysis only: the measurements stay what they were (a migrated file is never
    written over the one measured), and a column the old kernel did not record is null.
    """
    if not 1 <= version <= SCHEMA_VERSION:
        raise SchemaMismatch(f"schema version {version} is unknown; known: 1 to {SCHEMA_VERSION}")
    for step in range(version + 1, SCHEMA_VERSION + 1):
        renames = MIGRATIONS.get(step, {})
        table = table.rename_columns([renames.get(name, name) for name in table.column_names])
    for name in COLUMNS:
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(len(table), SCHEMA.field(name).type))
    table = table.set_column(
        table.column_names.index("schema_version"), "schema_version", pa.array([SCHEMA_VERSION] * len(table))
    )
    return table.select(COLUMNS).cast(SCHEMA)


def is_measured(rows):
    """Which rows of a round file's table (pandas) measure: a repetition that ran, not a warm-up."""
    return (rows["status"] == "ok") & ~rows["warmup"].astype(bool)


def read_round_file(path: str) -> pa.Table:
    """A round file's rows; SchemaMismatch if it was written by another schema version."""
    table = pq.read_table(path)
    versions = set(table.column("schema_version").to_pylist()) if "schema_version" in table.column_names else {None}
    if versions != {SCHEMA_VERSION}:
        raise SchemaMismatch(
            f"{path} has schema version {sorted(map(str, versions))}, this showdown reads "
            f"version {SCHEMA_VERSION}: rerun the cell with `snakemake {path} --force --cores all`, or carry "
            "it forward for analysis only with `python -m showdown.cell.migrate`"
        )
    return table.select(COLUMNS).cast(SCHEMA)


def read_round_files(paths: Iterable[str]) -> pa.Table:
    tables = [read_round_file(path) for path in paths]
    return pa.concat_tables(tables) if tables else SCHEMA.empty_table()
