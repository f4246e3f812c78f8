"""Interpreters side by side: the best model under each, and how far threads and
subinterpreters are from processes (results/stats/interpreter_gaps.tsv)."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..analysis import GAP_COLUMNS, SUBINTERPRETERS, THREADS
from ..kernel import size_label
from ..vocabulary import EQUIVALENT, SERIAL, UNDECIDED, WIN, is_aa_copy
from .panels import (
    RATIO_INTERVAL,
    SERIAL_STYLE,
    SPEEDUP_NOTE,
    finish,
    no_data,
    ratio_label,
    workload_rank,
    wrapped_notes,
)
from .speedup import STARTUP
from .theme import model_colour, model_order, themed


@themed
def draw_interpreters(cells: pd.DataFrame, gaps: pd.DataFrame, verdicts: pd.DataFrame | None = None) -> Figure:
    """Interpreters side by side: a row per work (workload, payload, workers).

    Left: every model's speedup over serial under each interpreter (a group of bars per
    interpreter, 95% CI). The best model is the comparison's verdict where ``verdicts`` is
    given (a winner, or the models listed as equivalent or undecided), else the fastest
    point estimate; its bar is edged in black (no bar when serial is the fastest). Right: how far threads
    and subinterpreters are from processes under each interpreter: the time ratios with 95%
    CIs of ``gaps`` (:func:`showdown.analysis.interpreter_gaps.interpreter_gaps`; below 1: faster
    than processes). An interpreter whose cells ran with the GIL off is labelled so.
    """
    title = "Interpreters: best model, and threads / subinterpreters against processes"
    if cells.empty:
        return no_data(title, "cells.tsv has no rows")
    shown = cells[(cells["kind"] != STARTUP) & (cells["model"] != SERIAL) & ~cells["model"].map(is_aa_copy)]
    shown = shown.dropna(subset=["speedup"])
    if shown.empty:
        return no_data(title, "no cell has a serial baseline to compare with", cells)
    if gaps.empty:
        gaps = pd.DataFrame(columns=GAP_COLUMNS)

    interpreters = sorted(shown["interpreter"].unique(), key=_interpreter_rank)
    labels = _interpreter_labels(cells)
    work_key = ["machine", "workload", "payload_bytes", "workers"]
    works = sorted(
        shown[work_key].drop_duplicates().itertuples(index=False),
        key=lambda w: (w.machine, workload_rank(w.workload), w.workload, w.payload_bytes, w.workers),
    )
    several_machines = shown["machine"].nunique() > 1
    width = max(4.5, 1.0 + 1.6 * len(interpreters))
    # Narrow pairs of panels (one or two interpreters) go two to a row: one pair per row made
    # one interpreter's figure 3,700 px tall and half empty.
    pairs_per_row = 2 if len(interpreters) <= 2 and len(works) > 1 else 1
    rows = -(-len(works) // pairs_per_row)
    figure, grid = plt.subplots(
        rows, 2 * pairs_per_row, squeeze=False, figsize=(2 * width * pairs_per_row, 4.2 * rows),
        gridspec_kw={"width_ratios": [1.6, 1] * pairs_per_row},
    )  # fmt: skip
    axes = [tuple(row[2 * i : 2 * i + 2]) for row in grid for i in range(pairs_per_row)]
    for left, right in axes[len(works) :]:
        left.set_axis_off()
        right.set_axis_off()
    models = model_order(shown["model"])
    for (left, right), work in zip(axes, works):
        where = (shown[work_key] == pd.Series(work._asdict())).all(axis=1)
        heading = f"{work.workload} · payload {size_label(int(work.payload_bytes))} · {work.workers} workers"
        if several_machines:
            heading = f"{work.machine} · {heading}"
        _best_model_panel(left, shown[where], interpreters, labels, models, _verdicts_of(verdicts, work))
        left.set_title(heading)
        if not gaps.empty:
            gap_where = (gaps[work_key] == pd.Series(work._asdict())).all(axis=1)
            _gap_panel(right, gaps[gap_where], interpreters, labels)
        else:
            _gap_panel(right, gaps, interpreters, labels)
        right.set_title("against processes")
    figure.tight_layout()
    figure.legend(
        handles=[Patch(facecolor=model_colour(m), label=m) for m in models],
        title="model",
        loc="center left",
        bbox_to_anchor=(1, 0.5),
    )
    decided = "the highest speedup"
    if verdicts is not None and not verdicts.empty:
        decided = "the verdict: a winner, or the models equivalent or undecided"
    notes = [
        (
            f"Left: speedup over serial; under each interpreter its best model ({decided}), "
            "the fastest edged in black. " + SPEEDUP_NOTE
        ),
        (
            "Right: time ratio of threads and of subinterpreters (a point each, in the model's colour) to the "
            "process model named on the axis: the model's round median over the process model's, a geometric mean "
            f"over the rounds both ran, with its {RATIO_INTERVAL}; below 1: faster than processes."
        ),
    ]
    if (cells.get("gil_enabled", pd.Series(dtype=bool)).astype(str).str.lower() == "false").any():
        notes.append("GIL off: the interpreter's cells ran without the GIL (a free-threaded build).")
    return finish(figure, title, cells, notes=wrapped_notes(figure, notes))


def _interpreter_rank(name: str) -> tuple:
    """CPython by version, then PyPy, then anything else; py313t after py313."""
    match = re.fullmatch(r"(pypy|py)(\d)(\d+)(t?)", name)
    if not match:
        return (2, 0, 0, name)
    return (int(match[1] == "pypy"), int(match[2]), int(match[3]), match[4])


def _interpreter_labels(cells: pd.DataFrame) -> dict[str, str]:
    """Tick labels: the interpreter's name, with its version and "GIL off" where it was."""
    labels = {}
    for interpreter, rows in cells.groupby("interpreter"):
        lines = [str(interpreter)]
        if "python_version" in rows and rows["python_version"].notna().any():
            lines.append(str(rows["python_version"].dropna().iloc[0]))
        if "gil_enabled" in rows and (rows["gil_enabled"].astype(str).str.lower() == "false").any():
            lines.append("GIL off")
        labels[str(interpreter)] = "\n".join(lines)
    return labels


def _verdicts_of(verdicts: pd.DataFrame | None, work) -> dict[str, object]:
    """The verdict of each interpreter for one work, by interpreter name."""
    if verdicts is None or verdicts.empty:
        return {}
    where = (
        (verdicts["machine"] == work.machine)
        & (verdicts["workload"] == work.workload)
        & (verdicts["payload_bytes"] == work.payload_bytes)
        & (verdicts["workers"] == work.workers)
    )
    return {row.interpreter: row for row in verdicts[where].itertuples()}


def _best_label(verdict, rows: pd.DataFrame) -> tuple[str | None, str]:
    """(the fastest model, the words under the interpreter) from its verdict or the speedups."""
    if verdict is not None and isinstance(verdict.fastest, str):
        if verdict.label == WIN:
            return verdict.fastest, f"wins: {verdict.winner}"
        if verdict.label in (EQUIVALENT, UNDECIDED) and isinstance(verdict.unbeaten, str):
            return verdict.fastest, f"{verdict.label}:\n" + "\n".join(verdict.unbeaten.split(","))
        return verdict.fastest, f"{verdict.label}: {verdict.fastest}"
    if rows.empty:
        return None, "(no data)"
    fastest = rows["speedup"].idxmax()
    if rows["speedup"].max() < 1:
        return SERIAL, "fastest: serial"
    return fastest, f"fastest: {fastest}"


def _best_model_panel(
    ax: Axes, cells: pd.DataFrame, interpreters: list[str], labels: dict, models: list[str], verdicts: dict
):
    """A group of speedup bars per interpreter; the fastest bar edged, the verdict below."""
    slot = 0.8 / max(1, len(models))
    ticks = []
    for x, interpreter in enumerate(interpreters):
        rows = cells[cells["interpreter"] == interpreter].set_index("model")
        best, words = _best_label(verdicts.get(interpreter), rows)
        present = [m for m in models if m in rows.index]
        for i, model in enumerate(present):
            row = rows.loc[model]
            centre = x - 0.4 + slot * (i + 0.5) + slot * (len(models) - len(present)) / 2
            below = max(row["speedup"] - row["speedup_ci_low"], 0)
            above = max(row["speedup_ci_high"] - row["speedup"], 0)
            ax.bar(
                centre, row["speedup"], width=slot * 0.9, color=model_colour(model),
                edgecolor="black" if model == best else "none", linewidth=2 if model == best else 0,
                yerr=[[below], [above]], capsize=2, ecolor="0.25", label=model, gid=f"bar:{interpreter}:{model}",
            )  # fmt: skip
        ticks.append(f"{labels.get(interpreter, interpreter)}\n{words}")
    ax.axhline(1, **SERIAL_STYLE)
    ax.set_xticks(range(len(interpreters)), ticks, fontsize="small")
    ax.set_xlim(-0.6, len(interpreters) - 0.4)
    ax.set_ylabel("speedup over serial (×)")
    ax.grid(axis="x", visible=False)


def _gap_panel(ax: Axes, gaps: pd.DataFrame, interpreters: list[str], labels: dict):
    """Ratios to processes per interpreter: a point with its CI per compared model."""
    offsets = {THREADS: -0.12, SUBINTERPRETERS: 0.12}
    for model, offset in offsets.items():
        rows = gaps[gaps["model"] == model]
        if rows.empty:
            continue
        rows = rows[rows["interpreter"].isin(interpreters)]
        x = [interpreters.index(i) + offset for i in rows["interpreter"]]
        below = (rows["ratio"] - rows["ci_low"]).clip(lower=0)
        above = (rows["ci_high"] - rows["ratio"]).clip(lower=0)
        ax.errorbar(
            x, rows["ratio"], yerr=[below, above], color=model_colour(model), marker="o",
            linestyle="none", capsize=3, label=f"{model} / processes", zorder=3,
        )  # fmt: skip
    ax.axhline(1, **SERIAL_STYLE)
    ax.set_xticks(range(len(interpreters)), [labels.get(i, i) for i in interpreters])
    ax.set_xlim(-0.6, len(interpreters) - 0.4)
    versus = sorted(gaps["versus"].dropna().unique()) if not gaps.empty else []
    ax.set_ylabel(f"time ratio to {' / '.join(versus) or 'processes'} (×)")
    if gaps.empty:
        ax.text(0.5, 0.5, "no process model measured\nbeside threads or subinterpreters",
                transform=ax.transAxes, ha="center", va="center", color="0.4")  # fmt: skip
        return
    # A ratio: on a log scale 2x faster and 2x slower are equally far from 1. Ticks at
    # simple fractions, so that a narrow range still gets several.
    ax.set_yscale("log", base=2)
    low, high = ax.get_ylim()
    # Simple fractions for a narrow range, powers of two for a wide one.
    candidates = _RATIO_TICKS if high / low < 6 else [2.0**k for k in range(-8, 9)]
    ticks = [t for t in candidates if low <= t <= high] or [1.0]
    ax.yaxis.set_major_locator(ticker.FixedLocator(ticks))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(ratio_label))
    ax.yaxis.set_minor_locator(ticker.NullLocator())


_RATIO_TICKS = (1 / 16, 1 / 8, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 8.0, 16.0)
