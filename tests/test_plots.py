"""The report's figures, checked on what they draw: legends, colours, reference lines, marks;
and the registry they come from: every entry draws, and the workflow has one rule per entry.

Every table is built here, small and deterministic; the draw functions are called on it
and the returned figure is inspected, without files, except where the file contract of
:func:`showdown.figures.plot` itself is under test.
"""

import inspect
import math
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from docutils.core import publish_parts
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.offsetbox import AnnotationBbox
from matplotlib.text import Text
from PIL import Image

from conftest import REPO, run_snakemake
from showdown.analysis.aggregate import ideal_speedup, latency_bound, rates
from showdown.figures import FIGURES, draw, draw_function, plot, result_links_rst
from showdown.figures.drift import SLOW_PHASE, draw_drift
from showdown.figures.files import read_tsv
from showdown.figures.forest import forest_rows
from showdown.figures.io import draw_io, kib_interval
from showdown.figures.mechanisms import draw_ipc, draw_locks, draw_switch
from showdown.figures.memory import draw_memory, draw_memory_per_worker
from showdown.figures.panels import INTERVAL
from showdown.figures.registry import FIGURE_OF_KIND
from showdown.figures.speedup import draw_speedup, draw_startup
from showdown.figures.tables import forest_table_rst
from showdown.figures.theme import EQUIVALENT_COLOUR, KNOWN_MODELS, model_colour, model_marker
from showdown.figures.winners import OUTCOMES, draw_winners
from showdown.kernel import WORKLOADS

MACHINE, INTERPRETER = "laptop", "cpython-3.12"
WORKERS = (1, 2, 4, 8)
CORES = 4
IO_TASKS = 12  # not a multiple of every worker count, so the latency bound has steps
# A cell's plain median of its repetitions against its level (the geometric mean of its round
# medians, the point of the 0.9x-1.1x interval the builders give): outside that interval, so a
# figure that drew the median with the level's error bars would be caught.
MEDIAN_OVER_LEVEL = 0.8


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")  # a closed figure can still be inspected: only pyplot forgets it


# Drawing takes most of the time: each figure that tests only read is drawn once.
@pytest.fixture(scope="module")
def speedup_figure():
    return draw_speedup(cells_table())


@pytest.fixture(scope="module")
def startup_figure():
    return draw_startup(cells_table())


@pytest.fixture(scope="module")
def winners_figure():
    return draw_winners(verdicts_table())


# --- Builders ------------------------------------------------------------------------


def cell_rows(workload, kind, model, *, workers=WORKERS, payload_bytes=1024, tasks=64, seconds=1.0, **extra):
    """Rows of cells.tsv for one model on one work, a level of ``seconds / workers`` each."""
    rows = []
    for w in workers:
        level = seconds / w
        median = MEDIAN_OVER_LEVEL * level
        speedup = math.nan if model == "serial" and w != 1 else seconds / level
        rows.append(
            {
                "machine": MACHINE, "interpreter": INTERPRETER, "config_hash": "0123abcd",
                "workload": workload, "kind": kind, "model": model, "workers": w,
                "payload_bytes": payload_bytes, "rounds": 3, "samples": 15, "flagged": 0,
                "tasks": tasks, "median_seconds": median, "level_seconds": level,
                "q1_seconds": 0.95 * median, "q3_seconds": 1.05 * median,
                "ci_low_seconds": 0.9 * level, "ci_high_seconds": 1.1 * level,
                "relative_half_width": 0.1, "precision_met": True,
                "speedup": speedup, "speedup_ci_low": 0.9 * speedup, "speedup_ci_high": 1.1 * speedup,
                "cpu_per_wall": 1.0, "pool_start_seconds": 0.01,
                "peak_rss_bytes": 10_000_000, "peak_uss_bytes": 8_000_000, "peak_pss_bytes": 9_000_000,
                "probe_drift": 1.02, "coefficient_of_variation": 0.03, "host": "node1",
                "python_version": "3.12.3", "gil_enabled": True, "logical_cpus": CORES, **extra,
            }
        )  # fmt: skip
    return rows


def cells_table(models=("threads", "processes-fork", "threads.aa")):
    """A sweep's cells.tsv: serial plus ``models`` on CPU, sleeping and start-up work."""
    rows = []
    for workload in ("cpu_pure", "io_sleep", "startup"):
        tasks = IO_TASKS if workload == "io_sleep" else 64
        rows += cell_rows(workload, workload, "serial", workers=(1,), tasks=tasks)
        for model in models:
            rows += cell_rows(workload, workload, model, tasks=tasks)
    return with_ideal(pd.DataFrame(rows))


def with_ideal(cells):
    """cells.tsv's ideal_speedup and efficiency columns, computed as aggregation does."""
    ideal = ideal_speedup(cells)
    return cells.assign(ideal_speedup=ideal, efficiency=cells["speedup"] / ideal)


def with_rates(cells):
    """cells.tsv's rates (the level per unit of work) and latency bound, as aggregation computes them."""
    return cells.assign(**rates(cells), ideal_per_second=latency_bound(cells))


def verdict_row(workload, workers, label, *, winner=None, fastest=None, unbeaten=None, **extra):
    """A row of verdicts.tsv: ``label`` is win (of ``winner``), equivalent, undecided, n/a or
    all cells failed; ``unbeaten`` the models the fastest did not beat, as listed there."""
    fastest = fastest or winner
    return {
        "machine": MACHINE, "interpreter": INTERPRETER, "config_hash": "0123abcd",
        "workload": workload, "payload_bytes": 1024, "workers": workers,
        "label": label, "winner": winner if label == "win" else None, "fastest": fastest,
        "runner_up": None, "unbeaten": unbeaten or fastest, "flags": "", "ratio_to_runner_up": 0.5,
        "ci_low": 0.4, "ci_high": 0.6, "margin": 0.05, "p_adjusted": 0.001, "cliffs_delta": -1.0,
        "n_models": 3, "rounds": 3, "min_samples": 15, "note": "", "n_flagged": 0,
        "label_without_flagged": label, **extra,
    }  # fmt: skip


def verdicts_table():
    """One group of every label; the flagged repetitions decide the threads win only."""
    return pd.DataFrame(
        [
            verdict_row("cpu_pure", 2, "win", winner="processes-fork"),
            verdict_row(
                "cpu_pure", 4, "equivalent", fastest="processes-fork", unbeaten="processes-fork,processes-spawn"
            ),
            verdict_row("cpu_pure", 8, "n/a", fastest="threads"),
            verdict_row("io_sleep", 2, "win", winner="threads", label_without_flagged="undecided", flags="noisy"),
            verdict_row("io_sleep", 4, "all cells failed"),
            verdict_row("io_sleep", 8, "undecided", fastest="threads", unbeaten="asyncio,threads"),
        ]
    )


def samples_table(flagged_at=(3, 7, 8), jobs=4, repetitions=3):
    """samples.parquet rows: ``jobs`` jobs a minute apart, one warm-up and ``repetitions`` each.

    Measured rows are numbered in order; those in ``flagged_at`` are in a slow phase.
    """
    start = pd.Timestamp("2024-05-01T12:00:00Z")
    rows, measured = [], 0
    for job in range(jobs):
        started_at = (start + pd.Timedelta(minutes=job)).isoformat()
        for repetition in range(repetitions + 1):
            warmup = repetition == 0
            flagged = not warmup and measured in flagged_at
            slow = 2.0 if flagged else 1.0
            rows.append(
                {
                    "machine": MACHINE, "interpreter": INTERPRETER, "workload": "cpu_pure",
                    "model": "threads", "workers": 2, "payload_bytes": 1024, "round": job,
                    "repetition": repetition, "warmup": warmup,
                    "wall_seconds": 0.5 * slow, "probe_pure_seconds": 0.010 * slow + 1e-4 * repetition,
                    "probe_released_seconds": 0.004 * slow, "status": "ok", "started_at": started_at,
                    "position": job, "measured": not warmup, "flagged": flagged,
                }
            )  # fmt: skip
            measured += not warmup
    return pd.DataFrame(rows)


# --- Helpers that read a figure ------------------------------------------------------


def legend_labels(figure, title):
    """Labels of the figure legend called ``title``."""
    (legend,) = [lg for lg in figure.legends if lg.get_title().get_text() == title]
    return [text.get_text() for text in legend.texts]


def line_colours(figure):
    """Model -> colour of its line, from the error-bar containers of every axes."""
    return {
        container.get_label(): to_rgba(container.lines[0].get_color())
        for ax in figure.axes
        for container in ax.containers
    }


def lines_labelled(figure, prefix):
    return [line for ax in figure.axes for line in ax.get_lines() if line.get_label().startswith(prefix)]


def all_text(figure):
    return [text.get_text() for text in figure.findobj(Text)]


# --- Colours -------------------------------------------------------------------------


def test_every_known_model_has_its_own_colour():
    colours = [model_colour(m) for m in KNOWN_MODELS]
    assert len(set(colours)) == len(colours)


def test_an_aa_copy_shares_its_models_hue():
    assert model_colour("threads.aa") == model_colour("threads")


def test_an_unknown_model_gets_a_spare_colour_of_its_own():
    assert model_colour("greenlets") not in {model_colour(m) for m in KNOWN_MODELS}
    assert model_colour("greenlets.aa") == model_colour("greenlets")


def test_a_model_has_the_same_colour_in_every_figure(speedup_figure, startup_figure, winners_figure):
    speedup_colours = line_colours(speedup_figure)
    startup_colours = line_colours(startup_figure)
    (legend,) = [lg for lg in winners_figure.legends if lg.get_title().get_text() == "winner"]
    winner_colours = {t.get_text(): to_rgba(h.get_facecolor()) for t, h in zip(legend.texts, legend.legend_handles)}

    for model in ("threads", "processes-fork"):
        assert speedup_colours[model] == startup_colours[model] == winner_colours[model]
        assert speedup_colours[model] == to_rgba(model_colour(model))


def test_a_models_colour_does_not_depend_on_the_other_models_shown(speedup_figure):
    threads_only = cells_table(models=("threads",))
    assert line_colours(draw_speedup(threads_only))["threads"] == line_colours(speedup_figure)["threads"]


def test_an_aa_copy_is_dashed_in_its_models_colour(startup_figure):
    colours = line_colours(startup_figure)
    (copy,) = [c for ax in startup_figure.axes for c in ax.containers if c.get_label() == "threads.aa"]
    assert colours["threads.aa"] == colours["threads"]
    assert copy.lines[0].get_linestyle() == "--"


# --- Speedup -------------------------------------------------------------------------


def test_speedup_legend_lists_the_models_and_not_serial(speedup_figure):
    assert legend_labels(speedup_figure, "model") == ["processes-fork", "threads", "threads.aa"]


def test_speedup_has_a_panel_per_work_and_leaves_out_startup(speedup_figure):
    titles = [ax.get_title() for ax in speedup_figure.axes]
    assert titles == ["cpu_pure · payload 1KiB", "io_sleep · payload 1KiB"]


def test_speedup_heads_panels_with_machine_and_interpreter_when_there_are_several():
    cells = cells_table()
    figure = draw_speedup(pd.concat([cells, cells.assign(interpreter="pypy-3.10")]))
    assert [ax.get_title() for ax in figure.axes] == [
        f"{MACHINE} · {INTERPRETER}\ncpu_pure · payload 1KiB",
        f"{MACHINE} · {INTERPRETER}\nio_sleep · payload 1KiB",
        f"{MACHINE} · pypy-3.10\ncpu_pure · payload 1KiB",
        f"{MACHINE} · pypy-3.10\nio_sleep · payload 1KiB",
    ]
    assert len(lines_labelled(figure, "ideal")) == 4


def test_speedup_ideal_for_cpu_work_is_one_worker_per_core(speedup_figure):
    (ideal,) = lines_labelled(speedup_figure, f"ideal ({CORES} cores)")
    assert list(ideal.get_xdata()) == list(WORKERS)
    assert list(ideal.get_ydata()) == [min(w, CORES) for w in WORKERS]  # 1, 2, 4, 4


def test_speedup_ideal_for_sleeping_tasks_is_the_latency_bound(speedup_figure):
    (ideal,) = lines_labelled(speedup_figure, "ideal (latency bound)")
    expected = [IO_TASKS / math.ceil(IO_TASKS / w) for w in WORKERS]  # 1, 2, 4, 6
    assert list(ideal.get_xdata()) == list(WORKERS)
    assert list(ideal.get_ydata()) == pytest.approx(expected)
    assert expected[-1] == 6  # 12 tasks on 8 workers take two latencies


def ideal_of(cells, panel):
    """(workers, ideal_speedup) of one panel's cells, as cells.tsv has them."""
    workload, payload = panel
    rows = cells[(cells["workload"] == workload) & (cells["payload_bytes"] == payload) & (cells["model"] != "serial")]
    rows = rows.dropna(subset=["ideal_speedup"]).drop_duplicates(["workers", "ideal_speedup"]).sort_values("workers")
    return list(rows["workers"]), list(rows["ideal_speedup"])


def drawn_ideals(figure):
    """Panel title -> (x, y) of its ideal line, read back from the figure."""
    ideals = {}
    for ax in figure.axes:
        for line in ax.get_lines():
            if line.get_label().startswith("ideal"):
                ideals[ax.get_title()] = (list(line.get_xdata()), list(line.get_ydata()))
    return ideals


def test_speedup_ideal_lines_equal_cells_tsv(speedup_figure):
    cells = cells_table()
    assert drawn_ideals(speedup_figure) == {
        "cpu_pure · payload 1KiB": ideal_of(cells, ("cpu_pure", 1024)),
        "io_sleep · payload 1KiB": ideal_of(cells, ("io_sleep", 1024)),
    }


def test_speedup_draws_the_ideal_column_and_computes_none():
    # An ideal no formula of the figure's could give: the figure must draw the column.
    cells = cells_table()
    cells["ideal_speedup"] = cells["ideal_speedup"] * 0.75 + cells["workers"] / 10
    (ideal,) = lines_labelled(draw_speedup(cells), f"ideal ({CORES} cores)")
    assert (list(ideal.get_xdata()), list(ideal.get_ydata())) == ideal_of(cells, ("cpu_pure", 1024))


def test_speedup_cores_are_the_cpus_of_the_machine_that_ran_the_cells():
    figure = draw_speedup(with_ideal(cells_table().assign(logical_cpus=3)))
    (ideal,) = lines_labelled(figure, "ideal (3 cores)")
    assert list(ideal.get_ydata()) == [1, 2, 3, 3]


def test_speedup_legend_gives_the_usable_cpus_not_the_machines():
    figure = draw_speedup(with_ideal(cells_table().assign(logical_cpus=64, usable_cpus=3)))
    (ideal,) = lines_labelled(figure, "ideal (3 cores)")
    assert list(ideal.get_ydata()) == [1, 2, 3, 3]


def test_speedup_draws_the_latency_bound_of_io_net_and_no_ideal_for_io_disk():
    cells = with_ideal(io_table())
    ideals = drawn_ideals(draw_speedup(cells))
    assert ideals["io_net · payload 1KiB"] == ideal_of(cells, ("io_net", 1024))
    assert ideals["io_net · payload 1KiB"][1] == pytest.approx([IO_TASKS / math.ceil(IO_TASKS / w) for w in WORKERS])
    assert "io_disk · payload 1KiB" not in ideals


def test_speedup_marks_serial_at_one_in_every_facet(speedup_figure):
    serial_lines = lines_labelled(speedup_figure, "serial")
    assert len(serial_lines) == 2  # cpu_pure and io_sleep
    assert all(list(line.get_ydata()) == [1, 1] for line in serial_lines)
    assert legend_labels(speedup_figure, "reference") == [
        f"ideal ({CORES} cores)",
        "ideal (latency bound)",
        "serial (speedup 1)",
    ]


def test_speedup_title_names_machine_and_interpreter(speedup_figure):
    title = speedup_figure.get_suptitle()
    assert MACHINE in title and INTERPRETER in title


def test_speedup_without_any_serial_baseline_says_no_data():
    cells = cells_table().assign(speedup=math.nan)
    assert "no data" in all_text(draw_speedup(cells))


# --- Start-up ------------------------------------------------------------------------


def test_startup_shows_every_model_in_milliseconds_on_a_log_scale(startup_figure):
    assert legend_labels(startup_figure, "model") == ["processes-fork", "serial", "threads", "threads.aa"]
    (ax,) = startup_figure.axes
    assert ax.get_yscale() == "log"
    assert "ms" in ax.get_ylabel()
    (serial,) = [c for c in ax.containers if c.get_label() == "serial"]
    assert list(serial.lines[0].get_ydata()) == [1000.0]


def test_startup_without_startup_cells_says_no_data():
    cells = cells_table()
    assert "no data" in all_text(draw_startup(cells[cells["kind"] != "startup"]))


# --- Winners -------------------------------------------------------------------------


def tiles(figure):
    """gid -> (the tile, the texts on it), in the first panel of a winner map."""
    ax = figure.axes[0]
    texts = {
        tuple(np.round(box.xy, 6)): [t.get_text() for t in box.offsetbox.findobj(Text)]
        for box in ax.artists
        if isinstance(box, AnnotationBbox)
    }
    found = {}
    for tile in ax.patches:
        if (tile.get_gid() or "").startswith("verdict:"):
            x, y = tile.get_xy()
            found[tile.get_gid()] = tile, texts[(round(x + 0.5, 6), round(y + 0.5, 6))]
    return found


def test_winners_legend_lists_the_winning_models_then_the_other_outcomes(winners_figure):
    assert legend_labels(winners_figure, "winner") == [
        "processes-fork", "threads", "equivalent", "undecided", "n/a", "all cells failed",
    ]  # fmt: skip


def test_winners_tile_of_a_win_takes_the_winners_colour_and_name(winners_figure):
    tile, texts = tiles(winners_figure)["verdict:processes-fork"]
    assert tile.get_facecolor() == to_rgba(model_colour("processes-fork"))
    assert texts == ["processes-fork"]
    assert not tile.get_hatch()


def test_winners_tile_of_equivalent_models_is_grey_and_lists_them(winners_figure):
    tile, texts = tiles(winners_figure)["verdict:equivalent"]
    assert tile.get_facecolor() == to_rgba(EQUIVALENT_COLOUR)
    assert to_rgb(EQUIVALENT_COLOUR) not in {to_rgb(model_colour(m)) for m in KNOWN_MODELS}
    assert texts == ["any of", "processes-fork,\nprocesses-spawn"]
    assert not tile.get_hatch()


def test_a_winners_tile_names_three_models_at_most():
    many = "asyncio,processes-fork,processes-forkserver,serial,threads"
    figure = draw_winners(pd.DataFrame([verdict_row("cpu_pure", 2, "undecided", fastest="asyncio", unbeaten=many)]))
    _tile, texts = tiles(figure)["verdict:undecided"]
    assert texts == ["undecided", "asyncio\nprocesses-fork\n+3 more"]


def test_winners_tile_of_an_undecided_group_is_light_hatched_and_lists_the_candidates(winners_figure):
    tile, texts = tiles(winners_figure)["verdict:undecided"]
    assert texts == ["undecided", "asyncio\nthreads"]
    assert tile.get_hatch()
    assert tile.get_facecolor() == to_rgba(OUTCOMES["undecided"][0])
    assert min(to_rgb(tile.get_facecolor())) > 0.9  # light: the candidates' names read on it


def test_winners_tiles_of_n_a_and_failed_groups(winners_figure):
    found = tiles(winners_figure)
    _, texts = found["verdict:n/a"]
    assert texts == ["n/a", "threads"]  # the only model that ran
    failed, texts = found["verdict:all cells failed"]
    assert texts == ["all failed"]
    assert failed.get_hatch() and failed.get_facecolor() == to_rgba("black")


def test_winners_marks_a_verdict_that_flagged_repetitions_decide(winners_figure):
    assert all_text(winners_figure).count("†") == 1
    (mark,) = [t for t in winners_figure.axes[0].texts if t.get_text() == "†"]
    threads_tile, _ = tiles(winners_figure)["verdict:threads"]
    x, y = threads_tile.get_xy()
    assert x < mark.get_position()[0] < x + 1 and y < mark.get_position()[1] < y + 1


@pytest.mark.parametrize(
    "label_without_flagged, winner_without_flagged, marked",
    [("win", "threads", False), ("win", "asyncio", True), (None, None, False), ("equivalent", None, True),
     ("undecided", None, True)],
)  # fmt: skip
def test_winners_mark_only_a_changed_verdict(label_without_flagged, winner_without_flagged, marked):
    verdicts = pd.DataFrame([verdict_row("io_sleep", 2, "win", winner="threads",
                                         label_without_flagged=label_without_flagged,
                                         winner_without_flagged=winner_without_flagged)])  # fmt: skip
    assert ("†" in all_text(draw_winners(verdicts))) == marked


def test_winners_has_a_panel_per_machine_and_interpreter():
    verdicts = pd.concat([verdicts_table(), verdicts_table().assign(interpreter="pypy-3.10")])
    figure = draw_winners(verdicts)
    assert sorted(ax.get_title() for ax in figure.axes) == [
        f"{MACHINE} · {INTERPRETER}",
        f"{MACHINE} · pypy-3.10",
    ]


# --- Drift ---------------------------------------------------------------------------


def test_drift_highlights_every_flagged_repetition():
    samples = samples_table(flagged_at=(3, 7, 8))
    figure = draw_drift(samples)
    pure_panel, _released_panel = figure.axes
    flagged = [c for c in pure_panel.collections if c.get_label() == SLOW_PHASE]
    assert sum(len(c.get_offsets()) for c in flagged) == samples["flagged"].sum() == 3
    normal = [c for c in pure_panel.collections if c.get_label() == "normal"]
    assert sum(len(c.get_offsets()) for c in normal) == samples["measured"].sum() - 3


def test_drift_draws_measured_probe_times_in_ms_against_time_since_the_first_job():
    figure = draw_drift(samples_table(flagged_at=()))
    pure_panel, _released_panel = figure.axes
    (points,) = pure_panel.collections
    elapsed, milliseconds = np.asarray(points.get_offsets()).T
    assert sorted(set(elapsed)) == [0, 60, 120, 180]  # seconds: a three-minute sweep
    assert milliseconds.min() == pytest.approx(10.1)  # warm-ups (10.0 ms) are left out
    (median,) = [line for line in pure_panel.get_lines() if line.get_label() == "median"]
    assert median.get_ydata()[0] == pytest.approx(10.2)
    assert pure_panel.get_xlabel() == "time since the sweep's first job (s)"


def test_drift_has_a_row_of_panels_per_machine_and_interpreter():
    samples = pd.concat([samples_table(), samples_table().assign(machine="server")], ignore_index=True)
    assert len(draw_drift(samples).axes) == 4


# --- Empty inputs and files ----------------------------------------------------------


@pytest.mark.parametrize("draw", [draw_speedup, draw_startup, draw_winners, draw_drift])
def test_an_empty_table_gives_a_figure_that_says_no_data(draw):
    figure = draw(pd.DataFrame())
    assert "no data" in all_text(figure)


def test_drift_with_nothing_measured_says_no_data():
    assert "no data" in all_text(draw_drift(samples_table().assign(measured=False)))


def assert_png(path):
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert width > 300 and height > 150


def test_winners_file_keeps_n_a_as_a_verdict(tmp_path):
    verdicts_tsv = tmp_path / "verdicts.tsv"
    pd.DataFrame([verdict_row("cpu_pure", 2, "n/a", fastest="threads")]).to_csv(verdicts_tsv, sep="\t", index=False)
    plot("winners", {"verdicts": str(verdicts_tsv)}, str(tmp_path / "winners.png"))
    assert_png(tmp_path / "winners.png")
    # "n/a" is a verdict, not a missing value.
    assert read_tsv(str(verdicts_tsv))["label"].tolist() == ["n/a"]


# --- Memory, transfer, switch latency, locks and I/O throughput -----------------------

MIB = 2**20


def timed_rows(workload, kind, model, *, level, workers=(2,), payloads=(1024,), tasks=100, **extra):
    """cells.tsv rows of one model whose batch takes ``level`` seconds (a number, or a
    function of workers and payload), with a CI of 0.9x to 1.1x (its median: below it)."""
    rows = []
    for payload in payloads:
        for row in cell_rows(workload, kind, model, workers=workers, payload_bytes=payload, tasks=tasks, **extra):
            seconds = level(row["workers"], payload) if callable(level) else level
            median = MEDIAN_OVER_LEVEL * seconds
            row.update(
                median_seconds=median, level_seconds=seconds, ci_low_seconds=0.9 * seconds,
                ci_high_seconds=1.1 * seconds, q1_seconds=0.95 * median, q3_seconds=1.05 * median,
            )  # fmt: skip
            rows.append(row)
    return rows


def containers_of(ax):
    """Model -> its error-bar container in ``ax``."""
    return {container.get_label(): container for container in ax.containers}


def error_bar_ends(container):
    """(low, high) y ends of each error bar of a container, in the order of its points."""
    (bars,) = container.lines[2]
    return [(min(s[0][1], s[1][1]), max(s[0][1], s[1][1])) for s in bars.get_segments()]


def axis_lines(figure):
    """Every figure note, title and label, as one text."""
    return "\n".join(all_text(figure) + [ax.get_ylabel() for ax in figure.axes])


# Memory


@pytest.fixture(scope="module")
def memory_figure():
    return draw_memory(cells_table())


def memory_points(ax):
    """Model -> its (worker marker, peak) points in a memory panel, from the drawn markers."""
    found = {}
    for line in ax.get_lines():
        if line.get_marker() not in (None, "None", ""):
            model = ax.get_xticklabels()[int(line.get_xdata()[0])].get_text()
            found.setdefault(model, []).append((line.get_marker(), line.get_ydata()[0]))
    return found


def test_memory_names_models_on_the_axis_in_a_panel_per_kind(memory_figure):
    assert [ax.get_title() for ax in memory_figure.axes] == ["cpu_pure", "io_sleep", "startup"]
    cpu = memory_figure.axes[0]
    assert [t.get_text() for t in cpu.get_xticklabels()] == ["processes-fork", "serial", "threads", "threads.aa"]
    # A marker per worker count: the only legend, a few entries whatever the models.
    assert legend_labels(memory_figure, "workers") == [str(w) for w in sorted({1, *WORKERS})]
    assert len(memory_points(cpu)["threads"]) == len(WORKERS)


def test_memory_draws_peak_pss_in_mib_on_a_log_scale(memory_figure):
    ax = memory_figure.axes[0]
    assert ax.get_ylabel() == "peak PSS (MiB, log scale)"
    assert ax.get_yscale() == "log"
    assert [peak for _, peak in memory_points(ax)["threads"]] == pytest.approx([9_000_000 / MIB] * len(WORKERS))
    assert "the largest peak of its rounds" in axis_lines(memory_figure)  # per cell: max over rounds
    assert "no interval" in axis_lines(memory_figure)


def test_memory_falls_back_to_rss_where_pss_is_missing_and_says_so():
    cells = cells_table()
    no_pss = cells["model"] == "processes-fork"
    cells.loc[no_pss, "peak_pss_bytes"] = math.nan
    figure = draw_memory(cells)
    ax = figure.axes[0]
    assert "RSS where no PSS" in ax.get_ylabel() and "MiB" in ax.get_ylabel()
    assert [peak for _, peak in memory_points(ax)["processes-fork"]] == pytest.approx([10_000_000 / MIB] * 4)
    assert [peak for _, peak in memory_points(ax)["threads"]] == pytest.approx([9_000_000 / MIB] * 4)
    # A PSS of 0 is a platform without PSS, not a process without memory.
    only_rss = draw_memory(cells_table().assign(peak_pss_bytes=0))
    assert only_rss.axes[0].get_ylabel() == "peak RSS (MiB, log scale)"


def test_memory_takes_the_largest_peak_of_several_works_of_a_kind():
    rows = cell_rows("io_net", "io_net", "threads", workers=(4,), peak_pss_bytes=20 * MIB)
    rows += cell_rows("io_net_many", "io_net", "threads", workers=(4,), peak_pss_bytes=30 * MIB)
    figure = draw_memory(pd.DataFrame(rows))
    (ax,) = [ax for ax in figure.axes if ax.axison]
    assert ax.get_title() == "io_net"
    assert [peak for _, peak in memory_points(ax)["threads"]] == [30.0]
    assert "several works" in axis_lines(figure)


def test_memory_without_memory_measurements_says_no_data():
    cells = cells_table().assign(peak_pss_bytes=math.nan, peak_rss_bytes=math.nan)
    assert "no data" in all_text(draw_memory(cells))


def test_memory_points_take_the_models_colours(memory_figure):
    for line in memory_figure.axes[0].get_lines():
        model = memory_figure.axes[0].get_xticklabels()[int(line.get_xdata()[0])].get_text()
        assert to_rgba(line.get_color()) == to_rgba(model_colour(model))


# Inter-process transfer

CHANNELS = {"queue_threads": 50e-6, "pipe-fork": 20e-6, "manager_queue-fork": 400e-6}
MESSAGES = 200


def ipc_table():
    rows = []
    for model, per_message in CHANNELS.items():
        rows += timed_rows(
            "ipc_transfer", "ipc_transfer", model, payloads=(1024, MIB), tasks=MESSAGES,
            level=lambda workers, payload, p=per_message: MESSAGES * (p + payload / 1e9),
        )  # fmt: skip
    return with_rates(pd.DataFrame(rows))


@pytest.fixture(scope="module")
def ipc_figure():
    return draw_ipc(ipc_table())


def test_ipc_has_a_latency_and_a_throughput_line_per_channel(ipc_figure):
    latency_ax, throughput_ax = ipc_figure.axes
    assert sorted(containers_of(latency_ax)) == sorted(CHANNELS) == sorted(containers_of(throughput_ax))
    assert legend_labels(ipc_figure, "channel") == ["manager_queue-fork", "pipe-fork", "queue_threads"]
    assert "µs" in latency_ax.get_ylabel() and "MiB/s" in throughput_ax.get_ylabel()
    for ax in (latency_ax, throughput_ax):
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        assert [t.get_text() for t in ax.get_xticklabels()] == ["1KiB", "1MiB"]


def test_ipc_latency_is_microseconds_per_message_and_throughput_mib_per_second(ipc_figure):
    latency_ax, throughput_ax = ipc_figure.axes
    seconds = MESSAGES * (20e-6 + 1024 / 1e9)  # pipe-fork, 1 KiB
    latency = containers_of(latency_ax)["pipe-fork"]
    assert latency.lines[0].get_ydata()[0] == pytest.approx(seconds / MESSAGES * 1e6)  # 21.024 µs
    assert error_bar_ends(latency)[0] == pytest.approx((0.9 * 21.024, 1.1 * 21.024))
    throughput = containers_of(throughput_ax)["pipe-fork"]
    expected = 1024 * MESSAGES / seconds / MIB
    assert throughput.lines[0].get_ydata()[0] == pytest.approx(expected)
    # The slow end of the time's CI is the low end of the throughput's.
    assert error_bar_ends(throughput)[0] == pytest.approx((expected / 1.1, expected / 0.9))


def test_ipc_leaves_out_zero_byte_payloads_and_says_so():
    table = pd.concat([ipc_table(), pd.DataFrame(timed_rows("ipc_transfer", "ipc_transfer", "pipe-fork",
                                                            payloads=(0,), level=0.01))])  # fmt: skip
    figure = draw_ipc(with_rates(table))
    assert len(containers_of(figure.axes[0])["pipe-fork"].lines[0].get_xdata()) == 2
    assert "0-byte payload" in axis_lines(figure)


# Switch latency and locks


def switch_table():
    """Round trips of ``micro`` µs on average, single round trips at p50/p90/p99 of 0.8x/2x/5x it."""
    rows = []
    for model, micro in {"thread_event": 40, "pipe_processes-fork": 30, "asyncio_event": 6}.items():
        rows += timed_rows("switch_latency", "switch_latency", model, tasks=1000, level=1000 * micro * 1e-6,
                           round_trip_p50_seconds=0.8 * micro * 1e-6, round_trip_p90_seconds=2 * micro * 1e-6,
                           round_trip_p99_seconds=5 * micro * 1e-6, shared_cpu=model == "asyncio_event")  # fmt: skip
    return with_rates(pd.DataFrame(rows))


def locks_table():
    # lock_contention's tasks is workers x increments: 2 x 2000.
    rows = timed_rows("lock_contention", "lock_contention", "threading_lock", tasks=4000, level=0.008)
    rows += timed_rows("lock_contention", "lock_contention", "manager_value-fork", tasks=4000, level=0.4)
    return with_rates(pd.DataFrame(rows))


@pytest.fixture(scope="module")
def switch_figure():
    return draw_switch(switch_table())


def test_switch_shows_microseconds_per_round_trip_fastest_first(switch_figure):
    (ax,) = switch_figure.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["asyncio_event", "pipe_processes-fork", "thread_event"]
    points = containers_of(ax)
    assert points["thread_event"].lines[0].get_ydata()[0] == pytest.approx(40.0)
    assert error_bar_ends(points["asyncio_event"])[0] == pytest.approx((5.4, 6.6))
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel().startswith("µs per round trip")
    assert "2 workers" in axis_lines(switch_figure)


def test_switch_shows_the_percentiles_of_single_round_trips_from_cells_tsv(switch_figure):
    (ax,) = switch_figure.axes
    table = switch_table()
    for model in table["model"]:
        row = table[table["model"] == model].iloc[0]
        for name in ("p50", "p90", "p99"):
            (marker,) = [line for line in ax.get_lines() if line.get_gid() == f"{model}:{name}"]
            assert marker.get_ydata()[0] == pytest.approx(row[f"round_trip_{name}_seconds"] * 1e6)
    low, high = ax.get_ylim()
    assert low < 0.8 * 6 and high > 5 * 40  # every percentile inside the axis


def test_ipc_gives_each_scope_its_own_row():
    table = ipc_table()
    table.loc[table["model"] == "queue_threads", "workload"] = "ipc_handoff"
    figure = draw_ipc(table)
    titles = [ax.get_title(loc="left") for ax in figure.axes if ax.get_title(loc="left")]
    assert titles == ["ipc_handoff (within one process)", "ipc_transfer (between processes)"]


def test_memory_per_worker_draws_slopes_and_fixed_costs_from_the_table():
    figure = draw_memory_per_worker(memory_table())
    slope_ax, fixed_ax = figure.axes
    assert [t.get_text() for t in slope_ax.get_yticklabels()] == ["processes-fork", "threads"]  # model order
    assert containers_of(slope_ax)["processes-fork"].lines[0].get_xdata()[0] == pytest.approx(10.1)
    assert error_bar_ends_x(containers_of(slope_ax)["threads"])[0] == pytest.approx((0.08, 0.12))
    assert containers_of(fixed_ax)["threads"].lines[0].get_xdata()[0] == pytest.approx(20.0)
    assert "MiB per added worker" in slope_ax.get_xlabel()
    assert "(workers 2-8)" in slope_ax.get_title(loc="left")
    assert "no data" in all_text(draw_memory_per_worker(memory_table().iloc[:0]))


def error_bar_ends_x(container):
    """(low, high) x ends of each horizontal error bar of a container."""
    (bars,) = container.lines[2]
    return [(min(s[0][0], s[1][0]), max(s[0][0], s[1][0])) for s in bars.get_segments()]


def test_switch_points_take_the_models_colours(switch_figure):
    for model, colour in line_colours(switch_figure).items():
        assert colour == to_rgba(model_colour(model))


def test_locks_divide_by_every_increment_of_every_worker():
    figure = draw_locks(locks_table())
    (ax,) = figure.axes
    points = containers_of(ax)
    assert points["threading_lock"].lines[0].get_ydata()[0] == pytest.approx(2.0)
    assert points["manager_value-fork"].lines[0].get_ydata()[0] == pytest.approx(100.0)
    assert ax.get_yscale() == "log" and ax.get_ylabel().startswith("µs per increment")
    text = axis_lines(figure)
    assert "2 workers" in text and "2000 times" in text


def test_locks_with_several_worker_counts_mark_each_count():
    rows = []
    for workers in (2, 4):
        rows += timed_rows("lock_contention", "lock_contention", "threading_lock", workers=(workers,),
                           tasks=workers * 1000, level=0.001 * workers)  # fmt: skip
    figure = draw_locks(with_rates(pd.DataFrame(rows)))
    assert legend_labels(figure, "workers") == ["2", "4"]
    (ax,) = figure.axes
    assert len([c for c in ax.containers if c.get_label() == "threading_lock"]) == 2


def test_models_that_share_a_colour_get_markers_of_their_own():
    from showdown.kernel.catalogue import MODEL_NAMES

    by_colour = {}
    for model in MODEL_NAMES:
        by_colour.setdefault(model_colour(model), []).append(model_marker(model))
    for markers in by_colour.values():
        assert len(set(markers)) == len(markers)
    assert {model_marker(m) for m in KNOWN_MODELS} == {"o"}
    assert model_marker("threads.aa") == model_marker("threads")


# I/O throughput

LATENCY = 0.01


def io_table():
    """io_net (with serial) and io_net_many (without, harness-bound): ``IO_TASKS`` requests of
    ``LATENCY``, the latency the kernel recorded; throughput and bound as cells.tsv has them."""
    rows = timed_rows("io_net", "io_net", "serial", workers=(1,), tasks=IO_TASKS, level=IO_TASKS * LATENCY)
    for model in ("threads", "asyncio"):
        rows += timed_rows("io_net", "io_net", model, workers=WORKERS, tasks=IO_TASKS,
                           level=lambda w, _: math.ceil(IO_TASKS / w) * LATENCY * 1.25)  # fmt: skip
        rows += timed_rows("io_net_many", "io_net", model, workers=(64, 256), tasks=256, level=0.05,
                           harness_bound=True)  # fmt: skip
    table = pd.DataFrame(rows).assign(latency_seconds=LATENCY)
    table = pd.concat([table, pd.DataFrame(timed_rows("io_disk", "io_disk", "threads", workers=(4,), tasks=32,
                                                      level=0.1))], ignore_index=True)  # fmt: skip
    table["harness_bound"] = table["harness_bound"].fillna(False).astype(bool)
    return with_rates(table)


def memory_table():
    """memory_slopes.tsv: per worker on cpu_pure, per connection on io_net_many."""
    rows = []
    for workload, kind, per, memory, models in (
        ("cpu_pure", "cpu_pure", "worker", "batch_pss_bytes", ("threads", "processes-fork")),
        ("io_net_many", "io_net", "connection", "peak_pss_bytes", ("threads", "asyncio")),
    ):
        for i, model in enumerate(models):
            slope = 0.05 * (i + 1) if per == "connection" else 0.1 + 10 * i
            rows.append({
                "machine": MACHINE, "interpreter": INTERPRETER, "config_hash": "0123abcd", "workload": workload,
                "kind": kind, "model": model, "payload_bytes": 1024, "memory": memory, "per": per,
                "workers_min": 2, "workers_max": 8, "rounds": 5, "slope_mib": slope,
                "slope_ci_low_mib": 0.8 * slope, "slope_ci_high_mib": 1.2 * slope, "fixed_mib": 20.0 + i,
                "fixed_ci_low_mib": 19.0 + i, "fixed_ci_high_mib": 21.0 + i,
            })  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def io_figure():
    return draw_io(io_table(), memory_table())


def test_io_has_a_panel_per_workload_label_and_a_line_per_model(io_figure):
    titles = [ax.get_title() for ax in io_figure.axes]
    assert titles == ["io_net · payload 1KiB", "io_disk · payload 1KiB", "io_net_many · payload 1KiB"]
    assert sorted(containers_of(io_figure.axes[0])) == ["asyncio", "serial", "threads"]
    assert legend_labels(io_figure, "model") == ["asyncio", "serial", "threads", "ideal (latency bound)"]


def test_io_draws_units_per_second_on_log_scales(io_figure):
    net, disk, many = io_figure.axes
    assert net.get_ylabel() == "requests per second (log scale)"
    assert disk.get_ylabel() == "files per second (log scale)"
    assert net.get_xscale() == "log" and net.get_yscale() == "log"
    threads = containers_of(net)["threads"]
    expected = [IO_TASKS / (math.ceil(IO_TASKS / w) * LATENCY * 1.25) for w in WORKERS]
    assert list(threads.lines[0].get_ydata()) == pytest.approx(expected)
    assert error_bar_ends(threads)[0] == pytest.approx((expected[0] / 1.1, expected[0] / 0.9))
    assert containers_of(many)["asyncio"].lines[0].get_ydata()[0] == pytest.approx(256 / 0.05)


def test_io_ideal_lines_equal_cells_tsv(io_figure):
    """The ideal drawn is cells.tsv's ideal_per_second (the latency bound), where a latency was recorded."""
    table = io_table()
    net, disk, many = io_figure.axes
    for ax, workload in ((net, "io_net"), (many, "io_net_many")):
        (ideal,) = [line for line in ax.get_lines() if line.get_label().startswith("ideal")]
        expected = table[table["workload"] == workload].groupby("workers")["ideal_per_second"].max()
        assert list(ideal.get_xdata()) == list(expected.index)
        assert list(ideal.get_ydata()) == pytest.approx(expected.to_list())
    assert list(expected) == pytest.approx([256 / (4 * LATENCY), 256 / LATENCY])  # 4 waves at 64, 1 at 256
    assert not [line for line in disk.get_lines() if line.get_label().startswith("ideal")]
    assert "no latency recorded:\nno ideal line" in [t.get_text() for t in disk.texts]


def test_io_marks_harness_bound_work_and_lists_memory_per_connection(io_figure):
    net, _disk, many = io_figure.axes
    assert "harness-bound" in [t.get_text() for t in many.texts]
    assert "harness-bound" not in [t.get_text() for t in net.texts]
    (note,) = [t.get_text() for t in many.texts if t.get_text().startswith("PSS per added connection")]
    assert "asyncio: 102 KiB [81.9, 123]" in note and "threads: 51.2 KiB" in note
    # Under the panel, not over its data.
    (box,) = [t for t in many.texts if t.get_text() == note]
    assert box.get_position()[1] < 0


def test_a_memory_interval_reaching_below_zero_is_not_printed_negative():
    assert (
        kib_interval(12.3 / 1024, -17.5 / 1024, 42.1 / 1024)
        == "12.3 KiB [not resolved: interval reaches 0, up to 42.1]"
    )


# Every point sits inside its own error bars


def points_with_bars(figure):
    """(y, low, high) of every point (or bar) a figure draws with vertical error bars."""
    found = []
    for ax in figure.axes:
        for container in ax.containers:
            if isinstance(container, BarContainer) and container.errorbar is not None:
                ys, bars = [patch.get_height() for patch in container.patches], container.errorbar
            elif isinstance(container, ErrorbarContainer) and container.has_yerr and container.lines[0] is not None:
                ys, bars = container.lines[0].get_ydata(), container
            else:
                continue  # no error bars, or the bars of a BarContainer (taken with it)
            found += [(y, low, high) for y, (low, high) in zip(ys, error_bar_ends(bars))]
    return found


@pytest.mark.parametrize(
    "draw, table",
    [(draw_switch, switch_table), (draw_locks, locks_table), (draw_ipc, ipc_table), (draw_startup, cells_table),
     (draw_io, io_table)],
    ids=lambda value: getattr(value, "__name__", None),
)  # fmt: skip
def test_every_point_is_the_level_its_error_bars_belong_to(draw, table):
    """The builders put each cell's median (MEDIAN_OVER_LEVEL x its level) below its level's
    interval: a figure drawing the median with the level's bars would leave points outside."""
    found = points_with_bars(draw(table()))
    assert found
    for y, low, high in found:
        assert low < y < high
        assert (low, high) == pytest.approx((0.9 * y, 1.1 * y)) or (low, high) == pytest.approx((y / 1.1, y / 0.9))


def test_a_mechanisms_point_is_cells_tsvs_level_per_unit_not_the_median():
    table = locks_table()
    cell = table[table["model"] == "threading_lock"].iloc[0]
    (ax,) = draw_locks(table).axes
    point = containers_of(ax)["threading_lock"]
    assert cell["median_seconds"] != cell["level_seconds"]
    assert point.lines[0].get_ydata()[0] == pytest.approx(cell["level_seconds"] / cell["tasks"] * 1e6)
    assert error_bar_ends(point)[0] == pytest.approx(
        (cell["ci_low_seconds"] / cell["tasks"] * 1e6, cell["ci_high_seconds"] / cell["tasks"] * 1e6)
    )


# Empty inputs and files


NEW_FIGURES = {draw_memory: None, draw_ipc: "ipc_transfer", draw_switch: "switch_latency",
               draw_locks: "lock_contention", draw_io: "io_sleep / io_net / io_disk"}  # fmt: skip


@pytest.mark.parametrize("draw", list(NEW_FIGURES))
def test_new_figures_say_no_data_for_an_empty_table(draw):
    assert "no data" in all_text(draw(pd.DataFrame()))


@pytest.mark.parametrize("draw", [d for d, kind in NEW_FIGURES.items() if kind])
def test_new_figures_name_the_kind_a_sweep_did_not_measure(draw):
    cells = cells_table()
    figure = draw(cells[cells["kind"] == "cpu_pure"])
    assert "no data" in all_text(figure)
    assert f"this sweep has no {NEW_FIGURES[draw]} cells" in all_text(figure)
    assert MACHINE in figure.get_suptitle()


# --- The registry: every figure draws, the workflow has a rule for each -------------


def gaps_table():
    """interpreter_gaps.tsv: threads against processes-fork on the cpu_pure work."""
    return pd.DataFrame(
        [
            {"machine": MACHINE, "interpreter": INTERPRETER, "workload": "cpu_pure", "kind": "cpu_pure",
             "payload_bytes": 1024, "workers": w, "model": "threads", "versus": "processes-fork",
             "ratio": 1.8, "ci_low": 1.6, "ci_high": 2.0}
            for w in WORKERS
        ]
    )  # fmt: skip


def claim_tables():
    """points.tsv and ledger.tsv: one claim tested at two points, one not measured."""
    points = pd.DataFrame([
        {"claim": "processes_win_cpu_bound", "test": "lower", "metric": "wall_seconds", "machine": MACHINE,
         "interpreter": INTERPRETER, "workload": "cpu_pure", "payload_bytes": 1024, "workers": w,
         "model_a": "processes-fork", "model_b": "threads", "ratio": 0.6, "ci_low": 0.5, "ci_high": 0.7,
         "rounds": 3, "p_value": 0.01, "outcome": "supported"}
        for w in (2, 4)
    ])  # fmt: skip
    ledger = pd.DataFrame([
        {"claim": "processes_win_cpu_bound", "verdict": "supported", "machine": MACHINE, "interpreter": INTERPRETER,
         "ratio": 0.6, "ci_low": 0.55, "ci_high": 0.65, "ci_level": 0.975, "margin": 0.05, "points": 2,
         "figure": "speedup"},
        {"claim": "threads_switch_faster", "verdict": "not measured", "machine": None, "interpreter": None,
         "ratio": None, "ci_low": None, "ci_high": None, "margin": 0.05, "points": None, "figure": "switch"},
    ])  # fmt: skip
    return points, ledger


def every_input():
    """A table for every input name of the registry, with something for every figure to draw."""
    cells = pd.concat([cells_table(), ipc_table(), io_table(), switch_table(), locks_table()], ignore_index=True)
    cells = with_rates(cells)  # the rates of every cell, as cells.tsv has them
    points, ledger = claim_tables()
    return {"cells": cells, "verdicts": verdicts_table(), "samples": samples_table(), "gaps": gaps_table(),
            "memory": memory_table(), "points": points, "ledger": ledger}  # fmt: skip


def test_the_forest_plot_has_a_row_per_comparison_claim_point_and_measured_claim():
    points, ledger = claim_tables()
    figure = draw("forest", {"verdicts": verdicts_table(), "points": points, "ledger": ledger})
    labels = [tick.get_text() for tick in figure.axes[0].get_yticklabels()]
    # 6 verdict rows, 2 claim points, 1 measured claim (the claim not measured has no ratio).
    assert len(labels) == len(verdicts_table()) + len(points) + 1
    assert f"processes_win_cpu_bound (pooled, {MACHINE} · {INTERPRETER})" in labels
    words = all_text(figure)
    assert "processes-fork wins" in words and "supported (97.5% CI)" in words


def test_the_forest_table_has_the_plots_rows_in_its_order_each_linking_to_its_figure():
    points, ledger = claim_tables()
    kinds = {"cpu_pure": "cpu_pure", "io_sleep": "io_sleep"}
    rows = forest_rows(verdicts_table(), points, ledger, kinds)
    figure = draw("forest", {"verdicts": verdicts_table(), "points": points, "ledger": ledger})
    labels = [tick.get_text() for tick in figure.axes[0].get_yticklabels()]
    # The plot names each row by the id the table gives it, in the same order.
    assert len(labels) == len(rows) and rows["id"].is_unique
    assert all(label.startswith(row_id) for label, row_id in zip(labels, rows["id"]))
    compared = int((rows["section"] == "comparison").sum())
    assert list(rows["id"]) == [*(f"v{n}" for n in range(1, compared + 1)), "p1", "p2", "processes_win_cpu_bound"]
    # A comparison links to its kind's figure, a claim point and a claim to the claim's own.
    assert set(rows.loc[rows["section"] == "comparison", "figure"]) == {"speedup"}
    assert set(rows.loc[rows["section"] != "comparison", "figure"]) == {"speedup"}
    links = [entry.name for entry in FIGURES if entry.in_report]
    table = forest_table_rst(rows, links)
    assert table.count("\n   * - ") == len(rows) + 1  # and the header
    assert re.findall(r"^     - (\w+)_$", table, re.M) == list(rows["figure"])
    page = publish_parts(table + result_links_rst({name: f"results/report/{name}.png" for name in links}),
                         writer="html", settings_overrides={"halt_level": 2})["body"]  # fmt: skip
    assert page.count("javascript:app.showResultInfo('results/report/speedup.png')") == len(rows)


def test_every_workload_kind_has_a_figure_for_the_forest_table_to_link():
    assert set(FIGURE_OF_KIND) == set(WORKLOADS)
    assert set(FIGURE_OF_KIND.values()) <= {entry.name for entry in FIGURES if entry.in_report}


@pytest.mark.parametrize("entry", FIGURES, ids=lambda entry: entry.name)
def test_every_figure_of_the_registry_draws_its_inputs(entry):
    tables = every_input()
    figure = draw(entry.name, {name: tables[name] for name in entry.inputs})
    assert "no data" not in all_text(figure)
    drawn = sum(len(ax.lines) + len(ax.patches) + len(ax.collections) for ax in figure.axes)
    assert drawn > 0
    assert MACHINE in figure.get_suptitle() and INTERPRETER in figure.get_suptitle()
    # Every interval is named for what it is, in one phrase, under the figure and in its caption.
    words = " ".join(" ".join(all_text(figure)).split())
    caption = " ".join((REPO / entry.caption).read_text().split())
    assert "bootstrap" not in (words + caption).lower()
    if points_with_bars(figure):
        assert INTERVAL in words and INTERVAL in caption


@pytest.mark.parametrize("entry", FIGURES, ids=lambda entry: entry.name)
def test_every_entry_names_its_draw_functions_inputs_and_a_caption(entry):
    parameters = inspect.signature(draw_function(entry.name)).parameters
    required = {name for name, p in parameters.items() if p.default is inspect.Parameter.empty}
    assert required <= set(entry.inputs) <= set(parameters)
    assert (REPO / entry.caption).read_text().strip()


def test_figure_names_outputs_and_rules_are_unique():
    for attribute in ("name", "output", "rule", "log", "caption"):
        values = [getattr(entry, attribute) for entry in FIGURES]
        assert len(set(values)) == len(values), attribute


def write_inputs(directory, tables):
    """Each table at its registry path under ``directory``: input name -> path."""
    paths = {}
    for entry in FIGURES:
        for name, path in entry.inputs.items():
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.endswith(".parquet"):
                tables[name].to_parquet(target, index=False)
            else:
                tables[name].to_csv(target, sep="\t", index=False)
            paths[name] = str(target)
    return paths


def test_plot_writes_every_figure_from_its_files(tmp_path):
    paths = write_inputs(tmp_path, every_input())
    for entry in FIGURES:
        output = tmp_path / entry.output
        plot(entry.name, {name: paths[name] for name in entry.inputs}, str(output))
        assert_png(output)
    assert plt.get_fignums() == []  # every figure closed after saving


@pytest.mark.parametrize("contents", ["", "machine\tinterpreter\tworkload\tkind\tmodel\n"])
def test_plot_accepts_empty_files(tmp_path, contents):
    paths = write_inputs(tmp_path, {name: pd.DataFrame() for name in every_input()})
    for path in paths.values():
        if path.endswith(".tsv"):
            Path(path).write_text(contents)
    samples_table().iloc[:0].to_parquet(paths["samples"])
    for entry in FIGURES:
        output = tmp_path / entry.output
        plot(entry.name, {name: paths[name] for name in entry.inputs}, str(output))
        assert_png(output)


def test_the_workflow_has_one_rule_and_one_job_per_figure(tmp_path):
    done = run_snakemake(tmp_path, "-n", "--quiet", "rules", configfile=REPO / "config" / "test.yaml")
    jobs = dict(re.findall(r"(?m)^(plot_\w+)\s+(\d+)$", done.stdout + done.stderr))
    assert jobs == {entry.rule: "1" for entry in FIGURES}
    assert re.search(r"(?m)^compare_interpreters\s+1$", done.stdout + done.stderr)
