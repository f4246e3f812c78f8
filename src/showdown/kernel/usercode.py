"""The user's own function as a workload: ``kind: callable`` in the config.

The user's module is imported here, inside the measured interpreter, by the name the
config gives (``package.module:function``), and nowhere else: the kernel itself stays
standard library only, and nothing the user wrote is read from a results file. Its import
is timed apart from the batches (``import_seconds``).

A task is ``(index, input, function, is_awaited)``: process pools pickle the function by
reference (the worker imports the user's module itself, from the same path) and the input
by value, so a function or input that cannot be pickled cannot run there; ``inspect``
finds that before any cell runs.

An ``async def`` function (or input factory, or check) is awaited, never called and left:
the asyncio models await it on their own loop, ``workers`` at a time; every other model
runs each task to completion on its worker's own event loop (one per thread or process,
made when the pool starts, outside the clock: ``prepare_worker``), so serial awaits the
tasks one after another on one loop. Whatever the function, a task whose result is still
to be run (a coroutine, a generator, any awaitable) fails its cell, naming the function:
a verdict on code that never ran must not be published.

Standard library only (see ``showdown/__init__.py``).
"""

import asyncio
import hashlib
import importlib
import inspect as introspect
import os
import pickle
import sys
import threading
import time
import types
from typing import Any, Callable, Dict, List, Optional, Tuple

from .environment import gil_enabled
from .scenarios import PoolScenario
from .workloads import CheckFailed, Workload, make_payload

# The config keys of a callable workload that name code: (key, what it is called with).
CODE_KEYS = ("function", "input", "check")
CALLED_WITH = {"function": ("input",), "input": ("payload_bytes", "index"), "check": ("results",)}


class BadReference(Exception):
    """A reference of the config that does not lead to usable code: (key, what was found)."""

    def __init__(self, key: str, found: str):
        self.key, self.found = key, found
        super().__init__(f"{key}: {found}")


def resolve(key: str, reference: str) -> Callable[..., Any]:
    """Import ``package.module:name`` and return the callable it names; BadReference if not."""
    module_name, _, attribute = reference.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as error:  # any import-time failure is the user's to see
        raise BadReference(key, f"{module_name!r} does not import ({type(error).__name__}: {error})") from error
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise BadReference(key, f"{module_name!r} has no attribute {attribute!r}")
        target = getattr(target, part)
    if not callable(target):
        raise BadReference(key, f"{reference!r} is a {type(target).__name__}, not callable")
    return target


def check_signature(key: str, function: Callable[..., Any]) -> None:
    """BadReference unless ``function`` accepts exactly the arguments this key is called with."""
    wanted = CALLED_WITH[key]
    try:
        signature = introspect.signature(function)
    except (TypeError, ValueError):
        return  # builtins without a signature (zlib.compress): the call itself will tell
    try:
        signature.bind(*wanted)
    except TypeError as error:
        raise BadReference(
            key, f"signature {function.__name__}{signature} cannot be called with ({', '.join(wanted)}): {error}"
        ) from error


def load(params: Dict[str, Any]) -> Tuple[Dict[str, Optional[Callable[..., Any]]], float]:
    """The function, input factory and check the params name, and the seconds their import took."""
    t0 = time.perf_counter()
    code = {key: resolve(key, params[key]) if params.get(key) else None for key in CODE_KEYS}
    return code, time.perf_counter() - t0


def awaited(function: Optional[Callable[..., Any]]) -> bool:
    """Whether calling ``function`` makes a coroutine to await (``async def``, also wrapped)."""
    return function is not None and introspect.iscoroutinefunction(function)


# Results still to be run. Generator-based coroutines are generators; futures and other
# awaitables are told by their type's __await__ (faster than inspect.isawaitable's ABC check,
# which every task pays).
UNRUN_TYPES = (types.CoroutineType, types.GeneratorType, types.AsyncGeneratorType)


def finished(function: Callable[..., Any], index: int, result: Any) -> Any:
    """``result``, unless it is work still to be run: then CheckFailed, naming the function."""
    if isinstance(result, UNRUN_TYPES) or hasattr(type(result), "__await__"):
        if hasattr(result, "close"):
            result.close()  # no "never awaited" warning on top of the reason given here
        name = getattr(function, "__qualname__", repr(function))
        raise CheckFailed(
            f"task {index}: {name} returned a {type(result).__name__}, never run: nothing was measured "
            f"(a missing await, or a function that should be async def?)"
        )
    return result


_worker = threading.local()


def worker_loop() -> asyncio.AbstractEventLoop:
    """This thread's event loop for the user's coroutines, made once and kept."""
    loop = getattr(_worker, "loop", None)
    if loop is None or loop.is_closed():
        loop = _worker.loop = asyncio.new_event_loop()
    return loop


def prepare_worker() -> None:
    """Run by each worker as the pool starts (outside the clock): its event loop, ready."""
    worker_loop()


def close_worker_loop() -> None:
    loop = getattr(_worker, "loop", None)
    if loop is not None:
        loop.close()
        _worker.loop = None


def callable_task(arg) -> Any:
    """One call of the user's function on its input; a coroutine function's call is run to
    completion on this worker's loop."""
    index, value, function, is_awaited = arg
    if is_awaited:
        return finished(function, index, worker_loop().run_until_complete(function(value)))
    return finished(function, index, function(value))


async def callable_coroutine(arg) -> Any:
    """The same call on the asyncio models' loop: awaited there, or run inline if not async."""
    index, value, function, is_awaited = arg
    if is_awaited:
        return finished(function, index, await function(value))
    return finished(function, index, function(value))


def run_awaited(function: Callable[..., Any], *args: Any) -> Any:
    """Call a function of the user's outside any batch; a coroutine function's call is run
    to completion on a loop of its own."""
    if not awaited(function):
        return function(*args)
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(function(*args))
    finally:
        loop.close()


def make_inputs(factory: Optional[Callable[..., Any]], payload_bytes: int, tasks: int) -> List[Any]:
    """Each task's input: the factory's, or one shared payload of the configured size."""
    if factory is None:
        payload = make_payload(payload_bytes)
        return [payload] * tasks
    if not awaited(factory):
        return [factory(payload_bytes, index) for index in range(tasks)]

    async def each():  # one after another, as the plain factory is called
        return [await factory(payload_bytes, index) for index in range(tasks)]

    return run_awaited(each)


class CallableWorkload(Workload):
    """A workload whose task, inputs and check come from the user's module (``params``)."""

    def args(self, tasks: int, payload_bytes: int, params: Dict[str, Any]) -> List[tuple]:
        code, _ = load(dict(self.defaults, **params))
        inputs = make_inputs(code["input"], payload_bytes, tasks)
        function = code["function"]
        is_awaited = awaited(function)
        return [(index, value, function, is_awaited) for index, value in enumerate(inputs)]


class CallableScenario(PoolScenario):
    """A pool model over the user's function; the user's check, if any, judges each batch."""

    def __init__(self, *args, **kwargs):
        # Timed before any pool exists: the first import of the user's module, alone.
        self.code, self.import_seconds = load(dict(args[0].defaults, **args[-1]))
        super().__init__(*args, **kwargs)
        # Each worker makes its event loop as it meets the start barrier, outside the clock.
        self.prepare = prepare_worker if awaited(self.code["function"]) else None

    def check(self, results: List[Any]) -> str:
        if len(results) != self.tasks:
            raise CheckFailed(f"expected {self.tasks} results, got {len(results)}")
        for index, result in enumerate(results):
            finished(self.code["function"], index, result)
        if self.code["check"] is not None and run_awaited(self.code["check"], results) is False:
            raise CheckFailed(f"{self.params['check']} returned False")
        # repr, not pickle: equal results give equal text in every model and process.
        return hashlib.sha256(repr(results).encode()).hexdigest()[:16]

    def stop(self):
        super().stop()
        close_worker_loop()  # serial's, in this thread; a pool's threads and processes end with it


def _source_files(module: Any) -> List[str]:
    """The files of the top-level package a module belongs to (or the module's own file)."""
    top = sys.modules[module.__name__.split(".")[0]]
    path = getattr(top, "__file__", None)
    if not path:
        return []
    if os.path.basename(path) != "__init__.py":
        return [path]
    root = os.path.dirname(path)
    return sorted(
        os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names if name.endswith(".py")
    )


def hash_files(paths: List[str]) -> str:
    """Hash of files' names and contents: the one fingerprint of the user's code."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.encode())
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:12]


def code_hash(params: Dict[str, Any]) -> str:
    """Hash of the user's source files: an edit to them changes what the cells measure."""
    files = set()
    for key in CODE_KEYS:
        if params.get(key):
            files.update(_source_files(sys.modules[params[key].partition(":")[0]]))
    return hash_files(sorted(files))


def _pickling_problem(what: str, value: Any) -> Optional[str]:
    try:
        pickle.loads(pickle.dumps(value))
    except Exception as error:  # the reason is the answer
        return f"the {what} cannot be pickled ({type(error).__name__}: {error})"
    return None


def inspect(spec: Dict[str, Any]) -> Dict[str, Any]:
    """Check a callable workload in this interpreter before any of its cells runs.

    ``spec``: params (function, input, check) and payloads (bytes). Answers status
    "refused" with (key, found) problems for code that cannot be used at all, else "ok"
    with the import time, the GIL state after the import, the code's hash and, if the
    function or an input cannot be pickled, why process models cannot run it.
    """
    params = spec["params"]
    try:
        code, import_seconds = load(params)
        for key, function in code.items():
            if function is not None:
                check_signature(key, function)
        unpicklable = _pickling_problem(f"function {params['function']}", code["function"])
        for payload_bytes in spec.get("payloads", [0]):
            if unpicklable:
                break
            value = make_inputs(code["input"], int(payload_bytes), 1)[0]
            unpicklable = _pickling_problem(f"input for {payload_bytes} bytes", value)
    except BadReference as error:
        return {"status": "refused", "problems": [[error.key, error.found]]}
    return {
        "status": "ok",
        "import_seconds": import_seconds,
        "gil_enabled": gil_enabled(),  # read after the user's imports: an extension may turn it on
        "code_hash": code_hash(params),
        "unpicklable": unpicklable,
        # The keys whose code is async def: awaited, never called and left.
        "awaited": [key for key, function in code.items() if awaited(function)],
    }
