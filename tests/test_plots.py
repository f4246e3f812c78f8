"""The report's figures, checked on what they draw: legends, colours, reference lines, marks.

Every table is built here, small and deterministic; the draw_* functions are called on
it and the returned figure is inspected, without files, except where the plot_* file
contract itself is under test.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from showdown.plots import (
    KNOWN_MODELS,
    SLOW_PHASE,
    TIE_COLOUR,
    draw_drift,
    draw_speedup,
    draw_startup,
    draw_winners,
    model_colour,
    plot_drift,
    plot_speedup,
    plot_startup,
    plot_winners,
    read_tsv,
)

MACHINE, INTERPRETER = "laptop", "cpython-3.12"
WORKERS = (1, 2, 4, 8)
CORES = 4
IO_TASKS = 12  # not a multiple of every worker count, so the latency bound has steps


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")  # a closed figure can still be inspected: only pyplot forgets it


# Drawing takes most of the time: each figure that tests only read is drawn once.
@pytest.fixture(scope="module")
def speedup_figure():
    return draw_speedup(cells_table(), cores=CORES)


@pytest.fixture(scope="module")
def startup_figure():
    return draw_startup(cells_table())


@pytest.fixture(scope="module")
def winners_figure():
    return draw_winners(verdicts_table())


# --- Builders ------------------------------------------------------------------------


def cell_rows(workload, kind, model, *, workers=WORKERS, payload_bytes=1024, tasks=64, seconds=1.0, **extra):
    """Rows of cells.tsv for one model on one work, ``seconds / workers`` each."""
    rows = []
    for w in workers:
        median = seconds / w
        speedup = math.nan if model == "serial" and w != 1 else seconds / median
        rows.append(
            {
                "machine": MACHINE, "interpreter": INTERPRETER, "config_hash": "0123abcd",
                "workload": workload, "kind": kind, "model": model, "workers": w,
                "payload_bytes": payload_bytes, "rounds": 3, "samples": 15, "flagged": 0,
                "tasks": tasks, "median_seconds": median,
                "q1_seconds": 0.95 * median, "q3_seconds": 1.05 * median,
                "ci_low_seconds": 0.9 * median, "ci_high_seconds": 1.1 * median,
                "relative_half_width": 0.1, "precision_met": True,
                "speedup": speedup, "speedup_ci_low": 0.9 * speedup, "speedup_ci_high": 1.1 * speedup,
                "cpu_per_wall": 1.0, "pool_start_seconds": 0.01,
                "peak_rss_bytes": 10_000_000, "peak_uss_bytes": 8_000_000, "peak_pss_bytes": 9_000_000,
                "probe_drift": 1.02, "coefficient_of_variation": 0.03, "host": "node1",
                "python_version": "3.12.3", "gil_enabled": True, **extra,
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
    return pd.DataFrame(rows)


def verdict_row(workload, workers, winner, *, tied_with=None, fastest=None, payload_bytes=1024, **extra):
    """A row of verdicts.tsv."""
    return {
        "machine": MACHINE, "interpreter": INTERPRETER, "config_hash": "0123abcd",
        "workload": workload, "payload_bytes": payload_bytes, "workers": workers,
        "winner": winner, "fastest": fastest or (winner if winner not in ("tie", "n/a") else None),
        "runner_up": None, "tied_with": tied_with or winner, "ratio_to_runner_up": 0.5,
        "ci_low": 0.4, "ci_high": 0.6, "p_adjusted": 0.001, "p_adjusted_max": 0.001,
        "cliffs_delta": -1.0, "kruskal_p": 0.001, "friedman_p": math.nan, "n_models": 3,
        "n_rounds": 3, "n_complete_rounds": 3, "min_samples": 15, "note": "", "n_flagged": 0,
        "verdict_without_flagged": winner, **extra,
    }  # fmt: skip


def verdicts_table():
    return pd.DataFrame(
        [
            verdict_row("cpu_pure", 2, "processes-fork"),
            verdict_row(
                "cpu_pure", 4, "tie", tied_with="processes-fork,processes-spawn", fastest="processes-fork"
            ),
            verdict_row("io_sleep", 2, "threads", verdict_without_flagged="tie"),
            verdict_row("io_sleep", 4, "all cells failed", tied_with=math.nan),
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


def test_an_aa_twin_shares_its_models_hue():
    assert model_colour("threads.aa") == model_colour("threads")


def test_an_unknown_model_gets_a_spare_colour_of_its_own():
    assert model_colour("greenlets") not in {model_colour(m) for m in KNOWN_MODELS}
    assert model_colour("greenlets.aa") == model_colour("greenlets")


def test_a_model_has_the_same_colour_in_every_figure(speedup_figure, startup_figure, winners_figure):
    speedup_colours = line_colours(speedup_figure)
    startup_colours = line_colours(startup_figure)
    (legend,) = [lg for lg in winners_figure.legends if lg.get_title().get_text() == "winner"]
    winner_colours = {
        t.get_text(): to_rgba(h.get_facecolor()) for t, h in zip(legend.texts, legend.legend_handles)
    }

    for model in ("threads", "processes-fork"):
        assert speedup_colours[model] == startup_colours[model] == winner_colours[model]
        assert speedup_colours[model] == to_rgba(model_colour(model))


def test_a_models_colour_does_not_depend_on_the_other_models_shown(speedup_figure):
    threads_only = cells_table(models=("threads",))
    assert (
        line_colours(draw_speedup(threads_only, cores=CORES))["threads"]
        == line_colours(speedup_figure)["threads"]
    )


def test_an_aa_twin_is_dashed_in_its_models_colour(startup_figure):
    colours = line_colours(startup_figure)
    (twin,) = [c for ax in startup_figure.axes for c in ax.containers if c.get_label() == "threads.aa"]
    assert colours["threads.aa"] == colours["threads"]
    assert twin.lines[0].get_linestyle() == "--"


# --- Speedup -------------------------------------------------------------------------


def test_speedup_legend_lists_the_models_and_not_serial(speedup_figure):
    assert legend_labels(speedup_figure, "model") == ["processes-fork", "threads", "threads.aa"]


def test_speedup_has_a_panel_per_work_and_leaves_out_startup(speedup_figure):
    titles = [ax.get_title() for ax in speedup_figure.axes]
    assert titles == ["cpu_pure · payload 1KiB", "io_sleep · payload 1KiB"]


def test_speedup_heads_panels_with_machine_and_interpreter_when_there_are_several():
    cells = cells_table()
    figure = draw_speedup(pd.concat([cells, cells.assign(interpreter="pypy-3.10")]), cores=CORES)
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


def test_speedup_cores_default_to_this_hosts_cpus(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    figure = draw_speedup(cells_table())
    (ideal,) = lines_labelled(figure, "ideal (3 cores)")
    assert list(ideal.get_ydata()) == [1, 2, 3, 3]


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
    assert "no data" in all_text(draw_speedup(cells, cores=CORES))


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


def test_winners_legend_lists_the_winning_models_then_the_other_outcomes(winners_figure):
    assert legend_labels(winners_figure, "winner") == ["processes-fork", "threads", "tie", "all cells failed"]


def test_winners_shows_a_tie_in_grey_with_the_tied_models(winners_figure):
    texts = all_text(winners_figure)
    assert "tie" in texts
    assert "processes-fork\nprocesses-spawn" in texts
    (tie,) = [p for p in winners_figure.findobj(Rectangle) if p.get_gid() == "verdict:tie"]
    assert tie.get_facecolor() == to_rgba(TIE_COLOUR)
    assert to_rgb(TIE_COLOUR) not in {to_rgb(model_colour(m)) for m in KNOWN_MODELS}


def test_winners_tiles_take_the_winners_colour_and_failures_are_hatched(winners_figure):
    tiles = {
        p.get_gid(): p
        for p in winners_figure.findobj(Rectangle)
        if (p.get_gid() or "").startswith("verdict:")
    }
    assert tiles["verdict:threads"].get_facecolor() == to_rgba(model_colour("threads"))
    assert tiles["verdict:all cells failed"].get_hatch()
    assert tiles["verdict:all cells failed"].get_facecolor() == to_rgba("black")


def test_winners_marks_a_verdict_that_flagged_repetitions_decide(winners_figure):
    assert all_text(winners_figure).count("†") == 1


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


def test_plot_functions_write_png_files(tmp_path):
    cells_tsv, verdicts_tsv, samples_parquet = (
        tmp_path / "cells.tsv",
        tmp_path / "verdicts.tsv",
        tmp_path / "s.pq",
    )
    cells_table().to_csv(cells_tsv, sep="\t", index=False)
    verdicts_table().to_csv(verdicts_tsv, sep="\t", index=False)
    samples_table().to_parquet(samples_parquet, index=False)

    plot_speedup(str(cells_tsv), str(tmp_path / "speedup.png"), cores=CORES)
    plot_winners(str(verdicts_tsv), str(tmp_path / "winners.png"))
    plot_startup(str(cells_tsv), str(tmp_path / "startup.png"))
    plot_drift(str(samples_parquet), str(tmp_path / "out" / "drift.png"))

    for name in ("speedup.png", "winners.png", "startup.png", "out/drift.png"):
        assert_png(tmp_path / name)
    assert plt.get_fignums() == []  # every figure closed after saving


def test_winners_file_keeps_n_a_as_a_verdict(tmp_path):
    verdicts_tsv = tmp_path / "verdicts.tsv"
    pd.DataFrame([verdict_row("cpu_pure", 2, "n/a", fastest="threads")]).to_csv(
        verdicts_tsv, sep="\t", index=False
    )
    plot_winners(str(verdicts_tsv), str(tmp_path / "winners.png"))
    assert_png(tmp_path / "winners.png")
    # "n/a" is a verdict, not a missing value.
    assert read_tsv(str(verdicts_tsv))["winner"].tolist() == ["n/a"]


@pytest.mark.parametrize("contents", ["", "machine\tinterpreter\tworkload\tkind\tmodel\n"])
def test_plot_functions_accept_empty_files(tmp_path, contents):
    tsv = tmp_path / "empty.tsv"
    tsv.write_text(contents)
    plot_speedup(str(tsv), str(tmp_path / "speedup.png"))
    plot_winners(str(tsv), str(tmp_path / "winners.png"))
    plot_startup(str(tsv), str(tmp_path / "startup.png"))
    samples_table().iloc[:0].to_parquet(tmp_path / "empty.parquet")
    plot_drift(str(tmp_path / "empty.parquet"), str(tmp_path / "drift.png"))
    for name in ("speedup.png", "winners.png", "startup.png", "drift.png"):
        assert_png(tmp_path / name)
