"""The winner map: the verdict of every comparison group, work (rows) by workers (columns).

It reads verdicts.tsv's ``label`` (:data:`WIN`, :data:`EQUIVALENT`, :data:`UNDECIDED`,
:data:`NO_CONTEST`, :data:`ALL_FAILED`), ``winner``, ``fastest``, ``unbeaten`` (the
models the fastest did not beat, the fastest included, comma-separated) and
``label_without_flagged``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.offsetbox import AnnotationBbox, TextArea, VPacker
from matplotlib.patches import Patch, Rectangle

from ..vocabulary import ALL_FAILED, EQUIVALENT, NO_CONTEST, UNDECIDED, WIN
from .panels import finish, no_data, payload_labels, setting_labels, workload_rank
from .theme import EQUIVALENT_COLOUR, model_colour, model_order, themed

# How the tile of each label that names no winner looks: (face colour, hatch).
OUTCOMES = {
    EQUIVALENT: (EQUIVALENT_COLOUR, None),
    UNDECIDED: ("0.96", ".."),
    NO_CONTEST: ("0.93", None),
    ALL_FAILED: ("black", "//"),
}


@themed
def draw_winners(verdicts: pd.DataFrame) -> Figure:
    """Which model won each comparison group: work (rows) by workers (columns).

    A win takes its winner's colour; models shown equivalent are grey and listed ("any
    of"); an undecided group is a light hatched tile listing its candidates; a group whose
    cells all failed is black and hatched. One panel per machine and interpreter.
    """
    title = "Winner of each comparison"
    if verdicts.empty:
        return no_data(title, "verdicts.tsv has no rows")

    verdicts = verdicts.assign(
        setting=setting_labels(verdicts),
        work=verdicts["workload"] + " · " + payload_labels(verdicts),
    )
    settings = sorted(verdicts["setting"].unique())
    workers = sorted(verdicts["workers"].unique())
    work_rows = max(verdicts.groupby("setting")["work"].nunique())
    # Room in each cell for its label and one line per model it lists.
    listed_lines = max((len(_listed_models(v)) for v in verdicts.itertuples()), default=0)
    cell_height = 0.35 + 0.13 * max(listed_lines, 1)
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

    figure.legend(
        *_verdict_legend(verdicts),
        title="winner",
        loc="center left",
        bbox_to_anchor=(1, 0.5),
    )
    labels = set(verdicts["label"])
    notes = []
    if EQUIVALENT in labels:
        notes.append("any of: the fastest model and the models listed with it were shown equivalent.")
    if UNDECIDED in labels:
        notes.append("undecided: the fastest model was neither shown to win nor shown equivalent to those listed.")
    if NO_CONTEST in labels:
        notes.append("n/a: only one model ran (named in the tile).")
    if changed_without_flagged(verdicts).any():
        notes.append("†: the verdict changes when repetitions flagged as a slow machine phase are left out.")
    return finish(figure, title, verdicts, notes=notes)


def _verdict_map(ax: Axes, verdicts: pd.DataFrame, workers: list[int]) -> None:
    """One panel of the winner map: a coloured, labelled tile per comparison group."""
    rows = verdicts[["workload", "payload_bytes", "work"]].drop_duplicates()
    work = [
        row.work
        for row in sorted(rows.itertuples(), key=lambda r: (workload_rank(r.workload), r.workload, r.payload_bytes))
    ]
    column_of = {w: i for i, w in enumerate(workers)}
    row_of = {w: i for i, w in enumerate(work)}
    changed = changed_without_flagged(verdicts)
    for verdict, flagged_matter in zip(verdicts.itertuples(), changed):
        x, y = column_of[verdict.workers], row_of[verdict.work]
        face, hatch, text, detail = verdict_tile(verdict)
        weight = "normal" if verdict.label == WIN else "bold"
        ax.add_patch(
            Rectangle(
                (x - 0.5, y - 0.5), 1, 1,
                facecolor=face, hatch=hatch, hatchcolor="0.5", edgecolor="white", linewidth=2,
                gid=f"verdict:{verdict.winner if verdict.label == WIN else verdict.label}",
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
        flags = getattr(verdict, "flags", "")
        if isinstance(flags, str) and flags:
            # A flag never changes the label; it says what the label is worth (harness-bound).
            lines.append(TextArea(f"[{flags}]", textprops={"color": ink, "fontsize": "x-small", "style": "italic"}))
        block = VPacker(children=lines, align="center", pad=0, sep=1)
        # On a hatched tile the text sits on a plain patch of the tile's colour, off the dots.
        label = AnnotationBbox(block, (x, y), frameon=hatch is not None, box_alignment=(0.5, 0.5), pad=0.15,
                               bboxprops={"facecolor": face, "edgecolor": "none"})  # fmt: skip
        ax.add_artist(label)
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


# A tile holds this many model names; more spill out of it (the front page and
# verdicts.tsv list them all).
TILE_MODELS = 3


def _listed_models(verdict) -> list[str]:
    """The models a tile lists: the unbeaten ones of an equivalent or undecided group, at
    most :data:`TILE_MODELS` and then how many more."""
    if verdict.label in (EQUIVALENT, UNDECIDED) and isinstance(verdict.unbeaten, str):
        # A long name breaks after its start method's dash rather than run over the tile's edge.
        models = [m.replace("-", "-\n", 1) if len(m) > 15 else m for m in verdict.unbeaten.split(",")]
        if len(models) > TILE_MODELS:
            return [*models[: TILE_MODELS - 1], f"+{len(models) - TILE_MODELS + 1} more"]
        return models
    return []


def verdict_tile(verdict) -> tuple[object, str | None, str, str]:
    """(face colour, hatch, label, small print) of one comparison group's tile."""
    if verdict.label == WIN:
        return model_colour(verdict.winner), None, verdict.winner, ""
    face, hatch = OUTCOMES[verdict.label]
    if verdict.label == EQUIVALENT:
        return face, hatch, "any of", ",\n".join(_listed_models(verdict))
    if verdict.label == UNDECIDED:
        return face, hatch, "undecided", "\n".join(_listed_models(verdict))
    if verdict.label == NO_CONTEST:
        return face, hatch, "n/a", verdict.fastest if isinstance(verdict.fastest, str) else ""
    return face, hatch, "all failed", ""


def _verdict_legend(verdicts: pd.DataFrame) -> tuple[list[Patch], list[str]]:
    """A swatch per winning model, then per kind of non-win that the map shows."""
    winners = model_order(verdicts.loc[verdicts["label"] == WIN, "winner"])
    handles = [Patch(facecolor=model_colour(m), label=m) for m in winners]
    labels = set(verdicts["label"])
    for outcome, (face, hatch) in OUTCOMES.items():
        if outcome in labels:
            handles.append(Patch(facecolor=face, hatch=hatch, hatchcolor="0.5", label=outcome))
    return handles, [h.get_label() for h in handles]


def changed_without_flagged(verdicts: pd.DataFrame) -> np.ndarray:
    """True where leaving out flagged repetitions gives another label, or another winner."""
    if "label_without_flagged" not in verdicts:
        return np.zeros(len(verdicts), dtype=bool)
    without = verdicts["label_without_flagged"]
    same = without == verdicts["label"]
    if "winner_without_flagged" in verdicts:
        same &= (verdicts["label"] != WIN) | (verdicts["winner_without_flagged"] == verdicts["winner"])
    return (without.notna() & ~same).to_numpy()


def _ink_on(face) -> str:
    """Black or white text, whichever reads better on ``face`` (by relative luminance)."""
    red, green, blue = to_rgb(face)
    return "black" if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.45 else "white"
