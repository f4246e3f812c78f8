"""Sweeps under load: what held, what moved, and whether the disturbed flag caught it.

Reads finished result trees of the same config: the first measured on a quiet machine, each
other one with cores kept busy beside it (benchmarks/load.py), e.g.

    python benchmarks/load.py --cores 1 -- make report   # in a clone, results/ moved aside after
    python benchmarks/load_table.py quiet=runs/quiet one=runs/one all=runs/all

and prints README's table: per run, the cells and (cell, round)s flagged disturbed, the labels
(win / equivalent / undecided and the winner) and claim verdicts that held against the quiet
run, the cells that moved (their 95% interval of the typical time apart from the quiet run's)
and how many of those the flag caught, the same for the comparison groups whose label moved.
A run with nothing else running should flag at most 5% of its cells (the negative control).
"""

import argparse
import sys
from pathlib import Path
from typing import List, Tuple

import pandas as pd
from repeatability import CELL_KEY, GROUP_KEY, VERDICT_KEY


def read_run(directory: Path) -> Tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """cells.tsv, verdicts.tsv and the claim ledger of one result tree."""
    results = directory / "results"
    return (pd.read_csv(results / "aggregate/cells.tsv", sep="\t"),
            pd.read_csv(results / "stats/verdicts.tsv", sep="\t", keep_default_na=False),
            pd.read_csv(results / "claims/ledger.tsv", sep="\t", keep_default_na=False))  # fmt: skip


def changed_groups(quiet_verdicts: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """Comparison groups of both runs whose label or winner differs."""
    groups = quiet_verdicts.merge(verdicts, on=VERDICT_KEY, suffixes=("_quiet", ""))
    return groups[(groups["label_quiet"] != groups["label"]) | (groups["winner_quiet"] != groups["winner"])]


def compare(quiet, loaded) -> dict:
    """One row of the table: ``loaded`` against ``quiet`` (each as :func:`read_run` gives it)."""
    (quiet_cells, quiet_verdicts, quiet_ledger), (cells, verdicts, ledger) = quiet, loaded
    flagged = cells["disturbed_rounds"] > 0
    paired = quiet_cells.merge(cells, on=CELL_KEY, suffixes=("_quiet", ""))
    moved = (paired["ci_low_seconds"] > paired["ci_high_seconds_quiet"]) | (
        paired["ci_high_seconds"] < paired["ci_low_seconds_quiet"])  # fmt: skip
    groups = quiet_verdicts.merge(verdicts, on=VERDICT_KEY)
    changed = changed_groups(quiet_verdicts, verdicts)
    group_flagged = cells.assign(flagged=flagged).groupby(GROUP_KEY)["flagged"].any().rename("any_flagged")
    changed = changed.merge(group_flagged.reset_index(), on=GROUP_KEY, how="left")
    claims = quiet_ledger.merge(ledger, on=["claim", "machine", "interpreter"], suffixes=("_quiet", ""))
    return {
        "cells disturbed": f"{int(flagged.sum())} of {len(cells)} ({100 * flagged.mean():.0f}%)",
        "rounds disturbed": f"{int(cells['disturbed_rounds'].sum())} of {int(cells['rounds'].sum())}",
        "most other work": f"{100 * cells['other_cpu_share'].max():.0f}%",
        "labels held": f"{len(groups) - len(changed)} of {len(groups)}",
        "claim verdicts held": f"{int((claims['verdict_quiet'] == claims['verdict']).sum())} of {len(claims)}",
        "cells moved": int(moved.sum()),
        "moved cells flagged": f"{int((moved & (paired['disturbed_rounds'] > 0)).sum())} of {int(moved.sum())}",
        "moved labels with a flagged cell": f"{int(changed['any_flagged'].fillna(False).sum())} of {len(changed)}",
    }


def table(named: List[Tuple[str, Path]]) -> pd.DataFrame:
    """The table, one row per run; the first (quiet) run against itself shows its own flags."""
    runs = [(name, read_run(directory)) for name, directory in named]
    quiet = runs[0][1]
    return pd.DataFrame([{"run": name, **compare(quiet, run)} for name, run in runs])


def markdown(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def named_run(text: str) -> Tuple[str, Path]:
    name, _, path = text.rpartition("=")
    return (name or Path(path).name), Path(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=named_run, metavar="[NAME=]DIR",
                        help="result trees (each holding results/): the quiet run first")  # fmt: skip
    args = parser.parse_args(argv)
    print(markdown(table(args.runs)))
    quiet = read_run(args.runs[0][1])[1]
    for name, directory in args.runs[1:]:
        print(f"\n{name}: the changed labels")
        for row in changed_groups(quiet, read_run(directory)[1]).itertuples():
            print(f"  {row.workload} w{row.workers} p{row.payload_bytes}: {row.label_quiet} {row.winner_quiet} -> "
                  f"{row.label} {row.winner}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
