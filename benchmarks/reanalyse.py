"""The same measured sweep analysed by the code of two commits, and what changed between them.

Two new sweeps cannot show that a change kept the verdicts (the machine moves them); one
stored sweep analysed twice can. For each commit, a temporary git worktree of it runs that
commit's aggregation, comparisons and claims on the same round files; then the verdicts
(label and winner, or the older "winner"/"tie"), the columns of cells.tsv and the claim
verdicts are compared and every difference printed.

    python benchmarks/reanalyse.py RESULTS_DIR --old COMMIT [--new COMMIT] [--into DIR]

RESULTS_DIR is a sweep's results/ folder (its cells/ are read, nothing in it is written).
Round files of schema 3 are read by older commits as their own version: schema 3 changed no
column (CHANGELOG.md), only the kernel that wrote them. A commit that knows a newer schema
reads older files as `python -m showdown.cell.migrate` would (the columns added since empty).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
GROUP = ["machine", "interpreter", "workload", "payload_bytes", "workers"]
CELL = ["machine", "interpreter", "workload", "model", "workers", "payload_bytes"]

# Runs inside the commit's worktree: its own package, found on PYTHONPATH.
ANALYSE = r"""
import glob, json, sys
import showdown
cells, into, claims = sys.argv[1], sys.argv[2], sys.argv[3]
paths = sorted(glob.glob(f"{cells}/**/r*.parquet", recursive=True))
try:  # the package laid out as the pipeline
    from showdown.analysis import write_aggregate, write_comparisons, write_ledger
    from showdown.cell import record
    layout = "stages"
except ImportError:  # the flat package before it
    from showdown.aggregate import write_aggregate
    from showdown.compare import write_comparisons
    from showdown.claims import write_ledger
    from showdown import record
    layout = "flat"
version = max(__import__("pyarrow.parquet").parquet.read_table(p, columns=["schema_version"]).column(0)[0].as_py()
              for p in paths[:1])
if version < record.SCHEMA_VERSION and hasattr(record, "migrate_table"):
    # A commit that can carry older files forward reads them as its migrate does (new columns empty).
    def read_round_file(path):
        return record.migrate_table(__import__("pyarrow.parquet").parquet.read_table(path), version)
    record.read_round_file = read_round_file
else:
    record.SCHEMA_VERSION = version  # schema 3 changed no column
import inspect
def call(function, *args, **options):
    accepted = inspect.signature(function).parameters
    return function(*args, **{k: v for k, v in options.items() if k in accepted})
common = dict(alpha=0.05, margin=0.05, n_boot=2000, seed=20261125)
try:  # the A/A spread a run's noise is checked against: that commit's own calibration
    from showdown.sweep import load_aa_spread
    aa_spread = load_aa_spread(claims.replace("claims.yaml", "aa.yaml"))
except (ImportError, OSError):
    aa_spread = {}
call(write_aggregate, paths, samples_out=f"{into}/samples.parquet", cells_out=f"{into}/cells.tsv",
     failed_out=f"{into}/failed.tsv", noisy_out=f"{into}/noisy.tsv", memory_out=f"{into}/memory_slopes.tsv",
     slow_phase_factor=1.3, precision=0.03, **common)
call(write_comparisons, f"{into}/samples.parquet", verdicts_tsv=f"{into}/verdicts.tsv",
     verdicts_parquet=f"{into}/verdicts.parquet", pairs_tsv=f"{into}/pairs.tsv", aa_tsv=f"{into}/aa.tsv",
     false_win_tsv=f"{into}/false_win.tsv", noise_by_kind_tsv=f"{into}/noise_by_kind.tsv",
     families_tsv=f"{into}/families.tsv", aa_spread=aa_spread, **common)
ledger = dict(ledger_tsv=f"{into}/ledger.tsv", points_tsv=f"{into}/points.tsv", **common)
if "false_win_path" in inspect.signature(write_ledger).parameters:
    write_ledger(claims, f"{into}/samples.parquet", f"{into}/false_win.tsv", **{k: v for k, v in ledger.items()
                 if k in inspect.signature(write_ledger).parameters})
else:
    call(write_ledger, claims, f"{into}/samples.parquet", **ledger)
print(json.dumps({"layout": layout, "round_files": len(paths)}))
"""


def analyse(commit: str, results: Path, into: Path) -> dict:
    """Run one commit's analysis on the round files; the outputs land in ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reanalyse-") as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), commit],
                       check=True, capture_output=True)  # fmt: skip
        try:
            done = subprocess.run(
                [sys.executable, "-c", ANALYSE, str(results / "cells"), str(into), str(tree / "config/claims.yaml")],
                env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
            )  # fmt: skip
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], capture_output=True)
    if done.returncode:
        raise SystemExit(f"{commit}: the analysis failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def outcome(verdicts: pd.DataFrame) -> pd.Series:
    """One word per group whichever the vocabulary: the winner's name, or the label."""
    if "label" in verdicts:
        return verdicts["winner"].where(verdicts["label"] == "win", verdicts["label"]).fillna(verdicts["label"])
    return verdicts["winner"]


def compare(old: Path, new: Path) -> None:
    read = lambda d, name: pd.read_csv(d / name, sep="\t", keep_default_na=False, na_values=[""])  # noqa: E731
    verdicts = (
        read(old, "verdicts.tsv")
        .assign(outcome=lambda f: outcome(f))
        .merge(read(new, "verdicts.tsv").assign(outcome=lambda f: outcome(f)), on=GROUP, suffixes=("_old", "_new"))
    )
    changed = verdicts[verdicts["outcome_old"] != verdicts["outcome_new"]]
    print(f"verdicts: {len(verdicts) - len(changed)} of {len(verdicts)} groups the same")
    for row in verdicts.itertuples():
        mark = " " if row.outcome_old == row.outcome_new else "*"
        ratio = getattr(row, "ratio_to_runner_up_new", float("nan"))
        low, high = getattr(row, "ci_low_new", float("nan")), getattr(row, "ci_high_new", float("nan"))
        print(f"  {mark} {row.workload} w{row.workers} p{row.payload_bytes}: {row.outcome_old} -> {row.outcome_new}"
              f"  (fastest/runner-up {ratio:.3f} [{low:.3f}, {high:.3f}])")  # fmt: skip
    cells_old, cells_new = read(old, "cells.tsv"), read(new, "cells.tsv")
    print(
        f"cells.tsv: {len(cells_old)} and {len(cells_new)} cells; columns only before: "
        f"{sorted(set(cells_old) - set(cells_new))}; only after: {sorted(set(cells_new) - set(cells_old))}"
    )
    both = cells_old.merge(cells_new, on=CELL, suffixes=("_old", "_new"))
    for column in sorted((set(cells_old) & set(cells_new)) - set(CELL)):
        a, b = both[f"{column}_old"], both[f"{column}_new"]
        same = (a == b) | (a.isna() & b.isna())
        numeric = pd.api.types.is_numeric_dtype
        if numeric(a) and numeric(b) and not pd.api.types.is_bool_dtype(a) and not pd.api.types.is_bool_dtype(b):
            same |= (a - b).abs() <= 1e-9 * b.abs().clip(lower=1)
        if not same.all():
            print(f"  column {column}: {int((~same).sum())} of {len(both)} cells differ")
    ledgers = read(old, "ledger.tsv").merge(read(new, "ledger.tsv"), on="claim", suffixes=("_old", "_new"),
                                             how="outer")  # fmt: skip
    print("claims:")
    for row in ledgers.drop_duplicates("claim").itertuples():
        print(f"  {row.claim}: {row.verdict_old} -> {row.verdict_new}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a sweep's results/ folder")
    parser.add_argument("--old", required=True, help="the commit before")
    parser.add_argument("--new", default="HEAD", help="the commit after (default HEAD)")
    parser.add_argument("--into", type=Path, default=Path("reanalysed"))
    args = parser.parse_args()
    for name, commit in (("old", args.old), ("new", args.new)):
        info = analyse(commit, args.results.resolve(), (args.into / name).resolve())
        print(f"{name} = {commit}: {info['layout']} package, {info['round_files']} round files")
    compare(args.into / "old", args.into / "new")


if __name__ == "__main__":
    main()
