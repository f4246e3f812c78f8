"""Speedup over serial, and the start-up cost, against workers: a line per model."""

from __future__ import annotations

import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..vocabulary import CPU_KINDS, LATENCY_KINDS, SERIAL
from .panels import (
    CI_NOTE,
    IDEAL_STYLE,
    INTERVAL,
    SERIAL_STYLE,
    facet_line_with_ci,
    finish,
    log2_ticks,
    log_ticks,
    model_facets,
    no_data,
    panel_labels,
    ratio_label,
    wrapped_notes,
)
from .theme import themed

STARTUP = "startup"


@themed
def draw_speedup(cells: pd.DataFrame) -> Figure:
    """Speedup over serial against workers: a panel per workload and payload, a line per
    model with its CI, the ideal speedup and the serial level.

    The ideal is cells.tsv's ``ideal_speedup``, which aggregation computes per cell from
    the CPUs of the machine that ran it (:func:`showdown.analysis.aggregate.ideal_speedup`).
    """
    title = f"Speedup over serial (error bars: {INTERVAL})"
    if cells.empty:
        return no_data(title, "cells.tsv has no rows")
    # Start-up cells measure the cost of starting workers, not work shared among them;
    # serial is the baseline itself (the dotted line at 1).
    shown = cells[(cells["kind"] != STARTUP) & (cells["model"] != SERIAL)].dropna(subset=["speedup"])
    if shown.empty:
        return no_data(title, "no cell has a serial baseline to compare with", cells)

    # A panel per work (workload and payload) that was measured: a full workload-by-
    # payload grid would leave empty panels wherever a workload skips a payload.
    speedups = shown.assign(panel=panel_labels(shown, name_the_work=True))
    grid = model_facets(speedups, height=2.8, aspect=1.25)
    grid.map_dataframe(facet_line_with_ci, x="workers", y="speedup", low="speedup_ci_low", high="speedup_ci_high")

    references: dict[str, Line2D] = {}
    for panel, ax in grid.axes_dict.items():
        facet = speedups[speedups["panel"] == panel]
        bound = _bound(facet)
        ideal = facet.dropna(subset=["ideal_speedup"]).drop_duplicates(["workers", "ideal_speedup"])
        if bound is not None and not ideal.empty:
            style, label = bound
            ideal = ideal.sort_values("workers")
            (references[label],) = ax.plot(
                ideal["workers"].to_numpy(),
                ideal["ideal_speedup"].to_numpy(),
                label=label,
                **IDEAL_STYLE[style],
            )
        references["serial (speedup 1)"] = ax.axhline(1, label="serial (speedup 1)", **SERIAL_STYLE)

    for ax in grid.axes.flat:
        log2_ticks(ax, speedups["workers"])
        # Speedup is a ratio: on a log scale 2x faster and 2x slower are equally far from 1.
        ax.set_yscale("log", base=2)
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(ratio_label))
    grid.set_axis_labels("workers", "speedup over serial (×)")
    grid.set_titles("{col_name}")
    grid.add_legend(title="model")
    _reference_legend(grid.figure, references)
    # The reference legend sits under the facets, where notes would go: the title names the
    # interval, the caption what the point is (panels.SPEEDUP_NOTE says it under other figures).
    return finish(grid.figure, title, shown)


def _bound(facet: pd.DataFrame) -> tuple[str, str] | None:
    """(style, legend label) of the panel's ideal line: which limit cells.tsv's ideal is."""
    kind = facet["kind"].iloc[0]
    if kind in CPU_KINDS:
        usable = facet.get("usable_cpus", facet["logical_cpus"])  # cells.tsv before usable_cpus: all
        cores = ", ".join(str(int(c)) for c in sorted(usable.dropna().unique()))
        return "cores", f"ideal ({cores} cores)"
    if kind in LATENCY_KINDS:
        return "latency", "ideal (latency bound)"
    return None


def _reference_legend(figure: Figure, references: dict[str, Line2D]) -> None:
    """The reference lines' legend, under the facets (the models' is at the right)."""
    centre = (figure.subplotpars.left + figure.subplotpars.right) / 2
    ideals_first = sorted(references, key=lambda label: not label.startswith("ideal"))
    figure.legend(
        [references[label] for label in ideals_first],
        ideals_first,
        loc="upper center",
        bbox_to_anchor=(centre, 0),
        ncol=len(references),
        title="reference",
    )


@themed
def draw_startup(cells: pd.DataFrame) -> Figure:
    """Start-up cost per model against workers: the level (geometric mean of the round
    medians) with its round-level interval, log scale."""
    title = "Start-up cost per model"
    startup = cells[cells["kind"] == STARTUP] if not cells.empty else cells
    if startup.empty:
        return no_data(title, "no start-up cells were measured", cells)

    startup = startup.assign(
        milliseconds=startup["level_seconds"] * 1e3,
        ci_low_ms=startup["ci_low_seconds"] * 1e3,
        ci_high_ms=startup["ci_high_seconds"] * 1e3,
        panel=panel_labels(startup, name_the_work=False),
    )
    grid = model_facets(startup, height=3.2, aspect=1.3)
    grid.map_dataframe(facet_line_with_ci, x="workers", y="milliseconds", low="ci_low_ms", high="ci_high_ms")
    for ax in grid.axes.flat:
        log2_ticks(ax, startup["workers"])
        # Starting a process costs orders of magnitude more than starting a thread.
        ax.set_yscale("log")
        log_ticks(ax.yaxis)
    grid.set_axis_labels("workers", "start-up time (ms, log scale)")
    grid.set_titles("{col_name}")
    grid.add_legend(title="model")
    notes = ["Start the workers and run one no-op task on each; the point is the level. " + CI_NOTE]
    return finish(grid.figure, title, startup, notes=wrapped_notes(grid.figure, notes))
