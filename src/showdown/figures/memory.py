"""Memory: peak memory of each cell's process tree per model and worker count, and the
memory each added worker costs (a point per model)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .panels import (
    INTERVAL,
    MIB,
    finish,
    log_ticks,
    no_data,
    panel_labels,
    setting_labels,
    workload_rank,
    wrapped_notes,
)
from .theme import model_colour, model_linestyle, model_marker, model_marker_face, model_order, themed

PSS, RSS = "PSS", "RSS"


def peak_memory(cells: pd.DataFrame) -> pd.DataFrame:
    """Each cell's peak memory in MiB (``peak_mib``): its PSS, or its RSS where no PSS was
    read (missing, or 0 where the platform has none); ``measure`` says which."""
    missing = pd.Series(np.nan, index=cells.index)
    pss = pd.to_numeric(cells.get("peak_pss_bytes", missing), errors="coerce")
    rss = pd.to_numeric(cells.get("peak_rss_bytes", missing), errors="coerce")
    has_pss = pss > 0
    memory = cells.assign(peak_mib=pss.where(has_pss, rss) / MIB, measure=np.where(has_pss, PSS, RSS))
    return memory[memory["peak_mib"] > 0]


def _memory_label(measures: set[str]) -> str:
    if measures == {PSS}:
        return "peak PSS (MiB, log scale)"
    if measures == {RSS}:
        return "peak RSS (MiB, log scale)"
    return "peak PSS, RSS where no PSS\n(MiB, log scale)"


# Worker counts by marker, so that models can be named on the axis instead of a legend.
WORKER_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


@themed
def draw_memory(cells: pd.DataFrame) -> Figure:
    """Peak memory of each cell's process tree: a panel per workload kind (and machine and
    interpreter, when several), its models along the x axis (named there: no legend of
    models), the peak on a log y axis, a marker per worker count joined per model.

    PSS counts a page shared by n processes as 1/n in each, so forked workers are not
    charged for the parent's pages n times; where no PSS was read, RSS stands in, and the
    axis says so. Several works of one kind (payloads, workload labels) meet at the largest
    peak of each worker count. A peak is a maximum, not an estimate: no interval.
    """
    title = "Peak memory of the process tree per model"
    if cells.empty or "kind" not in cells:
        return no_data(title, "cells.tsv has no rows")
    memory = peak_memory(cells[cells["kind"].notna()])
    if memory.empty:
        return no_data(title, "no cell has a memory measurement", cells)

    key = ["machine", "interpreter", "kind", "model", "workers"]
    peaks = (
        memory.sort_values("peak_mib")
        .groupby(key, as_index=False)
        .agg(peak_mib=("peak_mib", "max"), measure=("measure", "last"), works=("workload", "nunique"))
    )
    several_settings = setting_labels(peaks).nunique() > 1
    peaks["panel"] = (setting_labels(peaks) + "\n" if several_settings else "") + peaks["kind"]
    panels = sorted(peaks["panel"].unique(), key=lambda p: (p.rsplit("\n", 1)[0] if several_settings else "",
                                                          workload_rank(p.rsplit("\n", 1)[-1]), p))  # fmt: skip
    workers = sorted(peaks["workers"].unique())
    marker_of = {w: WORKER_MARKERS[i % len(WORKER_MARKERS)] for i, w in enumerate(workers)}
    columns = min(3, len(panels))
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, squeeze=False, sharey=True, figsize=(4.4 * columns, 3.6 * rows))
    for ax, panel in zip(axes.flat, panels):
        mine = peaks[peaks["panel"] == panel]
        models = model_order(mine["model"])
        for x, model in enumerate(models):
            points = mine[mine["model"] == model].sort_values("workers")
            colour = model_colour(model)
            ax.plot([x] * len(points), points["peak_mib"], color=colour, linestyle=model_linestyle(model), lw=1,
                    alpha=0.6, label=model)  # fmt: skip
            for point in points.itertuples(index=False):
                ax.plot([x], [point.peak_mib], marker=marker_of[point.workers], color=colour, linestyle="none",
                        markerfacecolor=model_marker_face(model), markersize=7)  # fmt: skip
        ax.set_xticks(range(len(models)), models, rotation=40, ha="right", rotation_mode="anchor")
        ax.set_xlim(-0.6, len(models) - 0.4)
        ax.set_yscale("log")
        log_ticks(ax.yaxis)
        ax.set_title(panel)
        ax.grid(axis="x", visible=False)
    for ax in axes.flat[len(panels) :]:
        ax.set_axis_off()
    for ax in axes[:, 0]:
        ax.set_ylabel(_memory_label(set(peaks["measure"])))
    handles = [Line2D([], [], marker=marker_of[w], color="0.35", linestyle="none", markersize=7, label=str(w))
               for w in workers]  # fmt: skip
    figure.tight_layout()
    figure.legend(handles=handles, title="workers", loc="center left", bbox_to_anchor=(1, 0.5))
    notes = [
        (
            "Per cell: the largest peak of its rounds, of the whole process tree (the coordinating "
            "interpreter and every worker process; threads share their process); a maximum, not an estimate, "
            "so no interval."
        ),
        (
            "Read by the cell's sampler every 0.1 s (RSS, and PSS: a shared page split among its sharers; PSS only "
            "every 0.5 s once the tree has more than 16 processes). The kernel's own PSS read after each batch, "
            "every worker alive, is in cells.tsv (batch_pss_bytes) and memory_per_worker.png."
        ),
    ]
    if (peaks["works"] > 1).any():
        notes.append("Where a kind has several works (payloads, workload labels): the largest of their peaks.")
    if (peaks["measure"] == RSS).any() and (peaks["measure"] == PSS).any():
        fallbacks = ", ".join(sorted(set(peaks.loc[peaks["measure"] == RSS, "model"])))
        notes.append(f"RSS (no PSS read) for: {fallbacks}.")
    return finish(figure, title, memory, notes=wrapped_notes(figure, notes))


@themed
def draw_memory_per_worker(memory: pd.DataFrame) -> Figure:
    """What one more worker costs: memory_slopes.tsv's MiB per added worker (left) and the
    fixed cost at one worker (right), a point per model with its round-level CI, a row per
    work (machine, interpreter, workload, payload) measured at two or more worker counts."""
    title = "Memory per added worker (PSS of the whole tree, read by the kernel after each batch)"
    if memory.empty or "per" not in memory:
        return no_data(title, "memory_slopes.tsv has no rows: no work was measured at two or more worker counts")
    workers = memory[memory["per"] == "worker"]
    if workers.empty:
        return no_data(title, "no work was measured at two or more worker counts", memory)
    workers = workers.assign(row=panel_labels(workers, name_the_work=True))
    rows = sorted(workers["row"].unique())
    figure, axes = plt.subplots(
        len(rows),
        2,
        squeeze=False,
        figsize=(11, 0.6 + 0.45 * workers.groupby("row").size().max() * len(rows) + 1.2 * len(rows)),
    )
    panels = (("slope_mib", "slope_ci_low_mib", "slope_ci_high_mib", "MiB per added worker"),
              ("fixed_mib", "fixed_ci_low_mib", "fixed_ci_high_mib", "MiB at one worker (fixed cost)"))  # fmt: skip
    for (left, right), row in zip(axes, rows):
        shown = workers[workers["row"] == row]
        models = model_order(shown["model"])
        for ax, (value, low, high, label) in zip((left, right), panels):
            for y, model in enumerate(models):
                point = shown[shown["model"] == model].iloc[0]
                ax.errorbar(
                    [point[value]], [y],
                    xerr=[[max(point[value] - point[low], 0)], [max(point[high] - point[value], 0)]],
                    color=model_colour(model), marker=model_marker(model), markerfacecolor=model_marker_face(model),
                    linestyle="none", capsize=3, label=model,
                )  # fmt: skip
                ax.annotate(f"{point[value]:.3g}", (point[value], y), xytext=(0, 6), textcoords="offset points",
                            ha="center", fontsize="x-small", color="0.2")  # fmt: skip
            ax.set_yticks(range(len(models)), models)
            ax.set_ylim(len(models) - 0.5, -0.5)
            ax.axvline(0, color="0.6", linewidth=0.8, zorder=0)
            ax.set_xlabel(label)
        spans = shown[["workers_min", "workers_max"]].drop_duplicates()
        counts = ", ".join(f"{int(a)}-{int(b)}" for a, b in spans.itertuples(index=False))
        left.set_title(f"{row} (workers {counts})", loc="left")
    figure.tight_layout()
    notes = [
        (
            "Per round, a straight line through the median PSS of each worker count (PSS of every process of the "
            "tree, read by the kernel right after the batch, every worker alive); slope and value at one worker "
            f"averaged over rounds. Error bars: their {INTERVAL} (over the rounds' fits)."
        ),
        "Threads and coroutines share their process: their slope is a stack and its objects, not a process.",
    ]
    return finish(figure, title, workers, notes=wrapped_notes(figure, notes))
