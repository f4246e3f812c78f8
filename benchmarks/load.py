"""Keep cores busy for the length of a command: a machine shared with other work, on purpose.

    python benchmarks/load.py [--cores N] -- CMD...

Starts N busy-loop processes (default: one per CPU this process may run on), runs CMD, and
exits with CMD's exit code. The load processes die with it, always: on CMD's end, on
Ctrl-C or SIGTERM (passed on to CMD first), and if this script itself dies (each load
process watches its parent and stops when it is gone). Each load process prints nothing.
.ci/run re-runs the tests that make real runs under it; README "Tests" says what held.
"""

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys


def _spin(parent: int) -> None:
    """Burn one CPU until the parent is gone (checked every ~50 ms of spinning)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent ends us, after passing Ctrl-C on
    while os.getppid() == parent:
        for _ in range(200_000):
            pass


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=usable_cpus(),
                        help="busy-loop processes to run beside CMD (default: one per usable CPU)")  # fmt: skip
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD...: the command to run under load")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (python benchmarks/load.py [--cores N] -- CMD...)")
    if args.cores < 0:
        parser.error(f"--cores: {args.cores}; allowed: 0 or more")
    context = multiprocessing.get_context("fork")
    load = [context.Process(target=_spin, args=(os.getpid(),), daemon=True) for _ in range(args.cores)]
    child = None
    try:
        for process in load:
            process.start()
        print(f"load.py: {args.cores} busy core(s) beside: {' '.join(command)}", file=sys.stderr, flush=True)
        child = subprocess.Popen(command)
        # SIGTERM: end the command as Ctrl-C would, then the load (finally).
        signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
        try:
            code = child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)  # the terminal sent it to the group; again, to be sure
            try:
                code = child.wait(timeout=30)
            except (KeyboardInterrupt, subprocess.TimeoutExpired):
                child.kill()  # a second Ctrl-C, or a command that ignores it
                code = child.wait()
        return 128 - code if code < 0 else code  # killed by a signal: as a shell says it
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        for process in load:
            if process.is_alive():
                process.kill()
        for process in load:
            process.join()


if __name__ == "__main__":
    sys.exit(main())
