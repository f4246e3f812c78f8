"""CPU time and memory of the whole process tree: this process and its descendants.

``getrusage(RUSAGE_CHILDREN)`` counts children only once they are waited for, and pool
workers live across repetitions, so live descendants are read from /proc (Linux). Their
resolution is the clock tick (usually 10 ms): good enough for batches of 0.2 s and more.

Standard library only (see ``showdown/__init__.py``).
"""

import os
import resource
from typing import Dict, Iterator, Tuple

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_PROC = "/proc"


def _proc_stats() -> Iterator[Tuple[int, int, float, float, int]]:
    """(pid, ppid, user seconds, system seconds, RSS bytes) of every process /proc shows."""
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
        yield (int(entry), int(fields[1]), int(fields[11]) / _TICK, int(fields[12]) / _TICK,
               int(fields[21]) * _PAGE)


def _live_tree() -> Tuple[float, float, int]:
    """User and system seconds of the live descendants, and the RSS of the whole live tree."""
    if not os.path.isdir(_PROC):
        return 0.0, 0.0, 0
    children: Dict[int, list] = {}
    own_rss = 0
    for pid, ppid, user, system, rss in _proc_stats():
        children.setdefault(ppid, []).append((pid, user, system, rss))
        if pid == os.getpid():
            own_rss = rss
    user_total = system_total = 0.0
    rss_total = own_rss
    pending = [os.getpid()]
    while pending:
        for pid, user, system, rss in children.get(pending.pop(), ()):
            user_total += user
            system_total += system
            rss_total += rss
            pending.append(pid)
    return user_total, system_total, rss_total


def tree_usage() -> Tuple[float, float, int]:
    """User and system seconds consumed so far by this process tree, and its RSS now.

    The RSS is a sum over processes, so pages shared after a fork count once per process,
    as the operating system's own per-process figures do; USS/PSS are sampled from outside.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    live_user, live_system, rss = _live_tree()
    return (
        own.ru_utime + reaped.ru_utime + live_user,
        own.ru_stime + reaped.ru_stime + live_system,
        rss,
    )
