"""Do the verdicts decide? Two finished default sweeps, every figure of "Verdicts that decide".

    python benchmarks/resolving_power.py RUN1 RUN2 [--bare NOISE.tsv]

RUN1 and RUN2 are folders holding a finished sweep's ``results/`` (the default config, run back to
back). Prints, per run: the share of model-level comparisons decided (a win, or equivalent within
the declared margin; target >= 80%), how many of the rest a family answers (families.tsv: every
member beats every model outside it, the members undecided among themselves), and the largest
wall-time margin they were judged at (<= 5%);
the measuring time (first job's start to last job's end, from the round files; target <= 10
minutes, the median of the two); then the claims: every verdict equal between the runs
("undecided" in both is not a decided claim), and the three named claims supported in both; then
cpu_gil_released and cpu_pure at workers = cores: the cell's speedup over serial and round spread,
beside the bare script's where ``--bare`` gives the table ``benchmarks/harness_noise.py --tsv`` wrote
(targets: speedup within 10%, spread within 1.5x), and start-up's time per start.

For each undecided comparison it also prints what would decide it if its pairs kept their
point and round spread: the rounds each pair's 95% interval needs to clear the margin line
nearest its point (inside the band: equivalent; beyond it: a win), and what those rounds of
the whole work group would cost in jobs. A point on the line needs any number of rounds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from showdown.stats import band
from showdown.sweep.matrix import WORK_GROUP
from showdown.sweep.rounds import round_seconds
from showdown.vocabulary import GROUP_KEY

DECIDED = ("win", "equivalent")
NAMED_CLAIMS = ("processes_win_cpu_bound", "gil_released_except_in_few_cases", "asyncio_lighter_io_many_connections")


def comparisons(run: Path) -> pd.DataFrame:
    verdicts = pd.read_csv(run / "results/stats/verdicts.tsv", sep="\t")
    return verdicts[verdicts["n_models"].fillna(0) >= 2]


def family_answers(run: Path, table: pd.DataFrame) -> pd.Series:
    """Per comparison undecided between models: the family that wins it (every member beats every
    model outside it), where one does (families.tsv); the guide answers at that level first."""
    families = pd.read_csv(run / "results/stats/families.tsv", sep="\t")
    key = list(GROUP_KEY)
    merged = table[key].merge(families[[*key, "family"]], on=key, how="left")
    return pd.Series(merged["family"].to_numpy(), index=table.index)


def measuring_seconds(run: Path) -> float:
    """First cell job's start to the last one's end, from the round files' own clocks."""
    frames = [pd.read_parquet(p, columns=["started_at", "kernel_seconds"])
              for p in (run / "results/cells").rglob("r*.parquet")]  # fmt: skip
    jobs = pd.concat(frames).dropna(subset=["started_at"]).drop_duplicates()
    start = pd.to_datetime(jobs["started_at"], utc=True, format="ISO8601")
    end = start + pd.to_timedelta(jobs["kernel_seconds"].fillna(0), unit="s")
    return (end.max() - start.min()).total_seconds()


ROUNDS_SEARCHED = 200


def rounds_to_decide(ratio: float, spread: float, margin: float) -> float:
    """Rounds a pair's two-sided 95% t-interval needs to clear the margin line nearest its
    point, were its point and round spread to hold; inf beyond ROUNDS_SEARCHED."""
    gap = abs(abs(np.log(ratio)) - band(margin))
    rounds = np.arange(3, ROUNDS_SEARCHED + 1)
    clear = scipy_stats.t.ppf(0.975, rounds - 1) * spread / np.sqrt(rounds) < gap
    return int(rounds[clear.argmax()]) if clear.any() else np.inf


def round_costs(run: Path) -> pd.Series:
    """Seconds of jobs one round of each work group costs, the median over its rounds (the
    plan's own reckoning): extra rounds go to a whole work group."""
    columns = [*WORK_GROUP, "model", "workers", "round", "kernel_seconds"]
    frames = [pd.read_parquet(p, columns=columns) for p in (run / "results/cells").rglob("r*.parquet")]
    return round_seconds(pd.concat(frames)).groupby(level=WORK_GROUP).median()


def what_would_decide(run: Path, undecided: pd.DataFrame) -> list[str]:
    """Per undecided comparison: its slowest pair to decide, and the rounds and job seconds."""
    pairs = pd.read_csv(run / "results/stats/pairs.tsv", sep="\t")
    costs = round_costs(run)
    lines = []
    for row in undecided.itertuples():
        mine = pairs.merge(pd.DataFrame([{k: getattr(row, k) for k in GROUP_KEY}]), on=list(GROUP_KEY))
        if mine.empty:
            continue
        need = [rounds_to_decide(p.ratio, p.round_spread, row.margin) for p in mine.itertuples()]
        worst = mine.iloc[int(np.argmax(need))]
        rounds = max(need)
        cost = costs.get(tuple(getattr(row, k) for k in WORK_GROUP), np.nan)
        if np.isfinite(rounds):
            more = max(rounds - int(worst["rounds"]), 0)
            text = f"{rounds:.0f} rounds (now {worst['rounds']}): {more * cost:.0f} s more of jobs"
        else:
            text = f"more than {ROUNDS_SEARCHED} rounds: its point lies on the margin line"
        lines.append(f"    to decide {row.workload} w{row.workers} p{row.payload_bytes}: {worst['model_a']}/{worst['model_b']} "
                     f"{worst['ratio']:.3f}, round spread {worst['round_spread']:.3f}, needs {text}")  # fmt: skip
    return lines


def cores_cells(run: Path) -> pd.DataFrame:
    cells = pd.read_csv(run / "results/aggregate/cells.tsv", sep="\t")
    cores = cells["logical_cpus"].max()
    chosen = cells[cells["workload"].isin(["cpu_gil_released", "cpu_pure"]) & (cells["workers"] == cores)]
    return chosen[["workload", "model", "workers", "speedup", "speedup_ci_low", "speedup_ci_high", "round_spread"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs=2, type=Path)
    parser.add_argument("--bare", type=Path, help="benchmarks/harness_noise.py's --tsv table")
    args = parser.parse_args()
    seconds = []
    for run in args.runs:
        table = comparisons(run)
        decided = table["label"].isin(DECIDED)
        seconds.append(measuring_seconds(run))
        print(f"{run}: {int(decided.sum())} of {len(table)} comparisons decided ({decided.mean():.0%}; target >= 80%): "
              f"{int((table['label'] == 'win').sum())} wins, {int((table['label'] == 'equivalent').sum())} equivalent; "
              f"largest wall margin {table['margin'].max():.0%} (<= 5%); measuring {seconds[-1]:.0f} s")  # fmt: skip
        family = family_answers(run, table)
        by_family = ~decided & family.notna()
        print(f"    of the undecided, {int(by_family.sum())} answered at the family level (a family wins, its "
              f"members undecided among themselves): {int((decided | by_family).sum())} of {len(table)} "
              f"({(decided | by_family).mean():.0%}) with those")  # fmt: skip
        for row in table[~decided].itertuples():
            answer = f" (family level: {family[row.Index]} wins)" if by_family[row.Index] else ""
            print(f"    undecided: {row.workload} w{row.workers} p{row.payload_bytes}: {row.note}{answer}")
        for line in what_would_decide(run, table[~decided]):
            print(line)
    print(f"measuring time, median of the two: {sorted(seconds)[0] / 2 + sorted(seconds)[1] / 2:.0f} s (<= 600 s)")

    ledgers = [pd.read_csv(run / "results/claims/ledger.tsv", sep="\t").set_index(["claim", "machine", "interpreter"])
               for run in args.runs]  # fmt: skip
    both = ledgers[0][["verdict"]].merge(
        ledgers[1][["verdict"]], how="outer", left_index=True, right_index=True, suffixes=("_1", "_2")
    )
    measured = both[(both["verdict_1"] != "not measured") | (both["verdict_2"] != "not measured")]
    equal = (measured["verdict_1"] == measured["verdict_2"]) & (measured["verdict_1"] != "undecided")
    print(f"claim verdicts equal and decided in both runs: {int(equal.sum())} of {len(measured)} (target: all)")
    for key, row in measured[~equal].iterrows():
        print(f"    {key[0]}: {row['verdict_1']} / {row['verdict_2']}")
    for claim in NAMED_CLAIMS:
        verdicts = [ledger.xs(claim, level="claim")["verdict"].tolist() for ledger in ledgers]
        print(f"    {claim}: {verdicts[0]} / {verdicts[1]} (target: supported in both)")

    bare = {}
    if args.bare:
        noise = pd.read_csv(args.bare, sep="\t")
        for row in noise[noise["source"] == "bare"].itertuples():
            bare.setdefault(row.workload, {})[row.model] = {
                "speedup": row.speedup, "round_spread": row.spread, "seconds": row.level}  # fmt: skip
    for run in args.runs:
        print(f"{run}: cells at workers = cores (speedup over serial [95% CI], round spread)")
        for row in cores_cells(run).itertuples():
            line = (f"    {row.workload} {row.model} w{row.workers}: {row.speedup:.2f}x "
                    f"[{row.speedup_ci_low:.2f}, {row.speedup_ci_high:.2f}], spread {row.round_spread:.3f}")  # fmt: skip
            reference = bare.get(row.workload, {}).get(row.model)
            if reference:
                line += (f"; bare {reference['speedup']:.2f}x, spread {reference['round_spread']:.3f} "
                         f"(speedup {row.speedup / reference['speedup'] - 1:+.0%}, "
                         f"spread {row.round_spread / reference['round_spread']:.1f}x)")  # fmt: skip
            print(line)
        cells = pd.read_csv(run / "results/aggregate/cells.tsv", sep="\t")
        for row in cells[cells["workload"] == "startup"].itertuples():
            per_start = row.level_seconds * 1000
            reference = bare.get("startup", {}).get(row.model)
            extra = f"; bare {reference['seconds'] * 1000:.1f} ms" if reference else ""
            print(f"    startup {row.model} w{row.workers}: {per_start:.1f} ms per start{extra}")


if __name__ == "__main__":
    main()
