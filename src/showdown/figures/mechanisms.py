"""The mechanisms: inter-process transfer (latency and throughput per channel), switch
latency and lock contention (a point per model)."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..kernel import TRANSFER_SCOPES, size_label
from ..vocabulary import base_model
from .panels import (
    CI_NOTE,
    MIB,
    cells_of,
    dodged,
    finish,
    line_with_ci,
    listed,
    log2_padding,
    log2_ticks,
    log_ticks,
    model_handle,
    no_cells_of,
    no_data,
    panel_labels,
    wrapped_notes,
)
from .theme import model_colour, model_marker, model_marker_face, model_order, themed

# Markers that tell worker counts apart where one panel shows several of them.
_WORKER_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def per_unit(cells: pd.DataFrame, scale: float = 1e6) -> pd.DataFrame:
    """cells.tsv's time per unit of work (``seconds_per_task``: the level over tasks) with
    its interval, in seconds times ``scale`` (microseconds by default), as ``per_unit``,
    ``per_unit_low``, ``per_unit_high``."""
    return cells.assign(
        per_unit=cells["seconds_per_task"] * scale,
        per_unit_low=cells["seconds_per_task_ci_low"] * scale,
        per_unit_high=cells["seconds_per_task_ci_high"] * scale,
    )


# --- Inter-process transfer ----------------------------------------------------------


def ipc_rates(cells: pd.DataFrame) -> pd.DataFrame:
    """Per ipc_transfer cell: cells.tsv's ``seconds_per_task`` in µs per message and its
    ``bytes_per_second`` (payload x messages / level) in MiB/s, each with its interval."""
    rates = per_unit(cells, 1e6)
    return rates.assign(
        latency_us=rates["per_unit"],
        latency_low_us=rates["per_unit_low"],
        latency_high_us=rates["per_unit_high"],
        mib_per_s=cells["bytes_per_second"] / MIB,
        mib_per_s_low=cells["bytes_per_second_ci_low"] / MIB,
        mib_per_s_high=cells["bytes_per_second_ci_high"] / MIB,
    )


@themed
def draw_ipc(cells: pd.DataFrame) -> Figure:
    """ipc_transfer: per-message latency (left) and throughput (right) against payload size,
    a line per channel (model) with its CI; a row per machine, interpreter and workload."""
    # ipc_transfer is a kind: its rows include handoffs within one process (ipc_handoff).
    title = "Transfer between workers (within a process or between processes): latency and throughput per channel"
    transfer = cells_of(cells, ["ipc_transfer"])
    if transfer.empty:
        return no_cells_of(title, ["ipc_transfer"], cells)
    # A 0-byte message has no place on a log axis (and moves no bytes).
    placed = transfer[transfer["payload_bytes"] > 0]
    if placed.empty:
        return no_data(title, "every ipc_transfer cell has a 0-byte payload: nothing to place on a size axis", cells)
    rates = ipc_rates(placed)
    # A row per machine and interpreter, and per workload label, where there are several;
    # each named with where its channels' two sides live (the kernel's scopes).
    scope = rates.groupby("workload")["model"].transform(
        lambda models: " & ".join(sorted({TRANSFER_SCOPES.get(base_model(m), "?") for m in models}))
    )
    rates = rates.assign(row=panel_labels(rates.assign(payload_bytes=0), name_the_work=False) + " (" + scope + ")")
    rates["x"] = dodged(rates, "payload_bytes", "row")
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
                line_with_ci(ax, points, x="x", y=y, low=low, high=high, model=model)
            log2_ticks(ax, shown["payload_bytes"], lambda size: size_label(round(size)))
            log2_padding(ax, shown["payload_bytes"])
            ax.set_yscale("log")
            log_ticks(ax.yaxis)
            ax.set_xlabel("payload per message")
            ax.set_ylabel(label)
        latency_ax.set_title(row.lstrip("\n "), loc="left")
    figure.tight_layout()
    figure.legend(
        handles=[model_handle(m) for m in models], title="channel", loc="center left", bbox_to_anchor=(1, 0.5)
    )
    notes = [
        (
            f"One producer hands {listed(rates, 'tasks')} messages to one consumer ({listed(rates, 'workers')} "
            "workers); latency = level / messages, building each message included."
        ),
        "Throughput = payload x messages / level (1 MiB = 2^20 bytes). " + CI_NOTE,
        (
            "Within one process a channel hands over references; between processes it copies or serialises every "
            "byte: separate workloads, never one comparison. The consumer checks every byte after the clock stops."
        ),
    ]
    if len(placed) < len(transfer):
        notes.append("Cells with a 0-byte payload are left out: a log axis has no place for them.")
    return finish(figure, title, transfer, notes=wrapped_notes(figure, notes))


# --- Switch latency and lock contention ----------------------------------------------


@themed
def draw_switch(cells: pd.DataFrame) -> Figure:
    """switch_latency: the time of one round trip of a token between two workers, per model
    (a point with its CI, fastest first, log scale)."""

    def notes(times: pd.DataFrame) -> list[str]:
        shared = times["shared_cpu"].dropna().astype(bool) if "shared_cpu" in times else pd.Series(dtype=bool)
        placement = {
            (True,): "the two workers shared one CPU",
            (False,): "the two workers were pinned to two CPUs (coroutines share their one thread)",
        }.get(
            tuple(sorted(set(shared))),
            "workers pinned to two CPUs where they are threads or processes; coroutines share their one thread",
        )
        return [
            (
                f"{listed(times, 'workers')} workers pass a token back and forth ({listed(times, 'tasks')} "
                "round trips per batch); a round trip is two hand-offs, each waking the other side; "
                f"{placement}."
            ),
            "µs per round trip = level / round trips. " + CI_NOTE,
            (
                "Beside each point: the p50, p90 and p99 of the single round trips (each timed by the ping side; "
                "the median over repetitions): two modes show as a p90 or p99 far above p50."
            ),
        ]

    return _time_per_unit_figure(
        cells,
        "switch_latency",
        "Switch latency: one round trip of a token",
        "µs per round trip",
        notes,
        percentiles=PERCENTILES,
    )


@themed
def draw_locks(cells: pd.DataFrame) -> Figure:
    """lock_contention: the time per increment of one shared counter under one lock, per
    lock model (a point with its CI, fastest first, log scale)."""

    def notes(times: pd.DataFrame) -> list[str]:
        # ``tasks`` of a lock_contention cell is every increment: workers x increments.
        increments = times["tasks"] // times["workers"]
        return [
            (
                f"{listed(times, 'workers')} workers each add 1 to one counter "
                f"{', '.join(str(i) for i in sorted(increments.unique()))} times under one lock."
            ),
            (
                "µs per increment = level / (workers x increments): the crew's time per increment, "
                "with every worker contending. " + CI_NOTE
            ),
        ]

    return _time_per_unit_figure(
        cells,
        "lock_contention",
        "Lock contention: time per increment of one shared counter",
        "µs per increment",
        notes,
    )


# cells.tsv's percentiles of single round trips (seconds), and how each is marked.
PERCENTILES = {"round_trip_p50_seconds": "_", "round_trip_p90_seconds": "1", "round_trip_p99_seconds": "2"}


def _time_per_unit_figure(
    cells: pd.DataFrame, kind: str, title: str, unit: str, notes: Callable[[pd.DataFrame], list[str]],
    percentiles: dict[str, str] | None = None,
) -> Figure:  # fmt: skip
    """The cells of ``kind`` as µs per unit of work (:func:`per_unit`), a point per model,
    and beside it the ``percentiles`` columns (seconds) where the cells have them."""
    chosen = cells_of(cells, [kind])
    if chosen.empty:
        return no_cells_of(title, [kind], cells)
    times = per_unit(chosen, 1e6)
    figure = _points_figure(times, f"{unit} (log scale)", {c: m for c, m in (percentiles or {}).items() if c in times})
    return finish(figure, title, chosen, notes=wrapped_notes(figure, notes(times)))


def _points_figure(times: pd.DataFrame, ylabel: str, percentiles: dict[str, str] | None = None) -> Figure:
    """A panel per machine, interpreter and work (where several), a point per model."""
    times = times.assign(panel=panel_labels(times, name_the_work=False))
    panels = sorted(times["panel"].unique())
    widest = max(times.groupby("panel")["model"].nunique())
    width = max(6.0, 1.5 + 1.0 * widest * times["workers"].nunique() ** 0.5)
    figure, axes = plt.subplots(1, len(panels), squeeze=False, figsize=(width * len(panels), 4.4))
    for ax, panel in zip(axes.flat, panels):
        _points_per_model(ax, times[times["panel"] == panel], ylabel, percentiles or {})
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


def _points_per_model(ax: Axes, times: pd.DataFrame, ylabel: str, percentiles: dict[str, str]) -> None:
    """A point with its CI per model (and worker count, side by side), fastest model first,
    each labelled with its value; the ``percentiles`` columns (seconds, drawn in µs) as
    markers on a thin line just left of the point."""
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
            spread = [(row[c] * 1e6, m, c) for c, m in percentiles.items() if pd.notna(row[c]) and row[c] > 0]
            if spread:
                side = position - 0.18
                ax.plot([side] * len(spread), [v for v, _, _ in spread], color=model_colour(model),
                        linewidth=0.8, alpha=0.6, zorder=2)  # fmt: skip
                for value, mark, column in spread:
                    name = column.replace("round_trip_", "").replace("_seconds", "")
                    ax.plot([side], [value], marker=mark, markersize=9, color=model_colour(model), zorder=3,
                            linestyle="none", gid=f"{model}:{name}")  # fmt: skip
                    ax.annotate(name, (side, value), xytext=(-4, 0), textcoords="offset points", ha="right",
                                va="center", fontsize="xx-small", color="0.35")  # fmt: skip
    ax.set_yscale("log")
    log_ticks(ax.yaxis)
    # Room above and below the points on a log axis, so a narrow range still reads.
    low, high = times["per_unit_low"].min(), times["per_unit_high"].max()
    for column in percentiles:
        values = times[column].dropna() * 1e6
        if len(values):
            low, high = min(low, values.min()), max(high, values.max())
    if low > 0 and high > 0:
        ax.set_ylim(low / 1.6, high * 1.6)
    ax.set_xticks(range(len(models)), models, rotation=25, ha="right")
    ax.set_xlim(-0.6, len(models) - 0.4)
    ax.set_xlabel("model (fastest first)")
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)
