"""showdown: where Python threading, multiprocessing and asyncio win, measured.

This module and ``showdown.kernel`` import only the standard library: the kernel is
copied next to interpreters that cannot import the workflow's environment (CPython 3.9,
PyPy, free-threaded builds) and must run there unchanged.
"""

__version__ = "0.1.0"

# Version of the round files' columns; files of another version are refused, not misread.
SCHEMA_VERSION = 3  # the history: CHANGELOG.md and cell/record.py MIGRATIONS
