"""Faults injected on purpose, to prove the cell runner survives them.

Set ``SHOWDOWN_FAULT`` in an interpreter's ``env`` map (config) to one of the modes
below; the tests do. Unset, this module does nothing. Standard library only.
"""

import os
import subprocess
import sys
import time

MODES = ("hang", "crash", "leak", "broken_pool")
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def _exit_worker(_):
    os._exit(3)


def inject_from_environment() -> None:
    mode = os.environ.get("SHOWDOWN_FAULT")
    if not mode:
        return
    if mode not in MODES:
        raise SystemExit(f"SHOWDOWN_FAULT={mode!r}: known modes are {', '.join(MODES)}")
    if mode == "hang":
        subprocess.Popen(SLEEPER)  # a child, so the timeout must kill a tree
        time.sleep(3600)
    elif mode == "crash":
        print("injected crash: aborting", file=sys.stderr, flush=True)
        os.abort()
    elif mode == "leak":
        # Neither waited for nor killed: the cell runner must find and reap it.
        subprocess.Popen(SLEEPER)
    elif mode == "broken_pool":
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        from .workloads import BatchFailed

        with ProcessPoolExecutor(max_workers=1) as pool:
            try:
                pool.submit(_exit_worker, None).result()
            except BrokenProcessPool as error:
                raise BatchFailed(f"broken pool: {error}") from error
