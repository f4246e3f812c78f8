"""How each model is shown: its family, the Python API it is, and its display name.

The second layer of the model registry (the first, what runs, is the kernel's
``registry``): findings, the guide, the report's glossary and the claims read these words
instead of parsing names. The family is what the workers are:

- ``serial``: no worker, the measuring thread runs every task;
- ``threads``: threads of one process, whoever hands them their tasks (``asyncio_to_thread``
  and the thread mechanisms too);
- ``processes``: processes, however they are fed (``process_workers-*``, ``mp_pool-*`` and
  ``asyncio_processes-*`` too);
- ``asyncio``: coroutines on one event loop in one thread;
- ``interpreters``: subinterpreters of one process, each with its own GIL.

A model registered by the user's module has its family from its workers, the API
"registered by <module>" and its name as display name.
"""

from dataclasses import dataclass
from typing import Dict, Tuple

from .kernel import CALLER, COROUTINES, INTERPRETERS, PROCESSES, THREADS, describe

FAMILIES: Dict[str, str] = {
    "serial": "no worker: the measuring thread runs every task",
    "threads": "threads of one process, sharing its objects (and, with a GIL, its GIL)",
    "processes": "processes, each with its own interpreter, objects and GIL; tasks travel pickled",
    "asyncio": "coroutines taking turns on one event loop in one thread",
    "interpreters": "subinterpreters of one process, each with its own objects and GIL; tasks travel pickled",
}
_FAMILY_OF_WORKERS = {
    CALLER: "serial", THREADS: "threads", PROCESSES: "processes", COROUTINES: "asyncio", INTERPRETERS: "interpreters",
}  # fmt: skip

# By a model's name without its start method: (the Python API it is, its display name).
_SHOWN: Dict[str, Tuple[str, str]] = {
    "serial": ("a for loop in the measuring thread", "serial"),
    "threads": ("concurrent.futures.ThreadPoolExecutor", "thread pool"),
    "thread_workers": ("threading.Thread workers fed through a queue.Queue", "hand-made thread pool"),
    "asyncio": ("coroutines on an asyncio event loop, at most `workers` in flight", "asyncio"),
    "asyncio_to_thread": ("asyncio.to_thread on a default executor of `workers` threads", "asyncio.to_thread"),
    "asyncio_uvloop": ("coroutines on uvloop's event loop, at most `workers` in flight", "asyncio on uvloop"),
    "processes": ("concurrent.futures.ProcessPoolExecutor", "process pool"),
    "process_workers": ("multiprocessing.Process workers fed through a multiprocessing.Queue",
                        "hand-made process pool"),
    "mp_pool": ("multiprocessing.Pool", "multiprocessing.Pool"),
    "asyncio_processes": ("loop.run_in_executor on a ProcessPoolExecutor", "asyncio + process pool"),
    "subinterpreters": ("concurrent.futures.InterpreterPoolExecutor (interpreters-pep-734 on 3.13)",
                        "subinterpreter pool"),
    # ipc_transfer's channels
    "queue_threads": ("queue.Queue between two threads", "queue.Queue"),
    "mp_queue": ("multiprocessing.Queue between two processes", "multiprocessing.Queue"),
    "pipe": ("multiprocessing.Pipe (one-way) between two processes", "multiprocessing.Pipe"),
    "manager_queue": ("a multiprocessing.Manager's Queue between two processes", "Manager().Queue"),
    "shared_memory": ("multiprocessing.shared_memory.SharedMemory between two processes", "SharedMemory"),
    "asyncio_queue": ("asyncio.Queue between two coroutines", "asyncio.Queue"),
    # lock_contention's locks
    "threading_lock": ("threading.Lock around a counter shared by threads", "threading.Lock"),
    "mp_value": ("multiprocessing.Value and its lock, shared by processes", "multiprocessing.Value"),
    "manager_value": ("a multiprocessing.Manager's Lock and Value, shared by processes", "Manager().Value"),
    "asyncio_lock": ("asyncio.Lock around a counter shared by coroutines", "asyncio.Lock"),
    # switch_latency's hand-overs
    "thread_event": ("a pair of threading.Event between two threads", "threading.Event"),
    "thread_condition": ("threading.Condition between two threads", "threading.Condition"),
    "pipe_processes": ("multiprocessing.Pipe (two-way) between two processes", "Pipe, processes"),
    "pipe_threads": ("multiprocessing.Pipe (two-way) between two threads", "Pipe, threads"),
    "asyncio_event": ("a pair of asyncio.Event between two coroutines", "asyncio.Event"),
}  # fmt: skip


@dataclass(frozen=True)
class Shown:
    """What a reader is told about a model."""

    model: str
    family: str  # a key of FAMILIES
    api: str
    display_name: str


def shown(model: str) -> Shown:
    """Family, API and display name of a model (an A/A copy: its model's, display name marked)."""
    description = describe(model)
    base = description.base_model
    method = f"-{description.start_method}"
    stem = base[: -len(method)] if description.start_method and base.endswith(method) else base
    if description.origin is not None or stem not in _SHOWN:
        api, name = f"registered by {description.origin or 'an unknown module'}", base
    else:
        api, name = _SHOWN[stem]
    if description.start_method:
        name = f"{name} ({description.start_method})"
    if description.aa_copy_of:
        name = f"{name}, A/A copy"
    return Shown(model, _FAMILY_OF_WORKERS[description.workers], api, name)


def family(model: str) -> str:
    return shown(model).family


def api(model: str) -> str:
    return shown(model).api


def display_name(model: str) -> str:
    return shown(model).display_name


__all__ = ["FAMILIES", "Shown", "api", "display_name", "family", "shown"]
