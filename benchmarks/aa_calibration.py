"""The A/A calibration: each workload kind's round spread of identical cells, for config/aa.yaml.

Run the A/A sweep on a quiet machine, then print the block to record in config/aa.yaml (or in a
sweep's own config, for another machine):

    snakemake --cores all results/stats/false_win_rate.tsv --configfile config/aa.yaml
    python benchmarks/aa_calibration.py results

Prints ``aa_spread: {kind: spread, ...}``: per kind, the pooled sd over rounds of the log ratio of
an A/A pair's round medians (results/stats/aa_control.tsv), with the pairs and degrees of
freedom behind each as a comment.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from showdown import stats


def calibration(results: Path) -> pd.DataFrame:
    aa = pd.read_csv(results / "stats/aa_control.tsv", sep="\t")
    kinds = pd.read_csv(results / "aggregate/cells.tsv", sep="\t")[["workload", "kind"]].drop_duplicates("workload")
    return stats.noise_by_kind(aa.merge(kinds, on="workload"), {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the results folder of an A/A sweep")
    table = calibration(parser.parse_args().results)
    print("aa_spread:")
    for row in table.itertuples():
        print(f"  {row.kind}: {row.round_spread:.4f}  # {row.pairs} pairs, {row.rounds_df} degrees of freedom")


if __name__ == "__main__":
    main()
