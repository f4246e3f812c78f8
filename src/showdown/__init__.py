"""showdown: where Python threading, multiprocessing and asyncio win, measured.

This module and ``showdown.kernel`` import only the standard library: the kernel is
copied next to interpreters that cannot import the workflow's environment (CPython 3.9,
PyPy, free-threaded builds) and must run there unchanged.
"""

__version__ = "0.1.0"

# Version of the round files' columns; files of another version are refused, not misread.
SCHEMA_VERSION = 8  # the history: CHANGELOG.md and cell/record.py MIGRATIONS


def lazy_door(package: str, names: dict):
    """A package's door whose names load on first use: ``__getattr__`` for ``package``.

    ``names`` maps each name to the module of the package that defines it. The kernel and
    the cell job use it: a worker process unpickling a task, or the cell job itself, must
    not import more than it runs.
    """
    import importlib

    def __getattr__(name):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f".{names[name]}", package), name)

    return __getattr__
