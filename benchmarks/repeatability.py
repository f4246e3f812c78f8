"""Does the sweep give the same answers twice? Two full runs, compared.

Runs a sweep (default: the default sweep) twice, into two result folders, and prints the
share of comparison groups with the same label (win / equivalent / undecided) and winner,
every changed winner, the claim verdicts of both runs side by side, and the median
absolute relative difference of the cell medians. Targets: at least 95% of labels equal,
no changed winner, every claim verdict equal; median difference at most 5%.

    python benchmarks/repeatability.py [--config config/config.yaml] [--into DIR]
    python benchmarks/repeatability.py --one-round [--into DIR]  # as without rounds
    python benchmarks/repeatability.py --compare DIR_A DIR_B     # two finished runs

--one-round measures the same sweep the way a harness without interleaved rounds would:
every repetition of a cell in one job, one after the other (one round of base x
repetitions), so that a slow phase of the machine can fall on one cell's whole sample.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
VERDICT_KEY = ["machine", "interpreter", "workload", "payload_bytes", "workers"]
CELL_KEY = ["machine", "interpreter", "workload", "model", "workers", "payload_bytes"]
GROUP_KEY = ["machine", "interpreter", "workload", "workers", "payload_bytes"]


def run(config: Path, workdir: Path) -> float:
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [SNAKEMAKE, "--cores", "all", "--snakefile", str(REPO / "Snakefile"), "--configfile", str(config.resolve())],
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def one_round(config: Path, into: Path) -> Path:
    """The same sweep, its rounds' repetitions all in a single round."""
    sweep = yaml.safe_load(config.read_text())
    rounds = sweep.get("rounds", {"base": 3})
    sweep["repetitions"] = rounds["base"] * sweep.get("repetitions", 3)
    sweep["rounds"] = {"base": 1, "max": 1}
    into.mkdir(parents=True, exist_ok=True)
    derived = into / f"{config.stem}.one-round.yaml"
    derived.write_text(yaml.safe_dump(sweep, sort_keys=False))
    return derived


def relative_differences(paired: pd.DataFrame, column: str) -> pd.Series:
    both = paired.dropna(subset=[f"{column}_1", f"{column}_2"])
    return (both[f"{column}_2"] / both[f"{column}_1"] - 1).abs()


def compare(first: Path, second: Path) -> None:
    verdicts = [pd.read_csv(d / "results/stats/verdicts.tsv", sep="\t", keep_default_na=False) for d in (first, second)]
    joined = verdicts[0].merge(verdicts[1], on=VERDICT_KEY, suffixes=("_1", "_2"))
    changed = joined[(joined["label_1"] != joined["label_2"]) | (joined["winner_1"] != joined["winner_2"])]
    # A win in one run and undecided in the other sits near the margin; one winner replaced
    # by another would be a contradiction.
    swapped = changed[(changed["label_1"] == "win") & (changed["label_2"] == "win")]
    print(
        f"labels equal: {len(joined) - len(changed)} of {len(joined)} groups "
        f"({100 * (1 - len(changed) / len(joined)):.1f}%; target >= 95%); of the {len(changed)} "
        f"changed, {len(swapped)} named another winner"
    )
    for row in changed.itertuples():
        print(
            f"  changed: {row.workload} w{row.workers} p{row.payload_bytes}: "
            f"{row.label_1} {row.winner_1} -> {row.label_2} {row.winner_2}"
        )
    ledgers = [pd.read_csv(d / "results/claims/ledger.tsv", sep="\t", keep_default_na=False) for d in (first, second)]
    claims = ledgers[0].merge(ledgers[1], on=["claim", "machine", "interpreter"], suffixes=("_1", "_2"))
    same = (claims["verdict_1"] == claims["verdict_2"]).sum()
    print(f"claim verdicts equal: {same} of {len(claims)} (target: all)")
    for row in claims.itertuples():
        mark = " " if row.verdict_1 == row.verdict_2 else "*"
        print(f"  {mark} {row.claim}: {row.verdict_1} ({row.ratio_1}) / {row.verdict_2} ({row.ratio_2})")
    cells = []
    for directory in (first, second):
        table = pd.read_csv(directory / "results/aggregate/cells.tsv", sep="\t")
        group = table.groupby(GROUP_KEY)["median_seconds"]
        table["to_fastest"] = table["median_seconds"] / group.transform("min")
        cells.append(table)
    paired = cells[0].merge(cells[1], on=CELL_KEY, suffixes=("_1", "_2"))
    for column, what, target in (
        ("median_seconds", "cell medians", " (target <= 5%)"),
        ("to_fastest", "cell median / fastest model of its group, the quantity verdicts judge", ""),
        ("speedup", "speedup over serial", ""),
    ):
        difference = relative_differences(paired, column)
        print(
            f"{what}: median absolute relative difference {100 * difference.median():.1f}% "
            f"(p90 {100 * difference.quantile(0.9):.1f}%) over {len(difference)} cells{target}"
        )
    recalibrated = (paired["tasks_1"] != paired["tasks_2"]).sum()
    print(
        f"cells whose calibrated work differs between the runs: {recalibrated} of {len(paired)} "
        f"(each run calibrates anew, in whatever phase the machine is in)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml")
    parser.add_argument("--into", type=Path, default=Path("repeatability"))
    parser.add_argument("--one-round", action="store_true", help="all repetitions in one round")
    parser.add_argument("--compare", type=Path, nargs=2)
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    if args.one_round:
        args.config = one_round(args.config, args.into)
    first, second = args.into / "run1", args.into / "run2"
    for workdir in (first, second):
        print(f"{workdir}: {run(args.config, workdir):.0f} s")
    compare(first, second)


if __name__ == "__main__":
    main()
