"""Why cpu_pure makes its constants at run time: shared int constants on a free-threaded 3.13.

A free-threaded 3.13 build leaves the int constants of an imported module's code mortal
(their reference count is counted, not pinned at 2**32 - 1), so threads that run one
imported function load the same int objects and contend on their reference counts. This script imports the same loop
twice, with its constants in the code (shared by every thread) and made per call (each
thread's own, as ``showdown.kernel.workloads.cpu_pure_task`` does), and prints how fast two
threads run twice the work of one (2.0 = perfect scaling; about 1.0 with a GIL). It also
prints whether the constants are immortal (their reference count reads 2**32 - 1).
Standard library only, so any interpreter runs it:

    python benchmarks/ft_constants.py [--iterations 200000] [--calls 10] [--repeat 5]
    ~/.cache/showdown/python/<build>/nogil/bin/python3.13 benchmarks/ft_constants.py
"""

import argparse
import importlib
import statistics
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

LOOPS = """
def shared_constants(n):
    x = 1
    for i in range(n):
        x = (x * 1103515245 + 12345 + i) & 0x7FFFFFFF
    return x


def own_constants(n):
    multiplier, increment, mask = int("1103515245"), int("12345"), int("2147483647")
    x = 1
    for i in range(n):
        x = (x * multiplier + increment + i) & mask
    return x
"""


def wall(function, threads: int, calls: int, iterations: int) -> float:
    def body():
        for _ in range(calls):
            function(iterations)

    workers = [threading.Thread(target=body) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(f"{sys.version.split()[0]}, Py_GIL_DISABLED={sysconfig.get_config_var('Py_GIL_DISABLED')}, "
          f"GIL {'on' if gil else 'off'}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "ft_loops.py").write_text(LOOPS)
        sys.path.insert(0, folder)
        loops = importlib.import_module("ft_loops")
        immortal = [sys.getrefcount(c) >= 2**32 - 1 for c in loops.shared_constants.__code__.co_consts
                    if isinstance(c, int) and c > 256]  # fmt: skip
        print(f"the imported loop's large int constants immortal: {all(immortal)}")
        for name in ("shared_constants", "own_constants"):
            function = getattr(loops, name)
            speedups, singles = [], []
            for _ in range(args.repeat):  # alternate 1 and 2 threads so both meet the same phases
                one = wall(function, 1, args.calls, args.iterations)
                two = wall(function, 2, args.calls, args.iterations)
                singles.append(one)
                speedups.append(2 * one / two)
            print(f"{name:>16}: one thread {statistics.median(singles):.3f} s; two threads doing twice the work: "
                  f"speedup {statistics.median(speedups):.2f} (median of {args.repeat}; "
                  f"min {min(speedups):.2f}, max {max(speedups):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
