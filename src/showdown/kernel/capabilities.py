"""What this interpreter can do, asked once per interpreter by the probe rule.

Each answer comes from trying the thing, not from version tables: a start method works
if a process started with it runs a task and returns. Standard library only.
"""

import importlib.util
import multiprocessing
import platform
import sys
import sysconfig
from typing import Any, Dict

from .environment import gil_enabled

START_TIMEOUT_SECONDS = 60


def _square(x: int) -> int:
    return x * x


def start_method_works(method: str) -> str:
    """'ok', or why a ProcessPoolExecutor with this start method does not run here."""
    from concurrent.futures import ProcessPoolExecutor

    if method not in multiprocessing.get_all_start_methods():
        return "not offered by this platform"
    try:
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            if pool.submit(_square, 7).result(timeout=START_TIMEOUT_SECONDS) != 49:
                return "wrong answer from the worker"
    except Exception as error:  # the reason is the answer
        return f"{type(error).__name__}: {error}"
    return "ok"


def probe() -> Dict[str, Any]:
    from .models import START_METHODS
    from .subinterpreters import self_test

    pool, works = self_test()
    return {
        "status": "ok",
        "implementation": platform.python_implementation(),
        "version_info": list(sys.version_info[:3]),
        # The build (python3.13t) and the run: a free-threaded build may turn the GIL back
        # on (PYTHON_GIL=1, or an extension that needs it), so both are recorded.
        "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": gil_enabled(),
        "start_methods": {method: start_method_works(method) for method in START_METHODS},
        "uvloop": importlib.util.find_spec("uvloop") is not None,
        # Tried for real: a pool of one subinterpreter runs a task (in a child, with a
        # time limit: the failures seen are crashes and hangs).
        "subinterpreters": {"pool": pool or "none", "works": works},
    }
