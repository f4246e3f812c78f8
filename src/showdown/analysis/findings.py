"""The report's front page: the answers first, as reStructuredText the report includes.

Snakemake renders ``report/workflow.rst`` from the config alone; it cannot see results.
So the write_findings rule writes them here, as rst that ``workflow.rst`` includes:

1. per setting (machine · interpreter), one line per kind of work: its answer with the
   factor over the runner-up, the 95% round-level interval and where it holds;
2. the winner map, embedded in the page (a data URI);
3. per setting, one line per claim: the ledger's reading, or "not measured: why";
4. "Which model for my work?": the guide (:mod:`.guide`), also written as a TSV;
5. the machine, and how far to trust these numbers: this run's A/A false-win rate, the
   declared margin and the A/A check, noisy cells, and where the README's repeatability is.

Besides, a readable ledger: the claim's sentence, a verdict a reader understands, the
reading, the effect with its interval, the points behind it and the figure.
Everything is made from whatever the tables hold, so any sweep (one interpreter, a user's
own workload, claims without cells) gets a front page that is true for it.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping

import pandas as pd

from ..display import FAMILIES, shown
from ..kernel import is_aa_copy
from ..vocabulary import DEPENDS, NOT_MEASURED, REFUTED, SUPPORTED, UNDECIDED
from .guide import SETTING_KEY, guide, notes_for, outcomes, setting_name, with_families, with_kind_of_work, work_order
from .user_workloads import own_thread_notes

# A claim's verdict as the answer to "does it hold here?".
DOES_IT_HOLD = {
    SUPPORTED: "yes",
    REFUTED: "no",
    DEPENDS: "depends on where",
    UNDECIDED: "undecided",
    NOT_MEASURED: "not measured",
}
READABLE_LEDGER_COLUMNS = [
    "claim", "machine · interpreter", "does it hold?", "reading", "ratio A/B [CI as tested]", "points", "figure",
]  # fmt: skip
# Where the repeatability of verdicts between runs is measured (it takes two whole runs).
REPEATABILITY = 'README.md, section "How far to trust these numbers"'
MACHINE_COLUMNS = ["machine", "interpreter", "cpu_model", "logical_cpus", "affinity_cpus",
                   "python_implementation", "python_version", "gil_enabled"]  # fmt: skip


def rst_text(text) -> str:
    """Text safe inside rst inline markup: the characters rst would read as markup escaped."""
    return re.sub(r"([\\*`|_])", r"\\\1", str(text))


def settings_of(verdicts: pd.DataFrame, ledger: pd.DataFrame) -> list[tuple[str, str]]:
    """Every (machine, interpreter) with verdicts or claim rows, in order."""
    rows = pd.concat([verdicts[SETTING_KEY], ledger[SETTING_KEY].dropna()])
    return sorted(set(map(tuple, rows.astype(str).to_numpy())))


def claim_rows(ledger: pd.DataFrame, machine: str, interpreter: str) -> pd.DataFrame:
    """One ledger row per claim for a setting: its own, else the sweep-wide "not measured".

    A claim measured under another setting only reads "not measured" here, with that reason.
    """
    rows = []
    for claim, mine in ledger.groupby("claim", sort=False):
        here = mine[(mine["machine"] == machine) & (mine["interpreter"] == interpreter)]
        if len(here):
            rows.append(here.iloc[0])
            continue
        anywhere = mine[mine["machine"].isna()]
        if len(anywhere):
            rows.append(anywhere.iloc[0])
            continue
        why = f"this sweep has cells for it only under {', '.join(sorted(setting_name(*s) for s in _settings(mine)))}"
        rows.append(pd.Series({
            **dict.fromkeys(ledger.columns, math.nan), "claim": claim, "text": mine["text"].iloc[0],
            "figure": mine["figure"].iloc[0], "verdict": NOT_MEASURED, "reading": f"not measured: {why}", "detail": why,
        }))  # fmt: skip
    return pd.DataFrame(rows).reset_index(drop=True)


def _settings(rows: pd.DataFrame) -> list[tuple[str, str]]:
    return list(rows[SETTING_KEY].drop_duplicates().itertuples(index=False, name=None))


def machine_line(described: pd.DataFrame, cells: pd.DataFrame, machine: str, interpreter: str) -> str:
    """The machine and interpreter of a setting, and how many of its cells were noisy."""
    me = described[(described["machine"] == machine) & (described["interpreter"] == interpreter)]
    parts = []
    if len(me):
        first = me.iloc[0]
        cpus = f"{int(first.logical_cpus)} logical CPUs"
        if pd.notna(first.affinity_cpus) and int(first.affinity_cpus) != int(first.logical_cpus):
            cpus += f" ({int(first.affinity_cpus)} usable)"
        gil = "GIL on" if bool(me["gil_enabled"].fillna(True).all()) else "GIL off"
        parts.append(f"{first.cpu_model}, {cpus}; {first.python_implementation} {first.python_version}, {gil}")
    mine = cells[(cells["machine"] == machine) & (cells["interpreter"] == interpreter)]
    if len(mine):
        parts.append(
            f"{int(mine['noisy'].sum())} of {len(mine)} cells noisy (their rounds spread more than the "
            f"A/A copies' do: results/aggregate/noisy.tsv)"
        )
        above = int(mine["above_limit"].sum())
        if above:
            parts.append(f"{above} cells faster than their model's limit allows (above_limit in cells.tsv)")
        parts.append(disturbed_text(mine))
    return f"**{rst_text(setting_name(machine, interpreter))}**: " + rst_text("; ".join(parts) or "no cells")


def disturbed_text(cells: pd.DataFrame) -> str:
    """How many cells and (cell, round)s shared the machine with other work beyond the
    threshold, and the most other work held: a flag, the labels stand as measured."""
    if "other_cpu_share" not in cells or cells["other_cpu_share"].isna().all():
        return "what else ran on the machine was not read (no /proc/stat)"
    hit = cells["disturbed_rounds"] > 0
    return (f"{int(hit.sum())} of {len(cells)} cells disturbed by other work in "
            f"{int(cells['disturbed_rounds'].sum())} of {int(cells['rounds'].sum())} rounds "
            f"(beyond disturbed_share; at most {100 * float(cells['other_cpu_share'].max()):.0f}% "
            f"of the machine busy with it: disturbed_rounds in cells.tsv)")  # fmt: skip


def trust_line(false_win: pd.Series) -> str:
    """The declared margin, and this run's A/A check: false-win rate with its interval and spread."""
    n, k = int(false_win["n"]), int(false_win["k"])
    spread = float(false_win["aa_spread"])
    if n == 0:
        control = ("This run has no A/A pairs (a model measured twice under two names), so it did not "
                   "measure its false-win rate; config/aa.yaml measures it.")  # fmt: skip
    else:
        control = (
            f"A/A control: {k} of {n} pairs of identical models called different (false-win rate "
            f"{100 * float(false_win['rate']):.0f}%, 95% CI {100 * float(false_win['ci_low']):.0f}-"
            f"{100 * float(false_win['ci_high']):.0f}%; their largest 5% of ratios beyond "
            f"{100 * spread:.1f}%)."
        )
    return (
        f"Margin, declared in the config before the run (the smallest difference worth a verdict): "
        f"{false_win['margins']}. A model wins when its 95% interval against every other lies beyond "
        f"it, models are equivalent when every interval lies inside it, and undecided when an interval "
        f"crosses it. {control} The A/A pairs check the instrument; they never move the margin."
    )


def instrument_lines(false_win: pd.Series | pd.DataFrame, noise: pd.DataFrame | None) -> list[str]:
    """The A/A check and the noise check, one of each per machine label: a label's
    instrument is judged on its own pairs (prefixed by the label where there are several)."""
    table = false_win.to_frame().T if isinstance(false_win, pd.Series) else false_win
    if "machine" not in table:
        table = table.assign(machine=None)
    several = table["machine"].nunique() > 1
    lines = []
    for row in table.to_dict("records"):
        prefix = f"**{rst_text(str(row['machine']))}**: " if several else ""
        lines.append(f"- {prefix}{rst_text(trust_line(pd.Series(row)))}")
        if noise is not None:
            mine = noise[noise["machine"] == row["machine"]] if several and "machine" in noise else noise
            lines.append(f"- {prefix}{rst_text(noise_line(mine))}")
    return lines


def noise_line(noise: pd.DataFrame) -> str:
    """The kinds of work whose pairs spread more over rounds than the A/A calibration's."""
    if noise.empty or noise["calibrated_spread"].isna().all():
        return ("No A/A calibration of round spreads is recorded for these kinds (config/aa.yaml aa_spread), "
                "so this run's noise is not checked against one.")  # fmt: skip
    noisier = noise[noise["noisier"].astype(bool)]
    checked = int(noise["calibrated_spread"].notna().sum())
    if noisier.empty:
        return f"Round spread within the A/A calibration for all {checked} kinds checked (noise_by_kind.tsv)."
    listed = ", ".join(
        f"{r.kind} ({r.round_spread:.3f} against {r.calibrated_spread:.3f})" for r in noisier.itertuples()
    )
    return (
        f"Noisier than the A/A calibration (round spread against it, noise_by_kind.tsv): {listed}; "
        f"{len(noisier)} of {checked} kinds checked. Their verdicts stand, on wider intervals."
    )


def glossary(cells: pd.DataFrame) -> list[str]:
    """The models this run measured, in words: the Python API each one is, by family."""
    models = sorted(set(cells["model"])) if "model" in cells else []
    if not models:
        return []
    lines = ["The models", "~~~~~~~~~~", ""]
    for name in sorted(FAMILIES):
        mine = [shown(m) for m in models if shown(m).family == name and not is_aa_copy(m)]
        if not mine:
            continue
        lines.append(f"- **{rst_text(name)}** ({rst_text(FAMILIES[name])}): "
                     + "; ".join(f"``{m.model}`` = {rst_text(m.api)}" for m in mine))  # fmt: skip
    return [*lines, ""]


def readable_ledger(ledger: pd.DataFrame, settings: list[tuple[str, str]]) -> pd.DataFrame:
    """The ledger for readers: one row per claim and setting, in words and intervals."""
    rows = []
    for machine, interpreter in settings:
        for row in claim_rows(ledger, machine, interpreter).itertuples():
            measured = pd.notna(row.ratio)
            rows.append({
                "claim": row.text,
                "machine · interpreter": setting_name(machine, interpreter),
                "does it hold?": DOES_IT_HOLD.get(row.verdict, row.verdict),
                "reading": row.reading,
                "ratio A/B [CI as tested]": (f"{row.ratio:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}] "
                                             f"({100 * row.ci_level:.3g}%)" if measured else ""),
                "points": (f"{int(row.points)} points, {int(row.rounds)} rounds: {row.detail}" if measured
                           else row.detail if isinstance(row.detail, str) else ""),
                "figure": row.figure if isinstance(row.figure, str) else "",
            })  # fmt: skip
    return pd.DataFrame(rows, columns=READABLE_LEDGER_COLUMNS)


def _list_table(table: pd.DataFrame) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for values in [list(table.columns), *table.astype(str).to_numpy().tolist()]:
        lines.append(f"   * - {rst_text(values[0])}")
        lines += [f"     - {rst_text(value)}" for value in values[1:]]
    return lines


def findings_rst(
    verdicts: pd.DataFrame,
    ledger: pd.DataFrame,
    guide_table: pd.DataFrame,
    false_win: pd.Series | pd.DataFrame,
    described: pd.DataFrame,
    cells: pd.DataFrame,
    *,
    noise: pd.DataFrame | None = None,
    winner_map: str,
    figure_targets: Mapping[str, str],
    notes: pd.DataFrame | None = None,
) -> str:
    """The front page's findings as rst (see the module); section levels below the report's title.

    ``notes`` (:func:`.user_workloads.own_thread_notes`) follow the answer of a user's function.

    ``winner_map`` is the image's URI: :func:`write_findings` passes the PNG itself, as a
    data URI, so that the self-contained report carries it.
    """
    settings = settings_of(verdicts, ledger)
    lines = ["Findings", "--------", ""]
    if not settings:
        lines += ["This run has no verdicts and no measured claims yet.", ""]
    for machine, interpreter in settings:
        mine = verdicts[(verdicts["machine"] == machine) & (verdicts["interpreter"] == interpreter)]
        lines += [f"**{rst_text(setting_name(machine, interpreter))}**, by kind of work (the winner, how many "
                  "times faster than the runner-up [95% CI over rounds], where):", ""]  # fmt: skip
        for work in work_order(mine["kind_of_work"]):
            groups = mine[mine["kind_of_work"] == work]
            answer = ". ".join([outcomes(groups, with_interval=True), *notes_for(notes, groups)])
            lines.append(f"- *{rst_text(work)}*: {rst_text(answer)}")
        if mine.empty:
            lines.append("- no comparison groups")
        lines.append("")
    # A long URI (a data URI) over several lines: docutils joins them and refuses lines
    # longer than 10,000 characters.
    uri = [winner_map[start : start + 76] for start in range(0, len(winner_map), 76)]
    lines += [
        f".. image:: {uri[0]}",
        *(f"   {part}" for part in uri[1:]),
        "   :alt: the winner map: which model won each comparison",
        "   :class: winner-map",
        "",
    ]
    for machine, interpreter in settings:
        lines += [f"**{rst_text(setting_name(machine, interpreter))}**, the article's claims:", ""]
        for row in claim_rows(ledger, machine, interpreter).itertuples():
            shown = f" (figure {figure_targets[row.figure]}_)" if row.figure in figure_targets else ""
            lines.append(f"- {rst_text(row.text)} — {rst_text(row.reading)}{shown}")
        lines.append("")
    lines += ["Which model for my work?", "~~~~~~~~~~~~~~~~~~~~~~~~", ""]
    lines += ["The answer per kind of work (rows) and machine · interpreter (columns), also in ``guide.tsv``:", ""]
    # A list-table needs a body row: a run without verdicts says so instead.
    lines += [*_list_table(guide_table), ""] if len(guide_table) else ["No comparison groups yet.", ""]
    lines += glossary(cells)
    lines += ["How far to trust these numbers", "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~", ""]
    lines += [f"- {machine_line(described, cells, machine, interpreter)}" for machine, interpreter in settings]
    lines += instrument_lines(false_win, noise)
    lines += [
        f"- Whether verdicts repeat between runs, and the false-win rate over many A/A pairs: "
        f"{rst_text(REPEATABILITY)}.",
        "",
    ]
    return "\n".join(lines)


def write_findings(
    *,
    verdicts_tsv: str,
    families_tsv: str,
    cells_tsv: str,
    ledger_tsv: str,
    false_win_tsv: str,
    noise_by_kind_tsv: str,
    samples_parquet: str,
    findings_path: str,
    guide_tsv: str,
    readable_ledger_tsv: str,
    winner_map: str,
    figure_targets: Mapping[str, str],
    versions: Mapping[str, str] | None = None,
    user_workloads_tsv: str | None = None,
) -> str:
    """The write_findings rule: the front page's findings, the guide and the readable ledger.

    ``versions``: workload -> versions_of, for the versions of one function the config pairs.
    """
    cells = pd.read_csv(cells_tsv, sep="\t")
    verdicts = with_kind_of_work(pd.read_csv(verdicts_tsv, sep="\t"), cells[["workload", "kind"]], dict(versions or {}))
    verdicts = with_families(verdicts, pd.read_csv(families_tsv, sep="\t"))
    ledger = pd.read_csv(ledger_tsv, sep="\t")
    false_win = pd.read_csv(false_win_tsv, sep="\t")
    described = pd.read_parquet(samples_parquet, columns=MACHINE_COLUMNS).dropna(subset=["cpu_model"])
    notes = own_thread_notes(pd.read_csv(user_workloads_tsv, sep="\t")) if user_workloads_tsv else None
    guide_table = guide(verdicts, notes)
    guide_table.to_csv(guide_tsv, sep="\t", index=False)
    readable_ledger(ledger, settings_of(verdicts, ledger)).to_csv(readable_ledger_tsv, sep="\t", index=False)
    # Embedded, not linked: Snakemake's `embeddedimage` directive leaves the path as it is
    # (Image.run comes first in its classes), and a path would not travel with the HTML file.
    with open(winner_map, "rb") as png:
        embedded = "data:image/png;base64," + base64.b64encode(png.read()).decode()
    noise = pd.read_csv(noise_by_kind_tsv, sep="\t")
    text = findings_rst(verdicts, ledger, guide_table, false_win, described, cells, noise=noise,
                        winner_map=embedded, figure_targets=figure_targets, notes=notes)  # fmt: skip
    with open(findings_path, "w") as handle:
        handle.write(text)
    return text
