"""Where the numbers came from and how far to trust them, per machine · interpreter: the
front page's provenance section, made from the round files' provenance columns (the
samples) and the cell and verdict tables.

- the commit (and whether the tree was dirty), the config hash, when the sweep ran and how
  long it took, the machine (CPU, usable cores, OS and its kernel) and the interpreter;
- the margin a winner had to clear and where it came from (the configured one, or the A/A
  spread of this run when larger);
- how many cells missed the precision target and the median half-width of their intervals;
- flagged cells: noisy, faster than their model's limit, bound by the harness, or whose GIL
  came back on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import pandas as pd
import pyarrow.parquet as pq

from .guide import SETTING_KEY, setting_name

PROVENANCE_COLUMNS = [
    "machine", "interpreter", "git_commit", "git_dirty", "config_hash", "started_first", "started_last",
    "sweep_minutes", "cpu_model", "logical_cpus", "affinity_cpus", "os", "os_release", "python",
]  # fmt: skip
# Cell flags a reader should know about, as cells.tsv names them, and what each means.
CELL_FLAGS = {
    "noisy": "noisy (rounds spread more than the A/A twins')",
    "above_limit": "faster than their model's limit allows",
    "harness_bound": "bound by the load generator, not the model",
    "gil_reenabled": "free-threaded but the GIL came back on",
}
SAMPLE_COLUMNS = [
    "machine", "interpreter", "git_commit", "git_dirty", "config_hash", "started_at", "kernel_seconds",
    "cpu_model", "logical_cpus", "affinity_cpus", "os", "os_release", "python_implementation", "python_version",
    "gil_enabled",
]  # fmt: skip


def run_config_hash(config: Mapping) -> str:
    """The whole sweep config's hash (a cell's ``config_hash`` covers its workload only)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _joined(values: pd.Series) -> str:
    found = sorted({str(value) for value in values.dropna()})
    return ", ".join(found) if found else "unknown"


def provenance(samples: pd.DataFrame) -> pd.DataFrame:
    """One row per machine · interpreter (:data:`PROVENANCE_COLUMNS`): where its samples came
    from. A setting measured from several commits or configs lists them all."""
    samples = samples.reindex(columns=SAMPLE_COLUMNS)
    started = pd.to_datetime(samples["started_at"], utc=True, errors="coerce")
    ended = started + pd.to_timedelta(samples["kernel_seconds"].fillna(0), unit="s")
    samples = samples.assign(started=started, ended=ended)
    rows = []
    for (machine, interpreter), mine in samples.groupby(SETTING_KEY, sort=True):
        gil = "GIL off" if mine["gil_enabled"].eq(False).all() else "GIL on"
        rows.append({
            "machine": machine, "interpreter": interpreter,
            "git_commit": _joined(mine["git_commit"]),
            "git_dirty": bool(mine["git_dirty"].fillna(False).astype(bool).any()),
            "config_hash": _joined(mine["config_hash"]),
            "started_first": mine["started"].min(), "started_last": mine["ended"].max(),
            "sweep_minutes": (mine["ended"].max() - mine["started"].min()).total_seconds() / 60,
            "cpu_model": _joined(mine["cpu_model"]),
            "logical_cpus": _joined(mine["logical_cpus"].astype("Int64")),
            "affinity_cpus": _joined(mine["affinity_cpus"].astype("Int64")),
            "os": _joined(mine["os"]), "os_release": _joined(mine["os_release"]),
            "python": f"{_joined(mine['python_implementation'])} {_joined(mine['python_version'])}, {gil}",
        })  # fmt: skip
    return pd.DataFrame(rows, columns=PROVENANCE_COLUMNS)


def cell_trust(cells: pd.DataFrame, machine: str, interpreter: str) -> dict:
    """A setting's cells: how many, how many missed the precision target, the median
    half-width of their intervals, and how many carry each of :data:`CELL_FLAGS`."""
    mine = cells[(cells["machine"] == machine) & (cells["interpreter"] == interpreter)]
    flags = {flag: int(mine[flag].fillna(False).astype(bool).sum()) for flag in CELL_FLAGS if flag in mine}
    return {
        "cells": len(mine),
        "missed_precision": int((~mine["precision_met"].fillna(False).astype(bool)).sum()),
        "median_half_width": float(mine["relative_half_width"].median()) if len(mine) else float("nan"),
        "flags": flags,
    }


def margin_source(verdicts: pd.DataFrame, false_win: pd.Series) -> str:
    """The margin the verdicts used and where it came from, read from the tables: the
    margins declared per metric (false_win_rate.tsv's ``margins``)."""
    used = sorted(set(verdicts["margin"].dropna().round(4))) if "margin" in verdicts else []
    shown = ", ".join(f"{100 * value:.1f}%" for value in used) or f"{100 * float(false_win['margin']):.1f}%"
    why = f"the margins declared in the config ({false_win['margins']}); the A/A pairs check them, never move them"
    return f"Margin a winner had to clear: {shown}, from {why}."


def labels_lines(labels: pd.DataFrame | None) -> list[str]:
    """Which machine labels this report holds, and those it left out with why: an
    incomplete label is named here, never dropped silently."""
    from .findings import rst_text

    if labels is None or labels.empty:
        return []
    taken = labels[labels["analysed"].astype(bool)]
    left = labels[~labels["analysed"].astype(bool)]
    lines = []
    if len(labels) > 1:
        shown = ", ".join(f"{row.machine} ({row.source})" for row in taken.itertuples())
        lines += [f"Machine labels in this report: {rst_text(shown)}; each is analysed on its own "
                  "(its statistics, A/A control and noise check), and no comparison pairs two labels.", ""]  # fmt: skip
    for row in left.itertuples():
        lines += [f"- **Left out: {rst_text(row.machine)}**: {rst_text(row.reason)} "
                  f"(results/aggregate/labels.tsv).", ""]  # fmt: skip
    return lines


def provenance_rst(
    table: pd.DataFrame, cells: pd.DataFrame, verdicts: pd.DataFrame, false_win: pd.Series, *, precision: float,
    config_hash: str, labels: pd.DataFrame | None = None, manifests: Mapping | None = None,
) -> str:  # fmt: skip
    """The front page's section on where the numbers came from (rst, below the findings).
    ``manifests`` (label -> its run's manifest) give a brought-in label its own config hash
    and usable cores; ``config_hash`` is this run's."""
    from .findings import rst_text

    lines = ["Where these numbers come from", "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~", "", *labels_lines(labels)]
    if table.empty:
        return "\n".join([*lines, "No samples yet.", ""])
    manifests = manifests or {}
    for row in table.itertuples(index=False):
        manifest = manifests.get(row.machine, {})
        label_hash = manifest.get("config_hash", config_hash)
        dirty = " (with uncommitted changes)" if row.git_dirty else ""
        commits = [commit[:12] for commit in str(row.git_commit).split(", ")]
        commit = (f"Commit ``{commits[0]}``" if len(commits) == 1 else
                  f"Commits ``{', '.join(commits)}`` (its rounds were measured from {len(commits)})")  # fmt: skip
        system = f"{row.os} {row.os_release}" if row.os != "unknown" else "OS not recorded"
        when = (f"{row.started_first:%Y-%m-%d %H:%M} to {row.started_last:%Y-%m-%d %H:%M} UTC "
                f"({row.sweep_minutes:.0f} min)" if pd.notna(row.started_first) else "unknown")  # fmt: skip
        cpus = f"{row.logical_cpus} logical CPUs, {row.affinity_cpus} usable"
        if "cores" in manifest:
            cpus += f" (`cores` resolved to {manifest['cores']})"
        trust = cell_trust(cells, row.machine, row.interpreter)
        flagged = "; ".join(f"{count} {CELL_FLAGS[flag]}" for flag, count in trust["flags"].items() if count)
        lines += [
            f"**{rst_text(setting_name(row.machine, row.interpreter))}**",
            "",
            f"- {commit}{dirty}; config hash ``{label_hash}`` (the whole config; its "
            f"workloads' own hashes, {len(str(row.config_hash).split(', '))}, are cells.tsv's config_hash).",
            f"- Measured {rst_text(when)}.",
            f"- Machine: {rst_text(row.cpu_model)}, {cpus}; {rst_text(system)}. Interpreter: {rst_text(row.python)}.",
            f"- Precision: {trust['missed_precision']} of {trust['cells']} cells missed the target "
            f"(95% interval within ±{100 * precision:.0f}% of the level); median half-width "
            f"{100 * trust['median_half_width']:.1f}%.",
            f"- Flagged cells: {rst_text(flagged) if flagged else 'none'}.",
            "",
        ]
    lines += [rst_text(margin_source(verdicts, false_win)), ""]
    return "\n".join(lines)


def write_provenance(
    *, samples_parquet: str, cells_tsv: str, verdicts_tsv: str, false_win_tsv: str, precision: float, config: Mapping,
    provenance_tsv: str, provenance_rst_path: str, labels_tsv: str | None = None,
) -> None:  # fmt: skip
    """The write_provenance rule: provenance.tsv and the front page's section."""
    from ..sweep import manifests
    present = set(pq.read_schema(samples_parquet).names)  # older round files lack the OS columns
    samples = pd.read_parquet(samples_parquet, columns=[c for c in SAMPLE_COLUMNS if c in present])
    table = provenance(samples)
    table.to_csv(provenance_tsv, sep="\t", index=False)
    cells = pd.read_csv(cells_tsv, sep="\t")
    verdicts = pd.read_csv(verdicts_tsv, sep="\t")
    false_win = pd.read_csv(false_win_tsv, sep="\t").iloc[0]
    labels = pd.read_csv(labels_tsv, sep="\t") if labels_tsv else None
    with open(provenance_rst_path, "w") as handle:
        handle.write(provenance_rst(table, cells, verdicts, false_win, precision=precision,
                                    config_hash=run_config_hash(config), labels=labels,
                                    manifests=manifests(table["machine"])))  # fmt: skip
