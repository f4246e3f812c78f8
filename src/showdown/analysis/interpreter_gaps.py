"""How far threads and subinterpreters are from processes under each interpreter.

Per (machine, interpreter, workload, payload, workers): the round-blocked time ratio of
threads, and of subinterpreters, to a process model, with the CI of
:func:`showdown.stats.ratio_ci`. The interpreters figure draws this table.
"""

from __future__ import annotations

import pandas as pd

from ..stats import ratio_ci

THREADS, SUBINTERPRETERS = "threads", "subinterpreters"
# The process model the gaps are measured against, in order of preference.
PROCESS_REFERENCES = ("processes-fork", "processes-forkserver", "processes-spawn")
KEY = ["machine", "interpreter", "workload", "kind", "payload_bytes", "workers"]
COLUMNS = [*KEY, "model", "versus", "ratio", "ci_low", "ci_high"]


def interpreter_gaps(samples: pd.DataFrame) -> pd.DataFrame:
    """Time ratios threads / processes and subinterpreters / processes, with their CIs.

    Below 1: faster than processes. The process model is the first of
    :data:`PROCESS_REFERENCES` measured beside the model; its name is in ``versus``.
    """
    measured = samples[samples["measured"].astype(bool)] if not samples.empty else samples
    if measured.empty:
        return pd.DataFrame(columns=COLUMNS)
    records = []
    for values, group in measured.groupby(KEY):
        rounds = {
            model: {r: g["wall_seconds"].to_numpy() for r, g in rows.groupby("round")}
            for model, rows in group.groupby("model")
        }
        reference = next((m for m in PROCESS_REFERENCES if m in rounds), None)
        if reference is None:
            continue
        for model in (THREADS, SUBINTERPRETERS):
            if model in rounds:
                ratio, low, high = ratio_ci(rounds[model], rounds[reference])
                records.append({**dict(zip(KEY, values)), "model": model, "versus": reference,
                                "ratio": ratio, "ci_low": low, "ci_high": high})  # fmt: skip
    return pd.DataFrame(records, columns=COLUMNS)


def write_interpreter_gaps(samples_parquet: str, gaps_tsv: str) -> pd.DataFrame:
    """The compare_interpreters rule: the gaps of every work, as a TSV."""
    gaps = interpreter_gaps(pd.read_parquet(samples_parquet))
    gaps.to_csv(gaps_tsv, sep="\t", index=False)
    return gaps
