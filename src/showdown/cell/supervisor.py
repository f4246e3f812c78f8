"""Running the kernel as a supervised process tree: a time limit, its memory, no survivors.

The kernel starts in a new session (its own process group), so on timeout the whole tree
dies with one signal. A sampler thread watches the tree from outside (psutil) for its
peak memory and remembers every process it saw, so that processes which outlive the
kernel (leaked on purpose or by a bug) are found, killed and counted.
"""

import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set, Tuple

import psutil

SAMPLE_SECONDS = 0.1  # 10 Hz: about 1% of a core here; finer sampling disturbs 2-core machines
# USS/PSS read smaps, dearer than RSS: every sample while the tree is small, every 5th
# sample of a large tree (hundreds of processes would cost the measured cell a core).
FULL_MEMORY_EVERY = 5
SMALL_TREE = 16
STDERR_TAIL_LINES = 20


@dataclass
class Outcome:
    returncode: Optional[int]
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float
    peak_rss_bytes: Optional[int]
    peak_uss_bytes: Optional[int]
    peak_pss_bytes: Optional[int]
    orphans_killed: int

    def failure(self) -> Optional[Tuple[str, str]]:
        """(status, message) when the process did not end well, else None."""
        if self.timed_out:
            return "timeout", f"killed after {self.seconds:.1f} s (time limit); {self.stderr_tail()}"
        if self.returncode:
            if self.returncode < 0:
                how = f"killed by signal {signal.Signals(-self.returncode).name}"
            else:
                how = f"exit code {self.returncode}"
            return "crashed", f"{how}; {self.stderr_tail()}"
        return None

    def stderr_tail(self) -> str:
        lines = self.stderr.strip().splitlines()[-STDERR_TAIL_LINES:]
        return "stderr: " + (" | ".join(lines) if lines else "(empty)")


class _TreeSampler(threading.Thread):
    """Polls the process tree's memory and remembers every (pid, create_time) seen."""

    def __init__(self, root: psutil.Process):
        super().__init__(daemon=True)
        self.root = root
        self.seen: Dict[int, float] = {}
        self.peak_rss = self.peak_uss = self.peak_pss = None
        self.stop_event = threading.Event()

    def _tree(self) -> List[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return []

    def run(self) -> None:
        polls = 0
        while not self.stop_event.is_set():
            self.sample(polls)
            polls += 1
            self.stop_event.wait(SAMPLE_SECONDS)

    def sample(self, poll: int) -> None:
        rss = uss = pss = 0
        tree = self._tree()
        full = len(tree) <= SMALL_TREE or poll % FULL_MEMORY_EVERY == 0
        for process in tree:
            try:
                self.seen.setdefault(process.pid, process.create_time())
                if full:
                    info = process.memory_full_info()
                    uss += info.uss
                    pss += getattr(info, "pss", 0)
                    rss += info.rss
                else:
                    rss += process.memory_info().rss
            except psutil.Error:
                continue
        self.peak_rss = max(rss, self.peak_rss or 0)
        if full:
            self.peak_uss = max(uss, self.peak_uss or 0)
            self.peak_pss = max(pss, self.peak_pss or 0)


GRACE_SECONDS = 1.0  # multiprocessing's helpers (resource tracker, forkserver) exit on their own


def _kill(processes: List[psutil.Process]) -> int:
    """Kill what is still alive after a grace period; count only those."""
    _, processes = psutil.wait_procs(processes, timeout=GRACE_SECONDS)
    for process in processes:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(processes, timeout=5)
    return len(processes)


def _survivors(group: int, seen: Dict[int, float], exclude: Set[int]) -> List[psutil.Process]:
    """Processes of the kernel's group, or seen in its tree, still alive (pids not reused)."""
    found = {}
    for process in psutil.process_iter(["pid"]):
        pid = process.pid
        if pid in exclude:
            continue
        try:
            if os.getpgid(pid) == group or (pid in seen and process.create_time() == seen[pid]):
                if process.status() != psutil.STATUS_ZOMBIE:
                    found[pid] = process
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
    return list(found.values())


def run_supervised(command: Sequence[str], env: Dict[str, str], cwd: str, timeout: float) -> Outcome:
    """Run ``command`` (an argument list: no shell ever sees a config value) under watch.

    Output goes to files, not pipes: a leaked child holding a pipe open would keep a
    reader waiting after the kernel has exited.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), env=env, cwd=cwd, stdout=out, stderr=err, start_new_session=True)
        sampler = _TreeSampler(psutil.Process(process.pid))
        sampler.start()
        timed_out = False
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(process)
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM from Snakemake): take the tree down with us.
            _kill_group(process)
            raise
        finally:
            sampler.stop_event.set()
            sampler.join()
        seconds = time.perf_counter() - started
        orphans = _kill(_survivors(process.pid, sampler.seen, exclude={os.getpid()}))
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return Outcome(
        returncode=process.returncode,
        stdout=stdout,
        stderr=stderr,
        timed_out=timed_out,
        seconds=seconds,
        peak_rss_bytes=sampler.peak_rss,
        peak_uss_bytes=sampler.peak_uss,
        peak_pss_bytes=sampler.peak_pss,
        orphans_killed=orphans,
    )


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
