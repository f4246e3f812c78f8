"""Peak memory of each cell's process tree against workers: a line per model."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .panels import (
    MIB,
    dodged,
    facet_line_with_ci,
    finish,
    log2_padding,
    log2_ticks,
    log_ticks,
    model_facets,
    model_legend,
    no_data,
    setting_labels,
    wrapped_notes,
)
from .theme import themed

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


@themed
def draw_memory(cells: pd.DataFrame) -> Figure:
    """Peak memory of each cell's process tree against workers: a line per model, a panel
    per workload kind (and machine and interpreter, when several), log scales.

    PSS counts a page shared by n processes as 1/n in each, so forked workers are not
    charged for the parent's pages n times; where no PSS was read, RSS stands in, and the
    axis says so. Several works of one kind (payloads, workload labels) meet in one line at
    the largest peak of each worker count.
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
    # The panels are kinds: model_facets orders them by their place in the catalogue.
    peaks = peaks.assign(workload=peaks["kind"], payload_bytes=0)
    several_settings = setting_labels(peaks).nunique() > 1
    peaks["panel"] = (setting_labels(peaks) + "\n" if several_settings else "") + peaks["kind"]
    peaks["x"] = dodged(peaks, "workers", "panel")
    grid = model_facets(peaks, height=2.8, aspect=1.2, sharex=False)
    grid.map_dataframe(facet_line_with_ci, x="x", y="peak_mib", markersize=6)
    for panel, ax in grid.axes_dict.items():
        workers = peaks.loc[peaks["panel"] == panel, "workers"]
        log2_ticks(ax, workers)
        log2_padding(ax, workers)
        ax.set_yscale("log")
        log_ticks(ax.yaxis)
    grid.set_axis_labels("workers", _memory_label(set(peaks["measure"])))
    grid.set_titles("{col_name}")
    model_legend(grid, peaks["model"])
    notes = [
        (
            "Per cell: the largest peak of its rounds, of the whole process tree (the coordinating "
            "interpreter and every worker process; threads share their process)."
        ),
        (
            "PSS (a shared page split among its sharers) is read every 0.5 s from the kernel's start, RSS every "
            "0.1 s: a cell whose kernel runs about a second has one or two PSS readings, which can miss its workers."
        ),
    ]
    if (peaks["works"] > 1).any():
        notes.append(
            "Where a kind has several works (payloads, workload labels): the largest of their peaks."
        )
    if (peaks["measure"] == RSS).any() and (peaks["measure"] == PSS).any():
        fallbacks = ", ".join(sorted(set(peaks.loc[peaks["measure"] == RSS, "model"])))
        notes.append(f"RSS (no PSS read) for: {fallbacks}.")
    return finish(grid.figure, title, memory, notes=wrapped_notes(grid.figure, notes))
