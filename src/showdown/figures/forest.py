"""The forest plot: every comparison and every claim on one ratio axis.

One row per verdict row (the fastest model over the runner-up of a comparison group), per
claim point (model A over model B where the claim was tested) and per claim (its pooled
ratio), each with its interval, its own margin band shaded and its verdict in words: how
equivalence and superiority are shown in papers. A row is drawn from its table's columns
(``ratio_to_runner_up`` or ``ratio``, ``ci_low``, ``ci_high``, ``margin``); nothing here
computes an estimate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure

from ..kernel import size_label
from ..vocabulary import NOT_MEASURED, WIN
from .panels import INTERVAL, finish, no_data, ratio_label, setting_labels, wrapped_notes
from .registry import FIGURE_OF_KIND
from .theme import REFERENCE_COLOUR, themed

ROW_INCHES = 0.26
BAND_COLOUR = "0.88"
VERDICT_COLUMNS = ["machine", "interpreter", "workload", "payload_bytes", "workers", "fastest", "runner_up", "winner",
                   "label", "ratio_to_runner_up", "ci_low", "ci_high", "margin"]  # fmt: skip
POINT_COLUMNS = ["claim", "workload", "payload_bytes", "workers", "model_a", "model_b", "ratio", "ci_low", "ci_high",
                 "outcome"]  # fmt: skip
LEDGER_COLUMNS = ["claim", "machine", "interpreter", "verdict", "ratio", "ci_low", "ci_high", "ci_level", "margin"]
SECTION_COLOURS = {"comparison": "#0072B2", "claim point": "#009E73", "claim": "#D55E00"}


def _where(row) -> str:
    return f"{row.workload} · {size_label(int(row.payload_bytes))} · {int(row.workers)} workers"


FOREST_COLUMNS = ["id", "section", "label", "ratio", "ci_low", "ci_high", "margin", "verdict", "figure"]


def forest_rows(
    verdicts: pd.DataFrame, points: pd.DataFrame, ledger: pd.DataFrame, kinds: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The plot's rows, top to bottom: id, section, label, ratio, ci_low, ci_high, margin,
    verdict and the figure behind the row.

    Ids name a row in the plot and in its table: ``v1``... for comparisons, ``p1``... for
    claim points, the claim's own id for a pooled claim (with its setting where a sweep has
    several). The figure is the claim's own (ledger.tsv's ``figure``), else the one that
    shows the workload's kind (``kinds``: workload -> kind; the registry's ``kinds``).
    Rows without a ratio (a group of one model, a claim not measured) are left out; the
    verdicts and ledger tables list them.
    """
    # An empty file is read with few columns or none: every column a row needs, missing or not.
    verdicts = verdicts.reindex(columns=[*VERDICT_COLUMNS, *(c for c in verdicts if c not in VERDICT_COLUMNS)])
    points = points.reindex(columns=[*POINT_COLUMNS, *(c for c in points if c not in POINT_COLUMNS)])
    ledger = ledger.reindex(columns=[*LEDGER_COLUMNS, *(c for c in ledger if c not in LEDGER_COLUMNS)])
    several = setting_labels(verdicts).nunique() > 1 if len(verdicts) else False
    kinds = dict(kinds or {})

    def figure_of(workload, declared=None) -> str:
        if isinstance(declared, str) and declared:
            return declared
        return FIGURE_OF_KIND.get(kinds.get(workload, ""), "")

    rows = []
    for row in verdicts.dropna(subset=["ratio_to_runner_up"]).itertuples(index=False):
        where = f"{row.machine} · {row.interpreter}: " if several else ""
        rows.append({"id": f"v{len(rows) + 1}", "section": "comparison",
                     "label": f"{where}{_where(row)}: {row.fastest} / {row.runner_up}",
                     "ratio": row.ratio_to_runner_up, "ci_low": row.ci_low, "ci_high": row.ci_high,
                     "margin": row.margin, "verdict": f"{row.winner} wins" if row.label == WIN else row.label,
                     "figure": figure_of(row.workload)})  # fmt: skip
    margins = ledger.set_index("claim")["margin"].to_dict() if len(ledger) else {}
    figures = ledger.dropna(subset=["figure"]).set_index("claim")["figure"].to_dict() if len(ledger) else {}
    first_point = len(rows)
    for row in points.dropna(subset=["ratio"]).itertuples(index=False):
        rows.append({"id": f"p{len(rows) - first_point + 1}", "section": "claim point",
                     "label": f"{row.claim}: {_where(row)}: {row.model_a} / {row.model_b}",
                     "ratio": row.ratio, "ci_low": row.ci_low, "ci_high": row.ci_high,
                     "margin": margins.get(row.claim, math.nan), "verdict": row.outcome,
                     "figure": figure_of(row.workload, figures.get(row.claim))})  # fmt: skip
    pooled = ledger[ledger["verdict"] != NOT_MEASURED].dropna(subset=["ratio"])
    repeated = pooled["claim"].duplicated(keep=False)
    for row, twice in zip(pooled.itertuples(index=False), repeated):
        rows.append({"id": f"{row.claim} · {row.machine} · {row.interpreter}" if twice else row.claim,
                     "section": "claim", "label": f"{row.claim} (pooled, {row.machine} · {row.interpreter})",
                     "ratio": row.ratio, "ci_low": row.ci_low, "ci_high": row.ci_high,
                     "margin": row.margin, "verdict": _with_level(row.verdict, row.ci_level),
                     "figure": figure_of(None, row.figure)})  # fmt: skip
    return pd.DataFrame(rows, columns=FOREST_COLUMNS)


def tick_label(row) -> str:
    """A row's name on the plot: its id first (a pooled claim's label starts with it)."""
    return row.label if row.section == "claim" else f"{row.id}  {row.label}"


def _with_level(verdict: str, level: float) -> str:
    """A pooled claim's verdict and the level its interval was tested at (ledger.tsv's ci_level)."""
    return f"{verdict} ({100 * level:.3g}% CI)" if pd.notna(level) else str(verdict)


@themed
def draw_forest(verdicts: pd.DataFrame, points: pd.DataFrame, ledger: pd.DataFrame) -> Figure:
    """Every comparison (fastest / runner-up), claim point (A / B) and pooled claim: the ratio
    on a log axis with its interval, each row's margin band [1 - m, 1 / (1 - m)] shaded grey,
    the verdict in words at the right."""
    title = "Every comparison and claim: ratio with its interval, against its margin"
    rows = forest_rows(verdicts, points, ledger)
    if rows.empty:
        return no_data(title, "no comparison or claim has a ratio", verdicts)
    figure, ax = plt.subplots(figsize=(11, 1.4 + ROW_INCHES * len(rows)))
    for y, row in enumerate(rows.itertuples(index=False)):
        if pd.notna(row.margin) and 0 < row.margin < 1:
            ax.fill_betweenx([y - 0.42, y + 0.42], 1 - row.margin, 1 / (1 - row.margin), color=BAND_COLOUR, lw=0)
        colour = SECTION_COLOURS[row.section]
        ax.errorbar([row.ratio], [y], xerr=[[max(row.ratio - row.ci_low, 0)], [max(row.ci_high - row.ratio, 0)]],
                    fmt="D" if row.section == "claim" else "o", color=colour, markersize=5, capsize=2, lw=1.2)  # fmt: skip
        ax.annotate(str(row.verdict), (1.01, y), xycoords=("axes fraction", "data"), va="center", fontsize="small")
    ax.axvline(1, color=REFERENCE_COLOUR, lw=0.8, zorder=0)
    ax.set_xscale("log")
    low, high = ax.get_xlim()
    # 1, 2 and 5 of each decade while they have room; over many decades, the decades alone.
    ax.xaxis.set_major_locator(ticker.LogLocator(subs=(1, 2, 5) if high / low < 100 else (1,)))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(ratio_label))
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_yticks(range(len(rows)), [tick_label(row) for row in rows.itertuples()], fontsize="small")
    for tick, section in zip(ax.get_yticklabels(), rows["section"]):
        tick.set_color(SECTION_COLOURS[section])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("ratio of times (first / second; below 1: the first is faster), log scale")
    legend = [plt.Line2D([], [], color=c, marker="D" if s == "claim" else "o", lw=1.2, label=s)
              for s, c in SECTION_COLOURS.items() if s in set(rows["section"])]  # fmt: skip
    legend.append(plt.Rectangle((0, 0), 1, 1, color=BAND_COLOUR, label="margin band"))
    ax.legend(handles=legend, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(legend), frameon=False)
    figure.tight_layout()
    notes = [
        f"Whiskers: {INTERVAL} for comparisons and claim points; a pooled claim's interval is at the level it "
        "was tested at (ledger.tsv's ci_level, after its verdict). Comparisons are the fastest model over the "
        "runner-up of each comparison group, claim points model A over model B where a claim was tested, claims "
        "their pooled ratio. "
        "Grey: the row's own margin band, [1 - margin, 1 / (1 - margin)]; a winner's whole interval lies left "
        "of it, equivalent models' inside it. Verdicts as verdicts.tsv, points.tsv and ledger.tsv give them."
    ]
    return finish(figure, title, verdicts, notes=wrapped_notes(figure, notes))
