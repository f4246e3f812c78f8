"""What the figures share: panel labels and titles, the empty figure, model lines with their
CIs, log axes, legends and notes.

Each figure's title says which machines and interpreters it covers. An empty input gives a
figure that says "no data", and why: the report must build even when a sweep measured nothing.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Iterable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..kernel import WORKLOADS, size_label
from .theme import (
    REFERENCE_COLOUR,
    model_colour,
    model_linestyle,
    model_marker,
    model_marker_face,
    model_order,
)

MIB = 2**20
# Every interval the figures draw, in one phrase: the statistics build each from one number
# per round, a t-interval with rounds - 1 degrees of freedom (showdown.stats.estimates).
INTERVAL = "95% round-level t-interval"
# A time, or a rate from it: the point is cells.tsv's level_seconds, its bars ci_low/ci_high_seconds.
CI_NOTE = (
    "Level: the geometric mean of a cell's round medians (each round's median batch time). "
    f"Error bars: the level's {INTERVAL} (over the rounds' medians), carried through the same arithmetic."
)
# A ratio of two models' times (speedup over serial, time ratio to processes): one log ratio of
# round medians per round both ran, averaged; its interval over those rounds.
RATIO_INTERVAL = f"{INTERVAL} (over the rounds both ran)"
SPEEDUP_NOTE = (
    "Speedup: serial's round median over the model's, a geometric mean over the rounds both ran. "
    f"Error bars: its {RATIO_INTERVAL}."
)

# The ideal line of each kind of bound, drawn behind the measurements as a wide pale band;
# its markers show it even where a single worker count was measured.
_IDEAL = {"color": REFERENCE_COLOUR, "alpha": 0.35, "linewidth": 5, "zorder": 1}
IDEAL_STYLE = {
    "cores": {**_IDEAL, "marker": "o", "markersize": 9},
    "latency": {**_IDEAL, "marker": "s", "markersize": 8, "linestyle": (0, (1, 1.5))},
}
SERIAL_STYLE = {"color": "black", "linewidth": 1, "linestyle": ":", "zorder": 1}


# --- Labels, titles and the empty figure ---------------------------------------------


def setting_labels(table: pd.DataFrame) -> pd.Series:
    """Where a row was measured: "machine · interpreter"."""
    return table["machine"].astype(str) + " · " + table["interpreter"].astype(str)


def payload_labels(table: pd.DataFrame) -> pd.Series:
    return "payload " + table["payload_bytes"].map(lambda size: size_label(int(size)))


def panel_labels(table: pd.DataFrame, *, name_the_work: bool) -> pd.Series:
    """Panel titles: machine and interpreter (when several) over workload and payload.

    The work is named in every panel if ``name_the_work``, else only where it varies.
    """
    work = [table["workload"].astype(str), payload_labels(table)]
    if not name_the_work:
        work = [part for part in work if part.nunique() > 1]
    lines = [setting_labels(table)] if setting_labels(table).nunique() > 1 else []
    if work:
        lines.append(functools.reduce(lambda left, right: left + " · " + right, work))
    if not lines:
        return pd.Series("", index=table.index)
    return functools.reduce(lambda upper, lower: upper + "\n" + lower, lines)


def workload_rank(workload: str) -> int:
    """Workloads named after a kind come in the kernel's order of kinds, others after."""
    kinds = list(WORKLOADS)
    return kinds.index(workload) if workload in kinds else len(kinds)


def _coverage(table: pd.DataFrame) -> str:
    """Which machines and interpreters a figure covers, for its title."""
    if table.empty or not {"machine", "interpreter"} <= set(table):
        return "no machine, no interpreter"
    described = []
    for column in ("machine", "interpreter"):
        names = sorted(table[column].dropna().astype(str).unique())
        described.append(f"{column}{'s' if len(names) > 1 else ''}: {', '.join(names)}")
    return " · ".join(described)


def finish(figure: Figure, title: str, table: pd.DataFrame, notes: Iterable[str] = ()) -> Figure:
    """Title (with what the figure covers) above the figure, notes below it.

    Both sit outside the laid-out area; ``bbox_inches="tight"`` saves them with the rest.
    """
    figure.suptitle(f"{title}\n{_coverage(table)}", y=1.0, va="bottom")
    if notes:
        figure.text(0.01, 0, "\n".join(notes), ha="left", va="top", fontsize="small", color="0.3")
    return figure


def no_data(title: str, reason: str, table: pd.DataFrame | None = None) -> Figure:
    """A figure that says there is nothing to show, and why, so the report still builds."""
    figure, ax = plt.subplots(figsize=(6.4, 2.4))
    ax.set_axis_off()
    ax.text(0.5, 0.6, "no data", ha="center", va="center", fontsize="xx-large", color="0.4")
    ax.text(0.5, 0.3, reason, ha="center", va="center", color="0.4")
    return finish(figure, title, pd.DataFrame() if table is None else table)


def cells_of(cells: pd.DataFrame, kinds: Iterable[str]) -> pd.DataFrame:
    """The cells of the workload ``kinds`` that have a level, the point the figures draw
    (none from an empty table)."""
    if cells.empty or not {"kind", "level_seconds"} <= set(cells):
        return pd.DataFrame(columns=cells.columns)
    return cells[cells["kind"].isin(tuple(kinds))].dropna(subset=["level_seconds"])


def no_cells_of(title: str, kinds: Iterable[str], cells: pd.DataFrame) -> Figure:
    return no_data(title, f"this sweep has no {' / '.join(kinds)} cells", cells)


def wrapped_notes(figure: Figure, notes: Iterable[str]) -> list[str]:
    """Notes wrapped to the figure's width, so a narrow figure is not widened by its notes."""
    width = max(60, int(figure.get_figwidth() * 13))
    return [textwrap.fill(note, width, subsequent_indent="  ") for note in notes]


def listed(table: pd.DataFrame, column: str) -> str:
    """The distinct values of a column, in order, for a note: "2" or "2, 4"."""
    return ", ".join(str(v) for v in sorted(table[column].dropna().unique()))


# --- A line per model ----------------------------------------------------------------


def model_facets(table: pd.DataFrame, **size) -> sns.FacetGrid:
    """A grid with a panel per ``panel`` label (wrapped, in sweep order) and a line per model."""
    panels = list(
        table.assign(rank=table["workload"].map(workload_rank))
        .sort_values(["machine", "interpreter", "rank", "workload", "payload_bytes"])["panel"]
        .unique()
    )
    models = model_order(table["model"])
    return sns.FacetGrid(
        table,
        col="panel",
        col_order=panels,
        col_wrap=min(len(panels), 3),
        hue="model",
        hue_order=models,
        palette={m: model_colour(m) for m in models},
        **size,
    )


def line_with_ci(
    ax: Axes, points: pd.DataFrame, *, x: str, y: str, model: str, low: str | None = None,
    high: str | None = None, **style,
) -> None:  # fmt: skip
    """One model's line on ``ax`` in its colour, line style and marker, with CI error bars
    when ``low`` and ``high`` are given."""
    points = points.sort_values(x)
    errors = None
    if low is not None and high is not None:
        # matplotlib refuses negative error lengths: a point outside its interval (which
        # cells.tsv's never are) would get a bar on one side only.
        errors = [(points[y] - points[low]).clip(lower=0), (points[high] - points[y]).clip(lower=0)]
    ax.errorbar(
        points[x], points[y], yerr=errors, color=model_colour(model), label=model,
        linestyle=model_linestyle(model), markerfacecolor=model_marker_face(model),
        marker=model_marker(model), capsize=2.5, zorder=3, **style,
    )  # fmt: skip


def facet_line_with_ci(data: pd.DataFrame, *, color, label: str, **kwargs) -> None:
    """:func:`line_with_ci` as a FacetGrid function: the grid names the model as ``label``."""
    line_with_ci(plt.gca(), data, model=label, **kwargs)


def model_handle(model: str) -> Line2D:
    return Line2D(
        [], [], color=model_colour(model), linestyle=model_linestyle(model), marker=model_marker(model),
        markerfacecolor=model_marker_face(model), label=model,
    )  # fmt: skip


def model_legend(grid: sns.FacetGrid, models: pd.Series, extra: dict[str, Line2D] | None = None) -> None:
    """The grid's legend: a handle per model in its colour, marker and line style, then ``extra``."""
    handles = {m: model_handle(m) for m in model_order(models)}
    handles.update(extra or {})
    grid.add_legend(legend_data=handles, label_order=list(handles), title="model")


def dodged(table: pd.DataFrame, x: str, panel: str) -> pd.Series:
    """``x`` shifted a little per model on a log2 axis, so that points which coincide (many
    models at one worker count or payload) stay visible side by side within each ``panel``."""
    shifts = pd.Series(0.0, index=table.index)
    for _, rows in table.groupby(panel):
        models = model_order(rows["model"])
        step = min(0.07, 0.45 / len(models))
        shift = {m: (i - (len(models) - 1) / 2) * step for i, m in enumerate(models)}
        shifts[rows.index] = rows["model"].map(shift)
    return table[x].astype(float) * np.exp2(shifts)


# --- Axes ----------------------------------------------------------------------------


def _plain(value: float, _position=None) -> str:
    return f"{value:g}"


def log2_ticks(ax: Axes, values: pd.Series, label: Callable[[float], str] = _plain) -> None:
    """Values that double (or more) from one to the next, worker counts or payload sizes:
    a log2 x axis with a tick at each, labelled by ``label``."""
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(ticker.FixedLocator(sorted(values.unique())))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: label(value)))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    # Over a wide range the neighbours' labels meet ("5121024"): upright, they cannot.
    if values.max() >= 64 * values.min():
        ax.tick_params(axis="x", labelrotation=90)


def log2_padding(ax: Axes, values: pd.Series) -> None:
    """Room around the outermost ticks of a log2 axis for dodged points (and a single tick)."""
    ax.set_xlim(values.min() / 2**0.45, values.max() * 2**0.45)


def log_ticks(axis) -> None:
    """A log-scaled axis with ticks at 1, 2 and 5 of each decade, in plain numbers: a range
    under one decade still gets several readable ticks."""
    axis.set_major_locator(ticker.LogLocator(subs=(1, 2, 5)))
    axis.set_major_formatter(ticker.FuncFormatter(_plain))
    axis.set_minor_formatter(ticker.NullFormatter())


def ratio_label(value: float, _position=None) -> str:
    """Ticks of a ratio axis: 4, 2, 1, 1/2, 1/4 rather than 0.25."""
    if value >= 1:
        return f"{value:g}"
    return f"1/{1 / value:g}"
