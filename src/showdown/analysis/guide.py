"""Kinds of work, and which model wins each: the guide a reader looks up first.

A reader asks "for my kind of work, which model, by how much?". The verdicts answer per
comparison group (workload, payload, workers); :data:`KINDS_OF_WORK` says once which
groups make up each kind of work a reader would name, and :func:`outcomes` turns the
verdicts of a kind of work into phrases: the winner with its factor over the runner-up,
"equivalent within +-m: A, B" where every pair's interval lay inside the margin, "undecided" with the candidates.
Every row reads in words: a user's own function is "your function <its label>", and a
workload outside the entries' bounds is what the kernel catalogue says its kind does, so the
guide covers every sweep.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from ..display import family
from ..kernel import WORKLOADS, size_label
from ..stats import margin_text
from ..vocabulary import ALL_FAILED, EQUIVALENT, NO_CONTEST, NOT_MEASURED, UNDECIDED, WIN

SETTING_KEY = ["machine", "interpreter"]
# The guide's first column; every other column is one setting (machine · interpreter).
GUIDE_ROW = "kind of work"


@dataclass(frozen=True)
class KindOfWork:
    """A reader's kind of work: the comparison groups of one workload kind within bounds."""

    name: str
    kind: str  # the kernel catalogue's workload kind
    workers_min: int | None = None
    workers_max: int | None = None
    payload_bytes_above: int | None = None
    payload_bytes_at_most: int | None = None
    # Whether the group's models are processes (its fastest model's family): messages
    # between processes move every byte, within one process they pass a reference.
    between_processes: bool | None = None

    def covers(self, kind: str, workers: int, payload_bytes: int, between_processes: bool | None = None) -> bool:
        return (
            kind == self.kind
            and (self.workers_min is None or workers >= self.workers_min)
            and (self.workers_max is None or workers <= self.workers_max)
            and (self.payload_bytes_above is None or payload_bytes > self.payload_bytes_above)
            and (self.payload_bytes_at_most is None or payload_bytes <= self.payload_bytes_at_most)
            and (self.between_processes is None or between_processes == self.between_processes)
        )


# In the guide's order. Bounds follow the claims: hashlib releases the GIL above 2 KiB only
# (the kernel catalogue's cpu_gil_released), "few connections" is the claims' <= 16
# workers and "many" starts where the default sweep's io_net_many does.
KINDS_OF_WORK = (
    KindOfWork("pure-Python CPU", "cpu_pure"),
    KindOfWork("GIL-releasing C code", "cpu_gil_released", payload_bytes_above=2 << 10),
    KindOfWork(
        "C code that holds the GIL (hashlib on 2 KiB or less)", "cpu_gil_released", payload_bytes_at_most=2 << 10
    ),
    KindOfWork("slow I/O, few connections", "io_net", workers_max=16),
    KindOfWork("slow I/O, many connections", "io_net", workers_min=64),
    KindOfWork("disk I/O", "io_disk"),
    KindOfWork("waiting (sleep) in every task", "io_sleep"),
    KindOfWork("tiny tasks where start-up dominates", "startup"),
    KindOfWork("shared-object updates", "shared_objects"),
    KindOfWork("messages between threads or coroutines of one process", "ipc_transfer", between_processes=False),
    KindOfWork("messages between processes", "ipc_transfer", between_processes=True),
    KindOfWork("one counter updated by every worker under a lock", "lock_contention"),
    KindOfWork("waking another worker (a token passed back and forth)", "switch_latency"),
)
# The user's own function: named by the reader's own words for it, its workload label.
USER_KIND = "callable"


def kind_of_work(
    workload: str, kind: str, workers: int, payload_bytes: int, between_processes: bool | None = None
) -> str:
    """The reader's name for a comparison group's work: an entry's, the user's function by
    its label, else what the kernel catalogue says the kind does."""
    for entry in KINDS_OF_WORK:
        if entry.covers(kind, workers, payload_bytes, between_processes):
            return entry.name
    if kind == USER_KIND:
        return f"your function {workload}"
    return WORKLOADS[kind].description if kind in WORKLOADS else workload


def version_rows(versions: dict[str, str]) -> dict[str, str]:
    """Workload -> its row when the config pairs versions of one function (``versions_of``):
    one row naming them side by side, e.g. "fetch: fetch vs fetch_sync"."""
    members: dict[str, list[str]] = {}
    for workload, name in versions.items():
        members.setdefault(name, []).append(workload)
    return {
        workload: f"{versions[workload]}: {' vs '.join(sorted(members[versions[workload]]))}" for workload in versions
    }


def with_kind_of_work(
    verdicts: pd.DataFrame, kinds: pd.DataFrame, versions: dict[str, str] | None = None
) -> pd.DataFrame:
    """The verdicts with their workload kind (from ``kinds``: workload, kind) and kind of work.

    Verdicts are per workload; a workload's kind is in the cells table. A workload with no
    kind there (every cell failed before it was recorded) counts as its own kind. Versions
    of one function (``versions``: workload -> versions_of) share one kind of work, where
    each answer names its version.
    """
    kind_of = kinds.drop_duplicates("workload").set_index("workload")["kind"]
    table = verdicts.assign(kind=verdicts["workload"].map(kind_of).fillna(verdicts["workload"]))
    paired = version_rows(versions or {})
    table["kind_of_work"] = [
        paired.get(row.workload)
        or kind_of_work(row.workload, row.kind, int(row.workers), int(row.payload_bytes), _between_processes(row))
        for row in table.itertuples()
    ]
    return table


def _between_processes(verdict) -> bool | None:
    """Whether a group's models are processes, read from its fastest model (None: none ran)."""
    fastest = getattr(verdict, "fastest", None)
    return family(fastest) == "processes" if isinstance(fastest, str) else None


def work_order(names: Iterable[str]) -> list[str]:
    """The entries' kinds of work in their order, then the others by name."""
    known = [entry.name for entry in KINDS_OF_WORK]
    names = set(names)
    return [n for n in known if n in names] + sorted(names - set(known))


def factor(ratio: float) -> float:
    """How many times faster the fastest model ran than the runner-up (ratio is fastest/runner-up)."""
    return 1 / ratio


def _candidates(verdict) -> str:
    return ", ".join(verdict.unbeaten.split(",")) if isinstance(verdict.unbeaten, str) else ""


def with_families(verdicts: pd.DataFrame, families: pd.DataFrame) -> pd.DataFrame:
    """The verdicts with the family that won each group, if one did (``family_*`` columns)."""
    key = [c for c in verdicts.columns if c in ("machine", "interpreter", "config_hash", "workload",
                                                   "payload_bytes", "workers")]  # fmt: skip
    winners = families[families["label"] == WIN].drop(columns="label").drop_duplicates(key)
    renamed = winners.rename(columns={c: f"family_{c}" for c in winners.columns if c not in key and c != "family"})
    return verdicts.merge(renamed, on=key, how="left")


def _family_outcome(verdict, *, with_interval: bool) -> str:
    """The winning family first, the members it holds, then how they compare among themselves."""
    members = verdict.family_members.split(",")
    text = (f"{verdict.family} ({', '.join(members)}): {factor(verdict.family_ratio):.2f}x faster than "
            f"{verdict.family_strongest_outside}")  # fmt: skip
    if with_interval:
        text += f" [{factor(verdict.family_ci_high):.2f}, {factor(verdict.family_ci_low):.2f}] (its weakest member)"
    within = verdict.family_within_label
    if within == WIN:
        text += f"; between them: {verdict.family_within_winner} fastest"
    elif within == EQUIVALENT:
        text += f"; between them: equivalent within {margin_text(verdict.family_margin)}"
    else:
        text += "; between them: undecided"
    return text


def outcome(verdict, *, with_interval: bool) -> str:
    """One comparison group's answer in words; ``with_interval`` adds the 95% CI and the note.

    Where a family of two or more models won the group, its answer comes first: a user picks
    the kind of worker before the member."""
    members = getattr(verdict, "family_members", None)
    if isinstance(members, str) and "," in members:
        return _family_outcome(verdict, with_interval=with_interval)
    if verdict.label == WIN:
        text = f"{verdict.winner} {factor(verdict.ratio_to_runner_up):.2f}x faster than {verdict.runner_up}"
        if with_interval:
            text += f" [{factor(verdict.ci_high):.2f}, {factor(verdict.ci_low):.2f}]"
        return text
    if verdict.label == EQUIVALENT:
        text = f"equivalent within {margin_text(verdict.margin)}: {_candidates(verdict)}"
        if with_interval and verdict.ci_high < 1:
            # Inside the margin and clear of 1: which one is faster, by less than the margin.
            low, high = 100 * (1 / verdict.ci_high - 1), 100 * (1 / verdict.ci_low - 1)
            text += f" ({verdict.fastest} {low:.0f}-{high:.0f}% faster than {verdict.runner_up})"
        return text
    if verdict.label == UNDECIDED:
        text = f"undecided between {_candidates(verdict)}" if _candidates(verdict) else "undecided"
        if with_interval and isinstance(verdict.runner_up, str):
            text += (
                f" (fastest {verdict.fastest}, {factor(verdict.ratio_to_runner_up):.2f}x faster than "
                f"{verdict.runner_up} [{factor(verdict.ci_high):.2f}, {factor(verdict.ci_low):.2f}])"
            )
        if with_interval and isinstance(verdict.note, str) and verdict.note:
            text += f": {verdict.note}"
        return text
    if verdict.label == NO_CONTEST:
        return f"only {verdict.fastest} measured"
    if verdict.label == ALL_FAILED:
        return "every cell failed"
    return str(verdict.label)


def _where(verdict, varies: set[str]) -> str:
    """Where a group was measured, naming only what varies within its kind of work."""
    parts = []
    if "workload" in varies:
        parts.append(verdict.workload)
    if "payload_bytes" in varies:
        parts.append(size_label(int(verdict.payload_bytes)))
    parts.append(f"{int(verdict.workers)} workers")
    return ", ".join(parts)


def _flags(verdict) -> str:
    """Flags beside a label (noisy, harness-bound, ...): shown as they come, never judged here."""
    flags = getattr(verdict, "flags", None)
    return f" [flags: {flags}]" if isinstance(flags, str) and flags else ""


def outcomes(groups: pd.DataFrame, *, with_interval: bool) -> str:
    """The answers of one kind of work in one setting, each with where it holds.

    Groups with the same answer (same label and winner, or the same candidates) are
    merged into one phrase listing where they were measured; without intervals the
    factors of merged wins read as a range.
    """
    groups = groups.sort_values(["workload", "payload_bytes", "workers"])
    varies = {column for column in ("workload", "payload_bytes") if groups[column].nunique() > 1}
    if with_interval:
        return "; ".join(
            f"{outcome(v, with_interval=True)}{_flags(v)} at {_where(v, varies)}" for v in groups.itertuples()
        )
    phrases: dict[tuple, list] = {}
    for verdict in groups.itertuples():
        answer = (verdict.label, verdict.winner if verdict.label == WIN else _candidates(verdict))
        if isinstance(getattr(verdict, "family_members", None), str) and "," in verdict.family_members:
            answer = ("family", (verdict.family_members, verdict.family_within_label))
        phrases.setdefault(answer, []).append(verdict)
    texts = []
    for (label, _), merged in phrases.items():
        first = merged[0]
        text = outcome(first, with_interval=False)
        if label == "family" and len(merged) > 1:
            factors = sorted(factor(v.family_ratio) for v in merged)
            text = text.replace(f"{factor(first.family_ratio):.2f}x", f"{factors[0]:.2f}-{factors[-1]:.2f}x", 1)
        if label == WIN and len(merged) > 1:
            factors = sorted(factor(v.ratio_to_runner_up) for v in merged)
            runners = ", ".join(dict.fromkeys(v.runner_up for v in merged))
            text = f"{first.winner} {factors[0]:.2f}-{factors[-1]:.2f}x faster than {runners}"
        if len(phrases) > 1 or len(groups) > 1:
            text += f" ({'; '.join(_where(v, varies) for v in merged)})"
        texts.append(text)
    return "; ".join(texts)


def setting_name(machine: str, interpreter: str) -> str:
    return f"{machine} · {interpreter}"


def notes_for(notes: pd.DataFrame | None, groups: pd.DataFrame) -> list[str]:
    """The notes on the user's functions of some comparison groups, all of one setting
    (user_workloads.own_thread_notes)."""
    if notes is None or notes.empty or groups.empty:
        return []
    machine, interpreter = groups.iloc[0]["machine"], groups.iloc[0]["interpreter"]
    here = (
        (notes["machine"] == machine)
        & (notes["interpreter"] == interpreter)
        & notes["workload"].isin(set(groups["workload"]))
    )
    return list(notes.loc[here, "note"])


def guide(verdicts: pd.DataFrame, notes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Which model for my work: kinds of work (rows) by setting (columns), one answer per cell.

    ``verdicts`` carries ``kind_of_work`` (:func:`with_kind_of_work`). A kind of work not
    measured in a setting reads "not measured" there. ``notes`` (machine, interpreter,
    workload, note) follow the answer of a user's function: its own threads, and how the
    best model with its library's threads limited compares with the default.
    """
    settings = verdicts[SETTING_KEY].drop_duplicates().sort_values(SETTING_KEY)
    columns = [setting_name(*setting) for setting in settings.itertuples(index=False)]
    rows = []
    for work in work_order(verdicts["kind_of_work"]):
        row = {GUIDE_ROW: work}
        for setting, column in zip(settings.itertuples(index=False), columns):
            groups = verdicts[
                (verdicts["kind_of_work"] == work)
                & (verdicts["machine"] == setting.machine)
                & (verdicts["interpreter"] == setting.interpreter)
            ]
            row[column] = outcomes(groups, with_interval=False) if len(groups) else NOT_MEASURED
            extra = notes_for(notes, groups)
            if extra:
                row[column] += ". " + ". ".join(extra)
        rows.append(row)
    return pd.DataFrame(rows, columns=[GUIDE_ROW, *columns])
