"""CPU time of the whole process tree: this process, its reaped and its live descendants.

``getrusage(RUSAGE_CHILDREN)`` counts children only once they are waited for, and pool
workers live across repetitions, so live descendants are read from /proc (Linux). Their
resolution is the clock tick (usually 10 ms): good enough for batches of 0.2 s and more.

Standard library only (see ``showdown/__init__.py``).
"""

import os
import resource
from typing import Dict, Iterator, Tuple

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROC = "/proc"


def _proc_stats() -> Iterator[Tuple[int, int, float, float]]:
    """(pid, ppid, user seconds, system seconds) of every process /proc shows."""
    for entry in os.listdir(_PROC):
        if not entry.isdigit():
            continue
        try:
            with open(f"{_PROC}/{entry}/stat", "rb") as handle:
                raw = handle.read()
        except OSError:
            continue  # exited while we looked
        # The command name may hold spaces and parentheses: split after the last ')'.
        fields = raw[raw.rindex(b")") + 2 :].split()
        yield int(entry), int(fields[1]), int(fields[11]) / _TICK, int(fields[12]) / _TICK


def live_descendants_cpu() -> Tuple[float, float]:
    """User and system seconds of the live descendants of this process (0 off Linux)."""
    if not os.path.isdir(_PROC):
        return 0.0, 0.0
    stats = list(_proc_stats())
    children: Dict[int, list] = {}
    for pid, ppid, user, system in stats:
        children.setdefault(ppid, []).append((pid, user, system))
    user_total = system_total = 0.0
    pending = [os.getpid()]
    while pending:
        for pid, user, system in children.get(pending.pop(), ()):
            user_total += user
            system_total += system
            pending.append(pid)
    return user_total, system_total


def tree_cpu() -> Tuple[float, float]:
    """User and system seconds consumed so far by this process tree."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    live_user, live_system = live_descendants_cpu()
    return (
        own.ru_utime + reaped.ru_utime + live_user,
        own.ru_stime + reaped.ru_stime + live_system,
    )
