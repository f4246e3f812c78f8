"""CPU time and memory of the whole process tree: this process and its descendants.

``getrusage(RUSAGE_CHILDREN)`` counts children only once they are waited for, and pool
workers live across repetitions, so live descendants are read from /proc (Linux). Their
/proc/<pid>/stat counts clock ticks (10 ms): a worker's few milliseconds over a 40 ms batch
read as 0 or 10 ms, so io_net's processes spread 0.7x their own CPU between batches. Where
a process is one thread, its ``schedstat`` gives the same total in nanoseconds (see
:func:`_exact_seconds`).

Memory at known moments (:func:`tree_memory`): PSS and USS of every process of the tree,
from ``/proc/<pid>/smaps_rollup`` (Linux 4.14+), read by the kernel itself when it knows its
workers are alive; the supervisor's sampling from outside stays the peak.

What else ran (:func:`machine_reading`, :func:`other_cpu_share`): the machine's busy CPU
time over a batch, from the first line of ``/proc/stat`` (user, nice, system, irq, softirq and
steal: a hypervisor's other guests count, guest time is inside user), less what the measured
tree, the io_net server and the kernel's ancestors used (the cell runner with its sampler
thread, the shell, Snakemake: the harness, read from each one's ``/proc/<pid>/stat``). Ticks
of 10 ms: one batch's share is coarse (+-1 tick per CPU and edge), the analysis pools a
round's batches.

Standard library only (see ``showdown/__init__.py``).
"""

import os
import resource
import time
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_PROC = "/proc"


def _proc_stats() -> Iterator[Tuple[int, int, float, float, int, float, float]]:
    """(pid, ppid, user seconds, system seconds, RSS bytes, reaped user seconds, reaped system
    seconds) of every process /proc shows, in clock ticks.

    The reaped seconds are those of the children a process has waited for (cutime, cstime):
    the forkserver reaps the workers it forked, whose CPU would otherwise leave the tree unseen
    (and read as other work: start-up cells of forkserver read 0.5-0.6 of the machine)."""
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
        ticks = [int(field) / _TICK for field in fields[11:15]]  # utime stime cutime cstime
        yield (int(entry), int(fields[1]), ticks[0], ticks[1], int(fields[21]) * _PAGE, ticks[2], ticks[3])


def _exact_seconds(pid: int, user: float, system: float) -> Tuple[float, float]:
    """A live process's own user and system seconds, to the nanosecond where /proc allows.

    ``/proc/<pid>/schedstat`` starts with the CPU time of the process's first thread in ns.
    Linux builds stat's utime and stime from that same runtime (summed over threads), split
    by sampled ticks, then truncates each to a tick. So where the schedstat total lies within
    the truncation of the ticks' total (one thread, or the others idle), it is the total,
    split in the ticks' proportion as Linux splits it (all user when both read 0). Otherwise
    (busy threads besides the first, or exited ones), the ticks stand: never worse than them.
    """
    try:
        with open(f"{_PROC}/{pid}/schedstat", "rb") as handle:
            exact = int(handle.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return user, system
    ticks = user + system
    # Each of utime and stime drops under a tick; a third tick for the time between the reads.
    if not ticks - 1e-9 <= exact < ticks + 3 / _TICK:
        return user, system
    if system <= 0:
        return exact, 0.0
    return exact * user / ticks, exact * system / ticks


def _descendants(stats) -> Dict[int, list]:
    children: Dict[int, list] = {}
    for stat in stats:
        children.setdefault(stat[1], []).append(stat)
    return children


def _tree_pids() -> List[int]:
    """This process and every live descendant."""
    children = _descendants(_proc_stats())
    pids, pending = [], [os.getpid()]
    while pending:
        pid = pending.pop()
        pids.append(pid)
        pending.extend(child[0] for child in children.get(pid, ()))
    return pids


def _smaps_rollup(pid: int) -> Optional[Tuple[int, int]]:
    """(PSS, USS) bytes of one process, or None if it is gone or the file is missing.

    USS is the process's private pages (Private_Clean + Private_Dirty): what ending it frees.
    """
    try:
        with open(f"{_PROC}/{pid}/smaps_rollup", "rb") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = {}
    for line in text.splitlines():
        name, _, rest = line.partition(b":")
        if name in (b"Pss", b"Private_Clean", b"Private_Dirty"):
            fields[name] = int(rest.split()[0]) * 1024  # kB
    if b"Pss" not in fields:
        return None
    return fields[b"Pss"], fields.get(b"Private_Clean", 0) + fields.get(b"Private_Dirty", 0)


def tree_memory() -> Tuple[Optional[int], Optional[int], Optional[int]]:
    """PSS and USS bytes summed over this process tree, and how many processes were read.

    (None, None, None) where there is no smaps_rollup (not Linux, or Linux before 4.14).
    PSS splits a page shared by n processes as 1/n to each, so the sum over the tree counts
    every page once: a forked worker costs what it has made its own, not its parent's pages.
    """
    if not os.path.exists(f"{_PROC}/self/smaps_rollup"):
        return None, None, None
    pss = uss = processes = 0
    for pid in _tree_pids():
        read = _smaps_rollup(pid)
        if read is not None:
            pss, uss, processes = pss + read[0], uss + read[1], processes + 1
    return pss, uss, processes


def _live_tree(exclude: Sequence[int] = ()) -> Tuple[float, float, int]:
    """User and system seconds of the live descendants but those in ``exclude`` (and theirs),
    and the RSS of the whole live tree."""
    if not os.path.isdir(_PROC):
        return 0.0, 0.0, 0
    stats = list(_proc_stats())
    children = _descendants(stats)
    own_rss = next((stat[4] for stat in stats if stat[0] == os.getpid()), 0)
    user_total = system_total = 0.0
    rss_total = own_rss
    pending = [(os.getpid(), False)]
    while pending:
        parent, parent_left_out = pending.pop()
        for pid, _, user, system, rss, reaped_user, reaped_system in children.get(parent, ()):
            left_out = parent_left_out or pid in exclude
            if not left_out:
                user, system = _exact_seconds(pid, user, system)
                user_total += user + reaped_user
                system_total += system + reaped_system
            rss_total += rss
            pending.append((pid, left_out))
    return user_total, system_total, rss_total


def tree_usage(own_last: bool = False, exclude: Sequence[int] = ()) -> Tuple[float, float, int]:
    """User and system seconds consumed so far by this process tree, and its RSS now.

    The RSS is a sum over processes, so pages shared after a fork count once per process,
    as the operating system's own per-process figures do; PSS and USS are :func:`tree_memory`.
    Reading the live descendants scans every process of the machine, milliseconds of this
    process's own CPU: a reading that opens a timed window takes its own usage last
    (``own_last``), one that closes it takes it first, so the scan stays outside the window.
    ``exclude``: live processes of the harness (the io_net server), whose CPU is no part of
    the model's; they report their own, exactly, where /proc would count 10 ms ticks.
    """
    if own_last:
        live_user, live_system, rss = _live_tree(exclude)
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    if not own_last:
        live_user, live_system, rss = _live_tree(exclude)
    return (
        own.ru_utime + reaped.ru_utime + live_user,
        own.ru_stime + reaped.ru_stime + live_system,
        rss,
    )


def _machine_busy() -> Optional[Tuple[float, int]]:
    """(busy CPU seconds of the machine since boot, online CPUs), or None without /proc/stat."""
    try:
        with open(f"{_PROC}/stat", "rb") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    fields = lines[0].split()  # cpu user nice system idle iowait irq softirq steal ...
    busy = sum(int(fields[i]) for i in (1, 2, 3, 6, 7, 8) if i < len(fields))
    cpus = sum(1 for line in lines[1:] if line.startswith(b"cpu"))
    return busy / _TICK, max(cpus, 1)


def _ancestors_cpu() -> float:
    """User and system seconds of every ancestor of this process (the harness that runs it)."""
    # Their own seconds only, not what they reaped (unlike the tree's): a job that Snakemake
    # reaps beside this one is other work, not the harness.
    total, pid = 0.0, os.getppid()
    while pid > 1:
        try:
            with open(f"{_PROC}/{pid}/stat", "rb") as handle:
                raw = handle.read()
        except OSError:
            break
        fields = raw[raw.rindex(b")") + 2 :].split()
        total += (int(fields[11]) + int(fields[12])) / _TICK
        pid = int(fields[1])
    return total


def own_seconds() -> float:
    """User and system seconds of this process so far (exact, a system call)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def machine_reading(opening: bool) -> Optional[Tuple[float, int, float, float, float]]:
    """(machine busy seconds, CPUs, ancestors' seconds, this process's seconds, the clock) at
    an edge of a batch's window, taken outside the tree's CPU window (which must not pay for it).

    The window nests: ancestors, machine, this process, then the tree's reading and the
    clock inside. This process's CPU over the machine's window counts it whole, the tree's
    /proc scans at the edges included. None without /proc/stat.
    """
    if opening:
        ancestors = _ancestors_cpu()
        clock = time.perf_counter()
        machine = _machine_busy()
        own = own_seconds()
    else:
        own = own_seconds()
        machine = _machine_busy()
        clock = time.perf_counter()
        ancestors = _ancestors_cpu()
    if machine is None:
        return None
    return machine[0], machine[1], ancestors, own, clock


def other_cpu_share(before, after, measured_seconds: float) -> Optional[float]:
    """The share of the machine (0 idle, 1 every CPU) busy over the window with anything but
    this process, ``measured_seconds`` (its descendants' and the io_net server's CPU) and the
    harness.

    Not clipped at 0: tick rounding makes single batches on a quiet machine a little negative
    or positive, and the analysis pools them. None where either reading is missing.
    """
    if before is None or after is None or after[4] <= before[4]:
        return None
    busy = after[0] - before[0] - (after[2] - before[2]) - (after[3] - before[3]) - measured_seconds
    return busy / ((after[4] - before[4]) * after[1])
