"""I/O throughput against workers: a line per model, and the latency bound from cells.tsv."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..analysis import HARNESS_BOUND
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


def ideal_line(facet: pd.DataFrame) -> pd.Series | None:
    """cells.tsv's latency bound (``ideal_per_second``) of one work, per worker count; None
    where its cells recorded no latency."""
    ideal = facet.dropna(subset=["ideal_per_second"]) if "ideal_per_second" in facet else facet.iloc[:0]
    if ideal.empty:
        return None
    return ideal.groupby("workers")["ideal_per_second"].max().sort_index().rename("ideal")


def per_connection_note(memory: pd.DataFrame | None, facet: pd.DataFrame) -> str:
    """memory_slopes.tsv's PSS per added connection of one io_net work, a model per line."""
    if memory is None or memory.empty or facet["kind"].iloc[0] != "io_net":
        return ""
    key = ["machine", "interpreter", "workload", "payload_bytes"]
    work = facet[key].drop_duplicates()
    rows = memory[memory["per"] == "connection"].merge(work, on=key)
    lines = [f"{r.model}: {kib_interval(r.slope_mib, r.slope_ci_low_mib, r.slope_ci_high_mib)}"
             for r in rows.sort_values("model").itertuples()]  # fmt: skip
    return "PSS per added connection: " + "; ".join(lines) if lines else ""


def kib_interval(value: float, low: float, high: float) -> str:
    """A PSS slope in KiB with its interval; memory cannot be negative, so an interval that
    reaches below 0 says the slope was not resolved rather than print a negative bound."""
    value, low, high = (1024 * x for x in (value, low, high))
    if low < 0:
        return f"{value:.3g} KiB [not resolved: interval reaches 0, up to {high:.3g}]"
    return f"{value:.3g} KiB [{low:.3g}, {high:.3g}]"


@themed
def draw_io(cells: pd.DataFrame, memory: pd.DataFrame | None = None) -> Figure:
    """I/O work per second against workers: a panel per work (workload label and payload),
    a line per model with its CI, and the latency bound cells.tsv computed from the latency
    the kernel was given. A work whose loopback server set the pace says "harness-bound";
    io_net works measured at several connection counts list the PSS per added connection
    (memory_slopes.tsv)."""
    title = "I/O throughput against workers"
    io = cells_of(cells, IO_KINDS)
    if io.empty:
        return no_cells_of(title, IO_KINDS, cells)
    rates = io.assign(panel=panel_labels(io, name_the_work=True))
    rates["x"] = dodged(rates, "workers", "panel")
    grid = model_facets(rates, height=3.0, aspect=1.25, sharex=False, sharey=False)
    grid.map_dataframe(
        facet_line_with_ci, x="x", y="per_second", low="per_second_ci_low", high="per_second_ci_high", markersize=6
    )
    references: dict[str, Line2D] = {}
    label = "ideal (latency bound)"
    for panel, ax in grid.axes_dict.items():
        facet = rates[rates["panel"] == panel]
        ideal = ideal_line(facet)
        if ideal is not None:
            (references[label],) = ax.plot(ideal.index, ideal.to_numpy(), label=label, **IDEAL_STYLE["latency"])
        else:
            ax.text(0.97, 0.04, "no latency recorded:\nno ideal line", transform=ax.transAxes, ha="right",
                    va="bottom", fontsize="small", color="0.4")  # fmt: skip
        if "harness_bound" in facet and facet["harness_bound"].fillna(False).astype(bool).any():
            ax.text(0.03, 0.96, HARNESS_BOUND, transform=ax.transAxes, ha="left", va="top",
                    fontsize="small", color="firebrick", fontweight="bold")  # fmt: skip
        connection = per_connection_note(memory, facet)
        if connection:
            # Under the panel, not over its data.
            ax.annotate(connection, (0, -0.3), xycoords="axes fraction", ha="left", va="top", fontsize="small",
                        color="0.3", wrap=True)  # fmt: skip
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
        "Throughput = units per batch (tasks, requests or files) / level. " + CI_NOTE,
        (
            "Ideal: the latency each task was given, tasks overlapping fully on the workers (connections): "
            "tasks / (ceil(tasks / workers) x latency)."
        ),
        (
            f"{HARNESS_BOUND}: the best model stayed under 80% of the bound while the loopback server used "
            "0.9 of a core or more: the server, not the models, set the pace (cells.tsv: server_cpu_per_wall)."
        ),
    ]
    return finish(grid.figure, title, io, notes=wrapped_notes(grid.figure, notes))
