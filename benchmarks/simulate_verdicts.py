"""How often the decision procedure calls false wins, and how often its intervals cover.

Simulates A/A pairs (two labels, one true time) whose repetitions share a job effect, as
on these machines: a round is one job per cell, its repetitions run in one phase of the
machine, and a phase that all cells of a round share moves them together. Each setting
(rounds x repetitions x the between-job share of the variance) is run through the real
code (``showdown.stats.aa_control``, the full win rule) and, for comparison, through the
two alternatives the issue named: a two-stage bootstrap (rounds, then repetitions within
them; Kalibera & Jones) and the former per-repetition view (every repetition taken as
independent, a Welch interval on the logs). It prints the false-win rate and how often
the 95% interval of the ratio covered the truth (1), then the power: how often a real
difference of a given size is called a win.

Then the whole procedure with extra rounds (``showdown.sweep.rounds.doubt``: after the base
rounds, a pair whose interval is too wide to decide at the margin gets another round, up to
the maximum, by the interval's width alone): false wins, coverage and the share of real
differences decided (a win, or equivalent within the margin) with and without them.

Targets: false wins <= 5% and coverage >= 93% at every setting, extra rounds included.

    python benchmarks/simulate_verdicts.py [--pairs 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from showdown import stats
from showdown.sweep.rounds import doubt

# Log-scale spread of one repetition (about 10%, a typical cell here) and of the machine
# phase that all cells of a round share (pairing by round removes it).
TOTAL_SD = 0.10
PHASE_SD = 0.20
MARGIN = 0.05
ALPHA = 0.05
SETTINGS = [  # (rounds, repetitions, between-job share of the variance)
    *((5, 2, share) for share in (0.0, 0.2, 0.42, 0.6, 0.8)),
    (3, 3, 0.42),
    (3, 3, 0.5),
    (3, 2, 0.42),
    (4, 2, 0.42),
    (6, 2, 0.42),
    (8, 2, 0.42),
    (5, 3, 0.42),
]


def simulate(pairs: int, rounds: int, reps: int, share: float, ratio: float, rng) -> pd.DataFrame:
    """Samples of ``pairs`` comparison groups of two models, B ``ratio`` times A's time."""
    job_sd, rep_sd = TOTAL_SD * math.sqrt(share), TOTAL_SD * math.sqrt(1 - share)
    phase = rng.normal(0, PHASE_SD, (pairs, 1, rounds, 1))
    job = rng.normal(0, job_sd, (pairs, 2, rounds, 1))
    rep = rng.normal(0, rep_sd, (pairs, 2, rounds, reps))
    level = np.log([1.0, ratio]).reshape(1, 2, 1, 1)
    walls = np.exp(level + phase + job + rep)
    p, m, r, k = np.indices(walls.shape)
    return pd.DataFrame({
        "machine": "sim", "interpreter": "sim", "config_hash": "sim", "workload": "sim", "kind": "sim",
        "payload_bytes": p.ravel(), "workers": 2, "model": np.where(m.ravel() == 0, "threads", "threads.aa"),
        "round": r.ravel() + 1, "wall_seconds": walls.ravel(),
    })  # fmt: skip


def with_extra_rounds(samples: pd.DataFrame, base: int, most: int) -> pd.DataFrame:
    """The samples each pair keeps when the planner's rule grants extra rounds: after each round
    from ``base`` on, a pair whose doubt is above 1 gets the next round, up to ``most``."""
    samples = samples.assign(status="ok", warmup=False)
    kept = pd.Series(base, index=np.unique(samples["payload_bytes"]))
    for round_ in range(base, most):
        going = kept.index[kept == round_]
        now = samples[samples["payload_bytes"].isin(going) & (samples["round"] <= round_)]
        doubts = doubt(now, alpha=ALPHA, margin=MARGIN).set_index("payload_bytes")["doubt"]
        kept.loc[doubts.index[doubts > 1]] += 1
    return samples[samples["round"] <= samples["payload_bytes"].map(kept)]


def round_level(samples: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The pipeline's own rule on every pair: called different, interval covers 1."""
    aa = stats.aa_control(samples, alpha=ALPHA, margin=MARGIN)
    return aa["called_different"].to_numpy(bool), ((aa["ci_low"] <= 1) & (aa["ci_high"] >= 1)).to_numpy(bool)


def _logs(samples: pd.DataFrame, rounds: int, reps: int) -> np.ndarray:
    """Log walls as (pairs, model, round, repetition)."""
    ordered = samples.sort_values(["payload_bytes", "model", "round"], kind="stable")
    return np.log(ordered["wall_seconds"].to_numpy()).reshape(-1, 2, rounds, reps)


def _called(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The win rule on a log-ratio interval: wholly beyond the margin, either way."""
    delta = stats.band(MARGIN)
    return (high < -delta) | (low > delta)


def bootstrap(samples, rounds, reps, rng, *, two_stage: bool, resamples=1000) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of the mean over rounds of the log ratio of round medians.

    Two-stage: resample rounds, then repetitions within each (Kalibera & Jones). One
    stage: repetitions within each round only, every round kept: the former rule, which
    treats the repetitions of one job as independent.
    """
    logs = _logs(samples, rounds, reps)
    pairs = logs.shape[0]
    out_low, out_high = np.empty(pairs), np.empty(pairs)
    for start in range(0, pairs, 200):  # chunks bound the working arrays
        chunk = logs[start : start + 200]
        n = chunk.shape[0]
        pick_round = (
            rng.integers(0, rounds, (n, resamples, rounds)) if two_stage
            else np.broadcast_to(np.arange(rounds), (n, resamples, rounds))
        )  # fmt: skip
        pick_rep = rng.integers(0, reps, (n, 2, resamples, rounds, reps))
        rows = np.arange(n)[:, None, None, None, None]
        model = np.arange(2)[None, :, None, None, None]
        chosen = chunk[rows, model, pick_round[:, None, :, :, None], pick_rep]
        medians = np.median(chosen, axis=-1)  # (n, 2, resamples, rounds)
        d = (medians[:, 0] - medians[:, 1]).mean(axis=-1)
        low, high = np.quantile(d, [0.025, 0.975], axis=1)
        out_low[start : start + n], out_high[start : start + n] = low, high
    return _called(out_low, out_high), (out_low <= 0) & (out_high >= 0)


def wilson(k: int, n: int) -> str:
    interval = scipy_stats.binomtest(k, n).proportion_ci(method="wilson")
    return f"{k / n:6.1%} [{interval.low:5.1%}, {interval.high:5.1%}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000, help="A/A pairs per setting (default 2000)")
    parser.add_argument("--bootstrap-pairs", type=int, default=500, help="pairs for the slower bootstrap")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    print(f"A/A pairs: repetition sd {TOTAL_SD:.0%} (log), shared phase sd {PHASE_SD:.0%}, margin {MARGIN:.0%}, "
          f"alpha {ALPHA}; {args.pairs} pairs per setting ({args.bootstrap_pairs} for the bootstrap)")  # fmt: skip
    print("rounds reps job-share | round-level t (ours): false wins, coverage | two-stage bootstrap: false wins, "
          "coverage | within rounds only (before): false wins, coverage")  # fmt: skip
    verdict = True
    for rounds, reps, share in SETTINGS:
        samples = simulate(args.pairs, rounds, reps, share, 1.0, rng)
        called, covered = round_level(samples)
        few = samples[samples["payload_bytes"] < args.bootstrap_pairs]
        b_called, b_covered = bootstrap(few, rounds, reps, rng, two_stage=True)
        n_called, n_covered = bootstrap(few, rounds, reps, rng, two_stage=False)
        ok = called.mean() <= 0.05 and covered.mean() >= 0.93
        verdict &= ok
        print(f"{rounds:6d} {reps:4d} {share:9.2f} | {wilson(called.sum(), called.size)} "
              f"{wilson(covered.sum(), covered.size)} {'meets' if ok else 'MISSES'} | "
              f"{wilson(b_called.sum(), b_called.size)} {wilson(b_covered.sum(), b_covered.size)} | "
              f"{wilson(n_called.sum(), n_called.size)} {wilson(n_covered.sum(), n_covered.size)}")  # fmt: skip
    print("round-level t-interval meets both targets at every setting:", "yes" if verdict else "NO")

    print("\nPower: share of pairs whose faster model is called the winner (round-level rule, job share 0.42)")
    print("true ratio | " + " | ".join(f"{r} rounds x 2" for r in (3, 5, 8)))
    for ratio in (0.95, 0.90, 0.85, 0.80, 0.75, 0.60):
        cells = []
        for rounds in (3, 5, 8):
            samples = simulate(args.pairs // 2, rounds, 2, 0.42, 1 / ratio, rng)
            samples["model"] = samples["model"].str.replace("threads.aa", "processes-fork", regex=False)
            verdicts, _ = stats.verdicts(samples, alpha=ALPHA, margin=MARGIN)
            won = (verdicts["label"] == "win") & (verdicts["winner"] == "threads")
            cells.append(f"{won.mean():13.1%}")
        print(f"{ratio:10.2f} | " + " | ".join(cells))
    extra_rounds(args.pairs, rng)
    print(f"\n({time.perf_counter() - started:.0f} s)")


def extra_rounds(pairs: int, rng, base: int = 5, most: int = 8) -> None:
    """The procedure the sweep runs: base rounds, then extra ones where the doubt is."""
    print(f"\nExtra rounds where the doubt is: {base} base rounds x 2, up to {most}, job share 0.42, "
          f"{pairs} pairs per row")  # fmt: skip
    print("true ratio | rounds used (mean) | A/A: false wins, coverage | decided: win or equivalent, with / without")
    verdict = True
    for ratio in (1.0, 0.98, 0.95, 0.90, 0.85, 0.80):
        samples = simulate(pairs, most, 2, 0.42, 1 / ratio, rng)
        kept = with_extra_rounds(samples, base, most)
        used = kept.groupby("payload_bytes")["round"].max().mean()
        decided = []
        for table in (kept, samples[samples["round"] <= base]):
            named = table.assign(model=table["model"].str.replace("threads.aa", "processes-fork", regex=False))
            verdicts, _ = stats.verdicts(named, alpha=ALPHA, margin=MARGIN)
            decided.append(f"{verdicts['label'].isin(['win', 'equivalent']).mean():6.1%}")
        line = f"{ratio:10.2f} | {used:18.2f} | "
        if ratio == 1.0:
            called, covered = round_level(kept)
            ok = called.mean() <= 0.05 and covered.mean() >= 0.93
            verdict &= ok
            line += f"{wilson(called.sum(), called.size)} {wilson(covered.sum(), covered.size)} " + (
                "meets" if ok else "MISSES"
            )
        else:
            line += " " * 20
        print(line + f" | {decided[0]} / {decided[1]}")
    print("with extra rounds, false wins <= 5% and coverage >= 93%:", "yes" if verdict else "NO")


if __name__ == "__main__":
    main()
