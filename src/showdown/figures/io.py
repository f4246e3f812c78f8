"""I/O throughput against workers: a line per model, and the latency bound from serial."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..vocabulary import SERIAL
from .panels import (
    CI_NOTE,
    IDEAL_STYLE,
    cells_of,
    dodged,
    facet_line_with_ci,
    finish,
    log2_padding,
    log2_ticks,
    log_ticks,
    model_facets,
    model_legend,
    no_cells_of,
    panel_labels,
    wrapped_notes,
)
from .theme import themed

IO_KINDS = ("io_sleep", "io_net", "io_disk")
# What one of a cell's ``tasks`` is, per I/O workload kind.
UNITS = {"io_sleep": "tasks", "io_net": "requests", "io_disk": "files"}


def io_throughput(cells: pd.DataFrame) -> pd.DataFrame:
    """Per cell: units of work per second (``tasks / median_seconds``) with its CI."""
    tasks = cells["tasks"].astype(float)
    return cells.assign(
        per_second=tasks / cells["median_seconds"],
        per_second_low=tasks / cells["ci_high_seconds"],
        per_second_high=tasks / cells["ci_low_seconds"],
    )


def ideal_throughput(facet: pd.DataFrame) -> pd.Series | None:
    """The latency bound of one work's throughput per worker count, from its serial cell.

    Serial's time per task stands for the latency; ``tasks`` tasks on ``w`` workers then
    take at best ceil(tasks / w) latencies: tasks / (ceil(tasks / w) x latency) per second.
    None where the work has no serial cell.
    """
    serial = facet[facet["model"] == SERIAL]
    if serial.empty:
        return None
    latency = float(serial["median_seconds"].iloc[0] / serial["tasks"].iloc[0])
    workers = np.sort(facet["workers"].unique())
    tasks = facet.groupby("workers")["tasks"].max().reindex(workers).astype(float)
    return (tasks / (np.ceil(tasks / workers) * latency)).rename("ideal")


@themed
def draw_io(cells: pd.DataFrame) -> Figure:
    """I/O work per second against workers: a panel per work (workload label and payload),
    a line per model with its CI, and the latency bound where the work has a serial cell."""
    title = "I/O throughput against workers"
    io = cells_of(cells, IO_KINDS)
    if io.empty:
        return no_cells_of(title, IO_KINDS, cells)
    rates = io_throughput(io)
    rates = rates.assign(panel=panel_labels(rates, name_the_work=True))
    rates["x"] = dodged(rates, "workers", "panel")
    grid = model_facets(rates, height=3.0, aspect=1.25, sharex=False, sharey=False)
    grid.map_dataframe(
        facet_line_with_ci, x="x", y="per_second", low="per_second_low", high="per_second_high", markersize=6
    )
    references: dict[str, Line2D] = {}
    label = "ideal (latency bound from serial)"
    for panel, ax in grid.axes_dict.items():
        facet = rates[rates["panel"] == panel]
        ideal = ideal_throughput(facet)
        if ideal is not None:
            (references[label],) = ax.plot(
                ideal.index, ideal.to_numpy(), label=label, **IDEAL_STYLE["latency"]
            )
        else:
            ax.text(0.97, 0.04, "no serial cell:\nno ideal line", transform=ax.transAxes, ha="right",
                    va="bottom", fontsize="small", color="0.4")  # fmt: skip
        log2_ticks(ax, facet["workers"])
        log2_padding(ax, facet["workers"])
        ax.set_yscale("log")
        log_ticks(ax.yaxis)
        ax.set_xlabel("workers")
        units = UNITS.get(facet["kind"].iloc[0], "tasks")
        ax.set_ylabel(f"{units} per second (log scale)")
    grid.set_titles("{col_name}")
    # Each panel has its own y axis and label: room between the panels for them.
    grid.figure.subplots_adjust(wspace=0.45, hspace=0.55)
    model_legend(grid, rates["model"], extra=references)
    notes = [
        "Throughput = units per batch (tasks, requests or files) / batch time. " + CI_NOTE,
        (
            "Ideal: serial's time per unit taken as the latency, tasks overlapping fully on the workers: "
            "tasks / (ceil(tasks / workers) x latency)."
        ),
    ]
    return finish(grid.figure, title, io, notes=wrapped_notes(grid.figure, notes))
