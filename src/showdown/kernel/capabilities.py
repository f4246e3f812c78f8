"""What this interpreter can do, asked once per interpreter by the probe rule.

Each answer comes from trying the thing, not from version tables: a start method works
if a process started with it runs a task and returns. Standard library only.
"""

import importlib.util
import multiprocessing
import sys
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

    return {
        "status": "ok",
        "gil_enabled": gil_enabled(),
        "version_info": list(sys.version_info[:3]),
        "start_methods": {method: start_method_works(method) for method in START_METHODS},
        "uvloop": importlib.util.find_spec("uvloop") is not None,
        "subinterpreters": _subinterpreter_support(),
    }


def _subinterpreter_support() -> str:
    """Which subinterpreter pool this interpreter offers, or 'none'."""
    if importlib.util.find_spec("concurrent.futures.interpreter") is not None:
        return "stdlib"
    if importlib.util.find_spec("interpreters_backport") is not None:
        return "backport"
    return "none"
