"""The speed probes across the sweep: is the machine's speed steady, and which repetitions
were taken in a slow phase."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .panels import finish, no_data, setting_labels
from .theme import REFERENCE_COLOUR, themed

FLAGGED_COLOUR = "crimson"
PROBES = {
    "probe_pure_seconds": "pure-Python probe (holds the GIL)",
    "probe_released_seconds": "GIL-releasing probe",
}
NORMAL_PHASE, SLOW_PHASE = "normal", "flagged: slow machine phase"


@themed
def draw_drift(samples: pd.DataFrame) -> Figure:
    """The speed probes across the sweep, per machine and interpreter (rows).

    Each measured repetition is a point at its job's start time; repetitions taken in a
    slow machine phase are marked; a dashed line is the panel's median.
    """
    title = "Machine speed over the sweep: speed probe per repetition"
    measured = samples[samples["measured"].astype(bool)] if not samples.empty else samples
    if measured.empty:
        return no_data(title, "no repetition was measured", samples)

    # The sweep's first job, measured or not, is time zero for every panel.
    started = pd.to_datetime(samples["started_at"], utc=True, format="ISO8601")
    elapsed = (started - started.min()).dt.total_seconds()
    unit, seconds_per_unit = _time_unit(elapsed.max())
    probes = (
        measured.assign(
            setting=setting_labels(measured),
            elapsed=elapsed[measured.index] / seconds_per_unit,
            phase=np.where(measured["flagged"].astype(bool), SLOW_PHASE, NORMAL_PHASE),
        )
        .melt(
            id_vars=["setting", "elapsed", "phase"],
            value_vars=list(PROBES),
            var_name="probe",
            value_name="seconds",
        )
        .dropna(subset=["elapsed", "seconds"])
    )
    if probes.empty:
        return no_data(title, "no repetition has a probe time and a start time", samples)
    probes = probes.assign(probe=probes["probe"].map(PROBES), milliseconds=probes["seconds"] * 1e3)

    settings = sorted(probes["setting"].unique())
    grid = sns.FacetGrid(
        probes,
        row="setting",
        col="probe",
        hue="phase",
        row_order=settings,
        col_order=list(PROBES.values()),
        hue_order=[NORMAL_PHASE, SLOW_PHASE],
        palette={NORMAL_PHASE: REFERENCE_COLOUR, SLOW_PHASE: FLAGGED_COLOUR},
        # Flagged points are larger crosses drawn on top, so none hides behind the rest.
        hue_kws={"marker": ["o", "X"], "s": [10, 36], "alpha": [0.5, 0.9], "zorder": [2, 3]},
        sharey="col",
        margin_titles=True,
        height=2.4,
        aspect=1.8,
    )
    grid.map_dataframe(_scatter, x="elapsed", y="milliseconds")
    for (setting, probe), ax in grid.axes_dict.items():
        facet = probes[(probes["setting"] == setting) & (probes["probe"] == probe)]
        if not facet.empty:
            ax.axhline(facet["milliseconds"].median(), label="median", **_MEDIAN_STYLE)
    grid.set_axis_labels(f"time since the sweep's first job ({unit})", "probe time (ms)")
    grid.set_titles(row_template="{row_name}", col_template="{col_name}")
    grid.add_legend(
        legend_data={
            NORMAL_PHASE: Line2D([], [], linestyle="", marker="o", color=REFERENCE_COLOUR),
            SLOW_PHASE: Line2D([], [], linestyle="", marker="X", color=FLAGGED_COLOUR),
            "median": Line2D([], [], **_MEDIAN_STYLE),
        },
        label_order=[NORMAL_PHASE, SLOW_PHASE, "median"],
        title="repetition",
    )
    notes = ["Repetitions of one job share its start time: the time axis is the job's, not the repetition's."]
    return finish(grid.figure, title, samples, notes=notes)


_MEDIAN_STYLE = {"color": "black", "linewidth": 1, "linestyle": "--", "zorder": 4}


def _scatter(data: pd.DataFrame, *, x: str, y: str, color, label: str, **style) -> None:
    """Points of one phase (a FacetGrid function); ``label`` names them for tests and legends."""
    plt.scatter(data[x], data[y], color=color, label=label, edgecolor="none", **style)


def _time_unit(seconds: float) -> tuple[str, float]:
    """A unit that keeps the time axis's numbers short: seconds, minutes or hours."""
    if not seconds > 3 * 60:
        return "s", 1.0
    if seconds <= 3 * 3600:
        return "min", 60.0
    return "h", 3600.0
