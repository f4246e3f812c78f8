"""The figures of the report: speedup, winner map, start-up cost and the speed probe.

Each figure has a ``draw_*`` function, a table in and a :class:`~matplotlib.figure.Figure`
out (so tests can look at the figure without files), and a ``plot_*`` function that the
Snakemake scripts call with an input path and an output PNG.

Every figure shares one theme (:data:`THEME`) and one colour per model
(:func:`model_colour`), so a reader who has learnt that threads are vermillion in one
figure can read every other at a glance. Each figure's title says which machines and
interpreters it covers. An empty input gives a figure that says "no data": the report
must build even when a sweep measured nothing.
"""

from __future__ import annotations

import functools
import os
import re
import textwrap
import zlib
from collections.abc import Callable, Iterable

import matplotlib

matplotlib.use("Agg")  # figures are written to files, often on nodes with no display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.offsetbox import AnnotationBbox, TextArea, VPacker
from matplotlib.patches import Patch, Rectangle

from .kernel.models import MODELS
from .kernel.catalogue import WORKLOADS
from .sizes import size_label
from .stats import AA_SUFFIX, NO_CONTEST, SERIAL, TIE, ratio_ci

DPI = 120

# One look for every figure, applied around each draw_* and plot_* call rather than
# set globally, so importing this module changes nothing for anyone else.
THEME = {
    **sns.axes_style("whitegrid"),
    **sns.plotting_context("paper", font_scale=1.2),
    "legend.frameon": False,
    "figure.titlesize": "large",
}

# --- One colour per model ------------------------------------------------------------

# Every model the kernel can run, sorted.
KNOWN_MODELS = tuple(sorted(MODELS))
# Colours are dealt in a fixed order, so a model keeps its colour whichever models a
# figure happens to show: the first six models keep the hues they always had, the
# subinterpreter pool comes next, then every other model by name.
_FIRST_MODELS = (
    "asyncio", "processes-fork", "processes-forkserver", "processes-spawn", "serial", "threads",
    "subinterpreters",
)  # fmt: skip
_COLOUR_ORDER = [m for m in _FIRST_MODELS if m in MODELS] + [m for m in KNOWN_MODELS if m not in _FIRST_MODELS]
# Seaborn's colour-blind-safe palette, reordered so that the first models get hues far
# apart (orange, too close to vermillion, is left for later models: subinterpreters,
# drawn beside threads, get pink), and without its grey, which stands for a tie; then
# tab20 without its greys, for the many later models.
_COLORBLIND = sns.color_palette("colorblind", 10)
MODEL_PALETTE = [_COLORBLIND[i] for i in (0, 2, 4, 5, 9, 3, 6, 1, 8)] + [
    colour for i, colour in enumerate(sns.color_palette("tab20", 20)) if i not in (14, 15)
]
MODEL_COLOURS = dict(zip(_COLOUR_ORDER, MODEL_PALETTE))
_SPARE_COLOURS = MODEL_PALETTE[len(KNOWN_MODELS) :]

TIE_COLOUR = _COLORBLIND[7]  # grey
NO_CONTEST_COLOUR = "0.93"
FAILED_COLOUR = "black"
ALL_FAILED = "all cells failed"  # the verdict of aggregate.failed_groups
REFERENCE_COLOUR = "0.35"
FLAGGED_COLOUR = "crimson"


def base_model(model: str) -> str:
    """The model an A/A twin repeats: ``threads.aa`` -> ``threads``."""
    return model.removesuffix(AA_SUFFIX)


def is_aa_twin(model: str) -> bool:
    return model.endswith(AA_SUFFIX)


def model_colour(model: str) -> tuple[float, float, float]:
    """The colour of ``model`` in every figure; an A/A twin ``X.aa`` shares ``X``'s hue."""
    base = base_model(model)
    if base in MODEL_COLOURS:
        return MODEL_COLOURS[base]
    # A model this kernel does not know: a spare colour chosen by a stable hash of its
    # name (not by its rank among the models shown), so it too never changes.
    return _SPARE_COLOURS[zlib.crc32(base.encode()) % len(_SPARE_COLOURS)]


def model_linestyle(model: str) -> str:
    """A/A twins are drawn dashed: same hue as their model, visibly the copy."""
    return "--" if is_aa_twin(model) else "-"


def model_marker_face(model: str) -> tuple[float, float, float]:
    """A/A twins get hollow-looking markers: their model's colour, lightened."""
    colour = np.array(model_colour(model))
    return tuple(colour + (1 - colour) * 0.6) if is_aa_twin(model) else tuple(colour)


def model_order(models: Iterable[str]) -> list[str]:
    """Models sorted by name, each A/A twin right after its model."""
    return sorted(set(models), key=lambda m: (base_model(m), is_aa_twin(m)))


# --- Public API: file in, PNG out ----------------------------------------------------


def _themed(function: Callable) -> Callable:
    @functools.wraps(function)
    def themed(*args, **kwargs):
        # Saving happens inside the theme too: matplotlib creates some artists (ticks)
        # lazily at draw time, from the rcParams in force then.
        with matplotlib.rc_context(THEME):
            return function(*args, **kwargs)

    return themed


@_themed
def plot_speedup(cells_tsv: str, output_png: str, cores: int | None = None) -> None:
    _save(draw_speedup(read_tsv(cells_tsv), cores=cores), output_png)


@_themed
def plot_winners(verdicts_tsv: str, output_png: str) -> None:
    _save(draw_winners(read_tsv(verdicts_tsv)), output_png)


@_themed
def plot_startup(cells_tsv: str, output_png: str) -> None:
    _save(draw_startup(read_tsv(cells_tsv)), output_png)


@_themed
def plot_drift(samples_parquet: str, output_png: str) -> None:
    _save(draw_drift(pd.read_parquet(samples_parquet)), output_png)


# Columns read as text even when every value looks like a number (a config hash of
# digits, a machine called "2").
TEXT_COLUMNS = (
    "machine", "interpreter", "config_hash", "workload", "kind", "model", "host",
    "winner", "fastest", "runner_up", "tied_with", "note", "verdict_without_flagged",
)  # fmt: skip


def read_tsv(path: str) -> pd.DataFrame:
    """A table written by pandas' ``to_csv(sep="\\t")``; an empty file is an empty table.

    Only empty fields are missing values: "n/a" is a verdict, which pandas would
    otherwise read as NaN.
    """
    try:
        return pd.read_csv(
            path, sep="\t", keep_default_na=False, na_values=[""], dtype=dict.fromkeys(TEXT_COLUMNS, str)
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _save(figure: Figure, output_png: str) -> None:
    try:
        os.makedirs(os.path.dirname(output_png) or ".", exist_ok=True)
        figure.savefig(output_png, dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(figure)


# --- Speedup -------------------------------------------------------------------------

CPU_KINDS = ("cpu_pure", "cpu_gil_released")
LATENCY_KINDS = ("io_sleep",)
STARTUP = "startup"


@_themed
def draw_speedup(cells: pd.DataFrame, cores: int | None = None) -> Figure:
    """Speedup over serial against workers: a panel per workload and payload, a line per
    model with its CI, the ideal speedup and the serial level.

    ``cores`` sets the ideal of CPU-bound work, min(workers, cores); cells.tsv does not
    say how many CPUs the machine had, so it defaults to this host's ``os.cpu_count()``.
    """
    title = "Speedup over serial (error bars: 95% bootstrap CI)"
    if cells.empty:
        return _no_data(title, "cells.tsv has no rows")
    # Start-up cells measure the cost of starting workers, not work shared among them;
    # serial is the baseline itself (the dotted line at 1).
    shown = cells[(cells["kind"] != STARTUP) & (cells["model"] != SERIAL)].dropna(subset=["speedup"])
    if shown.empty:
        return _no_data(title, "no cell has a serial baseline to compare with", cells)
    cores = cores or os.cpu_count() or 1

    # A panel per work (workload and payload) that was measured: a full workload-by-
    # payload grid would leave empty panels wherever a workload skips a payload.
    speedups = shown.assign(panel=_panel_labels(shown, name_the_work=True))
    grid = _model_facets(speedups, height=2.8, aspect=1.25)
    grid.map_dataframe(_line_with_ci, x="workers", y="speedup", low="speedup_ci_low", high="speedup_ci_high")

    references: dict[str, Line2D] = {}
    for panel, ax in grid.axes_dict.items():
        ideal = ideal_speedup(speedups[speedups["panel"] == panel], cores)
        if ideal is not None:
            label = f"ideal ({cores} cores)" if ideal.name == "cores" else "ideal (latency bound)"
            (references[label],) = ax.plot(
                ideal.index, ideal.to_numpy(), label=label, zorder=1, **_IDEAL_STYLE[ideal.name]
            )
        references["serial (speedup 1)"] = ax.axhline(1, label="serial (speedup 1)", **_SERIAL_STYLE)

    for ax in grid.axes.flat:
        _log2_workers_axis(ax, speedups["workers"])
        # Speedup is a ratio: on a log scale 2x faster and 2x slower are equally far from 1.
        ax.set_yscale("log", base=2)
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(_ratio_label))
    grid.set_axis_labels("workers", "speedup over serial (×)")
    grid.set_titles("{col_name}")
    grid.add_legend(title="model")
    _reference_legend(grid.figure, references)
    return _finish(grid.figure, title, shown)


# The ideal line of each kind, drawn behind the measurements as a wide pale band; its
# markers show it even where a single worker count was measured.
_IDEAL_STYLE = {
    "cores": {"color": REFERENCE_COLOUR, "alpha": 0.35, "linewidth": 5, "marker": "o", "markersize": 9},
    "latency": {
        "color": REFERENCE_COLOUR,
        "alpha": 0.35,
        "linewidth": 5,
        "marker": "s",
        "markersize": 8,
        "linestyle": (0, (1, 1.5)),
    },
}
_SERIAL_STYLE = {"color": "black", "linewidth": 1, "linestyle": ":", "zorder": 1}


def ideal_speedup(facet: pd.DataFrame, cores: int) -> pd.Series | None:
    """The best speedup the facet's kind of work allows, per worker count; None if no ideal.

    CPU-bound work cannot go faster than one worker per core: min(workers, cores).
    Sleeping tasks overlap fully, so ``tasks`` of them on ``w`` workers take
    ceil(tasks / w) latencies instead of ``tasks``. The Series is named after its bound.
    """
    kind = facet["kind"].iloc[0]
    workers = np.sort(facet["workers"].unique())
    if kind in CPU_KINDS:
        return pd.Series(np.minimum(workers, cores), index=workers, name="cores", dtype=float)
    if kind in LATENCY_KINDS:
        tasks = facet.groupby("workers")["tasks"].max().reindex(workers)
        if tasks.isna().any():
            return None
        return (tasks / np.ceil(tasks / workers)).rename("latency").astype(float)
    return None


def _ratio_label(value: float, _position=None) -> str:
    """Ticks of a ratio axis: 4, 2, 1, 1/2, 1/4 rather than 0.25."""
    if value >= 1:
        return f"{value:g}"
    return f"1/{1 / value:g}"


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


# --- Start-up cost -------------------------------------------------------------------


@_themed
def draw_startup(cells: pd.DataFrame) -> Figure:
    """Start-up cost per model against workers: median time with its CI, log scale."""
    title = "Start-up cost per model"
    startup = cells[cells["kind"] == STARTUP] if not cells.empty else cells
    if startup.empty:
        return _no_data(title, "no start-up cells were measured", cells)

    startup = startup.assign(
        milliseconds=startup["median_seconds"] * 1e3,
        ci_low_ms=startup["ci_low_seconds"] * 1e3,
        ci_high_ms=startup["ci_high_seconds"] * 1e3,
        panel=_panel_labels(startup, name_the_work=False),
    )
    grid = _model_facets(startup, height=3.2, aspect=1.3)
    grid.map_dataframe(_line_with_ci, x="workers", y="milliseconds", low="ci_low_ms", high="ci_high_ms")
    for ax in grid.axes.flat:
        _log2_workers_axis(ax, startup["workers"])
        # Starting a process costs orders of magnitude more than starting a thread.
        ax.set_yscale("log")
        # Ticks at 1, 2 and 5 of each decade, in plain numbers: a range under one decade
        # still gets several readable ticks.
        ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1, 2, 5)))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    grid.set_axis_labels("workers", "start-up time (ms, log scale)")
    grid.set_titles("{col_name}")
    grid.add_legend(title="model")
    notes = ["Start the workers and run one no-op task on each; error bars: 95% bootstrap CI of the median."]
    return _finish(grid.figure, title, startup, notes=notes)


# --- Shared by the line figures ------------------------------------------------------


def _model_facets(table: pd.DataFrame, **size) -> sns.FacetGrid:
    """A grid with a panel per ``panel`` label (wrapped, in sweep order) and a line per model."""
    panels = list(
        table.assign(rank=table["workload"].map(_workload_rank))
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
        hue_kws=_model_styles(models),
        **size,
    )


def _model_styles(models: list[str]) -> dict[str, list]:
    """FacetGrid ``hue_kws``: how each model's line differs beyond its colour."""
    return {
        "linestyle": [model_linestyle(m) for m in models],
        "markerfacecolor": [model_marker_face(m) for m in models],
    }


def _line_with_ci(data: pd.DataFrame, *, x: str, y: str, low: str, high: str, color, label: str, **style):
    """One model's line with its confidence interval as error bars (a FacetGrid function)."""
    points = data.sort_values(x)
    # A percentile interval need not contain the point estimate, and matplotlib refuses
    # negative error lengths: an interval on one side only is drawn on that side.
    below = (points[y] - points[low]).clip(lower=0)
    above = (points[high] - points[y]).clip(lower=0)
    plt.errorbar(
        points[x], points[y], yerr=[below, above],
        color=color, label=label, marker="o", capsize=2.5, zorder=3, **style,
    )  # fmt: skip


def _log2_workers_axis(ax: Axes, workers: pd.Series) -> None:
    """Worker counts double from one to the next: a log2 axis with a tick at each."""
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(ticker.FixedLocator(sorted(workers.unique())))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_locator(ticker.NullLocator())


# --- Winner map ----------------------------------------------------------------------


@_themed
def draw_winners(verdicts: pd.DataFrame) -> Figure:
    """Which model won each comparison group: work (rows) by workers (columns).

    A cell takes its winner's colour; a tie is grey and lists the models that could
    not be told apart; a group whose cells all failed is black and hatched. One panel
    per machine and interpreter.
    """
    title = "Winner of each comparison"
    if verdicts.empty:
        return _no_data(title, "verdicts.tsv has no rows")

    verdicts = verdicts.assign(
        setting=_setting(verdicts),
        work=verdicts["workload"] + " · " + _payload(verdicts),
    )
    settings = sorted(verdicts["setting"].unique())
    workers = sorted(verdicts["workers"].unique())
    work_rows = max(verdicts.groupby("setting")["work"].nunique())
    # Room in each cell for "tie" and one line per tied model.
    tied_lines = verdicts["tied_with"].where(verdicts["winner"] == TIE).dropna().str.count(",") + 1
    cell_height = 0.35 + 0.13 * max(tied_lines.max() if not tied_lines.empty else 0, 1)
    figure, axes = plt.subplots(
        len(settings),
        1,
        squeeze=False,
        figsize=(2.5 + 1.2 * len(workers), len(settings) * (0.9 + cell_height * work_rows)),
    )
    for ax, setting in zip(axes.flat, settings):
        _verdict_map(ax, verdicts[verdicts["setting"] == setting], workers)
        if len(settings) > 1:
            ax.set_title(setting)
    figure.tight_layout()

    changed = _changed_without_flagged(verdicts)
    figure.legend(
        *_verdict_legend(verdicts),
        title="winner",
        loc="center left",
        bbox_to_anchor=(1, 0.5),
    )
    notes = []
    if (verdicts["winner"] == TIE).any():
        notes.append("tie: the fastest model could not be told apart from the models listed with it.")
    if (verdicts["winner"] == NO_CONTEST).any():
        notes.append("n/a: only one model ran (named in the tile).")
    if changed.any():
        notes.append("†: the verdict changes when repetitions flagged as a slow machine phase are left out.")
    return _finish(figure, title, verdicts, notes=notes)


def _verdict_map(ax: Axes, verdicts: pd.DataFrame, workers: list[int]) -> None:
    """One panel of the winner map: a coloured, labelled tile per comparison group."""
    rows = verdicts[["workload", "payload_bytes", "work"]].drop_duplicates()
    work = [
        row.work
        for row in sorted(
            rows.itertuples(), key=lambda r: (_workload_rank(r.workload), r.workload, r.payload_bytes)
        )
    ]
    column_of = {w: i for i, w in enumerate(workers)}
    row_of = {w: i for i, w in enumerate(work)}
    changed = _changed_without_flagged(verdicts)
    for verdict, flagged_matter in zip(verdicts.itertuples(), changed):
        x, y = column_of[verdict.workers], row_of[verdict.work]
        face, hatch, text, detail = _verdict_tile(verdict)
        weight = "bold" if verdict.winner == TIE else "normal"
        ax.add_patch(
            Rectangle(
                (x - 0.5, y - 0.5), 1, 1,
                facecolor=face, hatch=hatch, hatchcolor="0.5", edgecolor="white", linewidth=2,
                gid=f"verdict:{verdict.winner}",
            )
        )  # fmt: skip
        ink = _ink_on(face)
        # The label and its small print, stacked and centred on the tile as one block.
        lines = [TextArea(text, textprops={"color": ink, "fontsize": "small", "fontweight": weight})]
        if detail:
            small_print = {
                "color": ink,
                "fontsize": "x-small",
                "linespacing": 1.0,
                "multialignment": "center",
            }
            lines.append(TextArea(detail, textprops=small_print))
        block = VPacker(children=lines, align="center", pad=0, sep=1)
        ax.add_artist(AnnotationBbox(block, (x, y), frameon=False, box_alignment=(0.5, 0.5)))
        if flagged_matter:
            ax.text(x + 0.45, y - 0.42, "†", ha="right", va="top", color=ink, fontsize="small")

    ax.set_xlim(-0.5, len(workers) - 0.5)
    ax.set_ylim(len(work) - 0.5, -0.5)  # the first work at the top
    ax.set_xticks(range(len(workers)), [str(w) for w in workers])
    ax.set_yticks(range(len(work)), work)
    ax.set_xlabel("workers")
    ax.set_ylabel("workload · payload")
    ax.grid(False)
    ax.tick_params(length=0)
    sns.despine(ax=ax, left=True, bottom=True)


def _verdict_tile(verdict) -> tuple[object, str | None, str, str]:
    """(face colour, hatch, label, small print) of one comparison group's tile."""
    if verdict.winner == ALL_FAILED:
        return FAILED_COLOUR, "//", "all failed", ""
    if verdict.winner == TIE:
        tied = verdict.tied_with.split(",") if isinstance(verdict.tied_with, str) else []
        return TIE_COLOUR, None, "tie", "\n".join(tied)
    if verdict.winner == NO_CONTEST:
        only_model = verdict.fastest if isinstance(verdict.fastest, str) else ""
        return NO_CONTEST_COLOUR, None, "n/a", only_model
    return model_colour(verdict.winner), None, verdict.winner, ""


def _verdict_legend(verdicts: pd.DataFrame) -> tuple[list[Patch], list[str]]:
    """A swatch per winning model, then per kind of non-win that the map shows."""
    outcomes = set(verdicts["winner"])
    special = {TIE: TIE_COLOUR, NO_CONTEST: NO_CONTEST_COLOUR, ALL_FAILED: FAILED_COLOUR}
    models = model_order(outcomes - set(special))
    handles = [Patch(facecolor=model_colour(m), label=m) for m in models]
    for outcome, colour in special.items():
        if outcome in outcomes:
            hatch = "//" if outcome == ALL_FAILED else None
            handles.append(Patch(facecolor=colour, hatch=hatch, hatchcolor="0.5", label=outcome))
    return handles, [h.get_label() for h in handles]


def _changed_without_flagged(verdicts: pd.DataFrame) -> np.ndarray:
    """True where dropping flagged repetitions gives another verdict."""
    if "verdict_without_flagged" not in verdicts:
        return np.zeros(len(verdicts), dtype=bool)
    without = verdicts["verdict_without_flagged"]
    return (without.notna() & (without != verdicts["winner"])).to_numpy()


def _ink_on(face) -> str:
    """Black or white text, whichever reads better on ``face`` (by relative luminance)."""
    red, green, blue = to_rgb(face)
    return "black" if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.45 else "white"


# --- Speed-probe drift ---------------------------------------------------------------

PROBES = {
    "probe_pure_seconds": "pure-Python probe (holds the GIL)",
    "probe_released_seconds": "GIL-releasing probe",
}
NORMAL_PHASE, SLOW_PHASE = "normal", "flagged: slow machine phase"


@_themed
def draw_drift(samples: pd.DataFrame) -> Figure:
    """The speed probes across the sweep, per machine and interpreter (rows).

    Each measured repetition is a point at its job's start time; repetitions taken in a
    slow machine phase are marked; a dashed line is the panel's median.
    """
    title = "Machine speed over the sweep: speed probe per repetition"
    measured = samples[samples["measured"].astype(bool)] if not samples.empty else samples
    if measured.empty:
        return _no_data(title, "no repetition was measured", samples)

    # The sweep's first job, measured or not, is time zero for every panel.
    started = pd.to_datetime(samples["started_at"], utc=True, format="ISO8601")
    elapsed = (started - started.min()).dt.total_seconds()
    unit, seconds_per_unit = _time_unit(elapsed.max())
    probes = (
        measured.assign(
            setting=_setting(measured),
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
        return _no_data(title, "no repetition has a probe time and a start time", samples)
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
    return _finish(grid.figure, title, samples, notes=notes)


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


# --- Interpreters --------------------------------------------------------------------

THREADS, SUBINTERPRETERS = "threads", "subinterpreters"
PROCESS_PREFIX = "processes-"
# The process model the gaps are measured against, in order of preference.
PROCESS_REFERENCES = ("processes-fork", "processes-forkserver", "processes-spawn")


@_themed
def plot_interpreters(
    cells_tsv: str,
    samples_parquet: str,
    output_png: str,
    *,
    verdicts_tsv: str | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> None:
    verdicts = read_tsv(verdicts_tsv) if verdicts_tsv else None
    figure = draw_interpreters(
        read_tsv(cells_tsv), pd.read_parquet(samples_parquet), verdicts=verdicts, n_boot=n_boot, seed=seed
    )
    _save(figure, output_png)


def interpreter_gaps(samples: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Time ratios threads / processes and subinterpreters / processes, with bootstrap CIs.

    Per (machine, interpreter, workload, payload, workers): the round-blocked ratio of
    :func:`showdown.stats.ratio_ci` (below 1: faster than processes). The process model
    is the first of :data:`PROCESS_REFERENCES` measured there; its name is in ``versus``.
    """
    columns = ["machine", "interpreter", "workload", "kind", "payload_bytes", "workers",
               "model", "versus", "ratio", "ratio_ci_low", "ratio_ci_high"]  # fmt: skip
    measured = samples[samples["measured"].astype(bool)] if not samples.empty else samples
    if measured.empty:
        return pd.DataFrame(columns=columns)
    key = ["machine", "interpreter", "workload", "kind", "payload_bytes", "workers"]
    records = []
    for values, group in measured.groupby(key):
        rounds = {
            model: {r: g["wall_seconds"].to_numpy() for r, g in rows.groupby("round")}
            for model, rows in group.groupby("model")
        }
        reference = next((m for m in PROCESS_REFERENCES if m in rounds), None)
        if reference is None:
            continue
        for model in (THREADS, SUBINTERPRETERS):
            if model in rounds:
                ratio, low, high = ratio_ci(rounds[model], rounds[reference], n_boot=n_boot, rng=seed)
                records.append({**dict(zip(key, values)), "model": model, "versus": reference,
                                "ratio": ratio, "ratio_ci_low": low, "ratio_ci_high": high})  # fmt: skip
    return pd.DataFrame(records, columns=columns)


@_themed
def draw_interpreters(
    cells: pd.DataFrame,
    samples: pd.DataFrame,
    *,
    verdicts: pd.DataFrame | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> Figure:
    """Interpreters side by side: a row per work (workload, payload, workers).

    Left: every model's speedup over serial under each interpreter (a group of bars per
    interpreter, 95% CI). The best model is the comparison's verdict where ``verdicts`` is
    given (a winner, or a tie among the models listed), else the fastest point estimate;
    its bar is edged in black (no bar when serial is the fastest). Right: how far threads
    and subinterpreters are from processes under each interpreter, as time ratios with 95%
    CIs (below 1: faster than processes). An interpreter whose cells ran with the GIL off
    is labelled so.
    """
    title = "Interpreters: best model, and threads / subinterpreters against processes"
    if cells.empty:
        return _no_data(title, "cells.tsv has no rows")
    shown = cells[(cells["kind"] != STARTUP) & (cells["model"] != SERIAL) & ~cells["model"].map(is_aa_twin)]
    shown = shown.dropna(subset=["speedup"])
    if shown.empty:
        return _no_data(title, "no cell has a serial baseline to compare with", cells)
    gaps = interpreter_gaps(samples, n_boot=n_boot, seed=seed)

    interpreters = sorted(shown["interpreter"].unique(), key=_interpreter_rank)
    labels = _interpreter_labels(cells)
    work_key = ["machine", "workload", "payload_bytes", "workers"]
    works = sorted(
        shown[work_key].drop_duplicates().itertuples(index=False),
        key=lambda w: (w.machine, _workload_rank(w.workload), w.workload, w.payload_bytes, w.workers),
    )
    several_machines = shown["machine"].nunique() > 1
    width = max(4.5, 1.0 + 1.6 * len(interpreters))
    figure, axes = plt.subplots(
        len(works), 2, squeeze=False, figsize=(2 * width, 4.2 * len(works)),
        gridspec_kw={"width_ratios": [1.6, 1]},
    )  # fmt: skip
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
    decided = "the verdict: a winner, or a tie" if verdicts is not None and not verdicts.empty else "fastest median"
    notes = [
        f"Left: speedup over serial (95% bootstrap CI); under each interpreter its best model ({decided}), "
        "the fastest edged in black.",
        "Right: time ratio of threads and of subinterpreters (a point each, in the model's colour) to the "
        "process model named on the axis",
        "(round-blocked, 95% bootstrap CI); below 1: faster than processes.",
    ]
    if (cells.get("gil_enabled", pd.Series(dtype=bool)).astype(str).str.lower() == "false").any():
        notes.append("GIL off: the interpreter's cells ran without the GIL (a free-threaded build).")
    return _finish(figure, title, cells, notes=notes)


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
    """(the fastest model, the words under the interpreter) from its verdict or the medians."""
    if verdict is not None and isinstance(verdict.fastest, str):
        if verdict.winner == TIE and isinstance(verdict.tied_with, str):
            return verdict.fastest, "tie:\n" + "\n".join(verdict.tied_with.split(","))
        if verdict.winner in (TIE, NO_CONTEST, ALL_FAILED):
            return verdict.fastest, f"{verdict.winner}: {verdict.fastest}"
        return verdict.fastest, f"wins: {verdict.winner}"
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
    ax.axhline(1, **_SERIAL_STYLE)
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
        below = (rows["ratio"] - rows["ratio_ci_low"]).clip(lower=0)
        above = (rows["ratio_ci_high"] - rows["ratio"]).clip(lower=0)
        ax.errorbar(
            x, rows["ratio"], yerr=[below, above], color=model_colour(model), marker="o",
            linestyle="none", capsize=3, label=f"{model} / processes", zorder=3,
        )  # fmt: skip
    ax.axhline(1, **_SERIAL_STYLE)
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
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(_ratio_label))
    ax.yaxis.set_minor_locator(ticker.NullLocator())


_RATIO_TICKS = (1 / 16, 1 / 8, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 8.0, 16.0)


# --- Memory, mechanisms and I/O throughput -------------------------------------------

MIB = 2**20
MECHANISM_KINDS = ("ipc_transfer", "switch_latency", "lock_contention")
IO_KINDS = ("io_sleep", "io_net", "io_disk")
# What one of a cell's ``tasks`` is, per workload kind (lock_contention counts every
# increment of every worker: workers x increments).
UNITS = {
    "io_sleep": "tasks", "io_net": "requests", "io_disk": "files", "ipc_transfer": "messages",
    "switch_latency": "round trips", "lock_contention": "increments",
}  # fmt: skip
# Markers that tell worker counts apart where one panel shows several of them.
_WORKER_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_CI_NOTE = "Error bars: 95% bootstrap CI of the median, scaled like the median."


@_themed
def plot_memory(cells_tsv: str, output_png: str) -> None:
    _save(draw_memory(read_tsv(cells_tsv)), output_png)


@_themed
def plot_ipc(cells_tsv: str, output_png: str) -> None:
    _save(draw_ipc(read_tsv(cells_tsv)), output_png)


@_themed
def plot_switch(cells_tsv: str, output_png: str) -> None:
    _save(draw_switch(read_tsv(cells_tsv)), output_png)


@_themed
def plot_locks(cells_tsv: str, output_png: str) -> None:
    _save(draw_locks(read_tsv(cells_tsv)), output_png)


@_themed
def plot_io(cells_tsv: str, output_png: str) -> None:
    _save(draw_io(read_tsv(cells_tsv)), output_png)


def cells_of(cells: pd.DataFrame, kinds: Iterable[str]) -> pd.DataFrame:
    """The cells of the workload ``kinds`` that have a median time (none from an empty table)."""
    if cells.empty or not {"kind", "median_seconds"} <= set(cells):
        return pd.DataFrame(columns=cells.columns)
    return cells[cells["kind"].isin(tuple(kinds))].dropna(subset=["median_seconds"])


def _no_cells_of(title: str, kinds: Iterable[str], cells: pd.DataFrame) -> Figure:
    return _no_data(title, f"this sweep has no {' / '.join(kinds)} cells", cells)


def per_unit(cells: pd.DataFrame, scale: float = 1e6) -> pd.DataFrame:
    """Time per unit of work (``median_seconds / tasks``, times ``scale``: microseconds by
    default), with its CI scaled the same way, as ``per_unit``, ``per_unit_low``, ``per_unit_high``."""
    tasks = cells["tasks"].astype(float)
    return cells.assign(
        per_unit=cells["median_seconds"] / tasks * scale,
        per_unit_low=cells["ci_low_seconds"] / tasks * scale,
        per_unit_high=cells["ci_high_seconds"] / tasks * scale,
    )


def _log_axis(axis) -> None:
    """A log-scaled axis with ticks at 1, 2 and 5 of each decade, in plain numbers."""
    axis.set_major_locator(ticker.LogLocator(subs=(1, 2, 5)))
    axis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


# Markers for models that share a colour: model_colour deals the catalogue's mechanism
# models (queues, pipes, locks, events) spare colours by a hash of their name, so several of
# them can share one; a marker of their own, fixed like the colour, tells them apart.
_SHARED_COLOUR_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def model_marker(model: str) -> str:
    """The marker of ``model`` in the memory, transfer, switch, lock and I/O figures.

    Every model with a colour of its own keeps the circle; models whose colour the
    catalogue deals to several get one marker each, by name among those models, so that
    a model's marker does not depend on the other models a figure shows. An A/A twin has
    its model's marker.
    """
    base = base_model(model)
    sharing = sorted({m for m in (*_catalogue_models(), base) if model_colour(m) == model_colour(base)})
    return _SHARED_COLOUR_MARKERS[sharing.index(base) % len(_SHARED_COLOUR_MARKERS)]


@functools.cache
def _catalogue_models() -> tuple[str, ...]:
    """Every model name a config may use: the pool models and every workload's mechanisms."""
    from .kernel.catalogue import MODEL_NAMES

    return MODEL_NAMES


def _dodged(table: pd.DataFrame, x: str, panel: str) -> pd.Series:
    """``x`` shifted a little per model on a log2 axis, so that points which coincide (many
    models at one worker count or payload) stay visible side by side within each ``panel``."""
    shifts = pd.Series(0.0, index=table.index)
    for _, rows in table.groupby(panel):
        models = model_order(rows["model"])
        step = min(0.07, 0.45 / len(models))
        shift = {m: (i - (len(models) - 1) / 2) * step for i, m in enumerate(models)}
        shifts[rows.index] = rows["model"].map(shift)
    return table[x].astype(float) * np.exp2(shifts)


def _log2_padding(ax: Axes, values: pd.Series) -> None:
    """Room around the outermost ticks of a log2 axis for dodged points (and a single tick)."""
    ax.set_xlim(values.min() / 2**0.45, values.max() * 2**0.45)


def _dodged_line_with_ci(
    data: pd.DataFrame, *, x: str, y: str, low: str | None = None, high: str | None = None, color, label: str,
    **style,
) -> None:  # fmt: skip
    """One model's line in its colour and marker, with CI error bars when ``low`` and
    ``high`` are given (a FacetGrid function, like :func:`_line_with_ci`)."""
    points = data.sort_values(x)
    errors = None
    if low is not None and high is not None:
        errors = [(points[y] - points[low]).clip(lower=0), (points[high] - points[y]).clip(lower=0)]
    plt.errorbar(
        points[x], points[y], yerr=errors, color=color, label=label, marker=model_marker(label),
        markersize=6, capsize=2.5, zorder=3, **style,
    )  # fmt: skip


def _wrapped_notes(figure: Figure, notes: Iterable[str]) -> list[str]:
    """Notes wrapped to the figure's width, so a narrow figure is not widened by its notes."""
    width = max(60, int(figure.get_figwidth() * 13))
    return [textwrap.fill(note, width, subsequent_indent="  ") for note in notes]


def _values(table: pd.DataFrame, column: str) -> str:
    """The distinct values of a column, in order, for a note: "2" or "2, 4"."""
    return ", ".join(str(v) for v in sorted(table[column].dropna().unique()))


# Memory -------------------------------------------------------------------------------

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


@_themed
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
        return _no_data(title, "cells.tsv has no rows")
    memory = peak_memory(cells[cells["kind"].notna()])
    if memory.empty:
        return _no_data(title, "no cell has a memory measurement", cells)

    key = ["machine", "interpreter", "kind", "model", "workers"]
    peaks = (
        memory.sort_values("peak_mib")
        .groupby(key, as_index=False)
        .agg(peak_mib=("peak_mib", "max"), measure=("measure", "last"), works=("workload", "nunique"))
    )
    # The panels are kinds: _model_facets orders them by their place in the catalogue.
    peaks = peaks.assign(workload=peaks["kind"], payload_bytes=0)
    several_settings = _setting(peaks).nunique() > 1
    peaks["panel"] = (_setting(peaks) + "\n" if several_settings else "") + peaks["kind"]
    peaks["x"] = _dodged(peaks, "workers", "panel")
    grid = _model_facets(peaks, height=2.8, aspect=1.2, sharex=False)
    grid.map_dataframe(_dodged_line_with_ci, x="x", y="peak_mib")
    for panel, ax in grid.axes_dict.items():
        workers = peaks.loc[peaks["panel"] == panel, "workers"]
        _log2_workers_axis(ax, workers)
        _log2_padding(ax, workers)
        ax.set_yscale("log")
        _log_axis(ax.yaxis)
    grid.set_axis_labels("workers", _memory_label(set(peaks["measure"])))
    grid.set_titles("{col_name}")
    _model_legend(grid, peaks["model"])
    notes = [
        "Per cell: the largest peak of its rounds, of the whole process tree (the coordinating "
        "interpreter and every worker process; threads share their process).",
        "PSS (a shared page split among its sharers) is read every 0.5 s from the kernel's start, RSS every "
        "0.1 s: a cell whose kernel runs about a second has one or two PSS readings, which can miss its workers.",
    ]
    if (peaks["works"] > 1).any():
        notes.append("Where a kind has several works (payloads, workload labels): the largest of their peaks.")
    if (peaks["measure"] == RSS).any() and (peaks["measure"] == PSS).any():
        fallbacks = ", ".join(sorted(set(peaks.loc[peaks["measure"] == RSS, "model"])))
        notes.append(f"RSS (no PSS read) for: {fallbacks}.")
    return _finish(grid.figure, title, memory, notes=_wrapped_notes(grid.figure, notes))


def _model_legend(grid: sns.FacetGrid, models: pd.Series, extra: dict[str, Line2D] | None = None) -> None:
    """The grid's legend: a handle per model in its colour, marker and line style, then ``extra``."""
    handles = {m: _model_handle(m) for m in model_order(models)}
    handles.update(extra or {})
    grid.add_legend(legend_data=handles, label_order=list(handles), title="model")


# Inter-process transfer ---------------------------------------------------------------


def ipc_rates(cells: pd.DataFrame) -> pd.DataFrame:
    """Per ipc_transfer cell: µs per message and MiB/s (payload x messages / batch time),
    each with its CI (the slow end of the time's CI is the low end of the throughput's)."""
    rates = per_unit(cells, 1e6)
    moved = cells["payload_bytes"].astype(float) * cells["tasks"].astype(float) / MIB
    return rates.assign(
        latency_us=rates["per_unit"],
        latency_low_us=rates["per_unit_low"],
        latency_high_us=rates["per_unit_high"],
        mib_per_s=moved / cells["median_seconds"],
        mib_per_s_low=moved / cells["ci_high_seconds"],
        mib_per_s_high=moved / cells["ci_low_seconds"],
    )


def _payload_axis(ax: Axes, payloads: pd.Series) -> None:
    """Payload sizes double (or more) from one to the next: a log2 axis with a tick at each."""
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(ticker.FixedLocator(sorted(payloads.unique())))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: size_label(round(value))))
    ax.xaxis.set_minor_locator(ticker.NullLocator())


@_themed
def draw_ipc(cells: pd.DataFrame) -> Figure:
    """ipc_transfer: per-message latency (left) and throughput (right) against payload size,
    a line per channel (model) with its CI; a row per machine, interpreter and workload."""
    title = "Inter-process transfer: latency and throughput per channel"
    transfer = cells_of(cells, ["ipc_transfer"])
    if transfer.empty:
        return _no_cells_of(title, ["ipc_transfer"], cells)
    # A 0-byte message has no place on a log axis (and moves no bytes).
    placed = transfer[transfer["payload_bytes"] > 0]
    if placed.empty:
        return _no_data(title, "every ipc_transfer cell has a 0-byte payload: nothing to place on a size axis", cells)
    rates = ipc_rates(placed)
    # A row per machine and interpreter, and per workload label, where there are several.
    rates = rates.assign(row=_panel_labels(rates.assign(payload_bytes=0), name_the_work=False))
    rates["x"] = _dodged(rates, "payload_bytes", "row")
    rows = sorted(rates["row"].unique())
    models = model_order(rates["model"])
    figure, axes = plt.subplots(len(rows), 2, squeeze=False, figsize=(11, 3.9 * len(rows)))
    panels = (
        ("latency_us", "latency_low_us", "latency_high_us", "latency per message (µs, log scale)"),
        ("mib_per_s", "mib_per_s_low", "mib_per_s_high", "throughput (MiB/s, log scale)"),
    )
    for (latency_ax, throughput_ax), row in zip(axes, rows):
        shown = rates[rates["row"] == row]
        for ax, (y, low, high, label) in zip((latency_ax, throughput_ax), panels):
            for model in models:
                points = shown[shown["model"] == model]
                if points.empty:
                    continue
                _line_with_ci_on(ax, points, x="x", y=y, low=low, high=high, model=model)
            _payload_axis(ax, shown["payload_bytes"])
            _log2_padding(ax, shown["payload_bytes"])
            ax.set_yscale("log")
            _log_axis(ax.yaxis)
            ax.set_xlabel("payload per message")
            ax.set_ylabel(label)
        if row:
            latency_ax.set_title(row, loc="left")
    figure.tight_layout()
    figure.legend(
        handles=[_model_handle(m) for m in models], title="channel", loc="center left", bbox_to_anchor=(1, 0.5)
    )
    notes = [
        f"One producer hands {_values(rates, 'tasks')} messages to one consumer ({_values(rates, 'workers')} "
        "workers); latency = batch time / messages, building each message included.",
        "Throughput = payload x messages / batch time (1 MiB = 2^20 bytes). " + _CI_NOTE,
    ]
    if len(placed) < len(transfer):
        notes.append("Cells with a 0-byte payload are left out: a log axis has no place for them.")
    return _finish(figure, title, transfer, notes=_wrapped_notes(figure, notes))


def _line_with_ci_on(ax: Axes, points: pd.DataFrame, *, x: str, y: str, low: str, high: str, model: str) -> None:
    """One model's line with CI error bars on ``ax``, in the model's colour and style."""
    points = points.sort_values(x)
    below = (points[y] - points[low]).clip(lower=0)
    above = (points[high] - points[y]).clip(lower=0)
    ax.errorbar(
        points[x], points[y], yerr=[below, above], color=model_colour(model), label=model,
        linestyle=model_linestyle(model), markerfacecolor=model_marker_face(model),
        marker=model_marker(model), capsize=2.5, zorder=3,
    )  # fmt: skip


def _model_handle(model: str) -> Line2D:
    return Line2D(
        [], [], color=model_colour(model), linestyle=model_linestyle(model), marker=model_marker(model),
        markerfacecolor=model_marker_face(model), label=model,
    )  # fmt: skip


# Switch latency and lock contention ---------------------------------------------------


@_themed
def draw_switch(cells: pd.DataFrame) -> Figure:
    """switch_latency: the time of one round trip of a token between two workers, per model
    (a point with its CI, fastest first, log scale)."""
    title = "Switch latency: one round trip of a token"
    switch = cells_of(cells, ["switch_latency"])
    if switch.empty:
        return _no_cells_of(title, ["switch_latency"], cells)
    times = per_unit(switch, 1e6)
    figure = _points_figure(times, "µs per round trip (log scale)")
    notes = [
        f"{_values(times, 'workers')} workers pass a token back and forth ({_values(times, 'tasks')} round trips "
        "per batch); a round trip is two hand-offs, each waking the other side.",
        "µs per round trip = batch time / round trips. " + _CI_NOTE,
    ]
    return _finish(figure, title, switch, notes=_wrapped_notes(figure, notes))


@_themed
def draw_locks(cells: pd.DataFrame) -> Figure:
    """lock_contention: the time per increment of one shared counter under one lock, per
    lock model (a point with its CI, fastest first, log scale)."""
    title = "Lock contention: time per increment of one shared counter"
    locks = cells_of(cells, ["lock_contention"])
    if locks.empty:
        return _no_cells_of(title, ["lock_contention"], cells)
    # ``tasks`` of a lock_contention cell is every increment: workers x increments.
    times = per_unit(locks, 1e6)
    figure = _points_figure(times, "µs per increment (log scale)")
    increments = times["tasks"] // times["workers"]
    notes = [
        f"{_values(times, 'workers')} workers each add 1 to one counter "
        f"{', '.join(str(i) for i in sorted(increments.unique()))} times under one lock.",
        "µs per increment = batch time / (workers x increments): the crew's time per increment, "
        "with every worker contending. " + _CI_NOTE,
    ]
    return _finish(figure, title, locks, notes=_wrapped_notes(figure, notes))


def _points_figure(times: pd.DataFrame, ylabel: str) -> Figure:
    """A panel per machine, interpreter and work (where several), a point per model."""
    times = times.assign(panel=_panel_labels(times, name_the_work=False))
    panels = sorted(times["panel"].unique())
    widest = max(times.groupby("panel")["model"].nunique())
    width = max(6.0, 1.5 + 1.0 * widest * times["workers"].nunique() ** 0.5)
    figure, axes = plt.subplots(1, len(panels), squeeze=False, figsize=(width * len(panels), 4.4))
    for ax, panel in zip(axes.flat, panels):
        _points_per_model(ax, times[times["panel"] == panel], ylabel)
        ax.set_title(panel)
    figure.tight_layout()
    if times["workers"].nunique() > 1:
        workers = sorted(times["workers"].unique())
        figure.legend(
            handles=[
                Line2D([], [], color="0.3", marker=_WORKER_MARKERS[i % len(_WORKER_MARKERS)], linestyle="none", label=str(w))
                for i, w in enumerate(workers)
            ],
            title="workers",
            loc="center left",
            bbox_to_anchor=(1, 0.5),
        )  # fmt: skip
    return figure


def _points_per_model(ax: Axes, times: pd.DataFrame, ylabel: str) -> None:
    """A point with its CI per model (and worker count, side by side), fastest model first,
    each labelled with its value."""
    models = list(times.groupby("model")["per_unit"].median().sort_values().index)
    workers = sorted(times["workers"].unique())
    slot = 0.6 / len(workers)
    # One worker count: each model's own marker; several: a marker per worker count.
    def marker(model: str, index: int) -> str:
        if len(workers) == 1:
            return model_marker(model)
        return _WORKER_MARKERS[index % len(_WORKER_MARKERS)]

    for x, model in enumerate(models):
        for i, count in enumerate(workers):
            rows = times[(times["model"] == model) & (times["workers"] == count)]
            if rows.empty:
                continue
            row = rows.iloc[0]
            position = x + (i - (len(workers) - 1) / 2) * slot
            below = max(row["per_unit"] - row["per_unit_low"], 0)
            above = max(row["per_unit_high"] - row["per_unit"], 0)
            ax.errorbar(
                [position], [row["per_unit"]], yerr=[[below], [above]], color=model_colour(model),
                markerfacecolor=model_marker_face(model), marker=marker(model, i),
                markersize=8, linestyle="none", capsize=4, zorder=3, label=model,
            )  # fmt: skip
            ax.annotate(
                f"{row['per_unit']:.3g}", (position, row["per_unit"]), xytext=(7, 0),
                textcoords="offset points", va="center", fontsize="small", color="0.2",
            )  # fmt: skip
    ax.set_yscale("log")
    _log_axis(ax.yaxis)
    # Room above and below the points on a log axis, so a narrow range still reads.
    low, high = times["per_unit_low"].min(), times["per_unit_high"].max()
    if low > 0 and high > 0:
        ax.set_ylim(low / 1.6, high * 1.6)
    ax.set_xticks(range(len(models)), models, rotation=25, ha="right")
    ax.set_xlim(-0.6, len(models) - 0.4)
    ax.set_xlabel("model (fastest first)")
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)


# I/O throughput -----------------------------------------------------------------------


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


@_themed
def draw_io(cells: pd.DataFrame) -> Figure:
    """I/O work per second against workers: a panel per work (workload label and payload),
    a line per model with its CI, and the latency bound where the work has a serial cell."""
    title = "I/O throughput against workers"
    io = cells_of(cells, IO_KINDS)
    if io.empty:
        return _no_cells_of(title, IO_KINDS, cells)
    rates = io_throughput(io)
    rates = rates.assign(panel=_panel_labels(rates, name_the_work=True))
    rates["x"] = _dodged(rates, "workers", "panel")
    grid = _model_facets(rates, height=3.0, aspect=1.25, sharex=False, sharey=False)
    grid.map_dataframe(
        _dodged_line_with_ci, x="x", y="per_second", low="per_second_low", high="per_second_high"
    )
    references: dict[str, Line2D] = {}
    label = "ideal (latency bound from serial)"
    for panel, ax in grid.axes_dict.items():
        facet = rates[rates["panel"] == panel]
        ideal = ideal_throughput(facet)
        if ideal is not None:
            (references[label],) = ax.plot(
                ideal.index, ideal.to_numpy(), label=label, zorder=1, **_IDEAL_STYLE["latency"]
            )
        else:
            ax.text(0.97, 0.04, "no serial cell:\nno ideal line", transform=ax.transAxes, ha="right",
                    va="bottom", fontsize="small", color="0.4")  # fmt: skip
        _log2_workers_axis(ax, facet["workers"])
        _log2_padding(ax, facet["workers"])
        ax.set_yscale("log")
        _log_axis(ax.yaxis)
        ax.set_xlabel("workers")
        units = UNITS.get(facet["kind"].iloc[0], "tasks")
        ax.set_ylabel(f"{units} per second (log scale)")
    grid.set_titles("{col_name}")
    # Each panel has its own y axis and label: room between the panels for them.
    grid.figure.subplots_adjust(wspace=0.45, hspace=0.55)
    _model_legend(grid, rates["model"], extra=references)
    notes = [
        "Throughput = units per batch (tasks, requests or files) / batch time. " + _CI_NOTE,
        "Ideal: serial's time per unit taken as the latency, tasks overlapping fully on the workers: "
        "tasks / (ceil(tasks / workers) x latency).",
    ]
    return _finish(grid.figure, title, io, notes=_wrapped_notes(grid.figure, notes))


# --- Labels, titles and the empty figure ---------------------------------------------


def _setting(table: pd.DataFrame) -> pd.Series:
    """Where a row was measured: "machine · interpreter"."""
    return table["machine"].astype(str) + " · " + table["interpreter"].astype(str)


def _payload(table: pd.DataFrame) -> pd.Series:
    return "payload " + table["payload_bytes"].map(lambda size: size_label(int(size)))


def _panel_labels(table: pd.DataFrame, *, name_the_work: bool) -> pd.Series:
    """Panel titles: machine and interpreter (when several) over workload and payload.

    The work is named in every panel if ``name_the_work``, else only where it varies.
    """
    work = [table["workload"].astype(str), _payload(table)]
    if not name_the_work:
        work = [part for part in work if part.nunique() > 1]
    lines = [_setting(table)] if _setting(table).nunique() > 1 else []
    if work:
        lines.append(functools.reduce(lambda left, right: left + " · " + right, work))
    if not lines:
        return pd.Series("", index=table.index)
    return functools.reduce(lambda upper, lower: upper + "\n" + lower, lines)


def _workload_rank(workload: str) -> int:
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


def _finish(figure: Figure, title: str, table: pd.DataFrame, notes: Iterable[str] = ()) -> Figure:
    """Title (with what the figure covers) above the figure, notes below it.

    Both sit outside the laid-out area; ``bbox_inches="tight"`` saves them with the rest.
    """
    figure.suptitle(f"{title}\n{_coverage(table)}", y=1.0, va="bottom")
    if notes:
        figure.text(0.01, 0, "\n".join(notes), ha="left", va="top", fontsize="small", color="0.3")
    return figure


def _no_data(title: str, reason: str, table: pd.DataFrame | None = None) -> Figure:
    """A figure that says there is nothing to show, and why, so the report still builds."""
    figure, ax = plt.subplots(figsize=(6.4, 2.4))
    ax.set_axis_off()
    ax.text(0.5, 0.6, "no data", ha="center", va="center", fontsize="xx-large", color="0.4")
    ax.text(0.5, 0.3, reason, ha="center", va="center", color="0.4")
    return _finish(figure, title, pd.DataFrame() if table is None else table)
